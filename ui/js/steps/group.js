// Step 1, "Select device group": the tenant's products and groups with an instant search box;
// per group its device count, update policy (with a warning when it blocks application
// updates), OS feed and what the current deployment holds. Choosing a group sets the group the
// later steps work on.
//
// At start-up it draws the last group list seen for the profile (`groups_cached`: ids, names,
// counts), marked "as of <time>", and replaces it in place when the listing arrives. A group
// chosen from that saved list is only pending until the listing confirms the tenant still has it;
// a group the listing no longer holds is never kept chosen (the page says it is gone).
//
// Owns the `groups`, `groupQuery` and `groupId` slices of the wizard state, their actions
// (`createGroupStep`) and their view (`mountGroupStep`).

import { call } from '../backend.js';
import { announce, el, setAttr, setText } from '../dom.js';
import { formatDateTime, has, t, tn } from '../i18n.js';
import { cachedGroupRows, groupsByProduct, settleGroupChoice } from '../logic.js';
import { loadable } from '../store.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, errorNotice, searchBox, updateKindBadge } from '../widgets.js';

/** Step 1's controller over the app context `app` (see app.js). */
export function createGroupStep(app) {
  const { state } = app;

  /** The groups being read (or read last): what a reattached run waits for. */
  let loading = Promise.resolve();

  /** The saved list asked for early at start-up (`prefetchCached`), used by the next `loadCached`. */
  let early = null;

  /** Draws the saved list while the listing is on its way (never over rows already shown). */
  async function loadCached() {
    const asked = early || call('groups_cached');
    early = null;
    let cached = null;
    try {
      cached = await asked;
    } catch {
      return; // No saved list to show: the page waits for the listing as before.
    }
    const items = cachedGroupRows(cached);
    if (items.length === 0 || state.groups.status !== 'loading' || state.groups.items.length) return;
    app.patch('groups', { items, asOf: cached.asOf, cached: true });
    performance.mark('groups:cached-drawn');
    // For the cold-start trace: when the frame that shows them has been painted.
    requestAnimationFrame(() => setTimeout(() => performance.mark('groups:cached-painted'), 0));
  }

  function loadGroups() {
    loading = (async () => {
      app.patch('groups', { status: 'loading', error: null, gone: null });
      if (state.groups.items.length === 0) loadCached();
      try {
        const items = await call('groups_list');
        performance.mark('groups:listed');
        const settled = settleGroupChoice({ items, before: state.groups.items, chosenId: state.groupId, pendingId: state.groups.pendingId });
        app.patch('groups', { status: 'ok', items, asOf: items.length ? items[0].asOf : new Date().toISOString(), cached: false, pendingId: null, gone: settled.gone });
        if (settled.chosenId !== state.groupId) choose(settled.chosenId);
      } catch (err) {
        app.patch('groups', { status: 'error', error: app.failure(err) });
      }
    })();
    return loading;
  }

  /** Makes `id` (or none) the group the later steps work on. */
  function choose(id) {
    const group = state.groups.items.find((g) => g.id === id);
    state.groupId = id;
    // Another group: what later steps read for the old one no longer applies.
    app.broadcast('onGroupChanged');
    app.set({});
    if (group) announce(t('groups.chosen', { product: group.productName, group: group.name }));
  }

  const actions = {
    loadGroups,
    setGroupQuery(query) {
      app.set({ groupQuery: query });
    },
    selectGroup(id) {
      if (state.groups.cached) {
        // From the saved list: wait for the listing to confirm the group before using its id.
        const group = state.groups.items.find((g) => g.id === id);
        app.patch('groups', { pendingId: id, gone: null });
        if (group) announce(t('groups.checking', { group: group.name }));
        return;
      }
      if (id === state.groupId) return;
      app.patch('groups', { gone: null });
      choose(id);
    },
  };

  return {
    id: 'group',
    initial: () => ({ groups: groupsSlice(), groupQuery: '', groupId: null }),
    actions,
    /** Asks for the saved list at once, beside the other start-up calls (one round trip less
     *  before the first paint); the first `loadGroups` draws it. */
    prefetchCached() {
      early = call('groups_cached');
      early.catch(() => {});
    },
    /** Resolves when the groups being read have arrived (or failed). */
    loaded: () => loading,
    mount: (section, step) => mountGroupStep(section, step, { ...app.common, ...actions }),
    onOpen() {
      if (state.groups.status === 'idle') loadGroups();
    },
    onTenantChanged() {
      state.groupId = null;
      state.groups = groupsSlice();
    },
  };
}

