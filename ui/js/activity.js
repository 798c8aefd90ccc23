// The Activity view (header → Activity): the journal of every change this computer made to a
// tenant, filterable by profile, kind of change, group, gateway and date, exported as CSV or
// JSON; and the "Export CSV" button of steps 5 and 6.
//
// Owns: the Activity dialog, saving an export through the shell (`export_save` opens the save
// dialog; a web view cannot write files), and its confirmation. The pure rules (filters, CSV)
// are in export.js.

import { call } from './backend.js';
import { createModal } from './dialog.js';
import { announce, el, setAttr, setText } from './dom.js';
import { formatDateTime, formatNumber, t } from './i18n.js';
import { JOURNAL_ACTIONS, JOURNAL_COLUMNS, exportFileName, filterJournal, journalProfiles, journalRow, toCsv } from './export.js';
import { shortId } from './logic.js';
import { errorParts, saidText } from './widgets.js';

/** An error in one line: the kind's title and what it means, in the user's language. */
export function errorLine(error) {
  const parts = errorParts(error);
  return [parts.title, parts.text].filter(Boolean).join(' ');
}

/** How many rows the table builds; the export always holds every matching entry. */
const SHOWN_ROWS = 500;

/**
 * Asks where to save `contents` and saves it. Resolves with the path, or null when cancelled;
 * announces the outcome and rejects with `{kind, message}` on failure.
 */
export async function saveExport({ what, ext, contents, titleKey }) {
  const fileName = exportFileName(what, ext);
  const path = await call('export_save', { title: t(titleKey), fileName, contents });
  if (path) announce(t('export.saved', { path }));
  return path;
}

/**
 * An "Export CSV" button for a table of a step. `update(rowsOf, columns)` gives a function
 * returning the rows in view (called only when pressed: 10,000 gateways cost nothing until then).
 */
export function csvExportButton({ what, titleKey, testid }) {
  let rowsOf = () => [];
  let columns = [];
  const status = el('span', { className: 'muted small-text export-status', attrs: { role: 'status' } });
  const button = el('button', {
    className: 'button',
    testid,
    attrs: { type: 'button' },
    on: {
      click: async () => {
        try {
          const path = await saveExport({ what, ext: 'csv', contents: toCsv(columns, rowsOf()), titleKey });
          setText(status, path ? t('export.saved', { path }) : '');
        } catch (error) {
          setText(status, errorLine(error));
        }
      },
    },
  });
  return {
    el: el('span', { className: 'export-box', children: [button, status] }),
    update(nextRowsOf, nextColumns) {
      rowsOf = nextRowsOf;
      columns = nextColumns;
      setText(button, t('export.csv'));
    },
  };
}

