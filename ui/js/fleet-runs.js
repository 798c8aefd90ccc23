// The logic of runs that survive, for steps 5 and 6 (pure: no DOM, no backend): the phase and
// window options of "update now" as the shell takes them, the maintenance window's countdown,
// what an interrupted run's list entry says, and what a run's `done` message adds to the run
// line (stopped early, deferred to the next window, phases not started).

/** `+09:00` for the computer's own UTC offset at `date` (the shell reads the window in it). */
export function localOffset(date = new Date()) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const COUNT = /^\d+$/;
const LIMIT = /^(\d+|\d+(\.\d+)?%)$/;

/**
 * The `options` of `update_now_start` from the form's texts `{ canary, batch, maxFailed,
 * windowFrom, windowTo }` (all strings, empty = not set) at UTC offset `tz`. Returns
 * `{ options }` (null when nothing is set: one phase, restarts at any time) or `{ error }`,
 * the i18n key of the first bad field. The shell checks the values again.
 */
export function runOptionsFrom(form, tz = localOffset()) {
  const text = (v) => String(v ?? '').trim();
  const canary = text(form.canary);
  const batch = text(form.batch);
  const maxFailed = text(form.maxFailed).replace(/\s+/g, '');
  const from = text(form.windowFrom);
  const to = text(form.windowTo);
  if (canary && !COUNT.test(canary)) return { error: 'runs.badCanary' };
  if (batch && !COUNT.test(batch)) return { error: 'runs.badBatch' };
  if (maxFailed && (!LIMIT.test(maxFailed) || parseFloat(maxFailed) > (maxFailed.endsWith('%') ? 100 : Infinity))) return { error: 'runs.badMaxFailed' };
  if ((from || to) && !(HHMM.test(from) && HHMM.test(to))) return { error: 'runs.badWindow' };
  if (from && minutesOf(from) === minutesOf(to)) return { error: 'runs.badWindow' };
  const options = {};
  if (canary) options.canary = Number(canary);
  if (batch) options.batch = Number(batch);
  if (maxFailed) options.maxFailed = maxFailed;
  if (from) {
    options.window = `${pad(from)}-${pad(to)}`;
    options.windowTz = tz;
  }
  return { options: Object.keys(options).length ? options : null };
}

function pad(hhmm) {
  const [h, m] = hhmm.split(':');
  return `${h.padStart(2, '0')}:${m}`;
}

function minutesOf(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function offsetMinutes(tz) {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(tz || '+00:00');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * Where the maintenance window of `options` (`window: "HH:MM-HH:MM"`, `windowTz`) stands at
 * `nowMs`: `{ open, changeAt }` (the time in ms at which it closes when open, opens when
 * closed), or null without a window. Same rule as the core's: the start is inside, the end is
 * not, and an end before the start spans midnight.
 */
export function windowState(options, nowMs) {
  if (!options || !options.window) return null;
  const [from, to] = options.window.split('-');
  const start = minutesOf(from);
  const end = minutesOf(to);
  const offset = offsetMinutes(options.windowTz);
  const dayMs = 24 * 60 * 60 * 1000;
  const localMs = nowMs + offset * 60000;
  const minuteOfDay = Math.floor((((localMs % dayMs) + dayMs) % dayMs) / 60000);
  const open = start < end ? start <= minuteOfDay && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
  const target = open ? end : start;
  const dayStart = localMs - (((localMs % dayMs) + dayMs) % dayMs);
  let at = dayStart + target * 60000;
  if (at <= localMs) at += dayMs;
  return { open, changeAt: at - offset * 60000 };
}

/** A countdown of `ms` as `H:MM:SS` (never negative). */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/**
 * The counts of an interrupted run's list entry: `{ total, onTarget, unconfirmed, notStarted }`
 * (`unconfirmed` = a move, restart or node update journaled as intended with no outcome).
 */
export function interruptedCounts(run) {
  const items = run.items || [];
  const finished = ['on_target', 'Succeeded'];
  return {
    total: items.length,
    onTarget: items.filter((i) => finished.includes(i.stage)).length,
    unconfirmed: items.filter((i) => i.unconfirmed).length,
    notStarted: items.filter((i) => i.stage === 'not_started').length,
  };
}

/** The interrupted runs of one kind (`update_now` / `node_update`), newest first. */
export function interruptedOf(runs, kind) {
  return (runs || []).filter((r) => r.kind === kind).sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
}

/**
 * What an "update now" run's `done` message adds to its summary: `{ stopped, stoppedSaid,
 * deferred, notStarted, runId }` (`stopped` is the core's own English words and `stoppedSaid`
 * the same as data, both null when the run finished).
 */
export function runEnding(done) {
  if (!done) return null;
  return {
    stopped: done.stopped || null,
    stoppedSaid: done.stoppedSaid || null,
    deferred: (done.deferred || []).length,
    notStarted: (done.notStarted || []).length,
    runId: done.run || null,
  };
}
