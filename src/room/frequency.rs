//! Per-room frequency control: at most `limit` messages in any one-second window, and when
//! more arrive, higher priorities win.
//!
//! Decisions are made per batch (the sends that arrived during one short room tick), so a
//! burst is sorted by priority before anything is admitted; within one priority the order is
//! random. Across batches, lower priorities leave room for the higher-priority demand seen in
//! the trailing second: a message of priority `p` is admitted only while
//! `admitted(<= p) + 1 + demand(> p) <= limit`. A room under its limit admits everything.
//! Time is a parameter, so tests drive it.

use std::collections::VecDeque;
use std::time::Duration;

use rand::seq::SliceRandom;
use tokio::time::Instant;

use super::item::Priority;

const WINDOW: Duration = Duration::from_secs(1);

pub struct FrequencyControl {
    limit: usize,
    /// Admission times and priorities within the trailing window (at most `limit`).
    admitted: VecDeque<(Instant, Priority)>,
    /// Arrival times and priorities within the trailing window, admitted or not.
    demand: VecDeque<(Instant, Priority)>,
}

impl FrequencyControl {
    pub fn new(limit: u32) -> Self {
        Self { limit: limit as usize, admitted: VecDeque::new(), demand: VecDeque::new() }
    }

    pub fn limit(&self) -> u32 {
        self.limit as u32
    }

    fn expire(&mut self, now: Instant) {
        let alive = |t: &Instant| now.saturating_duration_since(*t) < WINDOW;
        while self.admitted.front().is_some_and(|(t, _)| !alive(t)) {
            self.admitted.pop_front();
        }
        while self.demand.front().is_some_and(|(t, _)| !alive(t)) {
            self.demand.pop_front();
        }
    }

    /// Decides a batch that arrived by `now`: one bool per entry, true = admitted.
    pub fn decide(&mut self, now: Instant, batch: &[Priority]) -> Vec<bool> {
        self.expire(now);
        // Demand is bounded by what a second can bring; cap its memory at 64 windows' worth.
        for &p in batch {
            if self.demand.len() < self.limit.max(1) * 64 {
                self.demand.push_back((now, p));
            }
        }
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.shuffle(&mut rand::rng());
        order.sort_by_key(|&i| std::cmp::Reverse(batch[i]));
        let mut verdict = vec![false; batch.len()];
        for i in order {
            let p = batch[i];
            if self.admitted.len() >= self.limit {
                break;
            }
            let at_or_below = self.admitted.iter().filter(|(_, q)| *q <= p).count();
            let above = self.demand.iter().filter(|(_, q)| *q > p).count().min(self.limit);
            if at_or_below + 1 + above <= self.limit {
                self.admitted.push_back((now, p));
                verdict[i] = true;
            }
        }
        verdict
    }
}

#[cfg(test)]
#[path = "frequency_tests.rs"]
mod tests;
