// Entry point of the wizard window: holds the view state, wires the backend to the views and
// re-renders every mounted view on each change (each view's `update(view)` is idempotent).
//
// Stable hooks for the end-to-end WebDriver test (tests/ drive the real window through these;
// keep them when restyling):
//   data-testid="step-link-1" … "step-link-6"  the step rail buttons; the active one carries
//                                               aria-current="step"
//   data-testid="add-packages"                 step 2's "Add packages…" button (calls
//                                               pick_packages, then inspect_packages)
//   data-testid="package-row"                  one <li> per file in step 2, with data-file = the
//                                               absolute path the backend reported
//   data-testid="package-kind"                 inside a readable row: the kind badge; its
//                                               data-kind holds the raw kind (HLApp, RTApp,
//                                               BoardConfig, Other), its text is localized
//   data-testid="package-name"                 inside a readable row: the package's name
//   data-testid="image-id"                     inside a readable row: exactly the Image ID text
//   data-testid="component-id"                 inside a readable row: exactly the Component ID
//   data-testid="package-error"                inside a damaged row: the reason; its data-kind
//                                               holds the error kind (damaged_package, io, …)
//   data-testid="lang-switch"                  the language group in the header; its buttons
//                                               carry data-lang="en" / data-lang="ko" and
//                                               aria-pressed
//   data-testid="profile-button"               header button "Profile: <name>"; opens the profile
//                                               dialog (data-testid="profile-dialog"; Escape closes)
//   data-testid="signin-start"                 starts a device-code sign-in in the dialog
//   data-testid="signin-code"                  holds exactly the user code; "signin-cancel",
//                                               "signin-url", "signin-countdown" beside it
//   data-testid="profile-row" (data-name), "profile-activate", "profile-edit", "profile-remove",
//               "profile-new-legacy", "profile-new-arm", "profile-save", "sp-secret", "signin-sp"
//   data-testid="error-sign-in"                the "Sign in" button of a signed_out error
//   data-testid="group-search"                 step 1's search box (filters instantly)
//   data-testid="group-row"                    one button per group, data-group-id = its id,
//                                               aria-pressed="true" when chosen
//   data-testid="upload-button"                step 2 "Just upload" (stops after uploading)
//   data-testid="upload-continue"              step 2 "Upload and continue to step 3"
//   data-testid="upload-status"                per package row: data-phase = the raw phase of
//                                               upload-progress (uploading, processing, done,
//                                               skipped, failed, cancelled); "upload-cancel"
//   data-testid="deploy-image"                 step 3 image set rows (data-image-id), each with a
//                                               checkbox to include/keep the image
//   data-testid="deploy-plan"                  step 3 "Check deployment" (deployment_plan)
//   data-testid="deploy-problem"               one per preflight problem (blocks deploy-create)
//   data-testid="diff-row"                     one per component, data-change = kept|replaced|
//                                               added|removed
//   data-testid="deploy-create"                step 3 "Create deployment…" (asks to confirm)
//   data-testid="confirm-ok"                   the confirmation dialog's OK button
//   data-testid="confirm-cancel"               its Cancel button (focused first; Escape = Cancel)
//   data-testid="deploy-success"               shown after deployment_create; "deploy-to-step5"
//   data-testid="history-row"                  step 4 rows, data-deployment-id, data-current
//                                               ("true"/"false")
//   data-testid="redeploy"                     inside a history row (not the current one):
//                                               rollback through step 3's check and confirmation
//   data-testid="gateway-row"                  step 5 rows, data-device-id = the full id. The table
//                                               is windowed: only rows in view exist; type an id
//                                               into data-testid="gateway-filter" to bring it up
//   data-testid="gateway-select"               the row's checkbox
//   data-testid="select-all"                   "Select all (N)" over the filtered rows
//   data-testid="update-now"                   starts update_now_start (after confirm-ok)
//   data-testid="device-status"                per row: data-status = the raw last status
//                                               (idle, requested, moved, restarting, checked_in,
//                                               on_target, failed, cancelled); click → timeline
//   data-testid="update-now-cancel", "retry-failed", "run-summary", "to-step6"
//   data-testid="node-row"                     step 6 rows (windowed), data-mac, data-gateway-id
//   data-testid="node-update"                  the row's Update button (enabled only if newer)
//   data-testid="update-all-outdated"          step 6 "Update all outdated (N)"
//   data-testid="node-status"                  per row: data-state = outdated | current |
//                                               requested | InProgress | Succeeded | Failed |
//                                               cancelled; "retry-failed-nodes", "node-filter"
// While a package is being read its row has class "is-reading"; wait for it to go away.

