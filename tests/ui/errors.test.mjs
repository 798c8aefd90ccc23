// Errors in the user's language: every GUI error kind of docs/gui-contract.json has a title, a
// plain message and its next action in both catalogs; the UI's kind → action table is the
// contract's; placeholders are the contract's params; and the notice's text is built from
// them (params filled, missing ones dropped with their parentheses, the core's English message
// kept for "Details").

import { test } from 'node:test';
import assert from 'node:assert/strict';

import en from '../../ui/i18n/en.js';
import ko from '../../ui/i18n/ko.js';
import { placeholdersOf, setLanguage } from '../../ui/js/i18n.js';
import { ERROR_ACTIONS, errorAction } from '../../ui/js/logic.js';
import { errorParts } from '../../ui/js/widgets.js';
import { CONTRACT, guiKinds } from './contract-shape.mjs';

const UI_KINDS = ['not_in_app', 'unknown'];
const ACTIONS = ['sign_in', 'retry', 'choose_file', 'open_settings', 'none'];
const HANGUL = /[\uac00-\ud7a3]/;

test('the contract lists the GUI kinds, and each has an action', () => {
  const kinds = guiKinds();
  assert.ok(kinds.length >= 20, `only ${kinds.length} kinds`);
  assert.deepEqual(Object.keys(CONTRACT.errors.actions).sort(), [...kinds].sort());
});

