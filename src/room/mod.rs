//! The live-room engine: in-memory AVChatRoom state, independent of any transport.
//!
//! Concurrency model:
//! - [`Rooms`] maps (SDKAppID, GroupId) to an `Arc<Room>`; a room is loaded on first use from
//!   the group's stored record and dropped when the group is destroyed.
//! - Each [`Room`] keeps its state behind one `std::sync::Mutex`, held only for short,
//!   non-async work: membership changes, sequence numbers, the recent-items ring and
//!   frequency control. Nothing awaits while holding it.
//! - Sends are queued and decided once per room tick (default 10 ms) by [`FrequencyControl`],
//!   which is the single place messages are admitted; admitted items are serialised once and
//!   offered to each push member's bounded [`Outbox`] with a non-blocking call. With merging on
//!   (the gateway's push tick), a room collects a tick's items and offers them to each member
//!   once, as one [`batch::Batch`], when the tick ends.
//! - The gateway writes what outboxes hold: at the end of a push tick straight to the socket
//!   when it takes the frame at once ([`outbox::DirectWrite`]), otherwise from the socket's
//!   session task. Long-poll members read the recent ring and wait on the room's sequence watch.

pub mod batch;
mod frequency;
pub mod item;
pub mod outbox;
mod room;

use std::sync::Arc;

use dashmap::DashMap;

pub use batch::{Batch, BatchSchedule};
pub use frequency::FrequencyControl;
pub use item::{MessageDraft, Priority, PushItem};
pub use outbox::{DirectOutcome, DirectWrite, Outbox, Outgoing, PushSchedule};
pub use room::{Member, Poll, Room, RoomConfig, SendOutcome};

/// Every loaded room of every app.
pub struct Rooms {
    rooms: DashMap<(u64, String), Arc<Room>>,
    config: RoomConfig,
    /// Present when rooms merge each push tick's items (see [`batch`]).
    batches: Option<Arc<BatchSchedule>>,
}

impl Rooms {
    /// Rooms that offer every item to members as it is published.
    pub fn new(config: RoomConfig) -> Self {
        Self { rooms: DashMap::new(), config, batches: None }
    }

    /// Rooms that merge the items of each push tick; the caller ends ticks with
    /// [`Rooms::end_push_tick`].
    pub fn merging(config: RoomConfig) -> Self {
        Self { rooms: DashMap::new(), config, batches: Some(Arc::default()) }
    }

    /// Ends a push tick: rooms that published items since the last one hand them to their
    /// members. Returns how many rooms did.
    pub fn end_push_tick(&self) -> usize {
        self.batches.as_ref().map_or(0, |b| b.release())
    }

    pub fn get(&self, sdkappid: u64, group_id: &str) -> Option<Arc<Room>> {
        self.rooms.get(&(sdkappid, group_id.to_owned())).map(|r| r.clone())
    }

    /// The loaded room, or a new one for a group the caller has checked exists.
    pub fn get_or_create(&self, sdkappid: u64, group_id: &str) -> Arc<Room> {
        self.rooms
            .entry((sdkappid, group_id.to_owned()))
            .or_insert_with(|| Room::with_batches(sdkappid, group_id, self.config.clone(), self.batches.clone()))
            .clone()
    }

    /// Every loaded room of an app.
    pub fn of_app(&self, sdkappid: u64) -> Vec<Arc<Room>> {
        self.rooms.iter().filter(|e| e.key().0 == sdkappid).map(|e| e.value().clone()).collect()
    }

    /// Dismisses a loaded room and forgets it; returns who was in it.
    pub fn destroy(&self, sdkappid: u64, group_id: &str, operator: &str) -> Vec<Member> {
        match self.rooms.remove(&(sdkappid, group_id.to_owned())) {
            Some((_, room)) => room.destroy(operator),
            None => Vec::new(),
        }
    }
}
