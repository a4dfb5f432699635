// Support for the scenarios in scenario.js: loading the real, unmodified Web SDKs in Node,
// one SDK copy per simulated browser tab, event recording with bounded waits, the
// stdin/stdout step protocol with the Rust test, and a TCP relay that can cut connections.
'use strict';

const net = require('net');
const readline = require('readline');
const util = require('util');

// stdout is the channel to the Rust test; the SDKs log through console (the version banner
// even before setLogLevel), so every console method goes to stderr.
for (const method of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[method] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

const SDK = process.env.SDK || 'v3';
if (SDK !== 'v3' && SDK !== 'v2') fail(`SDK must be v3 or v2, not ${SDK}`);

const VERBOSE = Number(process.env.SDK_DEBUG || 0); // 1: our events, 2: + SDK logs, 3: + frames

// Node 20 has no global WebSocket; both SDKs call `new WebSocket(url)` with
// binaryType "arraybuffer", which the `ws` package supports. The wrapper counts the requests
// each client sends (by servcmd), and with SDK_DEBUG=3 prints every frame on stderr, labelled
// with the client that opened the socket.
const WsWebSocket = require('ws');
const zlib = require('zlib');
let openingClient = '?';
const socketOwners = new Map(); // instanceid -> client name (reconnects reuse the instance id)
const sentByClient = new Map(); // client name -> {servcmd: count}

function frameText(data) {
  const buf = Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
  if (buf.subarray(0, 4).toString() === 'COMP') return 'COMP ' + zlib.gunzipSync(buf.subarray(4)).toString();
  return buf.toString();
}

global.WebSocket = class CountingWebSocket extends WsWebSocket {
  constructor(url, ...rest) {
    super(url, ...rest);
    const instance = (String(url).match(/instanceid=([^&]*)/) || [])[1];
    if (!socketOwners.has(instance)) socketOwners.set(instance, openingClient);
    const who = socketOwners.get(instance);
    if (!sentByClient.has(who)) sentByClient.set(who, {});
    const counts = sentByClient.get(who);
    if (VERBOSE >= 3) {
      log(`${who} socket open ${url}`);
      this.on('message', (data) => log(`${who} <<< ${frameText(data)}`));
      this.on('close', (code) => log(`${who} socket closed ${code}`));
    }
    const send = this.send.bind(this);
    this.send = (data, ...more) => {
      const text = frameText(data);
      const servcmd = (text.match(/"servcmd":"([^"]*)"/) || [])[1] || '?';
      counts[servcmd] = (counts[servcmd] || 0) + 1;
      if (VERBOSE >= 3) log(`${who} >>> ${text}`);
      return send(data, ...more);
    };
  }
};

if (SDK === 'v2') {
  // tim-js-sdk only opens a WebSocket when it believes it runs in a browser
  // (`"undefined" != typeof window`), so it needs a window; Node's global object will do.
  // It also reads navigator.userAgent and navigator.cookieEnabled (Node 20 has no navigator),
  // and listens to window events (online/offline, page life cycle), which never fire here.
  global.window = global;
  global.addEventListener = () => {};
  global.removeEventListener = () => {};
  // sendMessage measures the message size in the page's charset (document.charset).
  if (typeof document === 'undefined') global.document = { charset: 'UTF-8', characterSet: 'UTF-8' };
  if (typeof navigator === 'undefined') global.navigator = { userAgent: '', cookieEnabled: false };
}

const PACKAGE = SDK === 'v3' ? '@tencentcloud/chat' : 'tim-js-sdk';

/** Writes one JSON line to stdout (the channel the Rust test reads). */
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** Debug output, on stderr (shown by the Rust test when it fails). */
function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`[${t} ${SDK}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
}

function fail(message) {
  emit({ error: String(message) });
  process.stderr.write(`scenario failed: ${message}\n`);
  process.exit(1);
}

// The whole script must end by itself.
const HARD_TIMEOUT_MS = Number(process.env.SCENARIO_TIMEOUT_MS || 30000);
setTimeout(() => fail(`hard timeout: the scenario did not finish within ${HARD_TIMEOUT_MS} ms`), HARD_TIMEOUT_MS).unref();
process.on('unhandledRejection', (e) => {
  // The SDK rejects internal promises for commands roomcast answers with an error (sync and
  // friend commands); only log them.
  if (VERBOSE) log('unhandled rejection', e && (e.code || e.message || String(e)));
});

function required(name) {
  const v = process.env[name];
  if (v === undefined || v === '') fail(`environment variable ${name} is required`);
  return v;
}

const SDKAPPID = Number(required('SDKAPPID'));
const PORT = Number(required('ROOMCAST_PORT'));
const GROUP = process.env.GROUP_ID || 'live1';

/** Loads a fresh copy of the SDK module. The SDK keeps one instance per SDKAppID inside its
 * module scope, so each simulated client gets its own copy, as each browser tab would. */
function freshSdk() {
  const path = require.resolve(PACKAGE);
  delete require.cache[path];
  return require(path);
}

/** Element shape the Rust side asserts on. */
function summarizeMessage(m) {
  return {
    ID: m.ID,
    type: m.type,
    from: m.from,
    to: m.to,
    conversationID: m.conversationID,
    conversationType: m.conversationType,
    priority: m.priority,
    nick: m.nick,
    avatar: m.avatar,
    sequence: m.sequence,
    time: m.time,
    random: m.random,
    clientTime: m.clientTime,
    payload: m.payload && {
      text: m.payload.text,
      data: m.payload.data,
      description: m.payload.description,
      extension: m.payload.extension,
      operationType: m.payload.operationType,
      operatorID: m.payload.operatorID,
      userIDList: m.payload.userIDList,
      userDefinedField: m.payload.userDefinedField,
      groupID: m.payload.groupProfile && m.payload.groupProfile.groupID,
      operatorNick: m.payload.operatorInfo && m.payload.operatorInfo.nick,
      operatorAvatar: m.payload.operatorInfo && m.payload.operatorInfo.avatar,
      memberList: m.payload.memberList && m.payload.memberList.map((x) => ({ userID: x.userID, muteTime: x.muteTime })),
      newGroupProfile: m.payload.newGroupProfile,
    },
  };
}

function errorOf(e) {
  if (e && typeof e === 'object') return { code: e.code, message: e.message };
  return { code: undefined, message: String(e) };
}

class Client {
  /** `name` labels the output; `port` lets a client go through a relay. */
  constructor(name, { port = PORT } = {}) {
    this.name = name;
    this.sdk = freshSdk();
    this.TYPES = this.sdk.TYPES;
    this.EVENT = this.sdk.EVENT;
    openingClient = name; // create() opens the socket
    this.chat = this.sdk.create({ SDKAppID: SDKAPPID, proxyServer: `ws://127.0.0.1:${port}` });
    if (!this.chat) fail(`${name}: create() returned nothing`);
    // 0 all, 1 release, 2 warnings, 3 errors, 4 none.
    this.chat.setLogLevel(VERBOSE >= 2 ? 0 : 4);
    this.events = []; // {event, data, at}
    this.waiters = [];
    const watch = {
      SDK_READY: (e) => null,
      SDK_NOT_READY: (e) => null,
      KICKED_OUT: (e) => e.data && { type: e.data.type },
      NET_STATE_CHANGE: (e) => e.data && { state: e.data.state },
      PROFILE_UPDATED: (e) => (e.data || []).map((p) => ({ userID: p.userID, nick: p.nick, avatar: p.avatar })),
      MESSAGE_RECEIVED: (e) => (e.data || []).map(summarizeMessage),
      GROUP_LIST_UPDATED: (e) => (e.data || []).map((g) => g.groupID),
      GROUP_SYSTEM_NOTICE_RECEIVED: (e) => e.data && e.data.message && summarizeMessage(e.data.message),
      GROUP_ATTRIBUTES_UPDATED: (e) => e.data && { groupID: e.data.groupID, groupAttributes: e.data.groupAttributes },
      ERROR: (e) => e.data && { code: e.data.code, message: e.data.message },
    };
    for (const [event, shape] of Object.entries(watch)) {
      const name = this.EVENT[event];
      if (!name) continue; // not in this SDK version
      this.chat.on(name, (e) => this._record(event, shape(e)));
    }
  }

  _record(event, data) {
    if (VERBOSE) log(`${this.name} <- ${event}`, data);
    const entry = { event, data, at: Date.now() };
    this.events.push(entry);
    if (event === 'MESSAGE_RECEIVED') {
      for (const m of data) this.messages.push(m);
    }
    this.waiters = this.waiters.filter((w) => !w.check());
  }

  get messages() {
    if (!this._messages) this._messages = [];
    return this._messages;
  }

  /** Waits until `predicate()` holds (re-checked on every event), or fails the scenario. */
  until(what, predicate, timeoutMs = 8000) {
    return new Promise((resolve) => {
      const waiter = {
        check: () => {
          const v = predicate();
          if (v) {
            clearTimeout(waiter.timer);
            resolve(v);
            return true;
          }
          return false;
        },
      };
      if (waiter.check()) return;
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.events.map((e) => `${e.event}${e.data ? ' ' + JSON.stringify(e.data) : ''}`);
        fail(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; events seen: ${JSON.stringify(seen)}`);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for the `n`-th occurrence (1-based, counted from the start) of `event`. */
  waitEvent(event, { n = 1, match = () => true, timeoutMs } = {}) {
    return this.until(
      `${event}${n > 1 ? ' #' + n : ''}`,
      () => {
        const found = this.events.filter((e) => e.event === event && match(e.data));
        return found.length >= n ? found[n - 1] : null;
      },
      timeoutMs,
    );
  }

  /** Waits for a received message that satisfies `match`. */
  waitMessage(what, match, timeoutMs) {
    return this.until(`message: ${what}`, () => this.messages.find(match), timeoutMs);
  }

  /** Calls an SDK API; returns {ok, value} or {ok:false, error:{code,message}}. */
  async call(api, ...args) {
    try {
      const res = await this.chat[api](...args);
      if (VERBOSE) log(`${this.name} ${api} ->`, res && res.data);
      return { ok: true, value: res && res.data };
    } catch (e) {
      if (VERBOSE) log(`${this.name} ${api} rejected`, errorOf(e));
      return { ok: false, error: errorOf(e) };
    }
  }

  /** Like call, but the call must succeed. */
  async must(api, ...args) {
    const r = await this.call(api, ...args);
    if (!r.ok) fail(`${this.name}: ${api} rejected with ${JSON.stringify(r.error)}`);
    return r.value;
  }

  async login(userID, userSig) {
    const value = await this.must('login', { userID, userSig });
    await this.waitEvent('SDK_READY');
    return value;
  }

  joinRoom(groupID = GROUP) {
    return this.must('joinGroup', { groupID, type: this.TYPES.GRP_AVCHATROOM });
  }

  textMessage(text, priority, groupID = GROUP) {
    return this.chat.createTextMessage({
      to: groupID,
      conversationType: this.TYPES.CONV_GROUP,
      priority,
      payload: { text },
    });
  }

  customMessage(payload, priority, groupID = GROUP) {
    return this.chat.createCustomMessage({
      to: groupID,
      conversationType: this.TYPES.CONV_GROUP,
      priority,
      payload,
    });
  }

  async send(message) {
    const value = await this.must('sendMessage', message);
    return summarizeMessage(value.message);
  }

  /** Messages of one element type seen so far. */
  received(type) {
    return this.messages.filter((m) => m.type === type);
  }

  /** Whether the SDK is ready: the last of SDK_READY / SDK_NOT_READY (v2 has no isReady()). */
  isReady() {
    const last = this.events.filter((e) => e.event === 'SDK_READY' || e.event === 'SDK_NOT_READY').pop();
    return !!last && last.event === 'SDK_READY';
  }

  /** How many requests of each servcmd this client has sent, over all its sockets. */
  requestCounts() {
    return { ...(sentByClient.get(this.name) || {}) };
  }

  /** Event names in order (for the result). */
  eventNames() {
    return this.events.map((e) => e.event);
  }
}

// ---- step protocol with the Rust test --------------------------------------------------------
// The script prints {"step": name, ...} when the test should act on the server (REST calls),
// then waits for one line on stdin: the test's answer as JSON.

let stdinLines;
function stdinReader() {
  if (!stdinLines) {
    const rl = readline.createInterface({ input: process.stdin });
    const queue = [];
    const pending = [];
    rl.on('line', (line) => {
      const p = pending.shift();
      if (p) p(line);
      else queue.push(line);
    });
    rl.on('close', () => {
      for (const p of pending.splice(0)) p(null);
    });
    stdinLines = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => pending.push(r)));
  }
  return stdinLines;
}

async function step(name, data = {}) {
  const next = stdinReader();
  emit({ step: name, ...data });
  const line = await next();
  if (line === null) fail(`stdin closed while waiting for the answer to step ${name}`);
  let answer;
  try {
    answer = JSON.parse(line);
  } catch (e) {
    fail(`answer to step ${name} is not JSON: ${line}`);
  }
  if (answer && answer.abort) fail(`the test aborted at step ${name}: ${answer.abort}`);
  return answer;
}

/** Prints the result and ends the process (SDK timers would keep it alive). */
function finish(result) {
  emit({ result });
  process.stdout.write('', () => process.exit(0));
}

// ---- a TCP relay between SDK and server whose connections can be cut -------------------------
// Cutting a relayed connection closes the SDK's socket from the server side, exactly as a
// server that drops the socket (or a network that loses it); the server sees the drop too.

function startRelay(targetPort = PORT) {
  const pairs = new Set();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        connections: () => connections,
        open: () => pairs.size,
        /** Resets every relayed connection (TCP RST towards both ends). */
        cutAll() {
          const n = pairs.size;
          for (const { client, upstream } of [...pairs]) {
            client.resetAndDestroy();
            upstream.resetAndDestroy();
          }
          pairs.clear();
          return n;
        },
      });
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = { SDK, SDKAPPID, PORT, GROUP, Client, emit, log, fail, step, finish, startRelay, sleep, required };
