use super::*;
use crate::room::Outbox;
use serde_json::json;

fn config(limit: u32) -> RoomConfig {
    RoomConfig {
        max_messages_per_sec: limit,
        tick: Duration::from_millis(10),
        recent_items: 1000,
        member_tips: false,
        group_message_limits: Default::default(),
    }
}

fn draft(i: u32, priority: Priority) -> MessageDraft {
    MessageDraft {
        from_account: format!("sender{i}"),
        from_tiny_id: "1".into(),
        nick: String::new(),
        avatar: String::new(),
        random: i,
        client_time: 0,
        priority,
        body: json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}]),
        cloud_custom_data: String::new(),
    }
}

fn delivered_priorities(outbox: &Outbox) -> Vec<Priority> {
    outbox.drain().into_iter().filter_map(|o| if let Outgoing::Item(i) = o { Some(i.priority) } else { None }).collect()
}

/// 100 messages of mixed priorities sent together (controlled time), 25 of them High; then the
/// next second, when the window has moved on, the room admits again.
#[tokio::test(start_paused = true)]
async fn a_burst_of_100_delivers_the_limit_with_every_high_and_counts_drops() {
    let room = Room::new(1, "g", config(40));
    let viewer = Outbox::new(1024);
    let member = Member {
        user_id: Some("v".into()),
        nick: String::new(),
        avatar: String::new(),
        outbox: Some(viewer.clone()),
        joined_at_ms: 0,
        from_seq: 0,
    };
    room.join("viewer".into(), member);
    let priorities = [Priority::High, Priority::Normal, Priority::Low, Priority::Lowest];
    let sends: Vec<_> = (0..100u32).map(|i| room.send(draft(i, priorities[(i % 4) as usize]))).collect();
    let mut outcomes = Vec::new();
    for send in sends {
        outcomes.push(send.await.unwrap());
    }
    let delivered = delivered_priorities(&viewer);
    assert_eq!(delivered.len(), 40, "exactly the limit within the second");
    assert_eq!(delivered.iter().filter(|p| **p == Priority::High).count(), 25, "every High is delivered");
    assert_eq!(delivered.iter().filter(|p| **p == Priority::Normal).count(), 15, "then Normal fills the rest");
    let dropped = outcomes.iter().filter(|o| matches!(o, SendOutcome::Dropped { .. })).count();
    assert_eq!(dropped, 60, "every sender got an answer; the dropped ones are told so as success");
    assert_eq!(room.counters(), (40, 60), "deliveries and drops are counted");
    // Seqs given to senders are unique, dropped ones included.
    let mut seqs: Vec<u64> = outcomes
        .iter()
        .map(|o| match o {
            SendOutcome::Delivered { seq, .. } | SendOutcome::Dropped { seq, .. } => *seq,
            SendOutcome::Gone => 0,
        })
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 100);

    // Still within the same second: nothing more fits. A second later: the room admits again.
    tokio::time::advance(Duration::from_millis(500)).await;
    assert!(matches!(room.send(draft(1000, Priority::High)).await.unwrap(), SendOutcome::Dropped { .. }));
    tokio::time::advance(Duration::from_millis(600)).await;
    assert!(matches!(room.send(draft(1001, Priority::Lowest)).await.unwrap(), SendOutcome::Delivered { .. }));
}

#[tokio::test(start_paused = true)]
async fn under_the_limit_a_message_goes_out_within_one_tick() {
    let room = Room::new(1, "g", config(40));
    let viewer = Outbox::new(16);
    let member = Member {
        user_id: None,
        nick: String::new(),
        avatar: String::new(),
        outbox: Some(viewer.clone()),
        joined_at_ms: 0,
        from_seq: 0,
    };
    room.join("viewer".into(), member);
    let start = tokio::time::Instant::now();
    let outcome = room.send(draft(1, Priority::Lowest)).await.unwrap();
    assert!(matches!(outcome, SendOutcome::Delivered { .. }));
    assert!(start.elapsed() <= Duration::from_millis(10));
    assert_eq!(delivered_priorities(&viewer), [Priority::Lowest]);
}

fn viewer(user_id: Option<&str>, outbox: Option<Arc<Outbox>>) -> Member {
    Member {
        user_id: user_id.map(Into::into),
        nick: String::new(),
        avatar: String::new(),
        outbox,
        joined_at_ms: 0,
        from_seq: 0,
    }
}

/// (OpType, operator, online count) of each tip in the outbox.
fn tip_ops(outbox: &Outbox) -> Vec<(u64, String, u64)> {
    outbox
        .drain()
        .into_iter()
        .filter_map(|o| if let Outgoing::Item(i) = o { Some(i) } else { None })
        .map(|i| {
            let v: Value = serde_json::from_slice(&i.json).unwrap();
            let body = &v["MsgBody"];
            let op = body["OpType"].as_u64().unwrap_or(0);
            (op, body["Operator_Account"].as_str().unwrap_or("").into(), body["OnlineInf"]["Num"].as_u64().unwrap_or(0))
        })
        .collect()
}

