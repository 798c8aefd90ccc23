// Runs that survive (issue 11), the UI side: the phase and window options as the shell takes
// them, the maintenance window's countdown (same rule as the core's schedule.rs), what an
// interrupted run and a run's ending say, the reload keys, and the fake backend's phased run
// (a question between phases, answered by update_now_continue; interrupted runs resumed).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createFakeBackend } from '../../ui/js/fake-backend.js';
import { formatCountdown, interruptedCounts, interruptedOf, localOffset, runEnding, runOptionsFrom, windowState } from '../../ui/js/fleet-runs.js';
import { guardReloadKeys, isReloadKey } from '../../ui/js/reload-guard.js';

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

test('the options form: nothing set is no options; numbers, thresholds and windows are checked', () => {
  assert.deepEqual(runOptionsFrom({}), { options: null });
  assert.deepEqual(runOptionsFrom({ canary: ' 3 ', batch: '10', maxFailed: '10 %' }, '+09:00'), { options: { canary: 3, batch: 10, maxFailed: '10%' } });
  assert.deepEqual(runOptionsFrom({ windowFrom: '2:00', windowTo: '05:30' }, '+09:00'), { options: { window: '02:00-05:30', windowTz: '+09:00' } });
  assert.deepEqual(runOptionsFrom({ canary: 'two' }), { error: 'runs.badCanary' });
  assert.deepEqual(runOptionsFrom({ batch: '-1' }), { error: 'runs.badBatch' });
  assert.deepEqual(runOptionsFrom({ maxFailed: '120%' }), { error: 'runs.badMaxFailed' });
  assert.deepEqual(runOptionsFrom({ maxFailed: 'many' }), { error: 'runs.badMaxFailed' });
  assert.deepEqual(runOptionsFrom({ windowFrom: '22:00' }), { error: 'runs.badWindow' }, 'a window needs both ends');
  assert.deepEqual(runOptionsFrom({ windowFrom: '24:00', windowTo: '01:00' }), { error: 'runs.badWindow' });
  assert.deepEqual(runOptionsFrom({ windowFrom: '03:00', windowTo: '3:00' }), { error: 'runs.badWindow' }, 'a window of no length');
});

test('the local offset is written as the shell parses it', () => {
  const at = (minutesWest) => ({ getTimezoneOffset: () => minutesWest });
  assert.equal(localOffset(at(-540)), '+09:00');
  assert.equal(localOffset(at(330)), '-05:30');
  assert.equal(localOffset(at(0)), '+00:00');
});

test('the window: open or closed at a time, and when that changes, across midnight and offsets', () => {
  const utc = (iso) => Date.parse(iso);
  const night = { window: '22:00-02:00', windowTz: '+09:00' };
  // 14:00 UTC = 23:00 at +09:00: open, closes at 02:00 local = 17:00 UTC.
  let s = windowState(night, utc('2026-12-02T14:00:00Z'));
  assert.equal(s.open, true);
  assert.equal(new Date(s.changeAt).toISOString(), '2026-12-02T17:00:00.000Z');
  // 17:00 UTC = 02:00 local: the end is outside; opens at 22:00 local = 13:00 UTC next day.
  s = windowState(night, utc('2026-12-02T17:00:00Z'));
  assert.equal(s.open, false);
  assert.equal(new Date(s.changeAt).toISOString(), '2026-12-03T13:00:00.000Z');
  // 13:00 UTC = 22:00 local: the start is inside.
  assert.equal(windowState(night, utc('2026-12-02T13:00:00Z')).open, true);
  const day = { window: '09:00-17:30', windowTz: '-05:00' };
  s = windowState(day, utc('2026-12-02T13:59:00Z'));
  assert.equal(s.open, false, '08:59 at -05:00');
  assert.equal(new Date(s.changeAt).toISOString(), '2026-12-02T14:00:00.000Z');
  assert.equal(windowState(null, 0), null);
  assert.equal(formatCountdown(3723000), '1:02:03');
  assert.equal(formatCountdown(-5), '0:00:00');
});

test('an interrupted run counts what was done, what was not started and what is unconfirmed', () => {
  const run = { kind: 'update_now', items: [{ stage: 'on_target' }, { stage: 'restarting', unconfirmed: 'restart' }, { stage: 'not_started' }] };
  assert.deepEqual(interruptedCounts(run), { total: 3, onTarget: 1, unconfirmed: 1, notStarted: 1 });
  const list = [{ kind: 'update_now', startedAt: '2026-12-01T00:00:00Z' }, { kind: 'node_update', startedAt: '2026-12-02T00:00:00Z' }, { kind: 'update_now', startedAt: '2026-12-02T00:00:00Z' }];
  assert.deepEqual(interruptedOf(list, 'update_now').map((r) => r.startedAt), ['2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z']);
  assert.deepEqual(runEnding({ run: 'update-1', stopped: 'window closed', deferred: ['a', 'b'], notStarted: [] }), { stopped: 'window closed', stoppedSaid: null, deferred: 2, notStarted: 0, runId: 'update-1' });
  const said = { key: 'window_closed', params: { window: '22:00-05:00 (UTC+09:00)', count: 2 } };
  assert.deepEqual(runEnding({ run: 'update-1', stopped: 'window closed', stoppedSaid: said, deferred: ['a', 'b'] }).stoppedSaid, said);
  assert.equal(runEnding(null), null);
});

