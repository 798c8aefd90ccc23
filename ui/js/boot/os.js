// Names the operating system on <html data-os="windows|macos|linux"> before the first paint (a
// classic, blocking script like theme.js), so styles.css can give each system its own short font
// stack. A long stack of names that are not installed is not free: on Linux each missing family is
// a fontconfig search at first paint (150–250 ms for the old twelve-name stack, docs/benchmarks.md).
(function () {
  var ua = navigator.userAgent || '';
  var os = /Windows/.test(ua) ? 'windows' : /Mac OS X|Macintosh/.test(ua) ? 'macos' : /Linux|X11/.test(ua) ? 'linux' : '';
  if (os) document.documentElement.setAttribute('data-os', os);
})();
