// The header's tools beside the profile and the language: the colour theme, the Activity view
// and Help (About: version, commit, build date, the dependencies' licences; "Open log folder";
// "Save diagnostics…"; "Check for updates"; the keyboard shortcuts), and the shortcuts themselves:
// Ctrl/Cmd+O adds packages (step 2), Ctrl/Cmd+F focuses the filter in view, Esc closes a dialog
// (dialog.js).
//
// app.js mounts it with one call and passes every view change to `update(view)`.

import { call } from './backend.js';
import { confirmDialog, createModal, modalOpen } from './dialog.js';
import { el, lazyMount, setAttr, setText } from './dom.js';
import { formatDateTime, formatNumber, getLanguage, has, t } from './i18n.js';
import { errorLine, mountActivity } from './activity.js';
import { mountThemeSwitch } from './theme.js';

/** The shortcuts About lists, as [keys, catalog key of what they do]. */
export const SHORTCUTS = Object.freeze([
  ['O', 'help.shortcut.open'],
  ['F', 'help.shortcut.find'],
  ['Esc', 'help.shortcut.escape'],
]);

/** Whether a key event is the platform's command modifier plus `key` (Cmd on macOS, Ctrl elsewhere). */
export function isCommand(event, key, mac = /Mac|iPhone|iPad/.test(navigator.platform || '')) {
  const modifier = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  return modifier && !event.altKey && !event.shiftKey && event.key.toLowerCase() === key.toLowerCase();
}

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform || '');

/** A visible element matching `css`, or null. */
/**
 * Why this installation cannot update itself, from `update_check`'s `install`: the shell's
 * `hint` in English (it names the exact command or folder); in another language the catalog's
 * `help.updateManual.<reason>` (the shell's hint is English), the hint only for a reason the
 * catalogs do not know.
 */
export function manualHint(install) {
  const key = `help.updateManual.${install && install.reason}`;
  if (getLanguage() !== 'en' && has(key)) return t(key);
  return (install && install.hint) || '';
}

function visible(css, root = document) {
  return [...root.querySelectorAll(css)].find((node) => node.getClientRects().length > 0 && !node.closest('[hidden], [inert]')) || null;
}

/** Mounts the header tools; returns `{ update(view) }`. */
export function mountHeaderTools() {
  const theme = mountThemeSwitch(document.querySelector('[data-testid="theme-select"]'));
  // Both built when first opened (neither shows at start).
  const activity = lazyMount(mountActivity, { update: undefined, isOpen: false });
  const help = lazyMount(mountHelpDialog);
  const activityButton = document.querySelector('[data-testid="activity-button"]');
  const helpButton = document.querySelector('[data-testid="help-button"]');
  activityButton.addEventListener('click', () => activity.open());
  helpButton.addEventListener('click', () => help.open());

  document.addEventListener('keydown', (event) => {
    if (isCommand(event, 'o') && !modalOpen()) {
      event.preventDefault();
      let add = visible('[data-testid="add-packages"]');
      if (!add) {
        const step2 = document.querySelector('[data-testid="step-link-2"]');
        if (step2) step2.click();
        // The step's panel is drawn synchronously on selection.
        add = visible('[data-testid="add-packages"]');
      }
      if (add && !add.disabled) add.click();
    } else if (isCommand(event, 'f')) {
      const target = activity.isOpen() ? activity.filterInput() : modalOpen() ? null : visible('.step-panel:not([hidden]) input[type="search"]');
      if (target) {
        event.preventDefault();
        target.focus();
        target.select();
      }
    }
  });

  return {
    update(view) {
      theme.update();
      setText(activityButton, t('header.activity'));
      setText(helpButton, t('header.help'));
      activity.update(view);
      help.update();
    },
  };
}

