//! Third-party callbacks against a real HTTP receiver: query parameters, Sign, bodies, and how
//! before-callback answers are obeyed.

mod common;

use std::time::Duration;

use common::receiver::{Answer, Receiver};
use common::ws_client::{SdkClient, push_items};
use common::{Database, SDKAPPID, TestServer, sig, text};
use roomcast::config::FailurePolicy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "backend-token";

async fn setup(tweak: impl FnOnce(&mut roomcast::config::Config)) -> (TestServer, Receiver) {
    let receiver = Receiver::start().await;
    let url = receiver.url.clone();
    let s = TestServer::start_with(Database::sqlite(), |c| {
        c.callback.url = url;
        c.callback.token = TOKEN.into();
        tweak(c);
    })
    .await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"})).await;
    (s, receiver)
}

async fn member(s: &TestServer, user: &str) -> SdkClient {
    common::member(s, user, "live").await
}

/// Texts of the messages a member receives within `wait`.
async fn received_texts(c: &mut SdkClient, wait: Duration) -> Vec<String> {
    let mut texts = Vec::new();
    while let Some(frame) = c.push(wait).await {
        for item in push_items(&frame).into_iter().filter(|i| i["Event"] == 3) {
            texts.push(item["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap_or_default().to_owned());
        }
    }
    texts
}

#[tokio::test]
async fn query_parameters_sign_and_bodies_follow_tencent() {
    let (s, rx) = setup(|_| {}).await;
    let created = rx.wait_for("Group.CallbackAfterCreateGroup", 1).await.remove(0);
    let q = &created.query;
    assert_eq!(q["SdkAppid"], SDKAPPID.to_string());
    assert_eq!(q["contenttype"], "json");
    assert_eq!(q["OptPlatform"], "RESTAPI");
    assert_eq!(q["ClientIP"], "127.0.0.1");
    let sign = hex::encode(Sha256::digest(format!("{TOKEN}{}", q["RequestTime"]).as_bytes()));
    assert_eq!(q["Sign"], sign);
    let b = &created.body;
    assert_eq!(b["CallbackCommand"], "Group.CallbackAfterCreateGroup");
    assert_eq!(
        (b["GroupId"].as_str(), b["Type"].as_str(), b["Name"].as_str()),
        (Some("live"), Some("AVChatRoom"), Some("Live"))
    );
    assert_eq!(b["Operator_Account"], "administrator");
    assert!(b["EventTime"].as_u64().unwrap() > 1_600_000_000_000, "EventTime is in milliseconds");

    // SDK login, join, send, quit, logout.
    let mut alice = member(&s, "alice").await;
    let login = rx.wait_for("State.StateChange", 1).await.remove(0);
    assert_eq!(login.query["OptPlatform"], "Web");
    assert_eq!(login.body["Info"], json!({"Action": "Login", "To_Account": "alice", "Reason": "Register"}));
    let joined = rx.wait_for("Group.CallbackAfterNewMemberJoin", 1).await.remove(0).body;
    assert_eq!(
        (joined["JoinType"].as_str(), joined["NewMemberList"].clone()),
        (Some("Apply"), json!([{"Member_Account": "alice"}]))
    );
    let before_join = rx.wait_for("Group.CallbackBeforeApplyJoinGroup", 1).await.remove(0).body;
    assert_eq!(before_join["Requestor_Account"], "alice");

    let sent = alice
        .call(
            "group_open_http_svc.send_group_msg",
            json!({"GroupId": "live", "Random": 321, "MsgClientTime": 1_700_000_001u64,
            "MsgBody": text("hello"), "CloudCustomData": "cc"}),
        )
        .await;
    let before = rx.wait_for("Group.CallbackBeforeSendMsg", 1).await.remove(0).body;
    for (k, v) in [
        ("From_Account", json!("alice")),
        ("Operator_Account", json!("alice")),
        ("Random", json!(321)),
        ("MsgBody", text("hello")),
        ("CloudCustomData", json!("cc")),
        ("OnlineOnlyFlag", json!(0)),
        ("Type", json!("AVChatRoom")),
    ] {
        assert_eq!(before[k], v, "BeforeSendMsg {k}: {before}");
    }
    assert_eq!(before["MsgId"], format!("{}-1700000001-321", alice.tinyid));
    let after = rx.wait_for("Group.CallbackAfterSendMsg", 1).await.remove(0).body;
    assert_eq!((after["MsgSeq"].clone(), after["MsgTime"].clone()), (sent["MsgSeq"].clone(), sent["MsgTime"].clone()));
    assert_eq!(after["MsgBody"], text("hello"));

    // From REST, impersonating alice.
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "From_Account": "alice", "Random": 1, "MsgBody": text("rest")}),
    )
    .await;
    let before = rx.wait_for("Group.CallbackBeforeSendMsg", 2).await.remove(1);
    assert_eq!(
        (before.body["From_Account"].as_str(), before.body["Operator_Account"].as_str()),
        (Some("alice"), Some("administrator"))
    );
    assert_eq!(before.query["OptPlatform"], "RESTAPI");
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "Random": 2, "MsgBody": text("quiet"),
        "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"]}),
    )
    .await;

    alice.call("group_open_http_svc.quit_group", json!({"GroupId": "live"})).await;
    let exit = rx.wait_for("Group.CallbackAfterMemberExit", 1).await.remove(0).body;
    assert_eq!(
        (exit["ExitType"].as_str(), exit["ExitMemberList"].clone()),
        (Some("Quit"), json!([{"Member_Account": "alice"}]))
    );
    alice.call("im_open_status.wslogout", json!({"wslogout_type": 0})).await;
    let logout = rx.wait_for("State.StateChange", 2).await.remove(1);
    assert_eq!(logout.body["Info"]["Action"], "Logout");

    s.ok(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "live", "Name": "Renamed", "MuteAllMember": "On"}),
    )
    .await;
    let changed = rx.wait_for("Group.CallbackAfterGroupInfoChanged", 1).await.remove(0).body;
    assert_eq!(changed["Name"], "Renamed");
    assert!(changed.get("Introduction").is_none(), "only changed fields are reported: {changed}");
    s.ok("group_open_http_svc/destroy_group", json!({"GroupId": "live"})).await;
    let destroyed = rx.wait_for("Group.CallbackAfterGroupDestroyed", 1).await.remove(0).body;
    assert_eq!(destroyed["Name"], "Renamed");
    // The two REST messages with callbacks allowed went through; the quiet one raised none.
    assert_eq!(rx.of("Group.CallbackBeforeSendMsg").len(), 2);
    assert_eq!(rx.of("Group.CallbackAfterSendMsg").len(), 2);
}

