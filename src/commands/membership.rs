//! Joining and leaving live rooms, membership queries and the long-poll read.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::events::{self, ExitType};
use super::group::group_not_found;
use super::profile::{TAG_IMAGE, TAG_NICK};
use super::{Call, Reply, reply};
use crate::error::{ImError, ImResult, code};
use crate::presence::{Instance, Joined};
use crate::room::item::ItemKind;
use crate::room::{Member, PushItem, Room};
use crate::store::GroupRecord;
use crate::webhook::Verdict;

/// Longest a long-poll is held; the SDK gives up on a request after 15 s.
pub const LONG_POLL_HOLD: Duration = Duration::from_secs(10);
/// Members `get_members` reports at most (the most recent joiners), and per page.
const MEMBER_LIST_CAP: usize = 1000;
const MEMBER_PAGE: usize = 250;

#[derive(Deserialize)]
struct GroupIdRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Call<'_> {
    /// The SDK instance behind a gateway request.
    fn sdk_instance(&self) -> ImResult<&Arc<Instance>> {
        self.instance.ok_or_else(|| self.bad_param("this command is sent by the Web SDK over its WebSocket"))
    }

    async fn existing_group(&self, group_id: &str) -> ImResult<GroupRecord> {
        self.ctx
            .store
            .group(self.sdkappid(), group_id)
            .await
            .map_err(|e| self.internal(e))?
            .ok_or_else(|| group_not_found(group_id))
    }

    /// The loaded room of a group, loading it if the group exists.
    pub(super) async fn room(&self, group_id: &str) -> ImResult<Arc<Room>> {
        match self.ctx.rooms.get(self.sdkappid(), group_id) {
            Some(room) if !room.is_destroyed() => Ok(room),
            _ => {
                self.existing_group(group_id).await?;
                Ok(self.ctx.rooms.get_or_create(self.sdkappid(), group_id))
            }
        }
    }

    /// Nick and avatar of an account, for the items it sends.
    pub(super) async fn nick_and_avatar(&self, user_id: &str) -> ImResult<(String, String)> {
        let profile = self.ctx.store.profile(self.sdkappid(), user_id).await.map_err(|e| self.internal(e))?;
        let text = |tag: &str| {
            profile
                .iter()
                .find(|(t, _)| t == tag)
                .and_then(|(_, v)| serde_json::from_str::<String>(v).ok())
                .unwrap_or_default()
        };
        Ok((text(TAG_NICK), text(TAG_IMAGE)))
    }
}

/// Items as a JSON array for an answer's `RspMsgList`.
fn items_json(items: &[Arc<PushItem>]) -> Value {
    Value::Array(items.iter().filter_map(|i| serde_json::from_slice(&i.json).ok()).collect())
}

impl Call<'_> {
    /// Whether joiners of the group get history: the group's setting, else the server's.
    async fn history_on(&self, group_id: &str) -> ImResult<bool> {
        let group = self.group_policy(group_id).await?.history_before_join;
        Ok(group.unwrap_or(self.ctx.history.on_by_default))
    }
}

/// The recent messages a joiner is handed: at most `room.history_messages`, from the last 24
/// hours, oldest first, all older than `before_seq`.
fn history(ctx: &super::Context, room: &Room, before_seq: u64) -> Vec<Arc<PushItem>> {
    room.history(ctx.history.messages, ctx.now().saturating_sub(HISTORY_MAX_AGE_SECS), before_seq)
}

/// History on join reaches back this far at most.
const HISTORY_MAX_AGE_SECS: u64 = 24 * 3600;

