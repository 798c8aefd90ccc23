// Building blocks shared by the steps and the profile screen: the error notice with the action
// a person can take, copy buttons, kind badges, "as of" lines and the windowed table that keeps
// 10,000 gateways fast.
//
// Like every view here each block is built once and has an idempotent `update(...)` that only
// writes text, attributes and classes.

import { announce, copyText, el, setAttr, setText } from './dom.js';
import { formatDateTime, getLanguage, has, t } from './i18n.js';
import { errorAction, visibleRange } from './logic.js';

/**
 * What to show for a backend error `{kind, message, params?}`, in the current language:
 * `title` and `text` from `errors.<kind>.title` / `.message` (with `params` filled in; the
 * catalogs put every placeholder in parentheses, dropped whole when a value is missing), the
 * `action` id (`errorAction`) with its label `actionText`, and `detail`, the core's English
 * message for the "Details" disclosure. A kind the catalogs do not know reads as `unknown`.
 * A `setting` param reads as its label on the profile screen.
 * `params.reason` names a more exact message, `errors.<kind>.reason.<reason>`, used instead of
 * the kind's own when the catalogs have it (an empty secret, a run of another profile…).
 */
export function errorParts(error) {
  const kind = has(`errors.${error.kind}.title`) ? error.kind : 'unknown';
  const params = { ...(error.params && typeof error.params === 'object' ? error.params : {}) };
  // A profile setting is named as the profile screen labels it (`tenant_id` → "Tenant ID").
  if (typeof params.setting === 'string') {
    const label = `profile.field.${params.setting.replace(/_([a-z])/g, (_, c) => c.toUpperCase())}`;
    if (has(label)) params.setting = t(label);
  }
  const exact = typeof params.reason === 'string' ? `errors.${kind}.reason.${params.reason}` : '';
  const text = t(exact && has(exact) ? exact : `errors.${kind}.message`, params)
    .replace(/\s*\([^()]*\{\w+\}[^()]*\)/g, '')
    .replace(/\{\w+\}/g, '')
    .replace(/ {2,}/g, ' ');
  return {
    kind,
    title: t(`errors.${kind}.title`, params),
    text,
    action: errorAction(kind),
    actionText: t(`errors.${kind}.action`, params),
    detail: error.kind === 'not_in_app' ? '' : String(error.message || ''),
  };
}

/**
 * A sentence the core said as data — a catalog `key` and its `params` — in the user's language,
 * or the core's English `fallback` when the catalogs do not know the key. A `kind` param (a GUI
 * error kind) reads as that kind's title, a `policy` param as the policy's name.
 */
export function saidText(key, params, fallback) {
  if (!key || !has(key)) return String(fallback || '');
  const values = { ...(params && typeof params === 'object' ? params : {}) };
  if (typeof values.kind === 'string') values.kind = errorParts({ kind: values.kind }).title;
  if (typeof values.phase === 'string') values.phase = phaseName(values.phase);
  if (typeof values.policy === 'string' && has(`policy.${values.policy}`)) values.policy = t(`policy.${values.policy}`);
  return t(key, values);
}

/**
 * A phase of a phased run as the core names it (`canary`, `batch 2`) in the user's language;
 * any other name as it is.
 */
export function phaseName(name) {
  const text = String(name || '');
  if (text === 'canary') return t('runs.phaseName.canary');
  const batch = /^batch (\d+)$/.exec(text);
  return batch ? t('runs.phaseName.batch', { n: batch[1] }) : text;
}

/**
 * Why a run stopped early and stays resumable (`stopped` of a `done` message, `paused` of an
 * interrupted run): its `said` form (`runs.stop.<key>`) in the user's language, the core's
 * English sentence for a run that has none (paused by an older version).
 */
export function stopText(said, english) {
  return saidText(said && said.key ? `runs.stop.${said.key}` : null, said && said.params, english);
}

