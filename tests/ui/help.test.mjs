// Help's "check for updates" in the user's language: why this installation cannot update itself
// is said from the catalogs (`help.updateManual.<reason>`, one entry per reason the contract
// lists) in Korean; the shell's English hint, which names the exact command or folder, in English.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import en from '../../ui/i18n/en.js';
import ko from '../../ui/i18n/ko.js';
import { setLanguage } from '../../ui/js/i18n.js';
import { manualHint } from '../../ui/js/help.js';
import { CONTRACT } from './contract-shape.mjs';

const HANGUL = /[\uac00-\ud7a3]/;

function reasons() {
  const found = /^enum:([a-z_,]+)\|null$/.exec(CONTRACT.types.InstallRoute.reason);
  assert.ok(found, 'the contract lists the install reasons');
  return found[1].split(',');
}

test('every reason an installation cannot update itself has its words in both catalogs', () => {
  for (const reason of reasons()) {
    const key = `help.updateManual.${reason}`;
    assert.equal(typeof en[key], 'string', `en ${key}`);
    assert.ok(HANGUL.test(ko[key] || ''), `ko ${key}`);
  }
});

test('Korean says the reason from the catalog, English keeps the shell’s exact hint', () => {
  const install = { inApp: false, reason: 'no_privileges', hint: 'Download the new .deb and run: sudo apt install ./x.deb', downloadUrl: 'https://example.invalid' };
  setLanguage('ko');
  assert.equal(manualHint(install), ko['help.updateManual.no_privileges']);
  assert.equal(manualHint({ ...install, reason: 'a_new_reason' }), install.hint, 'an unknown reason falls back to the hint');
  setLanguage('en');
  assert.equal(manualHint(install), install.hint);
  assert.equal(manualHint({ inApp: false, reason: null, hint: null }), '');
});
