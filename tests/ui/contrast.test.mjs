// Contrast of every text/background pair in ui/styles.css, computed from the stylesheet itself,
// in both palettes (light on :root, dark under [data-theme="dark"]): WCAG 2 AA, 4.5:1.
//
// Pairs: a rule that sets both `color` and `background` is checked as that pair; a rule that
// sets only `color` is checked on every surface text sits on (page, card, header row); a rule
// that sets only a background is checked with the body text on it — unless the element carries
// no text (DECORATIVE below, each with its reason; the list must stay true to the stylesheet).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const css = readFileSync(new URL('../../ui/styles.css', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** Innermost `selector { declarations }` blocks, with the declarations as a map. */
export function rules(text) {
  const out = [];
  for (const m of text.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const decls = new Map();
    for (const d of m[2].split(';')) {
      const at = d.indexOf(':');
      if (at > 0) decls.set(d.slice(0, at).trim(), d.slice(at + 1).trim());
    }
    out.push({ selector: m[1].trim().replace(/\s+/g, ' '), decls });
  }
  return out;
}

const all = rules(css);
const props = (selector) => {
  const rule = all.find((r) => r.selector === selector);
  assert.ok(rule, `${selector} is missing from styles.css`);
  return new Map([...rule.decls].filter(([k]) => k.startsWith('--')).map(([k, v]) => [k.slice(2), v]));
};
const light = props(':root');
const dark = new Map([...light, ...props(':root[data-theme="dark"]')]);

/** `#rgb`/`#rrggbb`, a var() of the palette, or null (transparent, inherit, gradients…). */
export function resolve(value, palette, depth = 0) {
  if (!value || depth > 5) return null;
  const first = value.trim().split(/\s+(?![^(]*\))/)[0];
  const v = first.match(/^var\(--([\w-]+)\)$/);
  if (v) return resolve(palette.get(v[1]), palette, depth + 1);
  if (/^#[0-9a-f]{6}$/i.test(first)) return first.toLowerCase();
  if (/^#[0-9a-f]{3}$/i.test(first)) return `#${[...first.slice(1)].map((c) => c + c).join('')}`.toLowerCase();
  return null;
}

export function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Backgrounds without text of their own: marks, lines, bars and overlays.
const DECORATIVE = new Map([
  ['.brand-mark-bg', 'the logo square (SVG fill)'],
  ['.step-item:not(:last-child)::after', 'the line between step numbers'],
  ['.step-link.is-active::before', 'the bar beside the active step'],
  ['.profile-name::before', 'the state dot before the profile name'],
  ['.profile.is-signed-out .profile-name::before', 'the state dot (signed out)'],
  ['.radio-mark', 'the radio circle of a group card'],
  ['.group-card.is-selected .radio-mark', 'the filled radio circle'],
  ['.dot.is-done', 'a progress dot'],
  ['.status-on_target .dot.is-done', 'a progress dot'],
  ['.dot.is-failed', 'a progress dot'],
  ['.timeline-item::before', 'a timeline bullet'],
  ['.timeline-item.status-on_target::before', 'a timeline bullet'],
  ['.timeline-item.status-failed::before, .timeline-item.status-cancelled::before', 'a timeline bullet'],
  ['.empty-icon::before, .drop-overlay-icon::before', 'the drop arrow'],
  ['.vcell .copy-button::after', 'the copy icon'],
]);

const SURFACES = ['--surface', '--bg', '--surface-2'];

function pairsOf(rule, palette) {
  if (rule.selector.startsWith(':root') || rule.selector.startsWith('@') || /:disabled|::placeholder/.test(rule.selector)) return [];
  const color = rule.decls.get('color');
  const background = rule.decls.get('background') ?? rule.decls.get('background-color');
  const fg = resolve(color, palette);
  const bg = resolve(background, palette);
  if (fg && bg) return [[fg, bg, `${color} on ${background}`]];
  if (fg && !background) return SURFACES.map((s) => [fg, resolve(`var(${s})`, palette), `${color} on ${s}`]);
  if (bg && !color && !DECORATIVE.has(rule.selector)) {
    // A state (`:hover`, `.is-selected`…) keeps the text colour of the rule it refines.
    const base = all.find((r) => r.selector === rule.selector.replace(/:(hover|focus|focus-visible|active)$/, '') && r.decls.has('color'));
    const text = base ? base.decls.get('color') : 'var(--text)';
    return [[resolve(text, palette), bg, `${text} on ${background}`]];
  }
  return [];
}

test('every decorative exception still exists in styles.css', () => {
  for (const selector of DECORATIVE.keys()) assert.ok(all.some((r) => r.selector === selector), `${selector} is gone: drop it from DECORATIVE`);
});

test('the contrast formula matches WCAG (black on white is 21:1, #767676 on white about 4.54:1)', () => {
  assert.equal(Math.round(contrast('#000000', '#ffffff')), 21);
  assert.ok(Math.abs(contrast('#767676', '#ffffff') - 4.54) < 0.01);
});

for (const [name, palette] of [['light', light], ['dark', dark]]) {
  test(`every text/background pair of the ${name} palette reaches 4.5:1`, () => {
    const failures = [];
    let checked = 0;
    for (const rule of all) {
      for (const [fg, bg, what] of pairsOf(rule, palette)) {
        checked += 1;
        const ratio = contrast(fg, bg);
        if (ratio < 4.5) failures.push(`${rule.selector}: ${what} = ${fg} on ${bg}, ${ratio.toFixed(2)}:1`);
      }
    }
    assert.ok(checked > 100, `only ${checked} pairs found: the parser lost the stylesheet`);
    assert.deepEqual(failures, []);
  });
}
