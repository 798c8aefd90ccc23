// Entry point of the wizard window: builds the shared state from the steps' slices, hands every
// step the app context, wires the header, the rail, the profile screen and the panels, and
// re-renders every mounted view on each change (each view's `update(view)` is idempotent).
//
// What a step shows and does lives in its own module under steps/ (its view and its actions);
// this file keeps only what spans steps: the chosen step, the session, the state container,
// and start-up (language, session, runs left in flight by a reload). The `data-testid` hooks the
// window tests drive are listed in ui/README.md.

import { backendMode, call, runsInFlight, toBackendError } from './backend.js';
import { listenForClose } from './close-guard.js';
import { confirmDialog } from './dialog.js';
import { lazyMount, translateStatic } from './dom.js';
import { getLanguage, initialLanguage, setLanguage, t } from './i18n.js';
import { mountHeader, storedLanguage } from './header.js';
import { mountHeaderTools } from './help.js';
import { mountProfileScreen } from './profile.js';
import { guardReloadKeys } from './reload-guard.js';
import { createDeploymentStep } from './steps/deployment.js';
import { createDevicesStep } from './steps/devices.js';
import { createGroupStep } from './steps/group.js';
import { createHistoryStep } from './steps/history.js';
import { createNodesStep } from './steps/nodes.js';
import { createPackagesStep } from './steps/packages.js';
import { createStore } from './store.js';
import { FLEET, createFleetScreen, mountFleetLink } from './fleet.js';
import { mountMigrationScreen } from './migration.js';
import { STEPS, mountStepRail, openingStep } from './wizard.js';

const views = [];
let profileScreen = null;
let migrationScreen = null;

const store = createStore({ step: openingStep(), mode: backendMode(), appInfo: null, session: null }, render);
const { state } = store;

/**
 * The context every step controller gets: the state and the ways to change it, the shared
 * helpers, the actions any error notice may offer (`common`) and the other steps (`steps`,
 * by id) for the few hand-overs between them (upload → plan, history → redeploy, …).
 */
const app = {
  ...store,
  steps: {},
  /** Screens beside the six steps (the Fleet screen), reached from the rail. */
  screens: {},
  currentGroup: () => state.groups.items.find((g) => g.id === state.groupId) || null,
  /** Turns a rejection into a `CommandError`; a `signed_out` one also marks the session. */
  failure(err) {
    const error = toBackendError(err);
    if (error.kind === 'signed_out' && state.session) state.session = { ...state.session, signedIn: false };
    return error;
  },
  /** Calls `hook` (`onGroupChanged`, `onTenantChanged`) on every step that has it. */
  broadcast(hook) {
    for (const step of [...Object.values(app.steps), ...Object.values(app.screens)]) if (step[hook]) step[hook]();
  },
  goToStep,
  common: {
    goToStep,
    signIn: () => profileScreen.open({ signIn: true }),
    openSettings: () => profileScreen.open(),
    chooseFile: () => {
      goToStep(2);
      app.steps.packages.actions.addFromPicker();
    },
  },
};

const STEP_FACTORIES = { group: createGroupStep, packages: createPackagesStep, deployment: createDeploymentStep, history: createHistoryStep, devices: createDevicesStep, nodes: createNodesStep };
for (const step of STEPS) app.steps[step.id] = STEP_FACTORIES[step.id](app);
for (const step of Object.values(app.steps)) Object.assign(state, step.initial());
app.screens.fleet = createFleetScreen(app);
Object.assign(state, app.screens.fleet.initial());

function render() {
  let view = { ...state };
  for (const step of Object.values(app.steps)) if (step.derive) view = { ...view, ...step.derive(view) };
  document.documentElement.lang = getLanguage();
  document.title = t('app.name');
  translateStatic(document, t);
  document.body.classList.toggle('is-dragging', state.dragging);
  for (const v of views) v.update(view);
}

/** Loads what a step shows when it is opened and its data is missing or for another group. */
function loadFor(number) {
  const step = app.steps[STEPS[number - 1].id];
  if (step.onOpen) step.onOpen();
}

