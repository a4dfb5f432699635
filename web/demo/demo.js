// The demo live room, written against the official Web SDK (@tencentcloud/chat) the way a page
// made for Tencent IM is written. The one line about roomcast is `proxyServer` in create().
'use strict';

(() => {
  const TIM = window.TencentCloudChat;
  const $ = (id) => document.getElementById(id);
  const ROOM = new URLSearchParams(location.search).get('room') || 'demo';
  const AVATARS = [1, 2, 3, 4, 5, 6].map((i) => `${location.origin}/assets/avatars/${i}.svg`);
  const GIFT = { id: 'rose', name: 'Rose', icon: '/assets/rose.svg' };
  const MUTE_RETRY_MS = 60000; // after a 10017 with no tip to say when it ends, let the user try again

  const S = {
    chat: null,
    dev: null, // /dev/config of the development app, or null
    user: null, // {userID, nick, avatar} once logged in
    avatar: AVATARS[Math.floor(Math.random() * AVATARS.length)],
    joined: false,
    muteAll: false,
    mutedUntil: 0,
    ended: null, // why the room is over for this page: removed, kicked, dismissed, missing
    likes: 0,
  };

  const { avatarEl } = ChatList;
  const addLine = (kind, text, who) => ChatList.add(kind, text, who, S.user && S.user.userID);

  const sender = (m) => ({ userID: m.from, nick: m.nick, avatar: m.avatar });
  const me = () => ({ ...S.user });

  // ---- what the page lets the user do ------------------------------------------------------------

  function refresh() {
    let reason = null;
    if (S.ended) reason = 'The room is closed for you';
    else if (!S.user) reason = 'Log in to chat';
    else if (!S.joined) reason = 'Joining…';
    else if (S.muteAll) reason = 'The host muted the room';
    else if (S.mutedUntil > Date.now()) {
      reason =
        S.mutedUntil === Infinity
          ? 'You are muted'
          : `You are muted until ${new Date(S.mutedUntil).toLocaleTimeString()}`;
    }
    const input = $('chatInput');
    input.disabled = !!reason;
    input.placeholder = reason || 'Say something nice…';
    input.title = reason || '';
    $('sendBtn').disabled = !!reason;
    $('giftBtn').disabled = !!reason;
    $('likeBtn').disabled = !!reason;
    $('loginForm').classList.toggle('hidden', !!S.user || !!S.ended);
    $('me').classList.toggle('hidden', !S.user);
    if (S.user) {
      $('meNick').textContent = S.user.nick;
      $('meAvatar').src = S.user.avatar;
    }
  }

  function setStatus(text, cls) {
    $('status').textContent = text;
    $('status').className = `status ${cls || ''}`;
  }

  /** The room is over for this page: say why, stop sending, offer a way back. */
  function end(state, title, text) {
    S.ended = state;
    S.joined = false;
    $('overlay').dataset.state = state;
    $('overlayTitle').textContent = title;
    $('overlayText').textContent = text;
    $('overlay').classList.remove('hidden');
    if (state === 'dismissed') Stage.end();
    setStatus(title, 'bad');
    refresh();
  }

  function setMutedFor(seconds) {
    S.mutedUntil = seconds > 0 ? Date.now() + seconds * 1000 : 0;
    refresh();
    if (seconds > 0 && seconds < 7 * 86400) setTimeout(refresh, seconds * 1000 + 50);
  }

  async function refreshOnline() {
    try {
      const res = await S.chat.getGroupOnlineMemberCount(ROOM);
      $('onlineCount').textContent = res.data.memberCount;
    } catch (_) {
      /* not joined (yet): the count stays as it is */
    }
  }

  // ---- gifts and likes ---------------------------------------------------------------------------

  function sendCustom(data, description, priority) {
    const message = S.chat.createCustomMessage({
      to: ROOM,
      conversationType: TIM.TYPES.CONV_GROUP,
      priority,
      payload: { data: JSON.stringify(data), description, extension: '' },
    });
    return S.chat.sendMessage(message);
  }

  function giftLabel() {
    const img = document.createElement('img');
    img.className = 'gift-icon';
    img.src = GIFT.icon;
    img.alt = '';
    return [img, GIFT.name];
  }

  function showGift(who, count, combo) {
    Stage.giftToast(avatarEl(who.avatar, who.nick), who.nick || who.userID, giftLabel(), count, combo);
    const tail = ` ×${count}${combo > count ? ` · combo ${combo}` : ''}`;
    const line = addLine('gift-line', ['sent a ', ...giftLabel(), tail], who);
    line.dataset.count = count;
    line.dataset.combo = combo;
  }

  function addLikes(count) {
    S.likes += count;
    $('likeCount').textContent = S.likes;
    Stage.hearts(count);
  }

  const gifts = new GiftCombo({
    send: (count, combo) =>
      sendCustom({ type: 'gift', gift: GIFT.id, count, combo }, 'gift', TIM.TYPES.MSG_PRIORITY_HIGH)
        .then(() => showGift(me(), count, combo))
        .catch(sendFailed),
  });
  const likes = new LikeThrottle({
    send: (count) => sendCustom({ type: 'like', count }, 'like', TIM.TYPES.MSG_PRIORITY_LOW).catch(sendFailed),
  });
  let comboTimer = null;

  // ---- receiving ---------------------------------------------------------------------------------

  /** Whether the sender tagged the message, in cloudCustomData, to be shown as a banner. */
  function isTagged(m, banner) {
    try {
      return JSON.parse(m.cloudCustomData || '{}').banner === banner;
    } catch (_) {
      return false;
    }
  }

  function onText(m) {
    if (m.isBroadcastMessage || isTagged(m, 'broadcast')) return Stage.banner(m.payload.text, 'broadcast');
    addLine('msg', m.payload.text, sender(m));
    if ($('danmakuToggle').checked) Stage.danmaku(m.payload.text, m.nick || m.from, false);
  }

  function onCustom(m) {
    let data;
    try {
      data = JSON.parse(m.payload.data);
    } catch (_) {
      return; // another app's custom message: not ours to show
    }
    if (data.type === 'gift') showGift(sender(m), Number(data.count) || 1, Number(data.combo) || 1);
    if (data.type === 'like') addLikes(Number(data.count) || 1);
  }

  /** Applies what a tip or system notice means for this page (see tips.js). */
  function apply(effects) {
    for (const e of effects) {
      if (e.line) addLine(e.line[0], e.line[1]);
      if (e.banner) Stage.banner(e.banner, 'notice');
      if ('muteAll' in e) S.muteAll = e.muteAll;
      if ('mutedFor' in e) setMutedFor(e.mutedFor);
      if (e.end) end(...e.end);
      if (e.online) refreshOnline();
    }
    refresh();
  }

  const onTip = (m) => apply(Tips.tip(TIM.TYPES, m.payload, S.user && S.user.userID));
  const onSystemNotice = (m) => apply(Tips.notice(m.payload, ROOM));

  function onMessages(event) {
    for (const m of event.data) {
      if (m.type === TIM.TYPES.MSG_GRP_SYS_NOTICE) onSystemNotice(m);
      else if (m.to !== ROOM) continue;
      else if (m.type === TIM.TYPES.MSG_TEXT) onText(m);
      else if (m.type === TIM.TYPES.MSG_CUSTOM) onCustom(m);
      else if (m.type === TIM.TYPES.MSG_GRP_TIP) onTip(m);
    }
  }

  const KICK_REASONS = {
    multipleAccount: 'You logged in with the same name in another window.',
    multipleDevice: 'You logged in on another device.',
    userSigExpired: 'Your session expired.',
    REST_API_Kick: 'An operator logged you out.',
  };

  // ---- sending -----------------------------------------------------------------------------------

  function sendFailed(e) {
    const code = e && e.code;
    if (code === 10017) {
      // Muted. How long, and whether the whole room is, comes with the tips; until one says
      // otherwise the input stays off for a while.
      const all = /whole group/.test(String(e.message));
      if (all) S.muteAll = true;
      else if (S.mutedUntil <= Date.now()) setMutedFor(MUTE_RETRY_MS / 1000);
      addLine('system', all ? 'The host muted the room' : 'You are muted: your message was not sent');
      refresh();
    } else if (code === 80001) {
      addLine('system', 'Not sent: the message contains a filtered word');
    } else {
      addLine('system', `Not sent (${code || 'error'}): ${(e && e.message) || e}`);
    }
  }

  async function sendText(text) {
    const message = S.chat.createTextMessage({
      to: ROOM,
      conversationType: TIM.TYPES.CONV_GROUP,
      priority: TIM.TYPES.MSG_PRIORITY_NORMAL,
      payload: { text },
    });
    try {
      await S.chat.sendMessage(message);
      // The SDK does not hand a sender its own message back: show it here.
      addLine('msg', text, me());
      if ($('danmakuToggle').checked) Stage.danmaku(text, S.user.nick, true);
    } catch (e) {
      sendFailed(e);
    }
  }

  // ---- joining, login, logout --------------------------------------------------------------------

  function nextEvent(name, ms = 15000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms`)), ms);
      const handler = (e) => {
        clearTimeout(timer);
        S.chat.off(name, handler);
        resolve(e);
      };
      S.chat.on(name, handler);
    });
  }

  async function joinRoom() {
    try {
      await S.chat.joinGroup({ groupID: ROOM, type: TIM.TYPES.GRP_AVCHATROOM });
    } catch (e) {
      if (e.code === 10010 || e.code === 10015) {
        return end('missing', `There is no room “${ROOM}”`, 'Create it in the operator console, then reload.');
      }
      if (e.code === 10007 && S.user) return end('removed', 'You cannot join this room', String(e.message));
      throw e;
    }
    S.joined = true;
    setStatus(S.user ? `live · ${S.user.userID}` : 'live · watching as guest', 'ok');
    if (S.user) {
      const res = await S.chat.getGroupProfile({ groupID: ROOM });
      S.muteAll = !!res.data.group.muteAllMembers;
      $('roomName').textContent = res.data.group.name || ROOM;
    }
    refresh();
    refreshOnline();
  }

  /** A user name becomes the UserID: lower case letters, digits, _ and -. */
  function userIdFor(name) {
    const id = name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9_-]+/g, '')
      .slice(0, 32);
    return id || `viewer${Math.floor(Math.random() * 9000) + 1000}`;
  }

  async function login(name) {
    const userID = userIdFor(name);
    const userSig = S.dev ? await roomcast.devUserSig(userID) : $('sigInput').value.trim();
    const ready = nextEvent(TIM.EVENT.SDK_READY);
    await S.chat.login({ userID, userSig });
    await ready;
    // The profile goes first, so the join tip and every message carry the nick and avatar.
    await S.chat.updateMyProfile({ nick: name, avatar: S.avatar });
    S.user = { userID, nick: name, avatar: S.avatar };
    S.joined = false;
    refresh();
    // The guest view stays on the same SDK instance: joining again makes it a member.
    await joinRoom();
  }

  async function logout() {
    await S.chat.logout();
    Object.assign(S, { user: null, joined: false, muteAll: false, mutedUntil: 0 });
    refresh();
    await joinRoom();
  }

  // ---- wiring ------------------------------------------------------------------------------------

  function wire() {
    const picker = $('avatarChoices');
    for (const url of AVATARS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('aria-pressed', String(url === S.avatar));
      b.append(avatarEl(url, ''));
      b.onclick = () => {
        S.avatar = url;
        for (const other of picker.children) other.setAttribute('aria-pressed', String(other === b));
      };
      picker.appendChild(b);
    }
    $('loginForm').onsubmit = (e) => {
      e.preventDefault();
      const name = $('nameInput').value.trim();
      if (!name) return;
      $('loginBtn').disabled = true;
      login(name)
        .catch((err) => addLine('system', `Login failed: ${err.code || ''} ${err.message || err}`))
        .finally(() => ($('loginBtn').disabled = false));
    };
    $('logoutBtn').onclick = () => logout().catch((err) => addLine('system', `Logout failed: ${err.message || err}`));
    $('sendForm').onsubmit = (e) => {
      e.preventDefault();
      const text = $('chatInput').value.trim();
      if (!text || $('chatInput').disabled) return;
      $('chatInput').value = '';
      sendText(text);
    };
    $('giftBtn').onclick = () => {
      $('giftCombo').textContent = `×${gifts.tap()}`;
      clearTimeout(comboTimer);
      comboTimer = setTimeout(() => ($('giftCombo').textContent = ''), gifts.streakMs);
    };
    $('likeBtn').onclick = () => {
      addLikes(1);
      likes.tap();
    };
    $('tipsToggle').onchange = (e) => document.body.classList.toggle('hide-tips', !e.target.checked);
    $('overlayBtn').onclick = () => location.reload();
  }

  async function boot() {
    $('roomName').textContent = ROOM;
    Stage.start($('pattern'), `roomcast · ${ROOM}`);
    wire();
    if (!TIM) {
      roomcast.showSdkMissing($('notice'));
      setStatus('Web SDK missing', 'bad');
      return;
    }
    // After login the SDK asks for things a live-room server does not keep (friend groups,
    // pending requests); roomcast answers with an error and the SDK leaves that rejection
    // unhandled. Nothing is wrong, so the page keeps them out of the console.
    window.addEventListener('unhandledrejection', (e) => {
      if (e.reason && typeof e.reason.code === 'number') e.preventDefault();
    });
    S.dev = await roomcast.devConfig();
    const sdkAppId = Number(new URLSearchParams(location.search).get('sdkappid')) || (S.dev && S.dev.SDKAppID);
    if (!sdkAppId) {
      $('notice').textContent = 'This server runs a configured app: open this page with ?sdkappid=<your SDKAppID>.';
      $('notice').classList.remove('hidden');
      return;
    }
    $('sigInput').classList.toggle('hidden', !!S.dev);
    S.chat = TIM.create({ SDKAppID: sdkAppId, proxyServer: roomcast.wsOrigin() });
    S.chat.setLogLevel(1);
    S.chat.on(TIM.EVENT.MESSAGE_RECEIVED, onMessages);
    S.chat.on(TIM.EVENT.KICKED_OUT, (e) =>
      end('kicked', 'You were logged out', KICK_REASONS[e.data && e.data.type] || 'Your login ended.'),
    );
    S.chat.on(TIM.EVENT.NET_STATE_CHANGE, (e) => {
      if (e.data.state === TIM.TYPES.NET_STATE_CONNECTED && S.joined) setStatus('live', 'ok');
      else if (e.data.state !== TIM.TYPES.NET_STATE_CONNECTED) setStatus('reconnecting…', 'bad');
    });
    refresh();
    // Guests watch without logging in (the SDK long-polls the room anonymously).
    await joinRoom();
    setInterval(refreshOnline, 10000);
  }

  boot().catch((e) => {
    setStatus(`error: ${e.code || ''} ${e.message || e}`, 'bad');
    addLine('system', `Could not start: ${e.code || ''} ${e.message || e}`);
  });
})();
