// The wizard's state container (ui/js/store.js): changes render at once, progress renders at
// most once per frame, a flushed frame does not render twice, derived lists are recomputed
// only when their inputs change.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createStore, loadable } from '../../ui/js/store.js';

function harness() {
  let renders = 0;
  const frames = [];
  const store = createStore({ step: 1, gateways: { ...loadable(), query: '' } }, () => { renders += 1; }, {
    frame: (cb) => frames.push(cb),
    cancelFrame: (id) => { frames[id - 1] = null; },
  });
  return { store, frames, renders: () => renders };
}

test('set and patch change the state and render at once', () => {
  const h = harness();
  h.store.set({ step: 3 });
  h.store.patch('gateways', { query: 'abc' });
  assert.equal(h.store.state.step, 3);
  assert.equal(h.store.state.gateways.query, 'abc');
  assert.equal(h.store.state.gateways.status, 'idle', 'patch keeps the rest of the slice');
  assert.equal(h.renders(), 2);
});

test('schedule applies at once and renders once per frame; flush drops the frame', () => {
  const h = harness();
  for (let i = 0; i < 100; i += 1) h.store.schedule('gateways', { asOf: String(i) });
  assert.equal(h.store.state.gateways.asOf, '99');
  assert.equal(h.renders(), 0);
  assert.equal(h.frames.length, 1);
  h.frames[0]();
  assert.equal(h.renders(), 1);
  h.store.schedule('gateways', { asOf: 'x' });
  h.store.flush();
  assert.equal(h.frames[1], null, 'the frame was cancelled');
  h.store.patch('gateways', { asOf: 'y' });
  assert.equal(h.renders(), 2);
});

test('remember recomputes only when an input changes identity', () => {
  const h = harness();
  let computed = 0;
  const items = [1, 2, 3];
  const compute = () => { computed += 1; return items.length; };
  assert.equal(h.store.remember('n', [items, 'q'], compute), 3);
  assert.equal(h.store.remember('n', [items, 'q'], compute), 3);
  assert.equal(computed, 1);
  h.store.remember('n', [[...items], 'q'], compute);
  h.store.remember('n', [items, 'r'], compute);
  assert.equal(computed, 3);
});
