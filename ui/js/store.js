// The wizard's state container: one state object, sliced by step (`groups`, `upload`,
// `gateways`, …), and the ways to change it.
//
// Owns: `set` and `patch` (change, then render at once), `schedule` (change at once, render at
// most once per animation frame — progress messages come in bursts of hundreds), `flush` and
// `remember` (memoized derived lists: with 10,000 gateways a filter pass per progress message
// would be wasted work). Knows nothing of the DOM or the backend, so Node tests use it directly.

/** A list read from the backend: `{ status: 'idle' | 'loading' | 'ok' | 'error', items, error, asOf }`. */
export const loadable = () => ({ status: 'idle', items: [], error: null, asOf: null });

/**
 * @param {object} state the initial state (kept and mutated slice by slice)
 * @param {() => void} render draws the state; called after every change
 * @param {{ frame?: (cb: () => void) => number, cancelFrame?: (id: number) => void }} [timing]
 */
export function createStore(state, render, timing = {}) {
  const frame = timing.frame || ((cb) => globalThis.requestAnimationFrame(cb));
  const cancelFrame = timing.cancelFrame || ((id) => globalThis.cancelAnimationFrame(id));
  let pending = 0;
  const memo = new Map();
  return {
    state,
    /** Merges `changes` into the top level and renders. */
    set(changes) {
      Object.assign(state, changes);
      render();
    },
    /** Merges `changes` into one slice (`groups`, `deploy`, …) and renders. */
    patch(slice, changes) {
      state[slice] = { ...state[slice], ...changes };
      render();
    },
    /** Like `patch`, but renders at most once per frame. */
    schedule(slice, changes) {
      state[slice] = { ...state[slice], ...changes };
      if (pending) return;
      pending = frame(() => {
        pending = 0;
        render();
      });
    },
    /** Drops a scheduled render (the caller renders now). */
    flush() {
      if (pending) cancelFrame(pending);
      pending = 0;
    },
    /** `compute()` again only when one of `inputs` changed identity since the last call. */
    remember(name, inputs, compute) {
      const old = memo.get(name);
      if (old && old.inputs.length === inputs.length && old.inputs.every((x, i) => x === inputs[i])) return old.value;
      const value = compute();
      memo.set(name, { inputs, value });
      return value;
    },
  };
}
