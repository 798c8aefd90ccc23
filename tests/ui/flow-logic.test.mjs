// Tests of the pure rules behind steps 1 and 3–6 and the profile screen (ui/js/logic.js):
// windowing math, group search, selection, diff rows, run timelines, node guards, profile checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  applyDeviceProgress,
  applyNodeProgress,
  canUpdateNode,
  clock,
  defaultKeep,
  describeSession,
  diffRows,
  errorAction,
  movedGateways,
  uploadOutcome,
  uploadPhase,
  failedDevices,
  filterGateways,
  groupsByProduct,
  newProfile,
  parseDeviceIds,
  nodeKey,
  profileForSave,
  profileProblems,
  secondsLeft,
  selectionState,
  shortId,
  summarizeRun,
  toggleAll,
  toggleSelection,
  uploadPercent,
  visibleRange,
} from '../../ui/js/logic.js';

test('shortId keeps the first 8 and last 4 characters of a long id', () => {
  const id = 'a'.repeat(8) + 'b'.repeat(116) + 'cdef';
  assert.equal(shortId(id), 'aaaaaaaa…cdef');
  assert.equal(shortId('short'), 'short');
  assert.equal(shortId(''), '');
  assert.equal(shortId(null), '');
});

test('visibleRange builds only the rows in view plus overscan', () => {
  const table = [
    // [input, { start, end, offsetTop, totalHeight }]
    [{ scrollTop: 0, viewportHeight: 440, rowHeight: 44, total: 10000, overscan: 0 }, { start: 0, end: 10, offsetTop: 0, totalHeight: 440000 }],
    [{ scrollTop: 0, viewportHeight: 440, rowHeight: 44, total: 10000, overscan: 5 }, { start: 0, end: 15, offsetTop: 0, totalHeight: 440000 }],
    [{ scrollTop: 4400, viewportHeight: 440, rowHeight: 44, total: 10000, overscan: 5 }, { start: 95, end: 115, offsetTop: 4180, totalHeight: 440000 }],
    [{ scrollTop: 4422, viewportHeight: 440, rowHeight: 44, total: 10000, overscan: 0 }, { start: 100, end: 111, offsetTop: 4400, totalHeight: 440000 }],
    // Scrolled past the end (the list shrank under the scroll position).
    [{ scrollTop: 1e9, viewportHeight: 440, rowHeight: 44, total: 3, overscan: 2 }, { start: 1, end: 3, offsetTop: 44, totalHeight: 132 }],
    [{ scrollTop: 0, viewportHeight: 440, rowHeight: 44, total: 0, overscan: 8 }, { start: 0, end: 0, offsetTop: 0, totalHeight: 0 }],
    // Nonsense input never produces a negative or NaN range.
    [{ scrollTop: -50, viewportHeight: NaN, rowHeight: 0, total: 5, overscan: 0 }, { start: 0, end: 0, offsetTop: 0, totalHeight: 5 }],
  ];
  for (const [input, want] of table) assert.deepEqual(visibleRange(input), want, JSON.stringify(input));
});

const groups = [
  { id: 'g1', name: 'Production', productId: 'p1', productName: 'ASG210 Ethernet', description: 'line A' },
  { id: 'g2', name: 'Field Test', productId: 'p1', productName: 'ASG210 Ethernet', description: '' },
  { id: 'g3', name: 'Production', productId: 'p2', productName: 'Sensor Hub', description: 'lab' },
  { id: 'g4', name: 'Beta', productId: 'p0', productName: 'Air Quality', description: '' },
];

