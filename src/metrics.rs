//! Prometheus metrics on `/metrics`. The names are the contract with dashboards:
//!
//! | metric | kind | meaning |
//! |---|---|---|
//! | `roomcast_messages_delivered_total` | counter | group messages admitted and fanned out |
//! | `roomcast_messages_dropped_total` | counter | group messages dropped by frequency control |
//! | `roomcast_items_shed_total` | counter | items a slow member's outbox shed |
//! | `roomcast_sessions` | gauge | open WebSocket sessions |
//! | `roomcast_rest_requests_total{code}` | counter | REST calls by resulting ErrorCode |

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const MESSAGES_DELIVERED: &str = "roomcast_messages_delivered_total";
pub const MESSAGES_DROPPED: &str = "roomcast_messages_dropped_total";
pub const BROADCASTS: &str = "roomcast_broadcasts_total";
pub const ITEMS_SHED: &str = "roomcast_items_shed_total";
/// Ends of push ticks per outbox, by who wrote: `ticker` (straight to the socket), `ticker_unflushed`
/// (the session finished the flush), `session` (the socket was busy or full).
pub const PUSH_WRITES: &str = "roomcast_push_writes_total";
pub const SESSIONS: &str = "roomcast_sessions";
pub const REST_REQUESTS: &str = "roomcast_rest_requests_total";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once and returns the handle that renders it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding program); then this
        // handle renders an empty page rather than failing the server.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The text exposition for `/metrics`.
pub async fn render() -> String {
    handle().render()
}
