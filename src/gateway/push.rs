//! Merged pushes, on one clock (`gateway.push_tick_ms`). At the end of each tick the ticker
//! first has rooms hand over their tick's items (one `Batch` per member, its frame encoded once
//! and shared as `Bytes` by every socket; see `room::batch`), then ends the tick for every
//! outbox given something during it (the [`PushSchedule`]): the outbox's frame goes straight to
//! its socket, or its session is woken to write it. At most one write per socket per tick,
//! whatever the number of items, and for most sockets no task wakes at all.
//!
//! Single items are merged too: the frame for a list of them is found again by the identity of
//! its items (the `Arc`s), not their content, and the cache keeps only the frames of the
//! current and the previous tick, so members holding the same items share one frame.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::{JoinSet, unconstrained};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::room::{Batch, DirectOutcome, Outbox, PushItem, PushSchedule};

/// Up to this many outboxes, the ticker ends their tick itself: too few writes to be worth
/// handing to other threads.
const INLINE_OUTBOXES: usize = 512;

type Key = (usize, usize, u64);

#[derive(Default)]
struct Generations {
    tick: u64,
    current: HashMap<Key, Arc<Batch>>,
    previous: HashMap<Key, Arc<Batch>>,
}

/// The push clock: its schedule, and the frames of its last two ticks.
pub struct PushClock {
    epoch: Instant,
    tick: Duration,
    schedule: Arc<PushSchedule>,
    frames: Mutex<Generations>,
}

fn key(items: &[Arc<PushItem>]) -> Key {
    // Addresses are stable while the cache holds the items; the mix tells apart lists with the
    // same ends and length but different items in between.
    let mix = items.iter().fold(0u64, |h, i| (h ^ Arc::as_ptr(i) as u64).wrapping_mul(0x100_0000_01b3));
    (Arc::as_ptr(&items[0]) as usize, items.len(), mix)
}

impl PushClock {
    /// A zero `tick` turns merging off: sessions write as soon as something is queued.
    pub fn new(tick: Duration) -> Self {
        Self { epoch: Instant::now(), tick, schedule: Arc::default(), frames: Mutex::default() }
    }

    /// What outboxes enlist in when items arrive, or `None` when merging is off.
    pub fn schedule(&self) -> Option<&Arc<PushSchedule>> {
        (!self.tick.is_zero()).then_some(&self.schedule)
    }

    /// Ends a tick every `tick` until `shutdown`: rooms hand over their batches, then the
    /// sessions holding single items are woken.
    pub fn spawn_ticker(self: &Arc<Self>, shutdown: CancellationToken, end_room_ticks: impl Fn() + Send + 'static) {
        if self.tick.is_zero() {
            return;
        }
        let clock = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(clock.tick);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        end_room_ticks();
                        clock.end_outbox_ticks().await;
                    }
                    _ = shutdown.cancelled() => return,
                }
            }
        });
    }

    /// Ends the tick for every outbox given items. The end of a tick writes to the member's
    /// socket (see `Outbox::end_tick`), a few microseconds of system call each, so a big tick's
    /// writes run on blocking threads, one share per core: the runtime's workers stay free to
    /// answer requests (a sender's `send_group_msg` otherwise queued behind the whole fan-out,
    /// about 200 ms at 19 000 viewers, against 12–15 ms this way), and the OS shares the cores
    /// between both. The next tick waits for these writes, so a member's ticks never overtake
    /// each other, and a room whose writes run late merges more items into its next tick.
    pub(super) async fn end_outbox_ticks(&self) {
        let due: Arc<[Arc<Outbox>]> = self.schedule.take_due().into();
        if due.len() <= INLINE_OUTBOXES {
            unconstrained(async { end_ticks(&due) }).await;
            return;
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let share = due.len().div_ceil(threads);
        let mut writers = JoinSet::new();
        for start in (0..due.len()).step_by(share) {
            let due = due.clone();
            let end = (start + share).min(due.len());
            writers.spawn_blocking(move || end_ticks(&due[start..end]));
        }
        writers.join_all().await;
    }

    fn tick_number(&self, now: Instant) -> u64 {
        let tick = self.tick.as_nanos().max(1);
        (now.saturating_duration_since(self.epoch).as_nanos() / tick) as u64
    }

    /// The batch of `items` (non-empty), shared with every other socket writing the same items
    /// (and so encoded once for all of them).
    pub fn frame(&self, items: Vec<Arc<PushItem>>, now: Instant) -> Arc<Batch> {
        let key = key(&items);
        let same =
            |f: &Arc<Batch>| f.len() == items.len() && f.items().iter().zip(&items).all(|(a, b)| Arc::ptr_eq(a, b));
        let tick = self.tick_number(now);
        {
            let mut frames = self.frames.lock().expect("push frames lock");
            if frames.tick != tick {
                frames.tick = tick;
                frames.previous = std::mem::take(&mut frames.current);
            }
            if let Some(found) = frames.current.get(&key).or_else(|| frames.previous.get(&key)).filter(|f| same(f)) {
                return found.clone();
            }
        }
        // Two sockets racing on one tick may both make one; each is encoded once.
        let shared = Batch::new(items);
        self.frames.lock().expect("push frames lock").current.insert(key, shared.clone());
        shared
    }
}

