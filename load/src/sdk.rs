//! The Tencent Web SDK wire protocol as real pages speak it to roomcast: `heartbeat.alive` at
//! open, `wslogin` with a UserSig, `apply_join_group` (logged in: pushes; anonymous: long-poll
//! key), `get_msg` long-polls, `send_group_msg` with a priority, and keep-alives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use memchr::memmem;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::net::Socket;
use crate::options::{MessageKind, Options, ViewerMode};
use crate::run::{Context, ViewerOutcome};

/// How long a setup request (login, join) may take before the connection counts as failed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SdkSocket {
    socket: Socket,
    seq: u64,
    a2: String,
    tinyid: String,
}

/// `COMP` + gzip frames inflated; plain frames as they are.
pub fn frame_bytes(message: Message) -> Option<Bytes> {
    let bytes = match message {
        Message::Binary(b) => b,
        Message::Text(t) => Bytes::from(t.as_str().to_owned()),
        _ => return None,
    };
    if !bytes.starts_with(b"COMP") {
        return Some(bytes);
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[4..]), &mut out).ok()?;
    Some(Bytes::from(out))
}

/// The number after `"key":` in a frame, found without parsing the JSON.
pub fn number_field(frame: &[u8], key: &str) -> Option<u64> {
    let pattern = format!("\"{key}\":");
    let at = memmem::find(frame, pattern.as_bytes())? + pattern.len();
    let digits = frame[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&frame[at..at + digits]).ok()?.parse().ok()
}

/// A request's head as the Web SDK writes it; a struct, not a `json!` map, because the tool
/// writes one per request and should cost less than the server that reads it.
#[derive(Clone, Copy, serde::Serialize)]
struct Head<'a> {
    ver: &'a str,
    platform: u32,
    websdkappid: u64,
    websdkversion: &'a str,
    a2: &'a str,
    tinyid: &'a str,
    identifier: &'a str,
    usersig: &'a str,
    status_instid: u32,
    contenttype: &'a str,
    cs: u32,
    servcmd: &'a str,
    seq: u64,
}

const HEAD: Head<'static> = Head {
    ver: "v4",
    platform: 7,
    websdkappid: 537048168,
    websdkversion: "1.7.3",
    a2: "",
    tinyid: "",
    identifier: "",
    usersig: "",
    status_instid: 0,
    contenttype: "json",
    cs: 0,
    servcmd: "",
    seq: 0,
};

#[derive(serde::Serialize)]
struct RequestFrame<'a> {
    head: Head<'a>,
    body: &'a Value,
}

/// What the tool reads of a reply: its command and its body.
#[derive(serde::Deserialize)]
struct ReplyFrame {
    head: ReplyHead,
    #[serde(default)]
    body: Value,
}

#[derive(serde::Deserialize)]
struct ReplyHead {
    #[serde(default)]
    servcmd: String,
}

impl SdkSocket {
    pub async fn open(ctx: &Context, i: usize, instance: &str) -> anyhow::Result<Self> {
        let path = format!(
            "/binfo?sdkappid={}&instanceid={instance}&random=0.5&platform=7&host=unknown&version=-1&sdkversion=3.6.6",
            ctx.options.sdkappid
        );
        let socket = ctx.target.websocket(i, &path).await?;
        let mut sdk = Self { socket, seq: u64::from(rand::random::<u32>()), a2: String::new(), tinyid: String::new() };
        // Like the SDK, say alive right after the socket opens.
        sdk.request("heartbeat.alive", json!({}), None).await?;
        Ok(sdk)
    }

    /// Writes one request and returns its seq, without waiting for the reply.
    pub async fn send(&mut self, servcmd: &str, body: &Value, login: Option<(&str, &str)>) -> anyhow::Result<u64> {
        self.seq += 1;
        let (identifier, usersig) = login.unwrap_or(("", ""));
        let head = Head { a2: &self.a2, tinyid: &self.tinyid, identifier, usersig, servcmd, seq: self.seq, ..HEAD };
        let text = serde_json::to_vec(&RequestFrame { head, body })?;
        self.socket.send(Message::Binary(Bytes::from(text))).await?;
        Ok(self.seq)
    }

    /// Sends a request and waits for its reply body; frames in between are ignored.
    pub async fn request(&mut self, servcmd: &str, body: Value, login: Option<(&str, &str)>) -> anyhow::Result<Value> {
        let seq = self.send(servcmd, &body, login).await?;
        let wait = async {
            while let Some(message) = self.socket.next().await {
                let Some(bytes) = frame_bytes(message?) else { continue };
                if number_field(&bytes, "seq") != Some(seq) {
                    continue;
                }
                let frame: ReplyFrame = serde_json::from_slice(&bytes)?;
                if frame.head.servcmd == servcmd {
                    return Ok(frame.body);
                }
            }
            bail!("socket closed while waiting for {servcmd}")
        };
        let body: Value = tokio::time::timeout(SETUP_TIMEOUT, wait).await.context(format!("{servcmd}: no reply"))??;
        if body["ErrorCode"] != 0 {
            bail!("{servcmd}: error {} {}", body["ErrorCode"], body["ErrorInfo"]);
        }
        Ok(body)
    }

