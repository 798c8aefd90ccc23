// Step 3, "Create deployment": the image set (step 2's packages in their slots, images of the
// current deployment to keep, or an earlier deployment's images for a rollback), the
// preflight's problems and warnings, the diff against the current deployment by component,
// a confirmation that says how many devices the change reaches, then the creation.
//
// Owns the `deploy` slice of the wizard state, its actions (`createDeploymentStep`) and its
// view (`mountDeploymentStep`).

import { call } from '../backend.js';
import { confirmDialog } from '../dialog.js';
import { announce, el, setAttr, setText } from '../dom.js';
import { formatDateTime, t, tn } from '../i18n.js';
import { SLOTS, defaultKeep, diffRows, planSlots, shortId } from '../logic.js';
import { mountPanelHead } from '../wizard.js';
import { copyButton, errorNotice, missingCard, saidText, syncTextList, updateKindBadge } from '../widgets.js';

const freshDeploy = () => ({ overrides: {}, redeployOf: null, plan: null, plannedKey: null, planning: false, creating: false, created: null, createdReach: 0, error: null, lastAction: null });

/** Step 3's controller over the app context `app` (see app.js). */
export function createDeploymentStep(app) {
  const { state } = app;

  /**
   * The image set: for a rollback, the earlier deployment's images; otherwise step 2's
   * packages in their slots plus the current deployment's images (kept unless replaced by a
   * package of the same component, or turned off).
   */
  function deployView(plan) {
    const group = app.currentGroup();
    const d = state.deploy;
    const current = group && group.currentDeployment ? group.currentDeployment.images : [];
    let candidates;
    if (d.redeployOf) {
      candidates = d.redeployOf.images.map((img) => ({ ...img, source: 'redeploy', slot: null, included: d.overrides[img.id] !== false }));
    } else {
      const fresh = SLOTS.map((s) => ({ slot: s.id, report: plan.slots[s.id] })).filter((x) => x.report);
      const freshImages = fresh.map((x) => ({ imageId: x.report.imageId, componentId: x.report.componentId, kind: x.report.kind }));
      const keep = defaultKeep(freshImages, current);
      const seen = new Set();
      candidates = [];
      for (const { slot, report } of fresh) {
        seen.add(report.imageId);
        candidates.push({ id: report.imageId, name: report.name, kind: report.kind, componentId: report.componentId, source: 'package', slot, included: d.overrides[report.imageId] !== false });
      }
      for (const img of current) {
        if (seen.has(img.id)) continue;
        const byDefault = keep.has(img.id);
        candidates.push({ ...img, source: byDefault ? 'current' : 'currentReplaced', slot: null, included: d.overrides[img.id] === undefined ? byDefault : d.overrides[img.id] });
      }
    }
    const imageIds = candidates.filter((c) => c.included).map((c) => c.id);
    const key = `${group ? group.id : ''}|${imageIds.join(',')}`;
    return { group, candidates, imageIds, key, planFresh: d.plannedKey === key };
  }

  const now = () => deployView(planSlots(state.entries));

  async function plan() {
    const dv = now();
    if (!dv.group || dv.imageIds.length === 0) return;
    app.patch('deploy', { planning: true, error: null, lastAction: 'plan', created: null });
    try {
      const answer = await call('deployment_plan', { groupId: dv.group.id, imageIds: dv.imageIds });
      app.patch('deploy', { planning: false, plan: answer, plannedKey: dv.key });
      announce(answer.ok ? t('deploy.planOk') : tn('deploy.problems', answer.problems.length));
    } catch (err) {
      app.patch('deploy', { planning: false, error: app.failure(err) });
    }
  }

  async function create() {
    const dv = now();
    const planned = state.deploy.plan;
    if (!dv.group || !planned || !planned.ok || !dv.planFresh || state.deploy.creating) return;
    const removed = planned.diff.removed || [];
    const lines = [
      tn('deploy.confirmReach', planned.reachDevices, { group: dv.group.name, product: dv.group.productName }),
      tn('deploy.confirmImages', dv.imageIds.length),
    ];
    if (removed.length) lines.push(t('deploy.confirmRemoved', { names: removed.map((i) => i.name) }));
    if (state.deploy.redeployOf) lines.push(t('deploy.confirmRollback'));
    lines.push(t('deploy.confirmTiming'));
    const ok = await confirmDialog({ title: t('deploy.confirmTitle', { group: dv.group.name }), lines, ok: t('deploy.confirmOk') });
    if (!ok) return;
    app.patch('deploy', { creating: true, error: null, lastAction: 'create' });
    try {
      const created = await call('deployment_create', { groupId: dv.group.id, imageIds: dv.imageIds });
      app.patch('deploy', { creating: false, created, createdReach: planned.reachDevices, plan: null, plannedKey: null, redeployOf: null, overrides: {} });
      announce(t('deploy.created'));
      // The group's current deployment and its history changed.
      app.steps.group.actions.loadGroups();
      if (state.history.groupId === dv.group.id) app.steps.history.actions.loadHistory();
      const success = document.querySelector('[data-testid="deploy-success"] button');
      if (success) success.focus();
    } catch (err) {
      app.patch('deploy', { creating: false, error: app.failure(err) });
    }
  }

  const actions = {
    toggleImage(id) {
      const c = now().candidates.find((x) => x.id === id);
      if (!c) return;
      app.patch('deploy', { overrides: { ...state.deploy.overrides, [id]: !c.included }, created: null });
    },
    plan,
    create,
    clearRedeploy() {
      app.patch('deploy', { redeployOf: null, overrides: {}, plan: null, plannedKey: null });
    },
    /** A rollback: `deployment`'s images go through the check and the confirmation again. */
    redeploy(deployment) {
      state.deploy = { ...state.deploy, redeployOf: deployment, overrides: {}, plan: null, plannedKey: null, created: null, error: null };
      app.goToStep(3);
      plan();
    },
  };

  return {
    id: 'deployment',
    initial: () => ({ deploy: freshDeploy() }),
    actions,
    mount: (section, step) => mountDeploymentStep(section, step, { ...app.common, ...actions }),
    derive: (view) => ({ deployView: deployView(view.plan) }),
    onGroupChanged() {
      state.deploy = { ...state.deploy, overrides: {}, redeployOf: null, plan: null, plannedKey: null, created: null, error: null };
    },
  };
}

