//! The after-events the business backend hears about, in Tencent's callback shapes. Every
//! place that changes membership, groups or logins reports through these functions, so each
//! callback body is built in one place.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Context;
use crate::room::{Member, Room};
use crate::store::GroupRecord;
use crate::webhook::Origin;

pub const AVCHATROOM: &str = "AVChatRoom";

pub const BEFORE_SEND_MSG: &str = "Group.CallbackBeforeSendMsg";
pub const AFTER_SEND_MSG: &str = "Group.CallbackAfterSendMsg";
pub const SEND_MSG_EXCEPTION: &str = "Group.CallbackSendMsgException";
pub const BEFORE_APPLY_JOIN: &str = "Group.CallbackBeforeApplyJoinGroup";
pub const AFTER_NEW_MEMBER_JOIN: &str = "Group.CallbackAfterNewMemberJoin";
pub const AFTER_MEMBER_EXIT: &str = "Group.CallbackAfterMemberExit";
pub const AFTER_CREATE_GROUP: &str = "Group.CallbackAfterCreateGroup";
pub const AFTER_GROUP_DESTROYED: &str = "Group.CallbackAfterGroupDestroyed";
pub const AFTER_GROUP_INFO_CHANGED: &str = "Group.CallbackAfterGroupInfoChanged";
pub const AFTER_GROUP_ATTR_CHANGED: &str = "Group.CallbackAfterGroupAttrChanged";
pub const STATE_CHANGE: &str = "State.StateChange";

/// Why members left a room, as `ExitType` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitType {
    /// They left: quit_group, logout, a newer login elsewhere, or a socket that never came back.
    Quit,
    /// They were removed: REST kick or ban.
    Kicked,
}

impl ExitType {
    fn as_str(self) -> &'static str {
        match self {
            ExitType::Quit => "Quit",
            ExitType::Kicked => "Kicked",
        }
    }
}

/// `Group.CallbackAfterMemberExit` for each room that logged-in members left.
pub fn members_left(
    ctx: &Context,
    origin: &Origin,
    left: &[(Arc<Room>, Member)],
    exit: ExitType,
    operator: Option<&str>,
) {
    for (room, member) in left {
        let Some(user) = &member.user_id else { continue };
        ctx.webhooks.after(
            origin,
            AFTER_MEMBER_EXIT,
            json!({
                "GroupId": &*room.group_id,
                "Type": AVCHATROOM,
                "ExitType": exit.as_str(),
                "Operator_Account": operator.unwrap_or(user),
                "ExitMemberList": [{"Member_Account": user}],
            }),
        );
    }
}

pub fn member_joined(ctx: &Context, origin: &Origin, group_id: &str, user: &str) {
    ctx.webhooks.after(
        origin,
        AFTER_NEW_MEMBER_JOIN,
        json!({
            "GroupId": group_id,
            "Type": AVCHATROOM,
            "JoinType": "Apply",
            "Operator_Account": user,
            "NewMemberList": [{"Member_Account": user}],
        }),
    );
}

pub fn group_created(ctx: &Context, origin: &Origin, operator: &str, group: &GroupRecord) {
    let data: Vec<Value> = group.app_defined_data.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
    ctx.webhooks.after(
        origin,
        AFTER_CREATE_GROUP,
        json!({
            "GroupId": group.group_id,
            "Type": group.group_type,
            "Operator_Account": operator,
            "Owner_Account": group.owner_account.clone().unwrap_or_default(),
            "Name": group.name,
            "MemberList": [],
            "UserDefinedDataList": data,
        }),
    );
}

/// `members` are the logged-in accounts online when the group ended.
pub fn group_destroyed(ctx: &Context, origin: &Origin, group: &GroupRecord, members: &[Member]) {
    let mut accounts: Vec<&str> = members.iter().filter_map(|m| m.user_id.as_deref()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let list: Vec<Value> = accounts.into_iter().map(|a| json!({"Member_Account": a})).collect();
    ctx.webhooks.after(
        origin,
        AFTER_GROUP_DESTROYED,
        json!({
            "GroupId": group.group_id,
            "Type": group.group_type,
            "Owner_Account": group.owner_account.clone().unwrap_or_default(),
            "Name": group.name,
            "MemberList": list,
        }),
    );
}

/// Reports the changed Name / Introduction / Notification / FaceUrl, if any changed.
pub fn group_info_changed(ctx: &Context, origin: &Origin, operator: &str, before: &GroupRecord, after: &GroupRecord) {
    let mut body = json!({"GroupId": after.group_id, "Type": after.group_type, "Operator_Account": operator});
    let fields = [
        ("Name", &before.name, &after.name),
        ("Introduction", &before.introduction, &after.introduction),
        ("Notification", &before.notification, &after.notification),
        ("FaceUrl", &before.face_url, &after.face_url),
    ];
    let mut changed = false;
    for (name, old, new) in fields {
        if old != new {
            body[name] = json!(new);
            changed = true;
        }
    }
    if changed {
        ctx.webhooks.after(origin, AFTER_GROUP_INFO_CHANGED, body);
    }
}

/// `State.StateChange`: `action` Login / Logout / Disconnect with its `reason`.
pub fn state_changed(ctx: &Context, origin: &Origin, user: &str, action: &str, reason: &str) {
    ctx.webhooks.after(
        origin,
        STATE_CHANGE,
        json!({"Info": {"Action": action, "To_Account": user, "Reason": reason}, "KickedDevice": []}),
    );
}

/// `Group.CallbackAfterGroupAttrChanged`: `option` is 1 set (replace all), 2 modify, 3 clear,
/// 4 delete; `given` are the keys (and values) the write named.
pub fn group_attributes_changed(
    ctx: &Context,
    origin: &Origin,
    group_id: &str,
    operator: &str,
    option: u32,
    given: &[super::attributes::Attribute],
) {
    let attrs: Vec<Value> = given.iter().map(|a| json!({"key": a.key, "value": a.value})).collect();
    ctx.webhooks.after(
        origin,
        AFTER_GROUP_ATTR_CHANGED,
        json!({
            "GroupId": group_id,
            "Type": AVCHATROOM,
            "Operator_Account": operator,
            "OptionType": option,
            "GroupAttr": attrs,
        }),
    );
}
