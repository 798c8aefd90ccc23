// Entry point of the wizard window: holds the view state, wires the backend to the views and
// re-renders every mounted view on each change (each view's `update(view)` is idempotent).
//
// Stable hooks for the end-to-end WebDriver test (tests/ drive the real window through these;
// keep them when restyling):
//   data-testid="step-link-1" … "step-link-6"  the step rail buttons; the active one carries
//                                               aria-current="step"
//   data-testid="add-packages"                 step 2's "Add packages…" button (calls
//                                               pick_packages, then inspect_packages)
//   data-testid="package-row"                  one <li> per file in step 2, with data-file = the
//                                               absolute path the backend reported
//   data-testid="package-kind"                 inside a readable row: the kind badge; its
//                                               data-kind holds the raw kind (HLApp, RTApp,
//                                               BoardConfig, Other), its text is localized
//   data-testid="package-name"                 inside a readable row: the package's name
//   data-testid="image-id"                     inside a readable row: exactly the Image ID text
//   data-testid="component-id"                 inside a readable row: exactly the Component ID
//   data-testid="package-error"                inside a damaged row: the reason; its data-kind
//                                               holds the error kind (damaged_package, io, …)
//   data-testid="lang-switch"                  the language group in the header; its buttons
//                                               carry data-lang="en" / data-lang="ko" and
//                                               aria-pressed
// While a package is being read its row has class "is-reading"; wait for it to go away.

import { backendMode, call, on, toBackendError } from './backend.js';
import { announce, setAttr, setText, translateStatic } from './dom.js';
import { getLanguage, initialLanguage, setLanguage, t, tn } from './i18n.js';
import { mergeEntries, settleInspection, partitionDropped, planSlots, removeEntry, baseName } from './logic.js';
import { mountLaterStep } from './steps/later.js';
import { mountPackagesStep } from './steps/packages.js';
import { STEPS, mountStepRail, openingStep } from './wizard.js';

const LANGUAGE_KEY = 'asg-fota.language';

const state = {
  step: openingStep(),
  mode: backendMode(),
  appInfo: null,
  /** Step 2's list: `{ file, status: 'reading' | 'ok' | 'error', report?, error? }`. */
  entries: [],
  /** One message above step 2's list: `{ tone: 'info' | 'error', key, params, count? }`. */
  notice: null,
  dragging: false,
  /** True while the native file picker is open. */
  picking: false,
};

const views = [];

function setState(patch) {
  Object.assign(state, patch);
  render();
}

function render() {
  const view = {
    ...state,
    plan: planSlots(state.entries),
    notice: state.notice ? { tone: state.notice.tone, text: noticeText(state.notice) } : null,
  };
  document.documentElement.lang = getLanguage();
  document.title = t('app.name');
  translateStatic(document, t);
  document.body.classList.toggle('is-dragging', state.dragging);
  for (const v of views) v.update(view);
}

function noticeText(notice) {
  return notice.count === undefined ? t(notice.key, notice.params) : tn(notice.key, notice.count, notice.params);
}

// ---- Step 2 actions -------------------------------------------------------------------------

async function addFromPicker() {
  // The native picker is modal to the app but not to this page: a second click while it is
  // open would queue a second dialog, so the button is disabled until it closes.
  if (state.picking) return;
  setState({ picking: true });
  let paths;
  try {
    paths = await call('pick_packages');
  } catch (err) {
    showError('notice.pickFailed', err);
    return;
  } finally {
    setState({ picking: false });
  }
  if (Array.isArray(paths) && paths.length > 0) await addPaths(paths);
}

/** Inspects `paths` and merges the results into the list; a file already listed is refreshed. */
async function addPaths(paths) {
  const { packages, others } = partitionDropped(paths);
  state.notice = others.length
    ? { tone: 'info', key: 'notice.skipped', count: others.length, params: { files: others.map(baseName) } }
    : null;
  const known = new Set(state.entries.map((e) => e.file));
  const fresh = [...new Set(packages)].filter((p) => !known.has(p));
  setState({ step: 2, entries: mergeEntries(state.entries, fresh.map((file) => ({ file, status: 'reading' }))) });
  if (packages.length === 0) return;

  const requested = [...new Set(packages)];
  let results;
  try {
    results = settleInspection(requested, await call('inspect_packages', { paths: requested }));
  } catch (err) {
    const error = toBackendError(err);
    results = requested.map((file) => ({ file, status: 'error', error }));
  }
  // A file removed while it was being read stays removed.
  const listed = new Set(state.entries.map((e) => e.file));
  setState({ entries: mergeEntries(state.entries, results.filter((r) => listed.has(r.file))) });
  const failed = results.filter((r) => r.status === 'error').length;
  const read = results.length - failed;
  announce([read ? tn('packages.addedAnnounce', read) : '', failed ? tn('packages.failedAnnounce', failed) : ''].filter(Boolean).join('. '));
}

