// Step 5, "Update ASG devices now": the group's gateways in a windowed table (10,000 rows stay
// fast), multi-select, "Update now" with a per-device timeline (requested → moved → restarting
// → checked in → on target, or failed with the reason), Cancel and "Retry failed". Optional
// phases (canary, batches, error threshold: the step asks between two phases) and a maintenance
// window (countdown); runs a crash, a kill or a pause left unfinished are listed with Resume.
//
// Owns the `gateways` slice of the wizard state, its actions (`createDevicesStep`: the list,
// the selection, a run streamed over its own channel, reattaching to a run in flight after a
// reload) and its view (`mountDevicesStep`).

import { call } from '../backend.js';
import { confirmDialog } from '../dialog.js';
import { announce, el, setAttr, setText } from '../dom.js';
import { formatDateTime, formatNumber, formatTime, t, tn } from '../i18n.js';
import {
  UPDATE_NOW_STEPS,
  applyDeviceProgress,
  deviceKey,
  failedDevices,
  filterGateways,
  lastStatus,
  movedGateways,
  parseDeviceIds,
  selectionState,
  shortId,
  summarizeRun,
  toggleAll,
  toggleSelection,
} from '../logic.js';
import { runFollower } from '../runs.js';
import { interruptedOf, runEnding, runOptionsFrom } from '../fleet-runs.js';
import { interruptedCard, phasePrompt, runOptionsForm, windowLine } from '../run-panels.js';
import { loadable } from '../store.js';
import { csvExportButton } from '../activity.js';
import { GATEWAY_COLUMNS, gatewayExportRow } from '../export.js';
import { mountPanelHead } from '../wizard.js';
import { asOfText, copyButton, errorNotice, errorParts, missingCard, phaseName, reasonText, searchBox, stopText, windowedTable } from '../widgets.js';

const initialGateways = () => ({ ...loadable(), groupId: null, query: '', selected: new Set(), runId: null, running: false, starting: false, runDevices: [], timelines: {}, detail: null, lastAction: null, ...initialRunState() });

/** What step 5 keeps of runs that survive: the options form, the run's options, its question or wait, its ending, the interrupted runs. */
const initialRunState = () => ({ advanced: {}, options: null, prompt: null, waitingUntil: null, ending: null, interrupted: [] });

