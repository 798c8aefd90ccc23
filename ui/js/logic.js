// The wizard's pure rules: which deployment slot each image package fills, what the
// package list breaks of Azure Sphere's deployment limits, how the list grows when files are
// added, how sizes are scaled for people and how firmware versions compare.
//
// Nothing here touches the DOM, the backend or the clock, so `node --test tests/ui/` exercises
// every rule directly. The step views only render what these functions return.

/** Azure Sphere deploys at most four images to a device group (guide, "Create a Deployment"). */
export const MAX_IMAGES = 4;

/**
 * The four slots of a deployment, in the order the guide lists them. `kind` is the
 * `PackageReport.kind` that fills the slot; a kind with two slots (RTApp) fills them in the
 * order the files were added.
 */
export const SLOTS = Object.freeze([
  Object.freeze({ id: 'hlApp', kind: 'HLApp' }),
  Object.freeze({ id: 'rtApp1', kind: 'RTApp' }),
  Object.freeze({ id: 'rtApp2', kind: 'RTApp' }),
  Object.freeze({ id: 'boardConfig', kind: 'BoardConfig' }),
]);

/** How many images of each kind one deployment can hold. */
export const KIND_LIMITS = Object.freeze({ HLApp: 1, RTApp: 2, BoardConfig: 1 });

/**
 * Adds inspection results to the package list without duplicating a file: a path already in
 * the list is replaced in place (so re-adding a file refreshes it), a new path is appended.
 * Entries are `{ file, status: 'reading' | 'ok' | 'error', report?, error? }`.
 *
 * @param {Array<object>} entries the current list, left untouched
 * @param {Array<object>} incoming entries to add or refresh
 * @returns {Array<object>} a new list
 */
export function mergeEntries(entries, incoming) {
  const next = entries.slice();
  for (const entry of incoming) {
    const at = next.findIndex((e) => e.file === entry.file);
    if (at === -1) next.push(entry);
    else next[at] = entry;
  }
  return next;
}

/** The list without `file`. */
export function removeEntry(entries, file) {
  return entries.filter((e) => e.file !== file);
}

/**
 * Turns one element of the `inspect_packages` answer into a list entry.
 * An answer the UI does not understand becomes an error entry rather than an exception, so
 * one odd file never hides the others.
 */
export function entryFromInspection(result) {
  if (result && result.ok === true && result.report) {
    return { file: result.file, status: 'ok', report: result.report };
  }
  const error = result && result.error ? result.error : { kind: 'unknown', message: '' };
  return {
    file: result && typeof result.file === 'string' ? result.file : '',
    status: 'error',
    error: {
      kind: String(error.kind || 'unknown'),
      message: String(error.message || ''),
      ...(error.params && typeof error.params === 'object' ? { params: error.params } : {}),
    },
  };
}

/**
 * Turns the `inspect_packages` answer for `requested` paths into list entries, one per
 * requested path and keyed by it. The backend answers one element per path, in order; pairing
 * by position (not by the answer's `file`) keeps a row stable even if the backend reports the
 * path in another spelling, and a missing answer becomes an error instead of a row that says
 * "Reading…" forever.
 */
export function settleInspection(requested, answer) {
  const list = Array.isArray(answer) ? answer : [];
  return requested.map((file, i) => {
    const entry = list[i] === undefined
      ? { file, status: 'error', error: { kind: 'unknown', message: '' } }
      : entryFromInspection(list[i]);
    return { ...entry, file };
  });
}

/** Whether a dropped or picked path names an image package (by extension, case-insensitive). */
export function isImagePackagePath(path) {
  return typeof path === 'string' && /\.imagepackage$/i.test(path);
}

/** Splits dropped paths into image packages to inspect and other files to explain. */
export function partitionDropped(paths) {
  const packages = [];
  const others = [];
  for (const p of paths) (isImagePackagePath(p) ? packages : others).push(p);
  return { packages, others };
}

/** The last path component, for showing a file without its folder (either separator). */
export function baseName(path) {
  const parts = String(path).split(/[\\/]/);
  return parts[parts.length - 1] || String(path);
}

