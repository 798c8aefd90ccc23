// Step 6, "Update node devices": the WIZ750SR nodes behind the gateways of step 5 in a
// windowed matrix — gateway, MAC, name, current and available version, status — with "Update"
// only where the available version is numerically higher, "Update all outdated", per-node
// progress and "Retry failed". Every update asks first, naming how many nodes on how many
// gateways. Node runs a crash or a kill left unfinished are listed with Resume (the core
// does not ask a node again that already took the firmware).
//
// Owns the `nodes` slice of the wizard state, its actions (`createNodesStep`: the list, a run
// streamed over its own channel, reattaching to a run in flight after a reload) and its view
// (`mountNodesStep`).

import { call } from '../backend.js';
import { confirmDialog } from '../dialog.js';
import { announce, el, setAttr, setText } from '../dom.js';
import { formatNumber, formatTime, t, tn } from '../i18n.js';
import { NODE_FINAL, applyNodeProgress, canUpdateNode, filterNodes, nodeKey, shortId } from '../logic.js';
import { runFollower } from '../runs.js';
import { interruptedOf } from '../fleet-runs.js';
import { interruptedCard } from '../run-panels.js';
import { loadable } from '../store.js';
import { csvExportButton } from '../activity.js';
import { NODE_COLUMNS, nodeExportRow } from '../export.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, copyButton, errorNotice, errorParts, missingCard, reasonText, searchBox, windowedTable } from '../widgets.js';

const initialNodes = () => ({ ...loadable(), sourceKey: null, query: '', runId: null, running: false, starting: false, runItems: [], progress: {}, interrupted: [] });

