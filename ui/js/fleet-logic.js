// Pure logic of the Fleet screen and the migration screen (issue 14), tested with Node
// (tests/ui/fleet-logic.test.mjs): the compliance report put together from the messages it
// streams while it is counted, its figures as table rows, the gateways behind a figure
// (drill-down), the groups they belong to for the hand-off to step 5 or 6 (one group at a time),
// the migration report's items as lines, and which profiles may stand on either side of a check.
//
// `compliance_report` streams `ComplianceEvent`s (docs/gui-contract.json): the groups to count,
// each page counted (the group's figures so far), each group complete, then `done`; the product
// and fleet sums come with every message. A report keeps the gateway ids of each figure only at
// the group level; a product's or the fleet's figure is the union of its groups'. A group still
// being counted has `counting: true` and figures without ids.

/** The key of the fleet's total row. */
const ALL = 'fleet';

/** The gateway figures, in the report's order. */
export const GATEWAY_FIGURES = Object.freeze(['onTarget', 'pending', 'failed', 'offline', 'unknown']);
/** The node figures the screen shows (the report's `unknown` nodes are left to the CLI). */
export const NODE_FIGURES = Object.freeze(['outdated', 'upToDate', 'updating']);

/**
 * The report after one more message of `compliance_report`'s channel (a new object; `report` is
 * not changed). `groups` starts a new report with every group still counting, in the order the
 * core sorts them (product name, then group name); `counted` replaces a group's figures so far;
 * `group` puts the complete group (ids and rows) in its place; `done` ends the counting.
 */
export function applyCompliance(report, message) {
  const m = message || {};
  if (m.type === 'groups') {
    const byProduct = new Map();
    const headings = [...(m.groups || [])].sort((a, b) => compareNames(a.productName, b.productName) || compareNames(a.groupName, b.groupName));
    for (const h of headings) {
      if (!byProduct.has(h.productId)) byProduct.set(h.productId, { productId: h.productId, productName: h.productName, gateways: null, nodes: null, groups: [] });
      byProduct.get(h.productId).groups.push({ ...h, counting: true, gateways: null, nodes: null });
    }
    return { startedAt: m.startedAt, asOf: null, counting: true, gateways: null, nodes: null, products: [...byProduct.values()] };
  }
  if (!report) return report;
  if (m.type === 'done') return { ...report, counting: false, startedAt: m.startedAt, asOf: m.asOf, gateways: m.gateways, nodes: m.nodes };
  if (m.type !== 'counted' && m.type !== 'group') return report;
  const id = m.group.groupId;
  const products = report.products.map((p) => {
    if (!p.groups.some((g) => g.groupId === id)) return p;
    const groups = p.groups.map((g) => {
      if (g.groupId !== id) return g;
      return m.type === 'group' ? { ...m.group, counting: false } : { ...g, gateways: m.group.gateways, nodes: m.group.nodes };
    });
    return { ...p, gateways: m.product.gateways, nodes: m.product.nodes, groups };
  });
  return { ...report, gateways: m.fleet.gateways, nodes: m.fleet.nodes, products };
}

/** How far the counting is: `{ groups, done, gateways }` (gateways counted so far). */
export function countingProgress(report) {
  const groups = ((report && report.products) || []).flatMap((p) => p.groups || []);
  return {
    groups: groups.length,
    done: groups.filter((g) => !g.counting).length,
    gateways: (report && report.gateways && report.gateways.total) || 0,
  };
}