/**
 * Mounts step 3. `view.deployView` (made by app.js) carries `{ group, candidates, imageIds,
 * planFresh }`. `actions`: `toggleImage(id)`, `plan()`, `create()`, `clearRedeploy()`,
 * `goToStep(n)`, `signIn()`.
 */
export function mountDeploymentStep(section, step, actions) {
  const head = mountPanelHead(step);
  const noGroup = missingCard({ textKey: 'deploy.needGroup', buttonKey: 'upload.chooseGroup', step: 1, goToStep: actions.goToStep });

  const redeploy = el('div', { className: 'notice is-info', testid: 'redeploy-banner' });
  const redeployText = el('p', { className: 'notice-text' });
  const redeployClear = el('button', { className: 'button small', attrs: { type: 'button' }, on: { click: () => actions.clearRedeploy() } });
  redeploy.append(redeployText, redeployClear);

  const setTitle = el('h2', { className: 'section-title', attrs: { id: 'imageset-title' } });
  const setIntro = el('p', { className: 'muted small-text' });
  const setList = el('ul', { className: 'imageset-list', attrs: { 'aria-labelledby': 'imageset-title' } });
  const setEmpty = el('p', { className: 'muted' });
  const addPackages = el('button', { className: 'button subtle', attrs: { type: 'button' }, on: { click: () => actions.goToStep(2) } });
  const planButton = el('button', { className: 'button', testid: 'deploy-plan', attrs: { type: 'button' }, on: { click: () => actions.plan() } });
  const setCard = el('section', {
    className: 'card imageset-card',
    children: [setTitle, setIntro, setList, setEmpty, el('div', { className: 'toolbar', children: [planButton, addPackages] })],
  });

  const error = errorNotice(actions);

  const problemsTitle = el('h2', { className: 'section-title' });
  const problems = el('ul', { className: 'problem-list' });
  const problemBox = el('section', { className: 'problems', attrs: { role: 'alert' }, children: [problemsTitle, problems] });
  const warningsTitle = el('h2', { className: 'section-title' });
  const warnings = el('ul', { className: 'warning-list' });
  const warningBox = el('section', { className: 'warnings', children: [warningsTitle, warnings] });

  const diffTitle = el('h2', { className: 'section-title' });
  const diffTable = el('table', { className: 'diff-table' });
  const diffHead = el('thead');
  const diffBody = el('tbody');
  diffTable.append(diffHead, diffBody);
  const stale = el('p', { className: 'muted small-text' });
  const reach = el('p', { className: 'reach-line', testid: 'deploy-reach' });
  const create = el('button', { className: 'button primary', testid: 'deploy-create', attrs: { type: 'button' }, on: { click: () => actions.create() } });
  const planCard = el('section', { className: 'card plan-card', children: [diffTitle, diffTable, stale, el('div', { className: 'toolbar', children: [reach, el('span', { className: 'toolbar-spacer' }), create] })] });

  const success = el('section', { className: 'card success-card', testid: 'deploy-success', attrs: { role: 'status' } });
  const successTitle = el('h2', { className: 'section-title' });
  const successText = el('p');
  const successId = el('code', { className: 'id-value' });
  const successCopy = copyButton('deploy.deploymentId');
  const toHistory = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => actions.goToStep(4) } });
  const toDevices = el('button', { className: 'button primary', testid: 'deploy-to-step5', attrs: { type: 'button' }, on: { click: () => actions.goToStep(5) } });
  success.append(successTitle, successText, el('p', { className: 'id-line', children: [successId, successCopy.el] }), el('div', { className: 'toolbar', children: [toHistory, toDevices] }));

  section.append(head.el, noGroup.el, redeploy, setCard, error.el, problemBox, warningBox, planCard, success);

  return {
    update(view) {
      head.update();
      const { deploy, deployView: dv } = view;
      const group = dv.group;
      noGroup.update(!group);
      for (const node of [setCard, planCard, problemBox, warningBox, redeploy, success]) node.hidden = !group;
      if (!group) return;

      redeploy.hidden = !deploy.redeployOf;
      if (deploy.redeployOf) {
        setText(redeployText, t('deploy.redeployBanner', { id: shortId(deploy.redeployOf.id), date: formatDateTime(deploy.redeployOf.date) || '—' }));
        setText(redeployClear, t('deploy.redeployClear'));
      }

      setText(setTitle, t('deploy.imageSet', { group: group.name }));
      setText(setIntro, t('deploy.imageSetIntro'));
      syncCandidates(setList, dv.candidates, actions, deploy.creating);
      setEmpty.hidden = dv.candidates.length > 0;
      setText(setEmpty, t('deploy.noImages'));
      setText(addPackages, t('deploy.addPackages'));
      setText(planButton, deploy.planning ? t('deploy.checking') : t('deploy.check'));
      planButton.disabled = deploy.planning || deploy.creating || dv.imageIds.length === 0;
      setAttr(planButton, 'aria-busy', deploy.planning ? 'true' : null);

      error.update(deploy.error, deploy.lastAction === 'create' ? () => actions.create() : () => actions.plan());

      const plan = deploy.plan;
      problemBox.hidden = !plan || plan.problems.length === 0;
      warningBox.hidden = !plan || plan.warnings.length === 0;
      planCard.hidden = !plan;
      if (plan) {
        setText(problemsTitle, tn('deploy.problems', plan.problems.length));
        syncTextList(problems, plan.problems.map((p) => saidText(`plan.problem.${p.kind}`, p.params, p.message)));
        for (const li of problems.children) li.dataset.testid = 'deploy-problem';
        setText(warningsTitle, t('deploy.warnings'));
        syncTextList(warnings, plan.warnings.map((w) => saidText(`plan.warning.${w.kind}`, w.params, w.message)));
        for (const li of warnings.children) li.dataset.testid = 'deploy-warning';
        setText(diffTitle, t('deploy.diff'));
        renderDiff(diffHead, diffBody, diffRows(plan.diff));
        stale.hidden = dv.planFresh;
        setText(stale, t('deploy.stale'));
        setText(reach, tn('deploy.reach', plan.reachDevices, { group: group.name }));
        setText(create, deploy.creating ? t('deploy.creating') : t('deploy.create'));
        create.disabled = !plan.ok || !dv.planFresh || deploy.creating || deploy.planning;
        setAttr(create, 'aria-busy', deploy.creating ? 'true' : null);
        planCard.classList.toggle('is-blocked', !plan.ok);
      }

      success.hidden = !deploy.created;
      if (deploy.created) {
        setText(successTitle, t('deploy.created'));
        setText(successText, tn('deploy.createdText', deploy.createdReach || 0, { group: group.name }));
        setText(successId, deploy.created.id);
        successCopy.update(deploy.created.id);
        setText(toHistory, t('deploy.toHistory'));
        setText(toDevices, t('deploy.toDevices'));
      }
    },
  };
}

