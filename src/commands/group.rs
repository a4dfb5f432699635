//! `group_open_http_svc`: create_group, destroy_group, modify_group_base_info.
//! roomcast hosts live-stream groups (AVChatRoom) only.

use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, Reply, events, reply, validate};
use crate::error::{ImError, ImResult, code};
use crate::store::GroupRecord;

pub const AVCHATROOM: &str = "AVChatRoom";
/// Group types Tencent has and roomcast does not host.
const OTHER_TYPES: &[&str] = &["Public", "Private", "Work", "ChatRoom", "Meeting", "Community"];
const APPLY_JOIN_OPTIONS: &[&str] = &["FreeAccess", "NeedPermission", "DisableApply"];
const GENERATED_PREFIX: &str = "@TGS#";
const MAX_GROUP_ID_BYTES: usize = 48;
const MAX_NAME_BYTES: usize = 30;
const MAX_INTRODUCTION_BYTES: usize = 240;
const MAX_NOTIFICATION_BYTES: usize = 300;
const MAX_FACE_URL_BYTES: usize = 100;
const MAX_DEFINED_KEY_BYTES: usize = 16;
const MAX_DEFINED_VALUE_BYTES: usize = 512;
const MAX_DEFINED_KEYS: usize = 10;

#[derive(Deserialize)]
pub(super) struct KeyValue {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value")]
    value: String,
}

/// Fields that create_group and modify_group_base_info share.
#[derive(Deserialize, Default)]
struct BaseInfo {
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Introduction")]
    introduction: Option<String>,
    #[serde(rename = "Notification")]
    notification: Option<String>,
    #[serde(rename = "FaceUrl")]
    face_url: Option<String>,
    #[serde(rename = "ApplyJoinOption")]
    apply_join_option: Option<String>,
    #[serde(rename = "AppDefinedData", default)]
    app_defined_data: Vec<KeyValue>,
    /// "On": joiners are handed recent messages (Tencent offers this for other group types).
    #[serde(rename = "HistoryMsgBeforeJoin")]
    history_before_join: Option<String>,
}

impl BaseInfo {
    fn validate(&self) -> ImResult<()> {
        let limits = [
            ("Name", &self.name, MAX_NAME_BYTES),
            ("Introduction", &self.introduction, MAX_INTRODUCTION_BYTES),
            ("Notification", &self.notification, MAX_NOTIFICATION_BYTES),
            ("FaceUrl", &self.face_url, MAX_FACE_URL_BYTES),
        ];
        for (field, value, limit) in limits {
            if let Some(v) = value {
                validate::max_bytes(field, v, limit, code::GROUP_BAD_PARAM)?;
            }
        }
        if let Some(history) = &self.history_before_join {
            parse_on_off("HistoryMsgBeforeJoin", history)?;
        }
        if let Some(option) = &self.apply_join_option {
            if !APPLY_JOIN_OPTIONS.contains(&option.as_str()) {
                return Err(ImError::new(
                    code::GROUP_BAD_PARAM,
                    format!("ApplyJoinOption {option:?} is not one of {}", APPLY_JOIN_OPTIONS.join(", ")),
                ));
            }
        }
        for kv in &self.app_defined_data {
            if kv.key.is_empty() {
                return Err(ImError::new(code::GROUP_BAD_PARAM, "AppDefinedData has an empty Key"));
            }
            validate::max_bytes("AppDefinedData Key", &kv.key, MAX_DEFINED_KEY_BYTES, code::GROUP_BAD_PARAM)?;
            validate::max_bytes("AppDefinedData Value", &kv.value, MAX_DEFINED_VALUE_BYTES, code::GROUP_BAD_PARAM)?;
        }
        Ok(())
    }

    /// The texts the dirty-word filter reads: Name, Introduction, Notification.
    fn texts(&self) -> impl Iterator<Item = &str> {
        [&self.name, &self.introduction, &self.notification].into_iter().filter_map(|t| t.as_deref())
    }

