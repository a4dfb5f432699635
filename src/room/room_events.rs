//! What the room says on its own: tips (kicked, admins, mutes, profile changes), system
//! notices and the dismissal, and the recent messages a joiner may be handed.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{ItemKind, Member, MessageDraft, PushItem, Room, SendOutcome, message_json};

impl Room {
    /// Removes every instance of `user` after telling the room (OpType 3, kicked), so the
    /// removed member sees it too. Returns the removed instances.
    pub fn kick_user(&self, user: &str, operator: &str) -> Vec<(Arc<str>, Member)> {
        let mut state = self.lock();
        let ids: Vec<Arc<str>> = state
            .members
            .iter()
            .filter(|(_, m)| m.user_id.as_deref() == Some(user))
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() || state.destroyed {
            return Vec::new();
        }
        let online = state.members.len() - ids.len();
        let body = json!({"OpType": 3, "Operator_Account": operator, "List_Account": [user], "OnlineInf": {"Num": online, "ET": 60}});
        self.publish_event(&mut state, ItemKind::Tip, body);
        ids.into_iter().filter_map(|id| state.members.remove(&id).map(|m| (id, m))).collect()
    }

    /// A group tip (Event 4) to every member; `body` is its `MsgBody`. `None` if the room is gone.
    pub fn tip(&self, body: Value) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
            return None;
        }
        Some(self.publish_event(&mut state, ItemKind::Tip, body))
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
        state.destroyed = true;
        for pending in state.pending.drain(..) {
            let _ = pending.reply.send(SendOutcome::Gone);
        }
        state.members.drain().map(|(_, m)| m).collect()
    }

    /// Publishes a message at once, outside frequency control (app-wide broadcasts). `None` if
    /// the room is gone.
    pub fn broadcast(&self, draft: &MessageDraft) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
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