function selectStep(number) {
  store.set({ step: number });
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

/** Opens the Fleet screen (beside the six steps) and reads its figures if needed. */
function openFleet() {
  store.set({ step: FLEET });
  app.screens.fleet.onOpen();
  const heading = document.getElementById('fleet-title');
  if (heading) heading.focus();
}

/**
 * A panel whose content is built the first time it is shown: only the opening step is drawn
 * before the first paint (building all seven panels cost the cold start ~100 ms of layout and
 * style work for screens nobody had opened yet). Hidden panels are not updated either.
 */
function lazyPanel(main, section, isShown, mount) {
  main.append(section);
  let view = null;
  views.push({
    update(v) {
      section.hidden = !isShown(v);
      if (section.hidden) return;
      if (!view) view = mount(section);
      view.update(v);
    },
  });
}

function mountPanels() {
  const main = document.getElementById('main');
  const fleet = document.createElement('section');
  fleet.className = 'step-panel fleet-panel';
  fleet.dataset.step = FLEET;
  lazyPanel(main, fleet, (v) => v.step === FLEET, (section) => app.screens.fleet.mount(section));
  for (const step of STEPS) {
    const section = document.createElement('section');
    section.className = 'step-panel';
    section.dataset.step = String(step.number);
    section.setAttribute('aria-labelledby', `step-${step.number}-title`);
    lazyPanel(main, section, (v) => v.step === step.number, (el) => app.steps[step.id].mount(el, step));
  }
}

/** A new session from the profile screen: another tenant drops what was read from the old one. */
function onSession(session) {
  const switched = state.session && session && state.session.profile !== session.profile;
  const signedInNow = session && session.signedIn && !(state.session && state.session.signedIn);
  state.session = session;
  if (switched) app.broadcast('onTenantChanged');
  render();
  if (state.step === FLEET) {
    if (switched || signedInNow) app.screens.fleet.onOpen();
  } else if (switched || signedInNow) loadFor(state.step);
  if (signedInNow && state.groups.status !== 'ok') app.steps.group.actions.loadGroups();
}

async function loadSession() {
  try {
    state.session = await call('session_info');
  } catch {
    state.session = null;
  }
  render();
}

/**
 * Runs a reload left in flight: each is shown in its step with its latest state and followed
 * to its end on a new channel. The window opens on the step of the first one.
 */
async function reattachRuns() {
  const runs = await runsInFlight();
  const steps = Object.values(app.steps).filter((s) => s.runKind);
  for (const run of runs) {
    const step = steps.find((s) => s.runKind === run.kind);
    if (step) step.reattach(run);
  }
  // Runs a crash, a kill or a pause left unfinished are offered for resume in their step.
  await Promise.all(steps.filter((s) => s.loadInterrupted).map((s) => s.loadInterrupted()));
  const resumable = STEPS.find((s) => (state[s.id === 'devices' ? 'gateways' : s.id] || {}).interrupted?.length);
  const first = STEPS.find((s) => runs.some((r) => r.kind === app.steps[s.id].runKind)) || resumable;
  if (!first || state.step !== openingStep()) return;
  // A run's step shows the chosen group's data: open it once the groups are known.
  await app.steps.group.loaded();
  selectStep(first.number);
}

const LOCALE_KEY = 'asg-fota.os-locale';

function rememberedLocale() {
  try {
    return localStorage.getItem(LOCALE_KEY);
  } catch {
    return null;
  }
}

function useLocale(osLocale) {
  setLanguage(initialLanguage({ stored: storedLanguage(), osLocale }), osLocale);
}

/** The app's facts (version, OS locale, log folder): the language follows the OS locale. */
function applyAppInfo(appInfo) {
  const osLocale = appInfo && appInfo.locale ? appInfo.locale : navigator.language;
  useLocale(osLocale);
  state.appInfo = appInfo;
  try {
    if (appInfo && appInfo.locale) localStorage.setItem(LOCALE_KEY, appInfo.locale);
  } catch {
    // Storage may be unavailable (a private web view): the next start waits for app_info.
  }
}

async function start() {
  // Marks for the cold-start benchmark's trace (`BENCH_TRACE=1`): where the first paint's time goes.
  performance.mark('app:modules-loaded');
  if (state.mode !== 'browser') app.steps.group.prefetchCached();
  // Outside the app there is no app_info: the browser's language is used below.
  const info = call('app_info').catch(() => null);
  // The OS locale seen at the last start draws the first frame without waiting for the round
  // trip; the answer then corrects it (the first start ever waits for it).
  const remembered = rememberedLocale();
  if (remembered) {
    useLocale(remembered);
    info.then((appInfo) => {
      applyAppInfo(appInfo);
      render();
    });
  } else applyAppInfo(await info);

  guardReloadKeys();
  listenForClose();
  // Built when first opened: neither shows at start.
  migrationScreen = lazyMount(() => mountMigrationScreen({ onProfilesChanged: () => {} }));
  profileScreen = lazyMount(() => mountProfileScreen({ confirm: confirmDialog, onSession, openMigration: (from) => migrationScreen.open(from) }));
  views.push(mountHeader({ onLanguage: render, openProfile: () => profileScreen.open() }));
  views.push(mountHeaderTools());
  views.push(mountStepRail(document.getElementById('step-rail'), { onSelect: selectStep }));
  views.push(mountFleetLink(document.getElementById('step-rail'), { onSelect: openFleet }));
  views.push(profileScreen);
  views.push(migrationScreen);
  mountPanels();
  render();
  performance.mark('app:mounted');
  app.steps.packages.listen();
  const sessionLoad = loadSession();
  if (state.mode === 'fake') {
    await sessionLoad;
    const hints = await call('fake_hints').catch(() => ({}));
    if (hints.step) await openFakeStep(hints.step);
  }
  // Step 1's groups are asked for beside the session, not after it: the shell opened the session
  // while the page loaded, and a signed-out profile answers `signed_out` either way.
  loadFor(state.step);
  if (state.groups.status === 'idle' && state.mode !== 'browser') app.steps.group.actions.loadGroups();
  if (state.mode !== 'browser') await reattachRuns();
  await sessionLoad;
}

/**
 * Sample-data only (`?fake=1&fakeStep=N`): walks the wizard to step N with sample choices so
 * that every step can be screenshotted without clicking.
 */
async function openFakeStep(step) {
  const { group, packages, deployment, devices } = app.steps;
  await group.actions.loadGroups();
  if (step >= 2) group.actions.selectGroup(state.groups.items[0].id);
  if (step === 2 || step === 3) {
    await packages.actions.addPaths(['hl_anvil_test_app.imagepackage', 'rt_avnet_grove_gps.imagepackage', 'asg210_eth_board_config.imagepackage'].map((n) => `/home/demo/asg210/packages/${n}`));
  }
  if (step === 3) {
    await packages.actions.upload({ continueAfter: false });
    store.set({ step: 3 });
    await deployment.actions.plan();
    return;
  }
  if (step === 5 || step === 6) {
    store.set({ step: 5 });
    await devices.actions.loadGateways();
    store.patch('gateways', { selected: new Set(state.gateways.items.slice(0, 6).map((g) => g.deviceId)) });
  }
  store.set({ step });
}

start();
