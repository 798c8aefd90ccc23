// Tests of the wizard frame's data: the six steps of the guide, in order, and the step the
// app opens on.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { STEPS, openingStep } from '../../ui/js/wizard.js';

test('the wizard has the six steps of the guide, numbered 1 to 6, all working', () => {
  assert.deepEqual(STEPS.map((s) => s.number), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(STEPS.map((s) => s.id), ['group', 'packages', 'deployment', 'history', 'devices', 'nodes']);
  assert.deepEqual(STEPS.filter((s) => s.available).map((s) => s.number), [1, 2, 3, 4, 5, 6]);
});

test('the app opens on the first available step', () => {
  assert.equal(openingStep(), 1);
  assert.equal(openingStep(STEPS.map((s) => ({ ...s, available: s.number > 2 }))), 3);
  const all = STEPS.map((s) => ({ ...s, available: true }));
  assert.equal(openingStep(all), 1);
  assert.equal(openingStep(STEPS.map((s) => ({ ...s, available: false }))), 1);
});
