// Pure rules of the Activity view and of the exports: filtering the journal, and turning rows
// into CSV (RFC 4180, with a formula guard) or JSON. No DOM here: tested with Node.

/** The journal's actions, in the order the Activity view offers them. */
export const JOURNAL_ACTIONS = Object.freeze(['upload', 'deploy', 'move', 'restart', 'node_update']);

/**
 * The entries matching `filter`: `{ profile, action, group, gateway, from, to }`, each optional.
 * `group` and `gateway` match case-insensitively inside the group's name or id and the device
 * id or MAC; `from` and `to` are `YYYY-MM-DD` days, inclusive, in the local time zone.
 */
export function filterJournal(entries, filter = {}) {
  const lower = (s) => String(s || '').toLowerCase();
  const group = lower(filter.group).trim();
  const gateway = lower(filter.gateway).trim();
  const from = filter.from ? localDayStart(filter.from) : null;
  const to = filter.to ? localDayStart(filter.to) + 24 * 3600 * 1000 : null;
  return entries.filter((e) => {
    const target = e.target || {};
    if (filter.profile && e.profile !== filter.profile) return false;
    if (filter.action && e.action !== filter.action) return false;
    if (group && !`${lower(target.group_name)}\u0000${lower(target.group_id)}`.includes(group)) return false;
    if (gateway && !`${lower(target.device_id)}\u0000${lower(target.mac)}`.includes(gateway)) return false;
    const at = Date.parse(e.at);
    if (from !== null && !(at >= from)) return false;
    if (to !== null && !(at < to)) return false;
    return true;
  });
}

function localDayStart(day) {
  const [y, m, d] = String(day).split('-').map(Number);
  return new Date(y, (m || 1) - 1, d || 1).getTime();
}

/** The profiles that occur in the journal, sorted, for the profile filter. */
export function journalProfiles(entries) {
  return [...new Set(entries.map((e) => e.profile).filter(Boolean))].sort();
}

/** One flat row per journal entry, the columns of the CSV export. */
export const JOURNAL_COLUMNS = Object.freeze(['at', 'profile', 'backend', 'action', 'result', 'group_name', 'group_id', 'device_id', 'mac', 'deployment_id', 'image_ids', 'image_names', 'file', 'detail']);

export function journalRow(e) {
  const t = e.target || {};
  return {
    at: e.at,
    profile: e.profile,
    backend: e.backend,
    action: e.action,
    result: e.result,
    group_name: t.group_name,
    group_id: t.group_id,
    device_id: t.device_id,
    mac: t.mac,
    deployment_id: t.deployment_id,
    image_ids: (t.image_ids || []).join(' '),
    image_names: (t.image_names || []).join(' | '),
    file: t.file,
    detail: e.detail,
  };
}

/**
 * CSV text (RFC 4180: CRLF lines, fields quoted when they hold a comma, quote or line break).
 * A field starting with `=`, `+`, `-`, `@`, tab or CR gets a leading apostrophe so that a
 * spreadsheet shows it instead of running it as a formula (OWASP's CSV injection advice) —
 * except plain numbers such as `-3`, which stay numbers.
 */
export function toCsv(columns, rows) {
  const field = (value) => {
    let s = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map(field).join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Step 5's gateways as export rows. */
export const GATEWAY_COLUMNS = Object.freeze(['deviceId', 'connectionState', 'hlAppVer', 'rtAppVer', 'lastCheckIn', 'groupName', 'inGroup', 'status']);

export function gatewayExportRow(g, lastStatus) {
  return { ...Object.fromEntries(GATEWAY_COLUMNS.map((c) => [c, g[c]])), status: lastStatus || 'idle' };
}

/** Step 6's nodes as export rows. */
export const NODE_COLUMNS = Object.freeze(['gatewayId', 'mac', 'name', 'current', 'available', 'status', 'updateState']);

export function nodeExportRow(n) {
  return { ...Object.fromEntries(NODE_COLUMNS.map((c) => [c, n[c]])), updateState: n.update ? n.update.state : '' };
}

/** `asg-fota-<what>-<YYYYMMDD-HHMM>.<ext>` in local time, for the save dialog. */
export function exportFileName(what, ext, now = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `asg-fota-${what}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}.${ext}`;
}