function compareNames(a, b) {
  const x = a || '';
  const y = b || '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The table's rows: the fleet's total, then each product's sum followed by its groups.
 * Each row: `{ level: 'fleet'|'product'|'group', key, name, product, gateways, nodes, counting, group? }`;
 * `counting` while the row (or one of its groups) is still being counted: its figures are not
 * final and carry no ids yet.
 */
export function fleetRows(report) {
  if (!report) return [];
  const rows = [{ level: 'fleet', key: ALL, name: '', product: '', gateways: report.gateways, nodes: report.nodes, counting: Boolean(report.counting) }];
  for (const p of report.products || []) {
    const product = p.productName || p.productId;
    const groups = p.groups || [];
    rows.push({ level: 'product', key: `product:${p.productId}`, name: product, product, gateways: p.gateways, nodes: p.nodes, counting: groups.some((g) => g.counting) });
    for (const g of groups) {
      rows.push({ level: 'group', key: `group:${g.groupId}`, name: g.groupName, product, gateways: g.gateways, nodes: g.nodes, counting: Boolean(g.counting), group: g });
    }
  }
  return rows;
}

/** The groups a row stands for (one for a group row, a product's for a product, all for the fleet). */
function groupsOf(report, rowKey) {
  const out = [];
  for (const p of (report && report.products) || []) {
    for (const g of p.groups || []) {
      if (rowKey === ALL || rowKey === `product:${p.productId}` || rowKey === `group:${g.groupId}`) out.push(g);
    }
  }
  return out;
}

/**
 * The drill-down of figure `figure` (`'gateways.pending'`, `'nodes.outdated'`, …) of row
 * `rowKey`: the gateways behind it, each as the report's row with its group, ids as listed
 * (each once). `{ rows: [{ ...row, groupId, groupName, productName }], groupIds: [..] }`.
 */
export function drillDown(report, rowKey, figure) {
  const [side, name] = String(figure).split('.');
  const rows = [];
  const groupIds = [];
  const seen = new Set();
  for (const g of groupsOf(report, rowKey)) {
    const f = g[side] && g[side][name];
    if (!f || !Array.isArray(f.gateways) || f.gateways.length === 0) continue;
    const byId = drillRowsOf(g);
    for (const id of f.gateways) {
      const key = String(id).toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(byId.get(key) || drillRow(g, { deviceId: id, status: 'unknown', reason: '' }, key));
    }
    groupIds.push(g.groupId);
  }
  return { rows, groupIds };
}

// A complete group's rows as drill-down rows (with their group), by lower-cased device id: made
// once per group of a report (a report's groups are never changed, only replaced), so that a
// drill-down over 10,000 gateways only looks rows up (`prepareDrillDown` makes them ahead).
const drillRowCache = new WeakMap();

function drillRowsOf(g) {
  let byId = drillRowCache.get(g);
  if (!byId) {
    byId = new Map();
    for (const r of g.rows || []) {
      const key = String(r.deviceId).toLowerCase();
      byId.set(key, drillRow(g, r, key));
    }
    drillRowCache.set(g, byId);
  }
  return byId;
}

function drillRow(g, row, key) {
  return { ...row, deviceId: key, groupId: g.groupId, groupName: g.groupName, productName: g.productName };
}

/**
 * Makes the drill-down rows of every complete group of `report` ahead of the first drill-down
 * (called once the report is complete, off the click's path). Safe to call more than once.
 */
export function prepareDrillDown(report) {
  for (const p of (report && report.products) || []) {
    for (const g of p.groups || []) if (!g.counting) drillRowsOf(g);
  }
}

/**
 * The groups `rows` (a drill-down's, filtered or not) belong to, in the order they appear, each
 * `{ groupId, groupName, productName, count }`: what the hand-off to step 5 or 6 offers, since
 * both work on one group's gateways.
 */
export function drillGroups(rows) {
  const groups = new Map();
  for (const r of rows || []) {
    const g = groups.get(r.groupId);
    if (g) g.count += 1;
    else groups.set(r.groupId, { groupId: r.groupId, groupName: r.groupName, productName: r.productName, count: 1 });
  }
  return [...groups.values()];
}

/**
 * The group to hand to step 5 or 6 and its gateways among `rows`: the `chosen` group if `rows`
 * still has gateways of it, else the first group; `null` when `rows` is empty.
 */
export function handoff(rows, chosen) {
  const groups = drillGroups(rows);
  const group = groups.find((g) => g.groupId === chosen) || groups[0];
  if (!group) return null;
  return { groupId: group.groupId, ids: rows.filter((r) => r.groupId === group.groupId).map((r) => r.deviceId) };
}

/** The rows of a drill-down that match `query` (device id, group, status, reason, versions). */
export function filterDrill(rows, query) {
  const q = String(query || '').trim().toLowerCase();
  if (!q) return rows;
  return rows.filter((r) => [r.deviceId, r.groupName, r.status, r.reason, r.hlAppVer, r.rtAppVer].some((v) => v && String(v).toLowerCase().includes(q)));
}

/** The catalog key of a figure's source list: `fleet.source.twin`, `.plane`, `.both` or `.none`. */
export function sourceKey(sources) {
  const s = new Set(sources || []);
  if (s.has('control_plane') && s.has('iot_hub_twin')) return 'fleet.source.both';
  if (s.has('iot_hub_twin')) return 'fleet.source.twin';
  if (s.has('control_plane')) return 'fleet.source.plane';
  return 'fleet.source.none';
}

/** The refresh intervals offered, in seconds (0 = only on demand). */
export const REFRESH_INTERVALS = Object.freeze([0, 30, 60, 300]);

// ---- migration ----

/** Profiles that may be checked from (legacy, or the Demo tenant read through its legacy plane) and to (ARM, or Demo). */
export function migrationSides(profiles) {
  const list = profiles || [];
  return {
    from: list.filter((p) => p.backend === 'legacy' || p.backend === 'demo').map((p) => p.name),
    to: list.filter((p) => p.backend === 'arm' || p.backend === 'demo').map((p) => p.name),
  };
}

/** The report's items to show: only the differences unless `all`. */
export function migrationItems(report, all) {
  const items = (report && report.items) || [];
  return all ? items : items.filter((i) => i.status !== 'matched');
}

/**
 * An item's field differences as `field: from → to` parts (missing values as `—`); `label` names
 * a field in the user's language (the core's field name when it has none).
 */
export function differenceParts(item, label = (field) => field) {
  return (item.differences || []).map((d) => `${label(d.field)}: ${d.from == null ? '—' : d.from} → ${d.to == null ? '—' : d.to}`);
}

/** The default name of the ARM profile made from legacy profile `from`, not taken by `names`. */
export function migratedName(from, names) {
  const taken = new Set(names || []);
  let name = `${from} (ARM)`;
  for (let n = 2; taken.has(name); n += 1) name = `${from} (ARM ${n})`;
  return name;
}

/** What is missing before an ARM profile can be made: the list of empty field names. */
export function migrationFormProblems(form) {
  return ['name', 'subscriptionId', 'resourceGroup', 'catalog'].filter((k) => !String((form && form[k]) || '').trim());
}
