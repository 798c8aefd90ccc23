// Closing the window while a run is in flight: the shell holds the close and sends
// `close_requested`; the window asks whether to keep it open (the run goes on) or to stop the
// runs cleanly and close (`close_after_runs`: each run stops between two steps and journals
// what was done, then the app exits). A run is never dropped by a close.

import { call, on } from './backend.js';
import { confirmDialog } from './dialog.js';
import { announce } from './dom.js';
import { t } from './i18n.js';

/** Listens for the shell's close request; resolves with the unsubscribe function. */
export function listenForClose() {
  let asking = false;
  return on('close_requested', async () => {
    if (asking) return;
    asking = true;
    try {
      const stop = await confirmDialog({ title: t('runs.closeTitle'), lines: [t('runs.closeText')], ok: t('runs.closeStop'), cancel: t('runs.closeKeep'), tone: 'danger' });
      if (stop) {
        announce(t('runs.closing'));
        await call('close_after_runs');
      }
    } finally {
      asking = false;
    }
  });
}
