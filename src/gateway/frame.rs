//! Web SDK frames: `{"head":{…},"body":{…}}` as UTF-8 JSON, in binary frames on `/binfo` and
//! text frames on `/info`. Server frames may be `COMP` + gzip when the SDK allows it.

use std::io::Write;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::ImError;
use crate::room::{Batch, PushItem, item::ItemKind};

/// The request head fields roomcast reads; everything else the SDK sends is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Head {
    pub servcmd: String,
    pub seq: Value,
    pub identifier: String,
    pub usersig: String,
    pub a2: String,
    pub tinyid: String,
}

#[derive(Debug, Deserialize)]
pub struct Request {
    pub head: Head,
    pub body: Option<Box<serde_json::value::RawValue>>,
}

impl Request {
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The body's JSON text (`{}` when absent).
    pub fn body_bytes(&self) -> &[u8] {
        self.body.as_ref().map_or(b"{}", |b| b.get().as_bytes())
    }

    /// `service.command` split at the first dot.
    pub fn service_command(&self) -> (&str, &str) {
        self.head.servcmd.split_once('.').unwrap_or((self.head.servcmd.as_str(), ""))
    }
}

fn frame(servcmd: &str, seq: &Value, body: Value) -> Bytes {
    let frame = json!({"head": {"servcmd": servcmd, "seq": seq}, "body": body});
    Bytes::from(serde_json::to_vec(&frame).expect("frames serialise"))
}

/// A successful reply carrying `fields`.
pub fn ok_reply(head: &Head, fields: Map<String, Value>) -> Bytes {
    let mut body = fields;
    body.insert("ActionStatus".into(), json!("OK"));
    body.insert("ErrorCode".into(), json!(0));
    body.insert("ErrorInfo".into(), json!(""));
    frame(&head.servcmd, &head.seq, Value::Object(body))
}

pub fn error_reply(head: &Head, err: &ImError) -> Bytes {
    frame(&head.servcmd, &head.seq, json!({"ActionStatus": "FAIL", "ErrorCode": err.code, "ErrorInfo": err.info}))
}