test('group search matches every word against product, group and description, grouped and sorted', () => {
  const table = [
    ['', ['Air Quality:Beta', 'ASG210 Ethernet:Field Test,Production', 'Sensor Hub:Production']],
    ['production', ['ASG210 Ethernet:Production', 'Sensor Hub:Production']],
    ['sensor prod', ['Sensor Hub:Production']],
    ['  ETHERNET   field ', ['ASG210 Ethernet:Field Test']],
    ['line a', ['ASG210 Ethernet:Production']],
    ['nothing-like-this', []],
  ];
  for (const [query, want] of table) {
    const got = groupsByProduct(groups, query).map((p) => `${p.productName}:${p.groups.map((g) => g.name).join(',')}`);
    assert.deepEqual(got, want, query);
  }
  assert.deepEqual(groupsByProduct(null, ''), []);
});

test('gateway filter matches id, versions, state and group, case-insensitively', () => {
  const gws = [
    { deviceId: 'ABCDEF0123', groupName: 'Production', hlAppVer: '1.2.0', rtAppVer: '2.0.9', connectionState: 'Connected' },
    { deviceId: '99ffee', groupName: 'Field Test', hlAppVer: '1.3.0', rtAppVer: '2.1.0', connectionState: 'Disconnected' },
  ];
  assert.equal(filterGateways(gws, ''), gws);
  assert.deepEqual(filterGateways(gws, 'abcdef').map((g) => g.deviceId), ['ABCDEF0123']);
  assert.deepEqual(filterGateways(gws, 'disconnected 1.3').map((g) => g.deviceId), ['99ffee']);
  assert.deepEqual(filterGateways(gws, 'connected').length, 2);
  assert.deepEqual(filterGateways(gws, 'field 1.2'), []);
});

test('selection: toggle one, select all over the filtered ids, and clear them again', () => {
  let sel = new Set();
  sel = toggleSelection(sel, 'a');
  assert.deepEqual([...sel], ['a']);
  assert.equal(selectionState(sel, ['a', 'b']), 'some');
  const before = sel;
  sel = toggleAll(sel, ['a', 'b', 'c']);
  assert.deepEqual([...sel].sort(), ['a', 'b', 'c']);
  assert.deepEqual([...before], ['a'], 'the old selection is not mutated');
  assert.equal(selectionState(sel, ['a', 'b', 'c']), 'all');
  // Rows hidden by the filter keep their state when the visible ones are cleared.
  sel = toggleSelection(sel, 'z');
  sel = toggleAll(sel, ['a', 'b', 'c']);
  assert.deepEqual([...sel], ['z']);
  assert.equal(selectionState(sel, []), 'none');
  assert.deepEqual([...toggleAll(new Set(), [])], []);
});

test('select all over 10,000 ids stays well under the 100 ms budget', () => {
  const ids = Array.from({ length: 10000 }, (_, i) => `id-${i}`);
  const t0 = performance.now();
  const sel = toggleAll(new Set(), ids);
  selectionState(sel, ids);
  assert.equal(sel.size, 10000);
  assert.ok(performance.now() - t0 < 100);
});

test('upload percent is whole, clamped and 0 for an unknown total', () => {
  const table = [
    [{ bytesSent: 0, totalBytes: 100 }, 0],
    [{ bytesSent: 50, totalBytes: 100 }, 50],
    [{ bytesSent: 999, totalBytes: 1000 }, 99],
    [{ bytesSent: 200, totalBytes: 100 }, 100],
    [{ bytesSent: 10, totalBytes: 0 }, 0],
    [{}, 0],
    [null, 0],
  ];
  for (const [input, want] of table) assert.equal(uploadPercent(input), want, JSON.stringify(input));
});

test('step 3 keeps current images whose component no package replaces', () => {
  const fresh = [
    { imageId: 'new-hl', componentId: 'COMP-HL', kind: 'HLApp' },
    { imageId: 'bc', componentId: 'comp-bc', kind: 'BoardConfig' },
  ];
  const current = [
    { id: 'old-hl', componentId: 'comp-hl', kind: 'HLApp' },
    { id: 'logger', componentId: 'comp-log', kind: 'RTApp' },
    { id: 'bc', componentId: 'comp-bc', kind: 'BoardConfig' },
  ];
  const keep = defaultKeep(fresh, current);
  assert.deepEqual([...keep], ['logger']);
  assert.deepEqual([...defaultKeep([], null)], []);
});

