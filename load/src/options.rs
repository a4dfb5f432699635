//! What a run does. Every run is bounded: in connections, in messages and in time.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// The wire protocol spoken, which picks the server kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// roomcast, through the Tencent Web SDK protocol (`/binfo`).
    Roomcast,
    /// nats-server's WebSocket listener: SUB on a subject, PUB to it.
    Nats,
    /// nginx + nchan: WebSocket subscribers, HTTP POST publisher.
    Nchan,
    /// A socket.io (v4, engine.io over WebSocket) server that re-emits `publish` events.
    Socketio,
    /// The minimal tokio-tungstenite broadcast server (`broadcast-baseline`).
    Baseline,
}

/// How roomcast viewers receive: logged in with pushes, or anonymous with long-polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerMode {
    Push,
    Anonymous,
}

#[derive(Debug, Clone, Parser, serde::Serialize)]
#[command(name = "roomcast-load", version, about = "Load generator for live rooms over loopback")]
pub struct Options {
    /// Server address on loopback: 127.0.0.1:PORT (ws:// and http:// prefixes are accepted).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub target: String,
    #[arg(long, value_enum, default_value_t = Protocol::Roomcast)]
    pub protocol: Protocol,
    /// roomcast app: SDKAppID and secret key, for UserSigs and the REST calls that create rooms.
    #[arg(long, default_value_t = 1_400_000_099)]
    pub sdkappid: u64,
    #[arg(long, default_value = "roomcast-load-secret", hide_default_value = true)]
    #[serde(skip)]
    pub secret_key: String,
    /// Administrator account used to create the rooms.
    #[arg(long, default_value = "administrator")]
    pub admin: String,
    /// Viewers in all, spread evenly over the rooms.
    #[arg(long, default_value_t = 100)]
    pub viewers: usize,
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    #[arg(long, value_enum, default_value_t = ViewerMode::Push)]
    pub mode: ViewerMode,
    /// Senders per room (logged-in members that send and also receive).
    #[arg(long, default_value_t = 4)]
    pub senders_per_room: usize,
    /// Messages offered per second per room, by all its senders together. 0: no senders.
    #[arg(long, default_value_t = 10.0)]
    pub rate_per_room: f64,
    /// Priority mix, as weights: gift (High custom), text (Normal text), like (Low custom).
    #[arg(long, default_value = "gift=10,text=60,like=30")]
    pub mix: String,
    /// Payload bytes of each message (its stamp padded with `x`).
    #[arg(long, default_value_t = 200)]
    pub payload: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds between the last join and the first send.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// Seconds to keep reading after the last send, at least; reading goes on while a second
    /// still brings deliveries (items in flight are not lost, only late), for up to a minute more.
    #[arg(long, default_value_t = 3.0)]
    pub drain: f64,
    /// Connections being opened (connect, login, join) at once.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// 127.0.0.x source addresses to spread connections over (from 127.0.0.2).
    #[arg(long, default_value_t = 8)]
    pub source_addresses: u8,
    /// Percent of viewers that stop reading two thirds into the sending (deliberately slow
    /// consumers); the report compares the other viewers' latency before and after.
    #[arg(long, default_value_t = 0.0)]
    pub slow_percent: f64,
    /// Anonymous viewers wait this long after a long-poll answer before polling again, as the
    /// Web SDK does.
    #[arg(long, default_value_t = 300)]
    pub poll_gap_ms: u64,
    /// Keep-alive period (`heartbeat.alive`), as the SDK when nothing else is sent.
    #[arg(long, default_value_t = 10)]
    pub heartbeat_secs: u64,
    /// The server's process id, for its CPU time and RSS (its descendants are included).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Stop once every viewer has joined (join storm), or hold the joined viewers this many
    /// seconds without sending (idle memory).
    #[arg(long)]
    pub join_only: bool,
    #[arg(long, default_value_t = 0.0)]
    pub hold: f64,
    /// A hard bound on the whole run, in seconds.
    #[arg(long, default_value_t = 600.0)]
    pub max_seconds: f64,
    /// The run's name in the report and chart.
    #[arg(long, default_value = "run")]
    pub name: String,
    /// Where to write the JSON result.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Where to write the PNG chart.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// No progress bar (for CI and logs).
    #[arg(long)]
    pub quiet: bool,
}

/// Upper bounds that hold whatever the options say.
pub const MAX_VIEWERS: usize = 19_500;
pub const MAX_MESSAGES: usize = 2_000_000;

/// One kind of message in the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    Gift,
    Text,
    Like,
}

impl MessageKind {
    pub fn priority(self) -> &'static str {
        match self {
            MessageKind::Gift => "High",
            MessageKind::Text => "Normal",
            MessageKind::Like => "Low",
        }
    }
}

impl Options {
    /// The mix as cumulative weights.
    pub fn parse_mix(&self) -> anyhow::Result<Vec<(MessageKind, u32)>> {
        let mut mix = Vec::new();
        for part in self.mix.split(',').filter(|p| !p.is_empty()) {
            let (name, weight) =
                part.split_once('=').ok_or_else(|| anyhow::anyhow!("mix entry {part}: NAME=WEIGHT"))?;
            let kind = match name.trim() {
                "gift" => MessageKind::Gift,
                "text" => MessageKind::Text,
                "like" => MessageKind::Like,
                other => anyhow::bail!("mix: unknown kind {other} (gift, text, like)"),
            };
            mix.push((kind, weight.trim().parse()?));
        }
        anyhow::ensure!(mix.iter().any(|(_, w)| *w > 0), "mix: at least one weight above 0");
        Ok(mix)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.viewers <= MAX_VIEWERS, "at most {MAX_VIEWERS} viewers");
        anyhow::ensure!(self.rooms >= 1 && self.rooms <= self.viewers.max(1), "1 to viewers rooms");
        anyhow::ensure!(self.payload >= 32 && self.payload <= 64 * 1024, "payload 32 B to 64 KiB");
        anyhow::ensure!(self.max_seconds > 0.0 && self.max_seconds <= 3600.0, "max-seconds up to an hour");
        anyhow::ensure!((0.0..=100.0).contains(&self.slow_percent), "slow-percent 0 to 100");
        self.parse_mix()?;
        Ok(())
    }

    /// The message budget of the run (bounded by MAX_MESSAGES).
    pub fn max_messages(&self) -> usize {
        let wanted = self.rate_per_room * self.rooms as f64 * (self.duration + 1.0) * 1.1 + 64.0;
        (wanted as usize).min(MAX_MESSAGES)
    }
}
