//! What the room says on its own: tips (kicked, admins, mutes, profile changes), system
//! notices and the dismissal, and the recent messages a joiner may be handed.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};

use super::{
    EventDraft, ItemKind, Member, MessageDraft, Outgoing, Priority, PushItem, Room, SendOutcome, event_json,
    message_json, unix_now,
};

/// Tip OpType the SDK names GRP_TIP_BAN_AVCHATROOM_MEMBER.
const TIP_BANNED: u32 = 10;
/// System notice OpType on which the SDK leaves an AVChatRoom it was banned from.
const NOTICE_BANNED: u32 = 21;

impl Room {
    pub(super) fn online_tip_body(op_type: u32, member: &Member, online: usize) -> Value {
        let user = member.user_id.clone().unwrap_or_default();
        json!({
            "OpType": op_type,
            "Operator_Account": user,
            "List_Account": [user],
            "MsgOperatorMemberExtraInfo": {"UserId": user, "NickName": member.nick, "ImageUrl": member.avatar},
            "OnlineInf": {"Num": online, "ET": 60},
        })
    }

    /// Removes every instance of a banned `user`: the room is told (tip OpType 10, member
    /// banned) and each removed push instance gets a system notice (OpType 21, banned), on which
    /// the SDK drops the group. Returns the removed instances.
    pub fn ban_user(&self, user: &str, operator: &str) -> Vec<(Arc<str>, Member)> {
        let mut state = self.lock();
        let ids: Vec<Arc<str>> = state
            .members
            .iter()
            .filter(|(_, m)| m.user_id.as_deref() == Some(user))
            .map(|(id, _)| id.clone())
            .collect();
        if state.destroyed {
            return Vec::new();
        }
        let online = state.members.len() - ids.len();
        let tip = json!({"OpType": TIP_BANNED, "Operator_Account": operator, "List_Account": [user],
            "OnlineInf": {"Num": online, "ET": 60}});
        self.publish_event(&mut state, ItemKind::Tip, tip);
        let removed: Vec<(Arc<str>, Member)> =
            ids.into_iter().filter_map(|id| state.members.remove(&id).map(|m| (id, m))).collect();
        for (_, member) in &removed {
            Self::settle(&state, member);
        }
        let notice =
            EventDraft { kind: ItemKind::Notice, body: json!({"OpType": NOTICE_BANNED, "Operator_Account": operator}) };
        let (seq, time) = (state.next_seq, unix_now());
        for outbox in removed.iter().filter_map(|(_, m)| m.outbox.as_ref()) {
            // Not a room item: it takes no seq of its own and reaches only the banned member.
            let json = serde_json::to_vec(&event_json(&self.group_id, seq, time, rand::random(), &notice));
            let json = Bytes::from(json.expect("items serialise"));
            let item = PushItem { seq, kind: ItemKind::Notice, priority: Priority::High, time, json };
            outbox.offer(Outgoing::Item(Arc::new(item)));
        }
        removed
    }

    /// A group tip (Event 4) to every member; `body` is its `MsgBody`. `None` if the room is gone.
    pub fn tip(&self, body: Value) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
            return None;
        }
        Some(self.publish_event(&mut state, ItemKind::Tip, body))
    }

    /// A change (Event 6) every member's SDK applies itself, such as new group attributes.
    pub fn change(&self, body: Value) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
            return None;
        }
        let draft = EventDraft { kind: ItemKind::Change, body };
        let group_id = self.group_id.clone();
        Some(self.publish(&mut state, ItemKind::Change, Priority::High, |seq, time| {
            event_json(&group_id, seq, time, rand::random(), &draft)
        }))
    }

    /// A system notice (Event 5, OpType 255) to every member.
    pub fn notify(&self, operator: &str, text: &str) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
            return None;
        }
        let body = json!({"OpType": 255, "Operator_Account": operator, "UserDefinedField": text});
        Some(self.publish_event(&mut state, ItemKind::Notice, body))
    }

    /// Dismisses the room: a notice (OpType 5) to everyone, then nobody is a member.
    pub fn destroy(&self, operator: &str) -> Vec<Member> {
        let mut state = self.lock();
        if state.destroyed {
            return Vec::new();
        }
        self.publish_event(&mut state, ItemKind::Notice, json!({"OpType": 5, "Operator_Account": operator}));
        // No tick will come for a destroyed room: the members get what is pending now.
        Self::hand_over(&mut state);
        state.destroyed = true;
        for pending in state.pending.drain(..) {
            let _ = pending.reply.send(SendOutcome::Gone);
        }
        state.members.drain().map(|(_, m)| m).collect()
    }

    /// Publishes a message at once, outside frequency control (app-wide broadcasts). `None` if
    /// the room is gone or empty.
    pub fn broadcast(&self, draft: &MessageDraft) -> Option<u64> {
        let mut state = self.lock();
        // Nobody to hear it (AVChatRooms keep no history, so nobody could tell).
        if state.destroyed || state.members.is_empty() {
            return None;
        }
        let group_id = self.group_id.clone();
        Some(self.publish(&mut state, ItemKind::Message, draft.priority, |seq, time| {
            message_json(&group_id, seq, time, draft)
        }))
    }

    /// The last `limit` messages (not tips or notices) published at or after Unix second
    /// `since` and before `before_seq`, oldest first: the history a joiner is handed.
    pub fn history(&self, limit: usize, since: u64, before_seq: u64) -> Vec<Arc<PushItem>> {
        let state = self.lock();
        let mut items: Vec<Arc<PushItem>> = state
            .recent
            .iter()
            .rev()
            .filter(|i| i.kind == ItemKind::Message && i.seq < before_seq)
            .take_while(|i| i.time >= since)
            .take(limit)
            .cloned()
            .collect();
        items.reverse();
        items
    }
}
