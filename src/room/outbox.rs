//! The per-SDK-instance delivery queue.
//!
//! Rooms `offer` items without waiting; the instance's session task drains the queue and
//! writes what it finds in one go. The queue is bounded: when it is full, the lowest-priority
//! queued item below the new one is shed (Lowest, then Low, then Normal); if none is lower, the
//! new item is shed. A member that keeps shedding is behind for good and is told to
//! disconnect (`lagging`). The outbox outlives a socket: after a reconnect the new session
//! drains the same queue, so a member keeps its rooms.
//!
//! With a [`PushSchedule`] attached, room items and batches do not wake the session one by
//! one: the first of a tick enlists the outbox, and at the end of the tick the schedule ends
//! it for every enlisted outbox, so each socket writes the tick's items as one frame (the same
//! frame for every member of a room). Replies, kicks and closes wake the session at once.
//!
//! Ending a tick writes what is queued straight to the socket when the socket's session has
//! attached a [`DirectWrite`] and the socket takes it now: no task wakes for a tick's push. What
//! the socket does not take at once is left to the session, woken as before.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use bytes::Bytes;
use tokio::sync::Notify;

use super::batch::Batch;
use super::item::{Priority, PushItem};

/// Something a session must write: a room item, a tick's items of a room, or a ready frame (a
/// late reply, a kick).
#[derive(Clone)]
pub enum Outgoing {
    Item(Arc<PushItem>),
    Batch(Arc<Batch>),
    Frame(Bytes),
    /// Close the current socket (the instance stays and may reconnect).
    Close,
}

impl Outgoing {
    fn priority(&self) -> Priority {
        match self {
            Outgoing::Item(item) => item.priority,
            // Unpacked before anything is shed (see `Queue::unpack`).
            Outgoing::Batch(_) | Outgoing::Frame(_) | Outgoing::Close => Priority::High,
        }
    }

    /// How much of the queue's capacity this takes.
    fn weight(&self) -> usize {
        match self {
            Outgoing::Batch(batch) => batch.len(),
            _ => 1,
        }
    }
}

/// What a tick's end did with an outbox's queue (see [`DirectWrite`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectOutcome {
    /// Written and flushed to the socket.
    Written,
    /// Taken by the socket but not all flushed: the session must finish the flush.
    Buffered,
    /// Not taken (the socket is busy or full): the session writes it.
    Refused,
}

/// A socket that can take queued entries at once, on the thread that ends a push tick, without
/// waiting and without waking its session.
///
/// Order: the end of a tick offers every queued entry (under the outbox's lock) or none, so
/// nothing older is left behind. The socket must refuse while its session is writing, from
/// before the session drains the outbox until its flush is done (and after leaving a frame
/// `Buffered`, until the session's next flush): a direct write then would go past what the
/// session took, and the waker it is polled with would replace the session's.
pub trait DirectWrite: Send + Sync {
    /// Writes `entries` (items and batches only) if the socket takes them now.
    fn try_write(&self, entries: &VecDeque<Outgoing>) -> DirectOutcome;
}

/// The queued entries and their total weight.
#[derive(Default)]
struct Queue {
    entries: VecDeque<Outgoing>,
    weight: usize,
    /// The socket's direct writer, while a session is connected.
    direct: Option<Arc<dyn DirectWrite>>,
}

impl Queue {
    fn push(&mut self, out: Outgoing) {
        self.weight += out.weight();
        self.entries.push_back(out);
    }

    fn remove(&mut self, i: usize) {
        if let Some(out) = self.entries.remove(i) {
            self.weight -= out.weight();
        }
    }

    /// Replaces every batch by its items, so that single items can be shed.
    fn unpack(&mut self) {
        if !self.entries.iter().any(|o| matches!(o, Outgoing::Batch(_))) {
            return;
        }
        let entries = std::mem::take(&mut self.entries);
        for out in entries {
            match out {
                Outgoing::Batch(batch) => self.entries.extend(batch.items().iter().cloned().map(Outgoing::Item)),
                other => self.entries.push_back(other),
            }
        }
    }
}

/// The outboxes that received room items during the current tick, to be ended at its end.
#[derive(Default)]
pub struct PushSchedule {
    due: Mutex<Vec<Arc<Outbox>>>,
}

impl PushSchedule {
    fn enlist(&self, outbox: Arc<Outbox>) {
        self.due.lock().expect("push schedule lock").push(outbox);
    }

    /// The outboxes that received items since the last call; the caller ends the tick for
    /// each ([`Outbox::end_tick`]), on as many threads as it likes.
    pub fn take_due(&self) -> Vec<Arc<Outbox>> {
        std::mem::take(&mut *self.due.lock().expect("push schedule lock"))
    }

    /// Ends a tick on this thread for every outbox that received items since the last call.
    /// Returns how many there were.
    pub fn release(&self) -> usize {
        let due = self.take_due();
        for outbox in &due {
            outbox.end_tick();
        }
        due.len()
    }
}

pub struct Outbox {
    me: Weak<Outbox>,
    queue: Mutex<Queue>,
    capacity: usize,
    ready: Notify,
    schedule: OnceLock<Arc<PushSchedule>>,
    shed: AtomicU64,
    shed_in_a_row: AtomicU64,
    lagging: AtomicBool,
    /// Items shed in a row before the member counts as lagging.
    lag_limit: u64,
}