/** Step 6's controller over the app context `app` (see app.js). */
export function createNodesStep(app) {
  const { state } = app;

  /** The gateways whose nodes step 6 shows: step 5's selection, else its last run's devices, else a reattached node run's gateways. */
  function nodeSourceIds() {
    if (state.gateways.selected.size) return [...state.gateways.selected];
    if (state.gateways.runDevices.length) return state.gateways.runDevices;
    return [...new Set(state.nodes.runItems.map((i) => i.gatewayId))];
  }

  function nodeView() {
    const n = state.nodes;
    const sourceIds = app.remember('nodeSource', [state.gateways.selected, state.gateways.runDevices, n.runItems], nodeSourceIds);
    const filtered = app.remember('nodes', [n.items, n.query], () => filterNodes(n.items, n.query));
    const outdated = app.remember('outdated', [n.items, n.progress], () => n.items.filter((x) => canUpdateNode(x) && !(n.progress[nodeKey(x)] && n.progress[nodeKey(x)].state === 'Succeeded')));
    const failed = app.remember('nodeFailed', [n.items, n.progress], () => n.items.filter((x) => {
      const p = n.progress[nodeKey(x)];
      return p && (p.state === 'Failed' || p.state === 'cancelled');
    }));
    return { sourceIds, filtered, outdated, failed };
  }

  async function loadNodes() {
    const ids = nodeSourceIds();
    if (ids.length === 0) return;
    const key = ids.join(',');
    app.patch('nodes', { status: 'loading', error: null, sourceKey: key, ...(state.nodes.sourceKey === key || state.nodes.running ? {} : { items: [], progress: {} }) });
    try {
      const items = await call('nodes_list', { deviceIds: ids });
      app.patch('nodes', { status: 'ok', items, asOf: items.length ? items[0].asOf : new Date().toISOString() });
    } catch (err) {
      app.patch('nodes', { status: 'error', error: app.failure(err) });
    }
  }

  function onProgress(run, message) {
    const n = state.nodes;
    const progress = applyNodeProgress(n.progress, message);
    if (progress === n.progress) return;
    // A reattached run learns its nodes from their messages.
    const key = nodeKey(message);
    const runItems = run.nodes.has(key) ? n.runItems : [...n.runItems, { gatewayId: message.gatewayId, mac: message.mac }];
    run.nodes.add(key);
    let items = n.items;
    if (message.state === 'Succeeded' && message.version) {
      items = items.map((x) => (nodeKey(x) === key ? { ...x, current: message.version, updatable: false } : x));
    }
    app.schedule('nodes', { progress, items, runItems });
  }

  function onDone(run, message) {
    app.flush();
    // A node the run never reported on is not left "requested" forever.
    const progress = { ...state.nodes.progress };
    for (const item of state.nodes.runItems) {
      const p = progress[nodeKey(item)];
      if (p && !NODE_FINAL.includes(p.state)) progress[nodeKey(item)] = { ...p, state: 'cancelled' };
    }
    app.patch('nodes', { running: false, progress });
    if (message) announce(t('nodes.done', { succeeded: (message.succeeded || []).length, failed: (message.failed || []).length }));
  }

  const runs = runFollower({ onProgress, onDone });

  async function loadInterrupted() {
    try {
      app.patch('nodes', { interrupted: interruptedOf(await call('runs_interrupted'), 'node_update') });
    } catch {
      // Listing them is a courtesy: a tenant that cannot be opened says why elsewhere.
    }
  }

  /** Resumes an interrupted node run through the core (a node already on the firmware is not asked again). */
  async function resumeRun(found) {
    if (state.nodes.running || state.nodes.starting) return;
    const ok = await confirmDialog({ title: t('runs.resumeTitle'), lines: [tn('runs.resumeText', found.items.length)], ok: t('runs.resume') });
    if (!ok) return;
    const runItems = found.items.map((i) => ({ gatewayId: i.deviceId, mac: i.mac }));
    const run = { done: false, nodes: new Set(runItems.map(nodeKey)) };
    app.patch('nodes', { starting: true, error: null, runItems, progress: {}, runId: null });
    try {
      const { runId } = await runs.start('run_resume', { runId: found.runId }, run);
      app.patch('nodes', { starting: false, running: !run.done, runId });
    } catch (err) {
      app.patch('nodes', { starting: false, error: app.failure(err) });
    }
    loadInterrupted();
    loadNodes();
  }

  async function discardRun(found) {
    const ok = await confirmDialog({ title: t('runs.discardTitle'), lines: [t('runs.discardText', { id: found.runId })], ok: t('runs.discard'), tone: 'danger' });
    if (!ok) return;
    try {
      await call('run_discard', { runId: found.runId });
    } catch (err) {
      app.patch('nodes', { error: app.failure(err) });
    }
    loadInterrupted();
  }

  async function updateNodes(nodes) {
    const items = nodes.filter(canUpdateNode).map((n) => ({ gatewayId: n.gatewayId, mac: n.mac }));
    if (items.length === 0 || state.nodes.running || state.nodes.starting) return;
    const gateways = new Set(items.map((i) => i.gatewayId)).size;
    const ok = await confirmDialog({
      title: tn('nodes.confirmTitle', items.length),
      lines: [tn('nodes.confirmText', items.length, { gateways: tn('nodes.confirmGateways', gateways) }), t('nodes.confirmTiming')],
      ok: tn('nodes.confirmOk', items.length),
    });
    if (!ok) return;
    const before = state.nodes.progress;
    const progress = { ...before };
    for (const item of items) progress[nodeKey(item)] = { state: 'requested', percent: 0, error: null, at: null };
    const run = { done: false, nodes: new Set(items.map(nodeKey)) };
    app.patch('nodes', { starting: true, error: null, progress, runItems: items, runId: null });
    try {
      const { runId } = await runs.start('node_update_start', { items }, run);
      app.patch('nodes', { starting: false, running: !run.done, runId });
      if (!run.done) announce(tn('nodes.started', items.length));
    } catch (err) {
      // Nothing started: the rows go back to what they showed before.
      app.patch('nodes', { starting: false, progress: before, error: app.failure(err) });
    }
  }

  /** Shows a node run that a reload left in flight (`runs_list`) and follows it to its end. */
  function reattach(found) {
    let progress = {};
    for (const item of found.items) progress = applyNodeProgress(progress, item);
    const runItems = found.items.map((i) => ({ gatewayId: i.gatewayId, mac: i.mac }));
    const run = { done: false, nodes: new Set(runItems.map(nodeKey)) };
    app.patch('nodes', { running: true, starting: false, runId: found.runId, runItems, progress });
    return runs.attach(found.runId, run);
  }

  const actions = {
    loadNodes,
    setNodeQuery(query) {
      app.patch('nodes', { query });
    },
    updateNodes,
    updateAllOutdated() {
      updateNodes(nodeView().outdated);
    },
    retryFailedNodes() {
      updateNodes(nodeView().failed.map((x) => ({ ...x, updatable: true })));
    },
    async cancelNodeUpdate() {
      if (!state.nodes.runId) return;
      try {
        await call('node_update_cancel', { runId: state.nodes.runId });
      } catch (err) {
        app.patch('nodes', { error: app.failure(err) });
      }
    },
  };

  actions.resumeRun = resumeRun;
  actions.discardRun = discardRun;

  return {
    id: 'nodes',
    runKind: 'node_update',
    loadInterrupted,
    initial: () => ({ nodes: initialNodes() }),
    actions,
    mount: (section, step) => mountNodesStep(section, step, { ...app.common, ...actions }),
    derive: () => ({ nodeView: nodeView() }),
    reattach,
    onOpen() {
      loadInterrupted();
      const key = nodeSourceIds().join(',');
      if (key && state.nodes.sourceKey !== key && state.nodes.status !== 'loading') loadNodes();
    },
    onTenantChanged() {
      if (!state.nodes.running) state.nodes = { ...state.nodes, ...loadable(), sourceKey: null, progress: {} };
    },
  };
}

