// Following runs (update now, node updates, uploads) on their channels, for the step that shows
// them: one run at a time is shown, and the messages of a run that is no longer shown are
// dropped. A run is a plain object the step keeps its own bookkeeping on; `done` is set once
// when it ends, by its `done` message, by the step (an upload ends with its answer), or when
// a reattach finds it already over.

import { attachRun, startRun } from './backend.js';

/**
 * `onProgress(run, message)` gets every `progress` message of the shown run;
 * `onDone(run, message)` its end, once (`message` is null when there was no `done` message);
 * `onMessage(run, message)`, if given, every other message (an update-now run's `phase`
 * question and `waiting` for its maintenance window).
 */
export function runFollower({ onProgress, onDone, onMessage }) {
  let shown = null;

  function end(run, message) {
    if (run.done) return;
    run.done = true;
    onDone(run, message);
  }

  function follow(run) {
    shown = run;
    return (message) => {
      if (shown !== run || run.done || !message) return;
      if (message.type === 'done') end(run, message);
      else if (message.type === 'progress') onProgress(run, message);
      else if (onMessage) onMessage(run, message);
    };
  }

  return {
    /**
     * Starts `command` with a channel for `run` and resolves with its answer; the run's
     * messages may come before the answer (no buffering: they belong to `run` already). A
     * failed start shows no run.
     */
    async start(command, args, run) {
      try {
        return await startRun(command, args, follow(run));
      } catch (err) {
        if (shown === run) shown = null;
        throw err;
      }
    },
    /** Follows `run` (found by `runs_list`) on a new channel; ends it if it is already over. */
    async attach(runId, run) {
      try {
        await attachRun(runId, follow(run));
      } catch {
        end(run, null);
      }
    },
    end,
  };
}
