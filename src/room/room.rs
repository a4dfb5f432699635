//! One live room: members, sequence numbers, recent items, frequency control.
//!
//! All state sits behind one mutex that is never held across an `.await`. Sends are queued
//! and decided once per tick (`tick` after the first pending send), so a burst is judged by
//! priority as a whole and the items of a tick reach each member together.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::batch::BatchSchedule;
use super::frequency::FrequencyControl;
use super::item::{EventDraft, ItemKind, MessageDraft, Priority, PushItem, event_json, message_json};
use super::outbox::{Outbox, Outgoing};

/// How a room behaves; from the server config, possibly per group later.
#[derive(Debug, Clone)]
pub struct RoomConfig {
    pub max_messages_per_sec: u32,
    pub tick: Duration,
    pub recent_items: usize,
    pub member_tips: bool,
    /// Per-group overrides of `max_messages_per_sec`.
    pub group_message_limits: std::collections::BTreeMap<String, u32>,
}

/// Who is in the room on one SDK instance, and how items reach it.
#[derive(Clone)]
pub struct Member {
    pub user_id: Option<String>,
    pub nick: String,
    pub avatar: String,
    /// Push mode: items go to this outbox. `None`: the member long-polls the recent ring.
    pub outbox: Option<Arc<Outbox>>,
    /// Unix milliseconds.
    pub joined_at_ms: u64,
    /// The first seq published to this member; set by [`Room::join`] (callers pass 0).
    pub from_seq: u64,
}

/// What became of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Delivered {
        seq: u64,
        time: u64,
    },
    /// Refused by frequency control: the sender is still told success.
    Dropped {
        seq: u64,
        time: u64,
    },
    /// The room was destroyed before the send was decided.
    Gone,
}

struct PendingSend {
    draft: MessageDraft,
    fingerprint: u64,
    reply: oneshot::Sender<SendOutcome>,
}

/// A repeated send (same sender, `Random` and content) within this long is answered with the
/// first one's outcome and not delivered again.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(300);
/// Remembered sends per room at most (40/s for 5 minutes is 12 000 admitted).
const MAX_REMEMBERED_SENDS: usize = 50_000;

struct RoomState {
    next_seq: u64,
    members: HashMap<Arc<str>, Member>,
    recent: VecDeque<Arc<PushItem>>,
    /// Items published during the current push tick, not yet offered to members (merging only).
    batch: Vec<Arc<PushItem>>,
    frequency: FrequencyControl,
    pending: Vec<PendingSend>,
    flush_scheduled: bool,
    destroyed: bool,
    delivered: u64,
    dropped: u64,
    /// Outcomes of recent sends by fingerprint, for duplicate suppression.
    recent_sends: HashMap<u64, SendOutcome>,
    recent_send_order: VecDeque<(Instant, u64)>,
}

impl RoomState {
    fn remember(&mut self, now: Instant, fingerprint: u64, outcome: SendOutcome) {
        while let Some(&(t, f)) = self.recent_send_order.front() {
            if now.saturating_duration_since(t) < DUPLICATE_WINDOW
                && self.recent_send_order.len() < MAX_REMEMBERED_SENDS
            {
                break;
            }
            self.recent_send_order.pop_front();
            self.recent_sends.remove(&f);
        }
        self.recent_sends.insert(fingerprint, outcome);
        self.recent_send_order.push_back((now, fingerprint));
    }
}

pub struct Room {
    pub sdkappid: u64,
    pub group_id: Arc<str>,
    config: RoomConfig,
    /// Where the room enlists when a tick's first item is published; `None`: items are offered
    /// to members one by one as they are published.
    batches: Option<Arc<BatchSchedule>>,
    me: Weak<Room>,
    state: Mutex<RoomState>,
    /// The next sequence number to be assigned; long-pollers wait for it to move.
    next_seq_tx: watch::Sender<u64>,
}

