// A stand-in backend for working on the UI in a plain browser, loaded by backend.js only when
// the address carries `?fake=1` and the page is not inside the app. It answers the same
// commands with the same shapes as the Rust side (issue 2), using the identities of the four
// real packages in shared/fixtures plus a made-up board configuration, and treats any other
// file name as damaged.
//
// Beyond step 2 it simulates the whole GUI contract (docs/gui-contract.md, with the shapes of
// docs/gui-contract.json, which tests/ui/fake-contract.test.mjs holds every answer and channel
// message of this file to) in memory: profiles and sign-in, products and groups, uploads with
// progress, deployment plans and creation, history, "update now" with per-device timelines and
// node updates. Runs stream on channels like the app's: `onEvent` is any `{ onmessage }` (what
// backend.js `channel()` makes outside the app), and `FakeChannel` delivers to it the way a Tauri
// 2 `Channel` does — later, in order. `runs_list` and `run_attach` work as in the app.
//
// Extra address parameters, for screenshots: `fakeLocale=ko-KR` sets the OS locale that
// `app_info` reports; `fakeDrop=1` drops a few files on the window once the page listens;
// `fakeGateways=N` sets how many gateways the big group holds (default 10000);
// `fakeSignedOut=1` starts signed out; `fakeStep=N` is read by app.js through `fake_hints`;
// `fakeRunInFlight=1` (or `update`, `nodes`, `upload`) starts with a run already going, as a
// reload in the middle of one finds it; `fakeInterrupted=0` starts without the sample
// interrupted run that `runs_interrupted` lists.

const FOLDER = '/home/demo/asg210/packages/';
const CERT = 'a8d5cc6958f48710140d7a26160fc1cfc31f5df0';

function app(name, imageId, componentId, displayName, kind, builtUnix, sizeBytes) {
  return {
    imageId,
    componentId,
    imageType: kind === 'BoardConfig' ? 21 : 10,
    imageTypeName: kind === 'BoardConfig' ? 'CustomerBoardConfig' : 'Applications',
    kind,
    name: displayName,
    builtAt: new Date(builtUnix * 1000).toISOString().replace('.000Z', 'Z'),
    signingType: 'ECDsa256',
    signingThumbprint: CERT,
    developmentTestCertificate: true,
    temporaryImage: null,
    targetApiSet: kind === 'BoardConfig' ? null : '12',
    abiDepends: [],
    capabilities: {},
    sha256: `${imageId.replace(/-/g, '')}${componentId.replace(/-/g, '')}`.slice(0, 64),
    sizeBytes,
    fileName: name,
  };
}

const KNOWN = new Map(
  [
    app('hl_anvil_test_app.imagepackage', 'c25d88f4-9900-4a8e-9d2c-afc199c28151', '1689d8b2-c835-2e27-27ad-e894d6d15fa9', 'Anvil Test App', 'HLApp', 1599709238, 28884),
    app('hl_azure_sphere_blink.imagepackage', '6415a939-c098-48cf-8e5c-02b52a9f0ffb', '2f074b0f-d99d-4692-82d9-ef93a7d6463c', 'AzureSphereBlinkTest', 'HLApp', 1654786668, 16596),
    app('rt_avnet_grove_gps.imagepackage', 'd5874d13-00d2-4820-a3fb-fc6e1683d039', '592b46b7-5552-4c58-9163-9185f46b96aa', 'AvnetGroveGPSV1', 'RTApp', 1617363066, 164044),
    app('rt_avnet_reference_design.imagepackage', '157a2c84-5e02-431e-be83-c5939ea4b214', '005180bc-402f-4cb3-a662-72937dbcde47', 'Avnet_RTApp_MT3620_BareMetal', 'RTApp', 1609194073, 16588),
    app('asg210_eth_board_config.imagepackage', '7a1e3c55-0b2d-4f6e-9c41-2d8f0e6b9a10', '3e6b2c1d-8f4a-4b7e-a0d9-5c2e1f7b8a64', 'lan-enc28j60-isu0-int-pin5', 'BoardConfig', 1650000000, 812),
  ].map((r) => [r.fileName, r]),
);

const PICKED = [
  'hl_anvil_test_app.imagepackage',
  'rt_avnet_grove_gps.imagepackage',
  'asg210_eth_board_config.imagepackage',
  'rt_avnet_reference_design.imagepackage',
  'truncated_copy.imagepackage',
].map((n) => FOLDER + n);

const DROPPED = [...PICKED, FOLDER + 'hl_azure_sphere_blink.imagepackage', FOLDER + 'notes.txt'];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function baseName(path) {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

function inspect(path) {
  const known = KNOWN.get(baseName(path));
  if (known) {
    const { fileName, ...report } = known;
    return { file: path, ok: true, report: { file: path, ...report } };
  }
  return {
    file: path,
    ok: false,
    error: {
      kind: 'damaged_package',
      message: `${path} is not a valid Azure Sphere image package: the file ends inside the metadata section at byte 4096; rebuild it or choose another file`,
      params: { file: path, offset: 4096 },
    },
  };
}

/**
 * What a Tauri 2 `Channel` does for the page, for the fake: messages reach `target.onmessage`
 * later than they were sent (never inside the call that sent them) and in the order sent.
 */
export class FakeChannel {
  constructor(target) {
    if (!target || typeof target !== 'object' || !('onmessage' in target)) {
      throw { kind: 'invalid_input', message: 'onEvent must be a channel', params: { setting: 'onEvent' } };
    }
    this.target = target;
  }

  send(message) {
    const { target } = this;
    setTimeout(() => {
      if (typeof target.onmessage === 'function') target.onmessage(message);
    }, 0);
  }
}

export function createFakeBackend(location) {
  const params = new URLSearchParams(location ? location.search : '');
  const listeners = new Map();
  const emit = (event, payload) => (listeners.get(event) || []).forEach((h) => h(payload));

  // A browser gives dropped files no paths; the fake makes up paths from the names so that
  // HTML5 drag and drop exercises the same code as the app's `tauri://drag-*` events.
  if (globalThis.window) {
    window.addEventListener('dragenter', () => emit('tauri://drag-enter', { paths: [] }));
    window.addEventListener('dragleave', (e) => {
      if (!e.relatedTarget) emit('tauri://drag-leave', null);
    });
    window.addEventListener('drop', (e) => {
      const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
      emit('tauri://drag-drop', { paths: files.map((f) => FOLDER + f.name), position: { x: e.clientX, y: e.clientY } });
    });
  }

  const tenant = createTenant(params, emit);
  const commands = {
    ...tenant.commands,
    app_info: async () => ({
      version: '0.1.0',
      locale: params.get('fakeLocale') || (globalThis.navigator ? navigator.language : 'en-US'),
      logDir: '/home/demo/.local/share/com.wiznet.asg-fota/logs',
    }),
    pick_packages: async () => {
      await delay(150);
      return PICKED;
    },
    inspect_packages: async ({ paths }) => {
      await delay(400);
      return paths.map(inspect);
    },
  };

  return {
    /** The commands this fake answers (the contract's, plus `fake_hints`). */
    commandNames: () => Object.keys(commands),
    async call(command, args) {
      const run = commands[command];
      if (!run) throw { kind: 'unknown', message: `the fake backend has no command "${command}"` };
      return run(args || {});
    },
    async on(event, handler) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(handler);
      if (event === 'tauri://drag-drop' && params.get('fakeDrop') === '1') {
        setTimeout(() => handler({ paths: DROPPED, position: { x: 400, y: 300 } }), 100);
      }
      return () => listeners.set(event, listeners.get(event).filter((h) => h !== handler));
    },
  };
}