impl Outbox {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            queue: Mutex::new(Queue::default()),
            capacity: capacity.max(1),
            ready: Notify::new(),
            schedule: OnceLock::new(),
            shed: AtomicU64::new(0),
            shed_in_a_row: AtomicU64::new(0),
            lagging: AtomicBool::new(false),
            lag_limit: capacity as u64 * 4,
        })
    }

    /// Queues `out` without waiting; sheds by priority when full. Returns false if `out`
    /// itself (all of it, for a batch) was shed.
    pub fn offer(&self, out: Outgoing) -> bool {
        let mut queue = self.queue.lock().expect("outbox lock");
        // The session is told once, when the queue stops being empty (it drains everything),
        // or at once for what must not wait for the end of a tick (replies, kicks, closes).
        let was_empty = queue.entries.is_empty();
        let waits_for_tick = matches!(out, Outgoing::Item(_) | Outgoing::Batch(_));
        let accepted = match out {
            Outgoing::Batch(batch) if queue.weight + batch.len() > self.capacity => {
                queue.unpack();
                let mut any = false;
                for item in batch.items() {
                    any |= self.queue_item(&mut queue, Outgoing::Item(item.clone()));
                }
                any
            }
            out => self.queue_item(&mut queue, out),
        };
        drop(queue);
        match self.schedule.get() {
            Some(schedule) if waits_for_tick => {
                if was_empty && let Some(me) = self.me.upgrade() {
                    schedule.enlist(me);
                }
            }
            _ if was_empty || !waits_for_tick => self.ready.notify_one(),
            _ => {}
        }
        accepted
    }

    /// Queues one entry, shedding the lowest-priority queued item below it when full.
    fn queue_item(&self, queue: &mut Queue, out: Outgoing) -> bool {
        if queue.weight + out.weight() <= self.capacity || matches!(out, Outgoing::Frame(_) | Outgoing::Close) {
            queue.push(out);
            return true;
        }
        queue.unpack();
        let new_priority = out.priority();
        let victim = queue
            .entries
            .iter()
            .enumerate()
            .filter(|(_, o)| o.priority() < new_priority)
            .min_by_key(|(_, o)| o.priority())
            .map(|(i, _)| i);
        if let Some(i) = victim {
            queue.remove(i);
            queue.push(out);
        }
        self.shed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(crate::metrics::ITEMS_SHED).increment(1);
        if self.shed_in_a_row.fetch_add(1, Ordering::Relaxed) + 1 >= self.lag_limit {
            self.lagging.store(true, Ordering::Relaxed);
        }
        victim.is_some()
    }

    /// The end of a push tick for this outbox: what is queued goes straight to the socket if
    /// a session is connected and the socket takes it now; otherwise the session is woken to
    /// write it. Returns what happened to the queue (`None`: it was empty).
    pub fn end_tick(&self) -> Option<DirectOutcome> {
        let mut queue = self.queue.lock().expect("outbox lock");
        if queue.entries.is_empty() {
            return None;
        }
        let only_pushes = || queue.entries.iter().all(|o| matches!(o, Outgoing::Item(_) | Outgoing::Batch(_)));
        let outcome = match &queue.direct {
            Some(direct) if !self.is_lagging() && only_pushes() => direct.try_write(&queue.entries),
            _ => DirectOutcome::Refused,
        };
        if outcome != DirectOutcome::Refused {
            queue.entries.clear();
            queue.weight = 0;
            self.shed_in_a_row.store(0, Ordering::Relaxed);
        }
        drop(queue);
        if outcome != DirectOutcome::Written {
            self.ready.notify_one();
        }
        Some(outcome)
    }

    /// A session's socket, written to directly at the end of push ticks from now on (replacing
    /// any other's).
    pub fn attach_direct(&self, direct: Arc<dyn DirectWrite>) {
        self.queue.lock().expect("outbox lock").direct = Some(direct);
    }

    /// Stops direct writes to `direct`'s socket (if it is still the attached one).
    pub fn detach_direct(&self, direct: &Arc<dyn DirectWrite>) {
        let mut queue = self.queue.lock().expect("outbox lock");
        if queue.direct.as_ref().is_some_and(|d| std::ptr::addr_eq(Arc::as_ptr(d), Arc::as_ptr(direct))) {
            queue.direct = None;
        }
    }

    /// Takes everything queued, oldest first, up to and including a `Close`: what follows a
    /// close stays queued for the next socket.
    pub fn drain(&self) -> Vec<Outgoing> {
        let mut queue = self.queue.lock().expect("outbox lock");
        self.shed_in_a_row.store(0, Ordering::Relaxed);
        let end =
            queue.entries.iter().position(|o| matches!(o, Outgoing::Close)).map_or(queue.entries.len(), |i| i + 1);
        let taken: Vec<Outgoing> = queue.entries.drain(..end).collect();
        queue.weight -= taken.iter().map(Outgoing::weight).sum::<usize>();
        if !queue.entries.is_empty() {
            self.ready.notify_one();
        }
        taken
    }

    /// From now on, room items wait for the end of the schedule's tick (set once).
    pub fn attach_schedule(&self, schedule: &Arc<PushSchedule>) {
        let _ = self.schedule.set(schedule.clone());
    }

    /// Wakes the session if anything is queued (a new socket drains what an old one left).
    pub fn wake_if_pending(&self) {
        if !self.queue.lock().expect("outbox lock").entries.is_empty() {
            self.ready.notify_one();
        }
    }

    /// Waits until something is queued (returns at once if something already is).
    pub async fn ready(&self) {
        self.ready.notified().await
    }

    /// True once the member has been behind for so long that it should be disconnected.
    pub fn is_lagging(&self) -> bool {
        self.lagging.load(Ordering::Relaxed)
    }

    /// A new socket starts with a clean slate.
    pub fn clear_lagging(&self) {
        self.lagging.store(false, Ordering::Relaxed);
        self.shed_in_a_row.store(0, Ordering::Relaxed);
    }

    pub fn shed_count(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
