//! The minimal broadcast baseline (`broadcast-baseline`): `/sub/<channel>` receives every
//! message published on `/pub/<channel>`, one text frame each.

use crate::net::Socket;
use crate::run::Context;

pub async fn subscribe(ctx: &Context, i: usize, channel: &str) -> anyhow::Result<Socket> {
    ctx.target.websocket(i, &format!("/sub/{channel}")).await
}

pub async fn publisher(ctx: &Context, i: usize, channel: &str) -> anyhow::Result<Socket> {
    ctx.target.websocket(i, &format!("/pub/{channel}")).await
}