/** Step 1's slice: a loadable list, whether it is the saved one, a group chosen from the saved
 * list and waiting for the listing, and the name of a chosen group the listing no longer has. */
function groupsSlice() {
  return { ...loadable(), cached: false, pendingId: null, gone: null };
}

/**
 * Mounts step 1. `actions`: `loadGroups()`, `setGroupQuery(text)`, `selectGroup(id)`,
 * `goToStep(n)`, `signIn()`.
 */
export function mountGroupStep(section, step, actions) {
  const head = mountPanelHead(step);
  const search = searchBox({ testid: 'group-search', placeholderKey: 'groups.search', onQuery: actions.setGroupQuery });
  const refresh = el('button', { className: 'button', testid: 'groups-refresh', attrs: { type: 'button' }, on: { click: () => actions.loadGroups() } });
  const asOf = el('span', { className: 'muted small-text', testid: 'groups-as-of' });
  const saved = el('span', { className: 'saved-list small-text', testid: 'groups-cached' });
  const count = el('span', { className: 'muted small-text' });
  const toolbar = el('div', { className: 'toolbar', children: [search.el, refresh, el('span', { className: 'toolbar-spacer' }), count, asOf, saved] });
  const error = errorNotice(actions);
  const gone = el('p', { className: 'notice is-info', testid: 'group-gone', attrs: { role: 'status' } });
  const loading = el('p', { className: 'muted loading-line' });
  const list = el('div', { className: 'product-list' });
  const empty = el('p', { className: 'empty-line muted' });
  const next = el('button', { className: 'button primary', testid: 'group-next', attrs: { type: 'button' }, on: { click: () => actions.goToStep(2) } });
  const chosen = el('p', { className: 'chosen-line' });
  const footer = el('div', { className: 'step-footer', children: [chosen, next] });
  section.append(head.el, toolbar, error.el, gone, loading, list, empty, footer);

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
      saved.hidden = !groups.cached;
      setText(saved, groups.cached ? t(groups.status === 'error' ? 'groups.cachedFailed' : 'groups.cached') : '');
      gone.hidden = !groups.gone;
      setText(gone, groups.gone ? t('groups.gone', { group: groups.gone }) : '');
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
          card.update(group, view.groupId === group.id, groups.pendingId === group.id);
          order.push(card.el);
        }
      }
      order.forEach((node, i) => {
        if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
      });
      while (list.children.length > order.length) list.lastElementChild.remove();

      const selected = groups.items.find((g) => g.id === view.groupId);
      const pending = groups.items.find((g) => g.id === groups.pendingId);
      if (pending) setText(chosen, t('groups.checking', { group: pending.name }));
      else setText(chosen, selected ? t('groups.chosen', { product: selected.productName, group: selected.name }) : t('groups.chooseHint'));
      setText(next, t('groups.next'));
      next.disabled = !selected || Boolean(pending);
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
    update(group, selected, pending) {
      id = group.id;
      card.dataset.groupId = group.id;
      setAttr(card, 'aria-pressed', selected ? 'true' : 'false');
      // Chosen from the saved list: marked, not chosen, until the listing confirms it.
      setAttr(card, 'data-pending', pending ? 'true' : null);
      setAttr(card, 'aria-busy', pending ? 'true' : null);
      card.classList.toggle('is-selected', selected);
      card.classList.toggle('is-pending', pending);
      card.classList.toggle('is-blocked', group.policyBlocksApps);
      setText(name, group.name);
      setText(description, group.description || '');
      // The contract allows a group's facts to be unknown (null): they read as "—".
      devices.update(t('groups.devices'), Number.isFinite(group.deviceCount) ? tn('groups.deviceCount', group.deviceCount) : '—');
      // The saved list keeps only names and counts: the rest reads "…" until the listing comes.
      const later = group.cached ? '…' : null;
      policy.update(t('groups.policy'), later ?? (has(`policy.${group.updatePolicy}`) ? t(`policy.${group.updatePolicy}`) : group.updatePolicy || '—'));
      policy.value.classList.toggle('is-warning', group.policyBlocksApps);
      feed.update(t('groups.feed'), later ?? (has(`feed.${group.osFeed}`) ? t(`feed.${group.osFeed}`) : group.osFeed || '—'));
      const current = group.currentDeployment;
      deployment.update(t('groups.current'), later ?? (current ? formatDateTime(current.date) || '—' : t('groups.noDeployment')));
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