// ---- The simulated tenant behind steps 1–6 and the profile screen ----------------------------

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const fail = (kind, message, params) => {
  throw params ? { kind, message, params } : { kind, message };
};

/** A deterministic hex string, so screenshots do not change between runs. */
function hex(seed, length) {
  let x = seed * 2654435761 % 4294967296;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += (x % 65536).toString(16).padStart(4, '0');
  }
  return out.slice(0, length);
}

function guid(seed) {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function image(report) {
  return { id: report.imageId, name: report.name, kind: report.kind, componentId: report.componentId, type: report.imageTypeName, processed: true, missing: false };
}

function createTenant(params, emit) {
  const reports = [...KNOWN.values()];
  const byFile = new Map(reports.map((r) => [r.fileName, r]));
  const oldHl = { id: 'b3f1c2d4-1111-4a8e-9d2c-000000000001', name: 'Anvil Test App 1.2.0', kind: 'HLApp', componentId: '1689d8b2-c835-2e27-27ad-e894d6d15fa9', type: 'Applications', processed: true, missing: false };
  const oldRt = { id: 'b3f1c2d4-2222-4a8e-9d2c-000000000002', name: 'AvnetGroveGPS 0.9', kind: 'RTApp', componentId: '592b46b7-5552-4c58-9163-9185f46b96aa', type: 'Applications', processed: true, missing: false };
  const oldLogger = { id: 'b3f1c2d4-3333-4a8e-9d2c-000000000003', name: 'SerialLogger', kind: 'RTApp', componentId: '9a0e41aa-0c3d-4e2f-8a71-6b2d4c1e9f30', type: 'Applications', processed: true, missing: false };
  const bc = image(byFile.get('asg210_eth_board_config.imagepackage'));
  /** Images the tenant holds, by id: some "uploaded earlier", the rest arrive with uploads. */
  const images = new Map([oldHl, oldRt, oldLogger, bc].map((i) => [i.id, i]));

  const groups = [
    group(1, 'ASG210 Ethernet', 'Production', 'Factory floor gateways, line A and B', 'Retail', 'UpdateAll'),
    group(2, 'ASG210 Ethernet', 'Field Test', 'Pilot sites', 'Retail', 'UpdateAll'),
    group(3, 'ASG210 Ethernet', 'Development', 'Bench units; app updates off while debugging', 'RetailEval', 'No3rdPartyAppUpdates'),
    group(4, 'ASG210 Wi-Fi', 'Production', 'Warehouse gateways', 'Retail', 'UpdateAll'),
    group(5, 'ASG210 Wi-Fi', 'Field Test Eval', 'OS evaluation feed', 'RetailEval', 'UpdateAll'),
    group(6, 'Sensor Hub', 'Lab', 'Frozen for certification', 'Retail', 'NoUpdates'),
  ];
  function group(n, productName, name, description, osFeed, updatePolicy) {
    return {
      id: guid(100 + n),
      name,
      productId: guid(10 + productName.length),
      productName,
      description,
      deviceCount: 0,
      osFeed,
      updatePolicy,
      policyBlocksApps: updatePolicy !== 'UpdateAll',
      currentDeployment: null,
      asOf: now(),
    };
  }
  const history = new Map(groups.map((g) => [g.id, []]));
  const addDeployment = (g, imgs, date) => {
    const list = history.get(g.id);
    for (const d of list) d.current = false;
    const d = { id: guid(500 + list.length + g.name.length * 7 + g.productName.length), date, current: true, images: imgs };
    list.unshift(d);
    g.currentDeployment = d;
    return d;
  };
  addDeployment(groups[0], [oldHl, oldRt, bc], '2026-09-02T07:12:00Z');
  addDeployment(groups[0], [oldHl, oldRt, oldLogger, bc], '2026-10-14T02:40:00Z');
  addDeployment(groups[1], [oldHl, oldRt, bc], '2026-10-01T05:00:00Z');
  addDeployment(groups[3], [oldHl], '2026-08-21T09:30:00Z');

  // Gateways: the first group holds many (the windowed table), the others a few each.
  const big = Number(params.get('fakeGateways') || 10000);
  const gateways = [];
  const sizes = [big, 24, 6, 40, 3, 2];
  groups.forEach((g, gi) => {
    for (let i = 0; i < sizes[gi]; i += 1) {
      const seed = gi * 100000 + i + 1;
      const offline = i % 17 === 5;
      gateways.push({
        deviceId: hex(seed, 128),
        connectionState: offline ? 'Disconnected' : i % 53 === 7 ? 'Unknown' : 'Connected',
        hlAppVer: i % 3 === 0 ? '1.3.0' : '1.2.0',
        rtAppVer: i % 4 === 0 ? '2.1.0' : '2.0.9',
        lastCheckIn: new Date(Date.parse('2026-11-27T06:00:00Z') - (i % 720) * 60000).toISOString().replace('.000Z', 'Z'),
        groupId: g.id,
        groupName: g.name,
        inGroup: true,
        asOf: now(),
      });
    }
    g.deviceCount = sizes[gi];
  });
  const gatewayById = new Map(gateways.map((gw) => [gw.deviceId, gw]));

  const nodesOf = new Map();
  function nodes(gatewayId) {
    if (!nodesOf.has(gatewayId)) {
      const seed = parseInt(gatewayId.slice(0, 6), 16);
      const count = 2 + (seed % 3);
      const list = [];
      for (let i = 0; i < count; i += 1) {
        const current = ['1.0.9', '1.0.10', '1.0.8', '1.0.10'][(seed + i) % 4];
        list.push({
          gatewayId,
          mac: `00:08:DC:${hex(seed + i, 6).match(/../g).join(':').toUpperCase()}`,
          name: `WIZ750SR-Waton ${i + 1}`,
          current,
          available: '1.0.10',
          status: (seed + i) % 7 === 3 ? 'Offline' : 'Online',
        });
      }
      nodesOf.set(gatewayId, list);
    }
    return nodesOf.get(gatewayId);
  }

  // Profiles and sessions.
  const demoProfile = {
    name: 'Demo tenant', backend: 'demo', authorityHost: 'https://login.microsoftonline.com', apiBaseUrl: '',
    tenantId: '', sphereTenantId: '', subscriptionId: '', resourceGroup: '', catalog: '', clientId: '', servicePrincipalClientId: '',
    iothubHost: 'demo-hub.azure-devices.net', iothubAuth: 'connectionString',
    contract: { restartMethod: 'RestartDevice', restartDelaySeconds: 5, hlAppVerProperty: 'HLAppVer', rtAppVerProperty: 'RTAppVer', nodesProperty: 'Nodes', nodeFwAvailableProperty: 'NodeFwAvailable', updateNodeMethod: 'UpdateNodeFirmware' },
    concurrency: 8, signedIn: params.get('fakeSignedOut') !== '1', hasClientSecret: false, hasIothubConnectionString: true, builtIn: true,
  };
  const profiles = new Map([[demoProfile.name, demoProfile]]);
  profiles.set('WIZnet production (ARM)', {
    ...demoProfile, name: 'WIZnet production (ARM)', backend: 'arm', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    subscriptionId: '3f2c9d2e-5b1a-4c8e-9f7d-1a2b3c4d5e6f', resourceGroup: 'asg-fleet', catalog: 'wiznet-asg',
    clientId: '0e8f2a31-6c4b-4d7e-b5a9-7f1e2d3c4b5a', servicePrincipalClientId: '', iothubHost: 'wiznet-asg.azure-devices.net',
    signedIn: false, hasClientSecret: false, hasIothubConnectionString: false, builtIn: false,
  });
  let active = demoProfile.name;
  function session() {
    const p = profiles.get(active);
    return {
      profile: p.name,
      backend: p.backend,
      signedIn: p.signedIn,
      account: p.signedIn ? (p.backend === 'demo' ? 'operator@demo.asg-fota.local' : 'minjun.kim@wiznet.io') : null,
      roles: p.signedIn && p.backend !== 'arm' ? ['Administrator'] : [],
      scope: p.backend === 'arm' ? `catalog ${p.catalog}` : 'Azure Sphere tenant',
      tenant: p.backend === 'demo' ? 'Demo tenant (simulated)' : p.catalog || p.tenantId || null,
      demo: p.backend === 'demo',
      problem: p.signedIn ? null : { kind: 'signed_out', message: `Profile “${p.name}” is not signed in. Open the profile screen and sign in.`, params: { profile: p.name } },
    };
  }
  const requireSignedIn = () => {
    const p = profiles.get(active);
    if (!p.signedIn) fail('signed_out', `You are signed out of "${p.name}". Sign in again to continue.`, { profile: p.name });
  };
  // Issue 14: a legacy profile, so the migration screen has a side to check from.
  profiles.set('WIZnet legacy', {
    ...demoProfile, name: 'WIZnet legacy', backend: 'legacy', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    sphereTenantId: '8c2b4e1a-3d5f-4a6b-9c7d-0e1f2a3b4c5d', clientId: '', servicePrincipalClientId: '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    iothubHost: 'wiznet-asg.azure-devices.net', signedIn: false, hasClientSecret: true, hasIothubConnectionString: true, builtIn: false,
  });
  const publicProfile = (p) => ({ ...p });
  let signIn = null;

  // Runs (uploads, update now, node updates) are timers that a cancel stops. Each streams on
  // its channel; `items` keeps every item's latest progress message for `runs_list`, and
  // `run_attach` swaps the channel (the reloaded page's new one).
  let upload = null;
  const runs = new Map();
  let serial = 0;
  const itemKey = { upload: (m) => m.path, update_now: (m) => m.deviceId, node_update: (m) => `${m.gatewayId}/${m.mac}` };
  function openRun(kind, onEvent, groupId) {
    serial += 1;
    const run = {
      runId: `run-${serial}`, kind, groupId, startedAt: now(), items: new Map(), timers: [], cancelled: false,
      options: null, waiting: null, answer: null,
      channel: onEvent === null ? null : new FakeChannel(onEvent),
      /** Sends a `phase` question and keeps it until `update_now_continue` answers it. */
      ask(message, onAnswer) {
        run.waiting = message;
        run.answer = (go) => {
          run.waiting = null;
          run.answer = null;
          onAnswer(go);
        };
        run.send(message);
      },
      send(message) {
        if (message.type === 'progress') run.items.set(itemKey[kind](message), message);
        if (run.channel) run.channel.send(message);
      },
      /** Sends the last message and drops the run from the runs in flight. */
      finish(message) {
        run.send(message);
        run.close();
      },
      close() {
        runs.delete(run.runId);
      },
    };
    runs.set(run.runId, run);
    return run;
  }

  /** Checks before anything is touched, as the app does. */
  function updatableGroup(groupId) {
    const g = groups.find((x) => x.id === groupId) || fail('not_found', 'The device group no longer exists.');
    if (g.updatePolicy === 'NoUpdates') fail('policy_blocks_updates', `The group "${g.name}" has the update policy "NoUpdates": devices would not take the deployment. Change the group’s policy first.`);
    return g;
  }

  /** The phases of a run, as the core cuts them: a canary set, then batches (all at once without options). */
  function phasesOf(deviceIds, options) {
    const canary = options && options.canary ? options.canary : 0;
    const batch = options && options.batch ? options.batch : 0;
    if (!canary && !batch) return [{ name: null, ids: deviceIds }];
    const phases = [];
    let at = 0;
    if (canary) {
      phases.push({ name: 'canary', ids: deviceIds.slice(0, canary) });
      at = canary;
    }
    for (let n = 1; at < deviceIds.length; n += 1) {
      const end = batch ? at + batch : deviceIds.length;
      phases.push({ name: `batch ${n}`, ids: deviceIds.slice(at, end) });
      at = end;
    }
    return phases;
  }

  function startUpdateNow(run, g, deviceIds, options = null) {
    const groupId = g.id;
    const target = g.currentDeployment;
    const hl = target && target.images.some((i) => i.kind === 'HLApp') ? '1.3.0' : null;
    const phases = phasesOf(deviceIds, options);
    const say = (deviceId, status, extra = {}) => run.send({ type: 'progress', deviceId, status, at: now(), ...extra });
    const pending = new Set();
    const succeeded = [];
    const failed = [];
    const cancelled = [];
    let phaseIndex = 0;
    const done = (extra = {}) => run.finish({ type: 'done', run: `update-20261202-${run.runId}`, succeeded, failed, cancelled, cancelledSteps: cancelled.map((deviceId) => ({ deviceId, moved: false, restartSent: false, checkedIn: false })), deferred: [], notStarted: [], ...extra });
    const notStarted = () => phases.slice(phaseIndex + 1).flatMap((p) => p.ids);
    /** Between phases: asks (`phase` message) and waits for `update_now_continue`. */
    const endPhase = () => {
      if (phaseIndex + 1 >= phases.length) return done();
      const next = phases[phaseIndex + 1];
      run.ask({ type: 'phase', finished: phases[phaseIndex].name, next: next.name, nextSize: next.ids.length, succeeded: succeeded.length, failed: failed.length, remaining: notStarted().length }, (go) => {
        if (!go) return done({ notStarted: notStarted(), stopped: `the rollout was stopped after the ${phases[phaseIndex].name} phase; resume the run to go on`, stoppedSaid: { key: `not_continued`, params: { phase: phases[phaseIndex].name } } });
        phaseIndex += 1;
        startPhase();
      });
    };
    const finish = (id, outcome, reason) => {
      pending.delete(id);
      if (outcome === 'ok') succeeded.push(id);
      else if (outcome === 'cancelled') cancelled.push(id);
      else failed.push({ deviceId: id, kind: 'device_offline', reason });
      if (pending.size === 0) endPhase();
    };
    function startPhase() {
      const { name, ids } = phases[phaseIndex];
      const phase = name ? { phase: name } : {};
      for (const id of ids) pending.add(id);
      ids.forEach((id, i) => {
        const gw = gatewayById.get(id);
        const slot = Math.floor(i / 8) * 2600 + (i % 8) * 90;
        const at = (ms, fn) => run.timers.push(setTimeout(() => !run.cancelled && fn(), slot + ms));
        at(50, () => say(id, 'requested', phase));
        if (!gw || gw.connectionState !== 'Connected') {
          at(700, () => {
            const reason = 'The gateway is offline: IoT Hub answered 404 (device not connected). Check its power and network, then retry.';
            say(id, 'failed', { reason, kind: 'device_offline', ...phase });
            finish(id, 'failed', reason);
          });
          return;
        }
        if (gw.groupId !== groupId) at(400, () => { gw.groupId = groupId; gw.groupName = g.name; say(id, 'moved', phase); });
        at(700, () => say(id, 'restarting', phase));
        at(1600, () => say(id, 'checked_in', phase));
        at(2400, () => {
          if (hl) gw.hlAppVer = hl;
          gw.lastCheckIn = now();
          say(id, 'on_target', { hlAppVer: gw.hlAppVer, rtAppVer: gw.rtAppVer, ...phase });
          finish(id, 'ok');
        });
      });
    }
    if (deviceIds.length) startPhase();
    else done();
    run.cancel = () => {
      run.cancelled = true;
      run.timers.forEach(clearTimeout);
      if (run.answer) return run.answer(false);
      for (const id of [...pending]) {
        say(id, 'cancelled', { reason: 'Cancelled before the gateway was on target.', kind: 'cancelled' });
        pending.delete(id);
        cancelled.push(id);
      }
      return done({ notStarted: notStarted() });
    };
  }

  // Runs a crash or a pause left unfinished (`runs_interrupted`): one sample "update now" run
  // of the first group, stopped after its canary phase with one restart unconfirmed.
  const interrupted = new Map();
  function sampleInterrupted() {
    const g = groups[0];
    const ids = gateways.filter((gw) => gw.groupId === g.id && gw.connectionState === 'Connected').slice(0, 8).map((gw) => gw.deviceId);
    const stage = (i) => (i < 2 ? 'on_target' : i === 2 ? 'restarting' : 'not_started');
    interrupted.set('update-20261202-031500-4be2a1', {
      runId: 'update-20261202-031500-4be2a1', kind: 'update_now', startedAt: '2026-12-02T03:15:00Z', groupId: g.id, groupName: g.name,
      paused: 'the rollout was stopped after the canary phase; resume the run to go on',
      // `said.key` is a `runs.stop.<key>` suffix, as the core's (workflow/rollout.rs).
      pausedSaid: { key: `not_continued`, params: { phase: 'canary' } },
      options: { canary: 3, batch: 5, maxFailed: '1', window: '02:00-05:00', windowTz: '+09:00' },
      items: ids.map((deviceId, i) => ({ deviceId, stage: stage(i), ...(i < 3 ? { phase: 'canary', at: '2026-12-02T03:21:40Z' } : {}), ...(i === 2 ? { unconfirmed: 'restart' } : {}) })),
    });
  }

  // Issue 14: the Fleet screen's report, made from the sample gateways and nodes above with
  // the core's rules in short (no deployment → unknown; offline; the deployment's versions →
  // on target; no check-in since it → pending; else failed).
  function complianceReport() {
    const at = now();
    const figure = () => ({ count: 0, gateways: [], asOf: null, sources: [] });
    const add = (f, id, n, sources) => {
      f.count += n;
      if (f.gateways[f.gateways.length - 1] !== id) f.gateways.push(id);
      f.asOf = at;
      for (const src of sources) if (!f.sources.includes(src)) f.sources.push(src);
      f.sources.sort();
    };
    const gatewayFigures = () => ({ total: 0, onTarget: figure(), pending: figure(), failed: figure(), offline: figure(), unknown: figure() });
    const nodeFigures = () => ({ total: 0, outdated: figure(), upToDate: figure(), updating: figure(), unknown: figure() });
    const total = (f) => ({ count: f.count, asOf: f.asOf, sources: [...f.sources] });
    const totals = (figs) => Object.fromEntries(Object.entries(figs).map(([k, v]) => [k, k === 'total' ? v : total(v)]));
    const sum = (into, from) => {
      into.total += from.total;
      for (const [k, v] of Object.entries(from)) {
        if (k === 'total') continue;
        into[k].count += v.count;
        into[k].asOf = into[k].asOf || v.asOf;
        for (const src of v.sources) if (!into[k].sources.includes(src)) into[k].sources.push(src);
        into[k].sources.sort();
      }
    };
    const statusKey = { on_target: 'onTarget', pending: 'pending', failed: 'failed', offline: 'offline', unknown: 'unknown' };
    const products = new Map();
    const fleet = { gateways: gatewayFigures(), nodes: nodeFigures() };
    // What the channel carries after each group: the group, its product's and the fleet's sums.
    const steps = [];
    for (const g of groups) {
      const d = g.currentDeployment;
      const gw = gatewayFigures();
      const nf = nodeFigures();
      const rows = [];
      for (const x of gateways.filter((y) => y.groupId === g.id)) {
        let status;
        let reason;
        // `said.key` is a `fleet.reason.<key>` suffix, as the core's (src-tauri/core/src/workflow/compliance.rs).
        let said;
        let sources = ['iot_hub_twin'];
        if (!d) [status, reason, said, sources] = ['unknown', 'the group has no deployment to measure against', { key: `no_deployment` }, ['control_plane']];
        else if (x.connectionState === 'Disconnected') [status, reason, said] = ['offline', 'the twin says Disconnected', { key: `disconnected` }];
        else if (x.hlAppVer === '1.3.0') [status, reason, said] = ['on_target', 'reports HLApp 1.3.0', { key: `on_target`, params: { versions: 'HLApp 1.3.0' } }];
        else if (Date.parse(x.lastCheckIn) < Date.parse(d.date)) [status, reason, said, sources] = ['pending', 'not checked in since the deployment', { key: `not_checked_in` }, ['control_plane']];
        else {
          const params = { hl: x.hlAppVer || '-', rt: x.rtAppVer || '-', expected: 'HLApp 1.3.0' };
          [status, reason, said, sources] = ['failed', `checked in since the deployment but reports HLApp ${params.hl} and RTApp ${params.rt}, expected ${params.expected}`, { key: `other_versions`, params }, ['control_plane', 'iot_hub_twin']];
        }
        gw.total += 1;
        add(gw[statusKey[status]], x.deviceId, 1, sources);
        const list = nodes(x.deviceId);
        let outdated = 0;
        for (const n of list) {
          const key = cmp(n.available, n.current) > 0 ? 'outdated' : 'upToDate';
          if (key === 'outdated') outdated += 1;
          nf.total += 1;
          add(nf[key], x.deviceId, 1, ['iot_hub_twin']);
        }
        rows.push({ deviceId: x.deviceId, status, reason, said, connectionState: x.connectionState, hlAppVer: x.hlAppVer, rtAppVer: x.rtAppVer, lastCheckIn: x.lastCheckIn, nodesOutdated: outdated, nodesUpdating: 0, nodesTotal: list.length });
      }
      const target = d ? { deploymentId: d.id, deployedAt: d.date, images: d.images.map((i) => i.id), expected: 'HLApp 1.3.0', versionsKnown: true } : null;
      const entry = { groupId: g.id, groupName: g.name, productId: g.productId, productName: g.productName, updatePolicy: g.updatePolicy, policyBlocksApps: g.policyBlocksApps, target, gateways: gw, nodes: nf, rows, asOf: at };
      if (!products.has(g.productId)) products.set(g.productId, { productId: g.productId, productName: g.productName, gateways: gatewayFigures(), nodes: nodeFigures(), groups: [] });
      const p = products.get(g.productId);
      p.groups.push(entry);
      sum(p.gateways, gw);
      sum(p.nodes, nf);
      sum(fleet.gateways, gw);
      sum(fleet.nodes, nf);
      steps.push({
        group: entry,
        count: { groupId: g.id, gateways: totals(gw), nodes: totals(nf) },
        product: { productId: g.productId, gateways: totals(p.gateways), nodes: totals(p.nodes) },
        fleet: { gateways: totals(fleet.gateways), nodes: totals(fleet.nodes) },
      });
    }
    return { startedAt: at, asOf: at, gateways: totals(fleet.gateways), nodes: totals(fleet.nodes), steps };
  }

  /** A migration check on sample data: one product, its groups and images, three differences. */
  function migrationReport(from, to) {
    const at = now();
    const items = [];
    for (const name of new Set(groups.map((g) => g.productName))) items.push({ kind: 'product', key: name, status: 'matched', differences: [] });
    for (const g of groups) items.push({ kind: 'device_group', key: `${g.productName}/${g.name}`, status: 'matched', differences: [] });
    for (const i of images.values()) items.push({ kind: 'image', key: i.id, status: 'matched', differences: [] });
    if (to !== 'Demo tenant' || from !== 'Demo tenant') {
      items[items.length - 1] = { ...items[items.length - 1], status: 'missing_on_to' };
      items.push({ kind: 'device_group', key: `${groups[1].productName}/${groups[1].name}`, status: 'differs', differences: [{ field: 'name', from: 'Field Test', to: 'Field Trial' }] });
      items.push({ kind: 'device', key: gateways[gateways.length - 1].deviceId, status: 'differs', differences: [{ field: 'group', from: 'Sensor Hub/Lab', to: 'Sensor Hub/Production' }] });
    }
    const counts = { matched: 0, missingOnTo: 0, missingOnFrom: 0, differs: 0 };
    const countKey = { matched: 'matched', missing_on_to: 'missingOnTo', missing_on_from: 'missingOnFrom', differs: 'differs' };
    for (const i of items) counts[countKey[i.status]] += 1;
    return { counts, items, fromAsOf: at, toAsOf: at };
  }

  const commands = {
    fake_hints: async () => ({ step: Number(params.get('fakeStep') || 0) }),
    profiles_list: async () => ({ active, profiles: [...profiles.values()].map(publicProfile) }),
    profile_save: async ({ profile }) => {
      await delay(200);
      const old = profiles.get(profile.name);
      if (old && old.builtIn && profile.backend !== 'demo') fail('conflict', 'The Demo tenant profile is built in; create a new profile instead.');
      const saved = {
        ...newDefaults(), ...(old || {}), ...profile,
        signedIn: old ? old.signedIn : false,
        hasClientSecret: old ? old.hasClientSecret : false,
        hasIothubConnectionString: old ? old.hasIothubConnectionString : false,
        builtIn: old ? old.builtIn : false,
      };
      profiles.set(saved.name, saved);
      return publicProfile(saved);
    },
    profile_set_secret: async ({ name, what, value }) => {
      await delay(250);
      const p = profiles.get(name) || fail('not_found', `There is no profile "${name}".`);
      if (!value) fail('conflict', 'The value is empty.');
      if (what === 'clientSecret') p.hasClientSecret = true;
      else if (what === 'iothubConnectionString') {
        if (!/HostName=.+;SharedAccessKeyName=.+;SharedAccessKey=.+/.test(value)) fail('conflict', 'This is not an IoT Hub connection string: it needs HostName, SharedAccessKeyName and SharedAccessKey.');
        p.hasIothubConnectionString = true;
      }
      return null;
    },
    profile_remove: async ({ name }) => {
      const p = profiles.get(name) || fail('not_found', `There is no profile "${name}".`);
      if (p.builtIn) fail('conflict', 'The Demo tenant profile is built in and cannot be removed.');
      profiles.delete(name);
      if (active === name) active = demoProfile.name;
      return null;
    },
    profile_activate: async ({ name }) => {
      await delay(150);
      if (!profiles.has(name)) fail('not_found', `There is no profile "${name}".`);
      active = name;
      return session();
    },
    session_info: async () => session(),
    sign_in_start: async ({ name }) => {
      await delay(300);
      const p = profiles.get(name) || fail('not_found', `There is no profile "${name}".`);
      signIn = { name, cancelled: false, waiters: [] };
      const code = 'HKQ7-M2XD';
      const info = {
        userCode: code,
        verificationUri: 'https://microsoft.com/devicelogin',
        message: `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${code} to authenticate.`,
        expiresInSeconds: 900,
      };
      // The fake approves by itself after a while unless the address asks it to wait.
      if (params.get('fakeSignInWait') !== '1') {
        signIn.timer = setTimeout(() => {
          p.signedIn = true;
          signIn.waiters.forEach((w) => w.resolve(session()));
          signIn = null;
        }, 6000);
      }
      return info;
    },
    sign_in_finish: async () => {
      if (!signIn) return session();
      return new Promise((resolve, reject) => signIn.waiters.push({ resolve, reject }));
    },
    sign_in_cancel: async () => {
      if (signIn) {
        clearTimeout(signIn.timer);
        signIn.waiters.forEach((w) => w.reject({ kind: 'cancelled', message: 'Sign-in was cancelled.' }));
        signIn = null;
      }
      return null;
    },
    sign_in_service_principal: async ({ name, clientSecret }) => {
      await delay(500);
      const p = profiles.get(name) || fail('not_found', `There is no profile "${name}".`);
      if (!p.servicePrincipalClientId) fail('profile', 'Enter the service principal’s application (client) ID in the profile first.', { profile: name, setting: 'servicePrincipalClientId' });
      if (!clientSecret || clientSecret.length < 8) fail('sign_in_failed', 'The tenant refused the client secret (AADSTS7000215: invalid client secret). Check it and try again.');
      p.hasClientSecret = true;
      p.signedIn = true;
      return session();
    },
    sign_out: async ({ name }) => {
      const p = profiles.get(name);
      if (p) p.signedIn = false;
      return null;
    },

    // The sample app has seen its groups before: the cached list is the same groups, an hour old.
    groups_cached: async () => ({
      asOf: new Date(Date.now() - 3600e3).toISOString(),
      groups: groups.map((g) => ({ id: g.id, name: g.name, productId: g.productId, productName: g.productName, deviceCount: g.deviceCount })),
    }),

    groups_list: async () => {
      await delay(350);
      requireSignedIn();
      return groups.map((g) => ({ ...g, asOf: now() }));
    },

    packages_upload: async ({ paths, onEvent }) => {
      requireSignedIn();
      const run = openRun('upload', onEvent);
      const state = { cancelled: false };
      upload = state;
      const results = [];
      const say = (message) => run.send({ type: 'progress', bytesPerSecond: 0, ...message });
      for (const path of paths) say({ path, file: baseName(path), imageId: byFile.has(baseName(path)) ? byFile.get(baseName(path)).imageId : null, phase: 'queued', bytesSent: 0, totalBytes: 0 });
      for (const path of paths) {
        const r = byFile.get(baseName(path));
        const file = baseName(path);
        if (!r) {
          const error = { kind: 'damaged_package', message: `${path} is damaged and was not uploaded.`, params: { file: path } };
          say({ path, file, imageId: null, phase: 'failed', bytesSent: 0, totalBytes: 0, error });
          results.push({ path, file, imageId: null, outcome: 'failed', error });
          continue;
        }
        const base = { path, file, imageId: r.imageId, totalBytes: r.sizeBytes };
        say({ ...base, phase: 'checking', bytesSent: 0 });
        await delay(300);
        if (images.has(r.imageId)) {
          say({ ...base, phase: 'skipped', bytesSent: 0 });
          results.push({ path, file, imageId: r.imageId, outcome: 'skipped', kind: r.kind });
          continue;
        }
        const steps = 12;
        for (let i = 1; i <= steps; i += 1) {
          if (state.cancelled) break;
          await delay(120);
          say({ ...base, phase: 'uploading', bytesSent: Math.round((r.sizeBytes * i) / steps), bytesPerSecond: Math.round(r.sizeBytes / 1.44) });
        }
        if (state.cancelled) {
          const error = { kind: 'cancelled', message: 'The upload was cancelled.' };
          say({ ...base, phase: 'cancelled', bytesSent: 0, error });
          results.push({ path, file, imageId: r.imageId, outcome: 'cancelled', error });
          continue;
        }
        say({ ...base, phase: 'processing', bytesSent: r.sizeBytes });
        await delay(700);
        images.set(r.imageId, image(r));
        say({ ...base, phase: 'done', bytesSent: r.sizeBytes });
        results.push({ path, file, imageId: r.imageId, outcome: 'uploaded', kind: r.kind });
      }
      upload = null;
      run.close();
      return results;
    },
    upload_cancel: async () => {
      if (upload) upload.cancelled = true;
      return null;
    },

    deployment_plan: async ({ groupId, imageIds }) => {
      await delay(250);
      requireSignedIn();
      return plan(groupId, imageIds);
    },
    deployment_create: async ({ groupId, imageIds }) => {
      requireSignedIn();
      const p = plan(groupId, imageIds);
      if (!p.ok) fail('preflight_failed', p.problems.map((x) => x.message).join(' '));
      await delay(1800);
      const g = groups.find((x) => x.id === groupId);
      return addDeployment(g, imageIds.map((id) => images.get(id)), now());
    },
    deployments_list: async ({ groupId }) => {
      await delay(250);
      requireSignedIn();
      return history.get(groupId) || fail('not_found', 'The device group no longer exists.');
    },

    gateways_list: async ({ groupId }) => {
      await delay(400);
      requireSignedIn();
      const at = now();
      return gateways.filter((gw) => gw.groupId === groupId).map((gw) => ({ ...gw, asOf: at }));
    },
    update_now_start: async ({ groupId, deviceIds, options, onEvent }) => {
      requireSignedIn();
      const g = updatableGroup(groupId);
      const run = openRun('update_now', onEvent, groupId);
      run.options = options || null;
      startUpdateNow(run, g, deviceIds, options);
      return { runId: run.runId };
    },
    update_now_continue: async ({ runId, go }) => {
      const run = runs.get(runId);
      if (!run || !run.answer) fail('not_found', `The run ${runId} is not waiting for an answer (it has ended or goes on).`);
      run.answer(Boolean(go));
      return null;
    },
    runs_interrupted: async () => {
      await delay(150);
      requireSignedIn();
      return [...interrupted.values()];
    },
    run_resume: async ({ runId, onEvent }) => {
      requireSignedIn();
      const found = interrupted.get(runId) || fail('not_found', `there is no run ${runId} on this machine`);
      const g = updatableGroup(found.groupId);
      interrupted.delete(runId);
      const run = openRun('update_now', onEvent, g.id);
      run.options = found.options || null;
      const ids = found.items.filter((i) => i.stage !== 'on_target').map((i) => i.deviceId);
      startUpdateNow(run, g, ids, null);
      return { runId: run.runId };
    },
    run_discard: async ({ runId }) => {
      if (!interrupted.delete(runId)) fail('not_found', `there is no run ${runId} on this machine`);
      return null;
    },
    close_after_runs: async () => {
      for (const run of [...runs.values()]) if (run.cancel) run.cancel();
      return null;
    },
    update_now_cancel: async ({ runId }) => {
      const run = runs.get(runId);
      if (run && run.cancel) run.cancel();
      return null;
    },

    nodes_list: async ({ deviceIds }) => {
      await delay(350);
      requireSignedIn();
      const at = now();
      return deviceIds.flatMap((id) => nodes(id)).map((n) => ({
        ...n,
        updatable: n.status === 'Online' && n.current !== n.available && cmp(n.available, n.current) > 0,
        gatewayConnection: gatewayById.has(n.gatewayId) ? gatewayById.get(n.gatewayId).connectionState : 'Unknown',
        update: null,
        asOf: at,
      }));
    },
    node_update_start: async ({ items, onEvent }) => {
      requireSignedIn();
      const run = openRun('node_update', onEvent);
      const succeeded = [];
      const failed = [];
      let left = items.length;
      const done = () => {
        left -= 1;
        if (left === 0) run.finish({ type: 'done', succeeded, failed, cancelled: [] });
      };
      items.forEach((item, i) => {
        const node = nodes(item.gatewayId).find((n) => n.mac === item.mac);
        const say = (state, percent, extra = {}) => run.send({ type: 'progress', gatewayId: item.gatewayId, mac: item.mac, state, percent, at: now(), ...extra });
        const at = (ms, fn) => run.timers.push(setTimeout(() => !run.cancelled && fn(), i * 150 + ms));
        at(50, () => say('requested', 0));
        const flaky = node && node.mac.endsWith('7');
        for (let k = 1; k <= 5; k += 1) at(200 + k * 350, () => say('InProgress', k * 20 - (k === 5 ? 1 : 0)));
        at(2300, () => {
          if (!node || node.status !== 'Online' || flaky) {
            const reason = 'The node did not answer the gateway within 30 s (UpdateNodeFirmware returned 504). Check the serial cable, then retry.';
            say('Failed', 40, { error: reason, kind: 'device_timeout' });
            failed.push({ node: { gatewayId: item.gatewayId, mac: item.mac }, kind: 'device_timeout', reason });
          } else {
            node.current = node.available;
            say('Succeeded', 100, { version: node.available });
            succeeded.push({ gatewayId: item.gatewayId, mac: item.mac });
          }
          done();
        });
      });
      run.cancel = () => {
        run.cancelled = true;
        run.timers.forEach(clearTimeout);
        const over = new Set([...succeeded, ...failed.map((f) => f.node)].map((n) => `${n.gatewayId}/${n.mac}`));
        const cancelled = items.filter((n) => !over.has(`${n.gatewayId}/${n.mac}`)).map((n) => ({ gatewayId: n.gatewayId, mac: n.mac }));
        for (const n of cancelled) run.send({ type: 'progress', gatewayId: n.gatewayId, mac: n.mac, state: 'cancelled', at: now() });
        run.finish({ type: 'done', succeeded, failed, cancelled });
      };
      return { runId: run.runId };
    },
    node_update_cancel: async ({ runId }) => {
      const run = runs.get(runId);
      if (run && run.cancel) run.cancel();
      return null;
    },
    runs_list: async () => [...runs.values()].map((run) => ({
      runId: run.runId,
      kind: run.kind,
      startedAt: run.startedAt,
      ...(run.groupId ? { groupId: run.groupId } : {}),
      items: [...run.items.values()],
      ...(run.options ? { options: run.options } : {}),
      ...(run.waiting ? { waiting: run.waiting } : {}),
    })),
    run_attach: async ({ runId, onEvent }) => {
      const run = runs.get(runId) || fail('not_found', `The run ${runId} is over.`);
      run.channel = new FakeChannel(onEvent);
      return null;
    },
    journal_recent: async () => sampleJournal(),
    // The app's own updates (docs/gui-contract.md, issue 12): always one newer version here.
    update_check: async () => ({
      currentVersion: '0.1.0',
      update: { version: '0.2.0', notes: 'Sample release notes.', date: '2026-12-01T00:00:00Z' },
      install: { inApp: true, reason: null, hint: null, downloadUrl: 'https://github.com/asg-fota/asg-fota/releases/latest' },
    }),
    update_install: async ({ restart }) => ({ version: '0.2.0', restarting: Boolean(restart) }),
    about_info: async () => ({
      version: '0.1.0',
      commit: '6c2d687a1b2c',
      buildEpoch: 1796200000,
      os: 'Debian GNU/Linux 12 (bookworm) (linux x86_64)',
      logDir: '/home/demo/.local/share/com.wiznet.asg-fota/logs',
      licences: [['serde', '1.0.228', 'MIT OR Apache-2.0'], ['tauri', '2.9.5', 'Apache-2.0 OR MIT'], ['reqwest', '0.13.1', 'MIT OR Apache-2.0'], ['ring', '0.17.14', 'Apache-2.0 AND ISC'], ['zip', '9.8.2', 'MIT']].map(([name, version, license]) => ({ name, version, license })),
    }),
    log_folder_open: async () => '/home/demo/.local/share/com.wiznet.asg-fota/logs',
    diagnostics_save: async () => ({ path: '/home/demo/asg-fota-diagnostics.zip', files: ['about.json', 'logs/asg-fota.2026-12-02.log', 'journal.jsonl', 'profiles.json'] }),
    export_save: async ({ fileName }) => `/home/demo/${fileName}`,
    compliance_report: async ({ onEvent }) => {
      const channel = new FakeChannel(onEvent);
      await delay(200);
      requireSignedIn();
      // Streamed like the app's: the groups, then each one counted and complete, then the end.
      const report = complianceReport();
      const headings = report.steps.map(({ group: g }) => ({ groupId: g.groupId, groupName: g.groupName, productId: g.productId, productName: g.productName }));
      channel.send({ type: 'groups', startedAt: report.startedAt, groups: headings });
      for (const step of report.steps) {
        await delay(150);
        channel.send({ type: 'counted', group: step.count, product: step.product, fleet: step.fleet });
        channel.send({ type: 'group', group: step.group, product: step.product, fleet: step.fleet });
      }
      const done = { type: 'done', startedAt: report.startedAt, asOf: report.asOf, gateways: report.gateways, nodes: report.nodes };
      channel.send(done);
      return done;
    },
    migration_check: async ({ from, to }) => {
      await delay(400);
      if (!profiles.has(from) || !profiles.has(to)) fail('profile', `There is no profile named “${profiles.has(from) ? to : from}”.`, { profile: profiles.has(from) ? to : from });
      return migrationReport(from, to);
    },
    migration_profile_create: async ({ from, name, subscriptionId, resourceGroup, catalog }) => {
      await delay(200);
      const legacy = profiles.get(from);
      if (!legacy || legacy.backend !== 'legacy') fail('profile', `“${from}” is not a legacy profile.`, { profile: from });
      if (profiles.has(name)) fail('invalid_input', `A profile named “${name}” exists already. Choose another name.`);
      const made = { ...legacy, name, backend: 'arm', sphereTenantId: null, subscriptionId, resourceGroup, catalog, signedIn: false, builtIn: false };
      profiles.set(name, made);
      const copied = [legacy.hasClientSecret ? 'client-secret' : null, legacy.hasIothubConnectionString ? 'iothub-connection-string' : null].filter(Boolean);
      return { profile: publicProfile(made), copied, notCopied: [], warnings: [] };
    },
    legacy_retirement: async () => ({ retiresOn: '2027-09-27', daysLeft: Math.round((Date.parse('2027-09-27T00:00:00Z') - Date.parse(`${now().slice(0, 10)}T00:00:00Z`)) / 86400000) }),
  };

  // A few days of changes, newest first, as journal_recent returns them.
  function sampleJournal() {
    const at = (hoursAgo) => new Date(Date.now() - hoursAgo * 3600 * 1000).toISOString();
    const group = { group_id: groups[0].id, group_name: groups[0].name };
    const gw = (i) => gateways.length ? gateways[i % gateways.length].deviceId : `gateway-${i}`;
    return [
      { at: at(1), profile: 'Demo tenant', backend: 'demo', action: 'node_update', result: 'ok', target: { device_id: gw(0), mac: '00:08:DC:72:00:BA' }, detail: 'WIZ750SR-Waton 1 updated to 1.0.10' },
      { at: at(2), profile: 'Demo tenant', backend: 'demo', action: 'restart', result: 'failed', target: { ...group, device_id: gw(2) }, detail: 'The device is offline: it did not answer the restart.' },
      { at: at(2), profile: 'Demo tenant', backend: 'demo', action: 'restart', result: 'ok', target: { ...group, device_id: gw(1) }, detail: 'Restarted; checked in with the deployed versions.' },
      { at: at(3), profile: 'Demo tenant', backend: 'demo', action: 'move', result: 'ok', target: { ...group, device_id: gw(1) }, detail: 'Moved into the group.' },
      { at: at(26), profile: 'Demo tenant', backend: 'demo', action: 'deploy', result: 'ok', target: { ...group, deployment_id: 'f100cd00-7900-4500-a100-dd004940e000', image_names: ['Anvil Test App', 'AvnetGroveGPS'] }, detail: 'Deployment created.' },
      { at: at(27), profile: 'Demo tenant', backend: 'demo', action: 'upload', result: 'skipped', target: { ...group, file: 'rt_avnet_grove_gps.imagepackage' }, detail: 'Already in the tenant.' },
      { at: at(27), profile: 'WIZnet production (ARM)', backend: 'arm', action: 'upload', result: 'ok', target: { file: 'hl_anvil_test_app.imagepackage' }, detail: 'Uploaded.' },
    ];
  }

  function plan(groupId, imageIds) {
    const g = groups.find((x) => x.id === groupId) || fail('not_found', 'The device group no longer exists. Go back to step 1.');
    const problems = [];
    const warnings = [];
    const chosen = [];
    for (const id of imageIds) {
      const img = images.get(id);
      if (!img) problems.push({ kind: 'image_missing', message: `Image ${id} is not in the tenant. Upload its package in step 2 first.` });
      else chosen.push(img);
    }
    if (imageIds.length > 4) problems.push({ kind: 'too_many_images', message: `${imageIds.length} images: a deployment holds at most 4.` });
    const count = (k) => chosen.filter((i) => i.kind === k).length;
    if (count('HLApp') > 1) problems.push({ kind: 'too_many_hlapps', message: 'More than one high-level app: a deployment holds one.' });
    if (count('RTApp') > 2) problems.push({ kind: 'too_many_rtapps', message: 'More than two real-time apps: a deployment holds two.' });
    if (count('BoardConfig') > 1) problems.push({ kind: 'too_many_board_configs', message: 'More than one board configuration.' });
    const comps = new Map();
    for (const i of chosen) {
      if (comps.has(i.componentId)) problems.push({ kind: 'duplicate_component', message: `${comps.get(i.componentId).name} and ${i.name} share the component ${i.componentId}; keep one of them.` });
      comps.set(i.componentId, i);
    }
    if (imageIds.length === 0) problems.push({ kind: 'empty', message: 'The deployment holds no image. Add packages in step 2 or keep images of the current deployment.' });
    const current = g.currentDeployment ? g.currentDeployment.images : [];
    const diff = { kept: [], replaced: [], added: [], removed: [] };
    for (const img of chosen) {
      const old = current.find((c) => c.componentId === img.componentId);
      if (!old) diff.added.push(img);
      else if (old.id === img.id) diff.kept.push(img);
      else diff.replaced.push({ from: old, to: img });
    }
    for (const old of current) if (!chosen.some((c) => c.componentId === old.componentId)) diff.removed.push(old);
    for (const old of diff.removed) warnings.push({ kind: 'component_dropped', message: `${old.name} (${old.kind}) is deployed now and would be removed from the devices.` });
    if (g.policyBlocksApps) warnings.push({ kind: 'policy_blocks_apps', message: `The group’s update policy is ${g.updatePolicy}: its devices will not install application images.` });
    if (current.length && imageIds.length === current.length && diff.kept.length === current.length) {
      warnings.push({ kind: 'same_as_current', message: 'This is exactly the current deployment; creating it again changes nothing on the devices.' });
    }
    return { ok: problems.length === 0, problems, diff, warnings, reachDevices: g.deviceCount, group: { ...g, asOf: now() }, asOf: now() };
  }

  if (params.get('fakeInterrupted') !== '0') sampleInterrupted();

  // What a reload in the middle of a run finds: a run whose old channel is gone.
  const inFlight = params.get('fakeRunInFlight');
  if (inFlight === '1' || inFlight === 'update') {
    const g = groups[0];
    const ids = gateways.filter((gw) => gw.groupId === g.id).slice(0, 24).map((gw) => gw.deviceId);
    startUpdateNow(openRun('update_now', null, g.id), g, ids);
  } else if (inFlight === 'nodes') {
    const ids = gateways.filter((gw) => gw.groupId === groups[1].id).slice(0, 6).map((gw) => gw.deviceId);
    commands.node_update_start({ items: ids.flatMap((id) => nodes(id)).map((n) => ({ gatewayId: n.gatewayId, mac: n.mac })), onEvent: null });
  } else if (inFlight === 'upload') {
    commands.packages_upload({ paths: ['hl_azure_sphere_blink.imagepackage', 'rt_avnet_reference_design.imagepackage'].map((n) => FOLDER + n), onEvent: null });
  }

  return { commands };
}

function newDefaults() {
  return {
    authorityHost: 'https://login.microsoftonline.com',
    contract: { restartMethod: 'RestartDevice', restartDelaySeconds: 5, hlAppVerProperty: 'HLAppVer', rtAppVerProperty: 'RTAppVer', nodesProperty: 'Nodes', nodeFwAvailableProperty: 'NodeFwAvailable', updateNodeMethod: 'UpdateNodeFirmware' },
    apiBaseUrl: '', tenantId: '', sphereTenantId: '', subscriptionId: '', resourceGroup: '', catalog: '', clientId: '', servicePrincipalClientId: '', iothubHost: '', iothubAuth: 'connectionString', concurrency: 8,
  };
}

/** Numeric version order for the fake's own `updatable` (the UI checks with logic.js). */
function cmp(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  }
  return 0;
}