/** Step 5's controller over the app context `app` (see app.js). */
export function createDevicesStep(app) {
  const { state } = app;

  function gatewayView() {
    const gw = state.gateways;
    const filtered = app.remember('gateways', [gw.items, gw.query], () => filterGateways(gw.items, gw.query));
    const filteredIds = app.remember('gatewayIds', [filtered], () => filtered.map((g) => g.deviceId));
    const summary = summarizeRun(gw.timelines, gw.runDevices);
    const failed = failedDevices(gw.timelines, gw.runDevices);
    return { group: app.currentGroup(), filtered, filteredIds, summary, failed };
  }

  async function loadGateways() {
    const group = app.currentGroup();
    if (!group) return;
    const gw = state.gateways;
    // Another group's list starts empty, but a run in flight keeps its devices and timelines.
    const keep = gw.groupId === group.id || gw.running;
    app.patch('gateways', { status: 'loading', error: null, groupId: group.id, lastAction: 'load', ...(keep ? {} : { items: [], selected: new Set(), runDevices: [], timelines: {}, detail: null }) });
    try {
      const listed = (await call('gateways_list', { groupId: group.id })).map((g) => ({ ...g, deviceId: deviceKey(g.deviceId) }));
      if (state.groupId !== group.id) return;
      // Gateways added by id stay in the table until they are in the group's own list.
      const inList = new Set(listed.map((g) => g.deviceId));
      const added = state.gateways.items.filter((g) => g.inGroup === false && !inList.has(g.deviceId));
      const items = [...added, ...listed];
      const known = new Set(items.map((g) => g.deviceId));
      const selected = new Set([...state.gateways.selected].filter((id) => known.has(id)));
      app.patch('gateways', { status: 'ok', items, selected, asOf: listed.length ? listed[0].asOf : new Date().toISOString() });
    } catch (err) {
      app.patch('gateways', { status: 'error', error: app.failure(err) });
    }
  }

  /** The confirmation's lines: what happens, and which gateways leave which group. */
  function confirmLines(group, deviceIds) {
    const lines = [t('devices.confirmText', { group: group.name })];
    const moves = movedGateways(state.gateways.items, deviceIds, group.id);
    if (moves.length) lines.push(tn('devices.confirmMoves', moves.reduce((n, m) => n + m.ids.length, 0), { group: group.name }));
    for (const move of moves) {
      const ids = move.ids.slice(0, 5).map(shortId);
      const more = move.ids.length > ids.length ? ` ${tn('devices.moreIds', move.ids.length - ids.length)}` : '';
      lines.push((move.from ? t('devices.confirmMoveFrom', { from: move.from, ids }) : t('devices.confirmMoveUnknown', { ids })) + more);
    }
    lines.push(t('devices.confirmOffline'));
    return lines;
  }

  function onProgress(run, message) {
    const gw = state.gateways;
    const deviceId = deviceKey(message.deviceId);
    const timelines = applyDeviceProgress(gw.timelines, { ...message, deviceId });
    if (timelines === gw.timelines) return;
    // A reattached run learns its devices from their messages.
    const runDevices = run.devices.has(deviceId) ? gw.runDevices : [...gw.runDevices, deviceId];
    run.devices.add(deviceId);
    let items = gw.items;
    if (message.status === 'moved' || message.hlAppVer || message.rtAppVer) {
      const group = app.currentGroup();
      items = items.map((g) => {
        if (g.deviceId !== deviceId) return g;
        const moved = message.status === 'moved' && group ? { inGroup: true, groupId: group.id, groupName: group.name } : {};
        return { ...g, ...moved, hlAppVer: message.hlAppVer || g.hlAppVer, rtAppVer: message.rtAppVer || g.rtAppVer };
      });
    }
    app.schedule('gateways', { timelines, items, runDevices, waitingUntil: null });
  }

  /** A run's question between two phases, or its wait for the maintenance window. */
  function onMessage(run, message) {
    if (message.type === 'phase') {
      app.patch('gateways', { prompt: message });
      announce(t('runs.phaseDone', { ...message, finished: phaseName(message.finished), next: phaseName(message.next) }));
    } else if (message.type === 'waiting') {
      app.patch('gateways', { waitingUntil: message.opensAt });
    }
  }

  function onDone(run, message) {
    app.flush();
    // Gateways of phases that never started end as such, not "in progress".
    let { timelines } = state.gateways;
    const ending = runEnding(message);
    for (const id of (message && message.notStarted) || []) timelines = applyDeviceProgress(timelines, { deviceId: deviceKey(id), status: 'not_started', at: new Date().toISOString() });
    app.patch('gateways', { running: false, prompt: null, waitingUntil: null, ending, timelines });
    if (ending && ending.stopped) loadInterrupted();
    announce(t('devices.runDone', { ...summarizeRun(state.gateways.timelines, state.gateways.runDevices) }));
    // The versions and check-in times changed: read them again.
    loadGateways();
  }

  const runs = runFollower({ onProgress, onDone, onMessage });

  async function loadInterrupted() {
    try {
      app.patch('gateways', { interrupted: interruptedOf(await call('runs_interrupted'), 'update_now') });
    } catch {
      // Listing them is a courtesy: a tenant that cannot be opened says why elsewhere.
    }
  }

  async function updateNow(ids) {
    const group = app.currentGroup();
    const deviceIds = ids || [...state.gateways.selected];
    if (!group || deviceIds.length === 0 || state.gateways.running) return;
    const { options, error } = runOptionsFrom(state.gateways.advanced);
    if (error) {
      app.patch('gateways', { error: { kind: 'invalid_input', message: t(error) }, lastAction: 'update' });
      return;
    }
    const lines = confirmLines(group, deviceIds);
    if (options) lines.push(...optionLines(options));
    const ok = await confirmDialog({ title: tn('devices.confirmTitle', deviceIds.length), lines, ok: tn('devices.confirmOk', deviceIds.length) });
    if (!ok) return;
    const run = { done: false, devices: new Set(deviceIds) };
    app.patch('gateways', { starting: true, error: null, lastAction: 'update', runDevices: deviceIds, timelines: {}, runId: null, options, ending: null, prompt: null, waitingUntil: null });
    try {
      const { runId } = await runs.start('update_now_start', { groupId: group.id, deviceIds, options }, run);
      // The run may be over already (its `done` came on the channel before this answer).
      app.patch('gateways', { starting: false, running: !run.done, runId });
      if (!run.done) announce(tn('devices.started', deviceIds.length));
    } catch (err) {
      app.patch('gateways', { starting: false, running: false, error: app.failure(err) });
    }
  }

  /** Shows a run that a reload left in flight (`runs_list`) and follows it to its end. */
  function reattach(found) {
    let timelines = {};
    for (const item of found.items) timelines = applyDeviceProgress(timelines, { ...item, deviceId: deviceKey(item.deviceId) });
    const run = { done: false, devices: new Set(Object.keys(timelines)) };
    if (!state.groupId && found.groupId) state.groupId = found.groupId;
    const waiting = found.waiting || {};
    app.patch('gateways', {
      running: true, starting: false, runId: found.runId, lastAction: 'update', runDevices: [...run.devices], timelines,
      options: found.options || null, ending: null,
      prompt: waiting.type === 'phase' ? waiting : null,
      waitingUntil: waiting.type === 'waiting' ? waiting.opensAt : null,
    });
    return runs.attach(found.runId, run);
  }

  /** Resumes an interrupted run through the core (no second restart of a gateway that checked in). */
  async function resumeRun(found) {
    if (state.gateways.running || state.gateways.starting) return;
    const c = found.items.length;
    const ok = await confirmDialog({ title: t('runs.resumeTitle'), lines: [tn('runs.resumeText', c, { group: found.groupName || '' }), t('runs.resumeNoSecondRestart')], ok: t('runs.resume') });
    if (!ok) return;
    if (found.groupId && state.groupId !== found.groupId && state.groups.items.some((g) => g.id === found.groupId)) app.steps.group.actions.selectGroup(found.groupId);
    const deviceIds = found.items.map((i) => deviceKey(i.deviceId));
    const run = { done: false, devices: new Set(deviceIds) };
    app.patch('gateways', { starting: true, error: null, lastAction: 'resume', runDevices: deviceIds, timelines: {}, runId: null, options: found.options || null, ending: null, prompt: null, waitingUntil: null });
    try {
      const { runId } = await runs.start('run_resume', { runId: found.runId }, run);
      app.patch('gateways', { starting: false, running: !run.done, runId });
      if (!run.done) announce(tn('devices.started', deviceIds.length));
    } catch (err) {
      app.patch('gateways', { starting: false, running: false, error: app.failure(err) });
    }
    loadInterrupted();
    if (state.gateways.groupId !== state.groupId) loadGateways();
  }

  async function discardRun(found) {
    const ok = await confirmDialog({ title: t('runs.discardTitle'), lines: [t('runs.discardText', { id: found.runId })], ok: t('runs.discard'), tone: 'danger' });
    if (!ok) return;
    try {
      await call('run_discard', { runId: found.runId });
    } catch (err) {
      app.patch('gateways', { error: app.failure(err) });
    }
    loadInterrupted();
  }

  const actions = {
    loadGateways,
    setGatewayQuery(query) {
      app.patch('gateways', { query });
    },
    toggleGateway(id) {
      app.patch('gateways', { selected: toggleSelection(state.gateways.selected, id) });
    },
    toggleAllGateways() {
      const { filteredIds } = gatewayView();
      app.patch('gateways', { selected: toggleAll(state.gateways.selected, filteredIds) });
      announce(tn('devices.selected', state.gateways.selected.size, { total: formatNumber(state.gateways.items.length) }));
    },
    showTimeline(id) {
      app.patch('gateways', { detail: id === state.gateways.detail ? null : id });
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
      app.patch('gateways', { items: [...rows, ...state.gateways.items], selected });
      return { added: fresh.length, invalid };
    },
    async cancelUpdateNow() {
      if (!state.gateways.runId) return;
      try {
        await call('update_now_cancel', { runId: state.gateways.runId });
      } catch (err) {
        app.patch('gateways', { error: app.failure(err) });
      }
    },
    retryFailed() {
      const failed = failedDevices(state.gateways.timelines, state.gateways.runDevices);
      if (failed.length) updateNow(failed);
    },
    setRunOption(field, value) {
      app.patch('gateways', { advanced: { ...state.gateways.advanced, [field]: value } });
    },
    async answerPhase(go) {
      const { runId } = state.gateways;
      if (!runId) return;
      app.patch('gateways', { prompt: null });
      try {
        await call('update_now_continue', { runId, go });
      } catch (err) {
        app.patch('gateways', { error: app.failure(err) });
      }
    },
    loadInterrupted,
    resumeRun,
    discardRun,
  };

  return {
    id: 'devices',
    runKind: 'update_now',
    initial: () => ({ gateways: initialGateways() }),
    actions,
    mount: (section, step) => mountDevicesStep(section, step, { ...app.common, ...actions }),
    derive: () => ({ gatewayView: gatewayView() }),
    reattach,
    loadInterrupted,
    onOpen() {
      loadInterrupted();
      const group = app.currentGroup();
      if (group && state.gateways.groupId !== group.id && state.gateways.status !== 'loading') loadGateways();
    },
    onTenantChanged() {
      if (!state.gateways.running) state.gateways = initialGateways();
    },
  };
}

