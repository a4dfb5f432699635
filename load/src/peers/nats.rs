//! nats-server over its WebSocket listener: the client protocol in WebSocket frames.
//! `CONNECT` + `SUB <subject> 1` + `PING`; the `PONG` says the subscription is in place.
//! Messages arrive as `MSG <subject> <sid> <bytes>\r\n<payload>\r\n`.

use anyhow::bail;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use memchr::memmem;
use tokio_tungstenite::tungstenite::Message;

use crate::net::Socket;
use crate::run::Context;

pub async fn subscribe(ctx: &Context, i: usize, subject: &str) -> anyhow::Result<Socket> {
    let mut socket = ctx.target.websocket(i, "/").await?;
    let hello = format!(
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"echo\":false}}\r\nSUB {subject} 1\r\nPING\r\n"
    );
    socket.send(Message::Binary(Bytes::from(hello))).await?;
    while let Some(message) = socket.next().await {
        let data = message?.into_data();
        if memmem::find(&data, b"PONG").is_some() {
            return Ok(socket);
        }
        if memmem::find(&data, b"-ERR").is_some() {
            bail!("nats: {}", String::from_utf8_lossy(&data));
        }
    }
    bail!("nats closed the socket before PONG")
}

pub fn keepalive_answer(frame: &[u8]) -> Option<Message> {
    (frame.starts_with(b"PING") || memmem::find(frame, b"\r\nPING\r\n").is_some())
        .then(|| Message::Binary(Bytes::from_static(b"PONG\r\n")))
}

pub fn publish_frame(subject: &str, payload: &str) -> Message {
    Message::Binary(Bytes::from(format!("PUB {subject} {}\r\n{payload}\r\n", payload.len())))
}