/** Must match `.node-table .vtable-row { height }` in styles.css. */
export const NODE_ROW_HEIGHT = 44;

/**
 * Mounts step 6. `view.nodeView` (from app.js) carries `{ sourceIds, filtered, outdated,
 * failed }`. `actions`: `loadNodes()`, `setNodeQuery(q)`, `updateNodes(nodes)`,
 * `updateAllOutdated()`, `retryFailedNodes()`, `cancelNodeUpdate()`, `goToStep(n)`, `signIn()`.
 */
export function mountNodesStep(section, step, actions) {
  const head = mountPanelHead(step);
  const noSource = missingCard({ textKey: 'nodes.needGateways', buttonKey: 'nodes.toDevices', step: 5, goToStep: actions.goToStep });

  const sourceLine = el('p', { className: 'chosen-line' });
  const note = el('p', { className: 'muted small-text' });
  const filter = searchBox({ testid: 'node-filter', placeholderKey: 'nodes.filter', onQuery: actions.setNodeQuery });
  const refresh = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => actions.loadNodes() } });
  const asOf = el('span', { className: 'muted small-text' });
  const updateAll = el('button', { className: 'button primary', testid: 'update-all-outdated', attrs: { type: 'button' }, on: { click: () => actions.updateAllOutdated() } });
  const retry = el('button', { className: 'button', testid: 'retry-failed-nodes', attrs: { type: 'button' }, on: { click: () => actions.retryFailedNodes() } });
  const cancel = el('button', { className: 'button danger-outline', testid: 'node-update-cancel', attrs: { type: 'button' }, on: { click: () => actions.cancelNodeUpdate() } });
  const counts = el('span', { className: 'selected-line', attrs: { role: 'status' } });
  const exportCsv = csvExportButton({ what: 'nodes', titleKey: 'export.nodesTitle', testid: 'nodes-export' });
  const toolbar = el('div', { className: 'toolbar', children: [filter.el, refresh, exportCsv.el, el('span', { className: 'toolbar-spacer' }), asOf] });
  const actionBar = el('div', { className: 'toolbar action-bar', children: [counts, el('span', { className: 'toolbar-spacer' }), retry, cancel, updateAll] });
  const error = errorNotice(actions);
  const interrupted = interruptedCard({ id: 'interrupted-nodes', onResume: actions.resumeRun, onDiscard: actions.discardRun });

  const columns = ['nodes.col.gateway', 'nodes.col.mac', 'nodes.col.name', 'nodes.col.current', 'nodes.col.available', 'nodes.col.status', 'nodes.col.update'];
  const headerCells = columns.map(() => el('span', { className: 'vcell', attrs: { role: 'columnheader' } }));
  const table = windowedTable({
    className: 'node-table',
    rowHeight: NODE_ROW_HEIGHT,
    header: el('div', { className: 'vtable-row vtable-header', attrs: { role: 'row', 'aria-rowindex': '1' }, children: headerCells }),
    keyOf: nodeKey,
    buildRow: () => nodeRow(actions),
    label: () => t('nodes.tableLabel'),
  });
  const empty = el('p', { className: 'muted' });
  section.append(head.el, interrupted.el, noSource.el, sourceLine, note, toolbar, error.el, actionBar, table.el, empty);

  return {
    update(view) {
      head.update();
      interrupted.update(view.nodes.interrupted, view.nodes.running || view.nodes.starting);
      const { nodes, nodeView: nv } = view;
      exportCsv.update(() => nv.filtered.map(nodeExportRow), NODE_COLUMNS);
      const has = nv.sourceIds.length > 0;
      noSource.update(!has);
      for (const node of [sourceLine, note, toolbar, actionBar, table.el]) node.hidden = !has;
      if (!has) {
        empty.hidden = true;
        error.update(null);
        return;
      }
      setText(sourceLine, tn('nodes.source', nv.sourceIds.length));
      setText(note, t('nodes.note'));
      filter.update(nodes.query);
      setText(refresh, nodes.status === 'loading' ? t('common.loading') : t('common.refresh'));
      refresh.disabled = nodes.status === 'loading' || nodes.running;
      setText(asOf, asOfText(nodes.asOf));
      error.update(nodes.error, () => actions.loadNodes());
      setText(counts, t('nodes.counts', { total: formatNumber(nodes.items.length), outdated: formatNumber(nv.outdated.length), failed: formatNumber(nv.failed.length) }));
      setText(updateAll, nodes.starting ? t('devices.starting') : tn('nodes.updateAll', nv.outdated.length));
      updateAll.disabled = nv.outdated.length === 0 || nodes.running || nodes.starting;
      retry.hidden = nodes.running || nv.failed.length === 0;
      setText(retry, tn('devices.retryFailed', nv.failed.length));
      cancel.hidden = !nodes.running;
      setText(cancel, t('common.cancel'));
      columns.forEach((key, i) => setText(headerCells[i], t(key)));
      table.update(nv.filtered, { progress: nodes.progress, running: nodes.running || nodes.starting });
      empty.hidden = !(nodes.status === 'ok' && nv.filtered.length === 0);
      setText(empty, nodes.items.length === 0 ? t('nodes.none') : t('devices.noMatch'));
    },
  };
}