/**
 * Why a device or node failed: the core's own sentence in English, and in another language the
 * message of its error `kind` (the kind is data; the core's sentence is English only).
 */
export function reasonText(kind, reason) {
  if (getLanguage() === 'en' || !kind) return String(reason || '');
  return errorParts({ kind }).text;
}

/**
 * A notice for a backend error: what happened (the kind's title and plain message in the
 * user's language), the next action as a button — "Sign in", "Try again", "Choose another
 * file", "Open settings" — or as advice when there is nothing the app can do for the person,
 * and the core's own English message under "Details". `actions.signIn()`, `chooseFile()` and
 * `openSettings()` come from app.js; `retry` is given per update.
 */
export function errorNotice(actions) {
  const title = el('strong', { className: 'error-kind' });
  const message = el('span', { className: 'error-message' });
  const advice = el('p', { className: 'error-advice' });
  const button = el('button', { className: 'button small', attrs: { type: 'button' } });
  const summary = el('summary');
  // The core's own English words, kept as they are for support: marked English so a screen
  // reader reads them as English on a Korean screen (docs/gui-contract.md, "Details").
  const detail = el('p', { className: 'error-detail-text', attrs: { lang: 'en' } });
  const details = el('details', { className: 'error-details', children: [summary, detail] });
  const body = el('div', { className: 'error-body', children: [el('p', { className: 'notice-text', children: [title, ' ', message] }), advice, details] });
  const box = el('div', { className: 'notice is-error', testid: 'error-notice', attrs: { role: 'alert' }, children: [body, button] });
  box.hidden = true;
  let onAction = null;
  button.addEventListener('click', () => onAction && onAction());
  return {
    el: box,
    /** Shows `error` (`{kind, message, params?}`) or hides the notice when it is null. */
    update(error, retry) {
      box.hidden = !error;
      if (!error) return;
      const parts = errorParts(error);
      box.dataset.kind = error.kind;
      box.dataset.action = parts.action;
      setText(title, parts.title);
      setText(message, parts.text);
      const handlers = { sign_in: actions.signIn, retry, choose_file: actions.chooseFile, open_settings: actions.openSettings };
      onAction = handlers[parts.action] || null;
      setText(button, parts.actionText);
      button.hidden = !onAction;
      if (parts.action === 'sign_in') button.dataset.testid = 'error-sign-in';
      else delete button.dataset.testid;
      // With no button, the action's words are advice ("Ask an administrator…").
      advice.hidden = Boolean(onAction) || parts.action === 'retry';
      setText(advice, parts.actionText);
      details.hidden = !parts.detail;
      setText(summary, t('errors.details'));
      setText(detail, parts.detail);
    },
  };
}

/**
 * A small "Copy" button for an id that is shown shortened. `labelKey` names what it copies
 * (for the button's accessible name and the announcement).
 */
export function copyButton(labelKey) {
  let value = '';
  let timer = null;
  const button = el('button', { className: 'button small copy-button', attrs: { type: 'button' } });
  const refresh = (copied) => {
    setText(button, copied ? t('packages.copied') : t('packages.copy'));
    button.classList.toggle('is-copied', copied);
    setAttr(button, 'aria-label', t('packages.copyLabel', { field: t(labelKey), value }));
    setAttr(button, 'title', value);
  };
  button.addEventListener('click', async (event) => {
    event.stopPropagation();
    const ok = await copyText(value);
    announce(ok ? t('packages.copiedAnnounce', { field: t(labelKey) }) : t('packages.copyFailed'));
    if (!ok) return;
    refresh(true);
    clearTimeout(timer);
    timer = setTimeout(() => refresh(false), 2000);
  });
  return {
    el: button,
    update(next) {
      if (next !== value) {
        value = String(next || '');
        refresh(false);
      } else if (!button.classList.contains('is-copied')) {
        refresh(false);
      }
    },
  };
}

/** A role for people: the catalog's word for the roles it knows, the shell's name otherwise. */
export function roleText(role) {
  if (!role) return t('role.none');
  return has(`role.${role}`) ? t(`role.${role}`) : String(role);
}