test('step 3 does not keep a current image for which no slot is left', () => {
  const rt = (id, c) => ({ imageId: id, id, componentId: c, kind: 'RTApp' });
  // Two new RTApps fill both real-time slots: the current third RTApp is not kept.
  assert.deepEqual([...defaultKeep([rt('a', 'ca'), rt('b', 'cb')], [rt('c', 'cc')])], []);
  // One new RTApp leaves one slot: only the first other current RTApp is kept.
  assert.deepEqual([...defaultKeep([rt('a', 'ca')], [rt('c', 'cc'), rt('d', 'cd')])], ['c']);
  // Four new images: nothing more fits.
  const four = [rt('a', 'ca'), { imageId: 'h', componentId: 'ch', kind: 'HLApp' }, { imageId: 'x', componentId: 'cx', kind: 'BoardConfig' }, rt('b', 'cb')];
  assert.deepEqual([...defaultKeep(four, [{ id: 'o', componentId: 'co', kind: 'Other' }])], []);
});

test('diff rows put removed components first, then replaced, added, kept', () => {
  const img = (id) => ({ id, name: id, kind: 'RTApp' });
  const rows = diffRows({ kept: [img('k')], replaced: [{ from: img('o'), to: img('n') }], added: [img('a')], removed: [img('r')] });
  assert.deepEqual(rows.map((r) => r.change), ['removed', 'replaced', 'added', 'kept']);
  assert.equal(rows[0].to, null);
  assert.equal(rows[1].from.id, 'o');
  assert.equal(rows[1].to.id, 'n');
  assert.equal(rows[2].from, null);
  assert.deepEqual(diffRows(undefined), []);
});

test('update-now timelines keep each status with its time and ignore repeats and strays', () => {
  let tl = {};
  const ev = (deviceId, status, at, reason) => ({ type: 'progress', deviceId, status, at, reason });
  tl = applyDeviceProgress(tl, ev('d1', 'requested', 't1'));
  tl = applyDeviceProgress(tl, ev('d1', 'restarting', 't2'));
  const same = applyDeviceProgress(tl, ev('d1', 'restarting', 't2'));
  assert.equal(same, tl, 'a repeated message changes nothing');
  assert.equal(applyDeviceProgress(tl, { type: 'done', succeeded: [] }), tl, 'a message without a device is ignored');
  tl = applyDeviceProgress(tl, ev('d2', 'requested', 't1'));
  tl = applyDeviceProgress(tl, ev('d2', 'failed', 't2', 'offline'));
  tl = applyDeviceProgress(tl, ev('d1', 'checked_in', 't3'));
  tl = applyDeviceProgress(tl, ev('d1', 'on_target', 't4'));
  assert.deepEqual(tl.d1.map((e) => `${e.status}@${e.at}`), ['requested@t1', 'restarting@t2', 'checked_in@t3', 'on_target@t4']);
  assert.equal(tl.d2[1].reason, 'offline');
  const ids = ['d1', 'd2', 'd3'];
  assert.deepEqual(summarizeRun(tl, ids), { total: 3, done: 2, onTarget: 1, failed: 1, running: 1 });
  assert.deepEqual(failedDevices(tl, ids), ['d2']);
});

test('Update is offered only where the available version is numerically higher', () => {
  const table = [
    [{ updatable: true, current: '1.0.9', available: '1.0.10' }, true],
    [{ updatable: true, current: '1.0.10', available: '1.0.9' }, false, 'a backend mistake never offers a downgrade'],
    [{ updatable: true, current: '1.0.10', available: '1.0.10' }, false],
    [{ updatable: false, current: '1.0.8', available: '1.0.10' }, false],
    [{ updatable: true, current: '', available: '1.0.1' }, true],
    [{ updatable: true, current: '1.0.1', available: '' }, false],
    [null, false],
  ];
  for (const [node, want, why] of table) assert.equal(canUpdateNode(node), want, why || JSON.stringify(node));
});

