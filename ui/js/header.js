// The window's header: the language switch (the choice is kept in localStorage), the
// "Profile: <name>" button with the sign-in state, the mode banner (browser / sample data) and
// the version line. The elements are static in index.html; this module wires and updates them.

import { setAttr, setText } from './dom.js';
import { getLanguage, setLanguage, t } from './i18n.js';
import { describeSession } from './logic.js';
import { roleText } from './widgets.js';

/** Where the language choice is stored; clear it to follow the OS locale again. */
export const LANGUAGE_KEY = 'asg-fota.language';

/** The language saved by an earlier choice, or null. */
export function storedLanguage() {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null;
  }
}

/**
 * Wires the header. `onLanguage()` re-renders after a language change; `openProfile()` opens
 * the profile screen. Returns `{ update(view) }`.
 */
export function mountHeader({ onLanguage, openProfile }) {
  const group = document.querySelector('[data-testid="lang-switch"]');
  for (const button of group.querySelectorAll('button[data-lang]')) {
    button.addEventListener('click', () => {
      setLanguage(button.dataset.lang);
      try {
        localStorage.setItem(LANGUAGE_KEY, button.dataset.lang);
      } catch {
        // Storage can be unavailable (private mode, file: URLs); the choice then lasts a session.
      }
      onLanguage();
    });
  }
  const profileButton = document.querySelector('[data-testid="profile-button"]');
  const profileName = profileButton.querySelector('.profile-name');
  const profileState = profileButton.querySelector('.profile-state');
  profileButton.addEventListener('click', () => openProfile());
  const banner = document.getElementById('mode-banner');
  const version = document.getElementById('app-version');
  return {
    update(view) {
      for (const button of group.querySelectorAll('button[data-lang]')) {
        setAttr(button, 'aria-pressed', button.dataset.lang === getLanguage() ? 'true' : 'false');
      }
      const s = describeSession(view.session);
      setText(profileName, s ? s.profile : t('header.profile.none'));
      const signedIn = Boolean(s && s.signedIn);
      profileButton.classList.toggle('is-signed-out', Boolean(s) && !signedIn);
      setText(profileState, s ? (signedIn ? (s.role ? roleText(s.role) : t('profile.signedIn')) : t('profile.signedOut')) : '');
      setAttr(profileButton, 'aria-label', t('header.profileLabel', { name: s ? s.profile : t('header.profile.none'), state: profileState.textContent }));
      banner.hidden = view.mode === 'app';
      banner.classList.toggle('is-fake', view.mode === 'fake');
      setText(banner, view.mode === 'fake' ? t('banner.fake') : view.mode === 'browser' ? t('banner.browser') : '');
      setText(version, view.appInfo ? t('app.version', { version: view.appInfo.version }) : '');
    },
  };
}
