// Modal dialogs: the profile screen and the confirmations of steps 3 and 5.
//
// Owns: the overlay, keeping keyboard focus inside the open dialog (Tab and Shift+Tab wrap,
// the rest of the page is `inert`), Escape to close, and giving focus back to the element that
// opened the dialog. Dialogs are built once with `el()`; only their texts change.

import { el, setText } from './dom.js';
import { t } from './i18n.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The elements of `root` that Tab reaches, in order, skipping hidden ones. */
function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((node) => !node.closest('[hidden]') && node.getClientRects().length > 0);
}

let openCount = 0;

/**
 * Creates a modal dialog. `options`: `className`, `labelledBy` (id of its heading), `onClose()`
 * (called on Escape or a click on the backdrop; the owner decides whether to `close()`).
 * Returns `{ el, box, open(), close(), isOpen() }`; put the content in `box`.
 */
export function createModal({ className = '', labelledBy, onClose, testid }) {
  const box = el('div', {
    className: `modal ${className}`.trim(),
    testid,
    attrs: { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': labelledBy, tabindex: '-1' },
  });
  const overlay = el('div', { className: 'modal-overlay', children: [box] });
  overlay.hidden = true;
  let returnTo = null;
  let inerted = [];

  overlay.addEventListener('mousedown', (event) => {
    if (event.target === overlay && onClose) onClose();
  });
  overlay.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      if (onClose) onClose();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusables(box);
    if (items.length === 0) {
      event.preventDefault();
      box.focus();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || document.activeElement === box)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  document.body.append(overlay);

  return {
    el: overlay,
    box,
    isOpen: () => !overlay.hidden,
    /** Shows the dialog and focuses `focusFirst` (or the first focusable element). */
    open(focusFirst) {
      if (!overlay.hidden) return;
      returnTo = document.activeElement;
      overlay.hidden = false;
      openCount += 1;
      // Everything else on the page goes inert, so neither Tab nor a screen reader's virtual
      // cursor can leave the dialog.
      // The live region stays live: announcements made while the dialog is open must be heard.
      inerted = [...document.body.children].filter((node) => node !== overlay && !node.hidden && !node.hasAttribute('inert') && node.id !== 'live-status');
      for (const node of inerted) node.setAttribute('inert', '');
      const target = focusFirst || focusables(box)[0] || box;
      target.focus();
    },
    close() {
      if (overlay.hidden) return;
      overlay.hidden = true;
      openCount -= 1;
      for (const node of inerted) node.removeAttribute('inert');
      inerted = [];
      if (returnTo && returnTo.isConnected && typeof returnTo.focus === 'function') returnTo.focus();
      returnTo = null;
    },
  };
}

/** Whether any modal is open (app-wide Escape handling leaves it to the dialog). */
export function modalOpen() {
  return openCount > 0;
}

let confirmParts = null;

/**
 * Asks a yes/no question in a modal and resolves true for OK, false for Cancel or Escape.
 * `lines` are paragraphs; `tone: 'danger'` styles OK as a destructive action. Focus starts on
 * Cancel, so Enter right after opening never confirms by accident.
 */
export function confirmDialog({ title, lines = [], ok, cancel, tone = 'primary' }) {
  if (!confirmParts) {
    const heading = el('h2', { className: 'modal-title', attrs: { id: 'confirm-title' } });
    const body = el('div', { className: 'modal-body' });
    const okButton = el('button', { className: 'button primary', testid: 'confirm-ok', attrs: { type: 'button' } });
    const cancelButton = el('button', { className: 'button', testid: 'confirm-cancel', attrs: { type: 'button' } });
    let settle = () => {};
    const modal = createModal({ className: 'confirm', labelledBy: 'confirm-title', testid: 'confirm-dialog', onClose: () => settle(false) });
    modal.box.append(heading, body, el('div', { className: 'modal-actions', children: [cancelButton, okButton] }));
    okButton.addEventListener('click', () => settle(true));
    cancelButton.addEventListener('click', () => settle(false));
    confirmParts = { modal, heading, body, okButton, cancelButton, setSettle: (f) => { settle = f; } };
  }
  const p = confirmParts;
  setText(p.heading, title);
  p.body.replaceChildren(...lines.map((line) => el('p', { text: line })));
  setText(p.okButton, ok || t('common.ok'));
  setText(p.cancelButton, cancel || t('common.cancel'));
  p.okButton.classList.toggle('danger', tone === 'danger');
  return new Promise((resolve) => {
    p.setSettle((answer) => {
      p.setSettle(() => {});
      p.modal.close();
      resolve(answer);
    });
    p.modal.open(p.cancelButton);
  });
}
