// The only door from the UI to the Rust side.
//
// Owns: calling Tauri commands (`call`), subscribing to Tauri events (`on`), the Tauri 2
// channels that runs stream on (`startRun`, `attachRun`, `runsInFlight`), and turning every
// failure into one shape, `{ kind, message, params? }`. Nothing else in ui/ reads
// `window.__TAURI__`, so the rest of the UI can be opened in a plain browser for development:
// there every call fails with kind `not_in_app`, unless the address carries `?fake=1`, which
// loads ui/js/fake-backend.js (sample data, never used by default and never inside the app).

/** The error kind of calls made outside the app without `?fake=1`. */
export const NOT_IN_APP = 'not_in_app';

/** Where the UI runs: 'app' (inside the Tauri window), 'fake' (browser, ?fake=1) or 'browser'. */
export function backendMode() {
  if (tauriGlobal()) return 'app';
  if (fakeRequested()) return 'fake';
  return 'browser';
}

/**
 * Calls the backend command `command` with `args` and resolves with its answer. Rejects with
 * `{ kind, message }`: the command's own error, or `not_in_app` when there is no backend.
 */
export async function call(command, args = {}) {
  const tauri = tauriGlobal();
  try {
    if (tauri) return await tauri.core.invoke(command, args);
    if (fakeRequested()) return await (await fakeBackend()).call(command, args);
  } catch (err) {
    throw toBackendError(err);
  }
  throw { kind: NOT_IN_APP, message: `"${command}" needs the ASG FOTA app` };
}

/**
 * Subscribes `handler` to the backend event `event`; `handler` receives the event's payload.
 * Resolves with a function that unsubscribes. Outside the app the subscription is accepted and
 * simply never fires, so a page opened in a browser still renders.
 */
export async function on(event, handler) {
  const tauri = tauriGlobal();
  if (tauri && tauri.event) {
    // UNSURE: Tauri 2's global listen (default target Any) receives the window's tauri://drag-* events; if not, pass { target: { kind: 'Window', label: 'main' } }.
    return tauri.event.listen(event, (e) => handler(e ? e.payload : undefined));
  }
  if (fakeRequested()) return (await fakeBackend()).on(event, handler);
  return () => {};
}

/**
 * A channel for `onEvent`: Tauri 2's `Channel` inside the app, whose messages reach
 * `onMessage` in order; elsewhere a plain `{ onmessage }` that the fake backend delivers to.
 * A run's messages carry no run id: the channel itself says which run they belong to.
 */
export function channel(onMessage) {
  const tauri = tauriGlobal();
  if (tauri && typeof tauri.core.Channel === 'function') {
    const ch = new tauri.core.Channel();
    ch.onmessage = onMessage;
    return ch;
  }
  return { onmessage: onMessage };
}

/**
 * Starts a run (`update_now_start`, `node_update_start`, `packages_upload`) with a fresh
 * channel as `onEvent`; `onMessage` gets every message of the run, also those that arrive
 * before the command answers. Resolves with the command's answer.
 */
export function startRun(command, args, onMessage) {
  return call(command, { ...args, onEvent: channel(onMessage) });
}

/** Sends the future messages of run `runId` to `onMessage` (after a reload). */
export function attachRun(runId, onMessage) {
  return call('run_attach', { runId, onEvent: channel(onMessage) });
}

/** The runs in flight (`runs_list`), or none when they cannot be asked for. */
export async function runsInFlight() {
  try {
    const runs = await call('runs_list');
    return Array.isArray(runs) ? runs : [];
  } catch {
    return [];
  }
}

/**
 * Normalizes whatever a rejected call produced into `{ kind, message, params? }`. Tauri itself
 * rejects with a bare string for its own failures (an unknown command, a denied permission);
 * the app's commands reject with a `CommandError` already.
 */
export function toBackendError(err) {
  if (err && typeof err === 'object' && typeof err.kind === 'string') {
    const error = { kind: err.kind, message: typeof err.message === 'string' ? err.message : '' };
    if (err.params && typeof err.params === 'object') error.params = { ...err.params };
    return error;
  }
  if (err instanceof Error) return { kind: 'unknown', message: err.message };
  return { kind: 'unknown', message: typeof err === 'string' ? err : '' };
}

function tauriGlobal() {
  const w = globalThis.window;
  return w && w.__TAURI__ && w.__TAURI__.core ? w.__TAURI__ : null;
}

function fakeRequested() {
  const loc = globalThis.location;
  if (!loc || typeof loc.search !== 'string') return false;
  return new URLSearchParams(loc.search).get('fake') === '1';
}

let fake = null;
function fakeBackend() {
  if (!fake) fake = import('./fake-backend.js').then((m) => m.createFakeBackend(globalThis.location));
  return fake;
}
