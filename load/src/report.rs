//! The result of a run, as JSON and as a short text summary.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::options::Options;
use crate::process::Usage;
use crate::run::{Context, ViewerOutcome};
use crate::stats::Second;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// One second of server usage, sampled while sending.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub t_s: f64,
    pub server_cpu_percent: Option<f64>,
    pub server_rss_bytes: Option<u64>,
    pub delivered: u64,
}

impl Sample {
    pub fn new(now_us: u64, previous: (Option<Usage>, u64), now: (Option<Usage>, u64)) -> Self {
        let cpu = previous.0.zip(now.0).map(|(a, b)| (b.cpu_seconds - a.cpu_seconds) * 100.0);
        Self {
            t_s: now_us as f64 / 1e6,
            server_cpu_percent: cpu,
            server_rss_bytes: now.0.map(|u| u.rss_bytes),
            delivered: now.1.saturating_sub(previous.1),
        }
    }

    pub fn progress_line(&self) -> String {
        let cpu = self.server_cpu_percent.map_or(String::new(), |c| format!(" server cpu {c:.0}%"));
        let rss = self.server_rss_bytes.map_or(String::new(), |r| format!(" rss {} MB", r / 1_000_000));
        format!("delivered {}/s{cpu}{rss}", self.delivered)
    }
}

/// Latency and deliveries of one second, by receive time.
#[derive(Debug, Clone, Serialize)]
pub struct SecondPoint {
    pub t_s: u64,
    pub delivered: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Server {
    pub rss_before_join_bytes: Option<u64>,
    pub rss_joined_bytes: Option<u64>,
    pub rss_per_connection_bytes: Option<f64>,
    pub rss_end_bytes: Option<u64>,
    pub rss_max_bytes: Option<u64>,
    /// CPU seconds while sending and draining.
    pub cpu_seconds: Option<f64>,
    pub window_seconds: f64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Messages {
    pub offered: u64,
    /// Send requests answered with ErrorCode 0 (roomcast answers dropped sends with success too).
    pub acked: u64,
    /// Admitted by the server's frequency control (its /metrics), when it tells.
    pub admitted: Option<u64>,
    /// Messages that reached at least one viewer.
    pub reached_any_viewer: u64,
    /// Deliveries to reading viewers.
    pub delivered: u64,
    pub delivered_per_second: f64,
    /// What reading viewers should have received: on roomcast every message that reached anyone
    /// in its room (what the room admitted), on the peers every message sent to it.
    pub expected: u64,
    /// Expected minus received, summed over reading viewers.
    pub lost: u64,
    /// Received beyond expected (duplicates).
    pub extra: u64,
    pub server_cpu_us_per_delivery: Option<f64>,
}

/// Scenario 6: the reading viewers' latency while every viewer reads, and after the slow ones
/// stopped reading, by receive time; and the server's memory at those moments.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SlowPhases {
    /// Seconds after the run began when the slow viewers stopped reading.
    pub stop_s: f64,
    pub before: Percentiles,
    pub after: Percentiles,
    /// p99 after over p99 before, minus one (0.2 = 20% higher).
    pub p99_change: f64,
    pub rss_at_stop_bytes: Option<u64>,
    pub rss_max_after_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub name: String,
    pub options: Options,
    pub viewers_joined: usize,
    pub viewers_failed: usize,
    pub slow_viewers: usize,
    pub viewer_errors: usize,
    pub first_errors: Vec<String>,
    pub join_seconds: f64,
    pub joins_per_second: f64,
    pub join_latency: Percentiles,
    /// Server CPU seconds from before the first viewer connected until the last one joined.
    pub join_server_cpu_seconds: Option<f64>,
    /// The same per joined viewer, in µs.
    pub server_cpu_us_per_join: Option<f64>,
    /// The load tool's own CPU seconds over the same span (it shares the machine).
    pub join_tool_cpu_seconds: f64,
    /// From writing a send to its success answer (roomcast: includes the room tick).
    pub send_answer_latency: Percentiles,
    pub server: Server,
    pub messages: Messages,
    pub latency: Percentiles,
    pub tool_cpu_seconds: f64,
    pub per_second: Vec<SecondPoint>,
    pub samples: Vec<Sample>,
    pub slow_phases: Option<SlowPhases>,
}

impl Report {
    pub fn new(o: &Options, joined: usize, join_seconds: f64, idle: Option<Usage>, after: Option<Usage>) -> Self {
        let per_connection = idle
            .zip(after)
            .filter(|_| joined > 0)
            .map(|(a, b)| (b.rss_bytes as f64 - a.rss_bytes as f64) / joined as f64);
        Self {
            name: o.name.clone(),
            options: o.clone(),
            viewers_joined: joined,
            viewers_failed: o.viewers - joined,
            slow_viewers: 0,
            viewer_errors: 0,
            first_errors: Vec::new(),
            join_seconds,
            joins_per_second: if join_seconds > 0.0 { joined as f64 / join_seconds } else { 0.0 },
            join_latency: Percentiles::default(),
            join_server_cpu_seconds: None,
            server_cpu_us_per_join: None,
            join_tool_cpu_seconds: 0.0,
            send_answer_latency: Percentiles::default(),
            server: Server {
                rss_before_join_bytes: idle.map(|u| u.rss_bytes),
                rss_joined_bytes: after.map(|u| u.rss_bytes),
                rss_per_connection_bytes: per_connection,
                ..Server::default()
            },
            messages: Messages::default(),
            latency: Percentiles::default(),
            tool_cpu_seconds: 0.0,
            per_second: Vec::new(),
            samples: Vec::new(),
            slow_phases: None,
        }
    }

