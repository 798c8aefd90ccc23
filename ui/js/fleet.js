// The Fleet screen (issue 14), beside the six steps: where every gateway and node stands against
// its group's current deployment. Per product and group the figures — gateways on target,
// pending, failed, offline, unknown; nodes outdated, up to date, updating — each with its
// "as of" time and source (control plane or IoT Hub twin). The figures grow as the report is
// counted (the groups first, then page by page; a group's figures open only once it is complete)
// and the screen says it is still counting; a refresh keeps the figures shown until the new
// report is complete. A figure opens the gateways behind it in a windowed table (10,000 rows
// stay fast), and from there step 5 or 6 with those gateways selected — one group at a time: a
// figure spanning several groups offers a choice of group, with its count. Refreshes on demand
// and on a chosen interval; on a legacy profile it shows the days left until the legacy API
// retires.
//
// Owns the `fleet` slice of the state, its actions (`createFleetScreen`) and its view. The
// pure parts (the report from its messages, rows, drill-down, hand-off) are in fleet-logic.js.

import { call, channel } from './backend.js';
import { announce, el, setAttr, setText } from './dom.js';
import { formatDateTime, formatNumber, formatTime, t, tn } from './i18n.js';
import { GATEWAY_FIGURES, NODE_FIGURES, REFRESH_INTERVALS, applyCompliance, countingProgress, drillDown, drillGroups, filterDrill, fleetRows, handoff, prepareDrillDown, sourceKey } from './fleet-logic.js';
import { shortId } from './logic.js';
import { asOfText, errorNotice, saidText, searchBox, windowedTable } from './widgets.js';

/** The value of `state.step` while the Fleet screen is shown (the steps are numbers). */
export const FLEET = 'fleet';

/** Must match `.fleet-table .vtable-row { height }` in styles.css. */
export const FLEET_ROW_HEIGHT = 40;

const initialFleet = () => ({ status: 'idle', report: null, progress: null, error: null, interval: 0, drill: null, query: '', handoff: null, retirement: null });

/** How often, at most, the figures are redrawn while a report streams in (ms). */
const DRAW_EVERY = 100;

