//! The baseline of the comparison: the smallest broadcast server one would write with
//! tokio-tungstenite. A subscriber connects to `/sub/<channel>`; every text frame sent to
//! `/pub/<channel>` is sent to each subscriber of that channel, one frame per message per
//! socket, through a tokio broadcast channel. No batching, no priorities, no auth.
//!
//!   broadcast-baseline 127.0.0.1:9100

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Channels = Arc<Mutex<HashMap<String, broadcast::Sender<Message>>>>;

/// Messages a slow subscriber may fall behind by before it skips ahead.
const BACKLOG: usize = 1024;

async fn serve(stream: TcpStream, channels: Channels) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let mut path = String::new();
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_owned();
        Ok(response)
    };
    let mut socket = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await?;
    let (role, channel) = path.trim_start_matches('/').split_once('/').unwrap_or(("", ""));
    let sender = channels
        .lock()
        .expect("channels lock")
        .entry(channel.to_owned())
        .or_insert_with(|| broadcast::channel(BACKLOG).0)
        .clone();
    match role {
        "pub" => {
            while let Some(message) = socket.next().await {
                if let message @ Message::Text(_) = message? {
                    let _ = sender.send(message);
                }
            }
        }
        "sub" => {
            let mut receiver = sender.subscribe();
            loop {
                tokio::select! {
                    message = receiver.recv() => match message {
                        Ok(message) => socket.send(message).await?,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    },
                    incoming = socket.next() => match incoming {
                        Some(Ok(_)) => {}
                        _ => return Ok(()),
                    },
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9100".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("broadcast-baseline listening on {}", listener.local_addr()?);
    let channels: Channels = Arc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let channels = channels.clone();
        tokio::spawn(async move {
            let _ = serve(stream, channels).await;
        });
    }
}