/** Mounts the Activity dialog; `open()` shows it and reads the journal. */
export function mountActivity() {
  const heading = el('h2', { className: 'modal-title', attrs: { id: 'activity-title' } });
  const close = el('button', { className: 'button subtle', testid: 'activity-close', attrs: { type: 'button' } });
  const intro = el('p', { className: 'muted' });
  const state = { entries: [], filter: {}, error: null, loading: false };

  const field = (labelKey, control) => {
    const label = el('span', { className: 'field-label' });
    const box = el('label', { className: 'field', children: [label, control] });
    return { box, update: () => setText(label, t(labelKey)) };
  };
  const profile = el('select', { className: 'text-input', testid: 'activity-profile' });
  const action = el('select', { className: 'text-input', testid: 'activity-kind' });
  const group = el('input', { className: 'text-input', testid: 'activity-group', attrs: { type: 'search', autocomplete: 'off', spellcheck: 'false' } });
  const gateway = el('input', { className: 'text-input', testid: 'activity-gateway', attrs: { type: 'search', autocomplete: 'off', spellcheck: 'false' } });
  const from = el('input', { className: 'text-input', testid: 'activity-from', attrs: { type: 'date' } });
  const to = el('input', { className: 'text-input', testid: 'activity-to', attrs: { type: 'date' } });
  const fields = [
    field('activity.filter.profile', profile),
    field('activity.filter.kind', action),
    field('activity.filter.group', group),
    field('activity.filter.gateway', gateway),
    field('activity.filter.from', from),
    field('activity.filter.to', to),
  ];
  const readFilter = () => {
    state.filter = { profile: profile.value, action: action.value, group: group.value, gateway: gateway.value, from: from.value, to: to.value };
    draw();
  };
  for (const control of [profile, action, from, to]) control.addEventListener('change', readFilter);
  for (const control of [group, gateway]) control.addEventListener('input', readFilter);

  const refresh = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => load() } });
  const exportCsv = el('button', { className: 'button', testid: 'activity-export-csv', attrs: { type: 'button' }, on: { click: () => exportAs('csv') } });
  const exportJson = el('button', { className: 'button', testid: 'activity-export-json', attrs: { type: 'button' }, on: { click: () => exportAs('json') } });
  const count = el('span', { className: 'selected-line', attrs: { role: 'status' } });
  const status = el('p', { className: 'muted small-text', attrs: { role: 'status' } });
  const more = el('p', { className: 'muted small-text' });
  const error = el('p', { className: 'notice is-error', attrs: { role: 'alert' } });
  const columns = ['activity.col.time', 'activity.col.profile', 'activity.col.kind', 'activity.col.target', 'activity.col.result', 'activity.col.detail'];
  const headCells = columns.map(() => el('th', { attrs: { scope: 'col' } }));
  const body = el('tbody');
  const table = el('table', { className: 'activity-table', testid: 'activity-table', children: [el('thead', { children: [el('tr', { children: headCells })] }), body] });
  const scroller = el('div', { className: 'table-scroll activity-scroll', children: [table] });
  const empty = el('p', { className: 'muted' });

  const modal = createModal({ className: 'activity-modal', labelledBy: 'activity-title', testid: 'activity-dialog', onClose: () => modal.close() });
  close.addEventListener('click', () => modal.close());
  modal.box.append(
    el('div', { className: 'modal-head', children: [heading, close] }),
    intro,
    el('div', { className: 'activity-filters', children: fields.map((f) => f.box) }),
    el('div', { className: 'toolbar', children: [count, el('span', { className: 'toolbar-spacer' }), refresh, exportCsv, exportJson] }),
    status,
    error,
    scroller,
    more,
    empty,
  );

  function filtered() {
    return filterJournal(state.entries, state.filter);
  }

  async function exportAs(ext) {
    const rows = filtered();
    const contents = ext === 'csv' ? toCsv(JOURNAL_COLUMNS, rows.map(journalRow)) : `${JSON.stringify(rows, null, 2)}\n`;
    try {
      const path = await saveExport({ what: 'activity', ext, contents, titleKey: 'activity.exportTitle' });
      setText(status, path ? t('export.saved', { path }) : '');
    } catch (e) {
      setText(status, errorLine(e));
    }
  }

  async function load() {
    state.loading = true;
    draw();
    try {
      // Newest first, as the journal's reader returns them.
      state.entries = await call('journal_recent', { limit: 10000 });
      state.error = null;
    } catch (e) {
      state.error = e;
    }
    state.loading = false;
    draw();
  }

  function syncOptions(select, values, labelOf) {
    const wanted = ['', ...values];
    while (select.options.length > wanted.length) select.lastElementChild.remove();
    while (select.options.length < wanted.length) select.append(el('option'));
    wanted.forEach((value, i) => {
      select.options[i].value = value;
      setText(select.options[i], value ? labelOf(value) : t('activity.all'));
    });
    if (!wanted.includes(state.filter[select === profile ? 'profile' : 'action'] || '')) select.value = '';
  }

  // Ids are shortened in the table (the full ones are in the tooltip and in the exports).
  function targetParts(e) {
    const target = e.target || {};
    const id = (value) => value && { text: shortId(value), full: value };
    const plain = (value) => value && { text: value, full: value };
    return [plain(target.group_name) || id(target.group_id), id(target.device_id), plain(target.mac), plain(target.file || (target.image_names || []).join(', ')), id(target.deployment_id)].filter(Boolean);
  }

  function draw() {
    setText(heading, t('activity.title'));
    setText(close, t('common.close'));
    setText(intro, t('activity.intro'));
    fields.forEach((f) => f.update());
    syncOptions(profile, journalProfiles(state.entries), (v) => v);
    syncOptions(action, JOURNAL_ACTIONS, (v) => t(`activity.action.${v}`));
    setAttr(group, 'placeholder', t('activity.filter.groupHint'));
    setAttr(gateway, 'placeholder', t('activity.filter.gatewayHint'));
    setText(refresh, state.loading ? t('common.loading') : t('common.refresh'));
    refresh.disabled = state.loading;
    setText(exportCsv, t('activity.exportCsv'));
    setText(exportJson, t('activity.exportJson'));
    columns.forEach((key, i) => setText(headCells[i], t(key)));
    error.hidden = !state.error;
    if (state.error) setText(error, errorLine(state.error));
    const rows = filtered();
    exportCsv.disabled = rows.length === 0;
    exportJson.disabled = rows.length === 0;
    setText(count, t('activity.count', { shown: formatNumber(rows.length), total: formatNumber(state.entries.length) }));
    const shown = rows.slice(0, SHOWN_ROWS);
    body.replaceChildren(
      ...shown.map((e) =>
        el('tr', {
          className: `activity-row result-${e.result}`,
          testid: 'activity-row',
          children: [
            el('td', { className: 'nowrap', children: [el('time', { text: formatDateTime(e.at) || '—', attrs: { datetime: e.at } })] }),
            el('td', { text: e.profile || '—' }),
            el('td', { text: t(`activity.action.${JOURNAL_ACTIONS.includes(e.action) ? e.action : 'other'}`) }),
            el('td', { className: 'activity-target', text: targetParts(e).map((p) => p.text).join(' · ') || '—', attrs: { title: targetParts(e).map((p) => p.full).join('\n') || null } }),
            el('td', { className: `activity-result`, text: t(`activity.result.${['ok', 'failed', 'skipped', 'pending'].includes(e.result) ? e.result : 'other'}`) }),
            el('td', { className: 'activity-detail', text: saidText(e.said ? `journal.${e.said.key}` : '', e.said && e.said.params, e.detail) }),
          ],
        }),
      ),
    );
    scroller.hidden = rows.length === 0;
    empty.hidden = state.loading || rows.length > 0;
    setText(empty, state.entries.length === 0 ? t('activity.none') : t('activity.noMatch'));
    setText(more, rows.length > SHOWN_ROWS ? t('activity.more', { shown: formatNumber(SHOWN_ROWS) }) : '');
    more.hidden = rows.length <= SHOWN_ROWS;
  }

  return {
    open() {
      draw();
      modal.open();
      load();
    },
    isOpen: () => modal.isOpen(),
    /** The filter the Ctrl/Cmd+F shortcut focuses while the dialog is open. */
    filterInput: () => gateway,
    update() {
      if (modal.isOpen()) draw();
    },
  };
}