test('node progress is keyed by gateway and MAC (any case) and ignores what is no progress', () => {
  assert.equal(nodeKey({ gatewayId: 'g', mac: '00:08:DC:AA' }), 'g/00:08:dc:aa');
  let p = {};
  p = applyNodeProgress(p, { type: 'progress', gatewayId: 'g', mac: '00:08:DC:AA', state: 'InProgress', percent: 40, at: 't' });
  assert.equal(p['g/00:08:dc:aa'].percent, 40);
  p = applyNodeProgress(p, { type: 'progress', gatewayId: 'g', mac: '00:08:dc:aa', state: 'Failed', error: 'timeout' });
  assert.equal(p['g/00:08:dc:aa'].state, 'Failed');
  assert.equal(p['g/00:08:dc:aa'].percent, 40, 'a message without a percent keeps the last one');
  assert.equal(applyNodeProgress(p, { type: 'done', succeeded: [], failed: [], cancelled: [] }), p);
});

test('gateways an update moves are named by the group they leave', () => {
  const gw = (deviceId, groupId, groupName, inGroup = true) => ({ deviceId, groupId, groupName, inGroup });
  const items = [gw('a', 'g1', 'Production'), gw('b', 'g2', 'Field Test', false), gw('c', 'g3', 'Lab', false), gw('d', 'g2', 'Field Test', false), gw('e', null, null, false)];
  assert.deepEqual(movedGateways(items, ['a', 'b', 'c', 'd', 'e'], 'g1'), [
    { from: 'Field Test', ids: ['b', 'd'] },
    { from: 'Lab', ids: ['c'] },
    { from: null, ids: ['e'] },
  ]);
  assert.deepEqual(movedGateways(items, ['a'], 'g1'), [], 'a gateway already in the group is not moved');
  assert.deepEqual(movedGateways(items, ['zz'], 'g1'), [], 'an id not in the table is not named');
});

test('upload answers and final phases map onto each other', () => {
  const table = [
    [{ outcome: 'uploaded' }, 'done', 'uploaded'],
    [{ outcome: 'skipped' }, 'skipped', 'skipped'],
    [{ outcome: 'failed', error: { kind: 'io' } }, 'failed', 'failed'],
    [{ outcome: 'cancelled', error: { kind: 'cancelled' } }, 'cancelled', 'cancelled'],
    [{ outcome: 'failed', error: { kind: 'cancelled' } }, 'cancelled', 'cancelled'],
  ];
  for (const [answer, phase, outcome] of table) {
    assert.equal(uploadPhase(answer), phase, JSON.stringify(answer));
    assert.equal(uploadOutcome(phase), outcome, phase);
  }
});

test('sign-in countdown', () => {
  assert.equal(secondsLeft(10_000, 0), 10);
  assert.equal(secondsLeft(10_000, 9_001), 1);
  assert.equal(secondsLeft(10_000, 20_000), 0);
  assert.equal(clock(900), '15:00');
  assert.equal(clock(59), '0:59');
  assert.equal(clock(-3), '0:00');
});

