// A stand-in backend for working on the UI in a plain browser, loaded by backend.js only when
// the address carries `?fake=1` and the page is not inside the app. It answers the same
// commands with the same shapes as the Rust side (issue 2), using the identities of the four
// real packages in shared/fixtures plus a made-up board configuration, and treats any other
// file name as damaged.
//
// Extra address parameters, for screenshots: `fakeLocale=ko-KR` sets the OS locale that
// `app_info` reports; `fakeDrop=1` drops a few files on the window once the page listens.

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
    },
  };
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

  const commands = {
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