#[tokio::test]
async fn before_send_answers_are_obeyed() {
    let (s, rx) = setup(|_| {}).await;
    let mut viewer = member(&s, "viewer").await;
    let mut sender = member(&s, "sender").await;
    let send = |t: &str, r: u32| json!({"GroupId": "live", "Random": r, "MsgBody": text(t)});
    let cmd = "Group.CallbackBeforeSendMsg";

    rx.answer(cmd, Answer::Reply(json!({"ErrorCode": 1, "ErrorInfo": "not today"})));
    let refused = sender.call("group_open_http_svc.send_group_msg", send("rejected", 1)).await;
    assert_eq!((refused["ErrorCode"].as_u64(), refused["ErrorInfo"].as_str()), (Some(10016), Some("not today")));

    rx.answer(cmd, Answer::Reply(json!({"ErrorCode": 10150, "ErrorInfo": "level too low"})));
    assert_eq!(sender.call("group_open_http_svc.send_group_msg", send("custom code", 2)).await["ErrorCode"], 10150);

    rx.answer(cmd, Answer::Reply(json!({"ErrorCode": 2})));
    let dropped = sender.call("group_open_http_svc.send_group_msg", send("silently dropped", 3)).await;
    assert_eq!(dropped["ErrorCode"], 0, "the sender is told it worked");

    rx.answer(
        cmd,
        Answer::Reply(json!({"ErrorCode": 0, "MsgBody": text("*** rewritten ***"), "CloudCustomData": "checked"})),
    );
    sender.call("group_open_http_svc.send_group_msg", send("bad word", 4)).await;

    rx.answer(cmd, Answer::Reply(json!({"ErrorCode": 0})));
    sender.call("group_open_http_svc.send_group_msg", send("plain", 5)).await;

    let texts = received_texts(&mut viewer, Duration::from_millis(500)).await;
    assert_eq!(texts, ["*** rewritten ***", "plain"], "rejected and dropped messages reach nobody");
    let after = rx.wait_for("Group.CallbackAfterSendMsg", 2).await;
    assert_eq!(after[0].body["MsgBody"], text("*** rewritten ***"), "after-send sees the rewritten message");
    assert_eq!(after[0].body["CloudCustomData"], "checked");
}

