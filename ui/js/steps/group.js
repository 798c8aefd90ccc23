// Step 1, "Select device group": the tenant's products and groups with an instant search box;
// per group its device count, update policy (with a warning when it blocks application
// updates), OS feed and what the current deployment holds. Choosing a group sets the group the
// later steps work on.
//
// Owns the `groups`, `groupQuery` and `groupId` slices of the wizard state, their actions
// (`createGroupStep`) and their view (`mountGroupStep`).

import { call } from '../backend.js';
import { announce, el, setAttr, setText } from '../dom.js';
import { formatDateTime, has, t, tn } from '../i18n.js';
import { groupsByProduct } from '../logic.js';
import { loadable } from '../store.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, errorNotice, searchBox, updateKindBadge } from '../widgets.js';

/** Step 1's controller over the app context `app` (see app.js). */
export function createGroupStep(app) {
  const { state } = app;

  /** The groups being read (or read last): what a reattached run waits for. */
  let loading = Promise.resolve();

  function loadGroups() {
    loading = (async () => {
      app.patch('groups', { status: 'loading', error: null });
      try {
        const items = await call('groups_list');
        app.patch('groups', { status: 'ok', items, asOf: items.length ? items[0].asOf : new Date().toISOString() });
      } catch (err) {
        app.patch('groups', { status: 'error', error: app.failure(err) });
      }
    })();
    return loading;
  }

  const actions = {
    loadGroups,
    setGroupQuery(query) {
      app.set({ groupQuery: query });
    },
    selectGroup(id) {
      if (id === state.groupId) return;
      const group = state.groups.items.find((g) => g.id === id);
      state.groupId = id;
      // Another group: what later steps read for the old one no longer applies.
      app.broadcast('onGroupChanged');
      app.set({});
      if (group) announce(t('groups.chosen', { product: group.productName, group: group.name }));
    },
  };

  return {
    id: 'group',
    initial: () => ({ groups: loadable(), groupQuery: '', groupId: null }),
    actions,
    /** Resolves when the groups being read have arrived (or failed). */
    loaded: () => loading,
    mount: (section, step) => mountGroupStep(section, step, { ...app.common, ...actions }),
    onOpen() {
      if (state.groups.status === 'idle') loadGroups();
    },
    onTenantChanged() {
      state.groupId = null;
      state.groups = loadable();
    },
  };
}

/**
 * Mounts step 1. `actions`: `loadGroups()`, `setGroupQuery(text)`, `selectGroup(id)`,
 * `goToStep(n)`, `signIn()`.
 */
export function mountGroupStep(section, step, actions) {
  const head = mountPanelHead(step);
  const search = searchBox({ testid: 'group-search', placeholderKey: 'groups.search', onQuery: actions.setGroupQuery });
  const refresh = el('button', { className: 'button', testid: 'groups-refresh', attrs: { type: 'button' }, on: { click: () => actions.loadGroups() } });
  const asOf = el('span', { className: 'muted small-text' });
  const count = el('span', { className: 'muted small-text' });
  const toolbar = el('div', { className: 'toolbar', children: [search.el, refresh, el('span', { className: 'toolbar-spacer' }), count, asOf] });
  const error = errorNotice(actions);
  const loading = el('p', { className: 'muted loading-line' });
  const list = el('div', { className: 'product-list' });
  const empty = el('p', { className: 'empty-line muted' });
  const next = el('button', { className: 'button primary', testid: 'group-next', attrs: { type: 'button' }, on: { click: () => actions.goToStep(2) } });
  const chosen = el('p', { className: 'chosen-line' });
  const footer = el('div', { className: 'step-footer', children: [chosen, next] });
  section.append(head.el, toolbar, error.el, loading, list, empty, footer);

  const cards = new Map();
  const productHeads = new Map();

  return {
    update(view) {
      head.update();
      const { groups } = view;
      search.update(view.groupQuery);
      setText(refresh, groups.status === 'loading' ? t('common.loading') : t('common.refresh'));
      refresh.disabled = groups.status === 'loading';
      setText(asOf, asOfText(groups.asOf));
      error.update(groups.error, () => actions.loadGroups());
      loading.hidden = !(groups.status === 'loading' && groups.items.length === 0);
      setText(loading, t('groups.loading'));

      const products = groupsByProduct(groups.items, view.groupQuery);
      const shown = products.reduce((n, p) => n + p.groups.length, 0);
      setText(count, groups.items.length ? t('groups.count', { shown, total: groups.items.length }) : '');
      empty.hidden = !(groups.status === 'ok' && shown === 0);
      setText(empty, groups.items.length === 0 ? t('groups.none') : t('groups.noMatch', { query: view.groupQuery }));

      // Rebuild the order (cheap: a tenant has tens of groups), reusing each card's DOM.
      const order = [];
      for (const product of products) {
        let ph = productHeads.get(product.productId);
        if (!ph) {
          ph = el('h2', { className: 'product-name' });
          productHeads.set(product.productId, ph);
        }
        setText(ph, product.productName);
        order.push(ph);
        for (const group of product.groups) {
          let card = cards.get(group.id);
          if (!card) {
            card = groupCard(actions);
            cards.set(group.id, card);
          }
          card.update(group, view.groupId === group.id);
          order.push(card.el);
        }
      }
      order.forEach((node, i) => {
        if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
      });
      while (list.children.length > order.length) list.lastElementChild.remove();

      const selected = groups.items.find((g) => g.id === view.groupId);
      setText(chosen, selected ? t('groups.chosen', { product: selected.productName, group: selected.name }) : t('groups.chooseHint'));
      setText(next, t('groups.next'));
      next.disabled = !selected;
    },
  };
}

