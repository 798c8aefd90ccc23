// The view pieces of runs that survive, shared by steps 5 and 6: the "phases and maintenance
// window" options of "update now", the question between two phases, the maintenance window's
// countdown, and the list of interrupted runs with Resume / Discard. Each is built once with
// `el()` and updated idempotently; the logic behind them is in fleet-runs.js.

import { el, setAttr, setText } from './dom.js';
import { formatDateTime, t, tn } from './i18n.js';
import { formatCountdown, interruptedCounts, localOffset, windowState } from './fleet-runs.js';
import { phaseName, stopText } from './widgets.js';

/**
 * Step 5's collapsed "Phases and maintenance window" options. `onChange(field, value)` gets
 * each edit (`canary`, `batch`, `maxFailed`, `windowFrom`, `windowTo`).
 */
export function runOptionsForm({ onChange }) {
  const summary = el('summary', { testid: 'run-options' });
  const intro = el('p', { className: 'muted small-text' });
  const fields = {};
  const field = (name, testid, attrs) => {
    const label = el('label', { className: 'field-label', attrs: { for: `run-opt-${name}` } });
    const input = el('input', { className: 'text-input short-input', testid, attrs: { id: `run-opt-${name}`, type: 'text', spellcheck: 'false', autocomplete: 'off', ...attrs } });
    input.addEventListener('input', () => onChange(name, input.value));
    fields[name] = { label, input };
    return el('div', { className: 'option-field', children: [label, input] });
  };
  const phases = el('div', {
    className: 'option-row',
    children: [field('canary', 'opt-canary', { inputmode: 'numeric' }), field('batch', 'opt-batch', { inputmode: 'numeric' }), field('maxFailed', 'opt-max-failed', {})],
  });
  const window = el('div', {
    className: 'option-row',
    children: [field('windowFrom', 'opt-window-from', { placeholder: '22:00' }), field('windowTo', 'opt-window-to', { placeholder: '05:00' })],
  });
  const tz = el('p', { className: 'muted small-text' });
  const box = el('details', { className: 'run-options', children: [summary, intro, phases, window, tz] });
  return {
    el: box,
    update(values, disabled) {
      setText(summary, t('runs.optionsTitle'));
      setText(intro, t('runs.optionsIntro'));
      const labels = { canary: 'runs.canary', batch: 'runs.batch', maxFailed: 'runs.maxFailed', windowFrom: 'runs.windowFrom', windowTo: 'runs.windowTo' };
      for (const [name, { label, input }] of Object.entries(fields)) {
        setText(label, t(labels[name]));
        if (input.value !== (values[name] || '') && document.activeElement !== input) input.value = values[name] || '';
        input.disabled = disabled;
      }
      setText(tz, t('runs.windowTz', { tz: localOffset() }));
    },
  };
}

/** The question a run in phases asks between two phases. `onAnswer(go)`. */
export function phasePrompt({ onAnswer }) {
  const text = el('p', { className: 'phase-text', testid: 'phase-text', attrs: { role: 'status' } });
  const go = el('button', { className: 'button primary', testid: 'phase-continue', attrs: { type: 'button' }, on: { click: () => onAnswer(true) } });
  const stop = el('button', { className: 'button danger-outline', testid: 'phase-stop', attrs: { type: 'button' }, on: { click: () => onAnswer(false) } });
  const card = el('section', { className: 'card phase-card', testid: 'phase-prompt', children: [text, el('div', { className: 'toolbar', children: [el('span', { className: 'toolbar-spacer' }), stop, go] })] });
  card.hidden = true;
  return {
    el: card,
    update(prompt) {
      card.hidden = !prompt;
      if (!prompt) return;
      setText(text, t('runs.phaseDone', { finished: phaseName(prompt.finished), succeeded: prompt.succeeded, failed: prompt.failed, next: phaseName(prompt.next), nextSize: prompt.nextSize, remaining: prompt.remaining }));
      setText(go, t('runs.phaseContinue', { next: phaseName(prompt.next) }));
      setText(stop, t('runs.phaseStop'));
    },
  };
}

