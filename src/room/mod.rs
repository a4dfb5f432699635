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
//!   offered to each push member's bounded [`Outbox`] with a non-blocking call.
//! - Session tasks (the gateway) drain outboxes and write. Long-poll members read the recent
//!   ring and wait on the room's sequence watch.

mod frequency;
pub mod item;
pub mod outbox;
mod room;

use std::sync::Arc;

use dashmap::DashMap;

pub use frequency::FrequencyControl;
pub use item::{MessageDraft, Priority, PushItem};
pub use outbox::{Outbox, Outgoing, PushSchedule};
pub use room::{Member, Poll, Room, RoomConfig, SendOutcome};

/// Every loaded room of every app.
pub struct Rooms {
    rooms: DashMap<(u64, String), Arc<Room>>,
    config: RoomConfig,
}

impl Rooms {
    pub fn new(config: RoomConfig) -> Self {
        Self { rooms: DashMap::new(), config }
    }

    pub fn get(&self, sdkappid: u64, group_id: &str) -> Option<Arc<Room>> {
        self.rooms.get(&(sdkappid, group_id.to_owned())).map(|r| r.clone())
    }

    /// The loaded room, or a new one for a group the caller has checked exists.
    pub fn get_or_create(&self, sdkappid: u64, group_id: &str) -> Arc<Room> {
        self.rooms
            .entry((sdkappid, group_id.to_owned()))
            .or_insert_with(|| Room::new(sdkappid, group_id, self.config.clone()))
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
