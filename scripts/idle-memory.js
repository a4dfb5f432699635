#!/usr/bin/env node
// Server memory per idle, logged-in, joined Web SDK connection.
//
//   cargo build --release && node scripts/idle-memory.js [connections=2000]
//
// Starts target/release/roomcast on a temporary SQLite file, opens N WebSockets on loopback,
// logs each in as its own user (UserSig from Tencent's npm tls-sig-api-v2, installed by
// scripts/test) and joins one AVChatRoom, then reads the server's VmRSS from /proc before and
// after. Bounded: at most 19 000 connections, 120 s overall.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const root = path.resolve(__dirname, '..');
const WebSocket = require(path.join(root, 'tests/sdk/node_modules/ws'));
const TLSSigAPIv2 = require(path.join(root, 'tests/crosscheck/node_modules/tls-sig-api-v2'));

const N = Math.min(parseInt(process.argv[2] || '2000', 10), 19000);
const SDKAPPID = 1400000099;
const KEY = 'idle-memory-secret';
const api = new TLSSigAPIv2.Api(SDKAPPID, KEY);
setTimeout(() => { console.error('timed out'); process.exit(2); }, 120000).unref();

const rssKb = (pid) => parseInt(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1], 10);

function call(ws, servcmd, body, head = {}) {
  return new Promise((resolve) => {
    const seq = ++ws.seq;
    ws.pending.set(seq, resolve);
    ws.send(Buffer.from(JSON.stringify({ head: { servcmd, seq, ...head }, body })));
  });
}

function open(base, i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/binfo?sdkappid=${SDKAPPID}&instanceid=idle${i}`);
    ws.seq = 0;
    ws.pending = new Map();
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      const done = ws.pending.get(frame.head.seq);
      if (done) { ws.pending.delete(frame.head.seq); done(frame.body); }
    });
    ws.on('open', async () => {
      const user = `viewer${i}`;
      const login = await call(ws, 'im_open_status.wslogin', {}, { identifier: user, usersig: api.genUserSig(user, 3600) });
      const head = { a2: login.A2Key, tinyid: login.TinyId };
      const join = await call(ws, 'group_open_http_svc.apply_join_group', { GroupId: 'idle' }, head);
      if (join.ErrorCode !== 0) return reject(new Error(JSON.stringify(join)));
      resolve(ws);
    });
    ws.on('error', reject);
  });
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-idle-'));
  const server = spawn(path.join(root, 'target/release/roomcast'), [], {
    env: { ...process.env, ROOMCAST_LISTEN: '127.0.0.1:0', ROOMCAST_DATABASE_URL: `sqlite://${dir}/rc.db`,
      ROOMCAST_SDKAPPID: String(SDKAPPID), ROOMCAST_SECRET_KEY: KEY, ROOMCAST_LOG: 'warn',
      ROOMCAST__ROOM__MEMBER_TIPS: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const addr = await new Promise((resolve) => server.stdout.on('data', (d) => {
    const m = /listening on http:\/\/(\S+)/.exec(d.toString());
    if (m) resolve(m[1]);
  }));
  const admin = api.genUserSig('administrator', 3600);
  const rest = `http://${addr}/v4/group_open_http_svc/create_group?sdkappid=${SDKAPPID}&identifier=administrator&usersig=${admin}&random=1&contenttype=json`;
  await fetch(rest, { method: 'POST', body: JSON.stringify({ Type: 'AVChatRoom', Name: 'Idle', GroupId: 'idle' }) });
  // Warm up allocator and tables with a few connections before the baseline.
  const warm = [];
  for (let i = 0; i < 50; i++) warm.push(await open(`ws://${addr}`, N + i));
  const before = rssKb(server.pid);
  const sockets = [];
  for (let i = 0; i < N; i += 100) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => open(`ws://${addr}`, i + k))));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssKb(server.pid);
  const perConnection = ((after - before) * 1024) / N;
  console.log(JSON.stringify({ connections: N, rss_before_kb: before, rss_after_kb: after, bytes_per_connection: Math.round(perConnection) }));
  for (const ws of [...sockets, ...warm]) ws.terminate();
  server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((e) => { console.error(e); process.exit(1); });