    pub async fn login(&mut self, user: &str, usersig: &str) -> anyhow::Result<()> {
        let body = json!({"State": "Online", "is_web_uniapp": 0, "InstType": 0, "CustomInfo": ""});
        let reply = self.request("im_open_status.wslogin", body, Some((user, usersig))).await?;
        self.a2 = reply["A2Key"].as_str().context("wslogin: no A2Key")?.to_owned();
        self.tinyid = reply["TinyId"].as_str().context("wslogin: no TinyId")?.to_owned();
        Ok(())
    }

    /// Joins a room; returns the long-poll key for anonymous members.
    pub async fn join(&mut self, group: &str, anonymous: bool) -> anyhow::Result<Option<String>> {
        let servcmd = if anonymous {
            "group_open_http_noauth_svc.apply_join_group"
        } else {
            "group_open_http_svc.apply_join_group"
        };
        let reply = self.request(servcmd, json!({"GroupId": group, "WebPushFlag": 1}), None).await?;
        Ok(reply["LongPollingKey"].as_str().map(str::to_owned))
    }

    pub async fn next_frame(&mut self) -> Option<anyhow::Result<Bytes>> {
        loop {
            match self.socket.next().await? {
                Ok(message) => {
                    if let Some(bytes) = frame_bytes(message) {
                        return Some(Ok(bytes));
                    }
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

pub fn group_id(room: usize) -> String {
    format!("load-{room}")
}

fn user_sig(ctx: &Context, user: &str) -> String {
    roomcast::auth::usersig::issue(ctx.options.sdkappid, &ctx.options.secret_key, user, 86_400, ctx.unix_now())
}

fn viewer_name(i: usize) -> String {
    format!("viewer-{i}")
}

/// The UserSig of viewer `i` (see `Context::viewer_sig`).
pub fn viewer_sig(o: &Options, i: usize) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    roomcast::auth::usersig::issue(o.sdkappid, &o.secret_key, &viewer_name(i), 86_400, now)
}

/// Connects, logs in (push mode) and joins; returns the ready socket and its poll key.
async fn enter(
    ctx: &Context,
    i: usize,
    room: usize,
    user: Option<&str>,
) -> anyhow::Result<(SdkSocket, Option<String>)> {
    let instance = format!("{:016x}{i:016x}", ctx.run_id);
    let mut sdk = SdkSocket::open(ctx, i, &instance).await?;
    if let Some(user) = user {
        // Viewers' UserSigs were issued before the run; senders (i past the viewers) issue theirs.
        match ctx.viewer_sig(i) {
            Some(sig) => sdk.login(user, sig).await?,
            None => sdk.login(user, &user_sig(ctx, user)).await?,
        }
    }
    let key = sdk.join(&group_id(room), user.is_none()).await?;
    Ok((sdk, key))
}

/// One viewer: enters, then reads pushes (or long-polls) until the run stops.
pub async fn viewer(ctx: Arc<Context>, i: usize, room: usize, slow: bool) -> ViewerOutcome {
    let mut outcome = ViewerOutcome::new(room, slow);
    let user = viewer_name(i);
    let anonymous = ctx.options.mode == ViewerMode::Anonymous;
    let entered = {
        let _permit = ctx.connect_slots.acquire().await;
        let started = ctx.recorder.now_us();
        let entered = enter(&ctx, i, room, (!anonymous).then_some(user.as_str())).await;
        ctx.joined(entered.is_ok(), started);
        entered
    };
    let (mut sdk, key) = match entered {
        Ok(ready) => ready,
        Err(e) => {
            outcome.error = Some(format!("{e:#}"));
            return outcome;
        }
    };
    let reading = async {
        match key {
            Some(key) => poll_loop(&ctx, i, &mut sdk, &key, &mut outcome).await,
            None => push_loop(&ctx, i, &mut sdk, &mut outcome).await,
        }
    };
    let result = if slow {
        // A slow consumer reads like the others until two thirds into the sending, then keeps
        // its socket open and never reads again.
        let read_until_stop = tokio::select! {
            result = reading => Some(result),
            _ = ctx.slow_stopped() => None,
        };
        match read_until_stop {
            Some(result) => result,
            None => {
                ctx.stopped().await;
                Ok(())
            }
        }
    } else {
        reading.await
    };
    if let Err(e) = result {
        outcome.error = Some(format!("{e:#}"));
    }
    outcome
}

async fn push_loop(ctx: &Context, i: usize, sdk: &mut SdkSocket, outcome: &mut ViewerOutcome) -> anyhow::Result<()> {
    let mut heartbeat = ctx.heartbeat_timer(i);
    loop {
        tokio::select! {
            frame = sdk.next_frame() => match frame {
                Some(frame) => outcome.received += ctx.recorder.frame(i, &frame?),
                None => bail!("server closed the socket"),
            },
            _ = heartbeat.tick() => { sdk.send("heartbeat.alive", &json!({}), None).await?; }
            _ = ctx.stopped() => return Ok(()),
        }
    }
}

async fn poll_loop(
    ctx: &Context,
    i: usize,
    sdk: &mut SdkSocket,
    key: &str,
    outcome: &mut ViewerOutcome,
) -> anyhow::Result<()> {
    let mut heartbeat = ctx.heartbeat_timer(i);
    let gap = Duration::from_millis(ctx.options.poll_gap_ms);
    let mut next_seq = 0;
    loop {
        let body = json!({"USP": 1, "StartSeq": next_seq, "HoldTime": 90, "Key": key, "DownsizeFlag": 0});
        let poll_seq = sdk.send("group_open_long_polling_http_noauth_svc.get_msg", &body, None).await?;
        // Read until the poll's answer; keep-alives go out meanwhile.
        loop {
            tokio::select! {
                frame = sdk.next_frame() => {
                    let frame = frame.context("server closed the socket")??;
                    if number_field(&frame, "seq") == Some(poll_seq) {
                        outcome.received += ctx.recorder.frame(i, &frame);
                        if let Some(next) = number_field(&frame, "NextSeq") {
                            next_seq = next;
                        }
                        break;
                    }
                }
                _ = heartbeat.tick() => { sdk.send("heartbeat.alive", &json!({}), None).await?; }
                _ = ctx.stopped() => return Ok(()),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(gap) => {}
            _ = ctx.stopped() => return Ok(()),
        }
    }
}

fn message_body(kind: MessageKind, payload: &str) -> Value {
    match kind {
        MessageKind::Text => json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": payload}}]),
        MessageKind::Gift | MessageKind::Like => {
            let desc = if kind == MessageKind::Gift { "gift" } else { "like" };
            json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": payload, "Desc": desc, "Ext": ""}}])
        }
    }
}

/// One sender: a logged-in member of `room` that sends `rate` messages per second.
pub async fn sender(ctx: Arc<Context>, i: usize, room: usize, rate: f64) -> anyhow::Result<()> {
    let user = format!("sender-{room}-{i}");
    let (mut sdk, _) = enter(&ctx, ctx.options.viewers + i, room, Some(&user)).await?;
    ctx.sending_started().await;
    let group = group_id(room);
    let mut ticks = ctx.send_timer(rate, i);
    let mut client_seq = 0u64;
    // Sends waiting for their answer: request seq -> µs sent.
    let mut waiting: HashMap<u64, u64> = HashMap::new();
    let answered = |frame: &[u8], waiting: &mut HashMap<u64, u64>| {
        if memmem::find(frame, b"send_group_msg").is_none() || number_field(frame, "ErrorCode") != Some(0) {
            return;
        }
        if let Some(sent_us) = number_field(frame, "seq").and_then(|seq| waiting.remove(&seq)) {
            ctx.acked(ctx.recorder.now_us().saturating_sub(sent_us));
        }
    };
    while !ctx.sending_over() {
        tokio::select! {
            _ = ticks.tick() => {
                let Some((id, kind, payload)) = ctx.next_message(room) else { break };
                client_seq += 1;
                let body = json!({
                    "From_Account": user, "GroupId": group, "Random": rand::random::<u32>(), "ClientSeq": client_seq,
                    "MsgPriority": kind.priority(), "MsgBody": message_body(kind, &payload), "CloudCustomData": "",
                    "OnlineOnlyFlag": 0, "MsgClientTime": ctx.unix_now(),
                });
                let seq = sdk.send("group_open_http_svc.send_group_msg", &body, None).await?;
                waiting.insert(seq, ctx.recorder.now_us());
                let _ = id;
            }
            // Senders read (and discard) what the room pushes, as a page would.
            frame = sdk.next_frame() => if let Some(frame) = frame {
                answered(&frame?, &mut waiting);
            } else {
                bail!("server closed a sender's socket");
            },
            _ = ctx.stopped() => break,
        }
    }
    // Keep reading until the run ends, so late replies are counted and the socket stays healthy.
    loop {
        tokio::select! {
            frame = sdk.next_frame() => match frame {
                Some(Ok(frame)) => answered(&frame, &mut waiting),
                _ => return Ok(()),
            },
            _ = ctx.stopped() => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_fields_are_found_without_parsing() {
        let frame = br#"{"head":{"servcmd":"x","seq":42},"body":{"NextSeq":17,"ErrorCode":0}}"#;
        assert_eq!(number_field(frame, "seq"), Some(42));
        assert_eq!(number_field(frame, "NextSeq"), Some(17));
        assert_eq!(number_field(frame, "Missing"), None);
    }
}
