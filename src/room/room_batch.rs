//! Handing a push tick's items to members (rooms that merge per tick; see `room::batch`).

use std::sync::Arc;

use super::{Member, Outbox, Outgoing, PushItem, Room, RoomState};
use crate::room::batch::Batch;

impl Room {
    /// The end of a push tick (called by the batch schedule).
    pub(in crate::room) fn deliver_batch(&self) {
        Self::hand_over(&mut self.lock());
    }

    /// Every push member gets the tick's items as one batch, or, if it joined during the tick,
    /// the items published since it joined, one by one.
    pub(super) fn hand_over(state: &mut RoomState) {
        let items = std::mem::take(&mut state.batch);
        let Some(first_seq) = items.first().map(|i| i.seq) else { return };
        let batch = Batch::new(items);
        for member in state.members.values() {
            let Some(outbox) = &member.outbox else { continue };
            if member.from_seq <= first_seq {
                outbox.offer(Outgoing::Batch(batch.clone()));
            } else {
                offer_since(outbox, batch.items(), member.from_seq);
            }
        }
    }

    /// A member leaving during a tick still gets the tick's items published while it was in.
    pub(super) fn settle(state: &RoomState, member: &Member) {
        if let Some(outbox) = &member.outbox {
            offer_since(outbox, &state.batch, member.from_seq);
        }
    }
}

/// Offers, one by one, the items a member that joined at `from_seq` was there for.
fn offer_since(outbox: &Outbox, items: &[Arc<PushItem>], from_seq: u64) {
    for item in items.iter().filter(|i| i.seq >= from_seq) {
        outbox.offer(Outgoing::Item(item.clone()));
    }
}