/**
 * Assigns the readable packages to deployment slots and lists every rule they break.
 *
 * Packages keep the order they were added in; the first HLApp takes the high-level slot, the
 * first two RTApps the real-time slots, the first board configuration its slot. A package that
 * finds no free slot, or whose kind deploys to no slot ("Other"), is reported rather than
 * silently dropped: step 3 blocks on these same warnings.
 *
 * @param {Array<object>} entries the package list (entries that are not `ok` are ignored)
 * @returns {{ slots: Record<string, object|null>, slotOf: Map<string, string|null>,
 *             warnings: Array<{ code: string, params: object }> }}
 */
export function planSlots(entries) {
  const reports = entries.filter((e) => e.status === 'ok').map((e) => e.report);
  const slots = Object.fromEntries(SLOTS.map((s) => [s.id, null]));
  const slotOf = new Map();
  const warnings = [];

  for (const report of reports) {
    const free = SLOTS.find((s) => s.kind === report.kind && slots[s.id] === null);
    if (free) {
      slots[free.id] = report;
      slotOf.set(report.file, free.id);
    } else {
      slotOf.set(report.file, null);
    }
  }

  for (const [kind, limit] of Object.entries(KIND_LIMITS)) {
    const count = reports.filter((r) => r.kind === kind).length;
    if (count > limit) warnings.push({ code: `tooMany.${kind}`, params: { count, limit } });
  }
  for (const r of reports.filter((r) => !(r.kind in KIND_LIMITS))) {
    warnings.push({ code: 'notDeployable', params: { name: r.name, kind: r.kind } });
  }
  if (reports.length > MAX_IMAGES) {
    warnings.push({ code: 'tooManyImages', params: { count: reports.length, limit: MAX_IMAGES } });
  }
  for (const group of duplicatesBy(reports, (r) => r.componentId)) {
    warnings.push({
      code: 'duplicateComponent',
      params: { componentId: group[0].componentId, names: group.map((r) => r.name) },
    });
  }
  for (const group of duplicatesBy(reports, (r) => r.imageId)) {
    warnings.push({
      code: 'duplicateImage',
      params: { imageId: group[0].imageId, files: group.map((r) => baseName(r.file)) },
    });
  }
  return { slots, slotOf, warnings };
}

/**
 * Groups of two or more items that share a key, in first-seen order. Keys are compared
 * case-insensitively because GUIDs are (Azure prints them lower-case, other tools do not).
 */
export function duplicatesBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = String(keyOf(item)).toLowerCase();
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

const SIZE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];

/**
 * Scales a byte count to the largest decimal unit (1000-based, as the `kB`/`MB` that `Intl`
 * prints mean) that keeps the value at or above 1. Formatting is left to the caller, which
 * knows the locale.
 *
 * @returns {{ value: number, unit: 'byte' | 'kilobyte' | 'megabyte' | 'gigabyte' }}
 */
export function humanSize(bytes) {
  let value = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  let i = 0;
  while (value >= 1000 && i < SIZE_UNITS.length - 1) {
    value /= 1000;
    i += 1;
  }
  return { value, unit: SIZE_UNITS[i] };
}

/**
 * Compares two firmware versions numerically, part by part: `1.0.10` > `1.0.9`. A part may
 * carry a suffix after its number (`1dev`, `3-rc1`); a suffixed part is a pre-release and sorts
 * below the same number without a suffix (`1.0.1dev` < `1.0.1`), and suffixes compare as
 * text. Missing parts count as 0 (`1.2` == `1.2.0`). A leading `v` is ignored.
 *
 * @returns {number} negative when a < b, 0 when equal, positive when a > b
 */
export function compareVersions(a, b) {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  const length = Math.max(pa.length, pb.length);
  for (let i = 0; i < length; i += 1) {
    const x = pa[i] || { num: 0, suffix: '' };
    const y = pb[i] || { num: 0, suffix: '' };
    if (x.num !== y.num) return x.num < y.num ? -1 : 1;
    if (x.suffix !== y.suffix) {
      if (x.suffix === '') return 1;
      if (y.suffix === '') return -1;
      return x.suffix < y.suffix ? -1 : 1;
    }
  }
  return 0;
}

function splitVersion(version) {
  return String(version)
    .trim()
    .replace(/^v/i, '')
    .split('.')
    .map((part) => {
      const m = /^(\d*)(.*)$/.exec(part);
      return { num: m[1] === '' ? 0 : Number(m[1]), suffix: m[2].replace(/^[-_+]/, '') };
    });
}

// ---- Shared display rules of steps 1–6 -------------------------------------------------------

/**
 * A device id for display: the first 8 and the last 4 characters around an ellipsis. Azure
 * Sphere device ids are 128 hex characters, which no table column can hold; the full id is
 * always one "Copy" away.
 */
