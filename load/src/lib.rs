//! roomcast-load: drives a live-room server over loopback the way real pages do, and measures
//! what reaches the viewers.
//!
//! Reading order:
//! - [`options`]: what a run does (viewers, rooms, senders, rate, mix, bounds).
//! - [`net`]: loopback-only WebSocket connections from several 127.0.0.x source addresses.
//! - [`stamp`]: the send-time stamp carried in every payload, and the cheap scan that finds it.
//! - [`sdk`]: the Tencent Web SDK wire protocol (login, join, push and long-poll, send).
//! - [`peers`]: small drivers for the servers roomcast is compared with.
//! - [`stats`] and [`process`]: latency histograms, per-second series, server CPU and RSS.
//! - [`run`]: the phases of a run (connect, warm up, send, drain) and its [`report::Report`].
//! - [`chart`]: the PNG of a run.

pub mod chart;
pub mod net;
pub mod options;
pub mod peers;
pub mod process;
pub mod report;
pub mod run;
pub mod sdk;
pub mod stamp;
pub mod stats;
