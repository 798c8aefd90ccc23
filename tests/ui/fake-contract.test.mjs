// The fake backend (ui/js/fake-backend.js, `?fake=1`) against docs/gui-contract.json: every
// command of the contract exists in the fake and no other, and every answer, rejection and
// channel message the fake produces on a walk through all six steps has the contract's shape
// (field names, types, enums; closed objects). So the preview cannot drift from the app.
// The checker itself is tested first: it must be able to fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { FakeChannel, createFakeBackend } from '../../ui/js/fake-backend.js';
import { CONTRACT, errorMismatches, mismatches } from './contract-shape.mjs';

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const FAKE_ONLY = ['fake_hints'];

test('the shape checker accepts what fits and names what does not', () => {
  const contract = {
    types: {
      Item: { id: 'string', size: 'number|null', 'note?': 'string', kind: 'enum:a,b' },
      A: { type: 'enum:progress', n: 'number' },
      B: { type: 'enum:progress', s: 'string' },
      Alias: 'enum:x,y',
    },
  };
  const fits = [
    [{ id: 'i', size: null, kind: 'a' }, 'Item'],
    [{ id: 'i', size: 3, note: 'n', kind: 'b' }, 'Item'],
    [[{ type: 'progress', n: 1 }, { type: 'progress', s: 's' }], '[A|B]'],
    ['x', 'Alias'],
    [null, 'Item|null'],
    [{ anything: [1] }, 'object'],
    [{ onmessage: null }, 'channel:Whatever'],
  ];
  for (const [value, expr] of fits) assert.deepEqual(mismatches(value, expr, '$', contract), [], `${JSON.stringify(value)} as ${expr}`);
  const misfits = [
    [{ id: 'i', size: 1 }, 'Item', /kind: missing/],
    [{ id: 'i', size: '1', kind: 'a' }, 'Item', /size: fits none/],
    [{ id: 'i', size: 1, kind: 'c' }, 'Item', /"c" is not one of a, b/],
    [{ id: 'i', size: 1, kind: 'a', extra: true }, 'Item', /extra: not in Item/],
    [[{ type: 'progress', n: 'one' }], '[A|B]', /fits none of A\|B/],
    ['z', 'Alias', /not one of x, y/],
    [1, '[string]', /expected an array/],
    [{}, 'Missing', /no type Missing/],
    [{}, 'channel:X', /expected a channel/],
  ];
  for (const [value, expr, pattern] of misfits) {
    const found = mismatches(value, expr, '$', contract);
    assert.ok(found.some((m) => pattern.test(m)), `${JSON.stringify(value)} as ${expr}: ${found.join('; ') || 'no mismatch'}`);
  }
});

test('the fake implements exactly the contract’s commands', () => {
  const b = createFakeBackend({ search: '?fake=1&fakeGateways=20' });
  const fake = b.commandNames().filter((n) => !FAKE_ONLY.includes(n)).sort();
  assert.deepEqual(fake, Object.keys(CONTRACT.commands).sort());
});

/** A fake backend whose every call is checked against the contract (args, answer or rejection). */
function checkedFake(query) {
  const b = createFakeBackend({ search: query });
  const problems = [];
  const messages = [];
  return {
    problems,
    messages,
    /** A channel whose messages are collected and checked against the command's channel type. */
    channel(channelType) {
      const got = [];
      return {
        got,
        onmessage: (m) => {
          got.push(m);
          messages.push([channelType, m]);
          problems.push(...mismatches(m, CONTRACT.channels[channelType], `${channelType} message`));
        },
      };
    },
    async call(name, args = {}) {
      const spec = CONTRACT.commands[name];
      assert.ok(spec, `${name} is not in the contract`);
      problems.push(...mismatches(args, `__args_${name}`, `${name} args`, { ...CONTRACT, types: { ...CONTRACT.types, [`__args_${name}`]: spec.args } }));
      try {
        const answer = await b.call(name, args);
        problems.push(...mismatches(answer, spec.returns, `${name} answer`));
        return answer;
      } catch (err) {
        problems.push(...errorMismatches(err, `${name} rejection`));
        throw err;
      }
    },
  };
}

