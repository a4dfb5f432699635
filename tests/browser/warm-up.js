// Starts Debian's Chromium once and closes it, the way the browser tests do, so that the first
// test does not pay for a cold start (disk reads, font cache) and a broken browser is reported
// before the suite builds. Run by scripts/test; prints how long the start took.
'use strict';

const { chromium } = require('playwright-core');
const { launchOptions } = require('./chromium-args');

(async () => {
  const t0 = Date.now();
  const browser = await chromium.launch(launchOptions());
  const page = await browser.newPage();
  await page.setContent('<p>ready</p>');
  const text = await page.textContent('p');
  await browser.close();
  if (text !== 'ready') throw new Error(`the page said ${JSON.stringify(text)}`);
  console.log(`chromium started and rendered a page in ${Date.now() - t0} ms`);
})().catch((e) => {
  console.error(`chromium does not start: ${e.message.split('\n').slice(0, 6).join(' | ')}`);
  process.exit(1);
});