/** One group: a radio-like card button with its facts and its current deployment. */
function groupCard(actions) {
  let id = null;
  const radio = el('span', { className: 'radio-mark', attrs: { 'aria-hidden': 'true' } });
  const name = el('span', { className: 'group-name' });
  const description = el('span', { className: 'group-description muted' });
  const devices = fact();
  const policy = fact();
  const feed = fact();
  const deployment = fact();
  const images = el('ul', { className: 'image-chips' });
  const warning = el('p', { className: 'policy-warning', testid: 'policy-warning' });
  const card = el('button', {
    className: 'group-card',
    testid: 'group-row',
    attrs: { type: 'button' },
    on: { click: () => actions.selectGroup(id) },
    children: [
      radio,
      el('span', {
        className: 'group-body',
        children: [
          el('span', { className: 'group-title', children: [name, description] }),
          el('span', { className: 'group-facts', children: [devices.el, policy.el, feed.el, deployment.el] }),
          images,
          warning,
        ],
      }),
    ],
  });
  return {
    el: card,
    update(group, selected) {
      id = group.id;
      card.dataset.groupId = group.id;
      setAttr(card, 'aria-pressed', selected ? 'true' : 'false');
      card.classList.toggle('is-selected', selected);
      card.classList.toggle('is-blocked', group.policyBlocksApps);
      setText(name, group.name);
      setText(description, group.description || '');
      // The contract allows a group's facts to be unknown (null): they read as "—".
      devices.update(t('groups.devices'), Number.isFinite(group.deviceCount) ? tn('groups.deviceCount', group.deviceCount) : '—');
      policy.update(t('groups.policy'), has(`policy.${group.updatePolicy}`) ? t(`policy.${group.updatePolicy}`) : group.updatePolicy || '—');
      policy.value.classList.toggle('is-warning', group.policyBlocksApps);
      feed.update(t('groups.feed'), has(`feed.${group.osFeed}`) ? t(`feed.${group.osFeed}`) : group.osFeed || '—');
      const current = group.currentDeployment;
      deployment.update(t('groups.current'), current ? formatDateTime(current.date) || '—' : t('groups.noDeployment'));
      const list = current ? current.images : [];
      while (images.children.length > list.length) images.lastElementChild.remove();
      while (images.children.length < list.length) {
        const badge = el('span', { className: 'badge' });
        images.append(el('li', { className: 'image-chip', children: [badge, el('span', { className: 'chip-name' })] }));
      }
      list.forEach((img, i) => {
        const li = images.children[i];
        updateKindBadge(li.firstChild, img.kind);
        setText(li.lastChild, img.name);
        setAttr(li, 'title', img.id);
      });
      images.hidden = list.length === 0;
      const warned = group.policyBlocksApps && has(`policy.${group.updatePolicy}.warning`);
      warning.hidden = !warned;
      setText(warning, warned ? t(`policy.${group.updatePolicy}.warning`) : '');
    },
  };
}

function fact() {
  const label = el('span', { className: 'fact-label' });
  const value = el('span', { className: 'fact-value' });
  return {
    el: el('span', { className: 'fact', children: [label, value] }),
    value,
    update(l, v) {
      setText(label, l);
      setText(value, v);
    },
  };
}