async fn one_send_with_a_broken_backend(policy: FailurePolicy, broken: impl FnOnce(&Receiver)) -> (Value, Vec<String>) {
    let (s, rx) = setup(|c| {
        c.callback.before_failure = policy;
        c.callback.timeout_ms = 300;
    })
    .await;
    let mut viewer = member(&s, "viewer").await;
    let mut sender = member(&s, "sender").await;
    broken(&rx);
    let reply = sender
        .call("group_open_http_svc.send_group_msg", json!({"GroupId": "live", "Random": 1, "MsgBody": text("m")}))
        .await;
    (reply, received_texts(&mut viewer, Duration::from_millis(500)).await)
}

#[tokio::test]
async fn a_slow_or_unreadable_backend_follows_the_failure_policy() {
    let slow = |rx: &Receiver| {
        rx.answer("Group.CallbackBeforeSendMsg", Answer::Slow(Duration::from_secs(2), json!({"ErrorCode": 0})))
    };
    let (reply, texts) = one_send_with_a_broken_backend(FailurePolicy::Allow, slow).await;
    assert_eq!((reply["ErrorCode"].as_u64(), texts.len()), (Some(0), 1), "allow: delivered after the timeout");
    let (reply, texts) = one_send_with_a_broken_backend(FailurePolicy::Reject, slow).await;
    assert_eq!((reply["ErrorCode"].as_u64(), texts.len()), (Some(10016), 0), "reject: refused");
    let garbage = |rx: &Receiver| rx.answer("Group.CallbackBeforeSendMsg", Answer::Garbage);
    let (reply, texts) = one_send_with_a_broken_backend(FailurePolicy::Allow, garbage).await;
    assert_eq!((reply["ErrorCode"].as_u64(), texts.len()), (Some(0), 1));
    let (reply, _) = one_send_with_a_broken_backend(FailurePolicy::Reject, garbage).await;
    assert_eq!(reply["ErrorCode"], 10016);
}

#[tokio::test]
async fn a_backend_that_is_down_follows_the_failure_policy() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cb", closed.local_addr().unwrap());
    drop(closed);
    for (policy, code, delivered) in [(FailurePolicy::Allow, 0, 1), (FailurePolicy::Reject, 10016, 0)] {
        let url = url.clone();
        let s = TestServer::start_with(Database::sqlite(), |c| {
            c.callback.url = url;
            c.callback.before_failure = policy;
        })
        .await;
        s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"}))
            .await;
        if policy == FailurePolicy::Reject {
            // Joins are asked about too, and refused while the backend is down.
            let mut c = SdkClient::connect(&s.base(), SDKAPPID, "inst-refused", true).await;
            c.login("refused", &sig("refused")).await;
            assert_eq!(
                c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await["ErrorCode"],
                10016
            );
            let mut config = s.config.callback.clone();
            config.disabled = vec!["Group.CallbackBeforeApplyJoinGroup".into()];
            s.server.as_ref().unwrap().ctx.webhooks.reload(&config);
        }
        let mut viewer = member(&s, "viewer").await;
        let mut sender = member(&s, "sender").await;
        let reply = sender
            .call("group_open_http_svc.send_group_msg", json!({"GroupId": "live", "Random": 1, "MsgBody": text("m")}))
            .await;
        assert_eq!(reply["ErrorCode"], code, "{policy:?}: {reply}");
        assert_eq!(received_texts(&mut viewer, Duration::from_millis(500)).await.len(), delivered, "{policy:?}");
    }
}

#[tokio::test]
async fn frequency_control_and_callbacks_together() {
    let (s, rx) = setup(|c| c.room.tick_ms = 300).await;
    let url = s.url_as("group_open_http_svc/send_group_msg", SDKAPPID, "administrator", &sig("administrator"));
    let sends: Vec<_> = (0..100)
        .map(|i| {
            let body = json!({"GroupId": "live", "Random": i, "MsgPriority": if i % 2 == 0 { "High" } else { "Low" }, "MsgBody": text("m")});
            let (http, url) = (s.http.clone(), url.clone());
            tokio::spawn(async move { http.post(url).body(body.to_string()).send().await.unwrap().json::<Value>().await.unwrap() })
        })
        .collect();
    let mut delivered = 0;
    for send in sends {
        let reply = send.await.unwrap();
        assert_eq!(reply["ActionStatus"], "OK");
        delivered += usize::from(reply["MsgDropReason"] == "");
    }
    assert_eq!(delivered, 40);
    assert_eq!(rx.wait_for("Group.CallbackBeforeSendMsg", 100).await.len(), 100, "every message is asked about");
    assert_eq!(rx.wait_for("Group.CallbackAfterSendMsg", 40).await.len(), 40, "only delivered ones are reported after");
    let exceptions = rx.wait_for("Group.CallbackSendMsgException", 60).await;
    assert_eq!(exceptions.len(), 60);
    assert_eq!(exceptions[0].body["ErrorCode"], 10023);
    assert_eq!(exceptions[0].body["ErrorInfo"], "msg count exceeds limit,please retry later");
}

