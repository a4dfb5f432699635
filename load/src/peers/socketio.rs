//! socket.io v4 over a plain WebSocket (engine.io protocol 4): the server opens with `0{...}`,
//! the client connects the default namespace with `40`, joins a room with an acknowledged
//! event `421["join","<room>"]` (answered `431[...]`), and receives `42["m","<payload>"]`.
//! The server pings with `2`; the client answers `3`.

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::net::Socket;
use crate::run::Context;

const PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// An engine.io socket with the default namespace connected.
pub async fn connect(ctx: &Context, i: usize) -> anyhow::Result<Socket> {
    let mut socket = ctx.target.websocket(i, PATH).await?;
    let mut namespace_sent = false;
    while let Some(message) = socket.next().await {
        let data = message?.into_data();
        if data.starts_with(b"0{") && !namespace_sent {
            socket.send(Message::Text("40".into())).await?;
            namespace_sent = true;
        } else if data.starts_with(b"40") {
            return Ok(socket);
        } else if data.starts_with(b"44") {
            bail!("socket.io refused the namespace: {}", String::from_utf8_lossy(&data));
        }
    }
    bail!("socket.io closed the socket while connecting")
}

pub async fn subscribe(ctx: &Context, i: usize, room: &str) -> anyhow::Result<Socket> {
    let mut socket = connect(ctx, i).await?;
    socket.send(Message::Text(format!("421[\"join\",\"{room}\"]").into())).await?;
    while let Some(message) = socket.next().await {
        let data = message?.into_data();
        if data.starts_with(b"431") {
            return Ok(socket);
        }
        if let Some(answer) = keepalive_answer(&data) {
            socket.send(answer).await?;
        }
    }
    bail!("socket.io closed the socket before the join was acknowledged")
}

pub fn keepalive_answer(frame: &[u8]) -> Option<Message> {
    (frame == b"2").then(|| Message::Text("3".into()))
}

pub fn publish_frame(room: &str, payload: &str) -> Message {
    Message::Text(format!("42[\"publish\",\"{room}\",\"{payload}\"]").into())
}
