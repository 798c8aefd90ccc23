// `lazyMount` (ui/js/dom.js): the dialogs and screens that are hidden at start (profile, migration,
// Activity, Help) are built on first use, never before the first paint.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { lazyMount } from '../../ui/js/dom.js';

test('nothing is built until a method other than the idle ones is called, and it is built once', () => {
  let built = 0;
  const dialog = lazyMount(
    () => {
      built += 1;
      let open = false;
      return { open: (what) => { open = true; return `opened ${what}`; }, update: () => 'drawn', isOpen: () => open };
    },
    { update: undefined, isOpen: false },
  );
  assert.equal(dialog.update({ step: 1 }), undefined);
  assert.equal(dialog.isOpen(), false);
  assert.equal(built, 0, 're-renders and checks do not build a hidden dialog');
  assert.equal(dialog.open('profiles'), 'opened profiles');
  assert.equal(built, 1);
  assert.equal(dialog.update(), 'drawn', 'once built, update draws');
  assert.equal(dialog.isOpen(), true);
  dialog.open('again');
  assert.equal(built, 1, 'built once');
});
