// Small DOM building blocks shared by the views: element creation with text and classes only
// (never HTML strings, so data can never become markup or script), static-text translation of
// index.html, the live region, and copying to the clipboard.

/**
 * Creates an element. `options`: `className` (string), `text` (set as textContent), `attrs`
 * (attribute name → value; `null`/`false` skip), `testid` (data-testid), `on` (event → handler),
 * `children` (nodes to append).
 */
export function el(tag, options = {}) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.testid) node.dataset.testid = options.testid;
  for (const [name, value] of Object.entries(options.attrs || {})) {
    if (value === null || value === false || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [event, handler] of Object.entries(options.on || {})) node.addEventListener(event, handler);
  for (const child of options.children || []) if (child) node.append(child);
  return node;
}

/** Sets textContent only when it differs, so idempotent updates do not disturb selection. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets or removes an attribute only when it changes. */
export function setAttr(node, name, value) {
  if (value === null || value === undefined || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) {
    node.setAttribute(name, String(value));
  }
}

/**
 * Translates the static parts of the page: a `data-i18n` attribute (a message key) sets the
 * element's textContent, and `data-i18n-attr` (pairs `attribute:key` joined by `;`) sets
 * attributes.
 */
export function translateStatic(root, t) {
  for (const node of root.querySelectorAll('[data-i18n]')) setText(node, t(node.dataset.i18n));
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) setAttr(node, attr, t(key));
    }
  }
}

/**
 * Announces `message` to screen readers through the page's polite live region. The region is
 * emptied first so that the same message twice is read twice.
 */
export function announce(message) {
  const region = document.getElementById('live-status');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => {
    region.textContent = message;
  }, 30);
}

/**
 * Copies `text` to the clipboard. Uses the async Clipboard API when the webview grants it and
 * falls back to a hidden textarea and `execCommand('copy')`, which WebKitGTK still supports
 * inside a user gesture. Resolves true when either worked.
 */
export async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied or unavailable (e.g. not a secure context): try the fallback below.
  }
  // UNSURE: WebKitGTK may refuse execCommand('copy') once a rejected writeText() has consumed the click's user activation; the caller then selects the id for Ctrl+C.
  const area = el('textarea', { className: 'clipboard-buffer', attrs: { readonly: true, 'aria-hidden': 'true', tabindex: '-1' } });
  area.value = text;
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  if (focused && typeof focused.focus === 'function') focused.focus();
  return ok;
}

/**
 * A dialog or screen built the first time it is used, so that nothing hidden is built before the
 * first paint. Any method call builds it with `mount()` and forwards; until then the methods named
 * in `idle` answer their given value without building (`update` of a dialog nobody opened yet has
 * nothing to draw; `isOpen` is false).
 */
export function lazyMount(mount, idle = { update: undefined }) {
  let built = null;
  return new Proxy(
    {},
    {
      get(_, name) {
        if (!built && Object.prototype.hasOwnProperty.call(idle, name)) return () => idle[name];
        return (...args) => {
          if (!built) built = mount();
          return built[name](...args);
        };
      },
    },
  );
}