/** Updates `badge` to show an image kind (HLApp, RTApp, BoardConfig, Other, Unknown). */
export function updateKindBadge(badge, kind) {
  const known = ['HLApp', 'RTApp', 'BoardConfig', 'Other'].includes(kind) ? kind : 'Other';
  const className = `badge kind-${known.toLowerCase()}`;
  if (badge.className !== className) badge.className = className;
  badge.dataset.kind = kind;
  setText(badge, t(has(`kind.${kind}`) ? `kind.${kind}` : 'kind.Other'));
}

/** "As of 27 Nov 2026, 14:02" for a status read from the cloud, or '' without a time. */
export function asOfText(asOf) {
  const time = formatDateTime(asOf);
  return time ? t('common.asOf', { time }) : '';
}

/** Makes `ul` hold exactly one `li` per text, reusing the items it has. */
export function syncTextList(ul, texts) {
  while (ul.children.length > texts.length) ul.lastElementChild.remove();
  while (ul.children.length < texts.length) ul.append(el('li'));
  texts.forEach((text, i) => setText(ul.children[i], text));
}

/**
 * A table that builds only the rows in view (windowed rendering with a fixed row height), for
 * lists of thousands of gateways or nodes. Rows are `{ el, update(item) }` made by `buildRow`
 * and keyed by `keyOf(item)`, so a row keeps its element (and its focus) while it stays in
 * view; rows that leave are reused for rows that enter. Spacers above and below are SVG
 * elements sized by their `height` attribute, since the CSP forbids inline styles.
 *
 * `rowHeight` must match `.vtable-row` in styles.css.
 */
