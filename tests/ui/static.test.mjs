// Static checks over ui/: what the window's CSP and the house style forbid. These greps are
// deliberately simple; they catch the easy mistakes, reviews catch the rest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const UI = new URL('../../ui/', import.meta.url).pathname;

function files(dir, ext) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path, ext);
    return ext.some((e) => name.endsWith(e)) ? [path] : [];
  });
}

const all = files(UI, ['.js', '.html', '.css']);
const scripts = files(join(UI, 'js'), ['.js']);
const read = (path) => readFileSync(path, 'utf8');
const rel = (path) => relative(UI, path);

test('the scan sees the UI', () => {
  assert.ok(scripts.length >= 6, `only ${scripts.length} scripts found`);
});

test('nothing under ui/ uses innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
  for (const path of all) {
    const src = read(path);
    for (const banned of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write']) {
      assert.ok(!src.includes(banned), `${rel(path)} uses ${banned}`);
    }
  }
});

test('no eval, new Function or string timers (the CSP forbids them)', () => {
  for (const path of scripts) {
    const src = read(path);
    assert.ok(!/\beval\s*\(/.test(src), `${rel(path)} calls eval`);
    assert.ok(!/new\s+Function\s*\(/.test(src), `${rel(path)} uses new Function`);
    assert.ok(!/setTimeout\(\s*['"`]/.test(src), `${rel(path)} passes a string to setTimeout`);
  }
});

test('index.html has no inline script, inline style, event attribute or remote resource', () => {
  const html = read(join(UI, 'index.html'));
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], /\bsrc="[^"]+"/, 'a <script> without src');
    assert.equal(m[2].trim(), '', 'a <script> with inline code');
  }
  assert.ok(!/<style\b/i.test(html), 'a <style> block');
  assert.ok(!/\sstyle\s*=/i.test(html), 'a style= attribute');
  assert.ok(!/\son[a-z]+\s*=/i.test(html), 'an on*= event attribute');
  assert.ok(!/(src|href)\s*=\s*"(https?:)?\/\//i.test(html), 'a remote resource');
});

test('scripts set no inline styles (style-src self forbids them too)', () => {
  for (const path of scripts) {
    const src = read(path);
    assert.ok(!/\.style\.|setAttribute\(\s*['"]style['"]/.test(src), `${rel(path)} sets an inline style`);
  }
});

test('only backend.js touches window.__TAURI__', () => {
  for (const path of scripts) {
    if (rel(path) === 'js/backend.js') continue;
    assert.ok(!read(path).includes('__TAURI__'), `${rel(path)} reads __TAURI__`);
  }
});

test('no user-visible literal strings in scripts: text comes from the catalogs', () => {
  // Heuristic: a quoted literal with a letter in it, assigned to textContent, passed as `text:`
  // to el(), or set as a user-visible attribute. Pure symbols ('…', digits) are allowed.
  const patterns = [
    /\.textContent\s*=\s*(['"`])[^'"`]*\p{L}/u,
    /\btext:\s*(['"`])[^'"`]*\p{L}/u,
    /setText\([^,]+,\s*(['"`])[^'"`]*\p{L}/u,
    /setAttr(ibute)?\([^,]*['"](aria-label|title|placeholder|alt)['"],\s*(['"`])[^'"`]*\p{L}/u,
    /\.(title|placeholder|alt)\s*=\s*(['"`])[^'"`]*\p{L}/u,
  ];
  for (const path of scripts) {
    read(path).split('\n').forEach((line, i) => {
      for (const pattern of patterns) {
        assert.ok(!pattern.test(line), `${rel(path)}:${i + 1} shows a literal string: ${line.trim()}`);
      }
    });
  }
});

test('the heuristic above catches what it should', () => {
  const pattern = /\.textContent\s*=\s*(['"`])[^'"`]*\p{L}/u;
  assert.ok(pattern.test("node.textContent = 'Hello';"));
  assert.ok(pattern.test('node.textContent = `Step ${n}`;'));
  assert.ok(!pattern.test("node.textContent = t('app.name');"));
  assert.ok(!pattern.test("node.textContent = '';"));
});

test('the end-to-end hooks exist in the code and are documented in ui/README.md', () => {
  const doc = read(join(UI, 'README.md'));
  const code = scripts.map(read).join('\n') + read(join(UI, 'index.html'));
  const hooks = [
    'add-packages', 'package-row', 'image-id', 'component-id', 'package-kind', 'package-name', 'package-error', 'lang-switch',
    'profile-button', 'group-row', 'group-search', 'upload-button', 'upload-continue', 'upload-status', 'deploy-plan',
    'deploy-problem', 'deploy-create', 'confirm-ok', 'confirm-cancel', 'history-row', 'redeploy', 'gateway-row',
    'gateway-select', 'select-all', 'update-now', 'device-status', 'node-row', 'node-update', 'update-all-outdated',
    'node-status', 'signin-code', 'error-notice', 'error-sign-in',
  ];
  for (const hook of hooks) {
    assert.ok(doc.includes(`data-testid="${hook}"`), `ui/README.md does not document ${hook}`);
    assert.ok(code.includes(`'${hook}'`) || code.includes(`"${hook}"`), `${hook} is not used`);
  }
  assert.ok(code.includes('`step-link-${step.number}`'), 'step-link-N is not generated');
});

test('index.html preloads every module the app imports (no bundler: one fetch wave, not one per import level)', () => {
  const html = readFileSync(new URL('../../ui/index.html', import.meta.url), 'utf8');
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
  const root = new URL('../../ui/', import.meta.url);
  for (const dir of ['js', 'js/steps', 'i18n']) {
    for (const name of readdirSync(new URL(dir + '/', root))) {
      if (!name.endsWith('.js') || name === 'app.js' || name === 'fake-backend.js') continue;
      assert.ok(preloaded.has(`${dir}/${name}`), `${dir}/${name} is not preloaded in index.html`);
    }
  }
});
