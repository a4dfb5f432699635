//! The per-SDK-instance delivery queue.
//!
//! Rooms `offer` items without waiting; the instance's session task drains the queue and
//! writes what it finds in one go. The queue is bounded: when it is full, the lowest-priority
//! queued item below the new one is shed (Lowest, then Low, then Normal); if none is lower, the
//! new item is shed. A member that keeps shedding is behind for good and is told to
//! disconnect (`lagging`). The outbox outlives a socket: after a reconnect the new session
//! drains the same queue, so a member keeps its rooms.
//!
//! With a [`PushSchedule`] attached, room items do not wake the session one by one: the first
//! item of a tick enlists the outbox, and the schedule wakes every enlisted session at the end
//! of the tick, so each writes the tick's items as one frame (the same frame for every member
//! of a room). Replies, kicks and closes wake the session at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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

/// The queued entries and their total weight.
#[derive(Default)]
struct Queue {
    entries: VecDeque<Outgoing>,
    weight: usize,
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

/// The outboxes that received room items during the current tick, to be woken at its end.
#[derive(Default)]
pub struct PushSchedule {
    due: Mutex<Vec<Arc<Notify>>>,
}

impl PushSchedule {
    fn enlist(&self, ready: &Arc<Notify>) {
        self.due.lock().expect("push schedule lock").push(ready.clone());
    }

    /// Ends a tick: wakes every session whose outbox received items since the last call.
    /// Returns how many were woken.
    pub fn release(&self) -> usize {
        let due = std::mem::take(&mut *self.due.lock().expect("push schedule lock"));
        for ready in &due {
            ready.notify_one();
        }
        due.len()
    }
}

pub struct Outbox {
    queue: Mutex<Queue>,
    capacity: usize,
    ready: Arc<Notify>,
    schedule: OnceLock<Arc<PushSchedule>>,
    shed: AtomicU64,
    shed_in_a_row: AtomicU64,
    lagging: AtomicBool,
    /// Items shed in a row before the member counts as lagging.
    lag_limit: u64,
}

impl Outbox {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue::default()),
            capacity: capacity.max(1),
            ready: Arc::new(Notify::new()),
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
        // or at once for what must not wait for the end of a tick (a batch is a tick's end).
        let was_empty = queue.entries.is_empty();
        let is_item = matches!(out, Outgoing::Item(_));
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
            Some(schedule) if is_item => {
                if was_empty {
                    schedule.enlist(&self.ready);
                }
            }
            _ if was_empty || !is_item => self.ready.notify_one(),
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
mod tests {
    use super::*;
    use crate::room::item::ItemKind;

    fn item(seq: u64, priority: Priority) -> Outgoing {
        Outgoing::Item(Arc::new(PushItem { seq, kind: ItemKind::Message, priority, time: 0, json: Bytes::new() }))
    }

    fn seqs(out: Vec<Outgoing>) -> Vec<u64> {
        out.into_iter().map(|o| if let Outgoing::Item(i) = o { i.seq } else { 0 }).collect()
    }

    #[test]
    fn a_full_queue_sheds_the_lowest_priority_first() {
        let outbox = Outbox::new(3);
        assert!(outbox.offer(item(1, Priority::Normal)));
        assert!(outbox.offer(item(2, Priority::Lowest)));
        assert!(outbox.offer(item(3, Priority::Low)));
        assert!(outbox.offer(item(4, Priority::High))); // sheds 2 (Lowest)
        assert!(outbox.offer(item(5, Priority::Normal))); // sheds 3 (Low)
        assert!(!outbox.offer(item(6, Priority::Lowest))); // nothing lower: shed itself
        assert_eq!(seqs(outbox.drain()), [1, 4, 5]);
        assert_eq!(outbox.shed_count(), 3);
        assert!(!outbox.is_lagging());
    }

    #[tokio::test]
    async fn scheduled_items_wait_for_the_end_of_the_tick_and_frames_do_not() {
        let schedule = Arc::new(PushSchedule::default());
        let outbox = Outbox::new(16);
        outbox.attach_schedule(&schedule);
        outbox.offer(item(1, Priority::Normal));
        outbox.offer(item(2, Priority::Normal));
        let early = tokio::time::timeout(std::time::Duration::from_millis(20), outbox.ready()).await;
        assert!(early.is_err(), "items alone do not wake the session");
        assert_eq!(schedule.release(), 1, "enlisted once for the tick");
        outbox.ready().await;
        assert_eq!(seqs(outbox.drain()), [1, 2]);
        outbox.offer(Outgoing::Frame(Bytes::from_static(b"reply")));
        tokio::time::timeout(std::time::Duration::from_secs(1), outbox.ready()).await.expect("a frame wakes at once");
        assert_eq!(schedule.release(), 0);
    }

    #[test]
    fn a_member_that_never_drains_becomes_lagging() {
        let outbox = Outbox::new(2);
        for seq in 0..20 {
            outbox.offer(item(seq, Priority::Normal));
        }
        assert!(outbox.is_lagging());
    }
}
