// Support for demo.js: Chromium, one browser context per person, steps with their timings,
// waits on what a page shows, screenshots, and the result line on stdout.
'use strict';

const fs = require('fs');
const { CHROMIUM, launchOptions } = require('./chromium-args');
const path = require('path');

const started = Date.now();
const DEBUG = Number(process.env.BROWSER_DEBUG || 0);
const HARD_TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS || 150000);
const WAIT_MS = 10000; // one wait for something a page should show
let result = null; // the run's result so far, printed if the hard timeout strikes

function log(...args) {
  const t = ((Date.now() - started) / 1000).toFixed(3).padStart(7);
  process.stderr.write(`[${t}s] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
}

/** Prints the result line and exits. */
function finish(r, status) {
  process.stdout.write(JSON.stringify(r) + '\n');
  log(`done in ${Date.now() - started} ms: ${r.ok ? 'passed' : 'FAILED'}`);
  process.exit(status);
}

setTimeout(() => {
  const r = result || { steps: [] };
  r.ok = false;
  r.error = `hard timeout: the run did not finish within ${HARD_TIMEOUT_MS} ms`;
  finish(r, 3);
}, HARD_TIMEOUT_MS).unref();

function check(cond, what) {
  if (!cond) throw new Error(what);
}

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  finish({ ok: false, error: `playwright-core is not installed in ${__dirname}/node_modules: run scripts/test` }, 2);
}
if (!fs.existsSync(CHROMIUM)) finish({ ok: false, error: `${CHROMIUM} is missing: run scripts/test` }, 2);

/** Chromium with a fresh profile; each person gets a context of their own (newUser). */
async function launch() {
  return chromium.launch(launchOptions());
}

/** A person: their own browser context and page at `base + url`, with what the page did;
 * `prepare(context)` runs before the page opens (to route requests, say). */
async function newUser(browser, base, name, url, viewport = { width: 1280, height: 720 }, prepare = null) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(WAIT_MS);
  if (prepare) await prepare(context);
  const page = await context.newPage();
  const u = { name, context, page, pageErrors: [], foreign: [], sockets: [] };
  page.on('pageerror', (e) => {
    u.pageErrors.push(String(e && e.message));
    log(`${name} page error: ${e && e.message}`);
  });
  page.on('console', (m) => DEBUG && log(`${name} console.${m.type()}: ${m.text().slice(0, 300)}`));
  // Every request of the page and its workers stays on the server under test.
  page.on('request', (req) => {
    const target = req.url();
    if (!target.startsWith(`${base}/`) && !/^(blob|data):/.test(target)) u.foreign.push(target);
  });
  page.on('websocket', (ws) => u.sockets.push(ws.url()));
  await page.goto(`${base}${url}`, { waitUntil: 'load' });
  return u;
}

/** Runs one step of the scenario; a failed step is recorded and ends the scenario. */
async function step(r, name, fn) {
  result = r;
  const t0 = Date.now();
  if (DEBUG) log(`step ${name}`);
  try {
    const value = await fn();
    r.steps.push({ name, ok: true, ms: Date.now() - t0 });
    return value;
  } catch (e) {
    const error = String((e && e.message) || e)
      .split('\n')
      .filter((l) => l.trim())
      .slice(0, 3)
      .join(' | ');
    r.steps.push({ name, ok: false, ms: Date.now() - t0, error });
    log(`step ${name} FAILED: ${error}`);
    throw e;
  }
}

/** Waits until the text of `selector` equals `want` (a string) or matches it (a RegExp). */
async function waitText(page, selector, want) {
  const spec = want instanceof RegExp ? { re: want.source, flags: want.flags } : { eq: want };
  try {
    await page.waitForFunction(
      ([sel, s]) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const text = el.textContent.trim();
        return s.re !== undefined ? new RegExp(s.re, s.flags).test(text) : text === s.eq;
      },
      [selector, spec],
    );
  } catch (e) {
    const seen = await page.textContent(selector).catch(() => '(no such element)');
    throw new Error(`${selector} never showed ${want}; it shows ${JSON.stringify(String(seen).trim().slice(0, 400))}`);
  }
}

/** Saves a PNG of `page` as SCREENSHOT_DIR/<name>.png and lists it in the result. */
async function shot(r, page, dir, name, fullPage = false) {
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  r.shots.push(file);
}

module.exports = { check, launch, newUser, step, waitText, log, shot, finish };
