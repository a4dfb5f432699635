//! What a room delivers: messages (Event 3), tips (Event 4) and system notices (Event 5).
//! Each item is serialised once, with its room sequence number, and shared by every member.

use bytes::Bytes;
use serde_json::{Value, json};

/// Message priority, as in `MsgPriority`. Tips and notices travel as `High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Lowest = 0,
    Low = 1,
    Normal = 2,
    High = 3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Lowest, Priority::Low, Priority::Normal, Priority::High];

    /// Parses `MsgPriority`; absent means Normal. Case-insensitive, as clients vary.
    pub fn parse(text: Option<&str>) -> Option<Priority> {
        match text.map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("normal") => Some(Priority::Normal),
            Some("high") => Some(Priority::High),
            Some("low") => Some(Priority::Low),
            Some("lowest") => Some(Priority::Lowest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Normal => "Normal",
            Priority::Low => "Low",
            Priority::Lowest => "Lowest",
        }
    }
}

/// The kind of item, which picks the push array the SDK reads it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Message,
    Tip,
    Notice,
    /// Group data changes the SDK applies itself (Event 6): group attributes.
    Change,
}

impl ItemKind {
    pub fn event(self) -> u32 {
        match self {
            ItemKind::Message => 3,
            ItemKind::Tip => 4,
            ItemKind::Notice => 5,
            ItemKind::Change => 6,
        }
    }

    /// The key of the `EventArray` entry that carries items of this kind.
    pub fn array_key(self) -> &'static str {
        match self {
            ItemKind::Message => "GroupMsgArray",
            ItemKind::Tip | ItemKind::Notice | ItemKind::Change => "GroupTips",
        }
    }
}

/// One delivered item: its sequence number and its JSON, ready to splice into frames.
#[derive(Debug, Clone)]
pub struct PushItem {
    pub seq: u64,
    pub kind: ItemKind,
    pub priority: Priority,
    pub time: u64,
    pub json: Bytes,
}

/// A group message as sent; the room adds sequence number and time.
#[derive(Debug, Clone)]
pub struct MessageDraft {
    pub from_account: String,
    pub from_tiny_id: String,
    pub nick: String,
    pub avatar: String,
    pub random: u32,
    pub client_time: u64,
    pub priority: Priority,
    pub body: Value,
    pub cloud_custom_data: String,
}

/// What a tip or notice says; `body` is the item's `MsgBody` object.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub kind: ItemKind,
    pub body: Value,
}

/// The message item as the SDK reads it (`GroupMsgArray` / `RspMsgList`).
impl MessageDraft {
    /// Identifies a repeated send: same sender, `Random`, body and custom data.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.from_account.hash(&mut h);
        self.random.hash(&mut h);
        self.body.to_string().hash(&mut h);
        self.cloud_custom_data.hash(&mut h);
        h.finish()
    }
}

pub fn message_json(group_id: &str, seq: u64, time: u64, m: &MessageDraft) -> Value {
    json!({
        "Event": ItemKind::Message.event(),
        "GroupId": group_id,
        "ToGroupId": group_id,
        "From_Account": m.from_account,
        "TinyId": m.from_tiny_id,
        "MsgSeq": seq,
        "MsgRandom": m.random,
        "MsgTimeStamp": time,
        "MsgClientTime": m.client_time,
        "MsgPriority": m.priority.as_str(),
        "CloudCustomData": m.cloud_custom_data,
        "MsgBody": m.body,
        "GroupInfo": {
            "GroupId": group_id,
            "GroupType": "AVChatRoom",
            "From_AccountNick": m.nick,
            "From_AccountHeadurl": m.avatar,
        },
    })
}

/// A tip (Event 4), system notice (Event 5) or change (Event 6) item.
pub fn event_json(group_id: &str, seq: u64, time: u64, random: u32, e: &EventDraft) -> Value {
    json!({
        "Event": e.kind.event(),
        "GroupId": group_id,
        "ToGroupId": group_id,
        "From_Account": "@TIM#SYSTEM",
        "MsgSeq": seq,
        "MsgRandom": random,
        "MsgTimeStamp": time,
        "GroupInfo": {"GroupId": group_id, "GroupType": "AVChatRoom"},
        "MsgBody": e.body,
    })
}
