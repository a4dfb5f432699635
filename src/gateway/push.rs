//! Merged pushes: room items queued during a tick (`gateway.push_tick_ms`) wake their sessions
//! together at the end of the tick (one task, the ticker, releases the [`PushSchedule`]), so the
//! members of a room find the same items queued, and the push frame for them is built once and
//! shared (as `Bytes`) by every socket that writes it. One wake and one write per socket per
//! tick, whatever the number of items.
//!
//! A frame is found again by the identity of its items (the `Arc`s), not their content, and
//! the cache keeps only the frames of the current and the previous tick: a member whose queue
//! differs (one that shed items, or joined late) gets a frame of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::frame;
use crate::room::{PushItem, PushSchedule};

/// A push frame shared by every socket that writes the same items; its `COMP` + gzip form is
/// made once, by the first socket that needs it.
pub struct SharedFrame {
    items: Vec<Arc<PushItem>>,
    pub plain: Bytes,
    compressed: OnceLock<Bytes>,
}

impl SharedFrame {
    pub fn compressed(&self) -> Bytes {
        self.compressed.get_or_init(|| frame::compress(&self.plain)).clone()
    }
}

type Key = (usize, usize, u64);

#[derive(Default)]
struct Generations {
    tick: u64,
    current: HashMap<Key, Arc<SharedFrame>>,
    previous: HashMap<Key, Arc<SharedFrame>>,
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

    /// Ends a tick every `tick` until `shutdown`.
    pub fn spawn_ticker(self: &Arc<Self>, shutdown: CancellationToken) {
        if self.tick.is_zero() {
            return;
        }
        let clock = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(clock.tick);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = ticks.tick() => { clock.schedule.release(); }
                    _ = shutdown.cancelled() => return,
                }
            }
        });
    }

    fn tick_number(&self, now: Instant) -> u64 {
        let tick = self.tick.as_nanos().max(1);
        (now.saturating_duration_since(self.epoch).as_nanos() / tick) as u64
    }

    /// The push frame for `items` (non-empty), shared with every other socket writing them.
    pub fn frame(&self, items: Vec<Arc<PushItem>>, now: Instant) -> Arc<SharedFrame> {
        let key = key(&items);
        let same = |f: &Arc<SharedFrame>| {
            f.items.len() == items.len() && f.items.iter().zip(&items).all(|(a, b)| Arc::ptr_eq(a, b))
        };
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
        // Built outside the lock; two sockets racing on one tick may both build it, once.
        let refs: Vec<&PushItem> = items.iter().map(|i| i.as_ref()).collect();
        let plain = frame::push_frame(items[0].seq, &refs);
        let shared = Arc::new(SharedFrame { items, plain, compressed: OnceLock::new() });
        self.frames.lock().expect("push frames lock").current.insert(key, shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::Priority;
    use crate::room::item::ItemKind;

    fn item(seq: u64) -> Arc<PushItem> {
        let json = Bytes::from(format!(r#"{{"MsgSeq":{seq}}}"#));
        Arc::new(PushItem { seq, kind: ItemKind::Message, priority: Priority::Normal, time: 0, json })
    }

    #[tokio::test(start_paused = true)]
    async fn the_ticker_wakes_enlisted_outboxes_once_per_tick() {
        let clock = Arc::new(PushClock::new(Duration::from_millis(50)));
        let outbox = crate::room::Outbox::new(16);
        outbox.attach_schedule(clock.schedule().unwrap());
        clock.spawn_ticker(CancellationToken::new());
        outbox.offer(crate::room::Outgoing::Item(item(1)));
        let started = Instant::now();
        outbox.ready().await;
        assert!(started.elapsed() <= Duration::from_millis(50));
        assert!(PushClock::new(Duration::ZERO).schedule().is_none());
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
        let parsed: serde_json::Value = serde_json::from_slice(&first.plain).unwrap();
        assert_eq!(parsed["body"]["EventArray"][0]["GroupMsgArray"].as_array().unwrap().len(), 3);
        // Two ticks later the frame is forgotten.
        let later = clock.frame(vec![one, two, three], now + Duration::from_millis(200));
        assert!(!Arc::ptr_eq(&first, &later));
    }
}
