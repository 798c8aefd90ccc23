// Tests of the message catalogs and ui/js/i18n.js: both languages hold the same keys with the
// same placeholders, every key the code asks for exists, and formatting follows the language.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import en from '../../ui/i18n/en.js';
import ko from '../../ui/i18n/ko.js';
import {
  formatDateTime,
  formatSize,
  initialLanguage,
  languageForLocale,
  placeholdersOf,
  setLanguage,
  t,
  tn,
} from '../../ui/js/i18n.js';
import { ADVANCED_FIELDS, CONTRACT_FIELDS, KIND_LIMITS, PROFILE_FIELDS, SLOTS, UPDATE_NOW_STEPS } from '../../ui/js/logic.js';
import { STEPS } from '../../ui/js/wizard.js';

const UI = new URL('../../ui/', import.meta.url).pathname;

function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

test('English and Korean catalogs have exactly the same keys', () => {
  const enKeys = Object.keys(en).sort();
  const koKeys = Object.keys(ko).sort();
  assert.deepEqual(enKeys.filter((k) => !(k in ko)), [], 'keys missing from ko.js');
  assert.deepEqual(koKeys.filter((k) => !(k in en)), [], 'keys missing from en.js');
});

test('each message has the same placeholders in both languages', () => {
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholdersOf(ko[key]), placeholdersOf(en[key]), key);
  }
});

test('every message is a non-empty string and Korean messages are not English copies', () => {
  // Keys whose text is the same in both languages on purpose: product and technical names.
  const sameOnPurpose = new Set([
    'app.name', 'lang.en', 'lang.ko', 'kind.HLApp', 'kind.RTApp',
    'packages.field.imageId', 'packages.field.componentId',
    // Azure Sphere's own names of OS feeds, the app kinds as column heads, the ARM product name.
    'feed.Retail', 'feed.RetailEval', 'devices.col.hl', 'devices.col.rt', 'backend.arm',
    'migration.diff.component_id',
  ]);
  for (const [key, value] of Object.entries(en)) {
    assert.equal(typeof value, 'string', key);
    assert.ok(value.trim().length > 0, key);
    assert.ok(ko[key].trim().length > 0, key);
    if (!sameOnPurpose.has(key)) assert.notEqual(ko[key], value, `${key} is not translated`);
  }
});

test('plural messages have a .other form', () => {
  for (const key of Object.keys(en).filter((k) => k.endsWith('.one'))) {
    assert.ok(`${key.slice(0, -4)}.other` in en, key);
  }
});

test('every key the code builds from data exists: steps, slots, kinds, warnings, errors', () => {
  const expected = [];
  for (const step of STEPS) {
    expected.push(`step.${step.number}.title`, `step.${step.number}.summary`);
    for (let i = 1; i <= step.laterItems; i += 1) expected.push(`step.${step.number}.later.${i}`);
  }
  for (const slot of SLOTS) expected.push(`slot.${slot.id}`, `slot.${slot.id}.hint`);
  for (const kind of ['HLApp', 'RTApp', 'BoardConfig', 'Other']) expected.push(`kind.${kind}`);
  for (const kind of Object.keys(KIND_LIMITS)) expected.push(`warn.tooMany.${kind}`);
  expected.push('warn.tooManyImages', 'warn.notDeployable', 'warn.duplicateComponent', 'warn.duplicateImage');
  // Error kinds: tests/ui/errors.test.mjs checks every kind of docs/gui-contract.json.
  for (const kind of ['not_in_app', 'unknown']) expected.push(`errors.${kind}.title`, `errors.${kind}.message`, `errors.${kind}.action`);
  for (const p of ['UpdateAll', 'No3rdPartyAppUpdates', 'NoUpdates']) expected.push(`policy.${p}`, `policy.${p}.warning`);
  for (const f of ['Retail', 'RetailEval']) expected.push(`feed.${f}`);
  for (const c of ['Connected', 'Disconnected', 'Unknown']) expected.push(`conn.${c}`);
  for (const s of ['idle', ...UPDATE_NOW_STEPS, 'failed', 'cancelled']) expected.push(`status.${s}`);
  for (const s of ['outdated', 'current', 'offline', 'requested', 'InProgress', 'Succeeded', 'Failed', 'cancelled']) expected.push(`nodes.state.${s}`);
  for (const p of ['queued', 'checking', 'uploading', 'processing', 'done', 'skipped', 'failed', 'cancelled']) expected.push(`upload.phase.${p}`);
  for (const s of ['package', 'current', 'currentReplaced', 'redeploy']) expected.push(`deploy.source.${s}`);
  for (const c of ['kept', 'replaced', 'added', 'removed']) expected.push(`deploy.change.${c}`);
  for (const c of ['change', 'kind', 'before', 'after']) expected.push(`deploy.col.${c}`);
  for (const c of ['id', 'images', 'date', 'action']) expected.push(`history.col.${c}`);
  for (const c of ['device', 'connection', 'hl', 'rt', 'checkIn', 'group', 'status']) expected.push(`devices.col.${c}`);
  for (const c of ['gateway', 'mac', 'name', 'current', 'available', 'status', 'update']) expected.push(`nodes.col.${c}`);
  for (const r of ['Administrator', 'Contributor', 'Reader', 'none']) expected.push(`role.${r}`);
  for (const b of ['demo', 'legacy', 'arm']) expected.push(`backend.${b}`);
  const fields = new Set(['name', 'backend', ...PROFILE_FIELDS.legacy, ...PROFILE_FIELDS.arm, ...ADVANCED_FIELDS, ...CONTRACT_FIELDS, 'concurrency']);
  for (const f of fields) expected.push(`profile.field.${f}`);
  for (const c of ['required', 'taken', 'url', 'host', 'range']) expected.push(`profile.problem.${c}`);
  for (const a of ['connectionString', 'entra']) expected.push(`profile.iothubAuth.${a}`);
  for (const b of ['legacy', 'arm']) expected.push(`profile.new.${b}`);
  for (const w of ['clientSecret', 'iothubConnectionString']) expected.push(`profile.secret.${w}`);
  for (const key of expected) assert.ok(key in en, `missing ${key}`);
});