/// A read of the room's recent items for a long-poll.
pub struct Poll {
    pub items: Vec<Arc<PushItem>>,
    pub next_seq: u64,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Room {
    /// A room that offers each item to its members as it is published.
    pub fn new(sdkappid: u64, group_id: &str, config: RoomConfig) -> Arc<Self> {
        Self::with_batches(sdkappid, group_id, config, None)
    }

    /// A room that, with `batches`, merges the items of each push tick into one [`Batch`]
    /// per member, handed over when `batches` is released.
    ///
    /// [`Batch`]: super::batch::Batch
    pub fn with_batches(
        sdkappid: u64,
        group_id: &str,
        config: RoomConfig,
        batches: Option<Arc<BatchSchedule>>,
    ) -> Arc<Self> {
        let state = RoomState {
            next_seq: 1,
            members: HashMap::new(),
            recent: VecDeque::with_capacity(config.recent_items.min(64)),
            batch: Vec::new(),
            frequency: FrequencyControl::new(
                config.group_message_limits.get(group_id).copied().unwrap_or(config.max_messages_per_sec),
            ),
            pending: Vec::new(),
            flush_scheduled: false,
            destroyed: false,
            delivered: 0,
            dropped: 0,
            recent_sends: HashMap::new(),
            recent_send_order: VecDeque::new(),
        };
        Arc::new_cyclic(|me| Self {
            sdkappid,
            group_id: group_id.into(),
            config,
            batches,
            me: me.clone(),
            state: Mutex::new(state),
            next_seq_tx: watch::channel(1).0,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RoomState> {
        self.state.lock().expect("room state lock")
    }

    /// Assigns the next seq, serialises the item once, keeps it in the recent ring and offers
    /// it to every push-mode member (at the end of the push tick, when merging).
    fn publish(
        &self,
        state: &mut RoomState,
        kind: ItemKind,
        priority: Priority,
        build: impl FnOnce(u64, u64) -> Value,
    ) -> u64 {
        let seq = state.next_seq;
        state.next_seq += 1;
        let time = unix_now();
        let json = Bytes::from(serde_json::to_vec(&build(seq, time)).expect("items serialise"));
        let item = Arc::new(PushItem { seq, kind, priority, time, json });
        if state.recent.len() >= self.config.recent_items.max(1) {
            state.recent.pop_front();
        }
        state.recent.push_back(item.clone());
        match &self.batches {
            Some(batches) => {
                if state.batch.is_empty()
                    && let Some(me) = self.me.upgrade()
                {
                    batches.enlist(me);
                }
                state.batch.push(item);
            }
            None => {
                for outbox in state.members.values().filter_map(|m| m.outbox.as_ref()) {
                    outbox.offer(Outgoing::Item(item.clone()));
                }
            }
        }
        self.next_seq_tx.send_replace(state.next_seq);
        seq
    }

    fn publish_event(&self, state: &mut RoomState, kind: ItemKind, body: Value) -> u64 {
        let draft = EventDraft { kind, body };
        let group_id = self.group_id.clone();
        self.publish(state, kind, Priority::High, |seq, time| event_json(&group_id, seq, time, rand::random(), &draft))
    }

    /// Adds (or re-binds) an instance. Returns the first seq the member will receive, or
    /// `None` if the room is gone.
    pub fn join(&self, instance: Arc<str>, member: Member) -> Option<u64> {
        let mut state = self.lock();
        if state.destroyed {
            return None;
        }
        // A viewer who watched anonymously and then logged in arrives, to the room, as a new member.
        let previous = state.members.remove(&instance);
        if let Some(previous) = &previous {
            Self::settle(&state, previous);
        }
        let is_new = previous.is_none_or(|m| m.user_id != member.user_id);
        // The tip goes to the others before the joiner is a member: the SDK learns of its own
        // join from the join answer, and a late own tip would overwrite newer online counts.
        if is_new && self.config.member_tips && member.user_id.is_some() {
            let body = Self::online_tip_body(1, &member, state.members.len() + 1);
            self.publish_event(&mut state, ItemKind::Tip, body);
        }
        let from_seq = state.next_seq;
        state.members.insert(instance, Member { from_seq, ..member });
        Some(from_seq)
    }

    /// Removes an instance; returns the member it was, if any.
    pub fn leave(&self, instance: &str) -> Option<Member> {
        let mut state = self.lock();
        let member = state.members.remove(instance)?;
        Self::settle(&state, &member);
        if self.config.member_tips && member.user_id.is_some() && !state.destroyed {
            let body = Self::online_tip_body(2, &member, state.members.len());
            self.publish_event(&mut state, ItemKind::Tip, body);
        }
        Some(member)
    }

    pub fn member(&self, instance: &str) -> Option<Member> {
        self.lock().members.get(instance).cloned()
    }

    /// Every member, in no particular order.
    pub fn members(&self) -> Vec<Member> {
        self.lock().members.values().cloned().collect()
    }

    /// The sender profile copied into messages from this instance.
    pub fn update_member_profile(&self, instance: &str, nick: Option<&str>, avatar: Option<&str>) {
        if let Some(member) = self.lock().members.get_mut(instance) {
            if let Some(nick) = nick {
                member.nick = nick.to_owned();
            }
            if let Some(avatar) = avatar {
                member.avatar = avatar.to_owned();
            }
        }
    }

    pub fn has_user(&self, user_id: &str) -> bool {
        self.lock().members.values().any(|m| m.user_id.as_deref() == Some(user_id))
    }

    pub fn online_count(&self) -> usize {
        self.lock().members.len()
    }

    pub fn next_seq(&self) -> u64 {
        self.lock().next_seq
    }

    /// Counts of messages delivered and dropped by frequency control since the room loaded.
    pub fn counters(&self) -> (u64, u64) {
        let state = self.lock();
        (state.delivered, state.dropped)
    }

    /// Queues a message for the next tick; resolves when frequency control has decided.
    pub fn send(self: &Arc<Self>, draft: MessageDraft) -> oneshot::Receiver<SendOutcome> {
        let (reply, outcome) = oneshot::channel();
        let mut state = self.lock();
        if state.destroyed {
            let _ = reply.send(SendOutcome::Gone);
            return outcome;
        }
        let fingerprint = draft.fingerprint();
        if let Some(first) = state.recent_sends.get(&fingerprint) {
            let _ = reply.send(*first);
            return outcome;
        }
        state.pending.push(PendingSend { draft, fingerprint, reply });
        if !state.flush_scheduled {
            state.flush_scheduled = true;
            let room = self.clone();
            let tick = self.config.tick;
            tokio::spawn(async move {
                tokio::time::sleep(tick).await;
                room.flush(Instant::now());
            });
        }
        outcome
    }

    /// Decides every pending send and publishes the admitted ones in arrival order.
    pub fn flush(&self, now: Instant) {
        let mut state = self.lock();
        state.flush_scheduled = false;
        let pending = std::mem::take(&mut state.pending);
        let priorities: Vec<Priority> = pending.iter().map(|p| p.draft.priority).collect();
        let verdict = state.frequency.decide(now, &priorities);
        let group_id = self.group_id.clone();
        for (send, admitted) in pending.into_iter().zip(verdict) {
            let outcome = if admitted {
                state.delivered += 1;
                metrics::counter!(crate::metrics::MESSAGES_DELIVERED).increment(1);
                let draft = send.draft;
                let seq = self.publish(&mut state, ItemKind::Message, draft.priority, |seq, time| {
                    message_json(&group_id, seq, time, &draft)
                });
                SendOutcome::Delivered { seq, time: unix_now() }
            } else {
                // A dropped message still takes a seq, so the number the sender was told is
                // never reused for another item.
                state.dropped += 1;
                metrics::counter!(crate::metrics::MESSAGES_DROPPED).increment(1);
                let seq = state.next_seq;
                state.next_seq += 1;
                SendOutcome::Dropped { seq, time: unix_now() }
            };
            state.remember(now, send.fingerprint, outcome);
            let _ = send.reply.send(outcome);
        }
    }

    /// Takes a sequence number for a message nobody will receive (dropped by the backend), so
    /// the number its sender is told is never reused.
    pub fn skip_seq(&self) -> u64 {
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        seq
    }

    pub fn is_destroyed(&self) -> bool {
        self.lock().destroyed
    }

    /// Items with seq >= `start_seq` still in the recent ring. `start_seq` 0 means "from now".
    pub fn poll(&self, start_seq: u64) -> Poll {
        let state = self.lock();
        let from = if start_seq == 0 { state.next_seq } else { start_seq };
        // The ring is in seq order: find the start instead of scanning (every poll lands here).
        let start = state.recent.partition_point(|i| i.seq < from);
        let items = state.recent.range(start..).cloned().collect();
        Poll { items, next_seq: state.next_seq }
    }

    /// Watches the next sequence number (changes when an item is published).
    pub fn watch_seq(&self) -> watch::Receiver<u64> {
        self.next_seq_tx.subscribe()
    }
}

#[path = "room_events.rs"]
mod events;

#[path = "room_batch.rs"]
mod batch_delivery;

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
