//! nginx + nchan: WebSocket subscribers on `/sub/<channel>` (subscribed once the handshake is
//! done), messages published by HTTP POST to `/pub/<channel>`.

use std::sync::Arc;

use anyhow::Context as _;

use crate::net::Socket;
use crate::run::Context;

pub async fn subscribe(ctx: &Context, i: usize, channel: &str) -> anyhow::Result<Socket> {
    ctx.target.websocket(i, &format!("/sub/{channel}")).await
}

pub async fn publisher(ctx: Arc<Context>, room: usize, rate: f64, i: usize) -> anyhow::Result<()> {
    let url = format!("{}/pub/{}", ctx.target.http_base(), super::channel(room));
    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    ctx.sending_started().await;
    let mut ticks = ctx.send_timer(rate, i);
    while !ctx.sending_over() {
        tokio::select! {
            _ = ticks.tick() => {
                let Some((_, _, payload)) = ctx.next_message(room) else { break };
                let response = client.post(&url).body(payload).send().await.context("nchan publish")?;
                anyhow::ensure!(response.status().is_success(), "nchan publish: {}", response.status());
            }
            _ = ctx.stopped() => break,
        }
    }
    Ok(())
}
