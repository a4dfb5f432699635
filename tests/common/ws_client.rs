//! A minimal Web SDK wire client for tests: requests with `servcmd` and `seq`, replies matched
//! by seq, pushes collected on the side.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct SdkClient {
    socket: Socket,
    seq: u64,
    pub a2: String,
    pub tinyid: String,
    pub identifier: String,
    pub usersig: String,
    pub pushes: VecDeque<Value>,
    /// Items of push frames not yet looked at by `pushed_item`.
    items: VecDeque<Value>,
    /// How many server frames came as `COMP` + gzip.
    pub compressed_frames: usize,
    binary: bool,
}

/// Turns a frame into JSON, inflating `COMP` + gzip frames.
pub fn decode(message: Message) -> Option<Value> {
    let bytes = match message {
        Message::Binary(b) => b.to_vec(),
        Message::Text(t) => t.as_bytes().to_vec(),
        _ => return None,
    };
    let json = if bytes.starts_with(b"COMP") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[4..]), &mut out).unwrap();
        out
    } else {
        bytes
    };
    Some(serde_json::from_slice(&json).expect("server frames are JSON"))
}

impl SdkClient {
    /// Connects like the SDK does: `<base>/binfo?sdkappid=..&instanceid=..` (or `/info`).
    pub async fn connect(base_http: &str, sdkappid: u64, instance: &str, binary: bool) -> Self {
        let path = if binary { "binfo" } else { "info" };
        let url = format!(
            "{}/{path}?sdkappid={sdkappid}&instanceid={instance}&platform=7&compress=gzip",
            base_http.replace("http://", "ws://")
        );
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        Self {
            socket,
            seq: 1000,
            a2: String::new(),
            tinyid: String::new(),
            identifier: String::new(),
            usersig: String::new(),
            pushes: VecDeque::new(),
            items: VecDeque::new(),
            compressed_frames: 0,
            binary,
        }
    }

    /// Sends a request and returns its reply body; pushes that arrive meanwhile are kept.
    pub async fn call(&mut self, servcmd: &str, body: Value) -> Value {
        self.seq += 1;
        let seq = self.seq;
        let head = json!({"ver": "v4", "platform": 7, "servcmd": servcmd, "seq": seq, "a2": self.a2, "tinyid": self.tinyid,
                          "identifier": self.identifier, "usersig": self.usersig, "contenttype": "json"});
        let text = json!({"head": head, "body": body}).to_string();
        let message = if self.binary { Message::Binary(text.into_bytes().into()) } else { Message::Text(text.into()) };
        self.socket.send(message).await.unwrap();
        loop {
            let frame =
                self.next_frame(Duration::from_secs(20)).await.unwrap_or_else(|| panic!("no reply to {servcmd}"));
            if frame["head"]["seq"] == json!(seq) && frame["head"]["servcmd"] == servcmd {
                return frame["body"].clone();
            }
            self.pushes.push_back(frame);
        }
    }

    pub async fn next_frame(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next()).await.ok()??.ok()?;
            if matches!(&message, Message::Binary(b) if b.starts_with(b"COMP")) {
                self.compressed_frames += 1;
            }
            if let Some(v) = decode(message) {
                return Some(v);
            }
        }
    }

    /// Waits for a push frame (or takes one already received).
    pub async fn push(&mut self, wait: Duration) -> Option<Value> {
        if let Some(p) = self.pushes.pop_front() {
            return Some(p);
        }
        self.next_frame(wait).await
    }

    /// The next pushed item that matches `wanted`, skipping the items before it; panics after 5 s.
    pub async fn pushed_item(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            while let Some(item) = self.items.pop_front() {
                if wanted(&item) {
                    return item;
                }
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.push(left).await.expect("expected a push before the deadline");
            self.items.extend(push_items(&frame));
        }
    }

    /// Logs in with a UserSig; keeps the ticket for later requests.
    pub async fn login(&mut self, user: &str, usersig: &str) -> Value {
        self.identifier = user.to_owned();
        self.usersig = usersig.to_owned();
        let reply =
            self.call("im_open_status.wslogin", json!({"State": "Online", "is_web_uniapp": 0, "InstType": 0})).await;
        self.identifier.clear();
        self.usersig.clear();
        if reply["ErrorCode"] == 0 {
            self.a2 = reply["A2Key"].as_str().unwrap().to_owned();
            self.tinyid = reply["TinyId"].as_str().unwrap().to_owned();
        }
        reply
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Every item of every `EventArray` entry of a push frame.
pub fn push_items(frame: &Value) -> Vec<Value> {
    let mut items = Vec::new();
    for event in frame["body"]["EventArray"].as_array().into_iter().flatten() {
        for key in ["GroupMsgArray", "GroupTips"] {
            items.extend(event[key].as_array().into_iter().flatten().cloned());
        }
    }
    items
}
