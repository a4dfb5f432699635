//! One socket: read requests, write replies, drain the SDK instance's outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures_util::FutureExt;
use tokio::time::Instant;

use super::frame::{self, Head, Request};
use super::replies::Replies;
use super::socket::{SharedSocket, Writer};
use super::{FrameMode, Gateway, sync_stubs};
use crate::auth::AppEntry;
use crate::commands::events::{self, ExitType};
use crate::commands::{self, Caller};
use crate::error::{ImError, code};
use crate::presence::Instance;
use crate::room::DirectWrite;
use crate::webhook::Origin;

/// What the socket URL says: `?sdkappid=…&instanceid=…&compress=gzip…`.
pub struct SocketParams {
    sdkappid: Option<u64>,
    client_ip: String,
    instance_id: String,
    gzip: bool,
    mode: FrameMode,
}

impl SocketParams {
    pub fn from_query(query: &HashMap<String, String>, mode: FrameMode, client_ip: String) -> Self {
        let instance_id = query
            .get("instanceid")
            .filter(|id| !id.is_empty() && id.len() <= 64)
            .cloned()
            .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()));
        Self {
            sdkappid: query.get("sdkappid").and_then(|s| s.parse().ok()),
            client_ip,
            instance_id,
            gzip: query.get("compress").is_some_and(|c| c == "gzip"),
            mode,
        }
    }
}

/// Why a session ended.
#[derive(Debug)]
enum CloseReason {
    ClientClosed,
    Idle,
    Lagging,
    Shutdown,
    SocketError,
    /// Asked to by the server (an operator, or a test of reconnects).
    ServerClosed,
}

pub async fn run(gateway: Gateway, socket: WebSocket, params: SocketParams) {
    let app = params.sdkappid.and_then(|id| gateway.ctx.apps.get(id)).cloned();
    let sdkappid = params.sdkappid.unwrap_or_default();
    let (instance, attachment) = gateway.ctx.presence.attach(sdkappid, &params.instance_id);
    let span = tracing::debug_span!("session", instance = %instance.id, sdkappid);
    metrics::gauge!(crate::metrics::SESSIONS).increment(1.0);
    let reason = {
        let _guard = span.enter();
        tracing::debug!("connected");
        drop(_guard);
        serve(&gateway, socket, &params, app, &instance).await
    };
    metrics::gauge!(crate::metrics::SESSIONS).decrement(1.0);
    tracing::debug!(parent: &span, ?reason, "disconnected");
    let origin = Origin::web(sdkappid, params.client_ip.clone());
    if let Some(user) = instance.user() {
        events::state_changed(&gateway.ctx, &origin, &user, "Disconnect", "LinkClose");
    }
    if gateway.ctx.presence.detach(&instance, attachment) {
        let grace = Duration::from_secs(gateway.config.reconnect_grace_secs);
        let presence_gateway = gateway.clone();
        gateway.tasks.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(grace) => {}
                _ = presence_gateway.shutdown.cancelled() => return,
            }
            let user = instance.user();
            let Some(left) = presence_gateway.ctx.presence.expire(&instance, attachment) else { return };
            if let Some(user) = user {
                events::state_changed(&presence_gateway.ctx, &origin, &user, "Disconnect", "TimeOut");
            }
            events::members_left(&presence_gateway.ctx, &origin, &left, ExitType::Quit, None);
        });
    }
}

async fn serve(
    gateway: &Gateway,
    socket: WebSocket,
    params: &SocketParams,
    app: Option<AppEntry>,
    instance: &Arc<Instance>,
) -> CloseReason {
    let format = Writer { mode: params.mode, gzip: params.gzip, compress_min: gateway.config.compress_min_bytes };
    let socket = Arc::new(SharedSocket::new(socket, format, gateway.push_clock.clone()));
    let direct: Arc<dyn DirectWrite> = socket.clone();
    instance.outbox.clear_lagging();
    if let Some(schedule) = gateway.push_clock.schedule() {
        instance.outbox.attach_schedule(schedule);
        instance.outbox.attach_direct(direct.clone());
    }
    instance.outbox.wake_if_pending();
    let replies = Arc::new(Replies::default());
    let format = &socket.format;
    let idle = Duration::from_secs(gateway.config.idle_timeout_secs);
    let idle_deadline = tokio::time::sleep(idle);
    tokio::pin!(idle_deadline);
    let origin = Origin::web(params.sdkappid.unwrap_or_default(), params.client_ip.clone());
    let reason = loop {
        let outgoing: Vec<Message> = tokio::select! {
            incoming = socket.next() => {
                let bytes = match incoming {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Text(text))) => Bytes::from(text),
                    Some(Ok(Message::Close(_))) | None => break CloseReason::ClientClosed,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => break CloseReason::SocketError,
                };
                idle_deadline.as_mut().reset(Instant::now() + idle);
                handle(gateway, &app, instance, &origin, bytes, &replies).map(|b| format.message(b)).into_iter().collect()
            }
            _ = replies.ready() => replies.drain().into_iter().map(|reply| format.message(reply)).collect(),
            _ = instance.outbox.ready() => {
                socket.begin_write();
                let (frames, close) = format.outbox_frames(&gateway.push_clock, instance.outbox.drain());
                if instance.outbox.is_lagging() {
                    break CloseReason::Lagging;
                }
                if close {
                    let _ = socket.send(frames.into_iter().chain([Message::Close(None)]).collect()).await;
                    break CloseReason::ServerClosed;
                }
                frames
            }
            _ = &mut idle_deadline => break CloseReason::Idle,
            _ = gateway.shutdown.cancelled() => break CloseReason::Shutdown,
        };
        // Write everything at hand with one flush; no direct write meanwhile (it would go past
        // what is being written, and its waker would replace this task's).
        socket.begin_write();
        let written = socket.send(outgoing).await;
        socket.end_write();
        if written.is_err() {
            break CloseReason::SocketError;
        }
    };
    instance.outbox.detach_direct(&direct);
    reason
}