export function shortId(id) {
  const s = String(id || '');
  return s.length <= 14 ? s : `${s.slice(0, 8)}…${s.slice(-4)}`;
}

/**
 * Which rows of a long list to put in the DOM (windowed rendering with a fixed row height).
 * Only the rows in the viewport plus `overscan` on each side are built, so 10,000 gateways cost
 * the same as 30. `offsetTop` is where the first built row sits inside a spacer of
 * `totalHeight`.
 *
 * @returns {{ start: number, end: number, offsetTop: number, totalHeight: number }} rows
 *          `start` (inclusive) to `end` (exclusive)
 */
export function visibleRange({ scrollTop, viewportHeight, rowHeight, total, overscan = 6 }) {
  const count = Math.max(0, Math.floor(total) || 0);
  const height = rowHeight > 0 ? rowHeight : 1;
  const top = Math.max(0, Number(scrollTop) || 0);
  const viewport = Math.max(0, Number(viewportHeight) || 0);
  const first = Math.min(count, Math.floor(top / height));
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, Math.ceil((top + viewport) / height) + overscan);
  return { start: Math.min(start, end), end, offsetTop: Math.min(start, end) * height, totalHeight: count * height };
}

/** Lower-case words of a search box; an empty box matches everything. */
export function searchTerms(query) {
  return String(query || '').toLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether every term occurs in one of `fields` (case-insensitive substring). */
export function matchesTerms(terms, fields) {
  if (terms.length === 0) return true;
  return matchesHaystack(terms, haystackOf(fields));
}

function haystackOf(fields) {
  return fields.map((f) => String(f == null ? '' : f).toLowerCase()).join('\u0000');
}

function matchesHaystack(terms, haystack) {
  return terms.every((term) => haystack.includes(term));
}

// The lower-cased search text of each row, computed once per row object: filtering 10,000
// gateways on every keystroke then costs only the substring tests.
const haystacks = new WeakMap();
function cachedHaystack(row, fieldsOf) {
  let h = haystacks.get(row);
  if (h === undefined) {
    h = haystackOf(fieldsOf(row));
    haystacks.set(row, h);
  }
  return h;
}

/**
 * Step 1's list: the groups that match the search box, under their products, both sorted by
 * name. Every word of the query must occur in the product's or the group's name (or the
 * group's description), so "sensor prod" finds the group "Production" of product "Sensor Hub".
 *
 * @returns {Array<{ productId: string, productName: string, groups: Array<object> }>}
 */
export function groupsByProduct(groups, query) {
  const terms = searchTerms(query);
  const products = new Map();
  for (const group of Array.isArray(groups) ? groups : []) {
    if (!matchesTerms(terms, [group.productName, group.name, group.description])) continue;
    if (!products.has(group.productId)) {
      products.set(group.productId, { productId: group.productId, productName: group.productName, groups: [] });
    }
    products.get(group.productId).groups.push(group);
  }
  const byName = (a, b) => String(a).localeCompare(String(b));
  const list = [...products.values()].sort((a, b) => byName(a.productName, b.productName));
  for (const p of list) p.groups.sort((a, b) => byName(a.name, b.name));
  return list;
}

/**
 * Step 1 at start-up: the rows of the cached group list (`groups_cached`), in the shape
 * `groupsByProduct` and the group cards read. Only ids, names, products and counts were kept;
 * the rest is unknown (`null`) and each row is marked `cached` until the listing replaces it.
 */
export function cachedGroupRows(cached) {
  const groups = cached && Array.isArray(cached.groups) ? cached.groups : [];
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    productId: g.productId,
    productName: g.productName ?? null,
    description: null,
    deviceCount: g.deviceCount ?? null,
    osFeed: null,
    updatePolicy: null,
    policyBlocksApps: false,
    currentDeployment: null,
    asOf: cached.asOf ?? null,
    cached: true,
  }));
}

/**
 * Step 1 when a listing arrives: which group stays chosen. `pendingId` was chosen from the
 * cached list before the listing came (it takes effect only if the tenant still has it);
 * `chosenId` is the group chosen before. A group the listing no longer holds is never kept:
 * `gone` names it (from `before`, the rows shown until now) so the page can say so.
 */