/** The Fleet screen's controller over the app context `app` (see app.js). */
export function createFleetScreen(app) {
  const { state } = app;
  let timer = null;
  // Each load's messages carry its number; a load superseded (tenant switched) is ignored.
  let loads = 0;

  /**
   * Reads the report. The first one is drawn as it is counted; a refresh counts in the
   * background and replaces the figures shown once it is complete.
   */
  async function load() {
    if (state.fleet.status === 'loading') return;
    const id = ++loads;
    const first = !state.fleet.report;
    let building = null;
    let pending = null;
    app.patch('fleet', { status: 'loading', error: null, progress: null });
    const draw = () => {
      pending = null;
      if (id !== loads || !building) return;
      app.patch('fleet', first ? { report: building, progress: countingProgress(building) } : { progress: countingProgress(building) });
    };
    const onMessage = (message) => {
      if (id !== loads) return;
      building = applyCompliance(building, message);
      if (message && message.type === 'done') {
        clearTimeout(pending);
        finish(building);
      } else if (!pending) pending = setTimeout(draw, DRAW_EVERY);
    };
    try {
      await call('compliance_report', { group: null, onEvent: channel(onMessage) });
    } catch (err) {
      clearTimeout(pending);
      if (id !== loads) return;
      app.patch('fleet', { status: 'error', error: app.failure(err), progress: null, ...(first ? { report: null } : {}) });
    }
  }

  /** The complete report replaces what was shown; the drill-down follows the fresh figures. */
  function finish(report) {
    const old = state.fleet.drill;
    const drill = old ? { ...old, ...drillDown(report, old.rowKey, old.figure) } : null;
    app.patch('fleet', { status: 'ok', report, progress: null, drill });
    announce(t('fleet.loaded', { time: formatTime(report.asOf) }));
    // The gateways behind every figure are made ready after this frame, not on the first click.
    setTimeout(() => prepareDrillDown(report), 0);
  }

  async function loadRetirement() {
    try {
      app.patch('fleet', { retirement: await call('legacy_retirement') });
    } catch {
      // Only a notice; the figures do not depend on it.
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    const seconds = state.fleet.interval;
    if (seconds > 0) {
      timer = setInterval(() => {
        if (state.step === FLEET) load();
      }, seconds * 1000);
    }
  }

  /**
   * Selects, in step 5, the drill-down's gateways (as filtered) of the chosen group, then opens
   * step `number` (5 or 6).
   */
  async function openInStep(number) {
    const drill = state.fleet.drill;
    if (!drill) return;
    const chosen = handoff(filterDrill(drill.rows, state.fleet.query), state.fleet.handoff);
    if (!chosen) return;
    const { groupId, ids } = chosen;
    app.steps.group.actions.selectGroup(groupId);
    await app.steps.devices.actions.loadGateways();
    app.patch('gateways', { selected: new Set(ids) });
    app.goToStep(number);
  }

  const actions = {
    load,
    setInterval(seconds) {
      app.patch('fleet', { interval: seconds });
      schedule();
    },
    drill(rowKey, figure) {
      const report = state.fleet.report;
      if (!report) return;
      app.patch('fleet', { drill: { rowKey, figure, ...drillDown(report, rowKey, figure) }, query: '', handoff: null });
    },
    closeDrill() {
      app.patch('fleet', { drill: null, query: '', handoff: null });
    },
    setQuery(query) {
      app.patch('fleet', { query });
    },
    /** The group whose gateways go to step 5 or 6 when the drill-down spans several. */
    chooseHandoff(groupId) {
      app.patch('fleet', { handoff: groupId });
    },
    openInStep,
  };

  return {
    initial: () => ({ fleet: initialFleet() }),
    actions,
    mount: (section) => mountFleetScreen(section, { ...app.common, ...actions }),
    /** Called when the screen is opened from the rail. */
    onOpen() {
      if (state.fleet.status === 'idle' || state.fleet.status === 'error') load();
      if (state.session && state.session.backend === 'legacy' && !state.fleet.retirement) loadRetirement();
    },
    onTenantChanged() {
      const { interval } = state.fleet;
      loads += 1;
      state.fleet = { ...initialFleet(), interval };
    },
  };
}

/** The rail's entry to the Fleet screen, below the six steps. `onSelect()` opens it. */
export function mountFleetLink(nav, { onSelect }) {
  const title = el('span', { className: 'step-title' });
  const note = el('span', { className: 'step-note' });
  const mark = el('span', { className: 'step-number fleet-mark', text: '◎', attrs: { 'aria-hidden': 'true' } });
  const button = el('button', {
    className: 'step-link fleet-link',
    testid: 'fleet-link',
    attrs: { type: 'button' },
    on: { click: () => onSelect() },
    children: [mark, el('span', { className: 'step-text', children: [title, note] })],
  });
  const list = nav.querySelector('.step-list');
  const item = el('div', { className: 'fleet-link-box', children: [button] });
  if (list) list.after(item);
  else nav.prepend(item);
  return {
    update(view) {
      const active = view.step === FLEET;
      setText(title, t('fleet.title'));
      const report = view.fleet.report;
      const noteText = report ? tn('fleet.railNote', report.gateways.onTarget.count, { total: formatNumber(report.gateways.total) }) : '';
      setText(note, noteText);
      note.hidden = !noteText;
      setAttr(button, 'aria-current', active ? 'page' : null);
      setAttr(button, 'title', t('fleet.title'));
      button.classList.toggle('is-active', active);
    },
  };
}

/**
 * Mounts the Fleet screen into `section`. `actions`: `load()`, `setInterval(seconds)`,
 * `drill(rowKey, figure)`, `closeDrill()`, `setQuery(q)`, `openInStep(n)`, `signIn()`.
 */
export function mountFleetScreen(section, actions) {
  const eyebrow = el('p', { className: 'panel-eyebrow' });
  const heading = el('h1', { className: 'panel-title', attrs: { id: 'fleet-title', tabindex: '-1' } });
  const summary = el('p', { className: 'panel-summary' });
  const head = el('header', { className: 'panel-head', children: [eyebrow, heading, summary] });
  section.setAttribute('aria-labelledby', 'fleet-title');

  const retirement = el('p', { className: 'notice fleet-retirement', testid: 'fleet-retirement' });
  const refresh = el('button', { className: 'button', testid: 'fleet-refresh', attrs: { type: 'button' }, on: { click: () => actions.load() } });
  const intervalLabel = el('label', { className: 'field-label inline-label', attrs: { for: 'fleet-interval' } });
  const interval = el('select', { className: 'text-input', testid: 'fleet-interval', attrs: { id: 'fleet-interval' }, on: { change: (e) => actions.setInterval(Number(e.target.value)) } });
  for (const seconds of REFRESH_INTERVALS) interval.append(el('option', { attrs: { value: String(seconds) } }));
  const asOf = el('span', { className: 'muted small-text', testid: 'fleet-as-of' });
  const counting = el('span', { className: 'small-text fleet-counting', testid: 'fleet-progress', attrs: { role: 'status' } });
  const toolbar = el('div', { className: 'toolbar', children: [refresh, intervalLabel, interval, el('span', { className: 'toolbar-spacer' }), counting, asOf] });
  const error = errorNotice(actions);
  const empty = el('p', { className: 'muted' });

  // The figures: one row per fleet / product / group, one button per figure.
  const figureKeys = [...GATEWAY_FIGURES.map((k) => `gateways.${k}`), ...NODE_FIGURES.map((k) => `nodes.${k}`)];
  const headRow = el('tr', { children: [el('th', { attrs: { scope: 'col' } }), ...figureKeys.map(() => el('th', { attrs: { scope: 'col' } }))] });
  const groupHead = el('tr', { className: 'fleet-head-groups' });
  const gwHead = el('th', { attrs: { scope: 'colgroup', colspan: String(GATEWAY_FIGURES.length) } });
  const nodeHead = el('th', { attrs: { scope: 'colgroup', colspan: String(NODE_FIGURES.length) } });
  groupHead.append(el('td'), gwHead, nodeHead);
  const tbody = el('tbody');
  const caption = el('caption', { className: 'visually-hidden' });
  const figures = el('table', { className: 'fleet-figures', testid: 'fleet-figures', children: [caption, el('thead', { children: [groupHead, headRow] }), tbody] });
  const figuresBox = el('div', { className: 'card fleet-figures-card', children: [figures] });
  const rowEls = new Map();

  function figureRow(row) {
    const nameCell = el('th', { attrs: { scope: 'row' } });
    const cells = figureKeys.map((key) => {
      const count = el('span', { className: 'fleet-count' });
      const time = el('span', { className: 'fleet-meta' });
      const meta = el('span', { className: 'fleet-meta' });
      const button = el('button', { className: 'fleet-figure', testid: 'fleet-figure', attrs: { type: 'button' }, children: [count, time, meta] });
      button.dataset.figure = key;
      button.addEventListener('click', () => actions.drill(tr.dataset.row, key));
      return { key, button, count, time, meta, td: el('td', { children: [button] }) };
    });
    const tr = el('tr', { className: `fleet-row is-${row.level}`, testid: 'fleet-row', children: [nameCell, ...cells.map((c) => c.td)] });
    return { tr, nameCell, cells };
  }

  function updateFigureRow(view, row, drill) {
    view.tr.dataset.row = row.key;
    view.tr.dataset.level = row.level;
    view.tr.dataset.counting = String(row.counting);
    if (row.group) view.tr.dataset.group = row.group.groupName;
    else delete view.tr.dataset.group;
    if (row.level === 'fleet') setText(view.nameCell, t('fleet.allGroups'));
    else if (row.level === 'product') setText(view.nameCell, row.name);
    else setText(view.nameCell, row.name);
    if (row.level === 'group') {
      const g = row.group;
      const policy = g.policyBlocksApps ? ` · ${t('fleet.policyBlocks')}` : '';
      setAttr(view.nameCell, 'title', `${row.product}/${row.name}${g.target ? ` · ${t('fleet.target', { expected: g.target.expected || '—' })}` : ` · ${t('fleet.noTarget')}`}${policy}`);
    } else setAttr(view.nameCell, 'title', null);
    for (const c of view.cells) {
      const [side, name] = c.key.split('.');
      const f = row[side] && row[side][name];
      const n = f ? f.count : 0;
      setText(c.count, formatNumber(n));
      const source = t(sourceKey(f ? f.sources : []));
      setText(c.time, n && f.asOf ? formatTime(f.asOf) : '');
      setText(c.meta, n ? source : '');
      // A row still being counted has no ids behind its figures yet.
      c.button.disabled = n === 0 || row.counting;
      c.button.dataset.count = String(n);
      c.button.classList.toggle('is-attention', n > 0 && ['gateways.failed', 'gateways.offline', 'nodes.outdated'].includes(c.key));
      const pressed = Boolean(drill && drill.rowKey === row.key && drill.figure === c.key);
      setAttr(c.button, 'aria-pressed', pressed ? 'true' : 'false');
      const asOfLine = f && f.asOf ? t('fleet.asOfSource', { time: formatDateTime(f.asOf), source }) : '';
      setAttr(c.button, 'aria-label', `${row.level === 'fleet' ? t('fleet.allGroups') : row.name}: ${t(`fleet.figure.${c.key}`)} ${formatNumber(n)}${asOfLine ? `, ${asOfLine}` : ''}`);
      setAttr(c.button, 'title', [asOfLine, row.counting ? t('fleet.stillCounting') : ''].filter(Boolean).join(' · ') || null);
    }
  }

  // The drill-down.
  const drillTitle = el('h2', { className: 'section-title', testid: 'fleet-drill-title', attrs: { id: 'fleet-drill-title' } });
  const drillClose = el('button', { className: 'button small subtle', attrs: { type: 'button' }, on: { click: () => actions.closeDrill() } });
  const filter = searchBox({ testid: 'fleet-drill-filter', placeholderKey: 'fleet.filter', onQuery: actions.setQuery });
  const toStep5 = el('button', { className: 'button primary', testid: 'fleet-to-step5', attrs: { type: 'button' }, on: { click: () => actions.openInStep(5) } });
  const toStep6 = el('button', { className: 'button', testid: 'fleet-to-step6', attrs: { type: 'button' }, on: { click: () => actions.openInStep(6) } });
  const handoffHint = el('p', { className: 'muted small-text', testid: 'fleet-handoff-hint' });
  const handoffLabel = el('label', { className: 'field-label inline-label', attrs: { for: 'fleet-handoff-group' } });
  const handoffSelect = el('select', {
    className: 'text-input',
    testid: 'fleet-handoff-group',
    attrs: { id: 'fleet-handoff-group' },
    on: { change: (e) => actions.chooseHandoff(e.target.value) },
  });
  const handoffBox = el('span', { className: 'fleet-handoff', children: [handoffLabel, handoffSelect] });
  const drillCount = el('span', { className: 'muted small-text', testid: 'fleet-drill-count' });
  const columns = ['fleet.col.device', 'fleet.col.group', 'fleet.col.status', 'fleet.col.reason', 'fleet.col.connection', 'devices.col.hl', 'devices.col.rt', 'fleet.col.checkIn', 'fleet.col.nodes'];
  const headerCells = columns.map(() => el('span', { className: 'vcell', attrs: { role: 'columnheader' } }));
  const header = el('div', { className: 'vtable-row vtable-header', attrs: { role: 'row', 'aria-rowindex': '1' }, children: headerCells });
  const table = windowedTable({
    className: 'fleet-table',
    rowHeight: FLEET_ROW_HEIGHT,
    header,
    keyOf: (r) => r.deviceId,
    buildRow: drillRow,
    label: () => t('fleet.tableLabel'),
  });
  const drillBox = el('section', {
    className: 'card fleet-drill',
    testid: 'fleet-drill',
    attrs: { 'aria-labelledby': 'fleet-drill-title' },
    children: [
      el('div', { className: 'toolbar', children: [drillTitle, el('span', { className: 'toolbar-spacer' }), drillClose] }),
      el('div', { className: 'toolbar', children: [filter.el, drillCount, el('span', { className: 'toolbar-spacer' }), handoffBox, toStep6, toStep5] }),
      handoffHint,
      table.el,
    ],
  });

  section.append(head, retirement, toolbar, error.el, empty, figuresBox, drillBox);
  let lastRows = null;
  let lastDrillRows = null;
  let lastQuery = null;
  let filtered = [];
  let shownDrill = null;
  // The hand-off's groups follow the filtered rows and the chosen group only.
  let lastGroupsOf = null;
  let lastHandoff = null;
  let groups = [];
  let chosen = null;

  return {
    update(view) {
      const fleet = view.fleet;
      setText(eyebrow, t('fleet.eyebrow'));
      setText(heading, t('fleet.title'));
      setText(summary, t('fleet.summary'));
      const r = fleet.retirement;
      const legacy = view.session && view.session.backend === 'legacy';
      retirement.hidden = !(legacy && r);
      if (r) setText(retirement, tn('fleet.retirement', r.daysLeft, { date: formatDateTime(`${r.retiresOn}T00:00:00Z`).split(',')[0] }));
      setText(refresh, fleet.status === 'loading' ? t('common.loading') : t('common.refresh'));
      refresh.disabled = fleet.status === 'loading';
      const progress = fleet.progress;
      counting.hidden = !progress;
      if (progress) {
        const key = fleet.report && fleet.report.counting ? 'fleet.counting' : 'fleet.refreshing';
        setText(counting, tn(key, progress.gateways, { done: formatNumber(progress.done), groups: formatNumber(progress.groups), gateways: formatNumber(progress.gateways) }));
      }
      setText(intervalLabel, t('fleet.interval'));
      [...interval.options].forEach((o) => setText(o, Number(o.value) ? t('fleet.every', { seconds: o.value }) : t('fleet.onDemand')));
      if (document.activeElement !== interval) interval.value = String(fleet.interval);
      const report = fleet.report;
      setText(asOf, report && report.asOf ? asOfText(report.asOf) : '');
      error.update(fleet.error, () => actions.load());
      empty.hidden = Boolean(report) || fleet.status !== 'loading';
      setText(empty, t('fleet.loading'));

      figuresBox.hidden = !report;
      figures.dataset.counting = String(Boolean(report && report.counting));
      setText(caption, t('fleet.title'));
      setText(gwHead, t('fleet.gateways'));
      setText(nodeHead, t('fleet.nodes'));
      headRow.children[0].textContent = t('fleet.col.group');
      figureKeys.forEach((key, i) => setText(headRow.children[i + 1], t(`fleet.figure.${key}`)));
      if (report) {
        const rows = report === lastRows ? null : fleetRows(report);
        if (rows) {
          lastRows = report;
          const keep = new Set(rows.map((row) => row.key));
          for (const [key, v] of rowEls) if (!keep.has(key)) { v.tr.remove(); rowEls.delete(key); }
          rows.forEach((row, i) => {
            let v = rowEls.get(row.key);
            if (!v) { v = figureRow(row); rowEls.set(row.key, v); }
            v.row = row;
            if (tbody.children[i] !== v.tr) tbody.insertBefore(v.tr, tbody.children[i] || null);
          });
        }
        for (const v of rowEls.values()) updateFigureRow(v, v.row, fleet.drill);
      }

      const drill = fleet.drill;
      drillBox.hidden = !drill;
      if (!drill) {
        shownDrill = null;
        return;
      }
      const drillKey = `${drill.rowKey} ${drill.figure}`;
      if (drillKey !== shownDrill) {
        shownDrill = drillKey;
        // A new figure's gateways appear below the figures: bring them into view.
        requestAnimationFrame(() => drillBox.scrollIntoView({ block: 'start' }));
      }
      const rowView = rowEls.get(drill.rowKey);
      const where = rowView ? (rowView.row.level === 'fleet' ? t('fleet.allGroups') : rowView.row.name) : '';
      setText(drillTitle, t('fleet.drillTitle', { figure: t(`fleet.figure.${drill.figure}`), where }));
      setText(drillClose, t('common.close'));
      filter.update(fleet.query);
      if (drill.rows !== lastDrillRows || fleet.query !== lastQuery) {
        filtered = filterDrill(drill.rows, fleet.query);
        if (fleet.query !== lastQuery) table.scrollToTop();
        lastDrillRows = drill.rows;
        lastQuery = fleet.query;
      }
      setText(drillCount, tn('fleet.drillCount', filtered.length, { total: formatNumber(drill.rows.length) }));
      drillCount.dataset.count = String(filtered.length);
      headerCells.forEach((c, i) => setText(c, t(columns[i])));
      // Steps 5 and 6 work on one group: a drill-down spanning several offers a choice of group.
      if (filtered !== lastGroupsOf || fleet.handoff !== lastHandoff) {
        groups = drillGroups(filtered);
        chosen = handoff(filtered, fleet.handoff);
        lastGroupsOf = filtered;
        lastHandoff = fleet.handoff;
      }
      const several = groups.length > 1;
      handoffBox.hidden = !several;
      handoffHint.hidden = !several;
      setText(handoffLabel, t('fleet.handoffGroup'));
      setText(handoffHint, tn('fleet.handoffHint', groups.length));
      syncGroupOptions(handoffSelect, groups);
      if (chosen && document.activeElement !== handoffSelect) handoffSelect.value = chosen.groupId;
      const n = chosen ? chosen.ids.length : 0;
      setText(toStep5, tn('fleet.toStep5', n));
      setText(toStep6, tn('fleet.toStep6', n));
      toStep5.disabled = n === 0;
      toStep6.disabled = n === 0;
      // Last: the table reads the layout (its scroll position and height), which is then done once
      // for everything above.
      table.update(filtered);
    },
  };
}

/** Makes `select` offer exactly `groups` (`{groupId, groupName, productName, count}`), reusing its options. */
function syncGroupOptions(select, groups) {
  while (select.options.length > groups.length) select.lastElementChild.remove();
  while (select.options.length < groups.length) select.append(el('option'));
  groups.forEach((g, i) => {
    const option = select.options[i];
    option.value = g.groupId;
    option.dataset.group = g.groupName;
    option.dataset.count = String(g.count);
    setText(option, t('fleet.handoffOption', { group: g.groupName, product: g.productName || '', count: formatNumber(g.count) }));
  });
}

function drillRow() {
  const cells = Array.from({ length: 9 }, () => el('span', { className: 'vcell', attrs: { role: 'cell' } }));
  const row = el('div', { className: 'vtable-row', testid: 'fleet-drill-row', attrs: { role: 'row' }, children: cells });
  return {
    el: row,
    update(r) {
      row.dataset.device = r.deviceId;
      const [device, group, status, reason, connection, hl, rt, checkIn, nodes] = cells;
      setText(device, shortId(r.deviceId));
      setAttr(device, 'title', r.deviceId);
      setText(group, r.groupName || '');
      setText(status, t(`fleet.status.${r.status}`));
      status.className = `vcell fleet-status is-${r.status}`;
      // The core's reason as data (`fleet.reason.<key>`), its English sentence as the fallback.
      const why = saidText(r.said && `fleet.reason.${r.said.key}`, r.said && r.said.params, r.reason);
      setText(reason, why);
      setAttr(reason, 'title', why || null);
      setText(connection, r.connectionState ? t(`conn.${r.connectionState}`) : '');
      setText(hl, r.hlAppVer || '—');
      setText(rt, r.rtAppVer || '—');
      setText(checkIn, r.lastCheckIn ? formatDateTime(r.lastCheckIn) : '—');
      // Below 1400 px the connection and check-in columns step aside (styles.css): the status
      // cell keeps them as its tooltip.
      setAttr(status, 'title', [connection.textContent, r.lastCheckIn ? `${t('fleet.col.checkIn')}: ${checkIn.textContent}` : ''].filter(Boolean).join(' · ') || null);
      setText(nodes, r.nodesTotal ? t('fleet.nodesCell', { outdated: r.nodesOutdated, total: r.nodesTotal }) : '—');
    },
  };
}
