// The panel of a step that arrives in a later version: says so, and lists what the step will do
// (from the guide and issue 5) so the user knows where the wizard is going.

import { el, setText } from '../dom.js';
import { t } from '../i18n.js';
import { mountPanelHead } from '../wizard.js';

/** Mounts the "arrives later" panel of `step` into `section`; `onGoTo(n)` opens step n. */
export function mountLaterStep(section, step, { onGoTo }) {
  const head = mountPanelHead(step);
  const badge = el('p', { className: 'later-badge' });
  const willDo = el('h2', { className: 'section-title' });
  const items = Array.from({ length: step.laterItems }, () => el('li'));
  const meanwhile = el('p', { className: 'muted' });
  const goTo = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => onGoTo(2) } });
  section.append(
    head.el,
    el('div', {
      className: 'card later-card',
      children: [badge, willDo, el('ul', { className: 'later-list', children: items }), el('div', { className: 'later-footer', children: [meanwhile, goTo] })],
    }),
  );

  return {
    update() {
      head.update();
      setText(badge, t('later.title'));
      setText(willDo, t('later.willDo'));
      items.forEach((li, i) => setText(li, t(`step.${step.number}.later.${i + 1}`)));
      setText(meanwhile, t('later.meanwhile'));
      setText(goTo, t('later.goToPackages'));
    },
  };
}