    pub fn join_cpu(&mut self, server_seconds: Option<f64>, tool_seconds: f64) {
        self.join_server_cpu_seconds = server_seconds;
        self.server_cpu_us_per_join =
            server_seconds.filter(|_| self.viewers_joined > 0).map(|c| c * 1e6 / self.viewers_joined as f64);
        self.join_tool_cpu_seconds = tool_seconds;
    }

    pub fn window(&mut self, start: Option<Usage>, end: Option<Usage>, seconds: f64) {
        self.server.cpu_seconds = start.zip(end).map(|(a, b)| b.cpu_seconds - a.cpu_seconds);
        self.server.rss_end_bytes = end.map(|u| u.rss_bytes);
        self.server.window_seconds = seconds;
    }

    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &mut self,
        ctx: &Context,
        outcomes: &[ViewerOutcome],
        sender_errors: Vec<String>,
        admitted: Option<u64>,
        acked: u64,
        latency: &Histogram<u64>,
        join_latency: &Histogram<u64>,
    ) {
        // roomcast admits what its frequency control lets through, and an admitted message
        // reaches every reader or none: what reached anyone is what everyone should get. The
        // peers admit everything: a message that reached no one is lost to every reader.
        let expected_per_room = if crate::run::uses_sdk(&ctx.options) {
            ctx.recorder.ledger.seen_per_room(ctx.options.rooms)
        } else {
            ctx.recorder.ledger.offered_per_room(ctx.options.rooms)
        };
        let m = &mut self.messages;
        m.offered = ctx.recorder.ledger.offered();
        m.acked = acked;
        m.admitted = admitted;
        m.reached_any_viewer = ctx.recorder.ledger.seen_per_room(ctx.options.rooms).iter().sum();
        for outcome in outcomes {
            if outcome.slow {
                self.slow_viewers += 1;
                continue;
            }
            let expected = expected_per_room[outcome.room];
            m.expected += expected;
            m.delivered += outcome.received;
            m.lost += expected.saturating_sub(outcome.received);
            m.extra += outcome.received.saturating_sub(expected);
        }
        let errors: Vec<String> = outcomes.iter().filter_map(|o| o.error.clone()).chain(sender_errors).collect();
        self.viewer_errors = errors.len();
        self.first_errors = errors.into_iter().take(5).collect();
        if self.server.window_seconds > 0.0 {
            m.delivered_per_second = m.delivered as f64 / self.server.window_seconds;
        }
        m.server_cpu_us_per_delivery =
            self.server.cpu_seconds.filter(|_| m.delivered > 0).map(|c| c * 1e6 / m.delivered as f64);
        self.latency = Percentiles::of(latency);
        self.join_latency = Percentiles::of(join_latency);
    }

