// Pure logic of the Fleet screen and the migration screen (issue 14), tested with Node
// (tests/ui/fleet-logic.test.mjs): the figures of a compliance report as table rows, the
// gateways behind a figure (drill-down), whether they can go to step 5 as one group, the
// migration report's items as lines, and which profiles may stand on either side of a check.
//
// A compliance report (`compliance_report`, docs/gui-contract.json `FleetCompliance`) keeps the
// gateway ids of each figure only at the group level; a product's or the fleet's figure is the
// union of its groups'.

/** The key of the fleet's total row. */
const ALL = 'fleet';

/** The gateway figures, in the report's order. */
export const GATEWAY_FIGURES = Object.freeze(['onTarget', 'pending', 'failed', 'offline', 'unknown']);
/** The node figures the screen shows (the report's `unknown` nodes are left to the CLI). */
export const NODE_FIGURES = Object.freeze(['outdated', 'upToDate', 'updating']);

/**
 * The table's rows: the fleet's total, then each product's sum followed by its groups.
 * Each row: `{ level: 'fleet'|'product'|'group', key, name, product, gateways, nodes, group? }`.
 */
export function fleetRows(report) {
  if (!report) return [];
  const rows = [{ level: 'fleet', key: ALL, name: '', product: '', gateways: report.gateways, nodes: report.nodes }];
  for (const p of report.products || []) {
    const product = p.productName || p.productId;
    rows.push({ level: 'product', key: `product:${p.productId}`, name: product, product, gateways: p.gateways, nodes: p.nodes });
    for (const g of p.groups || []) {
      rows.push({ level: 'group', key: `group:${g.groupId}`, name: g.groupName, product, gateways: g.gateways, nodes: g.nodes, group: g });
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
    const byId = new Map((g.rows || []).map((r) => [String(r.deviceId).toLowerCase(), r]));
    for (const id of f.gateways) {
      const key = String(id).toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const row = byId.get(key) || { deviceId: id, status: 'unknown', reason: '' };
      rows.push({ ...row, deviceId: key, groupId: g.groupId, groupName: g.groupName, productName: g.productName });
    }
    groupIds.push(g.groupId);
  }
  return { rows, groupIds };
}

/** The one group a drill-down can be handed to step 5 or 6 with, or null when it spans several. */
export function handoffGroup(drill) {
  return drill && drill.groupIds.length === 1 ? drill.groupIds[0] : null;
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
