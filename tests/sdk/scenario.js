#!/usr/bin/env node
// Live-room scenarios with the real, unmodified Tencent Web SDK, against a roomcast server.
// Run by tests/web_sdk_node.rs and tests/web_sdk_callbacks.rs (driver: tests/common/sdk_driver.rs);
// see lib.js for the protocol.
//
//   SDK=v3|v2 SDKAPPID=… ROOMCAST_PORT=… GROUP_ID=… [users' USERSIG_<ID>=…] node scenario.js NAME
//
// stdout: JSON lines. {"step": name, …} asks the test to act on the server and answer one JSON
// line on stdin; {"result": …} is the outcome (the process then exits 0); {"error": …} is a
// failure (exit 1). Every wait is bounded, and the whole script ends within SCENARIO_TIMEOUT_MS.
'use strict';

const { SDK, GROUP, Client, emit, fail, step, finish, startRelay, sleep, required } = require('./lib');

const sig = (user) => required(`USERSIG_${user.toUpperCase()}`);

const isText = (m) => m.type === 'TIMTextElem';
const isCustom = (m) => m.type === 'TIMCustomElem';
const isTip = (op, who) => (m) =>
  m.type === 'TIMGroupTipElem' && m.payload.operationType === op && (!who || m.payload.operatorID === who);
const isNotice = (op) => (m) => m.type === 'TIMGroupSystemNoticeElem' && m.payload.operationType === op;
const textIs = (text) => (m) => isText(m) && m.payload.text === text;

