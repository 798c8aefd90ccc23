// The migration screen (issue 14), opened from the profile screen ("Check the move to ARM…"):
// pick a legacy profile and an ARM profile (the Demo tenant may stand on either side: one
// simulated tenant read through both planes), run the check, and see item by item what matches,
// what is missing on one side and what differs — products, device groups (update policy, OS
// feed), the devices of each group, images and each group's current deployment. "Create ARM
// profile from this legacy one" asks only for the subscription, resource group and catalog.
//
// Owns its own small state (the screen is a modal, like the profile screen); the pure parts are
// in fleet-logic.js.

import { call, toBackendError } from './backend.js';
import { createModal } from './dialog.js';
import { announce, el, setAttr, setText } from './dom.js';
import { formatDateTime, formatNumber, getLanguage, has, t, tn } from './i18n.js';
import { differenceParts, migratedName, migrationFormProblems, migrationItems, migrationSides } from './fleet-logic.js';
import { errorNotice, windowedTable } from './widgets.js';

/** Must match `.migration-table .vtable-row { height }` in styles.css. */
export const MIGRATION_ROW_HEIGHT = 40;

/**
 * Mounts the migration screen. `onProfilesChanged()` is called after an ARM profile was
 * created (the profile screen lists it). Returns `{ open(from?), update() }`.
 */