import { backendMode, call, on, toBackendError } from './backend.js';
import { confirmDialog, modalOpen } from './dialog.js';
import { announce, setAttr, setText, translateStatic } from './dom.js';
import { formatNumber, getLanguage, initialLanguage, setLanguage, t, tn } from './i18n.js';
import {
  NODE_FINAL,
  SLOTS,
  UPLOAD_FINAL,
  applyDeviceProgress,
  applyNodeProgress,
  baseName,
  canUpdateNode,
  defaultKeep,
  failedDevices,
  filterGateways,
  filterNodes,
  mergeEntries,
  nodeKey,
  parseDeviceIds,
  describeSession,
  deviceKey,
  partitionDropped,
  planSlots,
  removeEntry,
  settleInspection,
  summarizeRun,
  toggleAll,
  toggleSelection,
} from './logic.js';
import { mountHeaderTools } from './help.js';
import { mountProfileScreen } from './profile.js';
import { mountDeploymentStep } from './steps/deployment.js';
import { mountDevicesStep } from './steps/devices.js';
import { mountGroupStep } from './steps/group.js';
import { mountHistoryStep } from './steps/history.js';
import { mountNodesStep } from './steps/nodes.js';
import { mountPackagesStep } from './steps/packages.js';
import { STEPS, mountStepRail, openingStep } from './wizard.js';
import { roleText } from './widgets.js';

const LANGUAGE_KEY = 'asg-fota.language';

const loadable = () => ({ status: 'idle', items: [], error: null, asOf: null });

const state = {
  step: openingStep(),
  mode: backendMode(),
  appInfo: null,
  /** Who is signed in (`session_info`), and the profile list for the header. */
  session: null,
  /** Step 2's list: `{ file, status: 'reading' | 'ok' | 'error', report?, error? }`. */
  entries: [],
  /** One message above step 2's list: `{ tone: 'info' | 'error', key, params, count? }`. */
  notice: null,
  dragging: false,
  /** True while the native file picker is open. */
  picking: false,
  /** Step 1. */
  groups: loadable(),
  groupQuery: '',
  groupId: null,
  /** Step 2's upload: progress events by file, the answer, the error. */
  upload: { running: false, progress: {}, results: null, error: null, continueAfter: false },
  /**
   * Step 3. `overrides` maps an image id to included true/false where the user flipped a
   * toggle; `redeployOf` is the deployment a rollback came from; `plan` the last answer and
   * `plannedKey` the image set it was made for.
   */
  deploy: { overrides: {}, redeployOf: null, plan: null, plannedKey: null, planning: false, creating: false, created: null, createdReach: 0, error: null, lastAction: null },
  /** Step 4 (loaded for `groupId`). */
  history: { ...loadable(), groupId: null },
  /** Step 5. `timelines` by device id for the run of `runId` over `runDevices`. */
  gateways: { ...loadable(), groupId: null, query: '', selected: new Set(), runId: null, running: false, starting: false, runDevices: [], timelines: {}, detail: null, lastAction: null },
  /** Step 6. `progress` by node key for the run `runId`. */
  nodes: { ...loadable(), sourceKey: null, query: '', runId: null, running: false, starting: false, runItems: [], progress: {} },
};

const views = [];
let profileScreen = null;

function setState(patch) {
  Object.assign(state, patch);
  render();
}

/** Patches one slice of the state (`groups`, `deploy`, …) and re-renders. */
function patch(slice, changes) {
  state[slice] = { ...state[slice], ...changes };
  render();
}

// Derived lists are memoized by their inputs: with 10,000 gateways a filter pass on every
// progress event would be wasted work.
const memo = new Map();
function remember(name, inputs, compute) {
  const old = memo.get(name);
  if (old && old.inputs.length === inputs.length && old.inputs.every((x, i) => x === inputs[i])) return old.value;
  const value = compute();
  memo.set(name, { inputs, value });
  return value;
}

function render() {
  const plan = planSlots(state.entries);
  const view = {
    ...state,
    plan,
    notice: state.notice ? { tone: state.notice.tone, text: noticeText(state.notice) } : null,
    deployView: deployView(plan),
    gatewayView: gatewayView(),
    nodeView: nodeView(),
  };
  document.documentElement.lang = getLanguage();
  document.title = t('app.name');
  translateStatic(document, t);
  document.body.classList.toggle('is-dragging', state.dragging);
  for (const v of views) v.update(view);
}

function noticeText(notice) {
  return notice.count === undefined ? t(notice.key, notice.params) : tn(notice.key, notice.count, notice.params);
}

function currentGroup() {
  return state.groups.items.find((g) => g.id === state.groupId) || null;
}

// ---- Errors that need a sign-in -------------------------------------------------------------

/** Turns a rejection into `{kind, message}`; a `signed_out` one also marks the session. */
function failure(err) {
  const error = toBackendError(err);
  if (error.kind === 'signed_out' && state.session) state.session = { ...state.session, signedIn: false };
  return error;
}

const signInActions = {
  signIn: () => profileScreen.open({ signIn: true }),
};

// ---- Step 1 -----------------------------------------------------------------------------------

async function loadGroups() {
  patch('groups', { status: 'loading', error: null });
  try {
    const items = await call('groups_list');
    patch('groups', { status: 'ok', items, asOf: items.length ? items[0].asOf : new Date().toISOString() });
  } catch (err) {
    patch('groups', { status: 'error', error: failure(err) });
  }
}

