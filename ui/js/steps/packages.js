// Step 2, "Upload image packages": the package list, the deployment slot preview, the
// warnings, and the upload to the chosen group with per-file progress ("Just upload" or
// "Upload and continue to step 3", as in the guide).
//
// Owns the rendering only: what happens on "Add packages…", a drop, "Remove", "Clear list" or
// an upload is decided by the actions app.js passes in, and the slot plan comes from logic.js.

import { announce, copyText, el, setAttr, setText } from '../dom.js';
import { formatDateTime, formatNumber, formatSize, has, t } from '../i18n.js';
import { SLOTS, UPLOAD_FINAL, baseName, uploadPercent } from '../logic.js';
import { mountPanelHead } from '../wizard.js';
import { errorNotice } from '../widgets.js';

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

/** Makes `ul` hold exactly one `li` per text, reusing the items it has. */
function syncTextList(ul, texts) {
  while (ul.children.length > texts.length) ul.lastElementChild.remove();
  while (ul.children.length < texts.length) ul.append(el('li'));
  texts.forEach((text, i) => setText(ul.children[i], text));
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
    const error = el('p', { className: 'package-error', testid: 'package-error', children: [kindLabel, message] });
    error.dataset.kind = entry.error.kind;
    row.append(
      el('div', { className: 'row-main', children: [badge, el('div', { className: 'row-title', children: [fileName] }), remove] }),
      error,
    );
    return {
      update(current) {
        const kind = current.error.kind;
        setText(badge, t('kind.error'));
        setText(kindLabel, t(has(`error.${kind}`) ? `error.${kind}` : 'error.unknown'));
        const detail = kind === 'not_in_app' ? t('error.notInAppMessage') : current.error.message;
        setText(message, detail ? ` — ${detail}` : '');
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
      setAttr(badge, 'title', `${report.imageTypeName} (${report.imageType})`);
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
      setText(title, group ? t('upload.title', { group: group.name }) : t('upload.titleNoGroup'));
      setText(text, group ? t('upload.text', { product: group.productName, group: group.name }) : t('upload.needGroup'));
      chooseGroup.hidden = Boolean(group);
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
        summaryText = t('upload.summary', { uploaded: count('uploaded'), skipped: count('skipped'), failed: count('failed') });
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
        text = t('upload.phase.failed', { message: progress.error && progress.error.message ? progress.error.message : '' });
      } else {
        text = t(`upload.phase.${progress.phase}`);
      }
      setText(label, text);
      setAttr(bar, 'aria-label', text);
    },
  };
}
