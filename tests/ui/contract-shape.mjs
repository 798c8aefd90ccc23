// A checker for the shapes of docs/gui-contract.json (grammar in docs/gui-contract.md): the
// Node tests hold the fake backend's answers and channel messages, and the arguments the UI
// sends, to them. Not a test file itself (no `.test.` in the name).
//
// Type expressions: `string`, `number`, `boolean`, `null`, `object` (any JSON object), `any`, a
// name from `types` (an object shape, or a string that is itself an expression), `[T]`,
// `A|B`, `enum:a,b,c`, and in command arguments `channel:Name`; `CommandError` is read from
// `errors`. A field ending in `?` may be
// absent; objects are closed (a field not listed is a mismatch).

import { readFileSync } from 'node:fs';

export const CONTRACT = JSON.parse(readFileSync(new URL('../../docs/gui-contract.json', import.meta.url), 'utf8'));

/** Splits `expr` on `|` outside brackets. */
function alternatives(expr) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i += 1) {
    if (expr[i] === '[') depth += 1;
    else if (expr[i] === ']') depth -= 1;
    else if (expr[i] === '|' && depth === 0) {
      out.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  out.push(expr.slice(start));
  return out.map((x) => x.trim());
}

const kindOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * The mismatches of `value` against the type expression `expr` (an empty list when it fits),
 * each as "path: what is wrong".
 */
export function mismatches(value, expr, path = '$', contract = CONTRACT) {
  const options = alternatives(expr);
  if (options.length > 1) {
    // Unions of object types may share a discriminator value (three kinds of `progress`):
    // the value fits when any member fits.
    const tried = options.map((o) => mismatches(value, o, path, contract));
    if (tried.some((m) => m.length === 0)) return [];
    return [`${path}: fits none of ${expr}: ${tried.map((m) => m[0]).join(' / ')}`];
  }
  const e = options[0];
  if (e === 'any') return [];
  if (['string', 'number', 'boolean'].includes(e)) {
    if (typeof value !== e || (e === 'number' && !Number.isFinite(value))) return [`${path}: expected ${e}, got ${kindOf(value)}`];
    return [];
  }
  if (e === 'null') return value === null ? [] : [`${path}: expected null, got ${kindOf(value)}`];
  if (e === 'object') return kindOf(value) === 'object' ? [] : [`${path}: expected an object, got ${kindOf(value)}`];
  if (e.startsWith('enum:')) {
    const allowed = e.slice(5).split(',');
    return typeof value === 'string' && allowed.includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`];
  }
  if (e.startsWith('channel:')) {
    return value && typeof value === 'object' && 'onmessage' in value ? [] : [`${path}: expected a channel (an object with onmessage)`];
  }
  if (e.startsWith('[') && e.endsWith(']')) {
    if (!Array.isArray(value)) return [`${path}: expected an array, got ${kindOf(value)}`];
    return value.flatMap((item, i) => mismatches(item, e.slice(1, -1), `${path}[${i}]`, contract));
  }
  // `CommandError` lives under `errors`, beside the kinds' actions and params.
  const shape = e in contract.types ? contract.types[e] : (contract.errors || {})[e];
  if (shape === undefined) return [`${path}: the contract has no type ${e}`];
  if (typeof shape === 'string') return mismatches(value, shape, path, contract);
  return objectMismatches(value, shape, path, contract, e);
}

/** The mismatches of `value` against an object shape `{field: expr, 'field?': expr}`. */
export function objectMismatches(value, shape, path, contract = CONTRACT, name = 'object') {
  if (kindOf(value) !== 'object') return [`${path}: expected ${name}, got ${kindOf(value)}`];
  const out = [];
  const fields = new Map(Object.entries(shape).map(([k, v]) => [k.replace(/\?$/, ''), { expr: v, optional: k.endsWith('?') }]));
  for (const [field, { expr, optional }] of fields) {
    if (!(field in value) || value[field] === undefined) {
      if (!optional) out.push(`${path}.${field}: missing (${name})`);
      continue;
    }
    out.push(...mismatches(value[field], expr, `${path}.${field}`, contract));
  }
  for (const field of Object.keys(value)) {
    if (!fields.has(field) && value[field] !== undefined) out.push(`${path}.${field}: not in ${name}`);
  }
  return out;
}

/** The contract's `errors.CommandError` shape checked against a rejection. */
export function errorMismatches(error, path = '$error') {
  const shape = CONTRACT.errors.CommandError;
  const out = objectMismatches(error, shape, path, CONTRACT, 'CommandError');
  if (error && error.params && typeof error.params === 'object') {
    out.push(...objectMismatches(error.params, Object.fromEntries(Object.entries(CONTRACT.errors.params).map(([k, v]) => [`${k}?`, v])), `${path}.params`, CONTRACT, 'params'));
  }
  return out;
}

/** The GUI error kinds: `errors.CommandError.kind`. */
export function guiKinds() {
  return CONTRACT.errors.CommandError.kind.replace(/^enum:/, '').split(',');
}