const groupActions = {
  ...signInActions,
  loadGroups,
  setGroupQuery(query) {
    setState({ groupQuery: query });
  },
  selectGroup(id) {
    if (id === state.groupId) return;
    const group = state.groups.items.find((g) => g.id === id);
    state.groupId = id;
    // Another group: what later steps read for the old one no longer applies.
    state.deploy = { ...state.deploy, overrides: {}, redeployOf: null, plan: null, plannedKey: null, created: null, error: null };
    state.upload = { running: false, progress: {}, results: null, error: null, continueAfter: false };
    render();
    if (group) announce(t('groups.chosen', { product: group.productName, group: group.name }));
  },
  goToStep,
};

// ---- Step 2 actions -------------------------------------------------------------------------

async function addFromPicker() {
  // The native picker is modal to the app but not to this page: a second click while it is
  // open would queue a second dialog, so the button is disabled until it closes.
  if (state.picking) return;
  setState({ picking: true });
  let paths;
  try {
    paths = await call('pick_packages', { title: t('packages.pickerTitle'), filter: t('packages.pickerFilter') });
  } catch (err) {
    showError('notice.pickFailed', err);
    return;
  } finally {
    setState({ picking: false });
  }
  if (Array.isArray(paths) && paths.length > 0) await addPaths(paths);
}

/** Inspects `paths` and merges the results into the list; a file already listed is refreshed. */
async function addPaths(paths) {
  const { packages, others } = partitionDropped(paths);
  state.notice = others.length
    ? { tone: 'info', key: 'notice.skipped', count: others.length, params: { files: others.map(baseName) } }
    : null;
  const known = new Set(state.entries.map((e) => e.file));
  const fresh = [...new Set(packages)].filter((p) => !known.has(p));
  setState({ step: 2, entries: mergeEntries(state.entries, fresh.map((file) => ({ file, status: 'reading' }))) });
  if (packages.length === 0) return;

  const requested = [...new Set(packages)];
  let results;
  try {
    results = settleInspection(requested, await call('inspect_packages', { paths: requested }));
  } catch (err) {
    const error = toBackendError(err);
    results = requested.map((file) => ({ file, status: 'error', error }));
  }
  // A file removed while it was being read stays removed.
  const listed = new Set(state.entries.map((e) => e.file));
  setState({ entries: mergeEntries(state.entries, results.filter((r) => listed.has(r.file))) });
  const failed = results.filter((r) => r.status === 'error').length;
  const read = results.length - failed;
  announce([read ? tn('packages.addedAnnounce', read) : '', failed ? tn('packages.failedAnnounce', failed) : ''].filter(Boolean).join('. '));
}

function showError(key, err) {
  const error = toBackendError(err);
  const message = error.kind === 'not_in_app' ? t('error.notInAppMessage') : error.message;
  setState({ notice: { tone: 'error', key, params: { message } } });
}

/** Uploads the readable packages to the chosen group; optionally opens step 3 afterwards. */
async function upload({ continueAfter }) {
  const group = currentGroup();
  const files = planSlots(state.entries);
  const paths = state.entries.filter((e) => e.status === 'ok' && files.slotOf.get(e.file)).map((e) => e.file);
  if (!group || paths.length === 0 || state.upload.running) return;
  const progress = Object.fromEntries(paths.map((file) => [file, { file, phase: 'queued', bytesSent: 0, totalBytes: 0 }]));
  patch('upload', { running: true, progress, results: null, error: null, continueAfter });
  announce(t('upload.running'));
  try {
    const results = await call('packages_upload', { groupId: group.id, paths });
    // The answer is the truth about each file, whatever progress events were missed.
    const settled = { ...state.upload.progress };
    for (const r of results) {
      const phase = r.outcome === 'uploaded' ? 'done' : r.outcome === 'skipped' ? 'skipped' : (r.error && r.error.kind === 'cancelled' ? 'cancelled' : 'failed');
      settled[r.file] = { ...(settled[r.file] || {}), file: r.file, imageId: r.imageId, phase, error: r.error || null };
    }
    patch('upload', { running: false, results, progress: settled });
    const count = (o) => results.filter((r) => r.outcome === o).length;
    announce(t('upload.summary', { uploaded: count('uploaded'), skipped: count('skipped'), failed: count('failed') }));
    if (continueAfter && count('failed') === 0) {
      goToStep(3);
      planDeployment();
    }
  } catch (err) {
    const error = failure(err);
    const progressNow = { ...state.upload.progress };
    for (const [file, p] of Object.entries(progressNow)) {
      if (!UPLOAD_FINAL.includes(p.phase)) progressNow[file] = { ...p, phase: error.kind === 'cancelled' ? 'cancelled' : 'failed', error };
    }
    patch('upload', { running: false, progress: progressNow, error: error.kind === 'cancelled' ? null : error });
  }
}