export function settleGroupChoice({ items, before, chosenId, pendingId }) {
  const has = (id) => id != null && items.some((g) => g.id === id);
  const nameOf = (id) => (before || []).find((g) => g.id === id)?.name ?? id;
  if (pendingId != null) {
    if (has(pendingId)) return { chosenId: pendingId, gone: null };
    return { chosenId: has(chosenId) ? chosenId : null, gone: nameOf(pendingId) };
  }
  if (chosenId != null && !has(chosenId)) return { chosenId: null, gone: nameOf(chosenId) };
  return { chosenId, gone: null };
}

/** Step 5's filter: id, group, versions and connection state. */
export function filterGateways(gateways, query) {
  const terms = searchTerms(query);
  if (terms.length === 0) return gateways;
  const fields = (g) => [g.deviceId, g.groupName, g.hlAppVer, g.rtAppVer, g.connectionState];
  return gateways.filter((g) => matchesHaystack(terms, cachedHaystack(g, fields)));
}

/** Step 6's filter: gateway id, MAC, name, versions and status. */
export function filterNodes(nodes, query) {
  const terms = searchTerms(query);
  if (terms.length === 0) return nodes;
  const fields = (n) => [n.gatewayId, n.mac, n.name, n.current, n.available, n.status];
  return nodes.filter((n) => matchesHaystack(terms, cachedHaystack(n, fields)));
}

/** A new selection with `id` toggled. Selections are Sets of ids and never mutated. */
export function toggleSelection(selected, id) {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/**
 * "Select all (N)" over the rows the filter shows: when all of them are selected it clears
 * them, otherwise it adds them; rows hidden by the filter keep their state.
 */
export function toggleAll(selected, ids) {
  const next = new Set(selected);
  const all = ids.length > 0 && ids.every((id) => next.has(id));
  for (const id of ids) {
    if (all) next.delete(id);
    else next.add(id);
  }
  return next;
}

/** How many of `ids` are selected: `'none' | 'some' | 'all'` for the header checkbox. */
export function selectionState(selected, ids) {
  let n = 0;
  for (const id of ids) if (selected.has(id)) n += 1;
  if (n === 0) return 'none';
  return n === ids.length ? 'all' : 'some';
}

/** Percent of an upload sent, 0–100, whole numbers; an unknown total counts as 0. */
export function uploadPercent(progress) {
  const total = Number(progress && progress.totalBytes) || 0;
  const sent = Number(progress && progress.bytesSent) || 0;
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((sent * 100) / total)));
}

/** Upload phases after which nothing more happens to the file. */
export const UPLOAD_FINAL = Object.freeze(['done', 'skipped', 'failed', 'cancelled']);

/** The final phase a row of `packages_upload`'s answer puts its file in. */
export function uploadPhase(result) {
  if (result.outcome === 'uploaded') return 'done';
  if (result.outcome === 'skipped') return 'skipped';
  return result.outcome === 'cancelled' || (result.error && result.error.kind === 'cancelled') ? 'cancelled' : 'failed';
}

/** The answer's `outcome` for a file whose last message had the final phase `phase`. */
export function uploadOutcome(phase) {
  if (phase === 'done') return 'uploaded';
  if (phase === 'skipped') return 'skipped';
  return phase === 'cancelled' ? 'cancelled' : 'failed';
}

/**
 * Step 3's starting image set: the images read in step 2 (by slot) plus, from the group's
 * current deployment, every image whose component the new set does not replace and for which
 * a slot is still free (a third RTApp or a fifth image would only fail the preflight); those
 * are "kept" unless the user turns their toggle off.
 *
 * @param {Array<object>} fresh images `{ imageId, componentId, kind }` from step 2
 * @param {Array<object>} current the current deployment's images `{ id, componentId, kind }`
 * @returns {Set<string>} ids of current images kept by default
 */
export function defaultKeep(fresh, current) {
  const replaced = new Set(fresh.map((i) => String(i.componentId).toLowerCase()));
  const used = {};
  for (const image of fresh) used[image.kind] = (used[image.kind] || 0) + 1;
  let total = fresh.length;
  const keep = new Set();
  for (const image of current || []) {
    if (replaced.has(String(image.componentId).toLowerCase())) continue;
    const limit = KIND_LIMITS[image.kind] === undefined ? MAX_IMAGES : KIND_LIMITS[image.kind];
    if (total >= MAX_IMAGES || (used[image.kind] || 0) >= limit) continue;
    keep.add(image.id);
    used[image.kind] = (used[image.kind] || 0) + 1;
    total += 1;
  }
  return keep;
}

