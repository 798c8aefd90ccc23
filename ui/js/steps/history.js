// Step 4, "Deployment history": every deployment of the group, newest first, the current one
// marked; "Redeploy" on an earlier one is a rollback that goes through step 3's checks.
//
// Owns the `history` slice of the wizard state, its actions (`createHistoryStep`) and its view
// (`mountHistoryStep`).

import { call } from '../backend.js';
import { el, setAttr, setText } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { loadable } from '../store.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, copyButton, errorNotice, missingCard, updateKindBadge } from '../widgets.js';

/** Step 4's controller over the app context `app` (see app.js). */
export function createHistoryStep(app) {
  const { state } = app;

  async function loadHistory() {
    const group = app.currentGroup();
    if (!group) return;
    app.patch('history', { status: 'loading', error: null, groupId: group.id });
    try {
      const items = await call('deployments_list', { groupId: group.id });
      if (state.groupId !== group.id) return;
      app.patch('history', { status: 'ok', items, asOf: new Date().toISOString() });
    } catch (err) {
      app.patch('history', { status: 'error', error: app.failure(err) });
    }
  }

  const actions = {
    loadHistory,
    redeploy: (deployment) => app.steps.deployment.actions.redeploy(deployment),
  };

  return {
    id: 'history',
    initial: () => ({ history: { ...loadable(), groupId: null } }),
    actions,
    mount: (section, step) => mountHistoryStep(section, step, { ...app.common, ...actions }),
    onOpen() {
      const group = app.currentGroup();
      if (group && (state.history.groupId !== group.id || state.history.status === 'idle')) loadHistory();
    },
    onTenantChanged() {
      state.history = { ...loadable(), groupId: null };
    },
  };
}

/** Mounts step 4. `actions`: `loadHistory()`, `redeploy(deployment)`, `goToStep(n)`, `signIn()`. */
export function mountHistoryStep(section, step, actions) {
  const head = mountPanelHead(step);
  const noGroup = missingCard({ textKey: 'history.needGroup', buttonKey: 'upload.chooseGroup', step: 1, goToStep: actions.goToStep });
  const refresh = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => actions.loadHistory() } });
  const asOf = el('span', { className: 'muted small-text' });
  const groupLine = el('p', { className: 'chosen-line' });
  const toolbar = el('div', { className: 'toolbar', children: [groupLine, el('span', { className: 'toolbar-spacer' }), asOf, refresh] });
  const error = errorNotice(actions);
  const table = el('table', { className: 'history-table' });
  const headRow = el('tr');
  const body = el('tbody');
  table.append(el('thead', { children: [headRow] }), body);
  const empty = el('p', { className: 'muted' });
  section.append(head.el, noGroup.el, toolbar, error.el, table, empty);
  const rows = new Map();

  return {
    update(view) {
      head.update();
      const group = view.groups.items.find((g) => g.id === view.groupId);
      noGroup.update(!group);
      toolbar.hidden = !group;
      const { history } = view;
      table.hidden = !group || history.items.length === 0;
      empty.hidden = !group || history.status !== 'ok' || history.items.length > 0;
      setText(empty, t('history.none'));
      if (!group) {
        error.update(null);
        return;
      }
      setText(groupLine, t('groups.chosen', { product: group.productName, group: group.name }));
      setText(refresh, history.status === 'loading' ? t('common.loading') : t('common.refresh'));
      refresh.disabled = history.status === 'loading';
      setText(asOf, asOfText(history.asOf));
      error.update(history.error, () => actions.loadHistory());
      const headers = ['history.col.id', 'history.col.images', 'history.col.date', 'history.col.action'];
      while (headRow.children.length < headers.length) headRow.append(el('th', { attrs: { scope: 'col' } }));
      headers.forEach((key, i) => setText(headRow.children[i], t(key)));

      const seen = new Set();
      history.items.forEach((d, i) => {
        seen.add(d.id);
        let row = rows.get(d.id);
        if (!row) {
          row = historyRow(actions);
          rows.set(d.id, row);
        }
        row.update(d, view.deploy.creating);
        if (body.children[i] !== row.el) body.insertBefore(row.el, body.children[i] || null);
      });
      for (const [id, row] of rows) {
        if (!seen.has(id)) {
          row.el.remove();
          rows.delete(id);
        }
      }
    },
  };
}

function historyRow(actions) {
  let deployment = null;
  const id = el('code', { className: 'id-value' });
  const copy = copyButton('deploy.deploymentId');
  const current = el('span', { className: 'current-pill', testid: 'history-current' });
  const images = el('ul', { className: 'history-images' });
  const date = el('td');
  const redeploy = el('button', { className: 'button small', testid: 'redeploy', attrs: { type: 'button' }, on: { click: () => actions.redeploy(deployment) } });
  const tr = el('tr', {
    className: 'history-row',
    testid: 'history-row',
    children: [
      el('td', { children: [el('div', { className: 'id-line', children: [id, copy.el] }), current] }),
      el('td', { children: [images] }),
      date,
      el('td', { children: [redeploy] }),
    ],
  });
  return {
    el: tr,
    update(d, busy) {
      deployment = d;
      tr.dataset.deploymentId = d.id;
      tr.dataset.current = d.current ? 'true' : 'false';
      tr.classList.toggle('is-current', d.current);
      setText(id, d.id);
      copy.update(d.id);
      current.hidden = !d.current;
      setText(current, t('history.current'));
      while (images.children.length > d.images.length) images.lastElementChild.remove();
      while (images.children.length < d.images.length) {
        images.append(el('li', { children: [el('span', { className: 'badge' }), el('span', { className: 'history-image-name' }), el('code', { className: 'history-image-id' })] }));
      }
      d.images.forEach((img, i) => {
        const [badge, name, imgId] = images.children[i].children;
        updateKindBadge(badge, img.kind);
        setText(name, img.name);
        setText(imgId, img.id);
      });
      setText(date, formatDateTime(d.date) || '—');
      redeploy.hidden = d.current;
      redeploy.disabled = busy;
      setText(redeploy, t('history.redeploy'));
      setAttr(redeploy, 'aria-label', t('history.redeployLabel', { date: formatDateTime(d.date) || d.id }));
    },
  };
}
