// Step 2, "Upload image packages": the package list, the deployment slot preview, the
// warnings, and the upload to the chosen group with per-file progress ("Just upload" or
// "Upload and continue to step 3", as in the guide).
//
// Owns the `entries`, `notice`, `dragging`, `picking` and `upload` slices of the wizard state,
// their actions (`createPackagesStep`: picker, drops, inspection, upload over a channel,
// reattaching to an upload in flight) and their view (`mountPackagesStep`). Upload rows are
// keyed by the file's full path, like the package rows, the channel's messages and the answer.

import { call, on, toBackendError } from '../backend.js';
import { announce, copyText, el, setAttr, setText } from '../dom.js';
import { formatDateTime, formatNumber, formatSize, has, t, tn } from '../i18n.js';
import { SLOTS, UPLOAD_FINAL, baseName, mergeEntries, partitionDropped, planSlots, removeEntry, settleInspection, uploadOutcome, uploadPercent, uploadPhase } from '../logic.js';
import { modalOpen } from '../dialog.js';
import { runFollower } from '../runs.js';
import { mountPanelHead } from '../wizard.js';
import { errorNotice, errorParts, syncTextList } from '../widgets.js';

const idleUpload = () => ({ running: false, runId: null, progress: {}, results: null, error: null, continueAfter: false });