/**
 * The plan's diff as rows for a table, one per component, in the order removed (the ones a
 * person must notice), replaced, added, kept.
 *
 * @returns {Array<{ change: 'removed'|'replaced'|'added'|'kept', from: object|null, to: object|null }>}
 */
export function diffRows(diff) {
  const d = diff || {};
  return [
    ...(d.removed || []).map((img) => ({ change: 'removed', from: img, to: null })),
    ...(d.replaced || []).map((r) => ({ change: 'replaced', from: r.from, to: r.to })),
    ...(d.added || []).map((img) => ({ change: 'added', from: null, to: img })),
    ...(d.kept || []).map((img) => ({ change: 'kept', from: img, to: img })),
  ];
}

/** The device statuses of step 5, in the order a healthy run passes them. */
export const UPDATE_NOW_STEPS = Object.freeze(['requested', 'moved', 'restarting', 'checked_in', 'on_target']);
/** Statuses after which a device's run is over. */
export const UPDATE_NOW_FINAL = Object.freeze(['on_target', 'failed', 'cancelled', 'deferred', 'not_started']);

/**
 * Adds one progress message of an "update now" run's channel to the per-device timelines (an
 * object keyed by device id, each an array of `{ status, at, reason }`), returning a new
 * object. A repeat of the status the device is already in is ignored. Messages carry no run
 * id: the channel they came on says which run they belong to.
 */
export function applyDeviceProgress(timelines, event) {
  if (!event || !event.deviceId || !event.status) return timelines;
  const list = timelines[event.deviceId] || [];
  const last = list[list.length - 1];
  if (last && last.status === event.status && last.at === event.at) return timelines;
  return { ...timelines, [event.deviceId]: [...list, { status: event.status, at: event.at || null, reason: event.reason || null, kind: event.kind || null, phase: event.phase || null }] };
}

/** The last status of each device's timeline, or null when the device has none. */
export function lastStatus(timeline) {
  return timeline && timeline.length ? timeline[timeline.length - 1].status : null;
}

/** Counts of a run: `{ total, done, onTarget, failed, running }`. */
export function summarizeRun(timelines, deviceIds) {
  const summary = { total: deviceIds.length, done: 0, onTarget: 0, failed: 0, running: 0 };
  for (const id of deviceIds) {
    const status = lastStatus(timelines[id]);
    if (status === 'on_target') summary.onTarget += 1;
    if (status === 'failed' || status === 'cancelled') summary.failed += 1;
    if (UPDATE_NOW_FINAL.includes(status)) summary.done += 1;
    else summary.running += 1;
  }
  return summary;
}

/**
 * The gateways an "update now" of `deviceIds` into group `groupId` moves out of another group,
 * by the group they leave: `[{ from: groupName | null, ids }]` in the order of `deviceIds`
 * (`from` is null for a gateway added by id whose group is not known yet).
 */
export function movedGateways(gateways, deviceIds, groupId) {
  const byId = new Map(gateways.map((g) => [g.deviceId, g]));
  const moves = new Map();
  for (const id of deviceIds) {
    const g = byId.get(id);
    if (!g || (g.inGroup !== false && g.groupId === groupId)) continue;
    const from = g.groupId === groupId ? null : g.groupName || null;
    if (!moves.has(from)) moves.set(from, []);
    moves.get(from).push(id);
  }
  return [...moves].map(([from, ids]) => ({ from, ids }));
}

/** Devices whose last status is failed or cancelled: what "Retry failed" sends again. */
export function failedDevices(timelines, deviceIds) {
  return deviceIds.filter((id) => ['failed', 'cancelled'].includes(lastStatus(timelines[id])));
}

/** A node's key in step 6's tables: gateway id and MAC. */
export function nodeKey(node) {
  return `${node.gatewayId}/${String(node.mac).toLowerCase()}`;
}

/**
 * Whether "Update" is offered for a node: the backend must say `updatable`, and the UI checks
 * again that the available version is numerically higher than the current one (`1.0.10` >
 * `1.0.9`), so a backend mistake can never offer a downgrade.
 */
export function canUpdateNode(node) {
  if (!node || !node.updatable || !node.available) return false;
  if (!node.current) return true;
  return compareVersions(node.available, node.current) > 0;
}

/** Node update states after which a node's run is over. */
export const NODE_FINAL = Object.freeze(['Succeeded', 'Failed', 'cancelled']);