/// `apply_join_group`: logged-in members get pushes; anonymous ones (the `noauth` service, or
/// guests) long-poll with a `LongPollingKey`.
pub(super) async fn join(call: Call<'_>, anonymous: bool) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let instance = call.sdk_instance()?;
    let room = call.room(&req.group_id).await?;
    let user_id = call.principal.user_id().map(str::to_owned);
    let polls = anonymous || user_id.is_none();
    // Only the same account joining again on the same SDK instance is a rejoin: an anonymous
    // viewer who logs in and joins is asked about and announced like any joiner.
    let previous = room.member(&instance.id);
    let rejoin = previous.as_ref().is_some_and(|m| m.user_id == user_id);
    if let Some(user) = &user_id {
        super::bans::check_not_banned(&call, &req.group_id, user).await?;
    }
    // The backend may refuse a logged-in join; anonymous viewers are not asked about.
    if let (Some(user), false) = (&user_id, rejoin) {
        let ask = json!({"GroupId": req.group_id, "Type": events::AVCHATROOM, "Requestor_Account": user});
        match call.ctx.webhooks.before(call.origin, events::BEFORE_APPLY_JOIN, ask).await {
            Verdict::Reject { code, info } => return Err(ImError::new(code, info)),
            Verdict::Allow { .. } | Verdict::Drop => {}
        }
    }
    let (nick, avatar) = match &user_id {
        Some(user) => call.nick_and_avatar(user).await?,
        None => Default::default(),
    };
    // Decided before joining: nothing may fail between the join and recording it below. An
    // instance already in the room (a rejoin, or a viewer who just logged in) gets no history:
    // it has seen those messages.
    let history_on = previous.is_none() && call.history_on(&req.group_id).await?;
    let member = Member {
        user_id,
        nick,
        avatar,
        outbox: (!polls).then(|| instance.outbox.clone()),
        joined_at_ms: unix_ms(),
        from_seq: 0,
    };
    let Some(joined_at_seq) = room.join(instance.id.clone(), member) else {
        return Err(group_not_found(&req.group_id));
    };
    let history = if history_on { history(call.ctx, &room, joined_at_seq) } else { Vec::new() };
    if let (Some(user), false) = (call.principal.user_id(), rejoin) {
        events::member_joined(call.ctx, call.origin, &req.group_id, user);
    }
    let poll_key = polls.then(|| format!("{:032x}", rand::rng().random::<u128>()));
    // Long-pollers get their history from their first poll (the SDK ignores RspMsgList in an
    // anonymous join answer); push members get it in the answer.
    let history_from = match (&poll_key, history.first()) {
        (Some(_), Some(oldest)) => oldest.seq,
        _ => joined_at_seq,
    };
    let joined = Joined { room: room.clone(), poll_key: poll_key.clone(), joined_at_seq, history_from };
    instance.add_joined(&req.group_id, joined);
    let mut out = reply([("JoinedStatus", json!("JoinedSuccess")), ("HugeGroupFlag", json!(1))]);
    if let Some(key) = poll_key {
        out.insert("LongPollingKey".into(), json!(key));
        out.insert("NextSeq".into(), json!(history_from));
    } else if !history.is_empty() {
        out.insert("RspMsgList".into(), items_json(&history));
    }
    Ok(out)
}

pub(super) async fn quit(call: Call<'_>) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let instance = call.sdk_instance()?;
    let group = call.existing_group(&req.group_id).await?;
    if group.owner_account.is_some() && group.owner_account.as_deref() == call.principal.user_id() {
        return Err(ImError::new(
            code::GROUP_OWNER_CANNOT_QUIT,
            "the owner cannot quit an AVChatRoom; destroy it instead",
        ));
    }
    let joined = instance.remove_joined(&req.group_id);
    let Some((room, member)) = joined.and_then(|j| j.room.leave(&instance.id).map(|m| (j.room, m))) else {
        return Err(ImError::new(code::GROUP_NO_PERMISSION, format!("not a member of group {:?}", req.group_id)));
    };
    events::members_left(call.ctx, call.origin, &[(room, member)], ExitType::Quit, None);
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct SelfInfoRequest {
    #[serde(rename = "GroupIdList", alias = "GroupIdlist")]
    group_ids: Vec<String>,
}

pub(super) async fn self_member_info(call: Call<'_>) -> ImResult<Reply> {
    let req: SelfInfoRequest = call.request()?;
    let mut infos = Vec::with_capacity(req.group_ids.len());
    for id in &req.group_ids {
        let Some(group) = call.ctx.store.group(call.sdkappid(), id).await.map_err(|e| call.internal(e))? else {
            let e = group_not_found(id);
            infos.push(json!({"GroupId": id, "ErrorCode": e.code, "ErrorInfo": e.info}));
            continue;
        };
        let room = call.ctx.rooms.get(call.sdkappid(), id);
        let me = room.as_ref().zip(call.instance).and_then(|(r, i)| r.member(&i.id));
        let admins = match call.group_policy(id).await {
            Ok(policy) => policy.admins,
            Err(e) => {
                infos.push(json!({"GroupId": id, "ErrorCode": e.code, "ErrorInfo": e.info}));
                continue;
            }
        };
        let me_user = call.principal.user_id();
        let role = if group.owner_account.is_some() && group.owner_account.as_deref() == me_user {
            "Owner"
        } else if me_user.is_some_and(|u| admins.iter().any(|a| a == u)) {
            "Admin"
        } else {
            "Member"
        };
        infos.push(json!({
            "GroupId": id, "ErrorCode": 0, "ErrorInfo": "",
            "Type": group.group_type, "Name": group.name, "Introduction": group.introduction,
            "Notification": group.notification, "FaceUrl": group.face_url,
            "Owner_Account": group.owner_account.clone().unwrap_or_default(),
            "CreateTime": group.create_time, "InfoSeq": group.info_seq, "LastInfoTime": group.last_info_time,
            "MemberNum": room.as_ref().map_or(0, |r| r.online_count()),
            "NextMsgSeq": room.as_ref().map_or(1, |r| r.next_seq()),
            "ApplyJoinOption": group.apply_join_option,
            "MuteAllMember": if group.mute_all { "On" } else { "Off" },
            // The name the SDK reads for getGroupProfile's muteAllMembers.
            "ShutUpAllMember": if group.mute_all { "On" } else { "Off" },
            "SelfInfo": {
                "Role": role,
                "JoinTime": me.map_or(0, |m| m.joined_at_ms / 1000),
                "MsgFlag": "AcceptAndNotify",
            },
        }));
    }
    Ok(reply([("GroupInfo", Value::Array(infos))]))
}

pub(super) async fn online_member_num(call: Call<'_>) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let count = match call.ctx.rooms.get(call.sdkappid(), &req.group_id) {
        Some(room) if !room.is_destroyed() => room.online_count(),
        _ => {
            call.existing_group(&req.group_id).await?;
            0
        }
    };
    // The count is exact at the time of the call; the SDK may cache it for ExpireTime seconds.
    Ok(reply([("OnlineMemberNum", json!(count)), ("ExpireTime", json!(2))]))
}