function mountHelpDialog() {
  const heading = el('h2', { className: 'modal-title', attrs: { id: 'help-title' } });
  const close = el('button', { className: 'button subtle', testid: 'help-close', attrs: { type: 'button' } });
  let about = null;
  let aboutError = null;

  const facts = ['version', 'commit', 'built', 'os', 'logFolder'].map((name) => {
    const term = el('dt');
    const value = el('dd', { testid: `about-${name}` });
    return { name, term, value };
  });
  const factList = el('dl', { className: 'about-facts', children: facts.flatMap((f) => [f.term, f.value]) });

  const openLogs = el('button', { className: 'button', testid: 'open-log-folder', attrs: { type: 'button' }, on: { click: () => run(async () => t('help.logFolderOpened', { path: await call('log_folder_open') })) } });
  const saveDiagnostics = el('button', { className: 'button', testid: 'save-diagnostics', attrs: { type: 'button' }, on: { click: () => run(diagnostics) } });
  const checkUpdates = el('button', { className: 'button', testid: 'check-updates', attrs: { type: 'button' }, on: { click: () => run(updates) } });
  const status = el('p', { className: 'help-status small-text', testid: 'help-status', attrs: { role: 'status' } });
  const diagnosticsNote = el('p', { className: 'muted small-text' });

  const shortcutsTitle = el('h3', { className: 'subsection-title' });
  const shortcutRows = SHORTCUTS.map(([key, labelKey]) => {
    const keys = el('kbd');
    const what = el('span');
    return { key, labelKey, keys, what, row: el('li', { children: [keys, what] }) };
  });
  const shortcutList = el('ul', { className: 'shortcut-list', children: shortcutRows.map((r) => r.row) });

  const licencesSummary = el('summary');
  const licencesNote = el('p', { className: 'muted small-text' });
  const licenceList = el('ul', { className: 'licence-list', testid: 'licence-list' });
  const licences = el('details', { className: 'licences', children: [licencesSummary, licencesNote, licenceList] });
  licences.addEventListener('toggle', () => drawLicences());

  const modal = createModal({ className: 'help-modal', labelledBy: 'help-title', testid: 'help-dialog', onClose: () => modal.close() });
  close.addEventListener('click', () => modal.close());
  modal.box.append(
    el('div', { className: 'modal-head', children: [heading, close] }),
    factList,
    el('div', { className: 'toolbar', children: [openLogs, saveDiagnostics, checkUpdates] }),
    diagnosticsNote,
    status,
    shortcutsTitle,
    shortcutList,
    licences,
  );

  async function run(work) {
    setText(status, t('common.loading'));
    status.classList.remove('is-error');
    try {
      setText(status, await work());
    } catch (error) {
      status.classList.add('is-error');
      setText(status, errorLine(error));
    }
  }

  async function diagnostics() {
    const saved = await call('diagnostics_save', { title: t('help.diagnosticsTitle') });
    return saved ? t('help.diagnosticsSaved', { count: formatNumber(saved.files.length), path: saved.path }) : '';
  }

  // The app's own update (issue 12, docs/gui-contract.md "Updates of the app itself"): install in
  // the app when the route allows it, after the person agrees; else say where to get it.
  async function updates() {
    const answer = await call('update_check');
    if (!answer || !answer.update) return t('help.upToDate');
    const { version } = answer.update;
    const available = t('help.updateAvailable', { version });
    if (!answer.install.inApp) {
      return [available, manualHint(answer.install), t('help.updateDownload', { url: answer.install.downloadUrl })].filter(Boolean).join(' ');
    }
    const ok = await confirmDialog({ title: available, lines: [answer.update.notes || ''].filter(Boolean), ok: t('help.updateInstall') });
    if (!ok) return available;
    const installed = await call('update_install', { restart: true });
    return t('help.updateInstalled', { version: installed.version });
  }

  function drawLicences() {
    const list = (about && about.licences) || [];
    if (!licences.open || licenceList.children.length === list.length) return;
    licenceList.replaceChildren(...list.map((l) => el('li', { children: [el('span', { className: 'licence-name', text: [l.name, l.version].join(' ') }), el('span', { className: 'muted', text: l.license })] })));
  }

  function draw() {
    setText(heading, t('help.title'));
    setText(close, t('common.close'));
    const built = about && about.buildEpoch ? formatDateTime(new Date(about.buildEpoch * 1000).toISOString()) : null;
    const values = {
      version: about ? about.version : '—',
      commit: about ? about.commit : '—',
      built: built || '—',
      os: about ? about.os : '—',
      logFolder: about ? about.logDir : '—',
    };
    for (const f of facts) {
      setText(f.term, t(`help.fact.${f.name}`));
      setText(f.value, aboutError && !about ? '—' : values[f.name]);
    }
    setText(openLogs, t('help.openLogs'));
    setText(saveDiagnostics, t('help.saveDiagnostics'));
    setText(checkUpdates, t('help.checkUpdates'));
    setText(diagnosticsNote, t('help.diagnosticsNote'));
    setText(shortcutsTitle, t('help.shortcuts'));
    for (const r of shortcutRows) {
      setText(r.keys, r.key === 'Esc' ? 'Esc' : `${isMac() ? '⌘' : 'Ctrl+'}${r.key}`);
      setText(r.what, t(r.labelKey));
    }
    const count = about && about.licences ? about.licences.length : 0;
    setText(licencesSummary, t('help.licences', { count: formatNumber(count) }));
    setText(licencesNote, t('help.licencesNote'));
    setAttr(licences, 'data-count', count);
    drawLicences();
  }

  return {
    async open() {
      draw();
      modal.open();
      if (!about) {
        try {
          about = await call('about_info');
          aboutError = null;
        } catch (error) {
          aboutError = error;
        }
        draw();
      }
    },
    update() {
      if (modal.isOpen()) draw();
    },
  };
}