/**
 * Adds one progress message of a node update run's channel to the per-node progress (an
 * object keyed by `nodeKey`), returning a new object.
 */
export function applyNodeProgress(progress, event) {
  if (!event || !event.gatewayId || !event.mac || !event.state) return progress;
  const key = nodeKey(event);
  return {
    ...progress,
    [key]: {
      state: event.state,
      percent: Number.isFinite(event.percent) ? event.percent : (progress[key] && progress[key].percent) || 0,
      error: event.error || null,
      kind: event.kind || null,
      version: event.version || null,
      at: event.at || null,
    },
  };
}

/** Seconds left until `expiresAt` (ms since epoch) at `now` (ms), never negative. */
export function secondsLeft(expiresAt, now) {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

/** A countdown as `m:ss`. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The fields a profile of each backend shows in the editor, besides its name. */
export const PROFILE_FIELDS = Object.freeze({
  demo: Object.freeze([]),
  legacy: Object.freeze(['tenantId', 'sphereTenantId', 'clientId', 'servicePrincipalClientId', 'iothubHost', 'iothubAuth']),
  arm: Object.freeze(['tenantId', 'subscriptionId', 'resourceGroup', 'catalog', 'clientId', 'servicePrincipalClientId', 'iothubHost', 'iothubAuth']),
});

/** The advanced fields (folded away): URLs, the device-contract names, concurrency. */
export const ADVANCED_FIELDS = Object.freeze(['authorityHost', 'apiBaseUrl']);
export const CONTRACT_FIELDS = Object.freeze([
  'restartMethod', 'restartDelaySeconds', 'hlAppVerProperty', 'rtAppVerProperty',
  'nodesProperty', 'nodeFwAvailableProperty', 'updateNodeMethod',
]);

/** A new profile of `backend` with the core's defaults (src-tauri/core/src/profiles.rs). */
export function newProfile(backend) {
  return {
    name: '',
    backend,
    authorityHost: 'https://login.microsoftonline.com',
    apiBaseUrl: '',
    tenantId: '',
    sphereTenantId: '',
    subscriptionId: '',
    resourceGroup: '',
    catalog: '',
    clientId: '',
    servicePrincipalClientId: '',
    iothubHost: '',
    iothubAuth: 'connectionString',
    contract: {
      restartMethod: 'RestartDevice',
      restartDelaySeconds: 5,
      hlAppVerProperty: 'HLAppVer',
      rtAppVerProperty: 'RTAppVer',
      nodesProperty: 'Nodes',
      nodeFwAvailableProperty: 'NodeFwAvailable',
      updateNodeMethod: 'UpdateNodeFirmware',
    },
    concurrency: 8,
  };
}

/**
 * What stops a profile from being saved, as `{ field, code }` (a message key suffix), checked
 * before the backend sees it so that the editor can point at the field. The backend checks
 * again (`Profile::validate`).
 */
export function profileProblems(profile, existingNames = []) {
  const problems = [];
  const name = String(profile.name || '').trim();
  if (!name) problems.push({ field: 'name', code: 'required' });
  else if (existingNames.includes(name)) problems.push({ field: 'name', code: 'taken' });
  if (profile.backend === 'arm') {
    for (const field of ['subscriptionId', 'resourceGroup', 'catalog']) {
      if (!String(profile[field] || '').trim()) problems.push({ field, code: 'required' });
    }
  }
  for (const field of ['authorityHost', 'apiBaseUrl']) {
    const value = String(profile[field] || '').trim();
    if (value && !/^https?:\/\//i.test(value)) problems.push({ field, code: 'url' });
  }
  const host = String(profile.iothubHost || '').trim();
  if (host && /[/\s]/.test(host)) problems.push({ field: 'iothubHost', code: 'host' });
  const n = Number(profile.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64) problems.push({ field: 'concurrency', code: 'range' });
  return problems;
}

/**
 * What a person can do about an error of `kind` (the GUI kinds of docs/gui-contract.json,
 * `errors.actions`, which tests/ui/ keeps this table equal to), as the action id the notice acts on
 * (its button reads `errors.<kind>.action`): `sign_in` opens the profile screen's sign-in,
 * `retry` repeats what failed, `choose_file` opens the file picker, `open_settings` the profile
 * screen; `none` shows `errors.<kind>.action` as advice without a button.
 */
export const ERROR_ACTIONS = Object.freeze({
  signed_out: 'sign_in',
  sign_in_failed: 'sign_in',
  forbidden: 'open_settings',
  not_found: 'retry',
  conflict: 'retry',
  rejected: 'none',
  throttled: 'retry',
  service: 'retry',
  network: 'retry',
  device_offline: 'retry',
  device_timeout: 'retry',
  restart_rejected: 'none',
  timed_out: 'retry',
  policy_blocks_updates: 'none',
  operation_failed: 'retry',
  cancelled: 'none',
  invalid_input: 'none',
  damaged_package: 'choose_file',
  io: 'choose_file',
  too_large: 'choose_file',
  preflight_failed: 'none',
  keychain_unavailable: 'open_settings',
  keychain: 'retry',
  config_damaged: 'open_settings',
  profile: 'open_settings',
  choose_tenant: 'open_settings',
  demo_unavailable: 'open_settings',
  node_not_found: 'none',
  node_busy: 'none',
  node_no_firmware: 'none',
  node_update_failed: 'none',
  journal: 'retry',
  run_in_flight: 'none',
  update_busy: 'none',
  update_manual: 'none',
  update_signature: 'none',
  update_failed: 'retry',
  internal: 'none',
  // Kinds of the UI itself: outside the app, and a rejection without a kind.
  not_in_app: 'none',
  unknown: 'retry',
});

/** The action id for an error of `kind` (see `ERROR_ACTIONS`); `none` for every other kind. */
export function errorAction(kind) {
  return Object.prototype.hasOwnProperty.call(ERROR_ACTIONS, kind) ? ERROR_ACTIONS[kind] : 'none';
}

/**
 * The one spelling the UI keys gateways by. Azure Sphere shows device ids in upper case and IoT
 * Hub in lower case; ids compare case-insensitively, so every id entering the UI state (lists,
 * progress events, pasted ids) goes through this.
 */
export function deviceKey(id) {
  return String(id || '').toLowerCase();
}

/**
 * Device ids pasted into step 5 ("add gateways from another group"): split on whitespace,
 * commas and semicolons, lower-cased, deduplicated. Azure Sphere device ids are 128 hex
 * digits; anything else is returned in `invalid` so the UI can say which ones it skipped.
 *
 * @returns {{ ids: string[], invalid: string[] }}
 */
export function parseDeviceIds(text) {
  const ids = [];
  const invalid = [];
  for (const word of String(text || '').split(/[\s,;]+/).filter(Boolean)) {
    if (/^[0-9a-f]{128}$/i.test(word)) {
      const id = deviceKey(word);
      if (!ids.includes(id)) ids.push(id);
    } else invalid.push(word);
  }
  return { ids, invalid };
}

/**
 * The session as the UI shows it, from either shape the shell may send: the contract's
 * `{ user: {name, upn}, role }` or the shell's `{ account, roles: [], scope, problem }`.
 *
 * @returns {{ profile: string, backend: string, signedIn: boolean, name: string|null,
 *             upn: string|null, role: string|null, tenant: string|null, demo: boolean,
 *             problem: {kind: string, message: string}|null } | null}
 */
export function describeSession(session) {
  if (!session || typeof session !== 'object') return null;
  const user = session.user && typeof session.user === 'object' ? session.user : null;
  const roles = Array.isArray(session.roles) ? session.roles : [];
  return {
    profile: String(session.profile || ''),
    backend: String(session.backend || ''),
    signedIn: Boolean(session.signedIn),
    name: user ? user.name || null : session.account || null,
    upn: user ? user.upn || null : null,
    role: session.role || roles[0] || null,
    tenant: session.tenant || session.scope || null,
    demo: Boolean(session.demo),
    problem: session.problem && typeof session.problem === 'object' ? session.problem : null,
  };
}

/**
 * A profile as `profile_save` takes it: the editor's empty text fields become null (the
 * shell reads a missing value as "use the default", an empty string as a bad value), and
 * the fields the shell fills in itself are left out.
 */
export function profileForSave(profile) {
  const { signedIn, hasClientSecret, hasIothubConnectionString, builtIn, ...rest } = profile;
  const out = {};
  for (const [key, value] of Object.entries(rest)) {
    out[key] = typeof value === 'string' && value.trim() === '' ? null : typeof value === 'string' ? value.trim() : value;
  }
  out.name = String(profile.name || '').trim();
  return out;
}