/** Must match `.gateway-table .vtable-row { height }` in styles.css. */
export const GATEWAY_ROW_HEIGHT = 44;

/** The confirmation's lines about phases and window. */
function optionLines(options) {
  const lines = [];
  if (options.canary || options.batch) lines.push(t('runs.confirmPhases', { canary: options.canary || 0, batch: options.batch || t('runs.batchRest'), maxFailed: options.maxFailed || '0' }));
  if (options.window) lines.push(t('runs.confirmWindow', { window: options.window, tz: options.windowTz }));
  return lines;
}

/**
 * Mounts step 5. `view.gatewayView` (from app.js) carries `{ group, filtered }`. `actions`:
 * `loadGateways()`, `setGatewayQuery(q)`, `toggleGateway(id)`, `toggleAllGateways()`,
 * `showTimeline(id)`, `updateNow(ids?)`, `cancelUpdateNow()`, `retryFailed()`, `goToStep(n)`,
 * `signIn()`.
 */
export function mountDevicesStep(section, step, actions) {
  const head = mountPanelHead(step);
  const noGroup = missingCard({ textKey: 'devices.needGroup', buttonKey: 'upload.chooseGroup', step: 1, goToStep: actions.goToStep });

  const groupLine = el('p', { className: 'chosen-line' });
  const note = el('p', { className: 'muted small-text' });
  const filter = searchBox({ testid: 'gateway-filter', placeholderKey: 'devices.filter', onQuery: actions.setGatewayQuery });
  const selectAll = el('button', { className: 'button', testid: 'select-all', attrs: { type: 'button' }, on: { click: () => actions.toggleAllGateways() } });
  const refresh = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => actions.loadGateways() } });
  const asOf = el('span', { className: 'muted small-text' });
  const exportCsv = csvExportButton({ what: 'gateways', titleKey: 'export.gatewaysTitle', testid: 'gateways-export' });
  const toolbar = el('div', { className: 'toolbar', children: [filter.el, selectAll, refresh, exportCsv.el, el('span', { className: 'toolbar-spacer' }), asOf] });

  // Gateways of another group, added by id: step 5 moves them into this group before the
  // restart (the guide: "if the ASG210 is not in the chosen group, set its group").
  const addSummary = el('summary');
  const addLabel = el('label', { className: 'field-label', attrs: { for: 'add-device-ids' } });
  const addInput = el('textarea', { className: 'text-input id-paste', testid: 'add-device-ids', attrs: { id: 'add-device-ids', rows: '2', spellcheck: 'false' } });
  const addButton = el('button', { className: 'button', testid: 'add-devices', attrs: { type: 'button' } });
  const addResult = el('p', { className: 'muted small-text', attrs: { role: 'status' } });
  addButton.addEventListener('click', () => {
    const result = actions.addDevices(addInput.value);
    addInput.value = result.invalid.join(' ');
    setText(addResult, [
      result.added ? tn('devices.addedIds', result.added) : '',
      result.invalid.length ? t('devices.invalidIds', { ids: result.invalid.map(shortId) }) : '',
    ].filter(Boolean).join(' '));
  });
  const addBox = el('details', { className: 'add-devices', children: [addSummary, addLabel, el('div', { className: 'inline-field', children: [addInput, addButton] }), addResult] });
  const optionsForm = runOptionsForm({ onChange: actions.setRunOption });
  const interrupted = interruptedCard({ id: 'interrupted-updates', onResume: actions.resumeRun, onDiscard: actions.discardRun });
  const prompt = phasePrompt({ onAnswer: actions.answerPhase });
  const windowNote = windowLine();
  const endingText = el('p', { className: 'run-ending small-text', testid: 'run-ending' });

  const selectedLine = el('span', { className: 'selected-line' });
  const updateNow = el('button', { className: 'button primary', testid: 'update-now', attrs: { type: 'button' }, on: { click: () => actions.updateNow() } });
  const cancel = el('button', { className: 'button danger-outline', testid: 'update-now-cancel', attrs: { type: 'button' }, on: { click: () => actions.cancelUpdateNow() } });
  const retry = el('button', { className: 'button', testid: 'retry-failed', attrs: { type: 'button' }, on: { click: () => actions.retryFailed() } });
  const toNodes = el('button', { className: 'button subtle', testid: 'to-step6', attrs: { type: 'button' }, on: { click: () => actions.goToStep(6) } });
  const actionBar = el('div', { className: 'toolbar action-bar', children: [selectedLine, el('span', { className: 'toolbar-spacer' }), retry, cancel, updateNow, toNodes] });

  const error = errorNotice(actions);
  const runBar = el('progress', { className: 'run-bar', attrs: { max: '100', value: '0' } });
  const runText = el('p', { className: 'run-text', testid: 'run-summary', attrs: { role: 'status' } });
  const run = el('section', { className: 'card run-card', children: [runText, runBar, windowNote.el, endingText] });

  const columns = ['', 'devices.col.device', 'devices.col.connection', 'devices.col.hl', 'devices.col.rt', 'devices.col.checkIn', 'devices.col.group', 'devices.col.status'];
  const headerCells = columns.map((key) => el('span', { className: 'vcell', attrs: { role: 'columnheader' } }));
  const header = el('div', { className: 'vtable-row vtable-header', attrs: { role: 'row', 'aria-rowindex': '1' }, children: headerCells });
  const table = windowedTable({
    className: 'gateway-table',
    rowHeight: GATEWAY_ROW_HEIGHT,
    header,
    keyOf: (g) => g.deviceId,
    buildRow: () => gatewayRow(actions),
    label: () => t('devices.tableLabel'),
  });
  const empty = el('p', { className: 'muted' });

  const timelineTitle = el('h2', { className: 'section-title', attrs: { id: 'timeline-title' } });
  const timelineList = el('ol', { className: 'timeline', testid: 'device-timeline' });
  const timelineClose = el('button', { className: 'button small subtle', attrs: { type: 'button' }, on: { click: () => actions.showTimeline(null) } });
  const timeline = el('section', {
    className: 'card timeline-card',
    attrs: { 'aria-labelledby': 'timeline-title' },
    children: [el('div', { className: 'toolbar', children: [timelineTitle, el('span', { className: 'toolbar-spacer' }), timelineClose] }), timelineList],
  });

  section.append(head.el, noGroup.el, interrupted.el, prompt.el, groupLine, note, toolbar, addBox, optionsForm.el, error.el, actionBar, run, table.el, empty, timeline);
  let lastQuery = null;

  return {
    update(view) {
      head.update();
      const { gateways: gw, gatewayView: gv } = view;
      exportCsv.update(() => gv.filtered.map((g) => gatewayExportRow(g, lastStatus(gw.timelines[g.deviceId]))), GATEWAY_COLUMNS);
      const group = gv.group;
      noGroup.update(!group);
      interrupted.update(gw.interrupted, gw.running || gw.starting);
      optionsForm.update(gw.advanced, gw.running || gw.starting);
      prompt.update(gw.running ? gw.prompt : null);
      for (const node of [groupLine, note, toolbar, addBox, optionsForm.el, actionBar, table.el]) node.hidden = !group;
      if (!group) {
        run.hidden = true;
        timeline.hidden = true;
        empty.hidden = true;
        error.update(null);
        return;
      }
      setText(groupLine, t('groups.chosen', { product: group.productName, group: group.name }));
      setText(note, t('devices.note'));
      filter.update(gw.query);
      setText(addSummary, t('devices.addTitle'));
      setText(addLabel, t('devices.addLabel', { group: group.name }));
      setText(addButton, t('devices.addButton'));
      addButton.disabled = gw.running;
      const ids = gv.filteredIds;
      const state = selectionState(gw.selected, ids);
      setText(selectAll, state === 'all' ? tn('devices.clearAll', ids.length) : tn('devices.selectAll', ids.length));
      setAttr(selectAll, 'aria-pressed', state === 'all' ? 'true' : 'false');
      selectAll.disabled = ids.length === 0 || gw.running;
      setText(refresh, gw.status === 'loading' ? t('common.loading') : t('common.refresh'));
      refresh.disabled = gw.status === 'loading' || gw.running;
      setText(asOf, asOfText(gw.asOf));
      error.update(gw.error, gw.lastAction === 'update' ? () => actions.updateNow() : () => actions.loadGateways());

      setText(selectedLine, tn('devices.selected', gw.selected.size, { total: formatNumber(gw.items.length) }));
      setText(updateNow, gw.starting ? t('devices.starting') : tn('devices.updateNow', gw.selected.size));
      updateNow.disabled = gw.selected.size === 0 || gw.running || gw.starting;
      cancel.hidden = !gw.running;
      setText(cancel, t('common.cancel'));
      const failedCount = gv.failed.length;
      retry.hidden = gw.running || failedCount === 0;
      setText(retry, tn('devices.retryFailed', failedCount));
      toNodes.hidden = gw.running || !gw.runDevices.length;
      setText(toNodes, t('devices.toNodes'));

      run.hidden = gw.runDevices.length === 0;
      if (!run.hidden) {
        const s = gv.summary;
        setAttr(runBar, 'value', s.total ? Math.round((s.done * 100) / s.total) : 0);
        setAttr(runBar, 'aria-label', t('devices.runLabel'));
        setText(runText, t(gw.running ? 'devices.runRunning' : 'devices.runDone', { onTarget: s.onTarget, failed: s.failed, running: s.running, total: s.total }));
        run.classList.toggle('has-failures', s.failed > 0);
        windowNote.update(gw.options, gw.waitingUntil, gw.running);
        const e = gw.ending;
        const ended = e && !gw.running ? [e.stopped ? t('runs.stopped', { reason: stopText(e.stoppedSaid, e.stopped) }) : '', e.deferred ? tn('runs.deferred', e.deferred) : '', e.notStarted ? tn('runs.notStarted', e.notStarted) : ''].filter(Boolean).join(' ') : '';
        setText(endingText, ended);
        endingText.hidden = !ended;
      }

      columns.forEach((key, i) => setText(headerCells[i], key ? t(key) : ''));
      if (gw.query !== lastQuery) {
        lastQuery = gw.query;
        table.scrollToTop();
      }
      table.update(gv.filtered, { selected: gw.selected, timelines: gw.timelines, running: gw.running, detail: gw.detail });
      empty.hidden = !(gw.status === 'ok' && gv.filtered.length === 0);
      setText(empty, gw.items.length === 0 ? t('devices.none') : t('devices.noMatch'));

      const detail = gw.detail ? gw.items.find((g) => g.deviceId === gw.detail) : null;
      timeline.hidden = !detail;
      if (detail) {
        setText(timelineTitle, t('devices.timelineTitle', { id: shortId(detail.deviceId) }));
        setText(timelineClose, t('common.close'));
        renderTimeline(timelineList, gw.timelines[detail.deviceId] || []);
      }
    },
  };
}