#[tokio::test]
async fn a_slow_backend_for_one_room_does_not_delay_another() {
    let (s, rx) = setup(|_| {}).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Other", "GroupId": "other"})).await;
    rx.answer_for_group("live", Answer::Slow(Duration::from_secs(2), json!({"ErrorCode": 0})));
    let mut watcher = SdkClient::connect(&s.base(), SDKAPPID, "inst-w", true).await;
    watcher.login("watcher", &sig("watcher")).await;
    watcher.call("group_open_http_svc.apply_join_group", json!({"GroupId": "other"})).await;
    let slow_url = s.url_as("group_open_http_svc/send_group_msg", SDKAPPID, "administrator", &sig("administrator"));
    let http = s.http.clone();
    let slow = tokio::spawn(async move {
        http.post(slow_url)
            .body(json!({"GroupId": "live", "Random": 1, "MsgBody": text("slow")}).to_string())
            .send()
            .await
            .unwrap()
    });
    rx.wait_for("Group.CallbackBeforeSendMsg", 1).await;
    let started = std::time::Instant::now();
    s.ok("group_open_http_svc/send_group_msg", json!({"GroupId": "other", "Random": 2, "MsgBody": text("fast")})).await;
    let texts = received_texts(&mut watcher, Duration::from_millis(300)).await;
    assert_eq!(texts, ["fast"]);
    // Generous bound: the other room's 2 s backend must not be in this path at all.
    assert!(started.elapsed() < Duration::from_millis(1500), "took {:?}", started.elapsed());
    assert!(!slow.is_finished(), "the slow room's sender is still waiting for its backend");
    slow.await.unwrap();
}

#[tokio::test]
async fn the_backend_may_refuse_a_join_but_anonymous_viewers_are_not_asked() {
    let (s, rx) = setup(|_| {}).await;
    rx.answer(
        "Group.CallbackBeforeApplyJoinGroup",
        Answer::Reply(json!({"ErrorCode": 10101, "ErrorInfo": "tickets only"})),
    );
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "inst-j", true).await;
    c.login("joiner", &sig("joiner")).await;
    let refused = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!((refused["ErrorCode"].as_u64(), refused["ErrorInfo"].as_str()), (Some(10101), Some("tickets only")));
    let mut anon = SdkClient::connect(&s.base(), SDKAPPID, "inst-anon", true).await;
    let joined = anon.call("group_open_http_noauth_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!(joined["ErrorCode"], 0);
    assert_eq!(rx.of("Group.CallbackBeforeApplyJoinGroup").len(), 1);
    assert!(rx.of("Group.CallbackAfterNewMemberJoin").is_empty());
}

#[tokio::test]
async fn kicks_and_timeouts_are_reported() {
    let (s, rx) = setup(|c| c.gateway.reconnect_grace_secs = 1).await;
    let _kept = member(&s, "kicked").await;
    s.ok("im_open_login_svc/kick", json!({"UserID": "kicked"})).await;
    let exit = rx.wait_for("Group.CallbackAfterMemberExit", 1).await.remove(0).body;
    assert_eq!((exit["ExitType"].as_str(), exit["Operator_Account"].as_str()), (Some("Kicked"), Some("administrator")));
    let gone = member(&s, "gone").await;
    gone.close().await;
    let states = rx.wait_for("State.StateChange", 4).await;
    let infos: Vec<Value> =
        states.iter().map(|r| r.body["Info"].clone()).filter(|i| i["To_Account"] == "gone").collect();
    assert_eq!(infos[1], json!({"Action": "Disconnect", "To_Account": "gone", "Reason": "LinkClose"}));
    assert_eq!(infos[2], json!({"Action": "Disconnect", "To_Account": "gone", "Reason": "TimeOut"}));
    let exits = rx.wait_for("Group.CallbackAfterMemberExit", 2).await;
    assert_eq!(exits[1].body["ExitMemberList"], json!([{"Member_Account": "gone"}]));
}

