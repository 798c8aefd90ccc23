// Tests of step 1's saved group list in ui/js/logic.js: the rows drawn from `groups_cached`
// before the listing arrives, and which group stays chosen when the listing replaces them.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { cachedGroupRows, groupsByProduct, settleGroupChoice } from '../../ui/js/logic.js';

const cached = {
  asOf: '2026-12-01T09:30:00Z',
  groups: [
    { id: 'g1', name: 'Field', productId: 'p1', productName: 'ASG210', deviceCount: 12 },
    { id: 'g2', name: 'Lab', productId: 'p1', productName: 'ASG210', deviceCount: null },
  ],
};

test('cached rows carry names and counts, leave the rest unknown and are marked', () => {
  const rows = cachedGroupRows(cached);
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.deviceCount, r.cached, r.asOf]),
    [
      ['g1', 'Field', 12, true, '2026-12-01T09:30:00Z'],
      ['g2', 'Lab', null, true, '2026-12-01T09:30:00Z'],
    ],
  );
  for (const r of rows) {
    assert.equal(r.currentDeployment, null);
    assert.equal(r.updatePolicy, null);
    assert.equal(r.policyBlocksApps, false);
  }
  // They group and search like listed rows.
  assert.deepEqual(groupsByProduct(rows, 'lab').flatMap((p) => p.groups.map((g) => g.id)), ['g2']);
});

test('no saved list (null, empty, damaged shape) gives no rows', () => {
  assert.deepEqual(cachedGroupRows(null), []);
  assert.deepEqual(cachedGroupRows({ asOf: null, groups: [] }), []);
  assert.deepEqual(cachedGroupRows({ asOf: null, groups: 'x' }), []);
});

const listed = [{ id: 'g2', name: 'Lab (renamed)' }, { id: 'g3', name: 'New' }];

test('a group chosen from the saved list is chosen once the listing has it', () => {
  const before = cachedGroupRows(cached);
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: null, pendingId: 'g2' }), { chosenId: 'g2', gone: null });
});

test('a group chosen from the saved list that the listing lacks is never chosen, and named', () => {
  const before = cachedGroupRows(cached);
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: null, pendingId: 'g1' }), { chosenId: null, gone: 'Field' });
  // An earlier choice that still exists stays.
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: 'g3', pendingId: 'g1' }), { chosenId: 'g3', gone: 'Field' });
});

test('a chosen group that a refresh no longer lists is dropped', () => {
  const before = [{ id: 'g1', name: 'Field' }, { id: 'g2', name: 'Lab' }];
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: 'g1', pendingId: null }), { chosenId: null, gone: 'Field' });
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: 'g2', pendingId: null }), { chosenId: 'g2', gone: null });
  assert.deepEqual(settleGroupChoice({ items: listed, before, chosenId: null, pendingId: null }), { chosenId: null, gone: null });
  // Without a name to give, the id is named.
  assert.deepEqual(settleGroupChoice({ items: [], before: [], chosenId: 'gx', pendingId: null }), { chosenId: null, gone: 'gx' });
});