const packageActions = {
  ...signInActions,
  addFromPicker,
  upload,
  async cancelUpload() {
    try {
      await call('upload_cancel');
    } catch (err) {
      patch('upload', { error: failure(err) });
    }
  },
  goToStep,
  remove(file) {
    const at = state.entries.findIndex((e) => e.file === file);
    setState({ entries: removeEntry(state.entries, file) });
    announce(t('packages.removedAnnounce', { file: baseName(file) }));
    // Keep keyboard focus in the list (on the row that took the removed one's place) rather
    // than losing it to <body>.
    const buttons = document.querySelectorAll('[data-testid="package-row"] .remove-button');
    const next = buttons[Math.min(at, buttons.length - 1)] || document.querySelector('[data-testid="add-packages"]');
    if (next) next.focus();
  },
  clear() {
    setState({ entries: [], notice: null, upload: { running: false, progress: {}, results: null, error: null, continueAfter: false } });
    announce(t('packages.clearedAnnounce'));
    const add = document.querySelector('[data-testid="add-packages"]');
    if (add) add.focus();
  },
  dismissNotice() {
    setState({ notice: null });
  },
};

// ---- Step 3 -----------------------------------------------------------------------------------

/**
 * Step 3's image set: for a rollback, the earlier deployment's images; otherwise step 2's
 * packages in their slots plus the current deployment's images (kept unless replaced by a
 * package of the same component, or turned off).
 */
