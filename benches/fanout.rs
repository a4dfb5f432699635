//! Fan-out: one room, N in-process push members; the cost of admitting one message and
//! offering it to every member's outbox (serialised once per room, not per member), and of a
//! merging room handing a push tick's four messages to every member as one batch.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use roomcast::room::{BatchSchedule, Member, MessageDraft, Outbox, Priority, Room, RoomConfig};
use serde_json::json;

fn room_with_members(n: usize, batches: Option<Arc<BatchSchedule>>) -> (Arc<Room>, Vec<Arc<Outbox>>) {
    let config = RoomConfig {
        max_messages_per_sec: u32::MAX,
        tick: Duration::from_secs(3600),
        recent_items: 1000,
        member_tips: false,
        group_message_limits: Default::default(),
    };
    let room = Room::with_batches(1, "bench", config, batches);
    let outboxes: Vec<Arc<Outbox>> = (0..n).map(|_| Outbox::new(1024)).collect();
    for (i, outbox) in outboxes.iter().enumerate() {
        let member = Member {
            user_id: Some(format!("u{i}")),
            nick: String::new(),
            avatar: String::new(),
            outbox: Some(outbox.clone()),
            joined_at_ms: 0,
            from_seq: 0,
        };
        room.join(format!("inst{i}").into(), member);
    }
    (room, outboxes)
}

fn draft(i: u32) -> MessageDraft {
    MessageDraft {
        from_account: "sender".into(),
        from_tiny_id: "144115000000000001".into(),
        nick: "Sender".into(),
        avatar: "https://example.com/a.png".into(),
        random: i,
        client_time: 1_700_000_000,
        priority: Priority::Normal,
        body: json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x".repeat(200)}}]),
        cloud_custom_data: String::new(),
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = runtime.enter();
    let mut group = c.benchmark_group("fanout");
    for n in [1_000usize, 10_000] {
        let (room, outboxes) = room_with_members(n, None);
        group.throughput(Throughput::Elements(n as u64));
        let mut i = 0u32;
        group.bench_with_input(BenchmarkId::new("one_message_to_members", n), &n, |b, _| {
            b.iter(|| {
                i = i.wrapping_add(1);
                drop(room.send(draft(i)));
                room.flush(tokio::time::Instant::now());
                // Members drain as their sessions would, so queues never fill.
                if i % 512 == 0 {
                    for outbox in &outboxes {
                        outbox.drain();
                    }
                }
            })
        });
    }
    for n in [1_000usize, 10_000] {
        let schedule = Arc::new(BatchSchedule::default());
        let (room, outboxes) = room_with_members(n, Some(schedule.clone()));
        // Throughput in member deliveries: four messages to each member.
        group.throughput(Throughput::Elements(4 * n as u64));
        let mut i = 0u32;
        group.bench_with_input(BenchmarkId::new("tick_of_4_messages_batched_to_members", n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..4 {
                    i = i.wrapping_add(1);
                    drop(room.send(draft(i)));
                    room.flush(tokio::time::Instant::now());
                }
                schedule.release();
                if i % 512 < 4 {
                    for outbox in &outboxes {
                        outbox.drain();
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