const scenarios = {
  /** Bad UserSigs are refused with their codes; login -> SDK_READY; updateMyProfile; logout. */
  async session() {
    const refused = {};
    for (const [label, badSig] of Object.entries(JSON.parse(required('BAD_SIGS')))) {
      const c = new Client(`bad-${label}`);
      const r = await c.call('login', { userID: 'alice', userSig: badSig });
      refused[label] = { ok: r.ok, error: r.error, ready: c.isReady() };
    }

    const alice = new Client('alice');
    const login = await alice.must('login', { userID: 'alice', userSig: sig('alice') });
    await alice.waitEvent('SDK_READY');
    const profile = await alice.must('updateMyProfile', { nick: 'Alice', avatar: 'https://img.example/alice.png' });
    const updated = await alice.waitEvent('PROFILE_UPDATED', { match: (d) => d.some((p) => p.nick === 'Alice') });
    // The test reads the stored profile over REST before the logout.
    await step('profile_set');
    const logout = await alice.call('logout');
    await alice.waitEvent('SDK_NOT_READY');
    finish({
      refused,
      login: { userID: login && login.userID, actionStatus: login && login.actionStatus, errorCode: login && login.errorCode },
      readyAfterLogin: true,
      profile: { nick: profile.nick, avatar: profile.avatar },
      profileUpdated: updated.data,
      logout: { ok: logout.ok, error: logout.error },
      readyAfterLogout: alice.isReady(),
      events: alice.eventNames(),
    });
  },

  /** Logged-in (push) and anonymous (long-poll) members: tips, messages with priorities,
   * REST message, system notice, online count, quit. */
  async room() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    const anon = new Client('anon');
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await alice.must('updateMyProfile', { nick: 'Alice', avatar: 'https://img.example/alice.png' });

    const anonJoin = await anon.joinRoom(); // no login: the SDK long-polls
    const bobJoin = await bob.joinRoom();
    const aliceJoin = await alice.joinRoom();
    await bob.waitMessage('join tip for alice', isTip(1, 'alice'));
    await anon.waitMessage('join tip for alice', isTip(1, 'alice'));

    const sentText = await alice.send(alice.textMessage('hello room', alice.TYPES.MSG_PRIORITY_HIGH));
    const sentCustom = await alice.send(
      alice.customMessage({ data: '{"gift":1}', description: 'gift', extension: 'x' }, alice.TYPES.MSG_PRIORITY_LOW),
    );
    for (const c of [bob, anon]) {
      await c.waitMessage('text from alice', textIs('hello room'));
      await c.waitMessage('custom from alice', isCustom);
    }

    const count = await bob.must('getGroupOnlineMemberCount', GROUP);

    await step('rest_message'); // the test sends "from REST" as host over REST
    for (const c of [alice, bob, anon]) await c.waitMessage('REST message', textIs('from REST'));

    await step('notice'); // the test sends a system notice "hello" over REST
    for (const c of [alice, bob, anon]) await c.waitMessage('system notice', isNotice(255));

    const quit = await alice.must('quitGroup', GROUP);
    await bob.waitMessage('quit tip for alice', isTip(2, 'alice'));
    await anon.waitMessage('quit tip for alice', isTip(2, 'alice'));

    finish({
      joins: {
        anon: anonJoin.status,
        bob: bobJoin.status,
        alice: aliceJoin.status,
        aliceGroup: aliceJoin.group && { groupID: aliceJoin.group.groupID, type: aliceJoin.group.type },
      },
      sent: { text: sentText, custom: sentCustom },
      onlineCount: count.memberCount,
      quit: quit.groupID,
      received: { alice: alice.messages, bob: bob.messages, anon: anon.messages },
    });
  },

  /** A logged-in member and an anonymous viewer sit in the room for a few seconds: the
   * requests the SDKs send by themselves must settle (no retry loop on an answer they dislike,
   * long polls held by the server). The only fixed wait in these scenarios: it is the
   * observation window itself. */
  async idle() {
    const alice = new Client('alice');
    const anon = new Client('anon');
    await alice.login('alice', sig('alice'));
    await anon.joinRoom();
    await alice.joinRoom();
    const windowMs = Number(process.env.IDLE_WINDOW_MS || 4500);
    await sleep(windowMs);
    finish({ windowMs, requests: { alice: alice.requestCounts(), anon: anon.requestCounts() }, events: alice.eventNames() });
  },

  /** A second login of the same user kicks the first; a REST kick kicks the second. */
  async kicks() {
    const first = new Client('bob-1');
    await first.login('bob', sig('bob'));
    await first.joinRoom();
    const second = new Client('bob-2');
    await second.login('bob', sig('bob'));
    const kicked = await first.waitEvent('KICKED_OUT');
    await first.waitEvent('SDK_NOT_READY');
    await step('first_kicked'); // the test checks who is in the room
    await step('rest_kick'); // the test kicks bob over REST
    const restKicked = await second.waitEvent('KICKED_OUT');
    await second.waitEvent('SDK_NOT_READY');
    finish({
      first: { kick: kicked.data, events: first.eventNames() },
      second: { kick: restKicked.data, events: second.eventNames() },
    });
  },

  /** The connection of a push member and of an anonymous poller is cut under them: they
   * reconnect on their own and keep receiving, and the push member can still send. */
  async reconnect() {
    const relay = await startRelay();
    const alice = new Client('alice');
    const bob = new Client('bob', { port: relay.port });
    const anon = new Client('anon', { port: relay.port });
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await anon.joinRoom();
    await bob.joinRoom();
    await alice.joinRoom();
    await alice.send(alice.textMessage('before the drop', alice.TYPES.MSG_PRIORITY_NORMAL));
    await bob.waitMessage('message before the drop', textIs('before the drop'));
    await anon.waitMessage('message before the drop', textIs('before the drop'));

    const connectionsBefore = relay.connections();
    const cutAt = Date.now();
    const cut = relay.cutAll();
    // Both SDKs notice the close and open new sockets; bob re-logs in with its A2 ticket.
    const connectedAgain = (c) =>
      c.until(`${c.name} connected again`, () =>
        c.events.find((e) => e.event === 'NET_STATE_CHANGE' && e.at >= cutAt && e.data.state === c.TYPES.NET_STATE_CONNECTED),
      15000);
    await Promise.all([connectedAgain(bob), connectedAgain(anon)]);
    await bob.until('two new relayed connections', () => relay.connections() >= connectionsBefore + 2, 15000);

    await alice.send(alice.textMessage('after the drop', alice.TYPES.MSG_PRIORITY_NORMAL));
    await bob.waitMessage('message after the drop', textIs('after the drop'), 12000);
    await anon.waitMessage('message after the drop', textIs('after the drop'), 12000);
    await bob.send(bob.textMessage('bob is back', bob.TYPES.MSG_PRIORITY_NORMAL));
    await alice.waitMessage('message from bob after his reconnect', textIs('bob is back'));
    finish({
      cut,
      connectionsBefore,
      connectionsAfter: relay.connections(),
      bob: { ready: bob.isReady(), events: bob.eventNames(), texts: bob.received('TIMTextElem').map((m) => m.payload.text) },
      anon: { texts: anon.received('TIMTextElem').map((m) => m.payload.text) },
    });
  },

  /** The group is destroyed over REST: members get the "dismissed" notice (OpType 5). */
  async dismiss() {
    const bob = new Client('bob');
    const anon = new Client('anon');
    await bob.login('bob', sig('bob'));
    await anon.joinRoom();
    await bob.joinRoom();
    await step('destroy'); // the test destroys the group over REST
    await bob.waitMessage('dismissed notice', isNotice(5));
    await anon.waitMessage('dismissed notice', isNotice(5));
    // The SDK drops the room locally: the group list no longer has it.
    await bob.waitEvent('GROUP_LIST_UPDATED', { match: (ids) => !ids.includes(GROUP) });
    const groups = await bob.must('getGroupList');
    finish({
      received: { bob: bob.messages, anon: anon.messages },
      bobGroups: (groups.groupList || []).map((g) => g.groupID),
      bobEvents: bob.eventNames(),
    });
  },

  /** Third-party callbacks with messages the SDK sends (run by tests/web_sdk_callbacks.rs,
   * whose server calls a recording backend): login, joins, a text, three sends the backend
   * refuses (ErrorCode 1), refuses with its own code (10150) and rewrites, a plain one, quitGroup,
   * logout. At each step the test checks the callbacks so far and sets the backend's next answer. */
  async callbacks() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    await alice.login('alice', sig('alice'));
    const aliceJoin = await alice.joinRoom();
    await bob.login('bob', sig('bob'));
    const bobJoin = await bob.joinRoom();
    const text = (t) => alice.textMessage(t, alice.TYPES.MSG_PRIORITY_NORMAL);

    const sent = await alice.send(text('hello backend'));
    const seen = await bob.waitMessage('alice\'s text', textIs('hello backend'));
    await step('sent', { sent, seen }); // the test checks the callbacks; the backend then refuses (1)

    const refused = await alice.call('sendMessage', text('refused'));
    await step('refused', { refused }); // the backend then refuses with 10150

    const refusedWithCode = await alice.call('sendMessage', text('refused with a code'));
    await step('refused_with_code', { refused: refusedWithCode }); // the backend then rewrites

    const rewrittenSent = await alice.send(text('bad word'));
    const rewrittenSeen = await bob.waitMessage('the rewritten text', textIs('*** rewritten ***'));
    await step('rewritten', { sent: rewrittenSent, seen: rewrittenSeen }); // the backend then lets through

    const plain = await alice.send(text('plain'));
    await bob.waitMessage('the plain text', textIs('plain'));

    const quit = await alice.must('quitGroup', GROUP);
    await bob.waitMessage('quit tip for alice', isTip(2, 'alice'));
    await step('quit'); // the test checks Group.CallbackAfterMemberExit before the logout

    const logout = await alice.call('logout');
    await alice.waitEvent('SDK_NOT_READY');
    finish({
      joins: { alice: aliceJoin.status, bob: bobJoin.status },
      plain,
      quit: quit.groupID,
      logout: { ok: logout.ok, error: logout.error },
      aliceReceived: alice.messages,
      bobTexts: bob.received('TIMTextElem').map((m) => ({ text: m.payload.text, from: m.from, ID: m.ID, sequence: m.sequence })),
    });
  },
};

// Moderation and room-state scenarios live beside these.
Object.assign(scenarios, require('./moderation_scenarios'));

const name = process.argv[2];
if (!scenarios[name]) fail(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}`);
emit({ started: name, sdk: SDK });
scenarios[name]().catch((e) => fail(`${name} threw: ${(e && e.stack) || e}`));