/**
 * The maintenance window of the run shown: "opens in" / "closes in" with a countdown that
 * ticks every second while it is on the page.
 */
export function windowLine() {
  const line = el('p', { className: 'run-window small-text', testid: 'run-window' });
  line.hidden = true;
  let current = null;
  const paint = () => {
    if (!current || !line.isConnected) return;
    const state = windowState(current.options, Date.now());
    const key = current.waiting || !state.open ? 'runs.windowOpensIn' : 'runs.windowClosesIn';
    const until = current.waiting ? Date.parse(current.waiting) : state.changeAt;
    setText(line, t(key, { window: current.options.window, tz: current.options.windowTz, countdown: formatCountdown(until - Date.now()) }));
    line.classList.toggle('is-closed', Boolean(current.waiting) || !state.open);
  };
  setInterval(paint, 1000);
  return {
    el: line,
    update(options, waitingUntil, running) {
      current = running && options && options.window ? { options, waiting: waitingUntil } : null;
      line.hidden = !current;
      paint();
    },
  };
}

/**
 * The interrupted runs of one step with Resume and Discard (`id`: the card's own, unique on
 * the page). `onResume(run)`,
 * `onDiscard(run)`; `update(list, busy)` (`busy`: a run of this step is going on).
 */
export function interruptedCard({ id, onResume, onDiscard }) {
  const title = el('h2', { className: 'section-title', attrs: { id: `${id}-title` } });
  const intro = el('p', { className: 'muted small-text' });
  const list = el('ul', { className: 'interrupted-list', testid: 'interrupted-runs' });
  const card = el('section', { className: 'card interrupted-card', attrs: { 'aria-labelledby': `${id}-title` }, children: [title, intro, list] });
  card.hidden = true;
  return {
    el: card,
    update(runs, busy) {
      card.hidden = !runs || runs.length === 0;
      if (card.hidden) return;
      setText(title, tn('runs.interruptedTitle', runs.length));
      setText(intro, t('runs.interruptedIntro'));
      list.replaceChildren(...runs.map((run) => interruptedRow(run, busy, onResume, onDiscard)));
    },
  };
}

function interruptedRow(run, busy, onResume, onDiscard) {
  const c = interruptedCounts(run);
  const what = run.groupName ? t('runs.interruptedGroup', { group: run.groupName }) : t('runs.interruptedNodes');
  const head = el('p', { className: 'interrupted-head', children: [el('strong', { text: what }), el('span', { className: 'muted small-text', text: formatDateTime(run.startedAt) }), el('code', { text: run.runId })] });
  const facts = [tn('runs.interruptedItems', c.total, { onTarget: c.onTarget, notStarted: c.notStarted })];
  if (c.unconfirmed) facts.push(tn('runs.interruptedUnconfirmed', c.unconfirmed));
  const body = el('p', { className: 'small-text', text: facts.join(' ') });
  const why = el('p', { className: 'muted small-text', text: run.paused ? t('runs.interruptedPaused', { reason: stopText(run.pausedSaid, run.paused) }) : t('runs.interruptedCrash') });
  const resume = el('button', { className: 'button primary', testid: 'run-resume', attrs: { type: 'button' }, text: t('runs.resume'), on: { click: () => onResume(run) } });
  const discard = el('button', { className: 'button subtle', testid: 'run-discard', attrs: { type: 'button' }, text: t('runs.discard'), on: { click: () => onDiscard(run) } });
  resume.disabled = busy;
  discard.disabled = busy;
  const li = el('li', { className: 'interrupted-run', testid: 'interrupted-run', children: [head, body, why, el('div', { className: 'toolbar', children: [el('span', { className: 'toolbar-spacer' }), discard, resume] })] });
  setAttr(li, 'data-run-id', run.runId);
  return li;
}