test('every literal key passed to t(), tn() or data-i18n exists', () => {
  const sources = jsFiles(join(UI, 'js')).map((f) => readFileSync(f, 'utf8'));
  sources.push(readFileSync(join(UI, 'index.html'), 'utf8'));
  const keys = new Set();
  for (const src of sources) {
    for (const m of src.matchAll(/\bt\(\s*'([^'$`]+)'/g)) keys.add(m[1]);
    for (const m of src.matchAll(/data-i18n="([^"]+)"/g)) keys.add(m[1]);
    for (const m of src.matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(';')) keys.add(pair.split(':')[1]);
    }
    for (const m of src.matchAll(/\btn\(\s*'([^']+)'/g)) keys.add(`${m[1]}.other`);
    for (const m of src.matchAll(/key: '([^']+)'/g)) keys.add(m[1]);
  }
  assert.ok(keys.size > 30, `found only ${keys.size} keys: is the scan broken?`);
  for (const key of keys) {
    const plural = `${key}.other`;
    assert.ok(key in en || plural in en, `unknown message key ${key}`);
  }
});

test('the language follows a saved choice, then the OS locale (ko* is Korean)', () => {
  const table = [
    [{ stored: null, osLocale: 'ko-KR' }, 'ko'],
    [{ stored: null, osLocale: 'ko' }, 'ko'],
    [{ stored: null, osLocale: 'ko_KR.UTF-8' }, 'ko'],
    [{ stored: null, osLocale: 'en-US' }, 'en'],
    [{ stored: null, osLocale: 'de-DE' }, 'en'],
    [{ stored: null, osLocale: 'kok-IN' }, 'en'],
    [{ stored: null, osLocale: undefined }, 'en'],
    [{ stored: 'en', osLocale: 'ko-KR' }, 'en'],
    [{ stored: 'ko', osLocale: 'en-US' }, 'ko'],
    [{ stored: 'fr', osLocale: 'ko-KR' }, 'ko'],
  ];
  for (const [sources, want] of table) assert.equal(initialLanguage(sources), want, JSON.stringify(sources));
  assert.equal(languageForLocale('KO-kr'), 'ko');
});

test('t fills placeholders, formats numbers and lists, and keeps unknown placeholders', () => {
  setLanguage('en', 'en-US');
  assert.equal(t('app.version', { version: '0.1.0' }), 'Version 0.1.0');
  assert.equal(t('warn.tooManyImages', { count: 1234, limit: 4 }), '1,234 images: a deployment holds at most 4.');
  assert.equal(t('warn.duplicateImage', { files: ['a', 'b', 'c'], imageId: 'x' }), 'a, b, and c hold the same image (x).');
  assert.equal(t('app.version'), 'Version {version}');
  assert.equal(t('no.such.key'), 'no.such.key');
  assert.equal(tn('packages.addedAnnounce', 1), 'Read 1 package');
  assert.equal(tn('packages.addedAnnounce', 3), 'Read 3 packages');
  setLanguage('ko', 'ko-KR');
  assert.equal(t('app.version', { version: '0.1.0' }), '버전 0.1.0');
  assert.equal(tn('packages.addedAnnounce', 1), '패키지 1개를 읽었습니다');
  setLanguage('en', 'en-US');
});

test('sizes and dates are localized, and a bad date is null rather than "Invalid Date"', () => {
  setLanguage('en', 'en-US');
  assert.equal(formatSize(812), '812 bytes');
  assert.equal(formatSize(1), '1 byte');
  assert.equal(formatSize(28884), '29 kB');
  assert.equal(formatSize(1_500_000), '1.5 MB');
  assert.match(formatDateTime('2020-09-10T03:40:38Z'), /2020/);
  assert.equal(formatDateTime(null), null);
  assert.equal(formatDateTime('not a date'), null);
  setLanguage('ko', 'ko-KR');
  assert.equal(formatSize(812), '812바이트');
  assert.match(formatDateTime('2020-09-10T03:40:38Z'), /2020/);
  setLanguage('en', 'en-US');
});

test('a POSIX OS locale such as C.UTF-8 or en_US.UTF-8 never reaches Intl unparsed', async () => {
  const i18n = await import('../../ui/js/i18n.js');
  for (const os of ['C.UTF-8', 'en_US.UTF-8', 'en_US.UTF-8@euro', 'POSIX', 'ko_KR.eucKR']) {
    i18n.setLanguage(i18n.initialLanguage({ stored: null, osLocale: os }), os);
    assert.doesNotThrow(() => new Intl.NumberFormat(i18n.intlLocale()).format(1234));
  }
});
