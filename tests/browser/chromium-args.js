// How the browser tests start Debian's headless Chromium: no sandbox (the tests may run as
// root), no GPU, no background traffic, and nothing but the loopback test servers resolves.
// Shared by run.js and demo-harness.js.
'use strict';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

// A first start on a fresh machine reads the whole browser from a cold disk and builds the
// font cache while test binaries run beside it: 20 s was once not enough on 2 cores. scripts/test
// therefore starts the browser once before the tests (warm-up.js), and the limit is generous.
const LAUNCH_TIMEOUT_MS = 60000;

/** playwright-core launch options, plus `extra` (viewport, signal handling, ...). */
function launchOptions(extra = {}) {
  return { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: LAUNCH_TIMEOUT_MS, ...extra };
}

module.exports = { CHROMIUM, ARGS, launchOptions };