#[derive(Deserialize)]
struct PollRequest {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "StartSeq", default)]
    start_seq: u64,
    #[serde(rename = "HoldTime", default)]
    hold_time: u64,
}

/// What a long-poll answers: the items, still as their serialised JSON, and where the next poll
/// starts. The gateway splices the items into its answer without parsing them again.
pub struct PollAnswer {
    pub key: String,
    pub next_seq: u64,
    pub items: Vec<Arc<PushItem>>,
}

/// `get_msg`: items from `StartSeq` on, held until something arrives or the hold ends.
pub(super) async fn poll_items(call: &Call<'_>) -> ImResult<PollAnswer> {
    let req: PollRequest = call.request()?;
    let instance = call.sdk_instance()?;
    let joined = instance
        .joined_by_key(&req.key)
        .ok_or_else(|| ImError::new(code::GROUP_NOT_FOUND, "unknown LongPollingKey: join the group again"))?;
    let hold = Duration::from_secs(req.hold_time).min(LONG_POLL_HOLD);
    // The SDK's first poll says StartSeq 0 whatever the join answered: start at the join.
    let start_seq = if req.start_seq == 0 { joined.history_from } else { req.start_seq };
    let deadline = tokio::time::Instant::now() + hold;
    let mut seq_watch = joined.room.watch_seq();
    let poll = loop {
        seq_watch.borrow_and_update();
        let poll = joined.room.poll(start_seq);
        if !poll.items.is_empty() || joined.room.is_destroyed() {
            break poll;
        }
        tokio::select! {
            changed = seq_watch.changed() => if changed.is_err() { break poll },
            _ = tokio::time::sleep_until(deadline) => break poll,
        }
    };
    // Before the join, only the history messages: not the tips and notices between them.
    let mut items = poll.items;
    items.retain(|i| i.seq >= joined.joined_at_seq || i.kind == ItemKind::Message);
    Ok(PollAnswer { key: req.key, next_seq: poll.next_seq, items })
}

pub(super) async fn long_poll(call: Call<'_>) -> ImResult<Reply> {
    let answer = poll_items(&call).await?;
    Ok(reply([
        ("Key", json!(answer.key)),
        ("NextSeq", json!(answer.next_seq)),
        ("RspMsgList", items_json(&answer.items)),
    ]))
}

#[derive(Deserialize)]
struct GetMembersRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    /// Paging cursor: 0 first, then the previous `NextTimestamp`.
    #[serde(rename = "Timestamp", default)]
    timestamp: u64,
}

/// Logged-in members, most recent joiners first, one entry per account.
fn listed_members(room: &Room) -> Vec<Member> {
    let mut members: Vec<Member> = room.members().into_iter().filter(|m| m.user_id.is_some()).collect();
    members.sort_by(|a, b| b.joined_at_ms.cmp(&a.joined_at_ms).then_with(|| a.user_id.cmp(&b.user_id)));
    let mut seen = std::collections::HashSet::new();
    members.retain(|m| seen.insert(m.user_id.clone()));
    members.truncate(MEMBER_LIST_CAP);
    members
}

pub(super) async fn get_members(call: Call<'_>) -> ImResult<Reply> {
    let req: GetMembersRequest = call.request()?;
    let room = call.room(&req.group_id).await?;
    let members = listed_members(&room);
    // The cursor is the position in the list, offset so that 0 means "from the start".
    let start = (req.timestamp as usize).min(members.len());
    let page = &members[start..(start + MEMBER_PAGE).min(members.len())];
    let next = if start + page.len() < members.len() { start + page.len() } else { 0 };
    let list: Vec<Value> = page
        .iter()
        .map(|m| json!({"Member_Account": m.user_id, "JoinTime": m.joined_at_ms / 1000, "NickName": m.nick, "Avatar": m.avatar}))
        .collect();
    Ok(reply([("MemberList", Value::Array(list)), ("NextTimestamp", json!(next))]))
}

#[derive(Deserialize)]
struct CheckMembersRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Member_Account")]
    accounts: Vec<String>,
}

pub(super) async fn check_members(call: Call<'_>) -> ImResult<Reply> {
    let req: CheckMembersRequest = call.request()?;
    super::validate::batch("Member_Account", req.accounts.len(), 500, code::GROUP_BAD_PARAM)?;
    let room = call.room(&req.group_id).await?;
    let present: Vec<&String> = req.accounts.iter().filter(|a| room.has_user(a)).collect();
    Ok(reply([("Member_Account", json!(present))]))
}
