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
    error: { kind: String(error.kind || 'unknown'), message: String(error.message || '') },
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
