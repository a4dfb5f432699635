//! Frame encoding: building an `im_open_push.msg_push` frame from pre-serialised items, the
//! merged-frame lookup every push member does per tick, and `COMP` + gzip.

use std::sync::Arc;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use roomcast::gateway::frame::{compress, push_frame};
use roomcast::gateway::push::PushClock;
use roomcast::room::item::ItemKind;
use roomcast::room::{Priority, PushItem};
use serde_json::json;

/// A message item as the room serialises it, with a 200-byte text.
fn item(seq: u64) -> Arc<PushItem> {
    let value = json!({
        "Event": 3, "GroupId": "@TGS#aBENCH", "ToGroupId": "@TGS#aBENCH", "From_Account": "sender", "TinyId": "144115000000000001",
        "MsgSeq": seq, "MsgRandom": 12345, "MsgTimeStamp": 1_700_000_000, "MsgClientTime": 1_700_000_000,
        "MsgPriority": "Normal", "CloudCustomData": "",
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x".repeat(200)}}],
        "GroupInfo": {"GroupId": "@TGS#aBENCH", "GroupType": "AVChatRoom", "From_AccountNick": "Sender", "From_AccountHeadurl": ""},
    });
    let json = Bytes::from(serde_json::to_vec(&value).unwrap());
    Arc::new(PushItem { seq, kind: ItemKind::Message, priority: Priority::Normal, time: 0, json })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for n in [1usize, 4, 20] {
        let items: Vec<Arc<PushItem>> = (0..n as u64).map(item).collect();
        let refs: Vec<&PushItem> = items.iter().map(|i| i.as_ref()).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("push_frame_items", n), &n, |b, _| b.iter(|| push_frame(1, &refs)));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = runtime.enter();
    let clock = PushClock::new(std::time::Duration::from_millis(100));
    let items: Vec<Arc<PushItem>> = (0..4).map(item).collect();
    let now = tokio::time::Instant::now();
    clock.frame(items.clone(), now);
    group.throughput(Throughput::Elements(1));
    group.bench_function("shared_frame_lookup_4_items", |b| b.iter(|| clock.frame(items.clone(), now)));
    let big: Vec<Arc<PushItem>> = (0..14).map(item).collect();
    let refs: Vec<&PushItem> = big.iter().map(|i| i.as_ref()).collect();
    let frame = push_frame(1, &refs);
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("compress_gzip_8k", |b| b.iter(|| compress(&frame)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