/** Step 2's controller over the app context `app` (see app.js). */
export function createPackagesStep(app) {
  const { state } = app;

  async function addFromPicker() {
    // The native picker is modal to the app but not to this page: a second click while it is
    // open would queue a second dialog, so the button is disabled until it closes.
    if (state.picking) return;
    app.set({ picking: true });
    let paths;
    try {
      paths = await call('pick_packages', { title: t('packages.pickerTitle'), filter: t('packages.pickerFilter') });
    } catch (err) {
      showError('notice.pickFailed', err);
      return;
    } finally {
      app.set({ picking: false });
    }
    if (Array.isArray(paths) && paths.length > 0) await addPaths(paths);
  }

  /**
   * Inspects `paths` and merges the results into the list; a file already listed is refreshed.
   * `open` shows step 2 (false when a reload reattaches to an upload).
   */
  async function addPaths(paths, { open = true } = {}) {
    const { packages, others } = partitionDropped(paths);
    state.notice = others.length
      ? { tone: 'info', key: 'notice.skipped', count: others.length, params: { files: others.map(baseName) } }
      : null;
    const known = new Set(state.entries.map((e) => e.file));
    const fresh = [...new Set(packages)].filter((p) => !known.has(p));
    app.set({ ...(open ? { step: 2 } : {}), entries: mergeEntries(state.entries, fresh.map((file) => ({ file, status: 'reading' }))) });
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
    app.set({ entries: mergeEntries(state.entries, results.filter((r) => listed.has(r.file))) });
    const failed = results.filter((r) => r.status === 'error').length;
    const read = results.length - failed;
    announce([read ? tn('packages.addedAnnounce', read) : '', failed ? tn('packages.failedAnnounce', failed) : ''].filter(Boolean).join('. '));
  }

  function showError(key, err) {
    app.set({ notice: { tone: 'error', key, params: { message: errorParts(toBackendError(err)).text } } });
  }

  function onProgress(run, message) {
    if (!message.path) return;
    const progress = { ...state.upload.progress, [message.path]: message };
    app.schedule('upload', { progress });
    // A reattached upload has no answer to wait for: it is over when every file is.
    if (run.attached && Object.values(progress).every((p) => UPLOAD_FINAL.includes(p.phase))) runs.end(run, null);
  }

  /** The end of a reattached upload: its results are its files' final phases. */
  function onDone(run) {
    app.flush();
    if (!run.attached) return;
    const results = Object.values(state.upload.progress).map((p) => ({ path: p.path, file: p.file, imageId: p.imageId, outcome: uploadOutcome(p.phase) }));
    app.patch('upload', { running: false, results });
    announceSummary(results);
  }

  const runs = runFollower({ onProgress, onDone });

  function announceSummary(results) {
    const count = (o) => results.filter((r) => r.outcome === o).length;
    announce(t('upload.summary', { uploaded: count('uploaded'), skipped: count('skipped'), failed: count('failed') + count('cancelled') }));
  }

  /** Uploads the readable packages to the chosen group; optionally opens step 3 afterwards. */
  async function upload({ continueAfter }) {
    const group = app.currentGroup();
    const files = planSlots(state.entries);
    const paths = state.entries.filter((e) => e.status === 'ok' && files.slotOf.get(e.file)).map((e) => e.file);
    if (!group || paths.length === 0 || state.upload.running) return;
    const run = { done: false, attached: false };
    const progress = Object.fromEntries(paths.map((path) => [path, { path, file: baseName(path), phase: 'queued', bytesSent: 0, totalBytes: 0 }]));
    app.patch('upload', { ...idleUpload(), running: true, progress, continueAfter });
    announce(t('upload.running'));
    try {
      const results = await runs.start('packages_upload', { paths }, run);
      runs.end(run, null);
      // The answer is the truth about each file, whatever messages came before it.
      const settled = { ...state.upload.progress };
      for (const r of results) {
        settled[r.path] = { ...(settled[r.path] || {}), path: r.path, file: r.file, imageId: r.imageId, phase: uploadPhase(r), error: r.error || null };
      }
      app.patch('upload', { running: false, results, progress: settled });
      announceSummary(results);
      if (continueAfter && results.every((r) => r.outcome === 'uploaded' || r.outcome === 'skipped')) {
        app.goToStep(3);
        app.steps.deployment.actions.plan();
      }
    } catch (err) {
      runs.end(run, null);
      const error = app.failure(err);
      const progressNow = { ...state.upload.progress };
      for (const [path, p] of Object.entries(progressNow)) {
        if (!UPLOAD_FINAL.includes(p.phase)) progressNow[path] = { ...p, phase: error.kind === 'cancelled' ? 'cancelled' : 'failed', error };
      }
      app.patch('upload', { running: false, progress: progressNow, error: error.kind === 'cancelled' ? null : error });
    }
  }

  /** Shows an upload that a reload left running (`runs_list`) and follows it to its end. */
  function reattach(found) {
    const run = { done: false, attached: true };
    const items = found.items.filter((i) => i && i.path);
    app.patch('upload', { ...idleUpload(), running: true, runId: found.runId, progress: Object.fromEntries(items.map((i) => [i.path, i])) });
    addPaths(items.map((i) => i.path), { open: false });
    return runs.attach(found.runId, run);
  }

  function listenForDrops() {
    // Without this a browser would open a file dropped on the page in place of the app.
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => e.preventDefault());
    on('tauri://drag-enter', () => app.set({ dragging: true }));
    on('tauri://drag-over', () => {
      if (!state.dragging) app.set({ dragging: true });
    });
    on('tauri://drag-leave', () => app.set({ dragging: false }));
    on('tauri://drag-drop', (payload) => {
      app.set({ dragging: false });
      const paths = payload && Array.isArray(payload.paths) ? payload.paths : [];
      if (paths.length) addPaths(paths);
    });
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || modalOpen()) return;
      if (state.dragging) app.set({ dragging: false });
      else if (state.notice) app.set({ notice: null });
    });
  }

  const actions = {
    addFromPicker,
    addPaths,
    upload,
    async cancelUpload() {
      try {
        await call('upload_cancel');
      } catch (err) {
        app.patch('upload', { error: app.failure(err) });
      }
    },
    remove(file) {
      const at = state.entries.findIndex((e) => e.file === file);
      app.set({ entries: removeEntry(state.entries, file) });
      announce(t('packages.removedAnnounce', { file: baseName(file) }));
      // Keep keyboard focus in the list (on the row that took the removed one's place) rather
      // than losing it to <body>.
      const buttons = document.querySelectorAll('[data-testid="package-row"] .remove-button');
      const next = buttons[Math.min(at, buttons.length - 1)] || document.querySelector('[data-testid="add-packages"]');
      if (next) next.focus();
    },
    clear() {
      app.set({ entries: [], notice: null, upload: idleUpload() });
      announce(t('packages.clearedAnnounce'));
      const add = document.querySelector('[data-testid="add-packages"]');
      if (add) add.focus();
    },
    dismissNotice() {
      app.set({ notice: null });
    },
  };

  return {
    id: 'packages',
    runKind: 'upload',
    initial: () => ({ entries: [], notice: null, dragging: false, picking: false, upload: idleUpload() }),
    actions,
    mount: (section, step) => mountPackagesStep(section, step, { ...app.common, ...actions }),
    derive(view) {
      const notice = state.notice;
      const text = notice && (notice.count === undefined ? t(notice.key, notice.params) : tn(notice.key, notice.count, notice.params));
      return { plan: planSlots(state.entries), notice: notice ? { tone: notice.tone, text } : null };
    },
    listen: listenForDrops,
    reattach,
    onGroupChanged() {
      if (!state.upload.running) state.upload = idleUpload();
    },
  };
}

