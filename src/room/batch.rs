//! Room-level merging: the items a room publishes during one push tick are collected in the
//! room and, at the end of the tick, offered to each member's outbox as one [`Batch`] — one
//! offer and one wake per member per tick, however many items the tick held. The batch also
//! carries its encodings, made once by the first session that writes it and shared (as
//! `Bytes`) by every other.
//!
//! A member receives the items published while it was a member, as with per-item offers: a
//! member that joined during the tick gets only the later items (one by one), and one that
//! leaves during the tick is handed its share before it goes (see `Room::settle`).

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use super::Room;
use super::item::PushItem;

/// Consecutive items of one room, written to every member as one push frame.
pub struct Batch {
    items: Vec<Arc<PushItem>>,
    plain: OnceLock<Bytes>,
    compressed: OnceLock<Bytes>,
}

impl Batch {
    /// A batch of `items` (non-empty, in seq order).
    pub fn new(items: Vec<Arc<PushItem>>) -> Arc<Self> {
        debug_assert!(!items.is_empty());
        Arc::new(Self { items, plain: OnceLock::new(), compressed: OnceLock::new() })
    }

    pub fn items(&self) -> &[Arc<PushItem>] {
        &self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The batch as one frame, encoded by `encode` the first time it is asked for.
    pub fn encoded(&self, encode: impl FnOnce(&[Arc<PushItem>]) -> Bytes) -> Bytes {
        self.plain.get_or_init(|| encode(&self.items)).clone()
    }

    /// The frame compressed by `compress`, made once for every socket that wants it.
    pub fn compressed(&self, plain: &Bytes, compress: impl FnOnce(&[u8]) -> Bytes) -> Bytes {
        self.compressed.get_or_init(|| compress(plain)).clone()
    }
}

/// The rooms that published items during the current push tick; the tick's owner (the gateway's
/// push clock) calls [`BatchSchedule::release`] at its end.
#[derive(Default)]
pub struct BatchSchedule {
    due: Mutex<Vec<Arc<Room>>>,
}

impl BatchSchedule {
    pub(super) fn enlist(&self, room: Arc<Room>) {
        self.due.lock().expect("batch schedule lock").push(room);
    }

    /// Ends a tick: every enlisted room hands its batch to its members. Returns how many rooms
    /// delivered one.
    pub fn release(&self) -> usize {
        let due = std::mem::take(&mut *self.due.lock().expect("batch schedule lock"));
        for room in &due {
            room.deliver_batch();
        }
        due.len()
    }
}
