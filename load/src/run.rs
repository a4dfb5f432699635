//! The phases of a run: create rooms, connect every viewer (bounded concurrency), settle, send
//! for `duration` at the offered rate, drain, stop. Whatever happens, the run ends by
//! `max_seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::net::Target;
use crate::options::{MessageKind, Options, Protocol, ViewerMode};
use crate::process::{self, Usage};
use crate::report::{Report, Sample};
use crate::stats::Recorder;
use crate::{peers, sdk, stamp};

/// What one viewer saw.
#[derive(Debug)]
pub struct ViewerOutcome {
    pub room: usize,
    pub slow: bool,
    pub received: u64,
    pub error: Option<String>,
}

impl ViewerOutcome {
    pub fn new(room: usize, slow: bool) -> Self {
        Self { room, slow, received: 0, error: None }
    }
}

/// Shared by every viewer and sender of a run.
pub struct Context {
    pub options: Options,
    pub target: Target,
    pub recorder: Recorder,
    /// Makes SDK instance ids unique per run.
    pub run_id: u64,
    pub connect_slots: Semaphore,
    mix: Vec<(MessageKind, u32)>,
    joined_ok: AtomicUsize,
    joined_failed: AtomicUsize,
    first_join_start_us: AtomicU64,
    last_join_end_us: AtomicU64,
    join_latency: std::sync::Mutex<Histogram<u64>>,
    acked: AtomicU64,
    ack_latency: std::sync::Mutex<Histogram<u64>>,
    send_start: CancellationToken,
    send_end_us: AtomicU64,
    /// Slow viewers stop reading when this is cancelled, two thirds into the sending.
    slow_stop: CancellationToken,
    stop: CancellationToken,
    /// UserSigs of the logged-in viewers, issued before the run: a page gets its UserSig from
    /// the business backend, so issuing it is no part of a join, and doing it during the joins
    /// (a zlib compressor each) took a third of the tool's CPU away from the server.
    viewer_sigs: Vec<String>,
}

impl Context {
    pub fn new(options: Options) -> anyhow::Result<Self> {
        options.validate()?;
        let target = Target::parse(&options.target, options.source_addresses)?;
        let logged_in = options.protocol == Protocol::Roomcast && options.mode == ViewerMode::Push;
        let viewer_sigs =
            if logged_in { (0..options.viewers).map(|i| sdk::viewer_sig(&options, i)).collect() } else { Vec::new() };
        Ok(Self {
            viewer_sigs,
            recorder: Recorder::new(options.max_messages()),
            run_id: rand::random(),
            connect_slots: Semaphore::new(options.connect_concurrency.max(1)),
            mix: options.parse_mix()?,
            joined_ok: AtomicUsize::new(0),
            joined_failed: AtomicUsize::new(0),
            first_join_start_us: AtomicU64::new(u64::MAX),
            last_join_end_us: AtomicU64::new(0),
            join_latency: std::sync::Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            acked: AtomicU64::new(0),
            ack_latency: std::sync::Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3)?),
            send_start: CancellationToken::new(),
            send_end_us: AtomicU64::new(u64::MAX),
            slow_stop: CancellationToken::new(),
            stop: CancellationToken::new(),
            target,
            options,
        })
    }

    /// The UserSig issued for viewer `i` before the run.
    pub fn viewer_sig(&self, i: usize) -> Option<&str> {
        self.viewer_sigs.get(i).map(String::as_str)
    }

    pub fn unix_now(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    /// A viewer finished connecting (logged in and joined, or failed), having started at `started_us`.
    pub fn joined(&self, ok: bool, started_us: u64) {
        let now = self.recorder.now_us();
        self.first_join_start_us.fetch_min(started_us, Ordering::Relaxed);
        self.last_join_end_us.fetch_max(now, Ordering::Relaxed);
        if ok {
            self.joined_ok.fetch_add(1, Ordering::Relaxed);
            let _ = self.join_latency.lock().expect("lock").record(now.saturating_sub(started_us).max(1));
        } else {
            self.joined_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A send was answered with success, `latency_us` after it was written.
    pub fn acked(&self, latency_us: u64) {
        self.acked.fetch_add(1, Ordering::Relaxed);
        let _ = self.ack_latency.lock().expect("lock").record(latency_us.max(1));
    }

    pub async fn stopped(&self) {
        self.stop.cancelled().await
    }

    /// Two thirds into the sending, when slow viewers stop reading.
    pub async fn slow_stopped(&self) {
        self.slow_stop.cancelled().await
    }

    pub async fn sending_started(&self) {
        self.send_start.cancelled().await
    }

    pub fn sending_over(&self) -> bool {
        self.recorder.now_us() >= self.send_end_us.load(Ordering::Relaxed) || self.stop.is_cancelled()
    }

    /// A keep-alive timer; viewers are spread over the period so they do not tick together.
    pub fn heartbeat_timer(&self, i: usize) -> Interval {
        let period = Duration::from_secs(self.options.heartbeat_secs.max(1));
        let offset = period.mul_f64((i % 997) as f64 / 997.0);
        let mut timer = tokio::time::interval_at(Instant::now() + period + offset, period);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        timer
    }

    /// A send timer at `rate` per second, its phase spread by sender.
    pub fn send_timer(&self, rate: f64, i: usize) -> Interval {
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let offset = period.mul_f64((i % 13) as f64 / 13.0);
        let mut timer = tokio::time::interval_at(Instant::now() + offset, period);
        timer.set_missed_tick_behavior(MissedTickBehavior::Burst);
        timer
    }

    /// The next message for `room`: its id, kind (by the mix) and stamped payload.
    pub fn next_message(&self, room: usize) -> Option<(u64, MessageKind, String)> {
        let total: u32 = self.mix.iter().map(|(_, w)| w).sum();
        let mut pick = rand::rng().random_range(0..total);
        let kind = self
            .mix
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    return true;
                }
                pick -= w;
                false
            })
            .map_or(MessageKind::Text, |(k, _)| *k);
        let id = self.recorder.ledger.next(room)?;
        Some((id, kind, stamp::payload(id, self.recorder.now_us(), self.options.payload)))
    }
}