/**
 * Mounts step 2 into `section`.
 * `actions`: `addFromPicker()`, `remove(file)`, `clear()`, `dismissNotice()`,
 * `upload({ continueAfter })`, `cancelUpload()`, `goToStep(n)`, `signIn()`.
 */
export function mountPackagesStep(section, step, actions) {
  const head = mountPanelHead(step);
  const intro = el('p', { className: 'panel-intro' });

  const addButton = el('button', {
    className: 'button primary',
    testid: 'add-packages',
    attrs: { type: 'button' },
    on: { click: () => actions.addFromPicker() },
  });
  const dropHint = el('span', { className: 'muted toolbar-hint' });
  const clearButton = el('button', { className: 'button subtle', attrs: { type: 'button' }, on: { click: () => actions.clear() } });
  const toolbar = el('div', {
    className: 'toolbar',
    children: [addButton, dropHint, el('span', { className: 'toolbar-spacer' }), clearButton],
  });

  const noticeText = el('p', { className: 'notice-text' });
  const noticeDismiss = el('button', { className: 'button subtle small', attrs: { type: 'button' }, on: { click: () => actions.dismissNotice() } });
  const notice = el('div', { className: 'notice', attrs: { role: 'alert' }, children: [noticeText, noticeDismiss] });

  const warningsTitle = el('h2', { className: 'section-title' });
  const warningsList = el('ul', { className: 'warning-list' });
  const warnings = el('section', { className: 'warnings', children: [warningsTitle, warningsList] });

  const slotsTitle = el('h2', { className: 'section-title', attrs: { id: 'slots-title' } });
  const slotsIntro = el('p', { className: 'muted small-text' });
  const slotCards = SLOTS.map((slot) => {
    const name = el('span', { className: 'slot-name' });
    const hint = el('span', { className: 'slot-hint' });
    const value = el('span', { className: 'slot-value' });
    const card = el('li', { className: 'slot-card', children: [el('span', { className: 'slot-label', children: [name, hint] }), value] });
    card.dataset.slot = slot.id;
    return { slot, card, name, hint, value };
  });
  const slots = el('section', {
    className: 'slots',
    attrs: { 'aria-labelledby': 'slots-title' },
    children: [slotsTitle, slotsIntro, el('ol', { className: 'slot-grid', children: slotCards.map((s) => s.card) })],
  });

  const list = el('ul', { className: 'package-list' });
  const emptyTitle = el('p', { className: 'empty-title' });
  const emptyHelp = el('p', { className: 'muted' });
  const empty = el('div', {
    className: 'empty-state',
    children: [el('span', { className: 'empty-icon', attrs: { 'aria-hidden': 'true' } }), emptyTitle, emptyHelp],
  });
  const upload = mountUploadCard(actions);

  section.append(head.el, intro, toolbar, notice, warnings, slots, upload.el, list, empty);

  /** Rows by file path, so updates keep each row's DOM (and focus, and "Copied" state). */
  const rows = new Map();

  return {
    update(view) {
      head.update();
      setText(intro, t('packages.intro'));
      setText(addButton, t('packages.add'));
      addButton.disabled = view.picking;
      setAttr(addButton, 'aria-busy', view.picking ? 'true' : null);
      setText(dropHint, t('packages.dropHint'));
      setText(clearButton, t('packages.clear'));
      clearButton.hidden = view.entries.length === 0;
      setText(noticeDismiss, t('notice.dismiss'));
      upload.update(view);

      notice.hidden = !view.notice;
      if (view.notice) {
        setText(noticeText, view.notice.text);
        notice.classList.toggle('is-error', view.notice.tone === 'error');
      }

      const { plan } = view;
      warnings.hidden = plan.warnings.length === 0;
      setText(warningsTitle, t('warnings.heading'));
      const warningTexts = plan.warnings.map((w) => t(`warn.${w.code}`, w.params));
      syncTextList(warningsList, warningTexts);

      setText(slotsTitle, t('slots.heading'));
      setText(slotsIntro, t('slots.intro'));
      for (const { slot, card, name, hint, value } of slotCards) {
        const report = plan.slots[slot.id];
        setText(name, t(`slot.${slot.id}`));
        setText(hint, t(`slot.${slot.id}.hint`));
        setText(value, report ? report.name : t('slots.empty'));
        setAttr(value, 'title', report ? report.name : null);
        card.classList.toggle('is-filled', Boolean(report));
      }

      empty.hidden = view.entries.length > 0;
      list.hidden = view.entries.length === 0;
      setText(emptyTitle, t('packages.empty'));
      setText(emptyHelp, t('packages.emptyHelp'));
      setAttr(list, 'aria-label', t('packages.listLabel'));
      setAttr(list, 'aria-busy', view.entries.some((e) => e.status === 'reading') ? 'true' : null);

      const seen = new Set();
      view.entries.forEach((entry, index) => {
        seen.add(entry.file);
        let row = rows.get(entry.file);
        if (!row) {
          row = createPackageRow(entry.file, actions);
          rows.set(entry.file, row);
        }
        row.update(entry, plan.slotOf.get(entry.file), view.upload.progress[entry.file]);
        // Only move a row when it is out of place: moving a focused node loses its focus.
        if (list.children[index] !== row.el) list.insertBefore(row.el, list.children[index] || null);
      });
      for (const [file, row] of rows) {
        if (!seen.has(file)) {
          row.el.remove();
          rows.delete(file);
        }
      }
    },
  };
}