function showError(key, err) {
  const error = toBackendError(err);
  const message = error.kind === 'not_in_app' ? t('error.notInAppMessage') : error.message;
  setState({ notice: { tone: 'error', key, params: { message } } });
}

const packageActions = {
  addFromPicker,
  remove(file) {
    const at = state.entries.findIndex((e) => e.file === file);
    setState({ entries: removeEntry(state.entries, file) });
    announce(t('packages.removedAnnounce', { file: baseName(file) }));
    // Keep keyboard focus in the list (on the row that took the removed one's place) rather
    // than losing it to <body>.
    const buttons = document.querySelectorAll('[data-testid="package-row"] .remove-button');
    const next = buttons[Math.min(at, buttons.length - 1)] || document.querySelector('[data-testid="add-packages"]');
    if (next) next.focus();
  },
  clear() {
    setState({ entries: [], notice: null });
    announce(t('packages.clearedAnnounce'));
    const add = document.querySelector('[data-testid="add-packages"]');
    if (add) add.focus();
  },
  dismissNotice() {
    setState({ notice: null });
  },
};

// ---- Wiring ---------------------------------------------------------------------------------

function selectStep(number) {
  setState({ step: number });
}

/**
 * Opens step `number` from a button inside a panel. The button disappears with its panel, so
 * focus moves to the new panel's heading instead of falling back to <body>.
 */
function goToStep(number) {
  selectStep(number);
  const heading = document.getElementById(`step-${number}-title`);
  if (heading) heading.focus();
}

function mountHeader() {
  const group = document.querySelector('[data-testid="lang-switch"]');
  for (const button of group.querySelectorAll('button[data-lang]')) {
    button.addEventListener('click', () => {
      setLanguage(button.dataset.lang);
      try {
        localStorage.setItem(LANGUAGE_KEY, button.dataset.lang);
      } catch {
        // Storage can be unavailable (private mode, file: URLs); the choice then lasts a session.
      }
      render();
    });
  }
  const banner = document.getElementById('mode-banner');
  const version = document.getElementById('app-version');
  return {
    update(view) {
      for (const button of group.querySelectorAll('button[data-lang]')) {
        setAttr(button, 'aria-pressed', button.dataset.lang === getLanguage() ? 'true' : 'false');
      }
      banner.hidden = view.mode === 'app';
      banner.classList.toggle('is-fake', view.mode === 'fake');
      setText(banner, view.mode === 'fake' ? t('banner.fake') : view.mode === 'browser' ? t('banner.browser') : '');
      setText(version, view.appInfo ? t('app.version', { version: view.appInfo.version }) : '');
    },
  };
}

function mountPanels() {
  const main = document.getElementById('main');
  for (const step of STEPS) {
    const section = document.createElement('section');
    section.className = 'step-panel';
    section.dataset.step = String(step.number);
    section.setAttribute('aria-labelledby', `step-${step.number}-title`);
    main.append(section);
    const view = step.id === 'packages'
      ? mountPackagesStep(section, step, packageActions)
      : mountLaterStep(section, step, { onGoTo: goToStep });
    views.push({
      update(v) {
        section.hidden = v.step !== step.number;
        if (!section.hidden) view.update(v);
      },
    });
  }
}

function listenForDrops() {
  // Without this a browser would open a file dropped on the page in place of the app.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  on('tauri://drag-enter', () => setState({ dragging: true }));
  on('tauri://drag-over', () => {
    if (!state.dragging) setState({ dragging: true });
  });
  on('tauri://drag-leave', () => setState({ dragging: false }));
  on('tauri://drag-drop', (payload) => {
    setState({ dragging: false });
    const paths = payload && Array.isArray(payload.paths) ? payload.paths : [];
    if (paths.length) addPaths(paths);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (state.dragging) setState({ dragging: false });
    else if (state.notice) setState({ notice: null });
  });
}

async function start() {
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    stored = null;
  }
  let appInfo = null;
  try {
    appInfo = await call('app_info');
  } catch {
    appInfo = null; // Outside the app: fall back to the browser's language below.
  }
  const osLocale = appInfo && appInfo.locale ? appInfo.locale : navigator.language;
  setLanguage(initialLanguage({ stored, osLocale }), osLocale);
  state.appInfo = appInfo;

  views.push(mountHeader());
  views.push(mountStepRail(document.getElementById('step-rail'), { onSelect: selectStep }));
  mountPanels();
  render();
  listenForDrops();
}

start();
