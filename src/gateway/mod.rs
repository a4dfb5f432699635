//! WebSocket transport for the official Tencent Web SDK (`@tencentcloud/chat` 3.x,
//! `tim-js-sdk` >= 2.16.2, pointed here with `proxyServer`).
//!
//! `/binfo` carries binary frames of UTF-8 JSON, `/info` text frames; replies go back in the
//! same frame type. Each socket is one task ([`session`]) that reads requests, writes replies
//! and drains its SDK instance's outbox. Requests other than keep-alives run as their own tasks
//! so that a held long-poll never delays a heartbeat (the SDK reconnects after 3 s without one).

pub mod frame;
mod login;
pub mod push;
mod replies;
mod session;
mod socket;
mod sync_stubs;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::commands::Context;
use crate::config::GatewayConfig;

/// What every session shares.
#[derive(Clone)]
pub struct Gateway {
    ctx: Arc<Context>,
    config: GatewayConfig,
    shutdown: CancellationToken,
    /// Sessions and their request tasks, so shutdown can wait for them.
    tasks: TaskTracker,
    /// The tick on which sessions write room items, and the merged frames of the last ticks.
    push_clock: Arc<push::PushClock>,
}

impl Gateway {
    pub fn new(ctx: Arc<Context>, config: GatewayConfig, shutdown: CancellationToken, tasks: TaskTracker) -> Self {
        let push_clock = Arc::new(push::PushClock::new(std::time::Duration::from_millis(config.push_tick_ms)));
        let rooms = ctx.clone();
        push_clock.spawn_ticker(shutdown.clone(), move || {
            rooms.rooms.end_push_tick();
        });
        Self { ctx, config, shutdown, tasks, push_clock }
    }
}

/// Frame type of a socket, fixed by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMode {
    Binary,
    Text,
}

pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/binfo", get(|g, p, q, ws| upgrade(g, p, q, ws, FrameMode::Binary)))
        .route("/info", get(|g, p, q, ws| upgrade(g, p, q, ws, FrameMode::Text)))
        .with_state(gateway)
}

/// How many bytes of frames written together may wait in a socket's write buffer before they
/// are sent; the session flushes after each round of writes anyway.
const WRITE_BATCH_BYTES: usize = 16 * 1024;

async fn upgrade(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
    mode: FrameMode,
) -> Response {
    let params = session::SocketParams::from_query(&query, mode, peer.ip().to_string());
    // Small buffers: an idle connection should cost little memory. Requests are under 1 KiB
    // but for long texts, which take a few reads. The write buffer allocates nothing until the
    // first write; frames written together (a backlog of ticks) go out in one system call up
    // to WRITE_BATCH_BYTES, and the buffer keeps no more capacity than that and one frame.
    ws.max_message_size(256 * 1024).read_buffer_size(1024).write_buffer_size(WRITE_BATCH_BYTES).on_upgrade(
        move |socket| {
            let tasks = gateway.tasks.clone();
            tasks.track_future(session::run(gateway, socket, params))
        },
    )
}
