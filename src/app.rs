//! Composition root: opens the store, provisions the app, builds the command context and the
//! router, and runs the listener until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use rand::Rng;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, RestState};
use crate::auth::ticket::TicketAuthority;
use crate::auth::usersig::{self, DEFAULT_EXPIRE_SECS};
use crate::auth::{AppEntry, AppRegistry};
use crate::commands::{Context, HistorySettings};
use crate::config::Config;
use crate::gateway::{self, Gateway};
use crate::moderation::Moderation;
use crate::presence::Presence;
use crate::room::{RoomConfig, Rooms};
use crate::store::{self, AppRecord, Store};
use crate::webhook::Webhooks;

/// How long shutdown waits for WebSocket sessions to finish.
const SESSION_DRAIN: Duration = Duration::from_secs(5);

/// A started server: where it listens and how to stop it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub app: AppEntry,
    /// The live state, for operators' tools and tests.
    pub ctx: Arc<Context>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, and waits for the listener to end.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.task.await.map_err(std::io::Error::other)?
    }

    /// Waits until the server ends (after `shutdown` is cancelled).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The app this server answers for: the configured one, else a development app that is
/// created on the first start and reused after.
pub async fn provision_app(config: &Config, store: &dyn Store) -> anyhow::Result<AppEntry> {
    let record = match (config.app.sdkappid, &config.app.secret_key) {
        (Some(sdkappid), Some(secret_key)) => {
            let record =
                AppRecord { sdkappid, secret_key: secret_key.clone(), development: false, created_at: unix_now() };
            store.insert_app(&record).await?;
            record
        }
        _ => match store.apps().await?.into_iter().find(|a| a.development) {
            Some(existing) => existing,
            None => {
                let mut rng = rand::rng();
                let record = AppRecord {
                    sdkappid: 1_400_000_000 + rng.random_range(0..100_000_000),
                    secret_key: (0..32).map(|_| format!("{:02x}", rng.random::<u8>())).collect(),
                    development: true,
                    created_at: unix_now(),
                };
                store.insert_app(&record).await?;
                record
            }
        },
    };
    store.replace_admins(record.sdkappid, &config.app.admins).await?;
    // Tencent creates the administrator accounts with the app; so do we.
    for admin in &config.app.admins {
        store.import_account(record.sdkappid, admin, unix_now()).await?;
    }
    Ok(AppEntry {
        sdkappid: record.sdkappid,
        secret_key: record.secret_key,
        admins: config.app.admins.clone(),
        development: record.development,
    })
}

/// What a developer needs to call the development app, printed at start.
pub fn development_banner(app: &AppEntry, addr: SocketAddr) -> String {
    let admin = &app.admins[0];
    let sig = usersig::issue(app.sdkappid, &app.secret_key, admin, DEFAULT_EXPIRE_SECS, unix_now());
    format!(
        "roomcast development app (created on first start; set ROOMCAST_SDKAPPID and ROOMCAST_SECRET_KEY to use your own)\n\
         \x20 SDKAppID:   {id}\n\
         \x20 secret key: {key}\n\
         \x20 admin:      {admin}\n\
         \x20 UserSig:    {sig}\n\
         \x20 pages:      http://{addr}/ (demo live room and operator console; /dev/usersig issues UserSigs)\n\
         \x20 try:        curl -s -d '{{\"CheckItem\":[{{\"UserID\":\"{admin}\"}}]}}' \
         'http://{addr}/v4/im_open_login_svc/account_check?sdkappid={id}&identifier={admin}&usersig={sig}&random=1&contenttype=json'\n",
        id = app.sdkappid,
        key = app.secret_key,
    )
}

/// Connections waiting to be accepted. tokio's `TcpListener::bind` asks for 1 024; a storm of
/// a thousand viewers connecting at once overflowed that while the accept loop waited for a
/// core, and each dropped SYN cost its viewer a one-second retransmit. The kernel caps this at
/// `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 8192;

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // As TcpListener::bind does: a restarted server can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Opens the store, provisions the app, binds `config.listen` and serves until `shutdown`.
pub async fn start(config: &Config, shutdown: CancellationToken) -> anyhow::Result<RunningServer> {
    crate::metrics::handle();
    let store = store::open(&config.database.url, config.database.max_connections).await?;
    let app = provision_app(config, store.as_ref()).await?;
    let room_config = RoomConfig {
        max_messages_per_sec: config.room.max_messages_per_sec,
        tick: Duration::from_millis(config.room.tick_ms),
        recent_items: config.room.recent_items,
        member_tips: config.room.member_tips,
        group_message_limits: config.room.group_message_limits.clone(),
    };
    let ctx = Arc::new(Context {
        store,
        apps: Arc::new(AppRegistry::new([app.clone()])),
        // With a push tick, rooms merge each tick's items (the gateway's push clock ends ticks).
        rooms: if config.gateway.push_tick_ms > 0 { Rooms::merging(room_config) } else { Rooms::new(room_config) },
        presence: Presence::new(config.gateway.outbox_capacity, config.gateway.multi_login),
        tickets: TicketAuthority::new(),
        webhooks: Webhooks::start(&config.callback),
        moderation: Moderation::default(),
        history: HistorySettings {
            on_by_default: config.room.history_before_join,
            messages: config.room.history_messages,
        },
        broadcasts: Default::default(),
        attributes: Default::default(),
    });
    ctx.moderation.load_app(ctx.store.as_ref(), app.sdkappid).await?;
    if app.development {
        crate::web::ensure_demo_room(&ctx, &app).await;
    }
    let tasks = TaskTracker::new();
    let gateway = Gateway::new(ctx.clone(), config.gateway.clone(), shutdown.clone(), tasks.clone());
    let router = api::router(RestState::new(ctx.clone(), &config.rest))
        .merge(gateway::router(gateway))
        .merge(crate::web::router(&config.web, &app));
    let listener = bind(config.listen)?;
    let addr = listener.local_addr()?;
    let token = shutdown.clone();
    let task = tokio::spawn(async move {
        // No Nagle: a reply and a push written back to back must not wait for the client's
        // delayed ACK of the first (up to 40 ms).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(token.cancelled_owned())
            .await;
        // axum does not wait for upgraded WebSockets; sessions see the token and end, and
        // we wait for them (bounded) before reporting the server stopped.
        tasks.close();
        let _ = tokio::time::timeout(SESSION_DRAIN, tasks.wait()).await;
        served
    });
    tracing::info!(%addr, sdkappid = app.sdkappid, "listening");
    Ok(RunningServer { addr, app, ctx, shutdown, task })
}
