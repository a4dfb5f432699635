// What a group tip or a group system notice means for the demo page, as a list of effects:
// {line: [kind, text]}, {banner}, {muteAll}, {mutedFor: seconds}, {end: [state, title, text]},
// {online: true} (the online count may have changed). No DOM and no SDK calls here.
'use strict';

window.Tips = (() => {
  const REMOVED = ['removed', 'You were removed from this room', 'A moderator removed you from the room.'];
  const BANNED = [
    'banned',
    'You were banned from this room',
    'A moderator banned you; you can rejoin when the ban ends.',
  ];
  const NOTICE_DISMISSED = 5;
  const NOTICE_KICKED = 4;
  const NOTICE_CUSTOM = 255;
  const NOTICE_BANNED = 21; // sent to the banned member only; the SDK drops the room

  /** A group tip (TIMGroupTipElem payload); `me` is the logged-in UserID, if any. */
  function tip(T, p, me) {
    const mine = (ids) => !!me && (ids || []).includes(me);
    const name = (p.operatorInfo && p.operatorInfo.nick) || p.operatorID;
    switch (p.operationType) {
      case T.GRP_TIP_MBR_JOIN:
        return [{ line: ['tip', `${name} joined`], online: true }];
      case T.GRP_TIP_MBR_QUIT:
        return [{ line: ['tip', `${name} left`], online: true }];
      case T.GRP_TIP_MBR_KICKED_OUT:
        if (mine(p.userIDList)) return [{ end: REMOVED }];
        return [{ line: ['tip', `${(p.userIDList || []).join(', ')} was removed by a moderator`], online: true }];
      case T.GRP_TIP_GRP_PROFILE_UPDATED: {
        // Mute-all switched on or off (modify_group_base_info MuteAllMember).
        const profile = p.newGroupProfile || {};
        if (!('muteAllMembers' in profile)) return [];
        const on = !!profile.muteAllMembers;
        return [{ muteAll: on, line: ['system', on ? 'The host muted the room' : 'The host unmuted the room'] }];
      }
      case T.GRP_TIP_MBR_PROFILE_UPDATED:
        // A member muted or unmuted (forbid_send_msg): muteTime is in seconds, 0 lifts it.
        return (p.memberList || [])
          .filter((m) => 'muteTime' in m)
          .map((m) => {
            const seconds = Number(m.muteTime) || 0;
            const who = m.nick || m.userID;
            const text = seconds > 0 ? `${who} was muted for ${Math.ceil(seconds / 60)} min` : `${who} can speak again`;
            return mine([m.userID]) ? { mutedFor: seconds, line: ['system', text] } : { line: ['system', text] };
          });
      case T.GRP_TIP_BAN_AVCHATROOM_MEMBER:
        if (mine(p.userIDList)) return [{ end: BANNED }];
        return [{ line: ['tip', `${(p.userIDList || []).join(', ')} was banned by a moderator`], online: true }];
      case T.GRP_TIP_UNBAN_AVCHATROOM_MEMBER:
        return [{ line: ['tip', `${(p.userIDList || []).join(', ')} was unbanned`] }];
      default:
        return [];
    }
  }

  /** A group system notice (TIMGroupSystemNoticeElem payload) about `room`. */
  function notice(p, room) {
    if (!p.groupProfile || p.groupProfile.groupID !== room) return [];
    switch (p.operationType) {
      case NOTICE_CUSTOM:
        return [{ banner: p.userDefinedField }];
      case NOTICE_DISMISSED:
        return [{ end: ['dismissed', 'This live room has ended', 'The room was dismissed by its operator.'] }];
      case NOTICE_KICKED:
        return [{ end: REMOVED }];
      case NOTICE_BANNED:
        return [{ end: BANNED }];
      default:
        return [];
    }
  }

  return { tip, notice };
})();
