// Screenshots of every step and the profile screen in English and Korean, light and dark, plus
// the interaction timings of step 5's 10,000-gateway table, taken with headless Chromium on
// the fake backend (?fake=1). Not a test the runner picks up: run it by hand and LOOK at the
// pictures.
//
//   python3 -m http.server 8765 &                     # at the repository root
//   (cd /tmp/pw && npm i playwright-core)              # once; any scratch folder
//   PLAYWRIGHT=/tmp/pw/node_modules/playwright-core/index.mjs \
//     node tests/ui/screenshots.mjs /tmp/shots           # writes PNGs, prints timings

const [, , out = '/tmp/shots'] = process.argv;
const { chromium } = await import(process.env.PLAYWRIGHT || 'playwright-core');
const base = process.env.UI_URL || 'http://localhost:8765/ui/index.html';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });

const bottom = async (page) => {
  await page.evaluate(() => { const m = document.getElementById('main'); m.scrollTop = m.scrollHeight; });
  await page.waitForTimeout(200);
};
const shots = [
  ['1-group', '', 2500, null],
  ['2-upload', '&fakeStep=2', 2500, null],
  ['3-deployment', '&fakeStep=3', 10000, bottom],
  ['3-confirm', '&fakeStep=3', 10000, async (p) => { await bottom(p); await p.click('[data-testid="deploy-create"]'); await p.waitForTimeout(300); }],
  ['4-history', '&fakeStep=4', 2500, null],
  ['5-devices', '&fakeStep=5', 2500, async (p) => {
    await p.click('[data-testid="update-now"]');
    await p.click('[data-testid="confirm-ok"]');
    await p.waitForTimeout(3000);
    await p.click('[data-testid="gateway-row"] >> nth=5 >> [data-testid="device-status"]');
    await bottom(p);
  }],
  ['6-nodes', '&fakeStep=6', 2500, async (p) => { await p.click('[data-testid="update-all-outdated"]'); await p.click('[data-testid="confirm-ok"]'); await p.waitForTimeout(1200); }],
  ['profile-signin', '', 2500, async (p) => {
    await p.click('[data-testid="profile-button"]');
    await p.waitForTimeout(500);
    await p.click('[data-testid="profile-activate"] >> nth=1');
    await p.waitForTimeout(500);
    await p.click('[data-testid="signin-start"]');
    await p.waitForTimeout(1200);
  }],
  ['profile-edit', '', 2500, async (p) => {
    await p.click('[data-testid="profile-button"]');
    await p.waitForTimeout(500);
    await p.click('[data-testid="profile-edit"] >> nth=1');
    await p.waitForTimeout(300);
  }],
];

const errors = [];
for (const [lang, locale] of [['en', 'en-US'], ['ko', 'ko-KR']]) {
  for (const scheme of ['light', 'dark']) {
    await Promise.all(shots.map(async ([name, query, wait, act]) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: scheme });
      page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
      await page.goto(`${base}?fake=1&fakeLocale=${locale}${query}`);
      await page.waitForTimeout(wait);
      if (act) await act(page);
      await page.screenshot({ path: `${out}/${lang}-${scheme}-${name}.png` });
      await page.close();
    }));
  }
}

// Timings: each action, then the next frame, in the page's own clock.
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`${base}?fake=1&fakeLocale=en-US&fakeStep=5`);
await page.waitForTimeout(2500);
const timeIt = (label, source) => page.evaluate(async ([l, src]) => {
  const act = new Function(src);
  const t0 = performance.now();
  act();
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return `${l}: ${(performance.now() - t0).toFixed(1)} ms`;
}, [label, source]);
const filter = (q) => `const i = document.querySelector('[data-testid="gateway-filter"]'); i.value = '${q}'; i.dispatchEvent(new Event('input', { bubbles: true }));`;
for (const [label, source] of [
  ['select all (10,000)', `document.querySelector('[data-testid="select-all"]').click()`],
  ['clear selection', `document.querySelector('[data-testid="select-all"]').click()`],
  ['filter keystroke', filter('ab')],
  ['filter cleared', filter('')],
  ['toggle one row', `document.querySelector('[data-testid="gateway-select"]').click()`],
  ['scroll to the middle', `document.querySelector('.gateway-table .vtable-viewport').scrollTop = 220000`],
  ['scroll to the end', `document.querySelector('.gateway-table .vtable-viewport').scrollTop = 1e7`],
]) console.log(await timeIt(label, source));
console.log('gateway rows in the DOM:', await page.evaluate(() => document.querySelectorAll('[data-testid="gateway-row"]').length));
if (errors.length) console.log('page errors:', errors);
await browser.close();