function nodeRow(actions) {
  let node = null;
  const gw = el('code', { className: 'device-id' });
  const copy = copyButton('devices.deviceId');
  const mac = el('code', { className: 'mac' });
  const name = el('span', { className: 'node-name' });
  const current = el('span');
  const available = el('span');
  const statusText = el('span', { className: 'node-status-text' });
  const bar = el('progress', { className: 'node-bar', attrs: { max: '100', value: '0' } });
  const status = el('span', { className: 'node-status', testid: 'node-status', children: [statusText, bar] });
  const update = el('button', { className: 'button small', testid: 'node-update', attrs: { type: 'button' }, on: { click: () => actions.updateNodes([node]) } });
  const cell = (children, className = 'vcell') => el('span', { className, attrs: { role: 'cell' }, children });
  const row = el('div', {
    className: 'vtable-row',
    testid: 'node-row',
    attrs: { role: 'row' },
    children: [cell([gw, copy.el], 'vcell id-cell'), cell([mac]), cell([name]), cell([current]), cell([available]), cell([status], 'vcell status-cell'), cell([update])],
  });
  return {
    el: row,
    update(n, ctx) {
      node = n;
      row.dataset.mac = n.mac;
      row.dataset.gatewayId = n.gatewayId;
      setText(gw, shortId(n.gatewayId));
      setAttr(gw, 'title', n.gatewayId);
      copy.update(n.gatewayId);
      setText(mac, n.mac);
      setText(name, n.name || '—');
      setAttr(name, 'title', n.name || null);
      setText(current, n.current || '—');
      setText(available, n.available || '—');
      const outdated = canUpdateNode(n);
      available.className = outdated ? 'version-newer' : '';
      const p = ctx.progress[nodeKey(n)] || (n.update ? { state: n.update.state, percent: n.update.percent, error: n.update.error } : null);
      const state = p ? p.state : outdated ? 'outdated' : 'current';
      status.dataset.state = state;
      status.className = `node-status state-${String(state).toLowerCase()}`;
      let text;
      if (!p) text = n.status && n.status !== 'Online' ? t('nodes.state.offline', { status: n.status }) : t(`nodes.state.${state}`);
      else if (p.state === 'InProgress') text = t('nodes.state.InProgress', { percent: formatNumber(p.percent || 0) });
      else if (p.state === 'Succeeded') text = t('nodes.state.Succeeded', { version: p.version || n.available, time: formatTime(p.at) });
      else if (p.state === 'Failed') text = t('nodes.state.Failed', { error: p.kind ? errorParts({ kind: p.kind }).title : p.error || '' });
      else text = t(`nodes.state.${p.state}`);
      setText(statusText, text);
      // The full text when the cell cuts it; a failure's reason in the user's language.
      setAttr(status, 'title', p && p.error ? `${text} — ${reasonText(p.kind, p.error)}` : text);
      bar.hidden = !p || NODE_FINAL.includes(p.state);
      setAttr(bar, 'value', p ? p.percent || 0 : 0);
      setAttr(bar, 'aria-label', text);
      const busy = p && !NODE_FINAL.includes(p.state);
      update.disabled = !outdated || ctx.running || busy;
      setText(update, p && p.state === 'Failed' ? t('common.retry') : t('nodes.update'));
      setAttr(update, 'aria-label', t('nodes.updateLabel', { name: n.name || n.mac, version: n.available || '—' }));
    },
  };
}