/** The image set as a list of toggles, one `li` per candidate image, keyed by image id. */
function syncCandidates(ul, candidates, actions, busy) {
  const existing = new Map([...ul.children].map((li) => [li.dataset.imageId, li]));
  candidates.forEach((c, i) => {
    let li = existing.get(c.id);
    if (!li) {
      const box = el('input', { attrs: { type: 'checkbox' }, on: { change: () => actions.toggleImage(li.dataset.imageId) } });
      const badge = el('span', { className: 'badge' });
      const name = el('span', { className: 'cand-name' });
      const source = el('span', { className: 'cand-source muted small-text' });
      const id = el('code', { className: 'id-value small-text' });
      li = el('li', {
        className: 'candidate',
        testid: 'deploy-image',
        children: [el('label', { className: 'cand-label', children: [box, badge, el('span', { className: 'cand-text', children: [name, source] })] }), id],
      });
      li.dataset.imageId = c.id;
    }
    existing.delete(c.id);
    const [label, id] = li.children;
    const [box, badge, text] = label.children;
    box.checked = c.included;
    box.disabled = busy;
    li.classList.toggle('is-excluded', !c.included);
    updateKindBadge(badge, c.kind);
    setText(text.children[0], c.name);
    setText(text.children[1], t(`deploy.source.${c.source}`, { slot: c.slot ? t(`slot.${c.slot}`) : '' }));
    setText(id, c.id);
    if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null);
  });
  for (const li of existing.values()) li.remove();
}

