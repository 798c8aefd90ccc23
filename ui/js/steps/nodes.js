// Step 6, "Update node devices": the WIZ750SR nodes behind the gateways of step 5 in a
// windowed matrix — gateway, MAC, name, current and available version, status — with "Update"
// only where the available version is numerically higher, "Update all outdated", per-node
// progress and "Retry failed".

import { el, setAttr, setText } from '../dom.js';
import { formatNumber, formatTime, t, tn } from '../i18n.js';
import { NODE_FINAL, canUpdateNode, nodeKey, shortId } from '../logic.js';
import { csvExportButton } from '../activity.js';
import { NODE_COLUMNS, nodeExportRow } from '../export.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, copyButton, errorNotice, missingCard, searchBox, windowedTable } from '../widgets.js';

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
  section.append(head.el, noSource.el, sourceLine, note, toolbar, error.el, actionBar, table.el, empty);

  return {
    update(view) {
      head.update();
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
  const name = el('span');
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
      else if (p.state === 'Failed') text = t('nodes.state.Failed', { error: p.error || '' });
      else text = t(`nodes.state.${p.state}`);
      setText(statusText, text);
      setAttr(status, 'title', p && p.error ? p.error : null);
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
