//! Group attributes: `group_open_attr_http_svc/get_group_attr` and
//! `group_open_http_svc/modify_group_attr | set_group_attr | clear_group_attr`, with lowercase
//! `key` / `value` as Tencent spells them. Pages keep live-room state (upcoming, live, paused,
//! ended, replay) here; every change reaches the room's members at once, outside frequency
//! control, and is kept in the store.

use std::num::NonZeroU32;
use std::sync::Arc;

use dashmap::DashMap;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Call, Reply, reply};
use crate::auth::Principal;
use crate::error::{ImError, ImResult, code};
use crate::store::StoredAttributes;

pub const MAX_KEYS: usize = 16;
pub const MAX_KEY_BYTES: usize = 32;
pub const MAX_VALUE_BYTES: usize = 4000;
pub const MAX_TOTAL_BYTES: usize = 16 * 1024;
pub const USER_WRITES_PER_SEC: u32 = 5;

/// One attribute. `seq` is the SDK's per-key sequence number: sent by the SDK with writes
/// (0 or absent when it has none) and answered with reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub seq: u64,
}

/// How a write changes the set: the `OpType` of the SDK's change notice, also reported as
/// `OptionType` in `Group.CallbackAfterGroupAttrChanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrChange {
    /// Replaces the whole set (set_group_attr; the SDK's initGroupAttributes).
    Reset = 1,
    /// Adds or updates the given keys (modify_group_attr).
    Modify = 2,
    /// Removes every key (clear_group_attr).
    Clear = 3,
    /// Removes the given keys (delete_group_attr).
    Delete = 4,
}

/// A group's attributes, sorted by key, and the main sequence number the SDK tracks: it goes
/// up by exactly one with every write, as the SDK applies a change only when it does.
#[derive(Debug, Clone, Default)]
pub struct AttributeSet {
    pub main_seq: u64,
    pub entries: Vec<Attribute>,
}

/// One group's attributes behind an async lock so writes apply one at a time, in order.
type Slot = Arc<tokio::sync::Mutex<Option<AttributeSet>>>;

/// Attributes of the groups in use, loaded from the store on first use, and the SDK users'
/// write rate (Tencent: 5 a second, then 10049).
pub struct AttributeCache {
    groups: DashMap<(u64, String), Slot>,
    user_writes: DefaultKeyedRateLimiter<(u64, String)>,
}

impl Default for AttributeCache {
    fn default() -> Self {
        let per_sec = NonZeroU32::new(USER_WRITES_PER_SEC).expect("non-zero");
        Self { groups: DashMap::new(), user_writes: DefaultKeyedRateLimiter::keyed(Quota::per_second(per_sec)) }
    }
}

impl AttributeCache {
    fn slot(&self, sdkappid: u64, group_id: &str) -> Slot {
        self.groups.entry((sdkappid, group_id.to_owned())).or_default().clone()
    }

    pub fn forget(&self, sdkappid: u64, group_id: &str) {
        self.groups.remove(&(sdkappid, group_id.to_owned()));
    }
}

/// Checks Tencent's limits on the set a write would leave.
pub fn check_limits(attrs: &[Attribute]) -> ImResult<()> {
    for a in attrs {
        if a.key.is_empty() {
            return Err(ImError::new(code::GROUP_BAD_PARAM, "a group attribute key cannot be empty"));
        }
        if a.key.len() > MAX_KEY_BYTES {
            return Err(ImError::new(
                code::ATTR_KEY_TOO_LONG,
                format!("group attribute key {:?} is longer than {MAX_KEY_BYTES} bytes", a.key),
            ));
        }
        if a.value.len() > MAX_VALUE_BYTES {
            return Err(ImError::new(
                code::ATTR_VALUE_TOO_LONG,
                format!("the value of group attribute {:?} is longer than {MAX_VALUE_BYTES} bytes", a.key),
            ));
        }
    }
    if attrs.len() > MAX_KEYS {
        return Err(ImError::new(code::ATTR_TOO_MANY_KEYS, format!("a group has at most {MAX_KEYS} attributes")));
    }
    let total: usize = attrs.iter().map(|a| a.key.len() + a.value.len()).sum();
    if total > MAX_TOTAL_BYTES {
        return Err(ImError::new(
            code::ATTR_TOTAL_TOO_LONG,
            format!("group attributes would take {total} bytes; at most {MAX_TOTAL_BYTES} are allowed"),
        ));
    }
    Ok(())
}

