// The fake backend (ui/js/fake-backend.js, only with ?fake=1) must keep answering the shapes of
// docs/gui-contract.md, or screenshots and manual checks of the UI show a world the app never
// does. These tests walk its whole flow once.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createFakeBackend } from '../../ui/js/fake-backend.js';

const fake = (query = '?fake=1&fakeGateways=50') => createFakeBackend({ search: query });
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

test('groups carry policy, feed, device count and the current deployment', async () => {
  const b = fake();
  const groups = await b.call('groups_list');
  assert.ok(groups.length >= 3);
  for (const g of groups) {
    for (const key of ['id', 'name', 'productId', 'productName', 'deviceCount', 'osFeed', 'updatePolicy', 'policyBlocksApps', 'asOf']) assert.ok(key in g, key);
    assert.equal(g.policyBlocksApps, g.updatePolicy !== 'UpdateAll');
  }
  assert.equal(groups[0].deviceCount, 50);
  assert.equal((await b.call('gateways_list', { groupId: groups[0].id })).length, 50);
});

test('signed out, every tenant call rejects with kind signed_out', async () => {
  const b = fake('?fake=1&fakeSignedOut=1');
  await assert.rejects(b.call('groups_list'), { kind: 'signed_out' });
  const session = await b.call('session_info');
  assert.equal(session.signedIn, false);
});

test('upload, plan, create, history: the image set and the diff follow the contract', { timeout: 20000 }, async () => {
  const b = fake();
  const [group] = await b.call('groups_list');
  const events = [];
  const results = await b.call('packages_upload', {
    paths: ['/x/hl_anvil_test_app.imagepackage', '/x/asg210_eth_board_config.imagepackage'],
    onEvent: { onmessage: (e) => events.push(e) },
  });
  assert.deepEqual(results.map((r) => r.outcome), ['uploaded', 'skipped']);
  assert.ok(events.some((e) => e.phase === 'uploading' && e.bytesSent > 0));
  assert.ok(events.some((e) => e.phase === 'processing'));
  const hl = results[0].imageId;
  const plan = await b.call('deployment_plan', { groupId: group.id, imageIds: [hl, results[1].imageId] });
  assert.equal(plan.ok, true);
  assert.equal(plan.diff.replaced.length, 1);
  assert.ok(plan.diff.removed.length >= 1, 'the RTApps of the current deployment would be dropped');
  assert.ok(plan.warnings.some((w) => w.kind === 'component_dropped'));
  const bad = await b.call('deployment_plan', { groupId: group.id, imageIds: ['not-uploaded'] });
  assert.equal(bad.ok, false);
  const created = await b.call('deployment_create', { groupId: group.id, imageIds: [hl] });
  const history = await b.call('deployments_list', { groupId: group.id });
  assert.equal(history[0].id, created.id);
  assert.equal(history.filter((d) => d.current).length, 1);
});

test('update now reports each device and finishes; an offline gateway fails with a reason', { timeout: 20000 }, async () => {
  const b = fake();
  const [group] = await b.call('groups_list');
  const gws = await b.call('gateways_list', { groupId: group.id });
  const ids = [gws[0].deviceId, gws[5].deviceId];
  assert.equal(gws[5].connectionState, 'Disconnected');
  const progress = [];
  let done = null;
  const onEvent = { onmessage: (e) => (e.type === 'done' ? (done = e) : progress.push(e)) };
  const { runId } = await b.call('update_now_start', { groupId: group.id, deviceIds: ids, onEvent });
  await wait(3000);
  assert.ok(runId);
  assert.ok(done, 'the run ends with a done message on its channel');
  assert.deepEqual(done.succeeded, [ids[0]]);
  assert.equal(done.failed[0].deviceId, ids[1]);
  assert.ok(done.failed[0].reason);
  assert.deepEqual(progress.filter((e) => e.deviceId === ids[0]).map((e) => e.status), ['requested', 'restarting', 'checked_in', 'on_target']);
});

test('nodes: updatable only where the available version is higher', async () => {
  const b = fake();
  const [group] = await b.call('groups_list');
  const gws = await b.call('gateways_list', { groupId: group.id });
  const nodes = await b.call('nodes_list', { deviceIds: gws.slice(0, 5).map((g) => g.deviceId) });
  assert.ok(nodes.length >= 10);
  for (const n of nodes) if (n.current === n.available) assert.equal(n.updatable, false);
  assert.ok(nodes.some((n) => n.updatable));
});