/**
 * One row of the package list. Its inside is rebuilt only when the entry's status changes
 * (reading → ok or error); otherwise `update` rewrites texts in place.
 */
function createPackageRow(file, actions) {
  const row = el('li', { className: 'package-row', testid: 'package-row' });
  row.dataset.file = file;
  let status = null;
  let parts = null;

  return {
    el: row,
    update(entry, slotId, progress) {
      if (entry.status !== status) {
        status = entry.status;
        parts = buildRow(row, entry, actions);
      }
      parts.update(entry, slotId, progress);
    },
  };
}

function buildRow(row, entry, actions) {
  row.replaceChildren();
  row.classList.toggle('is-error', entry.status === 'error');
  row.classList.toggle('is-reading', entry.status === 'reading');

  const badge = el('span', { className: 'badge', testid: entry.status === 'ok' ? 'package-kind' : null });
  const fileName = el('span', { className: 'package-file', text: baseName(entry.file), attrs: { title: entry.file } });
  const remove = el('button', {
    className: 'button subtle small remove-button',
    attrs: { type: 'button' },
    on: { click: () => actions.remove(entry.file) },
  });
  const removeUpdate = () => {
    setText(remove, t('packages.remove'));
    setAttr(remove, 'aria-label', t('packages.removeLabel', { file: baseName(entry.file) }));
  };

  if (entry.status === 'reading') {
    const reading = el('span', { className: 'muted' });
    badge.classList.add('badge-pending');
    row.append(el('div', { className: 'row-main', children: [badge, el('div', { className: 'row-title', children: [fileName] }), reading, remove] }));
    return {
      update() {
        setText(badge, '…');
        setText(reading, t('packages.reading'));
        removeUpdate();
      },
    };
  }

  if (entry.status === 'error') {
    badge.classList.add('badge-error');
    const kindLabel = el('strong', { className: 'error-kind' });
    const message = el('span', { className: 'error-message' });
    const detailsLabel = el('summary');
    const detailsText = el('p', { className: 'error-detail-text' });
    const details = el('details', { className: 'error-details', children: [detailsLabel, detailsText] });
    const error = el('p', { className: 'package-error', testid: 'package-error', children: [kindLabel, ' — ', message] });
    error.dataset.kind = entry.error.kind;
    row.append(
      el('div', { className: 'row-main', children: [badge, el('div', { className: 'row-title', children: [fileName] }), remove] }),
      error,
      details,
    );
    return {
      update(current) {
        const parts = errorParts(current.error);
        setText(badge, t('kind.error'));
        setText(kindLabel, parts.title);
        setText(message, parts.text);
        details.hidden = !parts.detail;
        setText(detailsLabel, t('errors.details'));
        setText(detailsText, parts.detail);
        removeUpdate();
      },
    };
  }

  // status === 'ok'
  const name = el('span', { className: 'package-name', testid: 'package-name' });
  const slotFact = fact();
  const builtFact = fact();
  const sizeFact = fact();
  const imageId = createCopyField('packages.field.imageId', 'image-id');
  const componentId = createCopyField('packages.field.componentId', 'component-id');
  const notes = el('ul', { className: 'row-notes' });
  const uploadStatus = uploadLine();
  row.append(
    el('div', {
      className: 'row-main',
      children: [
        badge,
        el('div', { className: 'row-title', children: [name, fileName] }),
        el('dl', { className: 'facts', children: [slotFact.el, builtFact.el, sizeFact.el] }),
        remove,
      ],
    }),
    el('dl', { className: 'row-ids', children: [imageId.el, componentId.el] }),
    notes,
    uploadStatus.el,
  );

  return {
    update(current, slotId, progress) {
      uploadStatus.update(progress);
      const report = current.report;
      badge.className = `badge kind-${String(report.kind).toLowerCase()}`;
      badge.dataset.kind = report.kind;
      setText(badge, t(has(`kind.${report.kind}`) ? `kind.${report.kind}` : 'kind.Other'));
      // The SDK's name of the image type, in the user's language where the catalogs have one.
      const typeName = has(`imageType.${report.imageType}`) ? t(`imageType.${report.imageType}`) : report.imageTypeName;
      setAttr(badge, 'title', t('packages.imageTypeTitle', { name: typeName, type: String(report.imageType) }));
      setText(name, report.name);
      setAttr(name, 'title', report.name);

      let slotText;
      if (slotId) slotText = t(`slot.${slotId}`);
      else if (['HLApp', 'RTApp', 'BoardConfig'].includes(report.kind)) slotText = t('slot.none');
      else slotText = t('slot.notDeployable');
      slotFact.update(t('packages.field.slot'), slotText);
      slotFact.value.classList.toggle('is-warning', !slotId);

      builtFact.update(t('packages.field.built'), formatDateTime(report.builtAt) || t('packages.builtUnknown'));
      setAttr(builtFact.value, 'title', report.builtAt || null);
      sizeFact.update(t('packages.field.size'), formatSize(report.sizeBytes));

      imageId.update(report.imageId);
      componentId.update(report.componentId);

      const noteTexts = [];
      if (report.developmentTestCertificate) noteTexts.push(t('packages.devCert'));
      if (report.temporaryImage && report.temporaryImage.removeAtBoot) noteTexts.push(t('packages.temporary'));
      if (report.temporaryImage && report.temporaryImage.underDevelopment) noteTexts.push(t('packages.underDevelopment'));
      syncTextList(notes, noteTexts);
      notes.hidden = noteTexts.length === 0;
      removeUpdate();
    },
  };
}