test('every GUI error kind has a title, a message and an action in both catalogs', () => {
  const missing = [];
  for (const kind of [...guiKinds(), ...UI_KINDS]) {
    for (const part of ['title', 'message', 'action']) {
      const key = `errors.${kind}.${part}`;
      for (const [lang, catalog] of [['en', en], ['ko', ko]]) {
        if (typeof catalog[key] !== 'string' || catalog[key].trim() === '') missing.push(`${lang} ${key}`);
      }
      if (typeof ko[key] === 'string' && !HANGUL.test(ko[key])) missing.push(`ko ${key} is not Korean`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the UI acts on each kind as the contract says (ERROR_ACTIONS is the contract’s table)', () => {
  for (const [kind, action] of Object.entries(CONTRACT.errors.actions)) assert.equal(errorAction(kind), action, kind);
  for (const [kind, action] of Object.entries(ERROR_ACTIONS)) {
    assert.ok(ACTIONS.includes(action), `${kind} → ${action}`);
    assert.ok(guiKinds().includes(kind) || UI_KINDS.includes(kind), `${kind} is neither a GUI kind nor the UI's own`);
  }
  assert.equal(errorAction('not_a_kind'), 'none');
});

test('error messages use only the contract’s params, each inside parentheses', () => {
  const params = Object.keys(CONTRACT.errors.params);
  for (const [key, text] of [...Object.entries(en), ...Object.entries(ko)]) {
    if (!/^errors\.[a-z_]+\.message$/.test(key)) continue;
    for (const name of placeholdersOf(text)) assert.ok(params.includes(name), `${key} uses {${name}}, not a param of the contract`);
    for (const m of text.matchAll(/\{\w+\}/g)) {
      const before = text.slice(0, m.index);
      assert.ok(before.lastIndexOf('(') > before.lastIndexOf(')'), `${key}: {…} outside parentheses cannot be dropped when missing`);
    }
  }
});

test('the notice text: params filled, missing ones dropped, unknown kinds read as unknown', () => {
  setLanguage('en');
  const withParams = errorParts({ kind: 'damaged_package', message: 'bad magic at 0', params: { file: '/p/a.imagepackage', offset: 0 } });
  assert.match(withParams.text, /\(\/p\/a\.imagepackage\)/);
  assert.equal(withParams.title, en['errors.damaged_package.title']);
  assert.equal(withParams.action, 'choose_file');
  assert.equal(withParams.actionText, en['errors.damaged_package.action']);
  assert.equal(withParams.detail, 'bad magic at 0');
  const without = errorParts({ kind: 'throttled', message: 'HTTP 429' });
  assert.ok(!/[{}()]/.test(without.text), without.text);
  assert.ok(!/ {2}| \./.test(without.text), without.text);
  const some = errorParts({ kind: 'throttled', message: '', params: { retryAfterSeconds: 30 } });
  assert.match(some.text, /30/);
  const odd = errorParts({ kind: 'brand_new_kind', message: 'x' });
  assert.equal(odd.kind, 'unknown');
  assert.equal(odd.title, en['errors.unknown.title']);
  assert.equal(odd.detail, 'x', 'the core’s message is kept for Details');
  assert.equal(errorParts({ kind: 'not_in_app', message: '"x" needs the app' }).detail, '');
  setLanguage('ko');
  const korean = errorParts({ kind: 'device_offline', message: 'offline', params: { deviceId: 'abc' } });
  assert.match(korean.text, /\(abc\)/);
  assert.ok(HANGUL.test(korean.title) && HANGUL.test(korean.text));
  setLanguage('en');
});

test('issue 13: the Demo tenant not starting, a tenant to choose and a node failure are said as what happened', () => {
  setLanguage('ko');
  const tenant = errorParts({ kind: 'choose_tenant', message: 'profile `f` names no Azure Sphere tenant', params: { profile: 'f', tenants: 't1 (Plant A), t2 (Plant B)' } });
  assert.match(tenant.text, /\(f: t1 \(Plant A\), t2 \(Plant B\)\)/);
  assert.equal(tenant.action, 'open_settings');
  const demo = errorParts({ kind: 'demo_unavailable', message: 'The Demo tenant could not start: port in use' });
  assert.equal(demo.action, 'open_settings', 'the way out is another profile');
  assert.ok(HANGUL.test(demo.text) && !/\{|\}/.test(demo.text), demo.text);
  assert.equal(demo.detail, 'The Demo tenant could not start: port in use');
  for (const kind of ['node_not_found', 'node_busy', 'node_no_firmware', 'node_update_failed']) {
    const parts = errorParts({ kind, message: 'x' });
    assert.equal(parts.kind, kind);
    assert.notEqual(parts.title, ko['errors.internal.title'], kind);
  }
  setLanguage('en');
});

test('a reason names a more exact message, in both catalogs with the same placeholders; the kind’s own without it', () => {
  const reasons = Object.keys(en).filter((k) => /^errors\.[a-z_]+\.reason\.[a-z_]+$/.test(k));
  assert.ok(reasons.length >= 10, reasons.join(' '));
  const params = Object.keys(CONTRACT.errors.params);
  for (const key of reasons) {
    assert.equal(typeof ko[key], 'string', `ko ${key}`);
    assert.ok(HANGUL.test(ko[key]), `ko ${key} is not Korean`);
    assert.deepEqual(placeholdersOf(ko[key]).sort(), placeholdersOf(en[key]).sort(), key);
    for (const name of placeholdersOf(en[key])) assert.ok(params.includes(name), `${key} uses {${name}}`);
  }
  setLanguage('ko');
  const empty = errorParts({ kind: 'invalid_input', message: 'The value is empty: paste the secret and try again.', params: { reason: 'empty_secret' } });
  assert.equal(empty.text, ko['errors.invalid_input.reason.empty_secret']);
  const other = errorParts({ kind: 'invalid_input', message: 'x', params: { reason: 'run_other_profile', profile: 'field', run: 'update-1' } });
  assert.match(other.text, /\(field\)/);
  const unknownReason = errorParts({ kind: 'invalid_input', message: 'x', params: { reason: 'not_in_the_catalog' } });
  assert.equal(unknownReason.text, ko['errors.invalid_input.message'].replace(/\s*\([^()]*\{\w+\}[^()]*\)/g, ''));
  setLanguage('en');
});

test('a profile setting is named by its label on the profile screen, any other name as it is', () => {
  setLanguage('ko');
  const missing = errorParts({ kind: 'profile', message: 'profile `p` has no `tenant_id`', params: { profile: 'p', setting: 'tenant_id' } });
  assert.ok(missing.text.includes(`(p: ${ko['profile.field.tenantId']})`), missing.text);
  const odd = errorParts({ kind: 'profile', message: 'x', params: { profile: 'p', setting: 'something_new' } });
  assert.ok(odd.text.includes('(p: something_new)'), odd.text);
  setLanguage('en');
});