/// An instance that watched anonymously and then joins logged in is announced once; the same
/// account joining again on the same instance is not.
#[tokio::test]
async fn an_anonymous_viewer_who_logs_in_is_announced_once() {
    let room = Room::new(1, "g", RoomConfig { member_tips: true, ..config(40) });
    let watcher = Outbox::new(64);
    room.join("w".into(), viewer(Some("bob"), Some(watcher.clone())));
    room.join("a".into(), viewer(None, None));
    assert_eq!(tip_ops(&watcher), vec![], "an anonymous viewer is not announced");
    room.join("a".into(), viewer(Some("alice"), Some(Outbox::new(64))));
    // Still two instances in the room: bob's and the one that now is alice's.
    assert_eq!(tip_ops(&watcher), vec![(1, "alice".to_owned(), 2)], "logging in makes alice arrive");
    room.join("a".into(), viewer(Some("alice"), Some(Outbox::new(64))));
    assert_eq!(tip_ops(&watcher), vec![], "a rejoin of the same account is silent");
    assert_eq!(room.online_count(), 2);
}

/// Seqs each drained entry carries: a batch as one list, a single item as a list of one.
fn drained_entries(outbox: &Outbox) -> Vec<Vec<u64>> {
    outbox
        .drain()
        .into_iter()
        .filter_map(|o| match o {
            Outgoing::Item(i) => Some(vec![i.seq]),
            Outgoing::Batch(b) => Some(b.items().iter().map(|i| i.seq).collect()),
            _ => None,
        })
        .collect()
}

fn merging_room() -> (Arc<Room>, Arc<BatchSchedule>) {
    let schedule = Arc::new(BatchSchedule::default());
    (Room::with_batches(1, "g", config(40), Some(schedule.clone())), schedule)
}

#[tokio::test]
async fn a_merging_room_hands_a_ticks_items_to_each_member_as_one_batch() {
    let (room, schedule) = merging_room();
    let (early, late) = (Outbox::new(64), Outbox::new(64));
    room.join("early".into(), viewer(Some("e"), Some(early.clone())));
    room.notify("admin", "one");
    room.notify("admin", "two");
    assert!(drained_entries(&early).is_empty(), "nothing is offered before the tick ends");
    room.join("late".into(), viewer(Some("l"), Some(late.clone())));
    room.notify("admin", "three");
    assert_eq!(schedule.release(), 1, "the room enlisted once for the tick");
    assert_eq!(drained_entries(&early), vec![vec![1, 2, 3]], "one batch with the whole tick");
    assert_eq!(drained_entries(&late), vec![vec![3]], "a member that joined mid-tick gets only what followed");
    assert_eq!(schedule.release(), 0, "an empty tick hands over nothing");
}

#[tokio::test]
async fn members_leaving_mid_tick_or_a_destroyed_room_still_get_what_was_published_to_them() {
    let (room, schedule) = merging_room();
    let (leaver, stayer) = (Outbox::new(64), Outbox::new(64));
    room.join("leaver".into(), viewer(Some("a"), Some(leaver.clone())));
    room.join("stayer".into(), viewer(Some("b"), Some(stayer.clone())));
    room.notify("admin", "one");
    room.leave("leaver");
    room.notify("admin", "two");
    assert_eq!(drained_entries(&leaver), vec![vec![1]], "handed its share when it left");
    room.destroy("admin");
    assert_eq!(drained_entries(&stayer), vec![vec![1, 2, 3]], "the dismissal notice comes with the rest");
    schedule.release();
    assert!(drained_entries(&stayer).is_empty(), "nothing twice");
}

#[tokio::test]
async fn a_full_outbox_unpacks_batches_and_sheds_the_lowest_priority() {
    let (room, schedule) = merging_room();
    let slow = Outbox::new(4);
    room.join("slow".into(), viewer(Some("s"), Some(slow.clone())));
    let send = |i: u32, p: Priority| {
        drop(room.send(draft(i, p)));
        room.flush(tokio::time::Instant::now());
    };
    send(1, Priority::Low);
    send(2, Priority::Normal);
    send(3, Priority::Low);
    schedule.release();
    send(4, Priority::High);
    send(5, Priority::High);
    schedule.release();
    // Capacity 4: the second batch does not fit whole; unpacked, 4 still fits and 5 takes the
    // place of the oldest Low item.
    let priorities =
        slow.drain().into_iter().filter_map(|o| if let Outgoing::Item(i) = o { Some(i.seq) } else { None });
    assert_eq!(priorities.collect::<Vec<_>>(), [2, 3, 4, 5]);
    assert_eq!(slow.shed_count(), 1);
}