/** A label/value pair inside a `<dl>`. */
function fact() {
  const label = el('dt');
  const value = el('dd');
  return {
    el: el('div', { className: 'fact', children: [label, value] }),
    value,
    update(labelText, valueText) {
      setText(label, labelText);
      setText(value, valueText);
    },
  };
}

/**
 * An id with its copy button. After a successful copy the button reads "Copied" for two
 * seconds and the live region says what was copied; when copying fails the id is selected so
 * that Ctrl+C works, and the live region says so.
 */
function createCopyField(fieldKey, testid) {
  const label = el('dt');
  const value = el('code', { className: 'id-value', testid });
  const button = el('button', { className: 'button small copy-button', attrs: { type: 'button' } });
  let copied = false;
  let timer = null;

  function refresh() {
    setText(label, t(fieldKey));
    setText(button, copied ? t('packages.copied') : t('packages.copy'));
    button.classList.toggle('is-copied', copied);
    setAttr(button, 'aria-label', t('packages.copyLabel', { field: t(fieldKey), value: value.textContent }));
  }

  button.addEventListener('click', async () => {
    const ok = await copyText(value.textContent);
    if (ok) {
      copied = true;
      announce(t('packages.copiedAnnounce', { field: t(fieldKey) }));
      clearTimeout(timer);
      timer = setTimeout(() => {
        copied = false;
        refresh();
      }, 2000);
    } else {
      const range = document.createRange();
      range.selectNodeContents(value);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      announce(t('packages.copyFailed'));
    }
    refresh();
  });

  return {
    el: el('div', { className: 'id-field', children: [label, el('dd', { children: [value, button] })] }),
    update(id) {
      setText(value, id);
      refresh();
    },
  };
}

/**
 * The "Upload to <group>" card under the list: the two ways to upload, Cancel while it runs,
 * and the outcome.
 */