export function windowedTable({ className, rowHeight, header, buildRow, keyOf, label }) {
  const spacer = () => el('div', { className: 'vtable-spacer', attrs: { 'aria-hidden': 'true' } });
  const top = spacer();
  const bottom = spacer();
  const topSvg = svgSpacer();
  const bottomSvg = svgSpacer();
  top.append(topSvg);
  bottom.append(bottomSvg);
  const body = el('div', { className: 'vtable-body', attrs: { role: 'rowgroup' } });
  // One scroll container holds the header (sticky) and the rows, so they can never scroll apart
  // horizontally; the columns are sized in styles.css to fit without a horizontal scrollbar.
  const head = el('div', { className: 'vtable-head', attrs: { role: 'rowgroup' }, children: [header] });
  const viewport = el('div', { className: 'vtable-viewport', children: [head, top, body, bottom] });
  const table = el('div', {
    className: `vtable ${className || ''}`.trim(),
    attrs: { role: 'table' },
    children: [viewport],
  });
  let items = [];
  let context = null;
  const live = new Map();
  const spare = [];
  let scheduled = false;

  function draw() {
    scheduled = false;
    const scrollTop = viewport.scrollTop;
    const range = visibleRange({
      scrollTop,
      viewportHeight: viewport.clientHeight || 480,
      rowHeight,
      total: items.length,
      overscan: 8,
    });
    const wanted = new Map();
    for (let i = range.start; i < range.end; i += 1) wanted.set(keyOf(items[i]), i);
    for (const [key, row] of live) {
      if (!wanted.has(key)) {
        row.el.remove();
        live.delete(key);
        spare.push(row);
      }
    }
    let at = 0;
    for (const [key, index] of wanted) {
      let row = live.get(key);
      if (!row) {
        row = spare.pop() || buildRow();
        live.set(key, row);
      }
      row.update(items[index], context);
      setAttr(row.el, 'aria-rowindex', index + 2);
      // Only a row that is out of place moves: moving a focused element would drop its focus.
      if (body.children[at] !== row.el) body.insertBefore(row.el, body.children[at] || null);
      at += 1;
    }
    setAttr(topSvg, 'height', range.offsetTop);
    setAttr(bottomSvg, 'height', Math.max(0, range.totalHeight - range.offsetTop - (range.end - range.start) * rowHeight));
    // WebKit moves scrollTop on the layout after rows are swapped under a view scrolled to the
    // very end (back by the height of the rows taken out, though the content keeps its height),
    // so the last rows could never be reached: put it back. Found by the table benchmark.
    // Only asked at the end of the list: reading scrollTop after the swap forces a second layout.
    if (scrollTop > 0 && range.end >= items.length && viewport.scrollTop !== scrollTop) viewport.scrollTop = scrollTop;
  }

  // Up/Down (and Page Up/Down, Ctrl+Home/End) move the focus to the same cell of another row,
  // scrolling it into view first: Tab alone would jump past the rows that are not built.
  body.addEventListener('keydown', (event) => {
    const keys = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    let step = keys[event.key];
    if (event.ctrlKey && event.key === 'Home') step = -Infinity;
    if (event.ctrlKey && event.key === 'End') step = Infinity;
    if (step === undefined || ['TEXTAREA', 'SELECT'].includes(document.activeElement.tagName)) return;
    const rowEl = document.activeElement.closest('[role="row"]');
    const cellEl = document.activeElement.closest('[role="cell"]');
    if (!rowEl || !cellEl) return;
    const from = Number(rowEl.getAttribute('aria-rowindex')) - 2;
    const to = Math.max(0, Math.min(items.length - 1, from + step));
    if (!Number.isFinite(from) || to === from) return;
    event.preventDefault();
    const column = [...rowEl.children].indexOf(cellEl);
    // Rows start below the sticky header, which covers the top of the viewport.
    const top = to * rowHeight;
    const below = top + rowHeight + head.offsetHeight;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (below > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = below - viewport.clientHeight;
    draw();
    const target = live.get(keyOf(items[to]));
    const cell = target && target.el.children[column];
    const focusable = cell && cell.querySelector('input, button');
    if (focusable) focusable.focus();
  });

  viewport.addEventListener('scroll', () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  });

  return {
    el: table,
    viewport,
    /** Shows `list`; `ctx` is handed to every row's `update` (selection, progress…). */
    update(list, ctx) {
      items = list;
      context = ctx;
      setAttr(table, 'aria-rowcount', list.length + 1);
      setAttr(table, 'aria-label', label ? label() : null);
      draw();
    },
    /** Scrolls back to the first row (after the filter changed). */
    scrollToTop() {
      viewport.scrollTop = 0;
    },
  };
}

function svgSpacer() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '1');
  svg.setAttribute('height', '0');
  svg.setAttribute('focusable', 'false');
  return svg;
}

/**
 * The card a step shows when what it needs is missing ("Choose a device group in step 1"),
 * with a button that opens the step that provides it. `update(shown)` hides or shows it.
 */
export function missingCard({ textKey, buttonKey, step, goToStep }) {
  const text = el('p');
  const button = el('button', { className: 'button primary', attrs: { type: 'button' }, on: { click: () => goToStep(step) } });
  const card = el('div', { className: 'card empty-card', children: [text, button] });
  return {
    el: card,
    update(shown) {
      card.hidden = !shown;
      setText(text, t(textKey));
      setText(button, t(buttonKey));
    },
  };
}

/** A search box that filters as one types; `onQuery(text)` gets every change. */
export function searchBox({ testid, placeholderKey, onQuery }) {
  const input = el('input', {
    className: 'search-input',
    testid,
    attrs: { type: 'search', autocomplete: 'off', spellcheck: 'false' },
    on: { input: (e) => onQuery(e.target.value) },
  });
  return {
    el: input,
    /** Shows `query` unless the user is typing in the box (the box is the source then). */
    update(query) {
      setAttr(input, 'placeholder', t(placeholderKey));
      setAttr(input, 'aria-label', t(placeholderKey));
      if (input.value !== query && document.activeElement !== input) input.value = query;
    },
  };
}
