//! One small driver per protocol. roomcast is driven through its Web SDK protocol ([`crate::sdk`]);
//! the servers it is compared with get the same workload through their own protocols:
//! subscribe every viewer to the room's channel, publish stamped payloads at the offered rate.

mod baseline;
mod nats;
mod nchan;
mod socketio;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::net::Socket;
use crate::options::Protocol;
use crate::run::{Context, ViewerOutcome};
use crate::sdk;

/// Channel (subject, room) name of room `room` on every server.
pub fn channel(room: usize) -> String {
    sdk::group_id(room)
}

const ADMITTED_METRIC: &str = "roomcast_messages_delivered_total";

/// Readies the server for the run (roomcast: creates the rooms). Returns the server's admitted
/// counter before the run, where the server has one.
pub async fn prepare(ctx: &Context) -> anyhow::Result<Option<u64>> {
    if ctx.options.protocol != Protocol::Roomcast {
        return Ok(None);
    }
    let admin = &ctx.options.admin;
    let sig =
        roomcast::auth::usersig::issue(ctx.options.sdkappid, &ctx.options.secret_key, admin, 86_400, ctx.unix_now());
    let url = format!(
        "{}/v4/group_open_http_svc/create_group?sdkappid={}&identifier={admin}&usersig={sig}&random=1&contenttype=json",
        ctx.target.http_base(),
        ctx.options.sdkappid
    );
    let client = reqwest::Client::new();
    for room in 0..ctx.options.rooms {
        let body = json!({"Type": "AVChatRoom", "Name": format!("Load {room}"), "GroupId": channel(room)});
        loop {
            let reply: serde_json::Value = client.post(&url).json(&body).send().await?.json().await?;
            match reply["ErrorCode"].as_u64() {
                // 10021: the GroupId is taken, i.e. the room exists from an earlier run.
                Some(0 | 10021) => break,
                // 60007: the REST frequency limit; wait for the next second.
                Some(60007) => tokio::time::sleep(Duration::from_millis(200)).await,
                _ => bail!("create_group {}: {reply}", channel(room)),
            }
        }
    }
    Ok(admitted_total(ctx).await)
}

/// roomcast's count of admitted messages, from /metrics.
pub async fn admitted_total(ctx: &Context) -> Option<u64> {
    let text = reqwest::get(format!("{}/metrics", ctx.target.http_base())).await.ok()?.text().await.ok()?;
    let sum = text
        .lines()
        .filter(|l| l.starts_with(ADMITTED_METRIC))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    Some(sum as u64)
}

pub async fn viewer(ctx: Arc<Context>, i: usize, room: usize, slow: bool) -> ViewerOutcome {
    match ctx.options.protocol {
        Protocol::Roomcast => sdk::viewer(ctx, i, room, slow).await,
        _ => subscriber(ctx, i, room, slow).await,
    }
}

pub async fn sender(ctx: Arc<Context>, i: usize, room: usize, rate: f64) -> anyhow::Result<()> {
    match ctx.options.protocol {
        Protocol::Roomcast => sdk::sender(ctx, i, room, rate).await,
        Protocol::Nchan => nchan::publisher(ctx, room, rate, i).await,
        _ => publisher(ctx, i, room, rate).await,
    }
}

/// Opens a peer subscriber socket and waits until the server has registered the subscription.
async fn subscribe(ctx: &Context, i: usize, room: usize) -> anyhow::Result<Socket> {
    let channel = channel(room);
    match ctx.options.protocol {
        Protocol::Nats => nats::subscribe(ctx, i, &channel).await,
        Protocol::Nchan => nchan::subscribe(ctx, i, &channel).await,
        Protocol::Socketio => socketio::subscribe(ctx, i, &channel).await,
        Protocol::Baseline => baseline::subscribe(ctx, i, &channel).await,
        Protocol::Roomcast => unreachable!("roomcast viewers speak the SDK protocol"),
    }
}

/// What a keep-alive from the server needs as an answer (NATS PING, engine.io ping).
fn keepalive_answer(protocol: Protocol, frame: &[u8]) -> Option<Message> {
    match protocol {
        Protocol::Nats => nats::keepalive_answer(frame),
        Protocol::Socketio => socketio::keepalive_answer(frame),
        _ => None,
    }
}

async fn subscriber(ctx: Arc<Context>, i: usize, room: usize, slow: bool) -> ViewerOutcome {
    let mut outcome = ViewerOutcome::new(room, slow);
    let subscribed = {
        let _permit = ctx.connect_slots.acquire().await;
        let started = ctx.recorder.now_us();
        let subscribed = subscribe(&ctx, i, room).await;
        ctx.joined(subscribed.is_ok(), started);
        subscribed
    };
    let mut socket = match subscribed {
        Ok(socket) => socket,
        Err(e) => {
            outcome.error = Some(format!("{e:#}"));
            return outcome;
        }
    };
    if slow {
        ctx.stopped().await;
        return outcome;
    }
    let protocol = ctx.options.protocol;
    let read = async {
        while let Some(message) = socket.next().await {
            let bytes = match message? {
                Message::Binary(b) => b,
                Message::Text(t) => Bytes::from(t.as_str().to_owned()),
                _ => continue,
            };
            outcome.received += ctx.recorder.frame(i, &bytes);
            if let Some(answer) = keepalive_answer(protocol, &bytes) {
                socket.send(answer).await?;
            }
        }
        anyhow::Result::<()>::Err(anyhow::anyhow!("server closed the socket"))
    };
    tokio::select! {
        result = read => if let Err(e) = result { outcome.error = Some(format!("{e:#}")) },
        _ = ctx.stopped() => {}
    }
    outcome
}

/// A WebSocket publisher (NATS, socket.io, baseline): one socket, `rate` messages per second.
async fn publisher(ctx: Arc<Context>, i: usize, room: usize, rate: f64) -> anyhow::Result<()> {
    let protocol = ctx.options.protocol;
    let channel = channel(room);
    let mut socket = match protocol {
        Protocol::Nats => nats::subscribe(&ctx, ctx.options.viewers + i, "load-publishers").await?,
        Protocol::Socketio => socketio::connect(&ctx, ctx.options.viewers + i).await?,
        Protocol::Baseline => baseline::publisher(&ctx, ctx.options.viewers + i, &channel).await?,
        _ => bail!("{protocol:?} has no WebSocket publisher"),
    };
    ctx.sending_started().await;
    let mut ticks = ctx.send_timer(rate, i);
    while !ctx.sending_over() {
        tokio::select! {
            _ = ticks.tick() => {
                let Some((_, _, payload)) = ctx.next_message(room) else { break };
                let frame = match protocol {
                    Protocol::Nats => nats::publish_frame(&channel, &payload),
                    Protocol::Socketio => socketio::publish_frame(&channel, &payload),
                    _ => Message::Text(payload.into()),
                };
                socket.send(frame).await.context("publish")?;
            }
            message = socket.next() => match message {
                Some(Ok(message)) => {
                    let bytes = message.into_data();
                    if let Some(answer) = keepalive_answer(protocol, &bytes) {
                        socket.send(answer).await?;
                    }
                }
                _ => bail!("server closed the publisher's socket"),
            },
            _ = ctx.stopped() => break,
        }
    }
    tokio::select! {
        _ = ctx.stopped() => {}
        _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
    }
    Ok(())
}