function mountUploadCard(actions) {
  const title = el('h2', { className: 'section-title', attrs: { id: 'upload-title' } });
  const text = el('p', { className: 'muted' });
  const justUpload = el('button', { className: 'button', testid: 'upload-button', attrs: { type: 'button' }, on: { click: () => actions.upload({ continueAfter: false }) } });
  const andContinue = el('button', { className: 'button primary', testid: 'upload-continue', attrs: { type: 'button' }, on: { click: () => actions.upload({ continueAfter: true }) } });
  const cancel = el('button', { className: 'button danger-outline', testid: 'upload-cancel', attrs: { type: 'button' }, on: { click: () => actions.cancelUpload() } });
  const chooseGroup = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => actions.goToStep(1) } });
  const toStep3 = el('button', { className: 'button subtle', attrs: { type: 'button' }, on: { click: () => actions.goToStep(3) } });
  const summary = el('p', { className: 'upload-summary', attrs: { role: 'status' } });
  const error = errorNotice(actions);
  const card = el('section', {
    className: 'card upload-card',
    attrs: { 'aria-labelledby': 'upload-title' },
    children: [title, text, error.el, el('div', { className: 'toolbar', children: [chooseGroup, justUpload, andContinue, cancel, el('span', { className: 'toolbar-spacer' }), toStep3] }), summary],
  });
  return {
    el: card,
    update(view) {
      const group = view.groups.items.find((g) => g.id === view.groupId);
      const readable = view.entries.filter((e) => e.status === 'ok');
      const { upload } = view;
      // An upload a reload reattached to goes on without a chosen group (uploads go to the tenant).
      const orphan = !group && upload.running;
      setText(title, group ? t('upload.title', { group: group.name }) : t(orphan ? 'upload.titleRunning' : 'upload.titleNoGroup'));
      setText(text, group ? t('upload.text', { product: group.productName, group: group.name }) : t(orphan ? 'upload.textReattached' : 'upload.needGroup'));
      chooseGroup.hidden = Boolean(group) || orphan;
      setText(chooseGroup, t('upload.chooseGroup'));
      setText(justUpload, t('upload.just'));
      setText(andContinue, t('upload.andContinue'));
      setText(cancel, t('common.cancel'));
      setText(toStep3, t('upload.toStep3'));
      const canStart = Boolean(group) && readable.length > 0 && !upload.running && view.plan.warnings.length === 0;
      justUpload.disabled = !canStart;
      andContinue.disabled = !canStart;
      justUpload.hidden = !group;
      andContinue.hidden = !group;
      cancel.hidden = !upload.running;
      setAttr(card, 'aria-busy', upload.running ? 'true' : null);
      toStep3.hidden = !(upload.results && !upload.running);
      error.update(upload.error, () => actions.upload({ continueAfter: upload.continueAfter }));
      let summaryText = '';
      if (upload.running) summaryText = t('upload.running');
      else if (upload.results) {
        const count = (o) => upload.results.filter((r) => r.outcome === o).length;
        summaryText = t('upload.summary', { uploaded: count('uploaded'), skipped: count('skipped'), failed: count('failed') + count('cancelled') });
      } else if (group && readable.length > 0 && view.plan.warnings.length > 0) summaryText = t('upload.fixWarnings');
      else if (group && readable.length === 0) summaryText = t('upload.nothing');
      setText(summary, summaryText);
      summary.hidden = summaryText === '';
    },
  };
}

/** One file's upload progress inside its row: a bar, bytes, percent and rate, then the phase. */
function uploadLine() {
  const bar = el('progress', { className: 'upload-bar', attrs: { max: '100', value: '0' } });
  const label = el('span', { className: 'upload-text' });
  const line = el('p', { className: 'upload-status', testid: 'upload-status', children: [bar, label] });
  line.hidden = true;
  return {
    el: line,
    update(progress) {
      line.hidden = !progress;
      if (!progress) return;
      line.dataset.phase = progress.phase;
      line.className = `upload-status phase-${progress.phase}`;
      const percent = progress.phase === 'done' || progress.phase === 'processing' ? 100 : uploadPercent(progress);
      bar.hidden = UPLOAD_FINAL.includes(progress.phase) || progress.phase === 'queued';
      setAttr(bar, 'value', percent);
      let text;
      if (progress.phase === 'uploading') {
        text = t('upload.progress', {
          sent: formatSize(progress.bytesSent),
          total: formatSize(progress.totalBytes),
          percent: formatNumber(percent),
          rate: formatSize(progress.bytesPerSecond || 0),
        });
      } else if (progress.phase === 'failed') {
        text = t('upload.phase.failed', { message: progress.error ? errorParts(progress.error).text : '' });
      } else {
        text = t(`upload.phase.${progress.phase}`);
      }
      setText(label, text);
      setAttr(bar, 'aria-label', text);
    },
  };
}