    /// Writes the given fields into `group`; an AppDefinedData Value of "" deletes its key.
    fn apply_to(self, group: &mut GroupRecord) -> ImResult<()> {
        let fields = [
            (&mut group.name, self.name),
            (&mut group.introduction, self.introduction),
            (&mut group.notification, self.notification),
            (&mut group.face_url, self.face_url),
            (&mut group.apply_join_option, self.apply_join_option),
        ];
        for (slot, value) in fields {
            if let Some(v) = value {
                *slot = v;
            }
        }
        if let Some(history) = &self.history_before_join {
            group.history_before_join = Some(parse_on_off("HistoryMsgBeforeJoin", history)?);
        }
        for KeyValue { key, value } in self.app_defined_data {
            let existing = group.app_defined_data.iter().position(|(k, _)| *k == key);
            match (existing, value.is_empty()) {
                (Some(i), true) => {
                    group.app_defined_data.remove(i);
                }
                (Some(i), false) => group.app_defined_data[i].1 = value,
                (None, true) => {}
                (None, false) => group.app_defined_data.push((key, value)),
            }
        }
        if group.app_defined_data.len() > MAX_DEFINED_KEYS {
            return Err(ImError::new(
                code::GROUP_BAD_PARAM,
                format!("a group holds at most {MAX_DEFINED_KEYS} AppDefinedData keys"),
            ));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(rename = "Type")]
    group_type: Option<String>,
    #[serde(rename = "GroupId")]
    group_id: Option<String>,
    #[serde(rename = "Owner_Account")]
    owner_account: Option<String>,
    #[serde(rename = "MemberList", default)]
    member_list: Vec<Value>,
    #[serde(flatten)]
    base: BaseInfo,
}

/// Custom GroupIds: printable ASCII, at most 48 bytes, not using the generated-id prefix.
fn check_custom_group_id(id: &str) -> ImResult<()> {
    let invalid = |why: &str| Err(ImError::new(code::GROUP_INVALID_ID, format!("GroupId {id:?} is invalid: {why}")));
    if id.is_empty() {
        return invalid("it is empty");
    }
    if id.len() > MAX_GROUP_ID_BYTES {
        return invalid("it is longer than 48 bytes");
    }
    if !id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return invalid("only printable ASCII is allowed");
    }
    if id.starts_with(GENERATED_PREFIX) {
        return invalid("the @TGS# prefix is reserved for generated ids");
    }
    Ok(())
}

/// A generated AVChatRoom id in Tencent's shape: `@TGS#a` and nine letters or digits.
fn generate_group_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..9).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{GENERATED_PREFIX}a{tail}")
}

fn check_group_type(group_type: Option<&str>) -> ImResult<()> {
    match group_type {
        Some(AVCHATROOM) => Ok(()),
        Some(t) if OTHER_TYPES.contains(&t) => Err(ImError::new(
            code::GROUP_NO_PERMISSION,
            format!("group type {t} is not supported: roomcast hosts AVChatRoom (live-stream) groups only"),
        )),
        Some(t) => Err(ImError::new(code::GROUP_BAD_PARAM, format!("unknown group Type {t:?}"))),
        None => Err(ImError::new(code::GROUP_BAD_PARAM, "Type is required")),
    }
}

pub(super) async fn create(call: Call<'_>) -> ImResult<Reply> {
    let req: CreateRequest = call.request()?;
    check_group_type(req.group_type.as_deref())?;
    if req.base.name.as_deref().unwrap_or_default().is_empty() {
        return Err(call.bad_param("Name is required"));
    }
    req.base.validate()?;
    super::moderation::check_words(&call, req.base.texts())?;
    if !req.member_list.is_empty() {
        return Err(ImError::new(
            code::GROUP_NO_PERMISSION,
            "AVChatRoom does not take a MemberList: members join through the SDK",
        ));
    }
    let store = &call.ctx.store;
    if let Some(owner) = &req.owner_account {
        let found = store
            .existing_accounts(call.sdkappid(), std::slice::from_ref(owner))
            .await
            .map_err(|e| call.internal(e))?;
        if found.is_empty() {
            return Err(ImError::new(code::GROUP_ACCOUNT_NOT_FOUND, format!("Owner_Account {owner:?} does not exist")));
        }
    }
    if let Some(id) = &req.group_id {
        check_custom_group_id(id)?;
    }
    let now = call.ctx.now();
    let mut group = GroupRecord {
        sdkappid: call.sdkappid(),
        group_id: req.group_id.clone().unwrap_or_else(generate_group_id),
        group_type: AVCHATROOM.to_owned(),
        name: String::new(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner_account: req.owner_account.clone(),
        apply_join_option: "FreeAccess".to_owned(),
        mute_all: false,
        create_time: now,
        info_seq: 0,
        last_info_time: now,
        app_defined_data: Vec::new(),
        history_before_join: None,
    };
    req.base.apply_to(&mut group)?;
    // Generated ids are retried on the (unlikely) collision; custom ids report it.
    for _ in 0..8 {
        if store.insert_group(&group).await.map_err(|e| call.internal(e))? {
            events::group_created(call.ctx, call.origin, call.principal.user_id().unwrap_or_default(), &group);
            return Ok(reply([("GroupId", json!(group.group_id)), ("Type", json!(AVCHATROOM))]));
        }
        if req.group_id.is_none() {
            group.group_id = generate_group_id();
            continue;
        }
        let existing = store.group(call.sdkappid(), &group.group_id).await.map_err(|e| call.internal(e))?;
        let same_owner = existing.is_some_and(|g| g.owner_account.is_some() && g.owner_account == req.owner_account);
        return Err(if same_owner {
            ImError::new(code::GROUP_ID_OWNED, format!("GroupId {:?} is already in use and you own it", group.group_id))
        } else {
            ImError::new(code::GROUP_ID_IN_USE, format!("GroupId {:?} is already in use", group.group_id))
        });
    }
    Err(ImError::internal(code::GROUP_INTERNAL, "could not generate a free GroupId"))
}

#[derive(Deserialize)]
struct GroupIdRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
}