test('a walk through all six steps: every answer, rejection and channel message fits the contract', { timeout: 60000 }, async () => {
  const b = checkedFake('?fake=1&fakeGateways=30');
  await b.call('app_info');
  const paths = await b.call('pick_packages');
  const inspected = await b.call('inspect_packages', { paths });
  assert.ok(inspected.some((r) => r.ok) && inspected.some((r) => !r.ok), 'a readable and a damaged package');

  const list = await b.call('profiles_list');
  await b.call('session_info');
  const saved = await b.call('profile_save', { profile: { name: 'Bench', backend: 'legacy', tenantId: 'a', iothubHost: 'h.azure-devices.net', concurrency: 4 } });
  assert.equal(saved.name, 'Bench');
  await b.call('profile_set_secret', { name: 'Bench', what: 'clientSecret', value: 'secret-value' });
  await assert.rejects(b.call('profile_set_secret', { name: 'Bench', what: 'iothubConnectionString', value: 'nope' }));
  await b.call('profile_activate', { name: 'Bench' });
  await assert.rejects(b.call('groups_list'), { kind: 'signed_out' });
  const prompt = await b.call('sign_in_start', { name: 'Bench' });
  assert.ok(prompt.userCode);
  const finish = b.call('sign_in_finish').catch((e) => e);
  await b.call('sign_in_cancel');
  assert.equal((await finish).kind, 'cancelled');
  await assert.rejects(b.call('sign_in_service_principal', { name: 'Bench', clientSecret: 'x' }));
  await b.call('profile_activate', { name: list.active });
  await b.call('profile_remove', { name: 'Bench' });
  await b.call('sign_out', { name: 'nobody' });

  const groups = await b.call('groups_list');
  const [group] = groups;
  const up = b.channel('UploadEvent');
  const results = await b.call('packages_upload', { paths: [paths[0], paths[4], '/x/asg210_eth_board_config.imagepackage'], onEvent: up });
  assert.deepEqual(results.map((r) => r.outcome), ['uploaded', 'failed', 'skipped']);
  assert.deepEqual(results.map((r) => r.path), [paths[0], paths[4], '/x/asg210_eth_board_config.imagepackage'], 'answer rows keyed by full path');
  await wait(20);
  assert.ok(up.got.length > 0 && up.got.every((m) => results.some((r) => r.path === m.path)), 'progress keyed by full path');
  await b.call('upload_cancel');
  const plan = await b.call('deployment_plan', { groupId: group.id, imageIds: [results[0].imageId] });
  assert.equal(plan.ok, true);
  await b.call('deployment_plan', { groupId: group.id, imageIds: ['not-uploaded'] });
  await b.call('deployment_create', { groupId: group.id, imageIds: [results[0].imageId] });
  await b.call('deployments_list', { groupId: group.id });

  const gws = await b.call('gateways_list', { groupId: group.id });
  const un = b.channel('UpdateNowEvent');
  const { runId } = await b.call('update_now_start', { groupId: group.id, deviceIds: [gws[0].deviceId, gws[5].deviceId, gws[6].deviceId], onEvent: un });
  await wait(300);
  const inFlight = await b.call('runs_list');
  assert.equal(inFlight.length, 1);
  assert.equal(inFlight[0].runId, runId);
  const again = b.channel('RunEvent');
  assert.equal(await b.call('run_attach', { runId, onEvent: again }), null);
  await wait(3000);
  assert.equal(again.got.at(-1).type, 'done', 'the reattached channel gets the end of the run');
  assert.ok(un.got.length > 0, 'the first channel had the start of the run');
  assert.deepEqual(await b.call('runs_list'), []);
  await assert.rejects(b.call('run_attach', { runId, onEvent: b.channel('RunEvent') }), { kind: 'not_found' });
  const blocked = groups.find((g) => g.updatePolicy === 'NoUpdates');
  await assert.rejects(b.call('update_now_start', { groupId: blocked.id, deviceIds: [gws[1].deviceId], onEvent: b.channel('UpdateNowEvent') }), { kind: 'policy_blocks_updates' });
  const cancelled = b.channel('UpdateNowEvent');
  const second = await b.call('update_now_start', { groupId: group.id, deviceIds: [gws[1].deviceId], onEvent: cancelled });
  await wait(100);
  await b.call('update_now_cancel', { runId: second.runId });
  await wait(20);
  assert.equal(cancelled.got.at(-1).type, 'done');

  const nodes = await b.call('nodes_list', { deviceIds: gws.slice(0, 4).map((g) => g.deviceId) });
  const items = nodes.slice(0, 6).map((n) => ({ gatewayId: n.gatewayId, mac: n.mac }));
  const nu = b.channel('NodeUpdateEvent');
  const nodeRun = await b.call('node_update_start', { items, onEvent: nu });
  await wait(200);
  assert.equal((await b.call('runs_list'))[0].kind, 'node_update');
  await wait(3500);
  assert.equal(nu.got.at(-1).type, 'done');
  const nc = b.channel('NodeUpdateEvent');
  const third = await b.call('node_update_start', { items: items.slice(0, 2), onEvent: nc });
  await b.call('node_update_cancel', { runId: third.runId });
  await wait(20);
  assert.equal(nc.got.at(-1).type, 'done');
  assert.ok(nodeRun.runId);
  await b.call('journal_recent', { limit: 10 });

  assert.deepEqual(b.problems, [], 'shape mismatches');
  const types = new Set(b.messages.map(([channel, m]) => `${channel}:${m.type}`));
  for (const seen of ['UploadEvent:progress', 'UpdateNowEvent:progress', 'UpdateNowEvent:done', 'RunEvent:progress', 'RunEvent:done', 'NodeUpdateEvent:progress', 'NodeUpdateEvent:done']) {
    assert.ok(types.has(seen), `no ${seen} message was checked`);
  }
});