test('reload keys: F5, Ctrl+R, Ctrl+Shift+R, Cmd+R; not plain R or Ctrl+Alt+R; blocked only when the shell asks', () => {
  for (const e of [{ key: 'F5' }, { key: 'r', ctrlKey: true }, { key: 'R', ctrlKey: true, shiftKey: true }, { key: 'r', metaKey: true }]) assert.ok(isReloadKey(e), JSON.stringify(e));
  for (const e of [{ key: 'r' }, { key: 'r', ctrlKey: true, altKey: true }, { key: 'F4' }, {}]) assert.ok(!isReloadKey(e), JSON.stringify(e));
  const listeners = [];
  const target = { addEventListener: (type, fn, capture) => listeners.push({ type, fn, capture }) };
  assert.equal(guardReloadKeys(target), false, 'a debug build (no mark) keeps the keys');
  target.__ASG_FOTA_BLOCK_RELOAD__ = true;
  assert.equal(guardReloadKeys(target), true);
  let prevented = 0;
  const press = (e) => listeners[0].fn({ ...e, preventDefault: () => (prevented += 1), stopPropagation() {} });
  press({ key: 'F5' });
  press({ key: 'a' });
  assert.equal(prevented, 1);
  assert.equal(listeners[0].capture, true, 'caught before the page sees it');
});

test('fake backend: a phased run asks between phases, goes on when told, and a stop leaves the rest not started', { timeout: 20000 }, async () => {
  const b = createFakeBackend({ search: '?fake=1&fakeGateways=50' });
  const [group] = await b.call('groups_list');
  const ids = (await b.call('gateways_list', { groupId: group.id })).filter((g) => g.connectionState === 'Connected').slice(0, 4).map((g) => g.deviceId);
  const messages = [];
  const onEvent = { onmessage: (e) => messages.push(e) };
  const { runId } = await b.call('update_now_start', { groupId: group.id, deviceIds: ids, options: { canary: 1, batch: 2 }, onEvent });
  await wait(3000);
  const asked = messages.find((m) => m.type === 'phase');
  assert.deepEqual(asked && [asked.finished, asked.next, asked.nextSize, asked.remaining], ['canary', 'batch 1', 2, 3]);
  assert.ok(messages.filter((m) => m.type === 'progress').every((m) => m.deviceId === ids[0] && m.phase === 'canary'), 'only the canary moved');
  const [listed] = await b.call('runs_list');
  assert.equal(listed.waiting.type, 'phase', 'a reloaded page finds the question');
  await b.call('update_now_continue', { runId, go: true });
  await wait(3000);
  const second = messages.filter((m) => m.type === 'phase');
  assert.equal(second.length, 2, 'asked again after batch 1');
  await b.call('update_now_continue', { runId, go: false });
  await wait(50);
  const done = messages.find((m) => m.type === 'done');
  assert.deepEqual(done.notStarted, [ids[3]]);
  assert.match(done.stopped, /batch 1/);
  await assert.rejects(b.call('update_now_continue', { runId, go: true }), (e) => e.kind === 'not_found');
});

test('fake backend: an interrupted run is listed, resumed (no gateway already on target again) or discarded', { timeout: 20000 }, async () => {
  const b = createFakeBackend({ search: '?fake=1&fakeGateways=50' });
  const [run] = await b.call('runs_interrupted');
  assert.equal(run.kind, 'update_now');
  const messages = [];
  await b.call('run_resume', { runId: run.runId, onEvent: { onmessage: (e) => messages.push(e) } });
  await wait(3000);
  const touched = new Set(messages.filter((m) => m.type === 'progress').map((m) => m.deviceId));
  for (const item of run.items.filter((i) => i.stage === 'on_target')) assert.ok(!touched.has(item.deviceId), 'an on-target gateway is left alone');
  assert.deepEqual(await b.call('runs_interrupted'), []);
  const other = createFakeBackend({ search: '?fake=1&fakeGateways=50' });
  const [again] = await other.call('runs_interrupted');
  await other.call('run_discard', { runId: again.runId });
  assert.deepEqual(await other.call('runs_interrupted'), []);
  await assert.rejects(other.call('run_discard', { runId: again.runId }), (e) => e.kind === 'not_found');
});