fn progress(options: &Options, len: u64, template: &str) -> ProgressBar {
    if options.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
    bar
}

fn is_slow(options: &Options, i: usize) -> bool {
    // Spread evenly: viewer i is slow when its rank in a scrambled order falls in the slow share.
    ((i.wrapping_mul(7919)) % 10_000) as f64 / 100.0 < options.slow_percent
}

/// Runs the whole load and returns its report.
pub async fn run(options: Options) -> anyhow::Result<Report> {
    let ctx = Arc::new(Context::new(options)?);
    let deadline = Instant::now() + Duration::from_secs_f64(ctx.options.max_seconds);
    let result = tokio::time::timeout_at(deadline, phases(ctx.clone())).await;
    ctx.stop.cancel();
    result.context("the run passed max-seconds and was stopped")?
}

fn usage(ctx: &Context) -> Option<Usage> {
    ctx.options.server_pid.and_then(process::usage)
}

async fn phases(ctx: Arc<Context>) -> anyhow::Result<Report> {
    let o = &ctx.options;
    let admitted_before = peers::prepare(&ctx).await?;
    let idle = usage(&ctx);
    let tool_before_join = process::own();
    // Viewers.
    let bar = progress(o, o.viewers as u64, "joining  [{bar:40}] {pos}/{len} {per_sec} {msg}");
    let viewers: Vec<_> =
        (0..o.viewers).map(|i| tokio::spawn(peers::viewer(ctx.clone(), i, i % o.rooms, is_slow(o, i)))).collect();
    loop {
        let done = ctx.joined_ok.load(Ordering::Relaxed) + ctx.joined_failed.load(Ordering::Relaxed);
        bar.set_position(done as u64);
        bar.set_message(format!("failed {}", ctx.joined_failed.load(Ordering::Relaxed)));
        if done >= o.viewers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
    // Taken as the last viewer finishes, before the settle time: CPU spent on the joins.
    let (server_after_join, tool_after_join) = (usage(&ctx), process::own());
    let join_seconds = ctx.last_join_end_us.load(Ordering::Relaxed).saturating_sub(
        ctx.first_join_start_us.load(Ordering::Relaxed).min(ctx.last_join_end_us.load(Ordering::Relaxed)),
    ) as f64
        / 1e6;
    // Senders (before settling, so their joins are not in the measured window).
    let senders_per_room = if o.rate_per_room > 0.0 && !o.join_only { o.senders_per_room.max(1) } else { 0 };
    let rate = o.rate_per_room / senders_per_room.max(1) as f64;
    let senders: Vec<_> = (0..o.rooms * senders_per_room)
        .map(|i| tokio::spawn(peers::sender(ctx.clone(), i, i % o.rooms, rate)))
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(o.settle.max(o.hold))).await;
    let joined = usage(&ctx);
    let tool_start = process::own();
    let mut samples = Vec::new();
    let mut report = Report::new(o, ctx.joined_ok.load(Ordering::Relaxed), join_seconds, idle, joined);
    report.join_cpu(
        idle.zip(server_after_join).map(|(a, b)| b.cpu_seconds - a.cpu_seconds),
        tool_after_join.cpu_seconds - tool_before_join.cpu_seconds,
    );
    // When the sending started and when the slow viewers stopped reading.
    let mut slow_phase_bounds = None;
    if !o.join_only && senders_per_room > 0 {
        let started = ctx.recorder.now_us();
        let start_usage = usage(&ctx);
        ctx.send_end_us.store(started + (o.duration * 1e6) as u64, Ordering::Relaxed);
        ctx.send_start.cancel();
        let two_thirds = Duration::from_secs_f64(o.duration * 2.0 / 3.0);
        slow_phase_bounds = Some((started, started + two_thirds.as_micros() as u64));
        let slow_stop = ctx.slow_stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(two_thirds).await;
            slow_stop.cancel();
        });
        let bar = progress(o, (o.duration + o.drain).ceil() as u64, "sending  [{bar:40}] {pos}/{len}s {msg}");
        let mut previous = (start_usage, 0u64);
        let end = Instant::now() + Duration::from_secs_f64(o.duration + o.drain);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        // After the minimum drain, a second without deliveries means nothing is in flight; a
        // server still delivering a minute later is reported with what it has not delivered
        // as lost.
        let mut delivering = true;
        let latest_end = end + Duration::from_secs(60);
        while Instant::now() < end || (delivering && Instant::now() < latest_end) {
            tick.tick().await;
            let now_usage = usage(&ctx);
            let (_, seconds) = ctx.recorder.merged();
            let delivered: u64 = seconds.iter().map(|s| s.delivered).sum();
            let sample = Sample::new(ctx.recorder.now_us(), previous, (now_usage, delivered));
            bar.set_message(sample.progress_line());
            bar.inc(1);
            delivering = sample.delivered > 0;
            samples.push(sample);
            previous = (now_usage, delivered);
        }
        bar.finish_and_clear();
        report.window(start_usage, usage(&ctx), (ctx.recorder.now_us() - started) as f64 / 1e6);
    }
    ctx.stop.cancel();
    let mut outcomes = Vec::new();
    for viewer in viewers {
        outcomes.push(viewer.await?);
    }
    let mut sender_errors = Vec::new();
    for sender in senders {
        if let Err(e) = sender.await? {
            sender_errors.push(format!("{e:#}"));
        }
    }
    let admitted = match admitted_before {
        Some(before) => peers::admitted_total(&ctx).await.map(|after| after.saturating_sub(before)),
        None => None,
    };
    let (latency, seconds) = ctx.recorder.merged();
    let join_latency = ctx.join_latency.lock().expect("lock").clone();
    let ack_latency = ctx.ack_latency.lock().expect("lock").clone();
    report.finish(&ctx, &outcomes, sender_errors, admitted, ctx.acked.load(Ordering::Relaxed), &latency, &join_latency);
    report.send_answer_latency = crate::report::Percentiles::of(&ack_latency);
    if let Some((started_us, stop_us)) = slow_phase_bounds.filter(|_| o.slow_percent > 0.0) {
        report.slow_phases(&seconds, [started_us, stop_us, ctx.send_end_us.load(Ordering::Relaxed)], &samples);
    }
    report.series(&seconds, samples, tool_start, process::own());
    Ok(report)
}

/// Which of the current protocol's steps need a server app (roomcast) or nothing.
pub fn uses_sdk(options: &Options) -> bool {
    options.protocol == Protocol::Roomcast
}

pub use sdk::group_id;
