// Core messages said as data: every finding kind of the deployment plan and every journal key
// the core writes (`Detail::said("…")`, `Detail::error`) has its sentence in both catalogs, and
// `saidText` renders key + params in the user's language, falling back to the core's English
// sentence only for a key the catalogs do not know.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import en from '../../ui/i18n/en.js';
import ko from '../../ui/i18n/ko.js';
import { setLanguage } from '../../ui/js/i18n.js';
import { phaseName, reasonText, saidText, stopText } from '../../ui/js/widgets.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const snake = (name) => name.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase());

function enumVariants(source, name) {
  const body = source.match(new RegExp(`pub enum ${name} \\{([^}]*)\\}`));
  assert.ok(body, `enum ${name} not found`);
  return [...body[1].matchAll(/^\s*([A-Z]\w*),?\s*$/gm)].map((m) => snake(m[1]));
}

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rustFiles(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

test('every plan finding kind has its sentence in both catalogs', () => {
  const plan = readFileSync(join(ROOT, 'src-tauri/core/src/workflow/plan.rs'), 'utf8');
  const keys = [
    ...enumVariants(plan, 'ProblemKind').map((k) => `plan.problem.${k}`),
    ...enumVariants(plan, 'WarningKind').map((k) => `plan.warning.${k}`),
  ];
  assert.ok(keys.length >= 15, `only ${keys.length} kinds found`);
  for (const key of keys) {
    assert.ok(en[key], `en ${key}`);
    assert.ok(ko[key], `ko ${key}`);
  }
});

test('every journal key the core writes has its sentence in both catalogs', () => {
  const keys = new Set(['journal.error']);
  for (const file of rustFiles(join(ROOT, 'src-tauri/core/src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/Detail::said\(\s*"(\w+)"/g)) keys.add(`journal.${m[1]}`);
  }
  assert.ok(keys.size >= 10, `only ${keys.size} keys found`);
  for (const key of keys) {
    assert.ok(en[key], `en ${key}`);
    assert.ok(ko[key], `ko ${key}`);
  }
});

test('every reason the compliance report gives as data has its sentence in both catalogs', () => {
  const source = readFileSync(join(ROOT, 'src-tauri/core/src/workflow/compliance.rs'), 'utf8');
  const keys = [...source.matchAll(/\bwhy\(\s*"(\w+)"/g)].map((m) => `fleet.reason.${m[1]}`);
  assert.ok(keys.length >= 8, `only ${keys.length} keys found`);
  for (const key of keys) {
    assert.ok(en[key], `en ${key}`);
    assert.ok(ko[key], `ko ${key}`);
  }
});

test('saidText renders key and params in the user’s language, the English sentence as fallback', () => {
  setLanguage('ko');
  const text = saidText('plan.problem.too_many_hl_apps', { count: 2, max: 1 }, '2 HLApps are chosen');
  assert.match(text, /HLApp\) 2개/);
  assert.equal(saidText('plan.problem.brand_new', {}, 'core words'), 'core words');
  assert.equal(saidText('', {}, 'core words'), 'core words');
  assert.equal(saidText('journal.error', { kind: 'forbidden' }, 'HTTP 403'), `실패: ${ko['errors.forbidden.title']}.`);
  assert.match(saidText('plan.warning.policy_blocks_apps', { policy: 'NoUpdates' }, ''), new RegExp(ko['policy.NoUpdates']));
  assert.equal(reasonText('device_offline', 'the gateway is offline'), ko['errors.device_offline.message'].replace(/\s*\([^()]*\{\w+\}[^()]*\)/g, '').replace(/\{\w+\}/g, '').replace(/ {2,}/g, ' '));
  setLanguage('en');
  assert.equal(reasonText('device_offline', 'the gateway is offline'), 'the gateway is offline');
  assert.equal(saidText('journal.moved', { group: 'Field Test' }, 'moved into Field Test'), 'Moved into Field Test.');
});

test('every reason a run stops early for is said as data, with its sentence in both catalogs (issue 13)', () => {
  const source = readFileSync(join(ROOT, 'src-tauri/core/src/workflow/rollout.rs'), 'utf8');
  // Each `report.stopped = Some(…)` is followed by its `stopped_said`: none is English only.
  const sentences = [...source.matchAll(/report\.stopped = Some\(/g)].length;
  const keys = [...source.matchAll(/report\.stopped_said = Some\(Said::new\(\s*"(\w+)"/g)].map((m) => `runs.stop.${m[1]}`);
  assert.ok(keys.length >= 3, `only ${keys.length} keys found`);
  assert.equal(keys.length, sentences, 'a stop reason without its said form');
  for (const key of keys) {
    assert.ok(en[key], `en ${key}`);
    assert.ok(ko[key], `ko ${key}`);
  }
});

test('a stopped or paused run says why in Korean, its phase names too; the English sentence only without said', () => {
  const latin = /[A-Za-z]{2,}/;
  setLanguage('ko');
  const said = { key: 'threshold', params: { phase: 'canary', failed: 2, done: 3, limit: '10%' } };
  const english = 'the rollout stopped after the canary phase: 2 of 3 gateways failed (more than 10% failed); look at the failures, then resume the run to go on';
  const text = stopText(said, english);
  assert.ok(!latin.test(text), text);
  assert.match(text, new RegExp(ko['runs.phaseName.canary']));
  assert.match(text, /10%/);
  const batch = stopText({ key: 'not_continued', params: { phase: 'batch 2' } }, 'x');
  assert.ok(!latin.test(batch) && batch.includes('2'), batch);
  assert.ok(!latin.test(stopText({ key: 'window_closed', params: { window: '22:00-05:00 (UTC+09:00)', count: 3 } }, 'x').replace('UTC', '')));
  assert.equal(phaseName('batch 12'), ko['runs.phaseName.batch'].replace('{n}', '12'));
  // A run paused by an older version has only the English sentence: shown as it is.
  assert.equal(stopText(null, 'old words'), 'old words');
  setLanguage('en');
  assert.equal(stopText(said, english), english);
  assert.equal(phaseName('canary'), 'canary');
});
