use super::*;
use crate::room::Outbox;

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
    };
    room.join("viewer".into(), member);
    let start = tokio::time::Instant::now();
    let outcome = room.send(draft(1, Priority::Lowest)).await.unwrap();
    assert!(matches!(outcome, SendOutcome::Delivered { .. }));
    assert!(start.elapsed() <= Duration::from_millis(10));
    assert_eq!(delivered_priorities(&viewer), [Priority::Lowest]);
}

fn viewer(user_id: Option<&str>, outbox: Option<Arc<Outbox>>) -> Member {
    Member { user_id: user_id.map(Into::into), nick: String::new(), avatar: String::new(), outbox, joined_at_ms: 0 }
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
