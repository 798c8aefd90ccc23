// The Activity view's filters and the CSV/JSON exports (ui/js/export.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOURNAL_COLUMNS, exportFileName, filterJournal, journalProfiles, journalRow, toCsv } from '../../ui/js/export.js';

const entries = [
  { at: '2026-11-27T10:00:00Z', profile: 'Demo tenant', backend: 'demo', action: 'upload', result: 'ok', target: { group_id: 'g-1', group_name: 'Production', image_ids: ['a', 'b'], image_names: ['App', 'RT'] }, detail: 'uploaded' },
  { at: '2026-11-28T10:00:00Z', profile: 'WIZnet', backend: 'arm', action: 'restart', result: 'failed', target: { group_id: 'g-2', group_name: 'Field test', device_id: 'ABCDEF0123' }, detail: 'offline, "try later"' },
  { at: '2026-11-29T10:00:00Z', profile: 'Demo tenant', backend: 'demo', action: 'node_update', result: 'ok', target: { device_id: 'abcdef0123', mac: '00:08:DC:72:00:BA' }, detail: '=HYPERLINK("x")' },
];

test('each filter narrows the journal; no filter keeps everything', () => {
  assert.equal(filterJournal(entries).length, 3);
  assert.deepEqual(filterJournal(entries, { profile: 'WIZnet' }).map((e) => e.action), ['restart']);
  assert.deepEqual(filterJournal(entries, { action: 'upload' }).map((e) => e.profile), ['Demo tenant']);
  assert.deepEqual(filterJournal(entries, { group: 'field' }).map((e) => e.action), ['restart']);
  assert.deepEqual(filterJournal(entries, { group: 'g-1' }).map((e) => e.action), ['upload']);
  assert.deepEqual(filterJournal(entries, { gateway: 'abcdef' }).map((e) => e.action), ['restart', 'node_update']);
  assert.deepEqual(filterJournal(entries, { gateway: '72:00:ba' }).map((e) => e.action), ['node_update']);
  assert.deepEqual(filterJournal(entries, { profile: 'Demo tenant', action: 'restart' }), []);
});

test('the date filter is inclusive of both days, in local time', () => {
  const day = (iso) => { const d = new Date(iso); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; };
  const second = day(entries[1].at);
  assert.deepEqual(filterJournal(entries, { from: second, to: second }).map((e) => e.action), ['restart']);
  assert.equal(filterJournal(entries, { from: day(entries[0].at) }).length, 3);
  assert.equal(filterJournal(entries, { to: day(entries[0].at) }).length, 1);
});

test('the profile filter offers each profile once', () => {
  assert.deepEqual(journalProfiles(entries), ['Demo tenant', 'WIZnet']);
});

test('CSV quotes what must be quoted, uses CRLF, and disarms formulas but not numbers', () => {
  const csv = toCsv(JOURNAL_COLUMNS, entries.map(journalRow));
  const lines = csv.split('\r\n');
  assert.equal(lines[0], JOURNAL_COLUMNS.join(','));
  assert.equal(lines.length, 5, 'header, three rows and the final line break');
  assert.ok(lines[2].endsWith(',"offline, ""try later"""'), lines[2]);
  assert.ok(lines[3].endsWith(`,"'=HYPERLINK(""x"")"`), lines[3]);
  assert.ok(lines[1].includes(',a b,App | RT,'), lines[1]);
  assert.equal(toCsv(['n'], [{ n: -3 }, { n: '-x' }, { n: '@sum' }]), "n\r\n-3\r\n'-x\r\n'@sum\r\n");
  assert.equal(toCsv(['a'], [{ a: 'line\nbreak' }]), 'a\r\n"line\nbreak"\r\n');
});

test('export file names carry the local date and time', () => {
  assert.equal(exportFileName('activity', 'csv', new Date(2026, 10, 27, 9, 5)), 'asg-fota-activity-20261127-0905.csv');
});
