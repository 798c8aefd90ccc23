// Tests of ui/js/backend.js outside the app: calls fail with `not_in_app` instead of using a
// fake, and every rejection is normalized to `{ kind, message }`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NOT_IN_APP, backendMode, call, on, toBackendError } from '../../ui/js/backend.js';

test('without the app and without ?fake=1 the mode is browser and calls fail clearly', async () => {
  assert.equal(backendMode(), 'browser');
  await assert.rejects(call('inspect_packages', { paths: ['/a.imagepackage'] }), (err) => {
    assert.equal(err.kind, NOT_IN_APP);
    assert.match(err.message, /inspect_packages/);
    return true;
  });
  const unlisten = await on('tauri://drag-drop', () => assert.fail('no event outside the app'));
  assert.equal(typeof unlisten, 'function');
});

test('inside the app, calls go to window.__TAURI__ and errors are normalized', async () => {
  const calls = [];
  globalThis.window = {
    __TAURI__: {
      core: {
        invoke: async (name, args) => {
          calls.push([name, args]);
          if (name === 'boom') throw { kind: 'io', message: 'disk gone' };
          if (name === 'tauri_string') throw 'command tauri_string not found';
          return ['/a.imagepackage'];
        },
      },
      event: { listen: async (name, cb) => { cb({ event: name, payload: { paths: ['/x'] } }); return () => {}; } },
    },
  };
  try {
    assert.equal(backendMode(), 'app');
    assert.deepEqual(await call('pick_packages'), ['/a.imagepackage']);
    assert.deepEqual(calls[0], ['pick_packages', {}]);
    await assert.rejects(call('boom'), { kind: 'io', message: 'disk gone' });
    await assert.rejects(call('tauri_string'), { kind: 'unknown', message: 'command tauri_string not found' });
    let payload = null;
    await on('tauri://drag-drop', (p) => { payload = p; });
    assert.deepEqual(payload, { paths: ['/x'] });
  } finally {
    delete globalThis.window;
  }
});

test('toBackendError keeps {kind, message} and wraps anything else as unknown', () => {
  const table = [
    [{ kind: 'damaged_package', message: 'bad magic' }, { kind: 'damaged_package', message: 'bad magic' }],
    [{ kind: 'io' }, { kind: 'io', message: '' }],
    ['denied', { kind: 'unknown', message: 'denied' }],
    [new Error('boom'), { kind: 'unknown', message: 'boom' }],
    [undefined, { kind: 'unknown', message: '' }],
    [{ message: 'no kind' }, { kind: 'unknown', message: '' }],
  ];
  for (const [input, want] of table) assert.deepEqual(toBackendError(input), want, String(input));
});
