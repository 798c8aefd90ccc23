// The Fleet screen's and the migration screen's pure logic (ui/js/fleet-logic.js): the figures
// as rows, the gateways behind a figure at the group, product and fleet level, the hand-off to
// step 5 (one group only), and the migration report's lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { differenceParts, drillDown, filterDrill, fleetRows, handoffGroup, migratedName, migrationFormProblems, migrationItems, migrationSides, sourceKey } from '../../ui/js/fleet-logic.js';

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
  assert.equal(handoffGroup(d), 'g1');
});

test('a product or fleet figure is the union of its groups, and cannot go to step 5 as one group', () => {
  const d = drillDown(report, 'fleet', 'nodes.outdated');
  assert.deepEqual(d.rows.map((r) => r.deviceId), ['aa', 'cc', 'dd']);
  assert.deepEqual(d.groupIds, ['g1', 'g2']);
  assert.equal(handoffGroup(d), null);
  const failed = drillDown(report, 'product:p1', 'gateways.failed');
  assert.deepEqual(failed.rows.map((r) => r.deviceId), ['cc']);
  assert.equal(handoffGroup(failed), 'g1', 'only one group has failed gateways');
  assert.deepEqual(drillDown(report, 'group:g2', 'gateways.failed').rows, []);
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