function deployView(plan) {
  const group = currentGroup();
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

async function planDeployment() {
  const dv = deployView(planSlots(state.entries));
  if (!dv.group || dv.imageIds.length === 0) return;
  patch('deploy', { planning: true, error: null, lastAction: 'plan', created: null });
  try {
    const plan = await call('deployment_plan', { groupId: dv.group.id, imageIds: dv.imageIds });
    patch('deploy', { planning: false, plan, plannedKey: dv.key });
    announce(plan.ok ? t('deploy.planOk') : tn('deploy.problems', plan.problems.length));
  } catch (err) {
    patch('deploy', { planning: false, error: failure(err) });
  }
}

async function createDeployment() {
  const dv = deployView(planSlots(state.entries));
  const plan = state.deploy.plan;
  if (!dv.group || !plan || !plan.ok || !dv.planFresh || state.deploy.creating) return;
  const removed = plan.diff.removed || [];
  const lines = [
    tn('deploy.confirmReach', plan.reachDevices, { group: dv.group.name, product: dv.group.productName }),
    tn('deploy.confirmImages', dv.imageIds.length),
  ];
  if (removed.length) lines.push(t('deploy.confirmRemoved', { names: removed.map((i) => i.name) }));
  if (state.deploy.redeployOf) lines.push(t('deploy.confirmRollback'));
  lines.push(t('deploy.confirmTiming'));
  const ok = await confirmDialog({ title: t('deploy.confirmTitle', { group: dv.group.name }), lines, ok: t('deploy.confirmOk') });
  if (!ok) return;
  patch('deploy', { creating: true, error: null, lastAction: 'create' });
  try {
    const created = await call('deployment_create', { groupId: dv.group.id, imageIds: dv.imageIds });
    patch('deploy', { creating: false, created, createdReach: plan.reachDevices, plan: null, plannedKey: null, redeployOf: null, overrides: {} });
    announce(t('deploy.created'));
    // The group's current deployment and its history changed.
    loadGroups();
    if (state.history.groupId === dv.group.id) loadHistory();
    const success = document.querySelector('[data-testid="deploy-success"] button');
    if (success) success.focus();
  } catch (err) {
    patch('deploy', { creating: false, error: failure(err) });
  }
}

const deploymentActions = {
  ...signInActions,
  toggleImage(id) {
    const dv = deployView(planSlots(state.entries));
    const c = dv.candidates.find((x) => x.id === id);
    if (!c) return;
    patch('deploy', { overrides: { ...state.deploy.overrides, [id]: !c.included }, created: null });
  },
  plan: planDeployment,
  create: createDeployment,
  clearRedeploy() {
    patch('deploy', { redeployOf: null, overrides: {}, plan: null, plannedKey: null });
  },
  goToStep,
};

// ---- Step 4 -----------------------------------------------------------------------------------

async function loadHistory() {
  const group = currentGroup();
  if (!group) return;
  patch('history', { status: 'loading', error: null, groupId: group.id });
  try {
    const items = await call('deployments_list', { groupId: group.id });
    if (state.groupId !== group.id) return;
    patch('history', { status: 'ok', items, asOf: new Date().toISOString() });
  } catch (err) {
    patch('history', { status: 'error', error: failure(err) });
  }
}

const historyActions = {
  ...signInActions,
  loadHistory,
  redeploy(deployment) {
    state.deploy = { ...state.deploy, redeployOf: deployment, overrides: {}, plan: null, plannedKey: null, created: null, error: null };
    goToStep(3);
    planDeployment();
  },
  goToStep,
};

// ---- Step 5 -----------------------------------------------------------------------------------

function gatewayView() {
  const gw = state.gateways;
  const filtered = remember('gateways', [gw.items, gw.query], () => filterGateways(gw.items, gw.query));
  const filteredIds = remember('gatewayIds', [filtered], () => filtered.map((g) => g.deviceId));
  const summary = summarizeRun(gw.timelines, gw.runDevices);
  const failed = failedDevices(gw.timelines, gw.runDevices);
  return { group: currentGroup(), filtered, filteredIds, summary, failed };
}

async function loadGateways() {
  const group = currentGroup();
  if (!group) return;
  const sameGroup = state.gateways.groupId === group.id;
  patch('gateways', { status: 'loading', error: null, groupId: group.id, lastAction: 'load', ...(sameGroup ? {} : { items: [], selected: new Set(), runDevices: [], timelines: {}, detail: null }) });
  try {
    const listed = (await call('gateways_list', { groupId: group.id })).map((g) => ({ ...g, deviceId: deviceKey(g.deviceId) }));
    if (state.groupId !== group.id) return;
    // Gateways added by id stay in the table until they are in the group's own list.
    const inList = new Set(listed.map((g) => g.deviceId));
    const added = state.gateways.items.filter((g) => g.inGroup === false && !inList.has(g.deviceId));
    const items = [...added, ...listed];
    const known = new Set(items.map((g) => g.deviceId));
    const selected = new Set([...state.gateways.selected].filter((id) => known.has(id)));
    patch('gateways', { status: 'ok', items, selected, asOf: listed.length ? listed[0].asOf : new Date().toISOString() });
  } catch (err) {
    patch('gateways', { status: 'error', error: failure(err) });
  }
}

async function updateNow(ids) {
  const group = currentGroup();
  const deviceIds = ids || [...state.gateways.selected];
  if (!group || deviceIds.length === 0 || state.gateways.running) return;
  const ok = await confirmDialog({
    title: tn('devices.confirmTitle', deviceIds.length),
    lines: [t('devices.confirmText', { group: group.name }), t('devices.confirmOffline')],
    ok: tn('devices.confirmOk', deviceIds.length),
  });
  if (!ok) return;
  // Events can arrive before update_now_start answers with the run id: keep them all and
  // filter by run id once it is known.
  patch('gateways', { starting: true, error: null, lastAction: 'update', runDevices: deviceIds, timelines: {}, runId: null });
  pendingDeviceEvents.length = 0;
  try {
    const { runId } = await call('update_now_start', { groupId: group.id, deviceIds });
    let timelines = {};
    for (const e of pendingDeviceEvents.splice(0)) timelines = applyDeviceProgress(timelines, e, runId);
    patch('gateways', { starting: false, running: true, runId, timelines });
    announce(tn('devices.started', deviceIds.length));
    const done = pendingDone.get(runId);
    if (done) onDeviceDone(done);
  } catch (err) {
    patch('gateways', { starting: false, running: false, error: failure(err) });
  }
}

/** Events that arrived before `update_now_start` answered with their run id. */
const pendingDeviceEvents = [];
/** `*-done` events that arrived before their run id was known, by run id. */
const pendingDone = new Map();

function onDeviceProgress(event) {
  const gw = state.gateways;
  if (!gw.runId || gw.starting) {
    if (gw.starting) pendingDeviceEvents.push(event);
    return;
  }
  const timelines = applyDeviceProgress(gw.timelines, event, gw.runId);
  if (timelines === gw.timelines) return;
  let items = gw.items;
  if (event.status === 'moved' && event.runId === gw.runId) {
    const group = currentGroup();
    items = items.map((g) => (g.deviceId === event.deviceId ? { ...g, inGroup: true, groupId: group ? group.id : g.groupId, groupName: group ? group.name : g.groupName } : g));
  }
  scheduleProgress('gateways', { timelines, items });
}

function onDeviceDone(event) {
  if (!event) return;
  if (state.gateways.starting) pendingDone.set(event.runId, event);
  if (event.runId !== state.gateways.runId || !state.gateways.running) return;
  flushProgress();
  patch('gateways', { running: false });
  announce(t('devices.runDone', { ...summarizeRun(state.gateways.timelines, state.gateways.runDevices) }));
  // The versions and check-in times changed: read them again.
  loadGateways();
}

// Progress events come in bursts (8 devices at once, hundreds of nodes): they are applied to
// the state at once but rendered at most once per animation frame.
let progressFrame = 0;
function scheduleProgress(slice, changes) {
  state[slice] = { ...state[slice], ...changes };
  if (progressFrame) return;
  progressFrame = requestAnimationFrame(() => {
    progressFrame = 0;
    render();
  });
}
function flushProgress() {
  if (progressFrame) cancelAnimationFrame(progressFrame);
  progressFrame = 0;
}

const deviceActions = {
  ...signInActions,
  loadGateways,
  setGatewayQuery(query) {
    patch('gateways', { query });
  },
  toggleGateway(id) {
    patch('gateways', { selected: toggleSelection(state.gateways.selected, id) });
  },
  toggleAllGateways() {
    const { filteredIds } = gatewayView();
    patch('gateways', { selected: toggleAll(state.gateways.selected, filteredIds) });
    announce(tn('devices.selected', state.gateways.selected.size, { total: formatNumber(state.gateways.items.length) }));
  },
  showTimeline(id) {
    patch('gateways', { detail: id === state.gateways.detail ? null : id });
  },
  updateNow: () => updateNow(),
  /** Adds gateways of other groups by id; they are selected, moved by the update. */
  addDevices(text) {
    const { ids, invalid } = parseDeviceIds(text);
    const known = new Set(state.gateways.items.map((g) => g.deviceId));
    const fresh = ids.filter((id) => !known.has(id));
    const asOf = new Date().toISOString();
    const rows = fresh.map((deviceId) => ({ deviceId, connectionState: 'Unknown', hlAppVer: null, rtAppVer: null, lastCheckIn: null, groupId: null, groupName: null, inGroup: false, asOf }));
    const selected = new Set(state.gateways.selected);
    for (const id of ids) selected.add(id);
    patch('gateways', { items: [...rows, ...state.gateways.items], selected });
    return { added: fresh.length, invalid };
  },
  async cancelUpdateNow() {
    if (!state.gateways.runId) return;
    try {
      await call('update_now_cancel', { runId: state.gateways.runId });
    } catch (err) {
      patch('gateways', { error: failure(err) });
    }
  },
  retryFailed() {
    const failed = failedDevices(state.gateways.timelines, state.gateways.runDevices);
    if (failed.length) updateNow(failed);
  },
  goToStep,
};

// ---- Step 6 -----------------------------------------------------------------------------------

/** The gateways whose nodes step 6 shows: step 5's selection, else its last run's devices. */
function nodeSourceIds() {
  if (state.gateways.selected.size) return [...state.gateways.selected];
  return state.gateways.runDevices;
}

function nodeView() {
  const n = state.nodes;
  const sourceIds = remember('nodeSource', [state.gateways.selected, state.gateways.runDevices], nodeSourceIds);
  const filtered = remember('nodes', [n.items, n.query], () => filterNodes(n.items, n.query));
  const outdated = remember('outdated', [n.items, n.progress], () => n.items.filter((x) => canUpdateNode(x) && !(n.progress[nodeKey(x)] && n.progress[nodeKey(x)].state === 'Succeeded')));
  const failed = remember('nodeFailed', [n.items, n.progress], () => n.items.filter((x) => {
    const p = n.progress[nodeKey(x)];
    return p && (p.state === 'Failed' || p.state === 'cancelled');
  }));
  return { sourceIds, filtered, outdated, failed };
}

async function loadNodes() {
  const ids = nodeSourceIds();
  if (ids.length === 0) return;
  const key = ids.join(',');
  patch('nodes', { status: 'loading', error: null, sourceKey: key, ...(state.nodes.sourceKey === key ? {} : { items: [], progress: {} }) });
  try {
    const items = await call('nodes_list', { deviceIds: ids });
    patch('nodes', { status: 'ok', items, asOf: items.length ? items[0].asOf : new Date().toISOString() });
  } catch (err) {
    patch('nodes', { status: 'error', error: failure(err) });
  }
}

async function updateNodes(nodes) {
  const items = nodes.filter(canUpdateNode).map((n) => ({ gatewayId: n.gatewayId, mac: n.mac }));
  if (items.length === 0 || state.nodes.running) return;
  const before = state.nodes.progress;
  const progress = { ...before };
  for (const item of items) progress[nodeKey(item)] = { state: 'requested', percent: 0, error: null, at: null };
  patch('nodes', { starting: true, error: null, progress, runItems: items, runId: null });
  pendingNodeEvents.length = 0;
  try {
    const { runId } = await call('node_update_start', { items });
    patch('nodes', { starting: false, running: true, runId });
    for (const e of pendingNodeEvents.splice(0)) onNodeProgress(e);
    announce(tn('nodes.started', items.length));
    const done = pendingDone.get(runId);
    if (done) onNodeDone(done);
  } catch (err) {
    // Nothing started: the rows go back to what they showed before.
    patch('nodes', { starting: false, progress: before, error: failure(err) });
  }
}

const pendingNodeEvents = [];

function onNodeProgress(event) {
  const n = state.nodes;
  if (!n.runId || n.starting) {
    if (n.starting) pendingNodeEvents.push(event);
    return;
  }
  const progress = applyNodeProgress(n.progress, event, n.runId);
  if (progress === n.progress) return;
  let items = n.items;
  if (event.state === 'Succeeded' && event.version) {
    items = items.map((x) => (nodeKey(x) === nodeKey(event) ? { ...x, current: event.version, updatable: false } : x));
  }
  scheduleProgress('nodes', { progress, items });
}

function onNodeDone(event) {
  if (!event) return;
  if (state.nodes.starting) pendingDone.set(event.runId, event);
  if (event.runId !== state.nodes.runId || !state.nodes.running) return;
  flushProgress();
  // A node the run never reported on is not left "requested" forever.
  const progress = { ...state.nodes.progress };
  for (const item of state.nodes.runItems) {
    const p = progress[nodeKey(item)];
    if (p && !NODE_FINAL.includes(p.state)) progress[nodeKey(item)] = { ...p, state: 'cancelled' };
  }
  patch('nodes', { running: false, progress });
  const failed = (event.failed || []).length;
  announce(t('nodes.done', { succeeded: (event.succeeded || []).length, failed }));
}

const nodeActions = {
  ...signInActions,
  loadNodes,
  setNodeQuery(query) {
    patch('nodes', { query });
  },
  updateNodes,
  updateAllOutdated() {
    updateNodes(nodeView().outdated);
  },
  retryFailedNodes() {
    const failed = nodeView().failed.map((x) => ({ ...x, updatable: true }));
    updateNodes(failed);
  },
  async cancelNodeUpdate() {
    if (!state.nodes.runId) return;
    try {
      await call('node_update_cancel', { runId: state.nodes.runId });
    } catch (err) {
      patch('nodes', { error: failure(err) });
    }
  },
  goToStep,
};

// ---- Wiring ---------------------------------------------------------------------------------

/** Loads what a step shows when it is opened and its data is missing or for another group. */
function loadFor(number) {
  const group = currentGroup();
  if (number === 1 && state.groups.status === 'idle') loadGroups();
  if (number === 4 && group && (state.history.groupId !== group.id || state.history.status === 'idle')) loadHistory();
  if (number === 5 && group && state.gateways.groupId !== group.id && state.gateways.status !== 'loading') loadGateways();
  if (number === 6) {
    const key = nodeSourceIds().join(',');
    if (key && state.nodes.sourceKey !== key && state.nodes.status !== 'loading') loadNodes();
  }
}

function selectStep(number) {
  setState({ step: number });
  loadFor(number);
}

/**
 * Opens step `number` from a button inside a panel. The button disappears with its panel, so
 * focus moves to the new panel's heading instead of falling back to <body>.
 */
function goToStep(number) {
  selectStep(number);
  const heading = document.getElementById(`step-${number}-title`);
  if (heading) heading.focus();
}

function mountHeader() {
  const group = document.querySelector('[data-testid="lang-switch"]');
  for (const button of group.querySelectorAll('button[data-lang]')) {
    button.addEventListener('click', () => {
      setLanguage(button.dataset.lang);
      try {
        localStorage.setItem(LANGUAGE_KEY, button.dataset.lang);
      } catch {
        // Storage can be unavailable (private mode, file: URLs); the choice then lasts a session.
      }
      render();
    });
  }
  const profileButton = document.querySelector('[data-testid="profile-button"]');
  const profileName = profileButton.querySelector('.profile-name');
  const profileState = profileButton.querySelector('.profile-state');
  profileButton.addEventListener('click', () => profileScreen.open());
  const banner = document.getElementById('mode-banner');
  const version = document.getElementById('app-version');
  return {
    update(view) {
      for (const button of group.querySelectorAll('button[data-lang]')) {
        setAttr(button, 'aria-pressed', button.dataset.lang === getLanguage() ? 'true' : 'false');
      }
      const s = describeSession(view.session);
      setText(profileName, s ? s.profile : t('header.profile.none'));
      const signedIn = Boolean(s && s.signedIn);
      profileButton.classList.toggle('is-signed-out', Boolean(s) && !signedIn);
      setText(profileState, s ? (signedIn ? (s.role ? roleText(s.role) : t('profile.signedIn')) : t('profile.signedOut')) : '');
      setAttr(profileButton, 'aria-label', t('header.profileLabel', { name: s ? s.profile : t('header.profile.none'), state: profileState.textContent }));
      banner.hidden = view.mode === 'app';
      banner.classList.toggle('is-fake', view.mode === 'fake');
      setText(banner, view.mode === 'fake' ? t('banner.fake') : view.mode === 'browser' ? t('banner.browser') : '');
      setText(version, view.appInfo ? t('app.version', { version: view.appInfo.version }) : '');
    },
  };
}

function mountPanels() {
  const main = document.getElementById('main');
  const mounts = {
    group: (section, step) => mountGroupStep(section, step, groupActions),
    packages: (section, step) => mountPackagesStep(section, step, packageActions),
    deployment: (section, step) => mountDeploymentStep(section, step, deploymentActions),
    history: (section, step) => mountHistoryStep(section, step, historyActions),
    devices: (section, step) => mountDevicesStep(section, step, deviceActions),
    nodes: (section, step) => mountNodesStep(section, step, nodeActions),
  };
  for (const step of STEPS) {
    const section = document.createElement('section');
    section.className = 'step-panel';
    section.dataset.step = String(step.number);
    section.setAttribute('aria-labelledby', `step-${step.number}-title`);
    main.append(section);
    const view = mounts[step.id](section, step);
    views.push({
      update(v) {
        section.hidden = v.step !== step.number;
        if (!section.hidden) view.update(v);
      },
    });
  }
}

function listenForDrops() {
  // Without this a browser would open a file dropped on the page in place of the app.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  on('tauri://drag-enter', () => setState({ dragging: true }));
  on('tauri://drag-over', () => {
    if (!state.dragging) setState({ dragging: true });
  });
  on('tauri://drag-leave', () => setState({ dragging: false }));
  on('tauri://drag-drop', (payload) => {
    setState({ dragging: false });
    const paths = payload && Array.isArray(payload.paths) ? payload.paths : [];
    if (paths.length) addPaths(paths);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || modalOpen()) return;
    if (state.dragging) setState({ dragging: false });
    else if (state.notice) setState({ notice: null });
  });
}

