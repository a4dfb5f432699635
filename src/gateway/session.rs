//! One socket: read requests, write replies, drain the SDK instance's outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::time::Instant;

use super::frame::{self, Head, Request};
use super::push::PushClock;
use super::replies::Replies;
use super::{FrameMode, Gateway, sync_stubs};
use crate::auth::AppEntry;
use crate::commands::events::{self, ExitType};
use crate::commands::{self, Caller};
use crate::error::{ImError, code};
use crate::presence::Instance;
use crate::room::{Batch, Outgoing, PushItem};
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

struct Writer {
    mode: FrameMode,
    gzip: bool,
    compress_min: usize,
}

impl Writer {
    fn message(&self, bytes: Bytes) -> Message {
        match self.mode {
            FrameMode::Text => Message::Text(text(bytes)),
            FrameMode::Binary if self.gzip && bytes.len() >= self.compress_min => {
                Message::Binary(frame::compress(&bytes))
            }
            FrameMode::Binary => Message::Binary(bytes),
        }
    }

    /// A batch's push frame, shared with other sockets: no copy, and compressed once for all.
    fn shared(&self, batch: &Batch) -> Message {
        let plain = frame::encode_batch(batch);
        match self.mode {
            FrameMode::Binary if self.gzip && plain.len() >= self.compress_min => {
                Message::Binary(batch.compressed(&plain, frame::compress))
            }
            _ => self.message(plain),
        }
    }

    /// Turns what the outbox held into frames, written with one flush. A batch (one room's
    /// tick) goes out as its own shared frame: a member behind by several ticks writes those
    /// ticks' frames back to back, copied once into the socket's write buffer, rather than a
    /// frame merged for it alone, whose encoding no other socket would share and whose size,
    /// kept as the write buffer's capacity, would grow with the backlog. Consecutive single
    /// items (personal notices, a member that joined mid-tick, a slow member's unpacked
    /// batches) become one frame, found again by the push clock for every socket holding the
    /// same items. A `Close` ends the list (and the caller closes the socket after writing it).
    fn outbox_frames(&self, clock: &PushClock, drained: Vec<Outgoing>) -> (Vec<Message>, bool) {
        let now = Instant::now();
        let mut messages = Vec::new();
        let mut items: Vec<Arc<PushItem>> = Vec::new();
        let flush = |items: &mut Vec<Arc<PushItem>>, messages: &mut Vec<Message>| {
            if !items.is_empty() {
                messages.push(self.shared(&clock.frame(std::mem::take(items), now)));
            }
        };
        let mut close = false;
        for out in drained {
            match out {
                Outgoing::Close => {
                    close = true;
                    break;
                }
                Outgoing::Item(item) => items.push(item),
                Outgoing::Batch(batch) => {
                    flush(&mut items, &mut messages);
                    messages.push(self.shared(&batch));
                }
                Outgoing::Frame(bytes) => {
                    flush(&mut items, &mut messages);
                    messages.push(self.message(bytes));
                }
            }
        }
        flush(&mut items, &mut messages);
        (messages, close)
    }
}

/// Frames are UTF-8 JSON; a text frame takes the bytes without copying them.
fn text(bytes: Bytes) -> Utf8Bytes {
    Utf8Bytes::try_from(bytes.clone()).unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned().into())
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
    let (mut sink, mut stream) = socket.split();
    let replies = Arc::new(Replies::default());
    let writer = Writer { mode: params.mode, gzip: params.gzip, compress_min: gateway.config.compress_min_bytes };
    let idle = Duration::from_secs(gateway.config.idle_timeout_secs);
    let idle_deadline = tokio::time::sleep(idle);
    tokio::pin!(idle_deadline);
    let origin = Origin::web(params.sdkappid.unwrap_or_default(), params.client_ip.clone());
    instance.outbox.clear_lagging();
    if let Some(schedule) = gateway.push_clock.schedule() {
        instance.outbox.attach_schedule(schedule);
    }
    instance.outbox.wake_if_pending();
    loop {
        let outgoing: Vec<Message> = tokio::select! {
            incoming = stream.next() => {
                let bytes = match incoming {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Text(text))) => Bytes::from(text),
                    Some(Ok(Message::Close(_))) | None => return CloseReason::ClientClosed,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => return CloseReason::SocketError,
                };
                idle_deadline.as_mut().reset(Instant::now() + idle);
                handle(gateway, &app, instance, &origin, bytes, &replies).map(|b| writer.message(b)).into_iter().collect()
            }
            _ = replies.ready() => replies.drain().into_iter().map(|reply| writer.message(reply)).collect(),
            _ = instance.outbox.ready() => {
                let (frames, close) = writer.outbox_frames(&gateway.push_clock, instance.outbox.drain());
                if instance.outbox.is_lagging() {
                    return CloseReason::Lagging;
                }
                if close {
                    for message in frames {
                        let _ = sink.feed(message).await;
                    }
                    let _ = sink.send(Message::Close(None)).await;
                    return CloseReason::ServerClosed;
                }
                frames
            }
            _ = &mut idle_deadline => return CloseReason::Idle,
            _ = gateway.shutdown.cancelled() => return CloseReason::Shutdown,
        };
        // Write everything at hand with one flush.
        for message in outgoing {
            if sink.feed(message).await.is_err() {
                return CloseReason::SocketError;
            }
        }
        if sink.flush().await.is_err() {
            return CloseReason::SocketError;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::push::tests::item;

    fn payload(message: &Message) -> Bytes {
        match message {
            Message::Binary(bytes) => bytes.clone(),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    fn seqs(message: &Message) -> Vec<u64> {
        let frame: serde_json::Value = serde_json::from_slice(&payload(message)).unwrap();
        let items = frame["body"]["EventArray"][0]["GroupMsgArray"].as_array().unwrap();
        items.iter().map(|i| i["MsgSeq"].as_u64().unwrap()).collect()
    }

    #[tokio::test]
    async fn a_backlog_of_ticks_is_written_as_their_shared_frames_and_single_items_are_merged() {
        let writer = Writer { mode: FrameMode::Binary, gzip: false, compress_min: usize::MAX };
        let clock = PushClock::new(Duration::from_millis(100));
        let (first, second, late) =
            (Batch::new(vec![item(1), item(2)]), Batch::new(vec![item(3)]), Batch::new(vec![item(6)]));
        let drained = vec![
            Outgoing::Batch(first.clone()),
            Outgoing::Batch(second.clone()),
            Outgoing::Item(item(4)),
            Outgoing::Item(item(5)),
            Outgoing::Frame(Bytes::from_static(b"{\"reply\":1}")),
            Outgoing::Batch(late.clone()),
            Outgoing::Close,
            Outgoing::Item(item(7)),
        ];
        let (messages, close) = writer.outbox_frames(&clock, drained);
        assert!(close);
        assert_eq!(messages.len(), 5, "two ticks, the merged items, the reply, the late tick; nothing after the close");
        // Each tick's frame is the batch's own, shared with every other member: the same bytes.
        for (message, batch) in [(&messages[0], &first), (&messages[1], &second), (&messages[4], &late)] {
            assert_eq!(payload(message).as_ptr(), frame::encode_batch(batch).as_ptr());
        }
        assert_eq!(seqs(&messages[0]), [1, 2]);
        assert_eq!(seqs(&messages[1]), [3]);
        assert_eq!(seqs(&messages[2]), [4, 5]);
        assert_eq!(payload(&messages[3]), Bytes::from_static(b"{\"reply\":1}"));
        assert_eq!(seqs(&messages[4]), [6]);
    }
}
