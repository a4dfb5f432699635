// Command-line switches for Debian's headless Chromium in the browser tests: no sandbox (the
// tests may run as root), no GPU, no background traffic, and nothing but the loopback test
// servers resolves. Shared by run.js and demo-harness.js.
'use strict';

module.exports = [
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