#[tokio::test]
async fn reloaded_settings_take_effect_without_a_restart() {
    let (s, first) = setup(|_| {}).await;
    let second = Receiver::start().await;
    let mut config = s.config.callback.clone();
    config.url = second.url.clone();
    config.disabled = vec!["Group.CallbackAfterGroupDestroyed".into()];
    s.server.as_ref().unwrap().ctx.webhooks.reload(&config);
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Two", "GroupId": "two"})).await;
    s.ok("group_open_http_svc/destroy_group", json!({"GroupId": "two"})).await;
    assert_eq!(second.wait_for("Group.CallbackAfterCreateGroup", 1).await[0].body["GroupId"], "two");
    assert_eq!(first.of("Group.CallbackAfterCreateGroup").len(), 1, "only the first group went to the old URL");
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Three", "GroupId": "three"})).await;
    second.wait_for("Group.CallbackAfterCreateGroup", 2).await;
    assert!(second.of("Group.CallbackAfterGroupDestroyed").is_empty(), "a disabled callback is not sent");
}

#[tokio::test]
async fn a_muted_sender_is_refused_before_the_backend_is_asked() {
    let (s, rx) = setup(|_| {}).await;
    let mut muted = member(&s, "muted").await;
    s.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": "live", "Members_Account": ["muted"], "MuteTime": 60}),
    )
    .await;
    let reply = muted
        .call("group_open_http_svc.send_group_msg", json!({"GroupId": "live", "Random": 1, "MsgBody": text("x")}))
        .await;
    assert_eq!(reply["ErrorCode"], 10017);
    s.ok("group_open_http_svc/send_group_msg", json!({"GroupId": "live", "Random": 2, "MsgBody": text("y")})).await;
    assert_eq!(rx.wait_for("Group.CallbackBeforeSendMsg", 1).await.len(), 1, "only the unmuted send was asked about");
}

#[tokio::test]
async fn a_full_after_queue_drops_the_newest_and_counts_it() {
    let (s, rx) = setup(|c| {
        c.callback.queue_size = 1;
        c.callback.workers = 1;
    })
    .await;
    rx.answer("Group.CallbackAfterCreateGroup", Answer::Slow(Duration::from_secs(2), json!({"ErrorCode": 0})));
    for i in 0..6 {
        s.ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "Name": "Q", "GroupId": format!("q{i}")}),
        )
        .await;
    }
    let metrics = s.http.get(format!("{}/metrics", s.base())).send().await.unwrap().text().await.unwrap();
    let dropped: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(r#"roomcast_callbacks_dropped_total{command="Group.CallbackAfterCreateGroup"} "#))
        .unwrap_or_else(|| panic!("drops are counted: {metrics}"))
        .parse()
        .unwrap();
    // One in flight (the setup's group), one queued: the rest of the burst is dropped.
    assert!(dropped >= 4.0, "{dropped}");
}

#[tokio::test]
async fn a_ban_is_reported_as_a_kicked_exit() {
    let (s, rx) = setup(|_| {}).await;
    let _banned = member(&s, "banned").await;
    s.ok(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": "live", "Members_Account": ["banned"], "Duration": 60}),
    )
    .await;
    let exit = rx.wait_for("Group.CallbackAfterMemberExit", 1).await.remove(0).body;
    assert_eq!((exit["ExitType"].as_str(), exit["Operator_Account"].as_str()), (Some("Kicked"), Some("administrator")));
    assert_eq!(exit["ExitMemberList"], json!([{"Member_Account": "banned"}]));
}

#[tokio::test]
async fn attribute_changes_are_reported() {
    let (s, rx) = setup(|_| {}).await;
    let state = json!([{"key": "state", "value": "live"}]);
    s.ok("group_open_http_svc/modify_group_attr", json!({"GroupId": "live", "GroupAttr": state})).await;
    s.ok("group_open_http_svc/clear_group_attr", json!({"GroupId": "live"})).await;
    let changes = rx.wait_for("Group.CallbackAfterGroupAttrChanged", 2).await;
    let modify = &changes[0].body;
    assert_eq!((modify["GroupId"].as_str(), modify["Type"].as_str()), (Some("live"), Some("AVChatRoom")));
    assert_eq!((modify["OptionType"].as_u64(), &modify["GroupAttr"]), (Some(2), &state));
    assert_eq!(modify["Operator_Account"], "administrator");
    assert_eq!((changes[1].body["OptionType"].as_u64(), &changes[1].body["GroupAttr"]), (Some(3), &json!([])));
}
