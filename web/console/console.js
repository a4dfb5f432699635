// The operator console: a small admin UI over the REST API (as an app administrator) and
// /metrics. In development mode it connects by itself with a UserSig from /dev/usersig.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const esc = (s) => roomcast.esc(s);
  const POLL_MS = 2000;
  const FOREVER = 4294967295;

  let api = null;
  let dev = null;
  let selected = null; // GroupId of the room shown below the list
  let rooms = new Map(); // GroupId -> {info, stats, rate, dropRate}
  let previous = null; // the last reading, to turn counters into rates

  // ---- activity log ------------------------------------------------------------------------------

  function log(ok, text) {
    const li = document.createElement('li');
    li.className = ok ? 'ok' : 'fail';
    li.innerHTML = `<time>${new Date().toLocaleTimeString()}</time>`;
    li.append(text);
    $('log').prepend(li);
    while ($('log').children.length > 100) $('log').lastChild.remove();
  }

  /** Runs an operator action, logs its outcome (with Tencent's code on failure), refreshes. */
  async function act(label, fn) {
    try {
      const result = await fn();
      log(true, label);
      refreshSoon();
      return result;
    } catch (e) {
      log(false, `${label}: failed, ${e.code !== undefined ? `${e.code} ` : ''}${e.info || e.message}`);
      return null;
    }
  }

  // ---- rooms -------------------------------------------------------------------------------------

  async function refreshRooms() {
    const { ids, total } = await api.groupIds();
    const [infos, stats] = await Promise.all([
      api.groupInfo(ids),
      ids.length ? api.call('roomcast/get_room_stats', { GroupIdList: ids }) : { RoomList: [] },
    ]);
    const now = Date.now();
    const next = new Map();
    // A room destroyed between the two calls answers 10010 here: it is gone, not an error.
    for (const info of infos) if (info.ErrorCode === 0) next.set(info.GroupId, { info });
    for (const s of stats.RoomList) if (next.has(s.GroupId)) next.get(s.GroupId).stats = s;
    for (const [id, room] of next) {
      const before = previous && previous.rooms.get(id);
      const dt = before ? (now - previous.at) / 1000 : 0;
      const delta = (key) => (before && before.stats ? Math.max(0, room.stats[key] - before.stats[key]) : 0);
      room.rate = dt > 0 ? delta('MsgDelivered') / dt : 0;
      room.dropRate = dt > 0 ? delta('MsgDropped') / dt : 0;
    }
    previous = { at: now, rooms: next };
    rooms = next;
    $('roomsNote').textContent = total > ids.length ? `first ${ids.length} of ${total}` : `${total} room(s)`;
    if (selected && !rooms.has(selected)) selected = null;
    if (!selected && rooms.size) selected = rooms.has(dev && dev.DemoRoom) ? dev.DemoRoom : [...rooms.keys()][0];
    renderRooms();
  }

  function renderRooms() {
    const body = $('rooms');
    const sorted = [...rooms.values()].sort(
      (a, b) =>
        (b.stats ? b.stats.OnlineMemberNum : 0) - (a.stats ? a.stats.OnlineMemberNum : 0) ||
        a.info.GroupId.localeCompare(b.info.GroupId),
    );
    body.innerHTML = sorted.length ? '' : '<tr class="empty"><td colspan="6">No rooms yet: create one below.</td></tr>';
    for (const { info, stats, rate, dropRate } of sorted) {
      const tr = document.createElement('tr');
      tr.dataset.id = info.GroupId;
      tr.className = info.GroupId === selected ? 'selected' : '';
      const muted = info.MuteAllMember === 'On';
      const dropping = dropRate > 0 ? ` <span class="badge bad">${dropRate.toFixed(1)}/s</span>` : '';
      tr.innerHTML = `<td class="mono">${esc(info.GroupId)}</td><td>${esc(info.Name || '')}</td>
        <td class="num online">${stats ? stats.OnlineMemberNum : 0}</td>
        <td class="num rate">${rate.toFixed(1)}</td>
        <td class="num dropped">${stats ? stats.MsgDropped : 0}${dropping}</td>
        <td class="muteall">${muted ? '<span class="badge warn">On</span>' : '<span class="muted">Off</span>'}</td>`;
      tr.onclick = () => {
        selected = info.GroupId;
        renderRooms();
        refreshRoom();
      };
      body.appendChild(tr);
    }
    renderRoomHead();
  }

  function renderRoomHead() {
    const room = selected && rooms.get(selected);
    $('roomTitle').textContent = selected || '–';
    for (const id of ['muteAllBtn', 'destroyBtn', 'noticeBtn', 'muteBtn', 'unmuteBtn', 'banBtn', 'unbanBtn']) {
      $(id).disabled = !room;
    }
    const on = room && room.info.MuteAllMember === 'On';
    $('muteAllBtn').textContent = on ? 'Unmute all' : 'Mute all';
    $('muteAllBtn').dataset.on = String(!!on);
  }

  // ---- the selected room -------------------------------------------------------------------------

  const { person, fill } = Lists;

  async function refreshRoom() {
    const group = selected;
    if (!group) return;
    let members, muted, banned;
    try {
      [members, muted, banned] = await Promise.all([
        api.call('group_open_avchatroom_http_svc/get_members', { GroupId: group }),
        api.call('group_open_http_svc/get_group_muted_account', { GroupId: group }),
        api.call('group_open_http_svc/get_group_ban_member', { GroupId: group }),
      ]);
    } catch (e) {
      if (e.code === 10010) return; // destroyed meanwhile: the next reading of the list drops it
      throw e;
    }
    if (group !== selected) return;
    const until = (t) => (t >= FOREVER ? 'for ever' : `until ${new Date(t * 1000).toLocaleTimeString()}`);
    fill(
      $('members'),
      members.MemberList.map((m) =>
        person(m.Member_Account, m.NickName, m.Avatar, [
          ['Mute', () => mute(m.Member_Account, duration())],
          ['Ban', () => ban(m.Member_Account, duration()), 'danger'],
        ]),
      ),
      'Nobody is logged in here (guests are not listed)',
    );
    fill(
      $('muted'),
      muted.MutedAccountList.map((m) =>
        person(m.Member_Account, '', '', [['Unmute', () => mute(m.Member_Account, 0)]], until(m.MutedUntil)),
      ),
      'Nobody',
    );
    fill(
      $('banned'),
      banned.BannedAccountList.map((m) =>
        person(m.Member_Account, '', '', [['Unban', () => unban(m.Member_Account)]], until(m.BannedUntil)),
      ),
      'Nobody',
    );
  }

  const duration = () => Number($('duration').value);
  const memberId = () => $('memberId').value.trim();

  function mute(account, seconds) {
    if (!account) return log(false, 'Mute: enter a UserID');
    const what = seconds
      ? `Muted ${account} in ${selected} for ${$('duration').selectedOptions[0].text}`
      : `Unmuted ${account} in ${selected}`;
    return act(what, () =>
      api.call('group_open_http_svc/forbid_send_msg', {
        GroupId: selected,
        Members_Account: [account],
        MuteTime: seconds,
      }),
    );
  }

  function ban(account, seconds) {
    if (!account) return log(false, 'Ban: enter a UserID');
    return act(`Banned ${account} from ${selected} for ${$('duration').selectedOptions[0].text}`, () =>
      api.call('group_open_http_svc/ban_group_member', {
        GroupId: selected,
        Members_Account: [account],
        Duration: seconds,
        Description: 'from the operator console',
      }),
    );
  }

  function unban(account) {
    if (!account) return log(false, 'Unban: enter a UserID');
    return act(`Unbanned ${account} in ${selected}`, () =>
      api.call('group_open_http_svc/unban_group_member', { GroupId: selected, Members_Account: [account] }),
    );
  }

  // ---- dirty words -------------------------------------------------------------------------

  async function refreshWords() {
    const reply = await api.call('openim_dirty_words/get');
    fill(
      $('words'),
      reply.DirtyWordsList.map((w) => {
        const li = document.createElement('li');
        li.dataset.word = w;
        li.textContent = w;
        const x = document.createElement('button');
        x.type = 'button';
        x.title = `Delete ${w}`;
        x.textContent = '×';
        const remove = () => api.call('openim_dirty_words/delete', { DirtyWordsList: [w] });
        x.onclick = () => act(`Deleted dirty word “${w}”`, remove).then(refreshWords);
        li.appendChild(x);
        return li;
      }),
      'No words filtered',
    );
  }

  // ---- polling -----------------------------------------------------------------------------------

  let pollTimer = null;
  let polling = false;
  let pollAgain = false;
  async function poll() {
    clearTimeout(pollTimer);
    // One reading at a time; a refresh asked for meanwhile runs right after it.
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    try {
      await refreshRooms();
      await Promise.all([refreshRoom(), Health.refresh()]);
    } catch (e) {
      log(false, `Refresh failed: ${e.code !== undefined ? `${e.code} ` : ''}${e.info || e.message}`);
    }
    polling = false;
    pollTimer = setTimeout(poll, pollAgain ? 0 : POLL_MS);
    pollAgain = false;
  }
  const refreshSoon = () => setTimeout(poll, 50);

  // ---- wiring ------------------------------------------------------------------------------------

  function wire() {
    $('muteAllBtn').onclick = () => {
      const on = $('muteAllBtn').dataset.on !== 'true';
      act(`${on ? 'Muted' : 'Unmuted'} everyone in ${selected}`, () =>
        api.call('group_open_http_svc/modify_group_base_info', { GroupId: selected, MuteAllMember: on ? 'On' : 'Off' }),
      );
    };
    let confirmTimer = null;
    $('destroyBtn').onclick = () => {
      const b = $('destroyBtn');
      if (!b.dataset.armed) {
        b.dataset.armed = '1';
        b.textContent = `Really destroy ${selected}?`;
        confirmTimer = setTimeout(() => {
          delete b.dataset.armed;
          b.textContent = 'Destroy';
        }, 4000);
        return;
      }
      clearTimeout(confirmTimer);
      delete b.dataset.armed;
      b.textContent = 'Destroy';
      const group = selected;
      act(`Destroyed ${group}`, () => api.call('group_open_http_svc/destroy_group', { GroupId: group })).then((r) => {
        if (r && selected === group) selected = null;
      });
    };
    $('noticeForm').onsubmit = (e) => {
      e.preventDefault();
      const text = $('noticeText').value.trim();
      if (!text) return;
      act(`Notice to ${selected}: “${text}”`, () =>
        api.call('group_open_http_svc/send_group_system_notification', { GroupId: selected, Content: text }),
      ).then((r) => r && ($('noticeText').value = ''));
    };
    $('muteBtn').onclick = () => mute(memberId(), duration());
    $('unmuteBtn').onclick = () => mute(memberId(), 0);
    $('banBtn').onclick = () => ban(memberId(), duration());
    $('unbanBtn').onclick = () => unban(memberId());
    $('createForm').onsubmit = (e) => {
      e.preventDefault();
      const body = { Type: 'AVChatRoom', Name: $('newRoomName').value.trim() };
      if ($('newRoomId').value.trim()) body.GroupId = $('newRoomId').value.trim();
      act(`Created room ${body.GroupId || body.Name}`, () => api.call('group_open_http_svc/create_group', body)).then(
        (r) => {
          if (!r) return;
          selected = r.GroupId;
          $('newRoomId').value = '';
          $('newRoomName').value = '';
        },
      );
    };
    $('broadcastForm').onsubmit = (e) => {
      e.preventDefault();
      const text = $('broadcastText').value.trim();
      if (!text) return;
      act(`Broadcast: “${text}”`, () =>
        api.call('group_open_http_svc/send_broadcast_msg', {
          From_Account: api.identifier,
          Random: Math.floor(Math.random() * 4294967295),
          MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: text } }],
          // To the SDK a broadcast is an ordinary group message; this tag lets a page show it as
          // an announcement (the demo shows a banner) rather than as a chat line.
          CloudCustomData: JSON.stringify({ banner: 'broadcast' }),
        }),
      ).then((r) => r && ($('broadcastText').value = ''));
    };
    $('wordForm').onsubmit = (e) => {
      e.preventDefault();
      const word = $('wordInput').value.trim();
      if (!word) return;
      act(`Added dirty word “${word}”`, () => api.call('openim_dirty_words/add', { DirtyWordsList: [word] })).then(
        () => {
          $('wordInput').value = '';
          return refreshWords();
        },
      );
    };
    $('sigForm').onsubmit = (e) => {
      e.preventDefault();
      const user = $('sigUser').value.trim();
      if (!user || !dev) return;
      act(`Issued a UserSig for ${user}`, () => roomcast.devUserSig(user)).then((sig) => {
        if (!sig) return;
        $('sigOut').value = sig;
        $('sigOut').classList.remove('hidden');
        $('sigNote').textContent = `For ${user}, valid 24 hours (development app).`;
      });
    };
    $('connect').onsubmit = (e) => {
      e.preventDefault();
      connect({
        sdkAppId: $('sdkAppIdInput').value.trim(),
        identifier: $('identifierInput').value.trim(),
        userSig: $('userSigInput').value.trim(),
      });
    };
    $('disconnectBtn').onclick = () => {
      sessionStorage.removeItem('roomcast.console');
      location.reload();
    };
  }

  async function connect(creds) {
    const candidate = new Api(creds);
    try {
      await candidate.call('openim_dirty_words/get'); // any admin-only command proves the UserSig
    } catch (e) {
      $('connect').classList.remove('hidden');
      $('connectError').textContent =
        `Cannot connect: ${e.code !== undefined ? `${e.code} ` : ''}${e.info || e.message}`;
      return;
    }
    api = candidate;
    sessionStorage.setItem('roomcast.console', JSON.stringify(creds));
    $('connect').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('disconnectBtn').classList.toggle('hidden', !!dev);
    $('who').innerHTML =
      `<b>${esc(creds.identifier)}</b> @ ${esc(creds.sdkAppId)}${dev ? ' <span class="badge">development</span>' : ''}`;
    $('sigNote').textContent = dev
      ? ''
      : 'Only the development app issues UserSigs here: use `roomcast usersig --user ID` or your backend.';
    $('issueSigBtn').disabled = !dev;
    log(true, `Connected as ${creds.identifier}`);
    await refreshWords().catch(() => {});
    poll();
  }

  async function boot() {
    wire();
    dev = await roomcast.devConfig();
    if (dev) {
      const userSig = await roomcast.devUserSig(dev.Administrator);
      return connect({ sdkAppId: String(dev.SDKAppID), identifier: dev.Administrator, userSig });
    }
    const saved = sessionStorage.getItem('roomcast.console');
    if (saved) return connect(JSON.parse(saved));
    $('connect').classList.remove('hidden');
  }

  boot().catch((e) => log(false, `Could not start: ${e.message}`));
})();
