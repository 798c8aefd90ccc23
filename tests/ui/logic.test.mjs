// Tests of ui/js/logic.js: slot assignment, deployment limits, duplicate detection, list
// merging, size scaling and version comparison.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  MAX_IMAGES,
  baseName,
  compareVersions,
  entryFromInspection,
  humanSize,
  isImagePackagePath,
  mergeEntries,
  partitionDropped,
  planSlots,
  removeEntry,
  settleInspection,
} from '../../ui/js/logic.js';

let serial = 0;
/** An `ok` list entry for a package of `kind`; ids are unique unless given. */
function pkg(kind, overrides = {}) {
  serial += 1;
  const hex = String(serial).padStart(12, '0');
  const report = {
    file: `/p/${kind.toLowerCase()}-${serial}.imagepackage`,
    imageId: `00000000-0000-0000-0000-${hex}`,
    componentId: `11111111-0000-0000-0000-${hex}`,
    kind,
    name: `${kind} ${serial}`,
    ...overrides,
  };
  return { file: report.file, status: 'ok', report };
}

const codes = (plan) => plan.warnings.map((w) => w.code).sort();

test('the ASG210 two-port Ethernet set fills HLApp, one RTApp and board config without warnings', () => {
  const hl = pkg('HLApp');
  const rt = pkg('RTApp');
  const bc = pkg('BoardConfig');
  const plan = planSlots([rt, bc, hl]);
  assert.equal(plan.slots.hlApp, hl.report);
  assert.equal(plan.slots.rtApp1, rt.report);
  assert.equal(plan.slots.rtApp2, null);
  assert.equal(plan.slots.boardConfig, bc.report);
  assert.equal(plan.slotOf.get(hl.file), 'hlApp');
  assert.deepEqual(plan.warnings, []);
});

test('two RTApps take real-time slots 1 and 2 in the order they were added', () => {
  const a = pkg('RTApp');
  const b = pkg('RTApp');
  const plan = planSlots([a, b]);
  assert.equal(plan.slotOf.get(a.file), 'rtApp1');
  assert.equal(plan.slotOf.get(b.file), 'rtApp2');
  assert.deepEqual(plan.warnings, []);
});

test('kinds over their limit get no slot and a warning with count and limit', () => {
  const cases = [
    { kind: 'HLApp', n: 2, code: 'tooMany.HLApp', limit: 1 },
    { kind: 'RTApp', n: 3, code: 'tooMany.RTApp', limit: 2 },
    { kind: 'BoardConfig', n: 2, code: 'tooMany.BoardConfig', limit: 1 },
  ];
  for (const { kind, n, code, limit } of cases) {
    const entries = Array.from({ length: n }, () => pkg(kind));
    const plan = planSlots(entries);
    const warning = plan.warnings.find((w) => w.code === code);
    assert.ok(warning, `${kind}: expected ${code}, got ${codes(plan)}`);
    assert.deepEqual(warning.params, { count: n, limit });
    assert.equal(plan.slotOf.get(entries[n - 1].file), null, `${kind}: the extra one has no slot`);
    assert.notEqual(plan.slotOf.get(entries[0].file), null, `${kind}: the first one keeps its slot`);
  }
});

test('more than four images is a warning even when every kind is within its limit', () => {
  const entries = [pkg('HLApp'), pkg('RTApp'), pkg('RTApp'), pkg('BoardConfig'), pkg('Other')];
  const plan = planSlots(entries);
  assert.deepEqual(plan.warnings.find((w) => w.code === 'tooManyImages').params, { count: 5, limit: MAX_IMAGES });
  assert.ok(codes(plan).includes('notDeployable'));
});

test('exactly four images is allowed', () => {
  const plan = planSlots([pkg('HLApp'), pkg('RTApp'), pkg('RTApp'), pkg('BoardConfig')]);
  assert.deepEqual(plan.warnings, []);
});

test('an Other image gets no slot and names itself in the warning', () => {
  const other = pkg('Other', { name: 'OS image' });
  const plan = planSlots([other]);
  assert.equal(plan.slotOf.get(other.file), null);
  assert.deepEqual(plan.warnings, [{ code: 'notDeployable', params: { name: 'OS image', kind: 'Other' } }]);
});

test('a shared component id is reported once, case-insensitively, with both names', () => {
  const a = pkg('HLApp', { componentId: 'ABCDEF00-0000-0000-0000-000000000001', name: 'first' });
  const b = pkg('RTApp', { componentId: 'abcdef00-0000-0000-0000-000000000001', name: 'second' });
  const plan = planSlots([a, b]);
  const dup = plan.warnings.filter((w) => w.code === 'duplicateComponent');
  assert.equal(dup.length, 1);
  assert.deepEqual(dup[0].params.names, ['first', 'second']);
});

test('the same image at two paths is a duplicate image and a duplicate component', () => {
  const a = pkg('HLApp');
  const b = { ...a, file: '/elsewhere/copy.imagepackage', report: { ...a.report, file: '/elsewhere/copy.imagepackage' } };
  const plan = planSlots([a, b]);
  assert.deepEqual(codes(plan), ['duplicateComponent', 'duplicateImage', 'tooMany.HLApp']);
  const dup = plan.warnings.find((w) => w.code === 'duplicateImage');
  assert.deepEqual(dup.params.files, [baseName(a.file), 'copy.imagepackage']);
});

test('entries being read or damaged take no slot and raise no warning', () => {
  const plan = planSlots([
    { file: '/a.imagepackage', status: 'reading' },
    { file: '/b.imagepackage', status: 'error', error: { kind: 'damaged_package', message: 'x' } },
  ]);
  assert.deepEqual(plan.warnings, []);
  assert.ok(Object.values(plan.slots).every((s) => s === null));
});