test('signed out, the session says why and every tenant call rejects with a CommandError', async () => {
  const b = checkedFake('?fake=1&fakeSignedOut=1&fakeGateways=5');
  const session = await b.call('session_info');
  assert.equal(session.signedIn, false);
  assert.equal(session.problem.kind, 'signed_out');
  await assert.rejects(b.call('groups_list'), { kind: 'signed_out' });
  await assert.rejects(b.call('gateways_list', { groupId: 'g' }), { kind: 'signed_out' });
  assert.deepEqual(b.problems, []);
});

test('a run in flight at start (?fakeRunInFlight=1) is listed with its latest state and can be attached', { timeout: 20000 }, async () => {
  const b = checkedFake('?fake=1&fakeRunInFlight=1&fakeGateways=30');
  await wait(300);
  const [run] = await b.call('runs_list');
  assert.equal(run.kind, 'update_now');
  assert.ok(run.groupId);
  assert.ok(run.items.length > 0 && run.items.every((i) => i.type === 'progress'));
  const ch = b.channel('RunEvent');
  await b.call('run_attach', { runId: run.runId, onEvent: ch });
  await b.call('update_now_cancel', { runId: run.runId });
  await wait(50);
  assert.equal(ch.got.at(-1).type, 'done');
  assert.ok(ch.got.at(-1).cancelled.length > 0);
  assert.deepEqual(b.problems, []);
});

test('FakeChannel delivers later and in order, and refuses what is not a channel', async () => {
  const got = [];
  const ch = new FakeChannel({ onmessage: (m) => got.push(m) });
  ch.send(1);
  ch.send(2);
  assert.deepEqual(got, [], 'not inside the call that sent');
  await wait(5);
  assert.deepEqual(got, [1, 2]);
  assert.throws(() => new FakeChannel(undefined), { kind: 'invalid_input' });
});

test('every command the UI calls is in the contract, with exactly the arguments the contract lists', async () => {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const root = new URL('../../ui/js/', import.meta.url).pathname;
  const files = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.js') && n !== 'fake-backend.js' ? [join(dir, n)] : []));
  const problems = [];
  let seen = 0;
  for (const path of files(root)) {
    const src = readFileSync(path, 'utf8');
    for (const m of src.matchAll(/\b(call|startRun|runs\.start)\('([a-z_]+)'(?:,\s*\{([^}]*)\})?/g)) {
      const [, how, command, body] = m;
      if (FAKE_ONLY.includes(command)) continue;
      seen += 1;
      const spec = CONTRACT.commands[command];
      if (!spec) {
        problems.push(`${command} is not in the contract`);
        continue;
      }
      const keys = new Set((body || '').split(',').map((part) => part.trim().split(/[\s:]/)[0]).filter(Boolean));
      if (how !== 'call') keys.add('onEvent');
      const listed = Object.keys(spec.args).map((k) => k.replace(/\?$/, ''));
      const required = Object.keys(spec.args).filter((k) => !k.endsWith('?'));
      for (const key of keys) if (!listed.includes(key)) problems.push(`${command} is sent ${key}, which the contract does not list`);
      for (const key of required) if (!keys.has(key)) problems.push(`${command} is sent without ${key}`);
    }
  }
  assert.ok(seen >= 25, `only ${seen} calls found: the scan no longer sees the UI`);
  assert.deepEqual(problems, []);
});

// Issue 14: the Fleet screen's and the migration screen's commands.
test('the fleet report, the migration check, the migrated profile and the retirement fit the contract', { timeout: 30000 }, async () => {
  const b = checkedFake('?fake=1&fakeGateways=30');
  const events = b.channel('ComplianceEvent');
  const report = await b.call('compliance_report', { group: null, onEvent: events });
  assert.ok(report.gateways.total > 0);
  await new Promise((r) => setTimeout(r, 10));
  const messages = events.got;
  assert.deepEqual([messages[0].type, messages.at(-1).type], ['groups', 'done']);
  assert.ok(messages.some((m) => m.type === 'counted') && messages.some((m) => m.type === 'group'));
  const list = await b.call('profiles_list');
  const legacy = list.profiles.find((p) => p.backend === 'legacy');
  const arm = list.profiles.find((p) => p.backend === 'arm');
  assert.ok(legacy && arm, 'the sample data has both sides of a migration');
  const checked = await b.call('migration_check', { from: legacy.name, to: arm.name });
  assert.ok(checked.items.some((i) => i.status !== 'matched'));
  const made = await b.call('migration_profile_create', { from: legacy.name, name: 'Moved', subscriptionId: 's', resourceGroup: 'rg', catalog: 'c' });
  assert.equal(made.profile.backend, 'arm');
  await assert.rejects(b.call('migration_profile_create', { from: legacy.name, name: 'Moved', subscriptionId: 's', resourceGroup: 'rg', catalog: 'c' }), { kind: 'invalid_input' });
  const retirement = await b.call('legacy_retirement');
  assert.equal(retirement.retiresOn, '2027-09-27');
  assert.deepEqual(b.problems, []);
});