/// The entries after `change` with `given` applied; written keys get their next seq.
fn apply(current: &[Attribute], change: AttrChange, given: &[Attribute]) -> Vec<Attribute> {
    let old_seq = |key: &str| current.iter().find(|a| a.key == key).map_or(0, |a| a.seq);
    let written = |a: &Attribute| Attribute { key: a.key.clone(), value: a.value.clone(), seq: old_seq(&a.key) + 1 };
    let untouched = || current.iter().filter(|a| !given.iter().any(|g| g.key == a.key)).cloned();
    let mut next: Vec<Attribute> = match change {
        AttrChange::Modify => untouched().chain(given.iter().map(written)).collect(),
        AttrChange::Delete => untouched().collect(),
        AttrChange::Clear => Vec::new(),
        AttrChange::Reset => given.iter().map(written).collect(),
    };
    next.sort_by(|a, b| a.key.cmp(&b.key));
    // A key given twice keeps its last value.
    next.reverse();
    next.dedup_by(|a, b| a.key == b.key);
    next.reverse();
    next
}
impl Call<'_> {
    /// A group's attributes; 10010 when the group does not exist.
    pub(super) async fn group_attributes(&self, group_id: &str) -> ImResult<AttributeSet> {
        self.group_policy(group_id).await?;
        let slot = self.ctx.attributes.slot(self.sdkappid(), group_id);
        let mut loaded = slot.lock().await;
        self.load_attributes(&mut loaded, group_id).await
    }

    async fn load_attributes(&self, loaded: &mut Option<AttributeSet>, group_id: &str) -> ImResult<AttributeSet> {
        if let Some(set) = loaded.as_ref() {
            return Ok(set.clone());
        }
        let stored = self.ctx.store.group_attributes(self.sdkappid(), group_id).await.map_err(|e| self.internal(e))?;
        let entries = stored.entries.into_iter().map(|(key, value, seq)| Attribute { key, value, seq }).collect();
        let set = AttributeSet { main_seq: stored.main_seq, entries };
        *loaded = Some(set.clone());
        Ok(set)
    }

    /// SDK users write only where they own or administer the room, at most 5 times a second.
    async fn check_attribute_writer(&self, group_id: &str) -> ImResult<()> {
        let Principal::User { user_id, .. } = self.principal else { return Ok(()) };
        let policy = self.group_policy(group_id).await?;
        if policy.owner.as_ref() != Some(user_id) && !policy.admins.contains(user_id) {
            return Err(ImError::new(
                code::GROUP_NO_PERMISSION,
                "only the group's owner and admins may change its attributes",
            ));
        }
        if self.ctx.attributes.user_writes.check_key(&(self.sdkappid(), user_id.clone())).is_err() {
            return Err(ImError::new(
                code::ATTR_WRITE_FREQUENCY,
                format!("at most {USER_WRITES_PER_SEC} attribute writes a second"),
            ));
        }
        Ok(())
    }

    /// Applies a write, stores it and tells the room. Returns the new set.
    async fn change_attributes(&self, req: WriteRequest, change: AttrChange) -> ImResult<AttributeSet> {
        let (ctx, app, group_id) = (self.ctx, self.sdkappid(), req.group_id.as_str());
        self.group_policy(group_id).await?;
        self.check_attribute_writer(group_id).await?;
        let slot = ctx.attributes.slot(app, group_id);
        let mut loaded = slot.lock().await;
        let current = self.load_attributes(&mut loaded, group_id).await?;
        if req.race_conflict() {
            check_race(&current, &req)?;
        }
        let next =
            AttributeSet { main_seq: current.main_seq + 1, entries: apply(&current.entries, change, &req.attrs) };
        check_limits(&next.entries)?;
        let stored = StoredAttributes {
            main_seq: next.main_seq,
            entries: next.entries.iter().map(|a| (a.key.clone(), a.value.clone(), a.seq)).collect(),
        };
        // Forgotten while the store is written: if this request is dropped half-way, the next
        // one reads the store again rather than a stale copy.
        *loaded = None;
        if !ctx.store.replace_group_attributes(app, group_id, &stored).await.map_err(|e| self.internal(e))? {
            return Err(super::group::group_not_found(group_id));
        }
        *loaded = Some(next.clone());
        // Told while the write lock is held, so members see changes in main-seq order.
        let operator = self.principal.user_id().unwrap_or_default();
        if let Some(room) = ctx.rooms.get(app, group_id) {
            room.change(change_notice(operator, change, &next, &req.attrs));
        }
        drop(loaded);
        super::events::group_attributes_changed(ctx, self.origin, group_id, operator, change as u32, &req.attrs);
        Ok(next)
    }
}

/// 10056 when the writer's view is older than the stored set (the SDK asked for the check
/// with `AttrControl: ["RaceConflict"]`). A zero seq means "unknown" and is not checked.
fn check_race(current: &AttributeSet, req: &WriteRequest) -> ImResult<()> {
    let conflict = |what: String| {
        Err(ImError::new(code::ATTR_WRITE_CONFLICT, format!("{what}; fetch the latest attributes and retry")))
    };
    if req.main_seq != 0 && req.main_seq != current.main_seq {
        return conflict(format!("AttrMainSeq {} is not the current {}", req.main_seq, current.main_seq));
    }
    for given in req.attrs.iter().filter(|a| a.seq != 0) {
        let now = current.entries.iter().find(|a| a.key == given.key).map_or(0, |a| a.seq);
        if now != given.seq {
            return conflict(format!("attribute {:?} changed since seq {}", given.key, given.seq));
        }
    }
    Ok(())
}