test('adding the same file twice keeps one row, refreshed in place', () => {
  const first = [{ file: '/a.imagepackage', status: 'reading' }, { file: '/b.imagepackage', status: 'reading' }];
  const again = mergeEntries(first, [{ file: '/a.imagepackage', status: 'ok', report: {} }, { file: '/c.imagepackage', status: 'reading' }]);
  assert.deepEqual(again.map((e) => e.file), ['/a.imagepackage', '/b.imagepackage', '/c.imagepackage']);
  assert.equal(again[0].status, 'ok');
  assert.equal(first[0].status, 'reading', 'the input list is not mutated');
  const twiceInOneBatch = mergeEntries([], [{ file: '/x', status: 'reading' }, { file: '/x', status: 'reading' }]);
  assert.equal(twiceInOneBatch.length, 1);
  assert.deepEqual(removeEntry(again, '/b.imagepackage').map((e) => e.file), ['/a.imagepackage', '/c.imagepackage']);
});

test('inspection answers become entries; an odd answer becomes an error entry', () => {
  const report = { file: '/a', imageId: 'i' };
  assert.deepEqual(entryFromInspection({ file: '/a', ok: true, report }), { file: '/a', status: 'ok', report });
  const bad = [
    [{ file: '/b', ok: false, error: { kind: 'damaged_package', message: 'ends early' } }, 'damaged_package', 'ends early'],
    [{ file: '/c', ok: false }, 'unknown', ''],
    [{ file: '/d', ok: true }, 'unknown', ''],
    [null, 'unknown', ''],
  ];
  for (const [answer, kind, message] of bad) {
    const entry = entryFromInspection(answer);
    assert.equal(entry.status, 'error');
    assert.equal(entry.error.kind, kind, JSON.stringify(answer));
    assert.equal(entry.error.message, message);
  }
});

test('inspection answers pair with the requested paths by position', () => {
  const report = { file: '/canonical/a.imagepackage', imageId: 'i' };
  const answer = [
    { file: '/canonical/a.imagepackage', ok: true, report },
    { file: '/b.imagepackage', ok: false, error: { kind: 'io', message: 'permission denied' } },
  ];
  const entries = settleInspection(['/link/a.imagepackage', '/b.imagepackage', '/c.imagepackage'], answer);
  assert.deepEqual(entries.map((e) => [e.file, e.status]), [
    ['/link/a.imagepackage', 'ok'],
    ['/b.imagepackage', 'error'],
    ['/c.imagepackage', 'error'],
  ]);
  assert.equal(entries[0].report, report);
  assert.equal(entries[1].error.kind, 'io');
  assert.equal(entries[2].error.kind, 'unknown', 'a path the backend did not answer for');
  assert.deepEqual(settleInspection(['/x'], null).map((e) => e.error.kind), ['unknown']);
});

test('dropped paths split into image packages and other files', () => {
  assert.ok(isImagePackagePath('C:\\Builds\\App.IMAGEPACKAGE'));
  assert.ok(!isImagePackagePath('/a/app.imagepackage.txt'));
  assert.ok(!isImagePackagePath(undefined));
  const { packages, others } = partitionDropped(['/a.imagepackage', '/notes.txt', '/b.imagepackage', '/dir']);
  assert.deepEqual(packages, ['/a.imagepackage', '/b.imagepackage']);
  assert.deepEqual(others, ['/notes.txt', '/dir']);
  assert.equal(baseName('C:\\x\\y.imagepackage'), 'y.imagepackage');
  assert.equal(baseName('/x/y.imagepackage'), 'y.imagepackage');
});

test('humanSize scales by 1000 to the largest unit that keeps the value at least 1', () => {
  const table = [
    [0, 0, 'byte'],
    [-5, 0, 'byte'],
    [NaN, 0, 'byte'],
    [812, 812, 'byte'],
    [999, 999, 'byte'],
    [1000, 1, 'kilobyte'],
    [28884, 28.884, 'kilobyte'],
    [164044, 164.044, 'kilobyte'],
    [1_500_000, 1.5, 'megabyte'],
    [512 * 1024 * 1024, 536.870912, 'megabyte'],
    [3e9, 3, 'gigabyte'],
    [5e12, 5000, 'gigabyte'],
  ];
  for (const [bytes, value, unit] of table) {
    const got = humanSize(bytes);
    assert.equal(got.unit, unit, `${bytes}`);
    assert.ok(Math.abs(got.value - value) < 1e-9, `${bytes}: ${got.value} != ${value}`);
  }
});

test('compareVersions orders versions numerically, pre-release suffixes below releases', () => {
  const ascending = [
    ['1.0.9', '1.0.10'],
    ['1.0.1dev', '1.0.1'],
    ['1.0.1-rc1', '1.0.1'],
    ['1.0.1alpha', '1.0.1beta'],
    ['1.0.1', '1.0.2dev'],
    ['1.9', '1.10'],
    ['0.9.99', '1.0.0'],
    ['1.2', '1.2.1'],
    ['2', '10'],
  ];
  for (const [low, high] of ascending) {
    assert.ok(compareVersions(low, high) < 0, `${low} < ${high}`);
    assert.ok(compareVersions(high, low) > 0, `${high} > ${low}`);
  }
  for (const [a, b] of [['1.0.10', '1.0.10'], ['1.2', '1.2.0'], ['v1.0.3', '1.0.3'], [' 1.0 ', '1.0']]) {
    assert.equal(compareVersions(a, b), 0, `${a} == ${b}`);
  }
  const sorted = ['1.0.10', '1.0.9', '1.0.1', '1.0.1dev', '1.1'].sort(compareVersions);
  assert.deepEqual(sorted, ['1.0.1dev', '1.0.1', '1.0.9', '1.0.10', '1.1']);
});
