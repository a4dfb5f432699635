#!/usr/bin/env node
// The live-room flow with the real, unmodified Tencent Web SDK browser bundles, in a real
// headless Chromium (Debian's /usr/bin/chromium; nothing is ever downloaded), against a running
// roomcast. Run by tests/web_sdk_browser.rs.
//
//   ROOMCAST_URL=ws://127.0.0.1:PORT SDKAPPID=… GROUP_ID=… ALICE_SIG=… BOB_SIG=… node run.js
//
// Optional: ROOMCAST_TEST_SDK_DIR (tests/sdk, holding node_modules with @tencentcloud/chat and
// tim-js-sdk; default ../sdk), GROUP_ID_V3 / GROUP_ID_V2 (a room per SDK; default GROUP_ID),
// SDKS (default "v3,v2"), SCREENSHOT_DIR (a PNG per page), CHROMIUM (default /usr/bin/chromium),
// BROWSER_TIMEOUT_MS (hard limit for the whole run, default 120000), BROWSER_DEBUG (1: steps and
// page console; 2: + SDK logs; 3: + every WebSocket frame).
//
// A tiny HTTP server on 127.0.0.1:0 serves one page per client (`/?sdk=v3&name=alice`), the
// harness script the page runs (`/harness.js`) and the two SDK bundles (`/sdk/v3.js`,
// `/sdk/v2.js`) loaded with <script>. Each client (alice, bob, an anonymous viewer) is its own
// page with its own SDK instance, created with `proxyServer: ROOMCAST_URL`.
//
// stdout: one JSON line per SDK version, {"sdk", "ok", "steps": [{name, ok, ms, error?}], …}.
// Diagnostics go to stderr. Exit status 0 only if every step of every version passed.
'use strict';

const fs = require('fs');
const { CHROMIUM, launchOptions } = require('./chromium-args');
const http = require('http');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const started = Date.now();
let userDataDir = null; // Chromium's profile, a fresh temp dir per run
let context = null;
let httpServer = null;
let aborting = false; // set by the hard timeout: everything else stands down
const DEBUG = Number(process.env.BROWSER_DEBUG || 0);
const HARD_TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS || 120000);
const WAIT_MS = 10000; // one awaited SDK event or API call