/// Ends the tick of `outboxes` and counts who wrote (one counter update per call, not per socket).
/// Runs outside tokio's cooperative budget (`unconstrained` on the ticker, or a blocking
/// thread): within it, every socket write after the task's first 128 or so would be refused as
/// if the socket were full, and left to its session.
fn end_ticks(outboxes: &[Arc<Outbox>]) {
    let (mut ticker, mut unflushed, mut session) = (0u64, 0u64, 0u64);
    for outcome in outboxes.iter().filter_map(|outbox| outbox.end_tick()) {
        match outcome {
            DirectOutcome::Written => ticker += 1,
            DirectOutcome::Buffered => unflushed += 1,
            DirectOutcome::Refused => session += 1,
        }
    }
    for (by, count) in [("ticker", ticker), ("ticker_unflushed", unflushed), ("session", session)] {
        metrics::counter!(crate::metrics::PUSH_WRITES, "by" => by).increment(count);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::gateway::frame;
    use crate::room::Priority;
    use crate::room::item::ItemKind;
    use bytes::Bytes;

    /// A message item whose JSON is just its sequence number.
    pub(in crate::gateway) fn item(seq: u64) -> Arc<PushItem> {
        let json = Bytes::from(format!(r#"{{"MsgSeq":{seq}}}"#));
        Arc::new(PushItem { seq, kind: ItemKind::Message, priority: Priority::Normal, time: 0, json })
    }

    #[tokio::test(start_paused = true)]
    async fn the_ticker_wakes_enlisted_outboxes_once_per_tick() {
        let clock = Arc::new(PushClock::new(Duration::from_millis(50)));
        let outbox = crate::room::Outbox::new(16);
        outbox.attach_schedule(clock.schedule().unwrap());
        clock.spawn_ticker(CancellationToken::new(), || {});
        outbox.offer(crate::room::Outgoing::Item(item(1)));
        let started = Instant::now();
        outbox.ready().await;
        assert!(started.elapsed() <= Duration::from_millis(50));
        assert!(PushClock::new(Duration::ZERO).schedule().is_none());
    }

    /// Records the items written to it and the threads that wrote them.
    #[derive(Default)]
    struct Recorder {
        seqs: std::sync::Mutex<Vec<u64>>,
        threads: std::sync::Mutex<std::collections::HashSet<std::thread::ThreadId>>,
    }

    impl crate::room::DirectWrite for Recorder {
        fn try_write(&self, entries: &std::collections::VecDeque<crate::room::Outgoing>) -> DirectOutcome {
            for entry in entries {
                if let crate::room::Outgoing::Item(item) = entry {
                    self.seqs.lock().unwrap().push(item.seq);
                }
            }
            self.threads.lock().unwrap().insert(std::thread::current().id());
            // A socket write's cost, so that one thread cannot finish every share alone.
            std::thread::sleep(Duration::from_micros(20));
            DirectOutcome::Written
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_big_tick_is_written_on_several_threads_and_every_member_gets_its_items_in_order() {
        let clock = Arc::new(PushClock::new(Duration::from_millis(50)));
        let sockets: Vec<Arc<Recorder>> = (0..3 * INLINE_OUTBOXES).map(|_| Arc::default()).collect();
        let outboxes: Vec<Arc<Outbox>> = sockets
            .iter()
            .map(|socket| {
                let outbox = Outbox::new(64);
                outbox.attach_schedule(clock.schedule().unwrap());
                outbox.attach_direct(socket.clone());
                outbox
            })
            .collect();
        for seq in 1..=3 {
            for outbox in &outboxes {
                outbox.offer(crate::room::Outgoing::Item(item(seq)));
            }
            clock.end_outbox_ticks().await;
        }
        let mut threads = std::collections::HashSet::new();
        for socket in &sockets {
            assert_eq!(*socket.seqs.lock().unwrap(), [1, 2, 3]);
            threads.extend(socket.threads.lock().unwrap().iter().copied());
        }
        if std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
            assert!(threads.len() > 1, "the writes were shared between threads");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_items_share_one_frame_and_different_items_do_not() {
        let clock = PushClock::new(Duration::from_millis(50));
        let (one, two, three) = (item(1), item(2), item(3));
        let now = Instant::now();
        let first = clock.frame(vec![one.clone(), two.clone(), three.clone()], now);
        let again = clock.frame(vec![one.clone(), two.clone(), three.clone()], now + Duration::from_millis(60));
        assert!(Arc::ptr_eq(&first, &again));
        let shed = clock.frame(vec![one.clone(), three.clone()], now);
        assert!(!Arc::ptr_eq(&first, &shed));
        let parsed: serde_json::Value = serde_json::from_slice(&frame::encode_batch(&first)).unwrap();
        assert_eq!(parsed["body"]["EventArray"][0]["GroupMsgArray"].as_array().unwrap().len(), 3);
        // Two ticks later the frame is forgotten.
        let later = clock.frame(vec![one, two, three], now + Duration::from_millis(200));
        assert!(!Arc::ptr_eq(&first, &later));
    }
}
