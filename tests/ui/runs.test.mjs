// Runs over channels (ui/js/backend.js startRun/attachRun, ui/js/runs.js runFollower), with a
// stand-in for Tauri 2's global: the start command's channel is a `Channel` whose messages
// may come before the command answers (nothing is buffered or lost), a run no longer shown
// is ignored, a run ends once, and a reattach to a run that is over ends it.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { runsInFlight } from '../../ui/js/backend.js';
import { runFollower } from '../../ui/js/runs.js';

class Channel {
  constructor() {
    this.handler = null;
  }

  set onmessage(handler) {
    this.handler = handler;
  }

  get onmessage() {
    return this.handler;
  }
}

/** Installs a fake `window.__TAURI__` whose `invoke` is `invoke(command, args)`. */
function withTauri(invoke, body) {
  globalThis.window = { __TAURI__: { core: { Channel, invoke } } };
  return body().finally(() => {
    delete globalThis.window;
  });
}

test('messages sent before the start command answers belong to the run; done ends it once', () =>
  withTauri(async (command, args) => {
    assert.equal(command, 'update_now_start');
    assert.ok(args.onEvent instanceof Channel, 'onEvent is a Tauri Channel');
    args.onEvent.onmessage({ type: 'progress', deviceId: 'd1', status: 'requested', at: 't' });
    args.onEvent.onmessage({ type: 'done', succeeded: ['d1'], failed: [], cancelled: [] });
    args.onEvent.onmessage({ type: 'done', succeeded: ['d1'], failed: [], cancelled: [] });
    return { runId: 'r1' };
  }, async () => {
    const seen = [];
    const runs = runFollower({ onProgress: (run, m) => seen.push(['progress', m.deviceId]), onDone: (run, m) => seen.push(['done', m && m.succeeded.length]) });
    const run = { done: false };
    const answer = await runs.start('update_now_start', { groupId: 'g', deviceIds: ['d1'] }, run);
    assert.deepEqual(answer, { runId: 'r1' });
    assert.equal(run.done, true);
    assert.deepEqual(seen, [['progress', 'd1'], ['done', 1]]);
  }));

test('a run that is no longer shown is ignored; a failed start shows nothing', () => {
  const channels = [];
  return withTauri(async (command, args) => {
    if (command === 'node_update_start' && args.items.length === 0) throw { kind: 'invalid_input', message: 'no items' };
    channels.push(args.onEvent);
    return { runId: `r${channels.length}` };
  }, async () => {
    const seen = [];
    const runs = runFollower({ onProgress: (run, m) => seen.push(`${run.name}:${m.mac}`), onDone: (run) => seen.push(`${run.name}:done`) });
    await runs.start('node_update_start', { items: [{ gatewayId: 'g', mac: 'a' }] }, { name: 'first', done: false });
    await runs.start('node_update_start', { items: [{ gatewayId: 'g', mac: 'b' }] }, { name: 'second', done: false });
    channels[0].onmessage({ type: 'progress', gatewayId: 'g', mac: 'a', state: 'InProgress', at: 't' });
    channels[1].onmessage({ type: 'progress', gatewayId: 'g', mac: 'b', state: 'InProgress', at: 't' });
    channels[1].onmessage({ type: 'something else' });
    channels[1].onmessage({ type: 'done', succeeded: [], failed: [], cancelled: [] });
    assert.deepEqual(seen, ['second:b', 'second:done']);
    await assert.rejects(runs.start('node_update_start', { items: [] }, { name: 'third', done: false }), { kind: 'invalid_input' });
  });
});

test('attach follows a run on a new channel, and ends a run that is already over', () => {
  const calls = [];
  return withTauri(async (command, args) => {
    calls.push([command, args.runId]);
    if (command === 'runs_list') return [{ runId: 'r9', kind: 'update_now', startedAt: 't', items: [] }];
    if (args.runId === 'gone') throw { kind: 'not_found', message: 'over' };
    args.onEvent.onmessage({ type: 'progress', deviceId: 'd', status: 'restarting', at: 't' });
    return null;
  }, async () => {
    assert.equal((await runsInFlight())[0].runId, 'r9');
    const seen = [];
    const runs = runFollower({ onProgress: (run, m) => seen.push(m.status), onDone: (run, m) => seen.push(m === null ? 'over' : 'done') });
    const live = { done: false };
    await runs.attach('r9', live);
    assert.equal(live.done, false);
    const gone = { done: false };
    await runs.attach('gone', gone);
    assert.equal(gone.done, true);
    assert.deepEqual(seen, ['restarting', 'over']);
    assert.deepEqual(calls.slice(1), [['run_attach', 'r9'], ['run_attach', 'gone']]);
  });
});

test('runs_list that cannot be asked for means no runs', async () => {
  assert.deepEqual(await runsInFlight(), [], 'outside the app');
});