function renderDiff(thead, tbody, rows) {
  const headers = ['deploy.col.change', 'deploy.col.kind', 'deploy.col.before', 'deploy.col.after'];
  if (thead.children.length === 0) thead.append(el('tr', { children: headers.map(() => el('th', { attrs: { scope: 'col' } })) }));
  headers.forEach((key, i) => setText(thead.firstChild.children[i], t(key)));
  tbody.replaceChildren(
    ...rows.map((row) => {
      const img = row.to || row.from;
      const badge = el('span', { className: 'badge' });
      updateKindBadge(badge, img.kind);
      const tr = el('tr', {
        className: `diff-${row.change}`,
        testid: 'diff-row',
        children: [
          el('td', { children: [el('span', { className: `change-pill change-${row.change}`, text: t(`deploy.change.${row.change}`) })] }),
          el('td', { children: [badge] }),
          el('td', { children: [imageCell(row.change === 'added' ? null : row.from)] }),
          el('td', { children: [imageCell(row.change === 'removed' ? null : row.to)] }),
        ],
      });
      tr.dataset.change = row.change;
      return tr;
    }),
  );
}

function imageCell(img) {
  if (!img) return el('span', { className: 'muted', text: '—' });
  return el('span', {
    className: 'image-cell',
    children: [el('span', { className: 'image-cell-name', text: img.name }), el('code', { className: 'image-cell-id', text: img.id })],
  });
}
