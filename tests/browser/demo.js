#!/usr/bin/env node
// The demo live room and the operator console as people use them: several browser contexts
// (separate cookies, storage and SDK instances) in Debian's headless Chromium, driven by
// playwright-core, against a roomcast that runs its development app. Run by tests/web_demo.rs.
//
//   ROOMCAST_BASE=http://127.0.0.1:PORT SCREENSHOT_DIR=… node demo.js
//
// Optional: CHROMIUM (default /usr/bin/chromium), BROWSER_TIMEOUT_MS (whole run, default 150000),
// BROWSER_DEBUG=1 (steps and page console on stderr).
//
// Every check is on what a person sees: text, attributes and state of the page's elements.
// stdout: one JSON line {ok, steps: [{name, ok, ms, error?}], …facts for the Rust side}.
'use strict';

const { check, launch, newUser, step, waitText, log, shot, finish } = require('./demo-harness');

const BASE = (process.env.ROOMCAST_BASE || '').replace(/\/+$/, '');
if (!/^http:\/\/[^/]+$/.test(BASE))
  finish({ ok: false, error: `ROOMCAST_BASE must be http://host:port, not ${BASE}` }, 2);
const SHOTS = process.env.SCREENSHOT_DIR || '';
const ROOM = 'demo';

async function main() {
  const r = { ok: false, steps: [], shots: [] };
  const browser = await launch();
  const users = {};
  const user = async (name, url, viewport, prepare) =>
    (users[name] = await newUser(browser, BASE, name, url, viewport, prepare));
  const lines = (u, sel) => u.page.$$eval(sel, (ls) => ls.map((l) => l.textContent.trim()));
  const enabled = (u) => u.page.waitForSelector('#chatInput:not([disabled])');
  const disabled = (u) => u.page.waitForSelector('#chatInput[disabled]');
  const placeholder = (u) => u.page.getAttribute('#chatInput', 'placeholder');
  const say = async (u, text) => {
    await u.page.fill('#chatInput', text);
    await u.page.press('#chatInput', 'Enter');
  };
  const tap = (u, id, times) =>
    u.page.evaluate(
      ([b, n]) => {
        for (let i = 0; i < n; i++) document.getElementById(b).click();
      },
      [id, times],
    );
  const gifts = (u) =>
    u.page.$$eval('li.gift-line', (ls) => ls.map((l) => [Number(l.dataset.count), Number(l.dataset.combo)]));
  const consoleRow = (c, room, cell) => c.page.textContent(`tr[data-id="${room}"] .${cell}`);
  const consoleLog = (c) => lines(c, '#log li');
  const run = (name, fn) => step(r, name, fn);

  try {
    await run('landing', async () => {
      const home = await user('home', '/');
      await waitText(home.page, '#sdkStatus', /@tencentcloud\/chat 3\.6\.6/);
      await waitText(home.page, '#appStatus', /development/);
      check((await home.page.getAttribute('#demoLink', 'href')) === '/demo/', 'the landing page links the demo');
      check((await home.page.getAttribute('#consoleLink', 'href')) === '/console/', 'and the console');
      await home.context.close();
      delete users.home;
    });

    await run('sdk_missing', async () => {
      // As on a machine where `npm ci --prefix web` was not run: the pages say what to run.
      const u = await user('nosdk', '/', undefined, (ctx) =>
        ctx.route('**/sdk/chat/**', (route) => route.fulfill({ status: 404, body: 'not found' })),
      );
      await waitText(u.page, '#sdkStatus', 'Web SDK: not installed');
      await waitText(u.page, '#notice', /npm ci --prefix web/);
      await u.page.goto(`${BASE}/demo/`);
      await waitText(u.page, '#notice', /The Tencent Web SDK is not installed[\s\S]*npm ci --prefix web/);
      await waitText(u.page, '#status', 'Web SDK missing');
      check(await u.page.isHidden('#loginForm'), 'no login without the SDK');
      await u.context.close();
      delete users.nosdk;
    });

    await run('guest_watches', async () => {
      const guest = await user('guest', '/demo/');
      await waitText(guest.page, '#status', /watching as guest/);
      check((await placeholder(guest)) === 'Log in to chat', `guest input: ${await placeholder(guest)}`);
      check(await guest.page.isDisabled('#giftBtn'), 'a guest cannot send gifts');
      check(await guest.page.isVisible('#loginForm'), 'the login form is offered');
    });

    await run('log_in', async () => {
      for (const [name, avatar] of [
        ['Alice', 2],
        ['Bob', 5],
      ]) {
        const u = await user(name.toLowerCase(), '/demo/');
        await waitText(u.page, '#status', /watching as guest/);
        await u.page.click(`#avatarChoices button:nth-child(${avatar})`);
        await u.page.fill('#nameInput', name);
        await u.page.click('#loginBtn');
        await enabled(u);
        await waitText(u.page, '#meNick', name);
        await waitText(u.page, '#status', new RegExp(`live · ${name.toLowerCase()}`));
      }
      // The guest saw both arrive, with their nicks.
      await waitText(users.guest.page, '#messages', /Alice joined[\s\S]*Bob joined/);
      await waitText(users.guest.page, '#onlineCount', '3');
    });

    r.chat = await run('text_and_danmaku', async () => {
      const { alice, bob, guest } = users;
      await say(alice, 'hello from alice');
      for (const u of [bob, guest]) {
        await u.page.waitForSelector('li.msg[data-from="alice"]');
        check((await u.page.textContent('li.msg[data-from="alice"] .nick')) === 'Alice', `${u.name}: nick`);
        check((await u.page.textContent('li.msg[data-from="alice"] .text')) === 'hello from alice', `${u.name}: text`);
        const avatar = await u.page.getAttribute('li.msg[data-from="alice"] img.avatar', 'src');
        check(avatar === `${BASE}/assets/avatars/2.svg`, `${u.name}: alice's avatar ${avatar}`);
      }
      await waitText(bob.page, '#danmaku', /hello from alice/);
      await say(bob, 'hi alice, nice stream');
      await say(alice, 'thanks bob!');
      await say(bob, 'sending roses');
      // Both must have the last text before their lists are read (a push and a long-poll can
      // arrive in either order).
      await waitText(alice.page, '#messages', /sending roses/);
      await waitText(guest.page, '#messages', /sending roses/);
      return { alice: await lines(alice, 'li.msg .text'), guest: await lines(guest, 'li.msg .text') };
    });

    r.gifts = await run('gift_combo', async () => {
      // 25 taps in one burst: one High message of 20 at once, then one of 5 within a second.
      await tap(users.alice, 'giftBtn', 25);
      const want = JSON.stringify([
        [20, 20],
        [5, 25],
      ]);
      for (const u of [users.bob, users.guest, users.alice]) {
        await u.page.waitForFunction(
          (w) =>
            JSON.stringify(
              [...document.querySelectorAll('li.gift-line')].map((l) => [
                Number(l.dataset.count),
                Number(l.dataset.combo),
              ]),
            ) === w,
          want,
        );
      }
      await waitText(users.bob.page, '#giftToasts', /Alice sent Rose×5 · combo 25/);
      return { bob: await gifts(users.bob), guest: await gifts(users.guest) };
    });

    r.likes = await run('likes', async () => {
      // 30 taps: the first is sent at once, the other 29 merged into one Low message.
      await tap(users.alice, 'likeBtn', 30);
      for (const u of [users.alice, users.bob, users.guest]) await waitText(u.page, '#likeCount', '30');
      await shot(r, users.bob.page, SHOTS, 'demo'); // danmaku, gift toasts, hearts, chat
      return { bob: Number(await users.bob.page.textContent('#likeCount')) };
    });

    await run('console_lists_rooms', async () => {
      const c = await user('console', '/console/', { width: 1280, height: 900 });
      await waitText(c.page, '#who', /administrator/);
      await c.page.waitForFunction(() => document.querySelector('tr[data-id="demo"] .online')?.textContent === '3');
      await waitText(c.page, '#members', /Alice[\s\S]*alice/);
      await waitText(c.page, '#members', /Bob[\s\S]*bob/);
      // A second room, for the dismissal at the end.
      await c.page.fill('#newRoomId', 'finale');
      await c.page.fill('#newRoomName', 'Finale');
      await c.page.click('#createBtn');
      await c.page.waitForSelector('tr[data-id="finale"]');
      await waitText(c.page, '#roomTitle', 'finale');
      await c.page.click('tr[data-id="demo"]');
      await waitText(c.page, '#roomTitle', 'demo');
    });
    r.stats = await run('room_stats', () =>
      users.console.page.evaluate(async () => {
        const sig = await roomcast.devUserSig('administrator');
        const dev = await roomcast.devConfig();
        const api = new Api({ sdkAppId: dev.SDKAppID, identifier: 'administrator', userSig: sig });
        return (await api.call('roomcast/get_room_stats', { GroupIdList: ['demo'] })).RoomList[0];
      }),
    );

    await run('mute_all', async () => {
      const c = users.console;
      await c.page.click('#muteAllBtn');
      for (const u of [users.alice, users.bob]) {
        await disabled(u);
        check((await placeholder(u)) === 'The host muted the room', `${u.name}: ${await placeholder(u)}`);
        check(await u.page.isDisabled('#giftBtn'), `${u.name}: gifts off while muted`);
      }
      await waitText(c.page, 'tr[data-id="demo"] .muteall', 'On');
      await shot(r, users.alice.page, SHOTS, 'demo-muted');
      await c.page.click('#muteAllBtn');
      for (const u of [users.alice, users.bob]) await enabled(u);
      await waitText(c.page, 'tr[data-id="demo"] .muteall', 'Off');
    });

    await run('notice_and_broadcast', async () => {
      const c = users.console;
      await c.page.fill('#noticeText', 'The show starts in 5 minutes');
      await c.page.click('#noticeBtn');
      for (const u of [users.alice, users.guest])
        await waitText(u.page, '.banner.notice', /NOTICE\s*The show starts in 5 minutes/);
      await c.page.fill('#broadcastText', 'Hello, every room');
      await c.page.click('#broadcastBtn');
      for (const u of [users.bob, users.guest])
        await waitText(u.page, '.banner.broadcast', /BROADCAST\s*Hello, every room/);
      await waitText(c.page, '#log', /Broadcast: “Hello, every room”/);
      check(!(await consoleLog(c)).some((l) => /failed/.test(l)), `console log: ${await consoleLog(c)}`);
    });

    await run('mute_member', async () => {
      const c = users.console;
      await c.page.fill('#memberId', 'alice');
      await c.page.click('#muteBtn');
      await disabled(users.alice);
      check(/^You are muted until/.test(await placeholder(users.alice)), await placeholder(users.alice));
      check(!(await users.bob.page.isDisabled('#chatInput')), 'bob can still speak');
      await waitText(c.page, '#muted', /alice/);
      await c.page.click('#unmuteBtn');
      await enabled(users.alice);
    });

    await run('dirty_words', async () => {
      const c = users.console;
      await c.page.fill('#wordInput', 'spoiler');
      await c.page.click('#addWordBtn');
      await c.page.waitForSelector('#words li[data-word="spoiler"]');
      await say(users.alice, 'big spoiler ahead');
      await waitText(users.alice.page, '#messages', /Not sent: the message contains a filtered word/);
      await c.page.click('#words li[data-word="spoiler"] button');
      await c.page.waitForSelector('#words li[data-word="spoiler"]', { state: 'detached' });
    });

    await run('ban', async () => {
      const c = users.console;
      await c.page.fill('#memberId', 'bob');
      await c.page.click('#banBtn');
      await users.bob.page.waitForSelector('#overlay[data-state="banned"]');
      await waitText(users.bob.page, '#overlayTitle', 'You were banned from this room');
      check(await users.bob.page.isDisabled('#chatInput'), 'a banned viewer cannot type');
      await waitText(users.alice.page, '#messages', /bob was banned by a moderator/);
      await c.page.waitForFunction(() => document.querySelector('tr[data-id="demo"] .online')?.textContent === '2');
      await waitText(c.page, '#banned', /bob/);
      await shot(r, c.page, SHOTS, 'console', true);
      await shot(r, users.bob.page, SHOTS, 'demo-banned');
    });

    await run('unban', async () => {
      const c = users.console;
      await c.page.click('#banned li[data-id="bob"] button');
      await waitText(c.page, '#banned', 'Nobody');
      // Bob takes the page's way back in: reload, then log in again.
      const bob = users.bob;
      await bob.page.click('#overlayBtn');
      await waitText(bob.page, '#status', /watching as guest/);
      await bob.page.fill('#nameInput', 'Bob');
      await bob.page.click('#loginBtn');
      await enabled(bob);
      await waitText(users.alice.page, '#messages', /bob was unbanned[\s\S]*Bob joined/);
    });

    r.usersig = await run('issue_usersig', async () => {
      const c = users.console;
      await c.page.fill('#sigUser', 'carol');
      await c.page.click('#issueSigBtn');
      await c.page.waitForSelector('#sigOut:not(.hidden)');
      return c.page.inputValue('#sigOut');
    });

    await run('kicked_by_second_login', async () => {
      const again = await user('alice2', '/demo/');
      await waitText(again.page, '#status', /watching as guest/);
      await again.page.fill('#nameInput', 'Alice');
      await again.page.click('#loginBtn');
      await enabled(again);
      await users.alice.page.waitForSelector('#overlay[data-state="kicked"]');
      await waitText(users.alice.page, '#overlayText', /same name in another window/);
    });

    await run('log_out_and_notices_toggle', async () => {
      const again = users.alice2;
      await again.page.click('#logoutBtn');
      await waitText(again.page, '#status', /watching as guest/);
      check(await again.page.isVisible('#loginForm'), 'the login form is back');
      check((await placeholder(again)) === 'Log in to chat', await placeholder(again));
      const g = users.guest.page;
      await waitText(g, '#messages', /Alice left/);
      check(await g.isVisible('li.tip'), 'join and leave notices are shown by default');
      await g.click('#tipsToggle');
      check(await g.isHidden('li.tip'), 'the toggle hides them');
      check(await g.isVisible('li.msg'), 'and only them');
      await g.click('#tipsToggle');
    });

    await run('dismissed', async () => {
      const c = users.console;
      const g = users.guest.page;
      await g.goto(`${BASE}/demo/?room=finale`);
      await waitText(g, '#status', /watching as guest/);
      await c.page.click('tr[data-id="finale"]');
      await waitText(c.page, '#roomTitle', 'finale');
      await c.page.click('#destroyBtn');
      await c.page.click('#destroyBtn'); // the second click confirms
      await g.waitForSelector('#overlay[data-state="dismissed"]');
      await waitText(g, '#overlayTitle', 'This live room has ended');
      await c.page.waitForSelector('tr[data-id="finale"]', { state: 'detached' });
    });

    await run('clean', async () => {
      const all = Object.values(users);
      const errors = all.flatMap((u) => u.pageErrors.map((e) => `${u.name}: ${e}`));
      check(errors.length === 0, `page errors: ${JSON.stringify(errors)}`);
      const foreign = all.flatMap((u) => u.foreign.map((e) => `${u.name}: ${e}`));
      check(foreign.length === 0, `requests to other hosts: ${JSON.stringify(foreign)}`);
      const sockets = all.flatMap((u) => u.sockets);
      check(
        sockets.length > 0 && sockets.every((s) => s.startsWith(`${BASE.replace('http', 'ws')}/binfo?`)),
        `${sockets}`,
      );
    });
    r.ok = r.steps.every((s) => s.ok);
  } catch (_) {
    // The failed step is in r.steps; the scenario ends there.
  } finally {
    r.consoleLog = users.console ? await consoleLog(users.console).catch(() => []) : [];
    await browser.close().catch(() => {});
  }
  return r;
}

main().then(
  (r) => finish(r, r.ok ? 0 : 1),
  (e) => finish({ ok: false, error: String((e && e.stack) || e) }, 1),
);