/// One `im_open_push.msg_push` frame carrying `items` in order: each run of items of one kind
/// becomes one `EventArray` entry. Items are spliced in as already-serialised JSON.
pub fn push_frame(seq: u64, items: &[&PushItem]) -> Bytes {
    let mut out = BytesMut::with_capacity(96 + items.iter().map(|i| i.json.len() + 1).sum::<usize>());
    out.put_slice(br#"{"head":{"servcmd":"im_open_push.msg_push","seq":"#);
    out.put_slice(seq.to_string().as_bytes());
    out.put_slice(br#"},"body":{"EventArray":["#);
    let mut runs = items.chunk_by(|a, b| a.kind == b.kind).peekable();
    while let Some(run) = runs.next() {
        let kind: ItemKind = run[0].kind;
        out.put_slice(format!(r#"{{"Event":{},"{}":["#, kind.event(), kind.array_key()).as_bytes());
        for (i, item) in run.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            out.put_slice(&item.json);
        }
        out.put_slice(b"]}");
        if runs.peek().is_some() {
            out.put_u8(b',');
        }
    }
    out.put_slice(b"]}}");
    out.freeze()
}

/// A successful long-poll (`get_msg`) answer, its items spliced in as already-serialised JSON.
pub fn poll_reply(head: &Head, key: &str, next_seq: u64, items: &[std::sync::Arc<PushItem>]) -> Bytes {
    let head = json!({"servcmd": head.servcmd, "seq": head.seq});
    let mut out = BytesMut::with_capacity(160 + key.len() + items.iter().map(|i| i.json.len() + 1).sum::<usize>());
    out.put_slice(br#"{"head":"#);
    out.put_slice(&serde_json::to_vec(&head).expect("a head serialises"));
    out.put_slice(br#","body":{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Key":"#);
    out.put_slice(&serde_json::to_vec(key).expect("a string serialises"));
    out.put_slice(format!(r#","NextSeq":{next_seq},"RspMsgList":["#).as_bytes());
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(&item.json);
    }
    out.put_slice(b"]}}");
    out.freeze()
}

/// The push frame of a batch, encoded once and shared by every socket that writes it.
pub fn encode_batch(batch: &Batch) -> Bytes {
    batch.encoded(|items| {
        let refs: Vec<&PushItem> = items.iter().map(|i| i.as_ref()).collect();
        push_frame(items[0].seq, &refs)
    })
}

/// `COMP` followed by a gzip stream of `frame`.
pub fn compress(frame: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(frame.len() / 3 + 16);
    out.extend_from_slice(b"COMP");
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    gz.write_all(frame).expect("writing to a Vec cannot fail");
    Bytes::from(gz.finish().expect("writing to a Vec cannot fail"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::Priority;

    fn item(seq: u64, kind: ItemKind) -> PushItem {
        let json = Bytes::from(format!(r#"{{"MsgSeq":{seq}}}"#));
        PushItem { seq, kind, priority: Priority::Normal, time: 0, json }
    }

    #[test]
    fn push_frames_group_runs_of_one_kind_and_parse_as_json() {
        let items = [
            item(1, ItemKind::Message),
            item(2, ItemKind::Message),
            item(3, ItemKind::Tip),
            item(4, ItemKind::Message),
        ];
        let refs: Vec<&PushItem> = items.iter().collect();
        let parsed: Value = serde_json::from_slice(&push_frame(9, &refs)).unwrap();
        assert_eq!(parsed["head"], json!({"servcmd": "im_open_push.msg_push", "seq": 9}));
        assert_eq!(
            parsed["body"]["EventArray"],
            json!([
                {"Event": 3, "GroupMsgArray": [{"MsgSeq": 1}, {"MsgSeq": 2}]},
                {"Event": 4, "GroupTips": [{"MsgSeq": 3}]},
                {"Event": 3, "GroupMsgArray": [{"MsgSeq": 4}]}
            ])
        );
    }

    #[test]
    fn poll_replies_splice_items_and_parse_as_json() {
        let head = Head { servcmd: "x.get_msg".into(), seq: json!(7), ..Head::default() };
        let items = [std::sync::Arc::new(item(3, ItemKind::Message)), std::sync::Arc::new(item(4, ItemKind::Tip))];
        let parsed: Value = serde_json::from_slice(&poll_reply(&head, "k\"1", 5, &items)).unwrap();
        assert_eq!(parsed["head"], json!({"servcmd": "x.get_msg", "seq": 7}));
        assert_eq!(parsed["body"]["ErrorCode"], 0);
        assert_eq!(parsed["body"]["Key"], "k\"1");
        assert_eq!(parsed["body"]["NextSeq"], 5);
        assert_eq!(parsed["body"]["RspMsgList"], json!([{"MsgSeq": 3}, {"MsgSeq": 4}]));
        let empty: Value = serde_json::from_slice(&poll_reply(&head, "k", 5, &[])).unwrap();
        assert_eq!(empty["body"]["RspMsgList"], json!([]));
    }

    #[test]
    fn compressed_frames_inflate_to_the_original() {
        let original = br#"{"head":{"servcmd":"x","seq":1},"body":{}}"#;
        let packed = compress(original);
        assert_eq!(&packed[..4], b"COMP");
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&packed[4..]), &mut inflated).unwrap();
        assert_eq!(inflated, original);
    }

    #[test]
    fn requests_parse_with_missing_optional_fields() {
        let r = Request::parse(br#"{"head":{"servcmd":"heartbeat.alive","seq":5},"body":{}}"#).unwrap();
        assert_eq!(r.service_command(), ("heartbeat", "alive"));
        assert_eq!(r.head.seq, json!(5));
        assert!(r.head.a2.is_empty());
    }
}
