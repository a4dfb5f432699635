// Moderation and room-state scenarios with the real Web SDK (run through scenario.js): muted,
// banned, group attributes and history on join, as a live-room page would see them.
'use strict';

const { GROUP, Client, step, finish, sleep, required } = require('./lib');

const sig = (user) => required(`USERSIG_${user.toUpperCase()}`);
const isTip = (op) => (m) => m.type === 'TIMGroupTipElem' && m.payload.operationType === op;
const isNotice = (op) => (m) => m.type === 'TIMGroupSystemNoticeElem' && m.payload.operationType === op;
const textIs = (text) => (m) => m.type === 'TIMTextElem' && m.payload.text === text;
const attributesAre = (wanted) => (d) => JSON.stringify(d.groupAttributes) === JSON.stringify(wanted);

module.exports = {
  /** A member is muted, then the whole room: the SDK shows both (tips a page uses to disable
   * its input box, getGroupProfile) and sending fails with 10017. */
  async muted() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await alice.joinRoom();
    await bob.joinRoom();
    const text = (t) => bob.textMessage(t, bob.TYPES.MSG_PRIORITY_NORMAL);
    await step('mute_bob'); // forbid_send_msg bob for 60 s
    const muteTip = await bob.waitMessage('member muted tip', isTip(bob.TYPES.GRP_TIP_MBR_PROFILE_UPDATED));
    const seenByAlice = await alice.waitMessage('member muted tip', isTip(alice.TYPES.GRP_TIP_MBR_PROFILE_UPDATED));
    const mutedSend = await bob.call('sendMessage', text('am I muted?'));
    await step('mute_all'); // unmute bob, then MuteAllMember On
    const allTip = await bob.waitMessage('mute-all tip', isTip(bob.TYPES.GRP_TIP_GRP_PROFILE_UPDATED));
    const profile = await bob.must('getGroupProfile', { groupID: GROUP });
    const allMutedSend = await bob.call('sendMessage', text('and now?'));
    finish({
      muteTip: muteTip.payload,
      seenByAlice: seenByAlice.payload.memberList,
      mutedSend,
      allTip: allTip.payload.newGroupProfile,
      profileMuteAll: profile.group.muteAllMembers,
      allMutedSend,
    });
  },

  /** Bob is banned: he is told, the SDK drops the room, he receives nothing more and cannot
   * rejoin (10007); alice sees the ban tip. */
  async banned() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    const anon = new Client('anon');
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await alice.joinRoom();
    await bob.joinRoom();
    await anon.joinRoom();
    await step('ban_bob');
    const banTip = await alice.waitMessage('ban tip', isTip(alice.TYPES.GRP_TIP_BAN_AVCHATROOM_MEMBER || 10));
    const notice = await bob.waitMessage('banned notice', isNotice(21));
    await bob.waitEvent('GROUP_LIST_UPDATED', { match: (ids) => !ids.includes(GROUP) });
    await alice.send(alice.textMessage('after the ban', alice.TYPES.MSG_PRIORITY_NORMAL));
    // Once the viewer has it, a delivery to bob (which must not happen) would have come too;
    // the second wait covers the push path being a little later than the poll.
    await anon.waitMessage('text after the ban', textIs('after the ban'));
    await sleep(500);
    const rejoin = await bob.call('joinGroup', { groupID: GROUP, type: bob.TYPES.GRP_AVCHATROOM });
    finish({
      banTip: banTip.payload,
      notice: notice.payload,
      bobTexts: bob.received('TIMTextElem').map((m) => m.payload.text),
      rejoin,
    });
  },

  /** Live-room state in group attributes: the owner (alice) writes, members get
   * GROUP_ATTRIBUTES_UPDATED, REST writes reach them too, and a member may not write. */
  async attributes() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await alice.joinRoom();
    await bob.joinRoom();
    const updated = (c, wanted) =>
      c.waitEvent('GROUP_ATTRIBUTES_UPDATED', { match: attributesAre(wanted) });
    await alice.must('initGroupAttributes', { groupID: GROUP, groupAttributes: { state: 'upcoming' } });
    await updated(bob, { state: 'upcoming' });
    await alice.must('setGroupAttributes', { groupID: GROUP, groupAttributes: { state: 'live', title: 'Launch' } });
    await updated(bob, { state: 'live', title: 'Launch' });
    await step('rest_pause'); // REST modify_group_attr state=paused
    await updated(bob, { state: 'paused', title: 'Launch' });
    await updated(alice, { state: 'paused', title: 'Launch' });
    await alice.must('deleteGroupAttributes', { groupID: GROUP, keyList: ['title'] });
    await updated(bob, { state: 'paused' });
    const read = await bob.must('getGroupAttributes', { groupID: GROUP, keyList: [] });
    const denied = await bob.call('setGroupAttributes', { groupID: GROUP, groupAttributes: { state: 'ended' } });
    await step('stored'); // the test reads the attributes over REST
    finish({ read: read.groupAttributes, denied });
  },

  /** With history on join, a member who joins late gets the last messages, then live ones,
   * each once. */
  async history() {
    const alice = new Client('alice');
    const bob = new Client('bob');
    await Promise.all([alice.login('alice', sig('alice')), bob.login('bob', sig('bob'))]);
    await alice.joinRoom();
    await step('earlier'); // REST sends "earlier 1" .. "earlier 3"
    await alice.waitMessage('the last earlier message', textIs('earlier 3'));
    await bob.joinRoom();
    for (const n of [1, 2, 3]) await bob.waitMessage(`earlier ${n}`, textIs(`earlier ${n}`));
    await alice.send(alice.textMessage('live', alice.TYPES.MSG_PRIORITY_NORMAL));
    await bob.waitMessage('live message', textIs('live'));
    finish({ bob: bob.messages });
  },
};