function listenForProgress() {
  on('upload-progress', (event) => {
    if (!event || !event.file || !state.upload.running) return;
    scheduleProgress('upload', { progress: { ...state.upload.progress, [event.file]: event } });
  });
  on('update-now-progress', (event) => onDeviceProgress({ ...event, deviceId: deviceKey(event.deviceId) }));
  on('update-now-done', (event) =>
    onDeviceDone({
      ...event,
      succeeded: (event.succeeded || []).map(deviceKey),
      failed: (event.failed || []).map((f) => ({ ...f, deviceId: deviceKey(f.deviceId) })),
      cancelled: (event.cancelled || []).map(deviceKey),
    }),
  );
  on('node-update-progress', onNodeProgress);
  on('node-update-done', onNodeDone);
}

async function loadSession() {
  try {
    state.session = await call('session_info');
  } catch {
    state.session = null;
  }
  render();
}

async function start() {
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    stored = null;
  }
  let appInfo = null;
  try {
    appInfo = await call('app_info');
  } catch {
    appInfo = null; // Outside the app: fall back to the browser's language below.
  }
  const osLocale = appInfo && appInfo.locale ? appInfo.locale : navigator.language;
  setLanguage(initialLanguage({ stored, osLocale }), osLocale);
  state.appInfo = appInfo;

  profileScreen = mountProfileScreen({
    confirm: confirmDialog,
    onSession(session) {
      const switched = state.session && session && state.session.profile !== session.profile;
      const signedInNow = session && session.signedIn && !(state.session && state.session.signedIn);
      state.session = session;
      if (switched) {
        // Another tenant: nothing read from the old one applies.
        state.groupId = null;
        state.groups = loadable();
        state.history = { ...loadable(), groupId: null };
        state.gateways = { ...state.gateways, ...loadable(), groupId: null, selected: new Set(), runDevices: [], timelines: {}, detail: null };
        state.nodes = { ...state.nodes, ...loadable(), sourceKey: null, progress: {} };
      }
      render();
      if (switched || signedInNow) loadFor(state.step);
      if (signedInNow && state.groups.status !== 'ok') loadGroups();
    },
  });
  views.push(mountHeader());
  views.push(mountHeaderTools());
  views.push(mountStepRail(document.getElementById('step-rail'), { onSelect: selectStep }));
  views.push(profileScreen);
  mountPanels();
  render();
  listenForDrops();
  listenForProgress();
  const sessionLoad = loadSession();
  if (state.mode === 'fake') {
    await sessionLoad;
    const hints = await call('fake_hints').catch(() => ({}));
    if (hints.step) await openFakeStep(hints.step);
  }
  // Step 1's groups are asked for beside the session, not after it: the shell opened the session
  // while the page loaded, and a signed-out profile answers `signed_out` either way.
  loadFor(state.step);
  if (state.groups.status === 'idle' && state.mode !== 'browser') loadGroups();
  await sessionLoad;
}

/**
 * Sample-data only (`?fake=1&fakeStep=N`): walks the wizard to step N with sample choices so
 * that every step can be screenshotted without clicking.
 */
async function openFakeStep(step) {
  await loadGroups();
  if (step >= 2) groupActions.selectGroup(state.groups.items[0].id);
  if (step === 2 || step === 3) {
    await addPaths(['hl_anvil_test_app.imagepackage', 'rt_avnet_grove_gps.imagepackage', 'asg210_eth_board_config.imagepackage'].map((n) => `/home/demo/asg210/packages/${n}`));
  }
  if (step === 3) {
    await upload({ continueAfter: false });
    setState({ step: 3 });
    await planDeployment();
    return;
  }
  if (step === 5 || step === 6) {
    setState({ step: 5 });
    await loadGateways();
    patch('gateways', { selected: new Set(state.gateways.items.slice(0, 6).map((g) => g.deviceId)) });
  }
  setState({ step });
}

start();