function log(...args) {
  const t = ((Date.now() - started) / 1000).toFixed(3).padStart(7);
  process.stderr.write(`[${t}s] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
}

function die(message, status = 2) {
  process.stdout.write(JSON.stringify({ error: String(message) }) + '\n');
  log(`run.js: ${message}`);
  cleanupSync();
  process.exit(status);
}

function required(name) {
  const v = process.env[name];
  if (v === undefined || v === '') die(`environment variable ${name} is required`);
  return v;
}

// ---- inputs ------------------------------------------------------------------------------------

const ROOMCAST_URL = required('ROOMCAST_URL').replace(/\/+$/, '');
if (!/^wss?:\/\/[^/]+/.test(ROOMCAST_URL)) die(`ROOMCAST_URL must look like ws://127.0.0.1:PORT, not ${ROOMCAST_URL}`);
const SDKAPPID = Number(required('SDKAPPID'));
const GROUP_ID = required('GROUP_ID');
const ALICE_SIG = required('ALICE_SIG');
const BOB_SIG = required('BOB_SIG');
const SDKS = (process.env.SDKS || 'v3,v2').split(',').map((s) => s.trim()).filter(Boolean);
for (const s of SDKS) if (s !== 'v3' && s !== 'v2') die(`SDKS may list v3 and v2, not ${s}`);
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const SDK_DIR = path.resolve(__dirname, process.env.ROOMCAST_TEST_SDK_DIR || '../sdk');

const BUNDLES = {
  v3: { pkg: '@tencentcloud/chat', file: 'index.js', global: 'TencentCloudChat' },
  v2: { pkg: 'tim-js-sdk', file: 'tim-js.js', global: 'TIM' },
};
for (const [sdk, b] of Object.entries(BUNDLES)) {
  b.path = path.join(SDK_DIR, 'node_modules', b.pkg, b.file);
  const manifest = path.join(SDK_DIR, 'node_modules', b.pkg, 'package.json');
  if (!fs.existsSync(b.path) || !fs.existsSync(manifest)) {
    die(`${b.path} is missing (${sdk} SDK bundle): run scripts/test (npm ci in tests/sdk) or set ROOMCAST_TEST_SDK_DIR`);
  }
  b.version = JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}
if (!fs.existsSync(CHROMIUM)) die(`${CHROMIUM} is missing: run scripts/test (it installs the Debian package chromium)`);

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  die(`playwright-core is not installed in ${path.join(__dirname, 'node_modules')}: run scripts/test (npm ci in tests/browser)`);
}

// ---- the page and its harness --------------------------------------------------------------------

function pageHtml(sdk, name) {
  const esc = (s) => String(s).replace(/[^\w.@/-]/g, '');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>roomcast ${esc(sdk)} ${esc(name)}</title>
<style>
body { font: 13px/1.4 monospace; margin: 12px; background: #fafafa; }
h1 { font-size: 15px; margin: 0 0 8px; }
#log { white-space: pre-wrap; margin: 0; }
.fail { color: #b00; }
</style></head>
<body><h1 id="title">roomcast · ${esc(sdk)} (${BUNDLES[sdk] ? `${esc(BUNDLES[sdk].pkg)} ${esc(BUNDLES[sdk].version)}` : '?'}) · ${esc(name)}</h1>
<pre id="log"></pre>
<script src="/sdk/${esc(sdk)}.js"></script>
<script src="/harness.js"></script>
</body></html>
`;
}

// Runs in the page. `window.rc` is what run.js drives through page.evaluate; everything it
// returns is plain JSON.
function harness() {
  const q = new URLSearchParams(location.search);
  const SDK = q.get('sdk');
  const NAME = q.get('name');
  const Lib = SDK === 'v3' ? window.TencentCloudChat : window.TIM;
  const logEl = document.getElementById('log');
  const show = (line, cls) => {
    const div = document.createElement('div');
    div.textContent = `${new Date().toISOString().slice(11, 23)} ${line}`;
    if (cls) div.className = cls;
    logEl.appendChild(div);
  };

  const summarize = (m) => ({
    ID: m.ID,
    type: m.type,
    from: m.from,
    to: m.to,
    conversationID: m.conversationID,
    priority: m.priority,
    nick: m.nick,
    avatar: m.avatar,
    sequence: m.sequence,
    time: m.time,
    payload: m.payload && {
      text: m.payload.text,
      data: m.payload.data,
      description: m.payload.description,
      extension: m.payload.extension,
      operationType: m.payload.operationType,
      operatorID: m.payload.operatorID,
      userIDList: m.payload.userIDList,
      groupID: m.payload.groupProfile && m.payload.groupProfile.groupID,
      operatorNick: m.payload.operatorInfo && m.payload.operatorInfo.nick,
    },
  });
  const describe = (m) => {
    const p = m.payload || {};
    if (m.type === 'TIMTextElem') return `text "${p.text}" from ${m.from} (${m.nick}, ${m.priority})`;
    if (m.type === 'TIMCustomElem') return `custom ${p.data} from ${m.from} (${m.nick}, ${m.priority})`;
    if (m.type === 'TIMGroupTipElem') return `tip op ${p.operationType} by ${p.operatorID}`;
    return `${m.type} from ${m.from}`;
  };
  const errorOf = (e) => (e && typeof e === 'object' ? { code: e.code, message: e.message } : { message: String(e) });

  const rc = {
    sdk: SDK,
    name: NAME,
    version: Lib && Lib.VERSION,
    loaded: !!Lib,
    events: [], // {event, data, at}
    messages: [],
    waiters: [],
    chat: null,
  };
  window.rc = rc;
  // The SDKs leave promises of their own unhandled when the server answers a command outside
  // the live-room subset with an error (friends, contact groups, ...): noted, not page errors.
  rc.rejections = [];
  window.addEventListener('unhandledrejection', (e) => {
    const r = e.reason;
    rc.rejections.push(r && typeof r === 'object' ? { code: r.code, message: r.message } : { message: String(r) });
    e.preventDefault();
  });
  show(Lib ? `${SDK} SDK loaded` : `${SDK} SDK global is missing`, Lib ? '' : 'fail');

  rc.record = (event, data) => {
    rc.events.push({ event, data, at: Date.now() });
    if (event === 'MESSAGE_RECEIVED') {
      for (const m of data) {
        rc.messages.push(m);
        show(`received ${describe(m)}`);
      }
    } else {
      show(`${event}${data ? ' ' + JSON.stringify(data) : ''}`);
    }
    rc.waiters = rc.waiters.filter((w) => !w());
  };

  rc.create = (proxyServer, SDKAppID, logLevel) => {
    rc.chat = Lib.create({ SDKAppID, proxyServer });
    if (!rc.chat) throw new Error('create() returned nothing');
    rc.chat.setLogLevel(logLevel); // 0 all … 4 none
    const shapes = {
      SDK_READY: () => null,
      SDK_NOT_READY: () => null,
      KICKED_OUT: (e) => e.data && { type: e.data.type },
      NET_STATE_CHANGE: (e) => e.data && { state: e.data.state },
      PROFILE_UPDATED: (e) => (e.data || []).map((p) => ({ userID: p.userID, nick: p.nick, avatar: p.avatar })),
      MESSAGE_RECEIVED: (e) => (e.data || []).map(summarize),
      ERROR: (e) => e.data && { code: e.data.code, message: e.data.message },
    };
    for (const [event, shape] of Object.entries(shapes)) {
      if (Lib.EVENT[event]) rc.chat.on(Lib.EVENT[event], (e) => rc.record(event, shape(e)));
    }
    show(`created with proxyServer ${proxyServer}`);
    return true;
  };

  // Resolves with the first value `check` returns that is truthy, re-checked on every event.
  const until = (what, check, timeoutMs) =>
    new Promise((resolve, reject) => {
      let timer;
      const waiter = () => {
        const v = check();
        if (!v) return false;
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      if (waiter()) return;
      timer = setTimeout(() => {
        rc.waiters = rc.waiters.filter((w) => w !== waiter);
        const seen = rc.events.map((e) => e.event + (e.data ? ' ' + JSON.stringify(e.data) : ''));
        show(`timed out waiting for ${what}`, 'fail');
        reject(new Error(`${NAME}: timed out after ${timeoutMs} ms waiting for ${what}; events seen: ${JSON.stringify(seen)}`));
      }, timeoutMs);
      rc.waiters.push(waiter);
    });

  rc.waitEvent = (event, timeoutMs, afterIndex = 0) =>
    until(event, () => rc.events.slice(afterIndex).find((e) => e.event === event), timeoutMs).then((e) => e.data);

  // spec: {type, text, op, operator}
  const matches = (m, s) =>
    (!s.type || m.type === s.type) &&
    (s.text === undefined || (m.payload && m.payload.text === s.text)) &&
    (s.op === undefined || (m.payload && m.payload.operationType === s.op)) &&
    (s.operator === undefined || (m.payload && m.payload.operatorID === s.operator));
  rc.waitMessage = (spec, timeoutMs) =>
    until(`message ${JSON.stringify(spec)}`, () => rc.messages.find((m) => matches(m, spec)), timeoutMs);

  // Calls an API; resolves with a JSON summary of res.data, rejects with {code, message} text.
  const summaries = {
    login: (d) => ({ actionStatus: d.actionStatus, errorCode: d.errorCode }),
    updateMyProfile: (d) => ({ nick: d.nick, avatar: d.avatar }),
    joinGroup: (d) => ({ status: d.status, group: d.group && { groupID: d.group.groupID, type: d.group.type } }),
    sendMessage: (d) => summarize(d.message),
    getGroupOnlineMemberCount: (d) => ({ memberCount: d.memberCount }),
    quitGroup: (d) => ({ groupID: d.groupID }),
    logout: () => ({}),
  };
  rc.call = async (api, ...args) => {
    const shown = args.map((a) =>
      api === 'sendMessage'
        ? describe(a).replace(/ from \S+ \(.*\)$/, ` (${a.priority})`)
        : JSON.stringify(a, (k, v) => (k === 'userSig' ? `<${String(v).length} chars>` : v)),
    );
    show(`${api}(${shown.join(', ')})`);
    try {
      const res = await rc.chat[api](...args);
      const value = (summaries[api] || (() => ({})))((res && res.data) || {});
      show(`${api} -> ${JSON.stringify(value)}`);
      return value;
    } catch (e) {
      const err = errorOf(e);
      show(`${api} rejected ${JSON.stringify(err)}`, 'fail');
      throw new Error(`${NAME}: ${api} rejected with ${JSON.stringify(err)}`);
    }
  };

  rc.send = (kind, groupID, priority, payload) => {
    const opts = { to: groupID, conversationType: Lib.TYPES.CONV_GROUP, priority: Lib.TYPES[priority], payload };
    const message = kind === 'text' ? rc.chat.createTextMessage(opts) : rc.chat.createCustomMessage(opts);
    return rc.call('sendMessage', message);
  };

  rc.avChatRoom = () => Lib.TYPES.GRP_AVCHATROOM;
  rc.eventNames = () => rc.events.map((e) => e.event);
  rc.mark = (line, ok) => show(line, ok ? '' : 'fail');
}

// ---- static server -------------------------------------------------------------------------------

function startServer() {
  const harnessJs = `'use strict';\n(${harness.toString()})();\n`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only');
    if (url.pathname === '/') {
      return send(200, 'text/html; charset=utf-8', pageHtml(url.searchParams.get('sdk'), url.searchParams.get('name')));
    }
    if (url.pathname === '/harness.js') return send(200, 'text/javascript; charset=utf-8', harnessJs);
    const m = url.pathname.match(/^\/sdk\/(v3|v2)\.js$/);
    if (m) {
      return fs.readFile(BUNDLES[m[1]].path, (err, data) =>
        err ? send(500, 'text/plain', String(err)) : send(200, 'text/javascript; charset=utf-8', data),
      );
    }
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    return send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---- browser -------------------------------------------------------------------------------------

function cleanupSync() {
  if (userDataDir) {
    try {
      fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (_) {
      /* Chromium may still hold files; the temp dir is all that is left behind */
    }
    userDataDir = null;
  }
}

async function launch() {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-chromium-'));
  return chromium.launchPersistentContext(
    userDataDir,
    launchOptions({ viewport: { width: 900, height: 700 }, handleSIGINT: true, handleSIGTERM: true, handleSIGHUP: true }),
  );
}

/** What a /binfo frame says, as text (binary frames may be COMP + gzip). */
function frameText(payload) {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload));
  if (buf.subarray(0, 4).toString() === 'COMP') {
    try {
      return 'COMP ' + zlib.unzipSync(buf.subarray(4), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
    } catch (e) {
      return `COMP <${buf.length} bytes, ${e.message}>`;
    }
  }
  return buf.toString();
}

/** Opens one client page, with its SDK instance created. */
async function openClient(sdk, name, origin, sockets) {
  const page = await context.newPage();
  const label = `${sdk}/${name}`;
  const client = { name, page, label, pageErrors: [], requests: {}, socketUrls: [], foreign: [] };
  // Every request of the page (and its workers) must stay on the test page's origin.
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin + '/') && !/^(blob|data):/.test(url)) {
      client.foreign.push(url);
      log(`${label} request to another host: ${url}`);
    }
  });
  page.on('pageerror', (e) => {
    client.pageErrors.push(String(e && e.message));
    log(`${label} page error: ${e && e.message}`);
  });
  page.on('console', (msg) => {
    if (DEBUG >= 1) log(`${label} console.${msg.type()}: ${msg.text()}`);
  });
  // Frames, wherever the SDK opened its socket (in Chromium it is inside a Blob Web Worker);
  // counted by servcmd so a request loop shows up.
  page.on('websocket', (ws) => {
    client.socketUrls.push(ws.url());
    sockets.push({ client: name, url: ws.url() });
    if (DEBUG >= 3) log(`${label} socket ${ws.url()}`);
    ws.on('framesent', (f) => {
      const text = frameText(f.payload);
      const servcmd = (text.match(/"servcmd":"([^"]*)"/) || [])[1] || '?';
      client.requests[servcmd] = (client.requests[servcmd] || 0) + 1;
      if (DEBUG >= 3) log(`${label} >>> ${text}`);
    });
    ws.on('framereceived', (f) => {
      if (DEBUG >= 3) log(`${label} <<< ${frameText(f.payload)}`);
    });
    ws.on('close', () => DEBUG >= 3 && log(`${label} socket closed`));
  });
  await page.goto(`${origin}/?sdk=${sdk}&name=${encodeURIComponent(name)}`, { waitUntil: 'load', timeout: 15000 });
  const loaded = await page.evaluate(() => window.rc && window.rc.loaded);
  if (!loaded) throw new Error(`${label}: the ${BUNDLES[sdk].global} global is missing after loading /sdk/${sdk}.js`);
  await page.evaluate(([url, id, level]) => window.rc.create(url, id, level), [ROOMCAST_URL, SDKAPPID, DEBUG >= 2 ? 0 : 4]);
  return client;
}

// ---- the scenario --------------------------------------------------------------------------------

// Per SDK version, so that each run really changes alice's stored profile (the SDK emits
// PROFILE_UPDATED only for a change) and the receivers prove they got the current one.
const nickOf = (sdk) => `Alice (${sdk})`;
const avatarOf = (sdk) => `https://img.example/alice-${sdk}.png`;
const TEXT = 'hello from chromium';
const CUSTOM = { data: '{"gift":1}', description: 'gift', extension: 'x' };

let current = null; // the result being built, printed on a hard timeout

async function runSdk(sdk, origin) {
  const group = process.env[`GROUP_ID_${sdk.toUpperCase()}`] || GROUP_ID;
  const NICK = nickOf(sdk);
  const AVATAR = avatarOf(sdk);
  const r = {
    sdk,
    package: BUNDLES[sdk].pkg,
    version: BUNDLES[sdk].version,
    group,
    ok: false,
    steps: [],
  };
  current = r;
  const sockets = [];
  const clients = {};
  const ev = (c, fn, ...args) => c.page.evaluate(fn, args);
  const step = async (name, fn) => {
    const t0 = Date.now();
    if (DEBUG) log(`${sdk} step ${name}`);
    try {
      const value = await fn();
      r.steps.push({ name, ok: true, ms: Date.now() - t0 });
      return value;
    } catch (e) {
      const error = String((e && e.message) || e).split('\n')[0];
      r.steps.push({ name, ok: false, ms: Date.now() - t0, error });
      log(`${sdk} step ${name} FAILED: ${error}`);
      throw e;
    }
  };
  const call = (c, api, ...args) => ev(c, ([a, rest]) => window.rc.call(a, ...rest), api, args);
  const waitEvent = (c, event, afterIndex = 0) => ev(c, ([e, t, i]) => window.rc.waitEvent(e, t, i), event, WAIT_MS, afterIndex);
  const waitMessage = (c, spec) => ev(c, ([s, t]) => window.rc.waitMessage(s, t), spec, WAIT_MS);
  const eventCount = (c) => ev(c, () => window.rc.events.length);
  const check = (cond, what) => {
    if (!cond) throw new Error(what);
  };

  try {
    await step('open_pages', async () => {
      for (const name of ['alice', 'bob', 'anon']) clients[name] = await openClient(sdk, name, origin, sockets);
      r.sdkVersion = await ev(clients.alice, () => window.rc.version);
      r.userAgent = await ev(clients.alice, () => navigator.userAgent);
    });
    const { alice, bob, anon } = clients;

    r.login = await step('login', async () => {
      const [a, b] = await Promise.all([
        call(alice, 'login', { userID: 'alice', userSig: ALICE_SIG }),
        call(bob, 'login', { userID: 'bob', userSig: BOB_SIG }),
      ]);
      await Promise.all([waitEvent(alice, 'SDK_READY'), waitEvent(bob, 'SDK_READY')]);
      return { alice: a, bob: b };
    });

    r.profile = await step('update_profile', async () => {
      const set = await call(alice, 'updateMyProfile', { nick: NICK, avatar: AVATAR });
      const updated = await waitEvent(alice, 'PROFILE_UPDATED');
      // The SDK fetches its own profile after login (portrait_get_all) while this update runs;
      // when the update's answer lands first, v3 reports the new profile with userID "".
      const mine = (updated || []).find((p) => p.userID === 'alice' || p.userID === '');
      check(mine && mine.nick === NICK && mine.avatar === AVATAR, `PROFILE_UPDATED ${JSON.stringify(updated)}`);
      return { set, updated: mine };
    });

    r.joins = await step('join', async () => {
      const type = await ev(alice, () => window.rc.avChatRoom());
      const anonJoin = await call(anon, 'joinGroup', { groupID: group, type }); // no login: long poll
      const bobJoin = await call(bob, 'joinGroup', { groupID: group, type });
      const aliceJoin = await call(alice, 'joinGroup', { groupID: group, type });
      for (const [who, j] of Object.entries({ anon: anonJoin, bob: bobJoin, alice: aliceJoin })) {
        check(j.status === 'JoinedSuccess', `${who} joinGroup resolved ${JSON.stringify(j)}`);
      }
      return { anon: anonJoin, bob: bobJoin, alice: aliceJoin };
    });

    r.joinTips = await step('join_tip', async () => {
      const spec = { type: 'TIMGroupTipElem', op: 1, operator: 'alice' };
      const [b, a] = await Promise.all([waitMessage(bob, spec), waitMessage(anon, spec)]);
      return { bob: b, anon: a };
    });

    r.sent = await step('send', async () => {
      const text = await ev(alice, ([g, t]) => window.rc.send('text', g, 'MSG_PRIORITY_HIGH', { text: t }), group, TEXT);
      const custom = await ev(alice, ([g, p]) => window.rc.send('custom', g, 'MSG_PRIORITY_HIGH', p), group, CUSTOM);
      return { text, custom };
    });

    r.received = await step('receive', async () => {
      const got = {};
      await Promise.all(
        ['bob', 'anon'].map(async (who) => {
          const c = clients[who];
          const text = await waitMessage(c, { type: 'TIMTextElem', text: TEXT });
          const custom = await waitMessage(c, { type: 'TIMCustomElem' });
          got[who] = { text, custom };
        }),
      );
      for (const [who, { text, custom }] of Object.entries(got)) {
        for (const [kind, m] of Object.entries({ text, custom })) {
          const where = `${who}'s ${kind} ${JSON.stringify(m)}`;
          check(m.from === 'alice', `${where}: from`);
          check(m.nick === NICK, `${where}: sender nick`);
          check(m.avatar === AVATAR, `${where}: sender avatar`);
          check(m.priority === 'High', `${where}: priority`);
          check(m.ID === r.sent[kind].ID, `${where}: the sender's message ID ${r.sent[kind].ID}`);
        }
        check(custom.payload.data === CUSTOM.data && custom.payload.description === CUSTOM.description
          && custom.payload.extension === CUSTOM.extension, `${who}'s custom payload ${JSON.stringify(custom.payload)}`);
      }
      return got;
    });

    r.onlineCount = await step('online_count', async () => {
      const { memberCount } = await call(bob, 'getGroupOnlineMemberCount', group);
      check(memberCount === 3, `getGroupOnlineMemberCount: ${memberCount}, expected 3 (alice, bob, anon)`);
      return memberCount;
    });

    r.quit = await step('quit', async () => {
      const q = await call(alice, 'quitGroup', group);
      check(q.groupID === group, `quitGroup resolved ${JSON.stringify(q)}`);
      const spec = { type: 'TIMGroupTipElem', op: 2, operator: 'alice' };
      const [b, a] = await Promise.all([waitMessage(bob, spec), waitMessage(anon, spec)]);
      return { bob: b, anon: a };
    });

    await step('logout', async () => {
      for (const c of [alice, bob]) {
        const before = await eventCount(c);
        await call(c, 'logout');
        await waitEvent(c, 'SDK_NOT_READY', before);
      }
    });

    // Nothing but our loopback servers, and no page errors.
    await step('clean', async () => {
      const foreign = sockets.filter((s) => !s.url.startsWith(ROOMCAST_URL + '/'));
      check(foreign.length === 0, `sockets to other hosts: ${JSON.stringify(foreign)}`);
      const requests = Object.values(clients).flatMap((c) => c.foreign.map((u) => `${c.name}: ${u}`));
      check(requests.length === 0, `requests to other hosts: ${JSON.stringify(requests)}`);
      const errors = Object.values(clients).flatMap((c) => c.pageErrors.map((e) => `${c.name}: ${e}`));
      check(errors.length === 0, `page errors: ${JSON.stringify(errors)}`);
      // The SDKs' housekeeping must not turn into a request loop: in a run of a few seconds
      // no command but keep-alives, stats and long polls is sent more than a handful of times.
      const busy = Object.values(clients).flatMap((c) =>
        Object.entries(c.requests)
          .filter(([cmd, n]) => n > 3 && !/^heartbeat\.|^imopenstat\.|long_polling/.test(cmd))
          .map(([cmd, n]) => `${c.name} ${cmd} x${n}`),
      );
      check(busy.length === 0, `repeated requests: ${JSON.stringify(busy)}`);
      const framesSeen = Object.values(clients).every((c) => Object.keys(c.requests).length > 0);
      check(framesSeen, 'no WebSocket frames were seen for some page (cannot check for request loops)');
    });
    r.ok = r.steps.every((s) => s.ok);
  } catch (e) {
    r.ok = false;
    if (!r.steps.some((s) => !s.ok)) r.steps.push({ name: 'harness', ok: false, error: String((e && e.message) || e) });
  } finally {
    await finishClients(r, clients, sockets);
  }
  return r;
}

async function finishClients(r, clients, sockets) {
  if (aborting) return;
  r.sockets = sockets.map((s) => `${s.client} ${s.url.replace(/[?].*/, '')}`);
  r.requests = {};
  r.events = {};
  for (const [name, c] of Object.entries(clients)) {
    r.requests[name] = c.requests;
    try {
      await c.page.evaluate((ok) => window.rc && window.rc.mark(ok ? 'scenario passed' : 'scenario FAILED', ok), r.ok);
      r.events[name] = await c.page.evaluate(() => window.rc.eventNames());
      (r.unhandledRejections = r.unhandledRejections || {})[name] = await c.page.evaluate(() => window.rc.rejections);
      if (SCREENSHOT_DIR) {
        fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const file = path.join(SCREENSHOT_DIR, `${r.sdk}-${name}.png`);
        await c.page.screenshot({ path: file, fullPage: true, timeout: 5000 });
        (r.screenshots = r.screenshots || []).push(file);
      }
    } catch (e) {
      log(`${r.sdk}/${name}: ${e.message.split('\n')[0]}`);
    }
    await c.page.close().catch(() => {});
  }
}

async function main() {
  const hard = setTimeout(async () => {
    aborting = true;
    if (current) {
      current.ok = false;
      current.steps.push({ name: 'hard_timeout', ok: false, error: `not done within ${HARD_TIMEOUT_MS} ms` });
      process.stdout.write(JSON.stringify(current) + '\n');
    }
    // Chromium is closed (briefly waited for) before its profile directory is removed.
    const browser = context;
    context = null;
    if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    die(`hard timeout: the run did not finish within ${HARD_TIMEOUT_MS} ms`, 3);
  }, HARD_TIMEOUT_MS);
  hard.unref();

  httpServer = await startServer();
  const origin = `http://127.0.0.1:${httpServer.address().port}`;
  log(`serving the test pages on ${origin}; roomcast at ${ROOMCAST_URL}; bundles from ${SDK_DIR}`);
  try {
    context = await launch();
  } catch (e) {
    die(`cannot launch ${CHROMIUM}: ${e.message.split('\n').slice(0, 6).join(' | ')}`);
  }
  let allOk = true;
  for (const sdk of SDKS) {
    const t0 = Date.now();
    const r = await runSdk(sdk, origin);
    if (aborting) return; // the hard timeout reports and exits
    r.ms = Date.now() - t0;
    current = null;
    allOk = allOk && r.ok;
    process.stdout.write(JSON.stringify(r) + '\n');
    log(`${sdk}: ${r.ok ? 'passed' : 'FAILED'} in ${r.ms} ms`);
  }
  if (aborting) return;
  const browser = context;
  context = null;
  await browser.close().catch(() => {});
  httpServer.close();
  cleanupSync();
  log(`done in ${Date.now() - started} ms`);
  process.exit(allOk ? 0 : 1);
}

process.on('unhandledRejection', (e) => log('unhandled rejection', String((e && e.stack) || e)));
main().catch((e) => die(`run.js: ${(e && e.stack) || e}`));