/// The Event 6 body the SDK turns into GROUP_ATTRIBUTES_UPDATED. It carries the changed
/// entries (`PushChangedAttrValFlag: 1`) so the SDK applies them without fetching: its fetch
/// path would not notice deleted keys.
fn change_notice(operator: &str, change: AttrChange, next: &AttributeSet, given: &[Attribute]) -> Value {
    let info: Vec<Value> = match change {
        AttrChange::Reset => next.entries.iter().map(notice_entry).collect(),
        AttrChange::Modify => {
            next.entries.iter().filter(|a| given.iter().any(|g| g.key == a.key)).map(notice_entry).collect()
        }
        AttrChange::Delete => given.iter().map(|a| json!({"key": a.key})).collect(),
        AttrChange::Clear => Vec::new(),
    };
    json!({
        "OpType": 6,
        "Operator_Account": operator,
        "MsgGroupNewInfo": {"GroupAttrOption": {
            "OpType": change as u32,
            "GroupAttrSeq": next.main_seq,
            "PushChangedAttrValFlag": 1,
            "GroupAttrInfo": info,
        }},
    })
}

fn notice_entry(a: &Attribute) -> Value {
    json!({"key": a.key, "value": a.value, "SubKeySeq": a.seq})
}

#[derive(Deserialize)]
struct GetRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
}

#[derive(Deserialize)]
struct WriteRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "GroupAttr", default)]
    attrs: Vec<Attribute>,
    /// The main seq the SDK last saw.
    #[serde(rename = "AttrMainSeq", default)]
    main_seq: u64,
    #[serde(rename = "AttrControl", default)]
    control: Vec<String>,
}

impl WriteRequest {
    fn race_conflict(&self) -> bool {
        self.control.iter().any(|c| c == "RaceConflict")
    }
}

pub(super) async fn get(call: Call<'_>) -> ImResult<Reply> {
    let req: GetRequest = call.request()?;
    let set = call.group_attributes(&req.group_id).await?;
    Ok(reply([("GroupAttrAry", json!(set.entries)), ("AttrMainSeq", json!(set.main_seq))]))
}

/// The write answer the SDK needs: the new main seq, and each written key's seq.
fn write_reply(set: &AttributeSet, written: &[Attribute]) -> Reply {
    let keys: Vec<Value> = set
        .entries
        .iter()
        .filter(|a| written.iter().any(|w| w.key == a.key))
        .map(|a| json!({"key": a.key, "seq": a.seq}))
        .collect();
    reply([("AttrMainSeq", json!(set.main_seq)), ("GroupAttr", Value::Array(keys))])
}

/// modify_group_attr: adds or updates keys.
pub(super) async fn modify(call: Call<'_>) -> ImResult<Reply> {
    let req: WriteRequest = call.request()?;
    if req.attrs.is_empty() {
        return Err(call.bad_param("GroupAttr is empty"));
    }
    check_limits(&apply(&[], AttrChange::Reset, &req.attrs))?;
    let written = req.attrs.clone();
    let set = call.change_attributes(req, AttrChange::Modify).await?;
    Ok(write_reply(&set, &written))
}

/// set_group_attr: replaces the whole set.
pub(super) async fn set(call: Call<'_>) -> ImResult<Reply> {
    let req: WriteRequest = call.request()?;
    check_limits(&apply(&[], AttrChange::Reset, &req.attrs))?;
    let written = req.attrs.clone();
    let set = call.change_attributes(req, AttrChange::Reset).await?;
    Ok(write_reply(&set, &written))
}

/// delete_group_attr: removes the listed keys.
pub(super) async fn delete(call: Call<'_>) -> ImResult<Reply> {
    let req: WriteRequest = call.request()?;
    if req.attrs.is_empty() {
        return Err(call.bad_param("GroupAttr lists no keys to delete"));
    }
    let set = call.change_attributes(req, AttrChange::Delete).await?;
    Ok(reply([("AttrMainSeq", json!(set.main_seq))]))
}

/// clear_group_attr: every key, or, when `GroupAttr` lists keys, only those.
pub(super) async fn clear(call: Call<'_>) -> ImResult<Reply> {
    let req: WriteRequest = call.request()?;
    let change = if req.attrs.is_empty() { AttrChange::Clear } else { AttrChange::Delete };
    let set = call.change_attributes(req, change).await?;
    Ok(reply([("AttrMainSeq", json!(set.main_seq))]))
}