export function mountMigrationScreen({ onProfilesChanged }) {
  const local = { profiles: [], from: '', to: '', busy: null, error: null, report: null, all: false, creating: null, created: null };

  const title = el('h2', { className: 'modal-title', attrs: { id: 'migration-title' } });
  const close = el('button', { className: 'button subtle small', testid: 'migration-close', attrs: { type: 'button' }, on: { click: () => modal.close() } });
  const modal = createModal({ className: 'migration-modal', labelledBy: 'migration-title', testid: 'migration-dialog', onClose: () => modal.close() });
  const intro = el('p', { className: 'muted' });
  const error = errorNotice({});

  const side = (key) => {
    const label = el('label', { className: 'field-label', attrs: { for: `migration-${key}` } });
    const select = el('select', { className: 'text-input', testid: `migration-${key}`, attrs: { id: `migration-${key}` } });
    select.addEventListener('change', () => {
      local[key] = select.value;
      local.report = null;
      render();
    });
    return { label, select, el: el('div', { className: 'field', children: [label, select] }) };
  };
  const from = side('from');
  const to = side('to');
  const check = el('button', { className: 'button primary', testid: 'migration-run', attrs: { type: 'button' }, on: { click: () => runCheck() } });
  const pickers = el('div', { className: 'field-grid', children: [from.el, to.el] });

  const verdict = el('p', { className: 'migration-verdict', testid: 'migration-verdict', attrs: { role: 'status' } });
  const counts = el('p', { className: 'muted small-text', testid: 'migration-counts' });
  const allLabel = el('label', { className: 'check-label' });
  const allBox = el('input', { testid: 'migration-all', attrs: { type: 'checkbox' }, on: { change: (e) => { local.all = e.target.checked; render(); } } });
  allLabel.append(allBox, el('span'));
  const columns = ['migration.col.kind', 'migration.col.item', 'migration.col.status', 'migration.col.differences'];
  const headerCells = columns.map(() => el('span', { className: 'vcell', attrs: { role: 'columnheader' } }));
  const header = el('div', { className: 'vtable-row vtable-header', attrs: { role: 'row', 'aria-rowindex': '1' }, children: headerCells });
  const table = windowedTable({
    className: 'migration-table',
    rowHeight: MIGRATION_ROW_HEIGHT,
    header,
    keyOf: (i) => `${i.kind}\u0000${i.key}`,
    buildRow: itemRow,
    label: () => t('migration.tableLabel'),
  });
  const results = el('section', { className: 'migration-results', children: [verdict, el('div', { className: 'toolbar', children: [counts, el('span', { className: 'toolbar-spacer' }), allLabel] }), table.el] });

  // "Create ARM profile from this legacy one".
  const createTitle = el('h3', { className: 'subsection-title' });
  const createIntro = el('p', { className: 'muted small-text' });
  const createFields = new Map();
  const createGrid = el('div', { className: 'field-grid' });
  for (const key of ['name', 'subscriptionId', 'resourceGroup', 'catalog']) {
    const id = `migration-new-${key}`;
    const label = el('label', { className: 'field-label', attrs: { for: id } });
    const input = el('input', { className: 'text-input', testid: id, attrs: { id, type: 'text', autocomplete: 'off', spellcheck: 'false' } });
    input.addEventListener('input', () => { local.creating[key] = input.value; });
    createFields.set(key, { label, input });
    createGrid.append(el('div', { className: 'field', children: [label, input] }));
  }
  const createButton = el('button', { className: 'button primary', testid: 'migration-create', attrs: { type: 'button' }, on: { click: () => createProfile() } });
  const createCancel = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => { local.creating = null; render(); } } });
  const createProblem = el('p', { className: 'field-problem' });
  const createBox = el('section', { className: 'profile-section migration-create', testid: 'migration-create-form', children: [createTitle, createIntro, createGrid, createProblem, el('div', { className: 'modal-actions', children: [createCancel, createButton] })] });
  const openCreate = el('button', { className: 'button', testid: 'migration-create-open', attrs: { type: 'button' }, on: { click: () => startCreate() } });
  const createdLine = el('p', { className: 'stored-line', testid: 'migration-created', attrs: { role: 'status' } });

  modal.box.append(
    el('div', { className: 'modal-head', children: [title, close] }),
    intro,
    error.el,
    pickers,
    el('div', { className: 'toolbar', children: [check, openCreate, el('span', { className: 'toolbar-spacer' })] }),
    createdLine,
    createBox,
    results,
  );

  let language = getLanguage();

  async function loadProfiles(preferFrom) {
    try {
      const list = await call('profiles_list');
      local.profiles = list.profiles;
      const sides = migrationSides(list.profiles);
      const pick = (current, options, prefer) => (options.includes(prefer) ? prefer : options.includes(current) ? current : options[0] || '');
      local.from = pick(local.from, sides.from, preferFrom);
      // Another profile than `from` when there is one: comparing a tenant with itself says little.
      const others = sides.to.filter((n) => n !== local.from);
      local.to = pick(local.to, sides.to, others[0]);
    } catch (err) {
      local.error = toBackendError(err);
    }
    render();
  }

  async function runCheck() {
    if (!local.from || !local.to || local.busy) return;
    local.busy = 'check';
    local.error = null;
    local.report = null;
    render();
    try {
      local.report = await call('migration_check', { from: local.from, to: local.to });
      const differences = migrationItems(local.report, false).length;
      announce(differences ? tn('migration.differences', differences) : t('migration.allMatched'));
    } catch (err) {
      local.error = toBackendError(err);
    } finally {
      local.busy = null;
      render();
    }
  }

  function startCreate() {
    const names = local.profiles.map((p) => p.name);
    local.creating = { name: migratedName(local.from, names), subscriptionId: '', resourceGroup: '', catalog: '', problems: [] };
    local.created = null;
    render();
    createFields.get('subscriptionId').input.focus();
  }

  async function createProfile() {
    const form = local.creating;
    if (!form || local.busy) return;
    form.problems = migrationFormProblems(form);
    if (form.problems.length) {
      render();
      createFields.get(form.problems[0]).input.focus();
      return;
    }
    local.busy = 'create';
    local.error = null;
    render();
    try {
      const made = await call('migration_profile_create', { from: local.from, name: form.name.trim(), subscriptionId: form.subscriptionId.trim(), resourceGroup: form.resourceGroup.trim(), catalog: form.catalog.trim() });
      local.created = made;
      local.creating = null;
      local.to = made.profile.name;
      announce(t('migration.created', { name: made.profile.name }));
      if (onProfilesChanged) onProfilesChanged();
      await loadProfiles(local.from);
      local.to = made.profile.name;
    } catch (err) {
      local.error = toBackendError(err);
    } finally {
      local.busy = null;
      render();
    }
  }

  function fill(select, names) {
    const have = [...select.options].map((o) => o.value);
    if (have.join('\u0000') !== names.join('\u0000')) select.replaceChildren(...names.map((n) => el('option', { text: n, attrs: { value: n } })));
  }

  function render() {
    setText(title, t('migration.title'));
    setText(close, t('common.close'));
    setText(intro, t('migration.intro'));
    error.update(local.error, () => runCheck());
    const sides = migrationSides(local.profiles);
    setText(from.label, t('migration.from'));
    setText(to.label, t('migration.to'));
    fill(from.select, sides.from);
    fill(to.select, sides.to);
    from.select.value = local.from;
    to.select.value = local.to;
    setText(check, local.busy === 'check' ? t('migration.checking') : t('migration.check'));
    check.disabled = Boolean(local.busy) || !local.from || !local.to;
    const fromProfile = local.profiles.find((p) => p.name === local.from);
    setText(openCreate, t('migration.createOpen'));
    openCreate.hidden = !(fromProfile && fromProfile.backend === 'legacy') || Boolean(local.creating);

    createBox.hidden = !local.creating;
    if (local.creating) {
      setText(createTitle, t('migration.createTitle', { name: local.from }));
      setText(createIntro, t('migration.createIntro'));
      for (const [key, f] of createFields) {
        setText(f.label, t(`migration.field.${key}`));
        if (document.activeElement !== f.input) f.input.value = local.creating[key];
        setAttr(f.input, 'aria-invalid', local.creating.problems.includes(key) ? 'true' : null);
      }
      setText(createProblem, local.creating.problems.length ? t('migration.fieldsMissing') : '');
      setText(createButton, local.busy === 'create' ? t('profile.saving') : t('migration.create'));
      createButton.disabled = Boolean(local.busy);
      setText(createCancel, t('common.cancel'));
    }
    createdLine.hidden = !local.created;
    if (local.created) {
      const c = local.created;
      const parts = [t('migration.created', { name: c.profile.name })];
      if (c.copied.length) parts.push(t('migration.copied', { secrets: c.copied.map((k) => t(`migration.secret.${k}`)) }));
      // What could not be copied: the shell's English sentences (with the keychain's error) in
      // English; in another language the catalog's, naming the secrets.
      const notCopied = Array.isArray(c.notCopied) ? c.notCopied : [];
      if (getLanguage() === 'en' || !notCopied.length) for (const w of c.warnings) parts.push(w);
      else parts.push(t('migration.notCopied', { secrets: notCopied.map((k) => t(`migration.secret.${k}`)), name: c.profile.name }));
      setText(createdLine, parts.join(' '));
    }

    const report = local.report;
    results.hidden = !report;
    if (!report) return;
    const items = migrationItems(report, local.all);
    const differences = report.counts.missingOnTo + report.counts.missingOnFrom + report.counts.differs;
    setText(verdict, differences ? tn('migration.differences', differences) : t('migration.allMatched'));
    verdict.classList.toggle('is-different', differences > 0);
    setText(counts, t('migration.counts', { matched: formatNumber(report.counts.matched), missingOnTo: formatNumber(report.counts.missingOnTo), missingOnFrom: formatNumber(report.counts.missingOnFrom), differs: formatNumber(report.counts.differs), fromAsOf: formatDateTime(report.fromAsOf), toAsOf: formatDateTime(report.toAsOf) }));
    setText(allLabel.lastElementChild, t('migration.showAll'));
    allBox.checked = local.all;
    headerCells.forEach((c, i) => setText(c, t(columns[i])));
    table.update(items, { from: local.from, to: local.to });
  }

  return {
    /** Opens the screen with `from` (a legacy profile) chosen when given. */
    async open(preferFrom) {
      local.error = null;
      render();
      modal.open(close);
      await loadProfiles(preferFrom);
    },
    update() {
      if (getLanguage() === language) return;
      language = getLanguage();
      if (modal.isOpen()) render();
    },
  };
}

function itemRow() {
  const cells = Array.from({ length: 4 }, () => el('span', { className: 'vcell', attrs: { role: 'cell' } }));
  const row = el('div', { className: 'vtable-row', testid: 'migration-item', attrs: { role: 'row' }, children: cells });
  return {
    el: row,
    update(item, ctx) {
      row.dataset.kind = item.kind;
      row.dataset.status = item.status;
      row.dataset.key = item.key;
      const [kind, key, status, diff] = cells;
      setText(kind, t(`migration.kind.${item.kind}`));
      setText(key, item.key);
      setAttr(key, 'title', item.key);
      setText(status, t(`migration.status.${item.status}`, { from: ctx.from, to: ctx.to }));
      status.className = `vcell migration-status is-${item.status}`;
      const text = differenceParts(item, (field) => (has(`migration.diff.${field}`) ? t(`migration.diff.${field}`) : field)).join('; ');
      setText(diff, text);
      setAttr(diff, 'title', text || null);
    },
  };
}
