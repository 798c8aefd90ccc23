// The Fleet screen's and the migration screen's pure logic (ui/js/fleet-logic.js): the report
// put together from the messages it streams, the figures as rows, the gateways behind a figure at
// the group, product and fleet level, the hand-off to step 5 or 6 (one chosen group), and the
// migration report's lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyCompliance, countingProgress, differenceParts, drillDown, drillGroups, filterDrill, fleetRows, handoff, migratedName, prepareDrillDown, migrationFormProblems, migrationItems, migrationSides, sourceKey } from '../../ui/js/fleet-logic.js';

const fig = (ids, sources = ['iot_hub_twin']) => ({ count: ids.length, gateways: ids, asOf: ids.length ? '2026-12-02T10:00:00Z' : null, sources: ids.length ? sources : [] });
const row = (deviceId, status) => ({ deviceId, status, reason: `${status} because`, connectionState: 'Connected', hlAppVer: '1.2.3', rtAppVer: null, lastCheckIn: null, nodesOutdated: 1, nodesUpdating: 0, nodesTotal: 2 });
const group = (id, name, onTarget, failed, outdated) => ({
  groupId: id,
  groupName: name,
  productName: 'P',
  gateways: { total: onTarget.length + failed.length, onTarget: fig(onTarget), pending: fig([]), failed: fig(failed, ['control_plane', 'iot_hub_twin']), offline: fig([]), unknown: fig([]) },
  nodes: { total: 4, outdated: fig(outdated), upToDate: fig([]), updating: fig([]), unknown: fig([]) },
  rows: [...onTarget.map((d) => row(d, 'on_target')), ...failed.map((d) => row(d, 'failed'))],
});
const report = {
  gateways: { total: 4 },
  nodes: { total: 8 },
  products: [{ productId: 'p1', productName: 'P', gateways: {}, nodes: {}, groups: [group('g1', 'Field', ['AA', 'BB'], ['CC'], ['AA', 'CC']), group('g2', 'Lab', ['DD'], [], ['DD'])] }],
};

test('a drill-down made ahead is the same as one made on the click, and rows are made once per group', () => {
  const fresh = JSON.parse(JSON.stringify(report));
  const onClick = drillDown(JSON.parse(JSON.stringify(report)), 'fleet', 'nodes.outdated');
  prepareDrillDown(fresh);
  const ahead = drillDown(fresh, 'fleet', 'nodes.outdated');
  assert.deepEqual(ahead, onClick);
  const again = drillDown(fresh, 'group:g1', 'gateways.failed');
  assert.equal(again.rows[0], ahead.rows.find((r) => r.deviceId === 'cc'), 'the same row object, not a copy');
  // A group still being counted has no rows to make; an id without a row still shows.
  const counting = { products: [{ productId: 'p', groups: [{ ...fresh.products[0].groups[0], counting: true, rows: undefined }] }] };
  prepareDrillDown(counting);
  assert.deepEqual(drillDown(counting, 'fleet', 'gateways.failed').rows.map((r) => [r.deviceId, r.status]), [['cc', 'unknown']]);
  prepareDrillDown(null);
});

test('the rows are the fleet, then each product followed by its groups', () => {
  const rows = fleetRows(report);
  assert.deepEqual(rows.map((r) => [r.level, r.name]), [['fleet', ''], ['product', 'P'], ['group', 'Field'], ['group', 'Lab']]);
  assert.deepEqual(fleetRows(null), []);
});

test('a group figure drills down to its gateways, with their rows; ids compare without case', () => {
  const d = drillDown(report, 'group:g1', 'gateways.onTarget');
  assert.deepEqual(d.rows.map((r) => r.deviceId), ['aa', 'bb']);
  assert.equal(d.rows[0].status, 'on_target');
  assert.equal(d.rows[0].groupName, 'Field');
  assert.deepEqual(handoff(d.rows, null), { groupId: 'g1', ids: ['aa', 'bb'] });
});

test('a product or fleet figure is the union of its groups, handed to step 5 or 6 one chosen group at a time', () => {
  const d = drillDown(report, 'fleet', 'nodes.outdated');
  assert.deepEqual(d.rows.map((r) => r.deviceId), ['aa', 'cc', 'dd']);
  assert.deepEqual(d.groupIds, ['g1', 'g2']);
  assert.deepEqual(drillGroups(d.rows), [
    { groupId: 'g1', groupName: 'Field', productName: 'P', count: 2 },
    { groupId: 'g2', groupName: 'Lab', productName: 'P', count: 1 },
  ]);
  assert.deepEqual(handoff(d.rows, null), { groupId: 'g1', ids: ['aa', 'cc'] }, 'the first group unless one is chosen');
  assert.deepEqual(handoff(d.rows, 'g2'), { groupId: 'g2', ids: ['dd'] });
  // A filter that leaves none of the chosen group falls back to a group it kept.
  assert.deepEqual(handoff(filterDrill(d.rows, 'field'), 'g2'), { groupId: 'g1', ids: ['aa', 'cc'] });
  assert.equal(handoff([], 'g1'), null);
  const failed = drillDown(report, 'product:p1', 'gateways.failed');
  assert.deepEqual(failed.rows.map((r) => r.deviceId), ['cc']);
  assert.deepEqual(drillGroups(failed.rows).map((g) => g.groupId), ['g1'], 'only one group has failed gateways');
  assert.deepEqual(drillDown(report, 'group:g2', 'gateways.failed').rows, []);
});

