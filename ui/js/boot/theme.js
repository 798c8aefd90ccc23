// Sets the colour theme before the first paint: a classic (blocking) script in <head>, so a
// dark-mode user never sees the light page flash. `../theme.js` owns the choice afterwards.
//
// `data-theme` on <html> is always the resolved theme (light or dark) that styles.css reads;
// the choice (system, light, dark) is kept in localStorage under `asg-fota.theme`.
(function () {
  var choice = 'system';
  try {
    choice = localStorage.getItem('asg-fota.theme') || 'system';
  } catch (e) {
    choice = 'system';
  }
  var dark = choice === 'dark' || (choice !== 'light' && window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
})();