/** One gateway row of the windowed table; reused for another gateway when it scrolls away. */
function gatewayRow(actions) {
  let id = null;
  const box = el('input', { testid: 'gateway-select', attrs: { type: 'checkbox' }, on: { change: () => actions.toggleGateway(id) } });
  const shortText = el('code', { className: 'device-id' });
  const copy = copyButton('devices.deviceId');
  const conn = el('span', { className: 'conn-pill' });
  const hl = el('span');
  const rt = el('span');
  const checkIn = el('span', { className: 'small-text' });
  const groupName = el('span', { className: 'small-text' });
  const dots = UPDATE_NOW_STEPS.map(() => el('span', { className: 'dot', attrs: { 'aria-hidden': 'true' } }));
  const statusText = el('span', { className: 'status-text' });
  const status = el('button', {
    className: 'status-button',
    testid: 'device-status',
    attrs: { type: 'button' },
    on: { click: () => actions.showTimeline(id) },
    children: [el('span', { className: 'dots', children: dots }), statusText],
  });
  const cell = (children, className = 'vcell') => el('span', { className, attrs: { role: 'cell' }, children });
  const row = el('div', {
    className: 'vtable-row',
    testid: 'gateway-row',
    attrs: { role: 'row' },
    children: [
      cell([box], 'vcell check-cell'),
      cell([shortText, copy.el], 'vcell id-cell'),
      cell([conn]),
      cell([hl]),
      cell([rt]),
      cell([checkIn]),
      cell([groupName]),
      cell([status], 'vcell status-cell'),
    ],
  });
  return {
    el: row,
    update(g, ctx) {
      id = g.deviceId;
      row.dataset.deviceId = g.deviceId;
      const selected = ctx.selected.has(g.deviceId);
      box.checked = selected;
      box.disabled = ctx.running;
      row.classList.toggle('is-selected', selected);
      row.classList.toggle('is-detail', ctx.detail === g.deviceId);
      setAttr(box, 'aria-label', t('devices.selectOne', { id: shortId(g.deviceId) }));
      setText(shortText, shortId(g.deviceId));
      setAttr(shortText, 'title', g.deviceId);
      copy.update(g.deviceId);
      conn.className = `conn-pill conn-${String(g.connectionState).toLowerCase()}`;
      setText(conn, t(`conn.${['Connected', 'Disconnected'].includes(g.connectionState) ? g.connectionState : 'Unknown'}`));
      setText(hl, g.hlAppVer || '—');
      setText(rt, g.rtAppVer || '—');
      setText(checkIn, formatDateTime(g.lastCheckIn) || '—');
      setText(groupName, g.inGroup === false ? t('devices.elsewhere', { group: g.groupName || '—' }) : g.groupName || '—');
      const timeline = ctx.timelines[g.deviceId];
      const last = lastStatus(timeline);
      status.dataset.status = last || 'idle';
      status.className = `status-button status-${last || 'idle'}`;
      const reached = new Set((timeline || []).map((e) => e.status));
      dots.forEach((dot, i) => {
        const s = UPDATE_NOW_STEPS[i];
        dot.className = `dot${reached.has(s) ? ' is-done' : ''}${last === 'failed' && !reached.has(s) && i === firstMissing(reached) ? ' is-failed' : ''}`;
      });
      const lastEvent = timeline ? timeline[timeline.length - 1] : null;
      setText(statusText, last ? `${t(`status.${last}`)} · ${formatTime(lastEvent.at)}` : t('status.idle'));
      setAttr(status, 'aria-label', t('devices.timelineOpen', { id: shortId(g.deviceId), status: last ? t(`status.${last}`) : t('status.idle') }));
      setAttr(status, 'title', lastEvent && lastEvent.reason ? reasonText(lastEvent.kind, lastEvent.reason) : null);
    },
  };
}

function firstMissing(reached) {
  return UPDATE_NOW_STEPS.findIndex((s) => !reached.has(s));
}

/** The timeline of one device: every status it reached with its time, or the failure. */
function renderTimeline(ol, events) {
  const items = events.length
    ? events.map((e) => {
      const li = el('li', { className: `timeline-item status-${e.status}` });
      li.dataset.status = e.status;
      li.append(el('span', { className: 'timeline-status', text: t(`status.${e.status}`) }), el('time', { className: 'timeline-time muted', text: formatTime(e.at), attrs: { datetime: e.at || '' } }));
      if (e.phase) li.append(el('span', { className: 'timeline-phase muted small-text', testid: 'timeline-phase', text: t('runs.phase', { phase: phaseName(e.phase) }) }));
      // The kind in the user's language; the reason in English is the core's own words.
      if (e.kind && e.kind !== 'cancelled') li.append(el('strong', { className: 'timeline-kind', text: errorParts({ kind: e.kind }).title }));
      if (e.reason) li.append(el('p', { className: 'timeline-reason', text: reasonText(e.kind, e.reason) }));
      return li;
    })
    : [el('li', { className: 'muted', text: t('devices.timelineEmpty') })];
  ol.replaceChildren(...items);
}