test('the report is put together from its messages: groups first, figures as they are counted, then done', () => {
  const totals = (n) => ({ total: n, onTarget: { count: n, asOf: '2026-12-02T10:00:00Z', sources: ['iot_hub_twin'] } });
  const headings = [
    { groupId: 'g2', groupName: 'Lab', productId: 'p1', productName: 'P' },
    { groupId: 'g3', groupName: 'Alpha', productId: 'p0', productName: null },
    { groupId: 'g1', groupName: 'Field', productId: 'p1', productName: 'P' },
  ];
  let r = applyCompliance(null, { type: 'groups', startedAt: 's', groups: headings });
  assert.equal(r.counting, true);
  // Sorted as the core sorts: product name (none first), then group name.
  assert.deepEqual(fleetRows(r).map((x) => [x.level, x.name, x.counting]), [
    ['fleet', '', true], ['product', 'p0', true], ['group', 'Alpha', true], ['product', 'P', true], ['group', 'Field', true], ['group', 'Lab', true],
  ]);
  assert.deepEqual(countingProgress(r), { groups: 3, done: 0, gateways: 0 });
  const before = r;
  r = applyCompliance(r, { type: 'counted', group: { groupId: 'g1', gateways: totals(50), nodes: { total: 9 } }, product: { productId: 'p1', gateways: totals(50), nodes: {} }, fleet: { gateways: totals(50), nodes: {} } });
  assert.notEqual(r, before, 'a new report object, so the view redraws');
  assert.equal(before.gateways, null, 'the earlier report is left as it was');
  const field = r.products[1].groups[0];
  assert.equal(field.counting, true);
  assert.equal(field.gateways.total, 50);
  assert.equal(r.products[1].gateways.total, 50);
  assert.deepEqual(countingProgress(r), { groups: 3, done: 0, gateways: 50 });
  const complete = group('g1', 'Field', ['AA'], [], []);
  r = applyCompliance(r, { type: 'group', group: complete, product: { productId: 'p1', gateways: totals(80), nodes: {} }, fleet: { gateways: totals(80), nodes: {} } });
  assert.equal(r.products[1].groups[0].counting, false);
  assert.deepEqual(r.products[1].groups[0].rows.map((x) => x.deviceId), ['AA']);
  assert.deepEqual(fleetRows(r).map((x) => x.counting), [true, true, true, true, false, true]);
  assert.deepEqual(drillDown(r, 'group:g1', 'gateways.onTarget').rows.map((x) => x.deviceId), ['aa']);
  assert.deepEqual(countingProgress(r), { groups: 3, done: 1, gateways: 80 });
  r = applyCompliance(r, { type: 'done', startedAt: 's', asOf: 'e', gateways: totals(90), nodes: {} });
  assert.equal(r.counting, false);
  assert.equal(r.asOf, 'e');
  assert.equal(fleetRows(r)[0].counting, false);
  assert.equal(applyCompliance(null, { type: 'counted' }), null, 'messages before the groups are ignored');
});

test('the drill-down filters on id, group, status and reason', () => {
  const rows = drillDown(report, 'fleet', 'gateways.onTarget').rows;
  assert.deepEqual(filterDrill(rows, 'lab').map((r) => r.deviceId), ['dd']);
  assert.deepEqual(filterDrill(rows, ' BB ').map((r) => r.deviceId), ['bb']);
  assert.equal(filterDrill(rows, '').length, 3);
});

test('the source of a figure names the control plane, the twin or both', () => {
  assert.equal(sourceKey(['iot_hub_twin']), 'fleet.source.twin');
  assert.equal(sourceKey(['control_plane']), 'fleet.source.plane');
  assert.equal(sourceKey(['control_plane', 'iot_hub_twin']), 'fleet.source.both');
  assert.equal(sourceKey([]), 'fleet.source.none');
});

test('migration: which profiles stand on which side, what is shown, how a difference reads', () => {
  const profiles = [{ name: 'Demo', backend: 'demo' }, { name: 'Old', backend: 'legacy' }, { name: 'New', backend: 'arm' }];
  assert.deepEqual(migrationSides(profiles), { from: ['Demo', 'Old'], to: ['Demo', 'New'] });
  const items = [{ kind: 'image', key: 'i', status: 'matched', differences: [] }, { kind: 'device_group', key: 'P/G', status: 'differs', differences: [{ field: 'name', from: 'G', to: null }] }];
  assert.deepEqual(migrationItems({ items }, false).map((i) => i.key), ['P/G']);
  assert.equal(migrationItems({ items }, true).length, 2);
  assert.deepEqual(differenceParts(items[1]), ['name: G → —']);
  assert.equal(migratedName('Old', ['Old', 'Old (ARM)']), 'Old (ARM 2)');
  assert.deepEqual(migrationFormProblems({ name: 'x', subscriptionId: ' ', resourceGroup: 'rg', catalog: '' }), ['subscriptionId', 'catalog']);
});
