// Keeps a release build's page from being reloaded by its keys (F5, Ctrl+R, Ctrl+Shift+R,
// Cmd+R): a reload would hide the runs in flight until the page reattaches to them. The shell
// marks release builds (`window.__ASG_FOTA_BLOCK_RELOAD__`, set by an init script); debug
// builds keep the keys so the WebDriver tests can reload (the page reattaches either way).

/** Whether the key event `e` asks the web view to reload. */
export function isReloadKey(e) {
  if (!e || typeof e.key !== 'string') return false;
  if (e.key === 'F5') return true;
  return (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'r';
}

/** Blocks the reload keys on `target` when the shell asked for it; returns whether it did. */
export function guardReloadKeys(target = globalThis.window) {
  if (!target || !target.__ASG_FOTA_BLOCK_RELOAD__) return false;
  target.addEventListener('keydown', (e) => {
    if (!isReloadKey(e)) return;
    e.preventDefault();
    e.stopPropagation();
  }, true);
  return true;
}