    pub fn series(&mut self, seconds: &[Second], samples: Vec<Sample>, tool_start: Usage, tool_end: Usage) {
        self.per_second = seconds
            .iter()
            .enumerate()
            .filter(|(_, s)| s.delivered > 0)
            .map(|(t, s)| SecondPoint {
                t_s: t as u64,
                delivered: s.delivered,
                p50_ms: s.latency.value_at_quantile(0.5) as f64 / 1000.0,
                p99_ms: s.latency.value_at_quantile(0.99) as f64 / 1000.0,
                max_ms: s.latency.max() as f64 / 1000.0,
            })
            .collect();
        self.server.rss_max_bytes = samples.iter().filter_map(|s| s.server_rss_bytes).max();
        self.samples = samples;
        self.tool_cpu_seconds = tool_end.cpu_seconds - tool_start.cpu_seconds;
    }

    /// Splits the sending into thirds: the first is the warm-up (a room that starts receiving
    /// 40 msg/s with 19 000 members waiting takes several seconds to settle into merged
    /// writes), the second has every viewer reading, and the slow viewers stop reading at the
    /// start of the third. Compares whole seconds of receive time in the second third with
    /// those in the last (the drain, when nothing new is sent, is in neither). `bounds_us`: the
    /// sending's start, the stop, the sending's end.
    pub fn slow_phases(&mut self, seconds: &[Second], bounds_us: [u64; 3], samples: &[Sample]) {
        let [started_us, stop_us, send_end_us] = bounds_us;
        let merged = |from_s: u64, to_s: u64| {
            let mut h = crate::stats::histogram(2);
            for second in seconds.iter().take(to_s as usize).skip(from_s as usize) {
                h.add(&second.latency).expect("same bounds");
            }
            Percentiles::of(&h)
        };
        let stop_s = stop_us as f64 / 1e6;
        let warmed_up_us = started_us + (stop_us - started_us) / 2;
        let before = merged(warmed_up_us.div_ceil(1_000_000), stop_us / 1_000_000);
        let after = merged(stop_us.div_ceil(1_000_000), send_end_us / 1_000_000);
        let rss_after = samples.iter().filter(|s| s.t_s >= stop_s).filter_map(|s| s.server_rss_bytes);
        self.slow_phases = Some(SlowPhases {
            stop_s,
            p99_change: if before.p99_ms > 0.0 { after.p99_ms / before.p99_ms - 1.0 } else { 0.0 },
            before,
            after,
            rss_at_stop_bytes: samples.iter().rev().find(|s| s.t_s <= stop_s).and_then(|s| s.server_rss_bytes),
            rss_max_after_bytes: rss_after.max(),
        });
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let m = &self.messages;
        let s = &self.server;
        let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.2}{unit}"));
        format!(
            "{name}: {joined} joined ({failed} failed) in {js:.1}s = {jps:.0} joins/s; \
             server cpu {jcpu} ({jpj} per join), tool cpu {jtool:.1}s\n\
             messages: offered {off}, acked {ack}, admitted {adm}, delivered {del} ({dps:.0}/s), lost {lost}, extra {extra}\n\
             latency ms: p50 {p50:.1} p90 {p90:.1} p99 {p99:.1} p99.9 {p999:.1} max {max:.1}; send answered p50 {a50:.1} p99 {a99:.1}\n\
             server: rss/conn {rpc}, rss end {rend}, cpu {cpu}, cpu/delivery {cpd}; tool cpu {tool:.1}s; errors {errs}",
            name = self.name,
            joined = self.viewers_joined,
            failed = self.viewers_failed,
            js = self.join_seconds,
            jps = self.joins_per_second,
            jcpu = opt(self.join_server_cpu_seconds, " s"),
            jpj = opt(self.server_cpu_us_per_join, " µs"),
            jtool = self.join_tool_cpu_seconds,
            off = m.offered,
            ack = m.acked,
            adm = m.admitted.map_or("n/a".into(), |a| a.to_string()),
            del = m.delivered,
            dps = m.delivered_per_second,
            lost = m.lost,
            extra = m.extra,
            p50 = self.latency.p50_ms,
            p90 = self.latency.p90_ms,
            p99 = self.latency.p99_ms,
            p999 = self.latency.p999_ms,
            max = self.latency.max_ms,
            a50 = self.send_answer_latency.p50_ms,
            a99 = self.send_answer_latency.p99_ms,
            rpc = opt(s.rss_per_connection_bytes.map(|b| b / 1000.0), " KB"),
            rend = opt(s.rss_end_bytes.map(|b| b as f64 / 1e6), " MB"),
            cpu = opt(s.cpu_seconds, " s"),
            cpd = opt(m.server_cpu_us_per_delivery, " µs"),
            tool = self.tool_cpu_seconds,
            errs = self.viewer_errors,
        ) + &self.slow_phases.as_ref().map_or(String::new(), |p| {
            let mb = |b: Option<u64>| b.map_or("n/a".to_owned(), |b| format!("{} MB", b / 1_000_000));
            format!(
                "\nslow viewers stopped reading at {:.0} s: readers' latency before p50 {:.1} p99 {:.1} ms, after p50 {:.1} p99 {:.1} ms ({:+.0}% at p99); rss {} at the stop, at most {} after",
                p.stop_s,
                p.before.p50_ms,
                p.before.p99_ms,
                p.after.p50_ms,
                p.after.p99_ms,
                p.p99_change * 100.0,
                mb(p.rss_at_stop_bytes),
                mb(p.rss_max_after_bytes)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn second(latency_ms: u64) -> Second {
        let mut latency = crate::stats::histogram(2);
        latency.record(latency_ms * 1000).unwrap();
        Second { delivered: 1, latency }
    }

    fn sample(t_s: f64, rss_mb: u64) -> Sample {
        Sample { t_s, server_cpu_percent: None, server_rss_bytes: Some(rss_mb * 1_000_000), delivered: 0 }
    }

    #[test]
    fn slow_phases_split_the_sending_at_the_stop() {
        let options = Options::parse_from(["roomcast-load", "--target", "127.0.0.1:1"]);
        let mut report = Report::new(&options, 1, 1.0, None, None);
        // Second 0 holds joins; the sending starts at 0.5 s (the warm-up, half the time before the
        // stop, ends at 3.5 s), stops being read by the slow viewers at 6.5 s and ends at 12.5 s.
        let seconds: Vec<Second> =
            [5, 800, 800, 1000, 100, 100, 2000, 300, 300, 300, 300, 300, 5000, 900].into_iter().map(second).collect();
        let samples = [sample(6.0, 400), sample(7.0, 410), sample(9.0, 450), sample(11.0, 420)];
        report.slow_phases(&seconds, [500_000, 6_500_000, 12_500_000], &samples);
        let phases = report.slow_phases.unwrap();
        // Before: whole seconds 4, 5 (100 ms); after: 7 to 11 (300 ms). Seconds 3, 6 and 12 hold
        // the warm-up's end, the stop and the end: in neither, nor are the warm-up and the drain.
        assert!((phases.before.p99_ms - 100.0).abs() < 1.0, "{phases:?}");
        assert!((phases.after.p99_ms - 300.0).abs() < 3.0, "{phases:?}");
        assert!((phases.p99_change - 2.0).abs() < 0.05, "{phases:?}");
        assert_eq!(phases.rss_at_stop_bytes, Some(400_000_000));
        assert_eq!(phases.rss_max_after_bytes, Some(450_000_000));
    }
}
