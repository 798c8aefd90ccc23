// Tests of windowedTable (ui/js/widgets.js) on a small fake DOM: the rows it builds as the view
// scrolls, and that the end of a 10,000-row table stays reachable.
//
// The fake viewport reproduces what WebKitGTK was measured doing in the app's window (the
// table benchmark, then a copy of windowedTable mounted in the running app): on the layout after
// rows were taken out of a view scrolled to the very end, scrollTop moves back by their height
// although the content keeps its height. The table then drew rows 9,955–9,982 of 10,000, and
// scrolling to the end again did the same, so the last rows could never be reached.

import { test } from 'node:test';
import assert from 'node:assert/strict';

class FakeNode {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parentNode = null;
    this.className = '';
    this.dataset = {};
    this.attributes = new Map();
    this.listeners = {};
    this.text = '';
  }

  get textContent() {
    return this.text;
  }

  set textContent(value) {
    this.text = String(value);
  }

  get lastElementChild() {
    return this.children[this.children.length - 1] || null;
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  addEventListener(type, handler) {
    (this.listeners[type] ||= []).push(handler);
  }

  dispatch(type) {
    for (const handler of this.listeners[type] || []) handler({ type, target: this });
  }

  append(...nodes) {
    for (const node of nodes) this.insertBefore(node, null);
  }

  insertBefore(node, before) {
    if (node.parentNode) node.remove();
    const at = before ? this.children.indexOf(before) : -1;
    if (at < 0) this.children.push(node);
    else this.children.splice(at, 0, node);
    node.parentNode = this;
    return node;
  }

  remove() {
    const parent = this.parentNode;
    if (!parent) return;
    parent.children.splice(parent.children.indexOf(this), 1);
    this.parentNode = null;
    let scroller = parent;
    while (scroller && !scroller.isScroller) scroller = scroller.parentNode;
    if (scroller && this.className.includes('vtable-row')) scroller.removedHeight += ROW;
  }
}

const ROW = 44;
const HEAD = 36;
const VIEW = 440;

/** The `.vtable-viewport`: 440 px high, content = header + spacers + built rows. */
class FakeViewport extends FakeNode {
  /** Turns the table's own viewport element into this fake (before the first draw). */
  static adopt(node) {
    Object.setPrototypeOf(node, FakeViewport.prototype);
    Object.assign(node, { isScroller: true, top: 0, removedHeight: 0 });
    return node;
  }

  get clientHeight() {
    return VIEW;
  }

  get scrollHeight() {
    const [, topSpacer, body, bottomSpacer] = this.children;
    const svg = (spacer) => Number(spacer.children[0].getAttribute('height'));
    return HEAD + svg(topSpacer) + body.children.length * ROW + svg(bottomSpacer);
  }

  /** A layout, as reading or setting scrollTop forces one, with WebKit's move at the end. */
  layout() {
    const max = this.scrollHeight - VIEW;
    if (this.removedHeight > 0 && this.top === max) this.move(this.top - this.removedHeight);
    this.removedHeight = 0;
    this.top = Math.max(0, Math.min(this.top, this.scrollHeight - VIEW));
  }

  move(to) {
    if (to === this.top) return;
    this.top = to;
    pendingScroll = true;
  }

  get scrollTop() {
    this.layout();
    return this.top;
  }

  set scrollTop(value) {
    this.layout();
    this.move(Math.max(0, Math.min(Number(value), this.scrollHeight - VIEW)));
  }
}

let frames = [];
let pendingScroll = false;
globalThis.requestAnimationFrame = (callback) => frames.push(callback);
globalThis.document = {
  createElement: (tag) => new FakeNode(tag),
  createElementNS: (_ns, tag) => new FakeNode(tag),
  activeElement: null,
};

const { windowedTable } = await import('../../ui/js/widgets.js');

/** Runs what a browser's next frame would: the scroll event, then animation frames. */
function nextFrame(viewport) {
  if (pendingScroll) {
    pendingScroll = false;
    viewport.dispatch('scroll');
  }
  const now = frames;
  frames = [];
  for (const callback of now) callback();
}

function settle(viewport) {
  for (let i = 0; i < 10; i += 1) nextFrame(viewport);
}

function makeTable(count) {
  const table = windowedTable({
    className: 'gateway-table',
    rowHeight: ROW,
    header: new FakeNode('div'),
    keyOf: (item) => item.id,
    buildRow: () => {
      const row = new FakeNode('div');
      row.className = 'vtable-row';
      return { el: row, update: (item) => { row.dataset.id = item.id; } };
    },
  });
  FakeViewport.adopt(table.viewport);
  table.update(Array.from({ length: count }, (_, i) => ({ id: `gw-${i}` })), {});
  return table;
}

/** The built rows' aria-rowindex range (the header is row 1). */
function shown(table) {
  const body = table.viewport.children[2];
  const index = body.children.map((row) => Number(row.getAttribute('aria-rowindex')));
  return { first: Math.min(...index), last: Math.max(...index), count: index.length };
}

test('scrolled to the very end, the table builds its last row and stays there', () => {
  const table = makeTable(10000);
  const { viewport } = table;
  assert.equal(viewport.scrollHeight, HEAD + 10000 * ROW);
  assert.equal(shown(table).first, 2);

  viewport.scrollTop = viewport.scrollHeight / 2;
  settle(viewport);
  assert.ok(shown(table).first > 4900 && shown(table).last < 5100, JSON.stringify(shown(table)));

  for (let attempt = 0; attempt < 2; attempt += 1) {
    viewport.scrollTop = viewport.scrollHeight;
    settle(viewport);
    assert.equal(viewport.scrollTop, viewport.scrollHeight - VIEW, 'the view stays at the end');
    assert.equal(shown(table).last, 10001, `the last gateway is built: ${JSON.stringify(shown(table))}`);
  }
});

test('the content keeps its height whatever slice is built', () => {
  const table = makeTable(2500);
  const { viewport } = table;
  for (const to of [0, 44 * 10 + 7, 50000, viewport.scrollHeight]) {
    viewport.scrollTop = to;
    settle(viewport);
    assert.equal(viewport.scrollHeight, HEAD + 2500 * ROW, `at ${to}`);
  }
});