pub(super) async fn destroy(call: Call<'_>) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let store = &call.ctx.store;
    let group = store.group(call.sdkappid(), &req.group_id).await.map_err(|e| call.internal(e))?;
    let Some(group) = group else { return Err(group_not_found(&req.group_id)) };
    if !store.delete_group(call.sdkappid(), &req.group_id).await.map_err(|e| call.internal(e))? {
        return Err(group_not_found(&req.group_id));
    }
    // Members get the "dismissed" notice and the room is gone.
    call.ctx.moderation.forget_group(call.sdkappid(), &req.group_id);
    call.ctx.attributes.forget(call.sdkappid(), &req.group_id);
    let members = call.ctx.rooms.destroy(call.sdkappid(), &req.group_id, call.principal.user_id().unwrap_or_default());
    events::group_destroyed(call.ctx, call.origin, &group, &members);
    Ok(Reply::new())
}

pub(super) fn group_not_found(id: &str) -> ImError {
    ImError::new(code::GROUP_NOT_FOUND, format!("group {id:?} does not exist or has been destroyed"))
}

#[derive(Deserialize)]
struct ModifyRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    /// The operator to report, when an administrator acts for someone.
    #[serde(rename = "From_Account")]
    from_account: Option<String>,
    #[serde(rename = "MuteAllMember", alias = "ShutUpAllMember")]
    mute_all_member: Option<String>,
    #[serde(flatten)]
    base: BaseInfo,
}

fn parse_on_off(field: &str, value: &str) -> ImResult<bool> {
    match value {
        "On" | "on" | "ON" => Ok(true),
        "Off" | "off" | "OFF" => Ok(false),
        other => Err(ImError::new(code::GROUP_BAD_PARAM, format!("{field} must be \"On\" or \"Off\", not {other:?}"))),
    }
}

pub(super) async fn modify_base_info(call: Call<'_>) -> ImResult<Reply> {
    let req: ModifyRequest = call.request()?;
    if req.base.name.as_deref() == Some("") {
        return Err(call.bad_param("Name cannot be empty"));
    }
    req.base.validate()?;
    super::moderation::check_words(&call, req.base.texts())?;
    let mute_all = req.mute_all_member.as_deref().map(|v| parse_on_off("MuteAllMember", v)).transpose()?;
    let store = &call.ctx.store;
    let mut group = store
        .group(call.sdkappid(), &req.group_id)
        .await
        .map_err(|e| call.internal(e))?
        .ok_or_else(|| group_not_found(&req.group_id))?;
    let before = group.clone();
    req.base.apply_to(&mut group)?;
    if let Some(on) = mute_all {
        group.mute_all = on;
    }
    group.info_seq += 1;
    group.last_info_time = call.ctx.now();
    store.update_group(&group).await.map_err(|e| call.internal(e))?;
    call.ctx.moderation.update_group(call.sdkappid(), &group.group_id, |p| {
        p.mute_all = group.mute_all;
        p.history_before_join = group.history_before_join;
    });
    let operator = req.from_account.as_deref().or(call.principal.user_id()).unwrap_or_default();
    events::group_info_changed(call.ctx, call.origin, operator, &before, &group);
    if let Some(room) = call.ctx.rooms.get(call.sdkappid(), &group.group_id) {
        let changes = profile_changes(&before, &group);
        if !changes.is_empty() {
            room.tip(json!({"OpType": 6, "Operator_Account": operator, "MsgGroupNewInfo": changes}));
        }
    }
    Ok(Reply::new())
}

/// The changed group fields as the SDK reads them in a group-profile tip (OpType 6): it turns
/// `ShutupAll: 1` into `newGroupProfile.muteAllMembers: true`.
fn profile_changes(before: &GroupRecord, after: &GroupRecord) -> serde_json::Map<String, Value> {
    let mut changes = serde_json::Map::new();
    let texts = [
        ("GroupName", &before.name, &after.name),
        ("GroupIntroduction", &before.introduction, &after.introduction),
        ("GroupNotification", &before.notification, &after.notification),
        ("GroupFaceUrl", &before.face_url, &after.face_url),
    ];
    for (key, old, new) in texts {
        if old != new {
            changes.insert(key.into(), json!(new));
        }
    }
    if before.mute_all != after.mute_all {
        changes.insert("ShutupAll".into(), json!(u32::from(after.mute_all)));
    }
    changes
}