/// Handles one request frame. Keep-alives are answered inline (returned); everything else
/// runs as a task that sends its reply through `replies`.
fn handle(
    gateway: &Gateway,
    app: &Option<AppEntry>,
    instance: &Arc<Instance>,
    origin: &Origin,
    bytes: Bytes,
    replies: &Arc<Replies>,
) -> Option<Bytes> {
    let request = match Request::parse(&bytes) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "unreadable frame");
            return None;
        }
    };
    let (service, command) = request.service_command();
    if matches!((service, command), ("heartbeat", "alive") | ("im_open_status", "wshello")) {
        return Some(frame::ok_reply(&request.head, Default::default()));
    }
    let Some(app) = app.clone() else {
        let err = ImError::new(code::SDKAPPID_INVALID, "the socket URL's sdkappid is not served here");
        return Some(frame::error_reply(&request.head, &err));
    };
    let tasks = &gateway.tasks;
    let gateway = gateway.clone();
    let instance = instance.clone();
    let origin = origin.clone();
    let answer = async move {
        let (service, command) = request.service_command();
        let answer = if is_long_poll(service, command) {
            long_poll(&gateway, &app, &instance, &origin, &request).await
        } else {
            execute(&gateway, &app, &instance, &origin, &request)
                .await
                .map(|fields| frame::ok_reply(&request.head, fields))
        };
        match answer {
            Ok(reply) => reply,
            Err(e) => {
                if e.internal {
                    tracing::error!(servcmd = %request.head.servcmd, code = e.code, info = %e.info, "request failed on the server side");
                }
                frame::error_reply(&request.head, &e)
            }
        }
    };
    // Polled once here: what can answer at once (a long-poll with items waiting, most reads) is
    // written by this loop without a task and a trip through `replies`; the rest goes on as
    // a task.
    let mut answer = Box::pin(answer);
    if let Some(reply) = (&mut answer).now_or_never() {
        return Some(reply);
    }
    let replies = replies.clone();
    tasks.spawn(async move {
        let reply = answer.await;
        replies.send(reply).await;
    });
    None
}

async fn execute(
    gateway: &Gateway,
    app: &AppEntry,
    instance: &Arc<Instance>,
    origin: &Origin,
    request: &Request,
) -> Result<serde_json::Map<String, serde_json::Value>, ImError> {
    let head: &Head = &request.head;
    let (service, command) = request.service_command();
    match (service, command) {
        ("im_open_status", "wslogin") => return gateway.login(app, instance, origin, head).await,
        ("im_open_status", "wslogout") => return gateway.logout(app, instance, origin, head),
        _ => {}
    }
    if let Some(answer) = sync_stubs::answer(service, command) {
        return answer;
    }
    let principal = gateway.authenticate(app, instance, head)?;
    let caller = Caller { principal, instance: Some(instance.clone()), origin: origin.clone() };
    commands::dispatch(&gateway.ctx, &caller, service, command, request.body_bytes()).await
}

fn is_long_poll(service: &str, command: &str) -> bool {
    command == "get_msg"
        && matches!(service, "group_open_long_polling_http_svc" | "group_open_long_polling_http_noauth_svc")
}

/// `get_msg`, answered with the items' stored JSON spliced into the frame.
async fn long_poll(
    gateway: &Gateway,
    app: &AppEntry,
    instance: &Arc<Instance>,
    origin: &Origin,
    request: &Request,
) -> Result<Bytes, ImError> {
    let principal = gateway.authenticate(app, instance, &request.head)?;
    let caller = Caller { principal, instance: Some(instance.clone()), origin: origin.clone() };
    let (service, _) = request.service_command();
    let answer = commands::long_poll(&gateway.ctx, &caller, service, request.body_bytes()).await?;
    Ok(frame::poll_reply(&request.head, &answer.key, answer.next_seq, &answer.items))
}
