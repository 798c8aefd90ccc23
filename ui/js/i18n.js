// Message lookup and locale-aware formatting for the wizard.
//
// Owns: the current language ('en' | 'ko'), `t()` over the catalogs in ui/i18n/, plural
// forms through Intl.PluralRules, and number, size, list and date formatting through Intl.
// Every user-visible string in the UI goes through here. No DOM access, so Node tests import it.

import en from '../i18n/en.js';
import ko from '../i18n/ko.js';
import { humanSize } from './logic.js';

export const CATALOGS = Object.freeze({ en, ko });
export const LANGUAGES = Object.freeze(['en', 'ko']);

let language = 'en';
// The OS locale (e.g. "en-GB", "ko-KR") refines dates and numbers when it speaks the chosen
// language; otherwise the language's default region is used.
let osLocale = '';

/** The UI language for a BCP 47 locale tag: Korean for any `ko*` tag, English otherwise. */
export function languageForLocale(tag) {
  return /^ko(\b|[-_])/i.test(String(tag || '')) ? 'ko' : 'en';
}

/**
 * The language to start in: the user's saved choice wins, then the OS locale.
 *
 * @param {{ stored?: string | null, osLocale?: string }} sources
 */
export function initialLanguage({ stored, osLocale: os }) {
  if (LANGUAGES.includes(stored)) return stored;
  return languageForLocale(os);
}

export function setLanguage(lang, os) {
  language = LANGUAGES.includes(lang) ? lang : 'en';
  if (os !== undefined) osLocale = String(os || '');
  resolvedLocale = null;
}

export function getLanguage() {
  return language;
}

// Intl objects are costly to build (a table of 10,000 rows formats tens of thousands of numbers
// and dates per render): the locale is resolved once per language change and each formatter is
// built once per locale and options.
let resolvedLocale = null;
const formatters = new Map();

/** The `Kind` (Intl.NumberFormat, …) formatter for the current locale and `options`, cached. */
function formatter(Kind, options = {}) {
  const locale = intlLocale();
  const key = `${Kind.name}|${locale}|${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Kind(locale, options);
    formatters.set(key, made);
  }
  return made;
}

/** The locale tag handed to Intl: the OS locale if it is in the current language. */
export function intlLocale() {
  if (resolvedLocale === null) resolvedLocale = resolveLocale();
  return resolvedLocale;
}

function resolveLocale() {
  const fallback = language === 'ko' ? 'ko-KR' : 'en-US';
  if (!osLocale || languageForLocale(osLocale) !== language) return fallback;
  // POSIX locales such as "C.UTF-8" or "en_US.UTF-8@euro" are not BCP 47 tags, and Intl throws a
  // RangeError on a tag it cannot parse: keep the language/region part, or fall back.
  const tag = osLocale.split(/[.@]/)[0].replace(/_/g, '-');
  try {
    return Intl.getCanonicalLocales(tag)[0] || fallback;
  } catch {
    return fallback;
  }
}

/**
 * The message for `key` in the current language with `{name}` placeholders filled. Numbers are
 * formatted for the locale, arrays become a localized list ("a, b and c"). A key missing from
 * the catalog shows as the key itself, which the catalog tests keep from ever shipping.
 */
export function t(key, params = {}) {
  const catalog = CATALOGS[language];
  const template = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : key;
  return fill(template, params);
}

/** Whether the current catalog has `key` (for mapping backend error kinds to messages). */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(CATALOGS[language], key);
}

/** Like `t`, choosing `key.one` / `key.other` (etc.) for `count` by the language's plural rules. */
export function tn(key, count, params = {}) {
  const catalog = CATALOGS[language];
  const form = formatter(Intl.PluralRules).select(count);
  const chosen = Object.prototype.hasOwnProperty.call(catalog, `${key}.${form}`)
    ? `${key}.${form}`
    : `${key}.other`;
  return t(chosen, { ...params, count });
}

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) return whole;
    return formatValue(params[name]);
  });
}

function formatValue(value) {
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return formatList(value.map(String));
  return String(value);
}

export function formatNumber(value, options = {}) {
  return formatter(Intl.NumberFormat, options).format(value);
}

export function formatList(items) {
  return formatter(Intl.ListFormat, { style: 'long', type: 'conjunction' }).format(items);
}

/** A byte count for people: "812 bytes", "28.9 kB", "1.2 MB" in the current locale. */
export function formatSize(bytes) {
  const { value, unit } = humanSize(bytes);
  if (unit === 'byte') return tn('size.bytes', value);
  return formatter(Intl.NumberFormat, {
    style: 'unit',
    unit,
    unitDisplay: 'short',
    maximumFractionDigits: value < 10 ? 1 : 0,
  }).format(value);
}

/**
 * An RFC 3339 time as a local date and time, or null when it is missing or unreadable (the
 * caller shows "unknown" rather than "Invalid Date").
 */
export function formatDateTime(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return formatter(Intl.DateTimeFormat, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** The placeholder names a template uses, sorted: for the catalog parity test. */
export function placeholdersOf(template) {
  return [...String(template).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

/** The time of day of an RFC 3339 time with seconds (progress of runs), or '—'. */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter(Intl.DateTimeFormat, { timeStyle: 'medium' }).format(date);
}
