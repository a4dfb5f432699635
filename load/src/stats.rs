//! What viewers measure: end-to-end latency (HDR histograms, µs), deliveries per second, and
//! which messages reached anyone (the ledger), so losses can be counted per viewer.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::stamp;

/// Latencies above a minute are clamped: the run is bounded well below that.
const MAX_LATENCY_US: u64 = 60_000_000;
/// Viewers record into one of a few shards, so two cores rarely wait on the same lock.
const SHARDS: usize = 16;

/// A latency histogram in µs, up to a minute; per-second ones keep two significant digits.
pub fn histogram(significant_digits: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, significant_digits).expect("valid histogram bounds")
}

/// One second of the run, by receive time.
pub struct Second {
    pub delivered: u64,
    pub latency: Histogram<u64>,
}

struct Shard {
    latency: Histogram<u64>,
    seconds: Vec<Second>,
}

/// Which messages were sent to which room, and which reached at least one viewer.
pub struct Ledger {
    room: Vec<AtomicU32>,
    seen: Vec<AtomicBool>,
    next_id: AtomicU64,
}

impl Ledger {
    fn new(capacity: usize) -> Self {
        Self {
            room: (0..capacity).map(|_| AtomicU32::new(u32::MAX)).collect(),
            seen: (0..capacity).map(|_| AtomicBool::new(false)).collect(),
            next_id: AtomicU64::new(0),
        }
    }

    /// A fresh message id for `room`, or `None` once the run's message budget is used.
    pub fn next(&self, room: usize) -> Option<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = self.room.get(id as usize)?;
        slot.store(room as u32, Ordering::Relaxed);
        Some(id)
    }

    pub fn offered(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed).min(self.room.len() as u64)
    }

    fn mark_seen(&self, id: u64) {
        if let Some(seen) = self.seen.get(id as usize) {
            if !seen.load(Ordering::Relaxed) {
                seen.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Messages that reached at least one viewer, per room.
    pub fn seen_per_room(&self, rooms: usize) -> Vec<u64> {
        self.count_per_room(rooms, |seen| seen)
    }

    /// Messages sent, per room.
    pub fn offered_per_room(&self, rooms: usize) -> Vec<u64> {
        self.count_per_room(rooms, |_| true)
    }

    fn count_per_room(&self, rooms: usize, counts_if_seen: impl Fn(bool) -> bool) -> Vec<u64> {
        let mut counts = vec![0; rooms];
        for (room, seen) in self.room.iter().zip(&self.seen).take(self.offered() as usize) {
            let room = room.load(Ordering::Relaxed) as usize;
            if counts_if_seen(seen.load(Ordering::Relaxed)) && room < rooms {
                counts[room] += 1;
            }
        }
        counts
    }
}

pub struct Recorder {
    epoch: Instant,
    shards: Vec<Mutex<Shard>>,
    pub ledger: Ledger,
}

impl Recorder {
    pub fn new(max_messages: usize) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard { latency: histogram(3), seconds: Vec::new() })).collect();
        Self { epoch: Instant::now(), shards, ledger: Ledger::new(max_messages) }
    }

    /// Microseconds since the run began: the clock stamps are written in.
    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Records every stamped message in `frame`, received now by a viewer; returns how many.
    pub fn frame(&self, viewer: usize, frame: &[u8]) -> u64 {
        let now = self.now_us();
        let second = (now / 1_000_000) as usize;
        let mut received = 0;
        let mut shard = self.shards[viewer % SHARDS].lock().expect("stats lock");
        let shard = &mut *shard;
        while shard.seconds.len() <= second {
            shard.seconds.push(Second { delivered: 0, latency: histogram(2) });
        }
        stamp::scan(frame, |id, sent| {
            received += 1;
            self.ledger.mark_seen(id);
            let latency = now.saturating_sub(sent).clamp(1, MAX_LATENCY_US);
            shard.latency.saturating_record(latency);
            shard.seconds[second].delivered += 1;
            shard.seconds[second].latency.saturating_record(latency);
        });
        received
    }

    /// All shards merged: the whole run's latency and its per-second series.
    pub fn merged(&self) -> (Histogram<u64>, Vec<Second>) {
        let mut total = histogram(3);
        let mut seconds: Vec<Second> = Vec::new();
        for shard in &self.shards {
            let shard = shard.lock().expect("stats lock");
            total.add(&shard.latency).expect("same bounds");
            for (i, s) in shard.seconds.iter().enumerate() {
                while seconds.len() <= i {
                    seconds.push(Second { delivered: 0, latency: histogram(2) });
                }
                seconds[i].delivered += s.delivered;
                seconds[i].latency.add(&s.latency).expect("same bounds");
            }
        }
        (total, seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_record_latency_and_mark_the_ledger() {
        let recorder = Recorder::new(8);
        let a = recorder.ledger.next(0).unwrap();
        let b = recorder.ledger.next(1).unwrap();
        let frame = format!("\"{}\" \"{}\"", stamp::payload(a, 0, 10), stamp::payload(b, 0, 10));
        assert_eq!(recorder.frame(3, frame.as_bytes()), 2);
        assert_eq!(recorder.ledger.seen_per_room(2), [1, 1]);
        recorder.ledger.next(1).unwrap();
        assert_eq!(recorder.ledger.offered_per_room(2), [1, 2]);
        assert_eq!(recorder.ledger.seen_per_room(2), [1, 1]);
        let (total, seconds) = recorder.merged();
        assert_eq!(total.len(), 2);
        assert_eq!(seconds.iter().map(|s| s.delivered).sum::<u64>(), 2);
    }

    #[test]
    fn the_ledger_is_bounded() {
        let recorder = Recorder::new(2);
        assert!(recorder.ledger.next(0).is_some());
        assert!(recorder.ledger.next(0).is_some());
        assert!(recorder.ledger.next(0).is_none());
        assert_eq!(recorder.ledger.offered(), 2);
    }
}
