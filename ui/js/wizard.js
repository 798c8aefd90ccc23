// The wizard frame: the six steps of the FOTA guide and the step rail that moves between them.
//
// Owns: the step list (`STEPS`), which step the app opens on, and the left rail with
// `aria-current="step"`. Each step's content is a separate mount function in ui/js/steps/;
// a step becomes available by setting `available: true` here and mounting its own view in app.js.
// The rail's note under each step says what the wizard holds for it (the chosen group, the
// package count, the selection, a run in progress), so going back and forth shows the state.

import { el, setAttr, setText } from './dom.js';
import { t, tn } from './i18n.js';

/**
 * The six steps of shared/seed/fota-guide.en.md. `laterItems` is how many "what this step will
 * do" lines the catalogs hold (`step.N.later.1..n`) for steps that arrive later.
 */
export const STEPS = Object.freeze([
  { number: 1, id: 'group', available: true, laterItems: 0 },
  { number: 2, id: 'packages', available: true, laterItems: 0 },
  { number: 3, id: 'deployment', available: true, laterItems: 0 },
  { number: 4, id: 'history', available: true, laterItems: 0 },
  { number: 5, id: 'devices', available: true, laterItems: 0 },
  { number: 6, id: 'nodes', available: true, laterItems: 0 },
]);

/**
 * The step the app opens on: the first step that works in this version, so that the window
 * does not greet the user with a placeholder. Once step 1 is available this is step 1.
 */
export function openingStep(steps = STEPS) {
  const first = steps.find((s) => s.available);
  return first ? first.number : steps[0].number;
}

/**
 * Mounts the step rail into `nav`. `onSelect(number)` is called when the user picks a step.
 * Up/Down/Home/End move focus between the steps; Enter and Space activate (native buttons).
 */
export function mountStepRail(nav, { onSelect }) {
  const list = el('ol', { className: 'step-list' });
  const items = STEPS.map((step) => {
    const number = el('span', { className: 'step-number', text: String(step.number), attrs: { 'aria-hidden': 'true' } });
    const title = el('span', { className: 'step-title' });
    const note = el('span', { className: 'step-note' });
    const button = el('button', {
      className: 'step-link',
      testid: `step-link-${step.number}`,
      attrs: { type: 'button' },
      on: { click: () => onSelect(step.number) },
      children: [number, el('span', { className: 'step-text', children: [title, note] })],
    });
    button.dataset.step = String(step.number);
    list.append(el('li', { className: 'step-item', children: [button] }));
    return { step, button, title, note };
  });
  list.addEventListener('keydown', (event) => {
    const buttons = items.map((i) => i.button);
    const at = buttons.indexOf(document.activeElement);
    if (at === -1) return;
    const target = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    buttons[(target + buttons.length) % buttons.length].focus();
  });
  nav.prepend(list);

  return {
    update(view) {
      for (const { step, button, title, note } of items) {
        const active = view.step === step.number;
        setText(title, t(`step.${step.number}.title`));
        let noteText = '';
        if (!step.available) noteText = t('wizard.later');
        else if (step.id === 'packages' && view.entries.length > 0) noteText = tn('wizard.packagesBadge', view.entries.length);
        else if (step.id === 'group' && view.groupId) {
          const group = view.groups.items.find((g) => g.id === view.groupId);
          noteText = group ? group.name : '';
        } else if (step.id === 'devices' && view.gateways.selected.size > 0) noteText = tn('wizard.selectedBadge', view.gateways.selected.size);
        else if (step.id === 'devices' && view.gateways.running) noteText = t('wizard.running');
        else if (step.id === 'nodes' && view.nodes.running) noteText = t('wizard.running');
        setText(note, noteText);
        note.hidden = noteText === '';
        setAttr(button, 'aria-current', active ? 'step' : null);
        const label = `${t('wizard.stepNumber', { number: step.number })}: ${t(`step.${step.number}.title`)}${noteText ? ` (${noteText})` : ''}`;
        setAttr(button, 'aria-label', label);
        // Below 1000 px the rail shows only the numbers (styles.css): the tooltip names the step.
        setAttr(button, 'title', label);
        button.classList.toggle('is-active', active);
        button.classList.toggle('is-later', !step.available);
      }
    },
  };
}

/** The heading block every step panel starts with: "Step N of 6", the title and the summary. */
export function mountPanelHead(step) {
  const eyebrow = el('p', { className: 'panel-eyebrow' });
  const heading = el('h1', { className: 'panel-title', attrs: { id: `step-${step.number}-title`, tabindex: '-1' } });
  const summary = el('p', { className: 'panel-summary' });
  return {
    el: el('header', { className: 'panel-head', children: [eyebrow, heading, summary] }),
    heading,
    update() {
      setText(eyebrow, t('wizard.stepOf', { number: step.number, total: STEPS.length }));
      setText(heading, t(`step.${step.number}.title`));
      setText(summary, t(`step.${step.number}.summary`));
    },
  };
}
