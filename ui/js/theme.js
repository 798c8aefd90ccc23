// The colour theme: system, light or dark, chosen in the header and remembered.
//
// Owns the choice (localStorage `asg-fota.theme`), the resolved `data-theme` attribute on
// <html> that styles.css reads, and following the OS while the choice is "system".
// `boot/theme.js` applies the stored choice before the first paint; this module takes over.

import { setAttr, setText } from './dom.js';
import { t } from './i18n.js';

export const THEMES = Object.freeze(['system', 'light', 'dark']);
const THEME_KEY = 'asg-fota.theme';

/** The resolved theme for a choice: `system` follows the OS (`prefersDark`). */
export function resolveTheme(choice, prefersDark) {
  if (choice === 'light' || choice === 'dark') return choice;
  return prefersDark ? 'dark' : 'light';
}

/** The stored choice, `system` when none (or storage is unavailable). */
export function storedTheme() {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return THEMES.includes(value) ? value : 'system';
  } catch {
    return 'system';
  }
}

const darkQuery = () => (window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null);

function apply(choice) {
  const query = darkQuery();
  document.documentElement.setAttribute('data-theme', resolveTheme(choice, Boolean(query && query.matches)));
}

/**
 * Wires the header's theme `<select>` (`data-testid="theme-select"`). Returns `{ update() }`
 * for the language change (its option labels come from the catalogs).
 */
export function mountThemeSwitch(select) {
  let choice = storedTheme();
  apply(choice);
  const query = darkQuery();
  if (query) query.addEventListener('change', () => apply(choice));
  select.addEventListener('change', () => {
    choice = THEMES.includes(select.value) ? select.value : 'system';
    try {
      localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage can be unavailable; the choice then lasts this session.
    }
    apply(choice);
  });
  return {
    update() {
      while (select.options.length < THEMES.length) select.append(document.createElement('option'));
      THEMES.forEach((name, i) => {
        select.options[i].value = name;
        setText(select.options[i], t(`theme.${name}`));
      });
      select.value = choice;
      setAttr(select, 'aria-label', t('theme.label'));
      setAttr(select, 'title', t('theme.label'));
    },
  };
}