test('profile problems name the field and the rule it breaks', () => {
  const ok = { ...newProfile('legacy'), name: 'Factory' };
  assert.deepEqual(profileProblems(ok), []);
  const table = [
    [{ name: '' }, [['name', 'required']]],
    [{ name: 'Demo tenant' }, [['name', 'taken']]],
    [{ backend: 'arm', subscriptionId: '', resourceGroup: 'rg', catalog: '' }, [['subscriptionId', 'required'], ['catalog', 'required']]],
    [{ apiBaseUrl: 'ftp://x' }, [['apiBaseUrl', 'url']]],
    [{ authorityHost: 'login.microsoftonline.com' }, [['authorityHost', 'url']]],
    [{ iothubHost: 'https://hub.azure-devices.net/' }, [['iothubHost', 'host']]],
    [{ concurrency: 0 }, [['concurrency', 'range']]],
    [{ concurrency: 65 }, [['concurrency', 'range']]],
    [{ concurrency: 2.5 }, [['concurrency', 'range']]],
  ];
  for (const [change, want] of table) {
    const got = profileProblems({ ...ok, ...change }, ['Demo tenant']).map((p) => [p.field, p.code]);
    assert.deepEqual(got, want, JSON.stringify(change));
  }
});

test('errors offer the action a person can take: the table of kind → action', () => {
  const table = [
    ['signed_out', 'sign_in'],
    ['sign_in_failed', 'sign_in'],
    ['network', 'retry'],
    ['throttled', 'retry'],
    ['device_offline', 'retry'],
    ['unknown', 'retry'],
    ['damaged_package', 'choose_file'],
    ['too_large', 'choose_file'],
    ['io', 'choose_file'],
    ['keychain_unavailable', 'open_settings'],
    ['config_damaged', 'open_settings'],
    ['profile', 'open_settings'],
    ['forbidden', 'open_settings'],
    ['policy_blocks_updates', 'none'],
    ['preflight_failed', 'none'],
    ['cancelled', 'none'],
    ['internal', 'none'],
    ['not_in_app', 'none'],
    ['a_kind_nobody_knows', 'none'],
  ];
  for (const [kind, action] of table) assert.equal(errorAction(kind), action, kind);
});

test('pasted device ids: 128 hex digits, any separator, deduplicated; the rest named', () => {
  const a = 'A'.repeat(128);
  const b = '0f'.repeat(64);
  const { ids, invalid } = parseDeviceIds(` ${a}, ${b};\n${a.toLowerCase()}  nope ${'a'.repeat(127)} `);
  assert.deepEqual(ids, ['a'.repeat(128), b]);
  assert.deepEqual(invalid, ['nope', 'a'.repeat(127)]);
  assert.deepEqual(parseDeviceIds(''), { ids: [], invalid: [] });
});

test('the session reads the same from the contract shape and the shell shape', () => {
  const contract = describeSession({ profile: 'P', backend: 'arm', signedIn: true, user: { name: 'Kim', upn: 'kim@x' }, role: 'Reader', tenant: 'T', demo: false });
  assert.deepEqual([contract.name, contract.upn, contract.role, contract.tenant], ['Kim', 'kim@x', 'Reader', 'T']);
  const shell = describeSession({ profile: 'P', backend: 'legacy', signedIn: false, account: 'kim@x', roles: ['Contributor', 'Reader'], scope: 'tenant 1', tenant: null, demo: false, problem: { kind: 'signed_out', message: 'm' } });
  assert.deepEqual([shell.name, shell.upn, shell.role, shell.tenant, shell.problem.kind], ['kim@x', null, 'Contributor', 'tenant 1', 'signed_out']);
  assert.equal(describeSession(null), null);
});

test('a profile sent to profile_save has no empty strings and none of the shell-filled flags', () => {
  const p = profileForSave({ ...newProfile('arm'), name: '  Factory ', apiBaseUrl: '  ', catalog: ' cat ', signedIn: true, hasClientSecret: true, builtIn: false, hasIothubConnectionString: false });
  assert.equal(p.name, 'Factory');
  assert.equal(p.apiBaseUrl, null);
  assert.equal(p.tenantId, null);
  assert.equal(p.catalog, 'cat');
  assert.equal(p.concurrency, 8);
  assert.equal(p.contract.restartMethod, 'RestartDevice');
  for (const key of ['signedIn', 'hasClientSecret', 'builtIn', 'hasIothubConnectionString']) assert.ok(!(key in p), key);
});
