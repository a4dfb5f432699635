//! The Web SDK wire protocol at the frame level: keep-alive, login, tickets, join, push and
//! long-poll delivery, frequency control, kicks. The real SDKs are exercised in web_sdk_*.rs.

mod common;

use std::time::Duration;

use common::ws_client::{SdkClient, push_items};
use common::{Database, SDKAPPID, TestServer, sig};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

async fn server_with_room() -> TestServer {
    let s = TestServer::start(Database::sqlite()).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"})).await;
    s
}

async fn logged_in(s: &TestServer, user: &str, instance: &str) -> SdkClient {
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, instance, true).await;
    assert_eq!(c.login(user, &sig(user)).await["ErrorCode"], 0);
    c
}

/// Waits for the kick frame and returns its KickType.
async fn next_kick(c: &mut SdkClient) -> u64 {
    loop {
        let frame = c.push(WAIT).await.expect("the kick arrives");
        if frame["head"]["servcmd"] == "im_open_status.stat_forceoffline" {
            return frame["body"]["EventArray"][0]["C2cNotifyMsgArray"][0]["KickoutMsgNotify"]["KickType"]
                .as_u64()
                .unwrap();
        }
    }
}

/// Waits for the next push item of `kind` (Event number).
async fn next_item(c: &mut SdkClient, event: u64) -> Value {
    loop {
        let frame = c.push(WAIT).await.expect("a push arrives");
        if let Some(item) = push_items(&frame).into_iter().find(|i| i["Event"] == event) {
            return item;
        }
    }
}

#[tokio::test]
async fn alive_login_and_ticket_reuse_on_a_new_socket() {
    let s = server_with_room().await;
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "inst-a", true).await;
    assert_eq!(c.call("heartbeat.alive", json!({})).await["ErrorCode"], 0);
    let reply = c.login("alice", &sig("alice")).await;
    assert_eq!(reply["ErrorCode"], 0, "{reply}");
    for field in ["A2Key", "TinyId", "InstId", "HelloInterval", "TimeStamp"] {
        assert!(reply.get(field).is_some(), "wslogin answers {field}: {reply}");
    }
    assert_eq!(c.call("im_open_status.wshello", json!({"is_web_uniapp": 0})).await["ErrorCode"], 0);
    // The terminal answers that stop the SDK's paging loops.
    assert_eq!(c.call("sns.black_list_get", json!({})).await["StartIndex"], 0);
    assert_eq!(c.call("recentcontact.page_get", json!({})).await["CompleteFlag"], 1);
    assert_eq!(c.call("sns.group_get", json!({})).await["ErrorCode"], 60020);

    // A reconnect: same instance, new socket, the ticket works before and for re-login.
    let (a2, tinyid) = (c.a2.clone(), c.tinyid.clone());
    c.close().await;
    let mut again = SdkClient::connect(&s.base(), SDKAPPID, "inst-a", true).await;
    again.a2 = a2.clone();
    again.tinyid = tinyid;
    let profile = again.call("profile.portrait_get_all", json!({"UserItem": [{"To_Account": "alice"}]})).await;
    assert_eq!(profile["ErrorCode"], 0, "{profile}");
    assert_eq!(again.call("im_open_status.wslogin", json!({"State": "Online"})).await["ErrorCode"], 0);
    // A ticket is bound to its SDK instance.
    let mut thief = SdkClient::connect(&s.base(), SDKAPPID, "inst-b", true).await;
    thief.a2 = a2;
    let refused = thief.call("profile.portrait_get_all", json!({"UserItem": [{"To_Account": "alice"}]})).await;
    assert_eq!(refused["ErrorCode"], 70003, "{refused}");
}

#[tokio::test]
async fn bad_usersigs_are_refused_with_their_codes() {
    let s = server_with_room().await;
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "inst-bad", true).await;
    assert_eq!(c.login("alice", "garbage").await["ErrorCode"], 70003);
    assert_eq!(c.login("alice", &sig("bob")).await["ErrorCode"], 70013);
    assert_eq!(c.login("alice", "").await["ErrorCode"], 70002);
    // Not logged in: a user-only command is refused, the anonymous path works.
    let refused = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!(refused["ErrorCode"], 10007, "{refused}");
}

#[tokio::test]
async fn members_receive_pushes_with_sender_profile_and_unique_seqs() {
    let s = server_with_room().await;
    let mut alice = logged_in(&s, "alice", "a1").await;
    let mut bob = logged_in(&s, "bob", "b1").await;
    let set = alice
        .call("profile.portrait_set", json!({"ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice"}, {"Tag": "Tag_Profile_IM_Image", "Value": "http://a.png"}]}))
        .await;
    assert_eq!(set["ErrorCode"], 0, "{set}");
    let join = bob.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live", "WebPushFlag": 1})).await;
    assert_eq!(
        (join["JoinedStatus"].as_str(), join["HugeGroupFlag"].as_u64()),
        (Some("JoinedSuccess"), Some(1)),
        "{join}"
    );
    assert!(join.get("LongPollingKey").is_none(), "logged-in members are pushed to");
    alice.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let tip = next_item(&mut bob, 4).await;
    assert_eq!(tip["MsgBody"]["OpType"], 1);
    assert_eq!(tip["MsgBody"]["List_Account"], json!(["alice"]));
    assert_eq!(tip["MsgBody"]["OnlineInf"]["Num"], 2);

    let body = json!({"GroupId": "live", "Random": 77, "MsgPriority": "High", "MsgClientTime": 1_700_000_000u64,
                      "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{\"gift\":1}", "Desc": "gift", "Ext": ""}}]});
    let sent = alice.call("group_open_http_svc.send_group_msg", body).await;
    assert_eq!(sent["ErrorCode"], 0, "{sent}");
    let msg = next_item(&mut bob, 3).await;
    assert_eq!(msg["MsgSeq"], sent["MsgSeq"]);
    assert!(
        msg["MsgSeq"].as_u64().unwrap() > tip["MsgSeq"].as_u64().unwrap(),
        "seqs increase across tips and messages"
    );
    assert_eq!(msg["From_Account"], "alice");
    assert_eq!(msg["ToGroupId"], "live");
    assert_eq!(msg["TinyId"].as_str(), Some(alice.tinyid.as_str()));
    assert_eq!((msg["MsgRandom"].as_u64(), msg["MsgClientTime"].as_u64()), (Some(77), Some(1_700_000_000)));
    assert_eq!(msg["MsgPriority"], "High");
    assert_eq!(msg["GroupInfo"]["From_AccountNick"], "Alice");
    assert_eq!(msg["GroupInfo"]["From_AccountHeadurl"], "http://a.png");
    assert_eq!(msg["MsgBody"][0]["MsgContent"]["Desc"], "gift");

    // A REST message and a system notice reach the member too.
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "From_Account": "alice", "Random": 1,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "from the backend"}}]}),
    )
    .await;
    assert_eq!(next_item(&mut bob, 3).await["MsgBody"][0]["MsgContent"]["Text"], "from the backend");
    s.ok("group_open_http_svc/send_group_system_notification", json!({"GroupId": "live", "Content": "welcome"})).await;
    let notice = next_item(&mut bob, 5).await;
    assert_eq!(
        (notice["MsgBody"]["OpType"].as_u64(), notice["MsgBody"]["UserDefinedField"].as_str()),
        (Some(255), Some("welcome"))
    );

    let count = bob.call("group_open_http_svc.get_online_member_num", json!({"GroupId": "live"})).await;
    assert_eq!(count["OnlineMemberNum"], 2);
    assert_eq!(
        s.ok("group_open_http_svc/get_online_member_num", json!({"GroupId": "live"})).await["OnlineMemberNum"],
        2
    );
    assert_eq!(alice.call("group_open_http_svc.quit_group", json!({"GroupId": "live"})).await["ErrorCode"], 0);
    let quit = next_item(&mut bob, 4).await;
    assert_eq!((quit["MsgBody"]["OpType"].as_u64(), quit["MsgBody"]["OnlineInf"]["Num"].as_u64()), (Some(2), Some(1)));
    let not_member = alice
        .call(
            "group_open_http_svc.send_group_msg",
            json!({"GroupId": "live", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
        )
        .await;
    assert_eq!(not_member["ErrorCode"], 10007);
}

#[tokio::test]
async fn anonymous_viewers_long_poll_on_text_frames() {
    let s = server_with_room().await;
    let mut viewer = SdkClient::connect(&s.base(), SDKAPPID, "anon-1", false).await;
    let join =
        viewer.call("group_open_http_noauth_svc.apply_join_group", json!({"GroupId": "live", "WebPushFlag": 1})).await;
    let key = join["LongPollingKey"].as_str().expect("anonymous members long-poll").to_owned();
    let next = join["NextSeq"].as_u64().unwrap();
    let missing = viewer.call("group_open_http_noauth_svc.apply_join_group", json!({"GroupId": "nope"})).await;
    assert_eq!(missing["ErrorCode"], 10010);
    // Sent while nobody polls: the next poll returns it.
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "Random": 5, "MsgPriority": "Low",
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi viewers"}}]}),
    )
    .await;
    let poll = json!({"USP": 1, "StartSeq": next, "HoldTime": 90, "Key": key});
    let got = viewer.call("group_open_long_polling_http_noauth_svc.get_msg", poll).await;
    assert_eq!(got["ErrorCode"], 0, "{got}");
    assert_eq!(got["RspMsgList"][0]["MsgBody"][0]["MsgContent"]["Text"], "hi viewers");
    assert_eq!(got["RspMsgList"][0]["MsgPriority"], "Low");
    let next = got["NextSeq"].as_u64().unwrap();
    // A held poll is answered as soon as something arrives.
    let poller = tokio::spawn(async move {
        let got = viewer
            .call(
                "group_open_long_polling_http_noauth_svc.get_msg",
                json!({"StartSeq": next, "HoldTime": 90, "Key": key}),
            )
            .await;
        (viewer, got)
    });
    s.ok("group_open_http_svc/send_group_system_notification", json!({"GroupId": "live", "Content": "notice"})).await;
    let (mut viewer, got) = poller.await.unwrap();
    assert_eq!(got["RspMsgList"][0]["Event"], 5, "{got}");
    // Anonymous viewers cannot send.
    let refused = viewer
        .call(
            "group_open_http_svc.send_group_msg",
            json!({"GroupId": "live", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
        )
        .await;
    assert_eq!(refused["ErrorCode"], 10007);
}

#[tokio::test]
async fn a_burst_of_100_is_cut_to_the_limit_keeping_every_high() {
    // A room judges together the sends of one tick; a long tick makes this whole HTTP burst one
    // batch (the priority choice across ticks is unit-tested in room::frequency).
    let s = TestServer::start_with(Database::sqlite(), |c| c.room.tick_ms = 300).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"})).await;
    let mut viewer = logged_in(&s, "viewer", "v1").await;
    viewer.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let priorities = ["High", "Normal", "Low", "Lowest"];
    let mut sends = Vec::new();
    for i in 0..100 {
        let body = json!({"GroupId": "live", "Random": i, "MsgPriority": priorities[i % 4], "From_Account": "administrator",
                          "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}]});
        let url = s.url_as("group_open_http_svc/send_group_msg", SDKAPPID, "administrator", &sig("administrator"));
        let http = s.http.clone();
        sends.push(tokio::spawn(async move {
            http.post(url).body(body.to_string()).send().await.unwrap().json::<Value>().await.unwrap()
        }));
    }
    let mut dropped = 0;
    for send in sends {
        let reply = send.await.unwrap();
        assert_eq!(reply["ActionStatus"], "OK", "a dropped sender is still told success: {reply}");
        if !reply["MsgDropReason"].as_str().unwrap().is_empty() {
            dropped += 1;
        }
    }
    let mut delivered = Vec::new();
    while delivered.len() < 100 - dropped {
        let frame = viewer.push(WAIT).await.expect("admitted messages arrive");
        delivered.extend(push_items(&frame).into_iter().filter(|i| i["Event"] == 3));
    }
    assert!(viewer.push(Duration::from_millis(300)).await.is_none(), "nothing beyond the admitted arrives");
    assert_eq!(delivered.len(), 40, "exactly the room's limit is delivered");
    assert_eq!(dropped, 60);
    let highs = delivered.iter().filter(|m| m["MsgPriority"] == "High").count();
    assert_eq!(highs, 25, "every High of the burst is delivered");
    let metrics = s.http.get(format!("{}/metrics", s.base())).send().await.unwrap().text().await.unwrap();
    let dropped_total: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("roomcast_messages_dropped_total "))
        .expect("drops are exported")
        .parse()
        .unwrap();
    assert!(dropped_total >= 60.0, "{dropped_total}");
}

#[tokio::test]
async fn a_second_login_kicks_the_first_and_rest_kick_ends_every_login() {
    let s = server_with_room().await;
    let mut first = logged_in(&s, "carol", "c1").await;
    first.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let mut second = logged_in(&s, "carol", "c2").await;
    assert_eq!(next_kick(&mut first).await, 1, "the older login is told: multipleAccount");
    let stale = first.call("group_open_http_svc.get_online_member_num", json!({"GroupId": "live"})).await;
    assert_eq!(stale["ErrorCode"], 70052, "the kicked instance's ticket stops working: {stale}");
    assert_eq!(
        s.ok("group_open_http_svc/get_online_member_num", json!({"GroupId": "live"})).await["OnlineMemberNum"],
        0
    );

    second.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    s.ok("im_open_login_svc/kick", json!({"UserID": "carol"})).await;
    assert_eq!(next_kick(&mut second).await, 3, "REST kick: REST_API_Kick");
    let relogin = second.call("im_open_status.wslogin", json!({})).await;
    assert_eq!(relogin["ErrorCode"], 70052, "revoked tickets cannot log in again: {relogin}");
    assert_eq!(second.login("carol", &sig("carol")).await["ErrorCode"], 0, "a fresh UserSig can");
}

#[tokio::test]
async fn destroying_a_group_dismisses_its_members() {
    let s = server_with_room().await;
    let mut member = logged_in(&s, "dave", "d1").await;
    member.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    s.ok("group_open_http_svc/destroy_group", json!({"GroupId": "live"})).await;
    let notice = next_item(&mut member, 5).await;
    assert_eq!(notice["MsgBody"]["OpType"], 5);
    let gone = member.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!(gone["ErrorCode"], 10010);
}

#[tokio::test]
async fn membership_survives_a_dropped_socket_and_ends_after_the_grace_period() {
    let s = TestServer::start_with(Database::sqlite(), |c| c.gateway.reconnect_grace_secs = 2).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"})).await;
    let mut erin = logged_in(&s, "erin", "e1").await;
    erin.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let (a2, tinyid) = (erin.a2.clone(), erin.tinyid.clone());
    // The server drops the socket; a message is sent while erin is away.
    assert!(s.server.as_ref().unwrap().ctx.presence.disconnect_user(SDKAPPID, "erin"));
    while erin.next_frame(WAIT).await.is_some() {}
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "Random": 9,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "while you were away"}}]}),
    )
    .await;
    // The SDK reconnects with the same instance and its ticket, and does not re-join.
    let mut back = SdkClient::connect(&s.base(), SDKAPPID, "e1", true).await;
    back.a2 = a2;
    back.tinyid = tinyid;
    assert_eq!(back.call("im_open_status.wslogin", json!({})).await["ErrorCode"], 0);
    assert_eq!(next_item(&mut back, 3).await["MsgBody"][0]["MsgContent"]["Text"], "while you were away");
    assert_eq!(
        s.ok("group_open_http_svc/get_online_member_num", json!({"GroupId": "live"})).await["OnlineMemberNum"],
        1
    );

    // Gone for longer than the grace period: erin leaves the room and the others see it.
    let mut frank = logged_in(&s, "frank", "f1").await;
    frank.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    back.close().await;
    let quit = loop {
        let tip = next_item(&mut frank, 4).await;
        if tip["MsgBody"]["OpType"] == 2 {
            break tip;
        }
    };
    assert_eq!(quit["MsgBody"]["List_Account"], json!(["erin"]));
    assert_eq!(
        s.ok("group_open_http_svc/get_online_member_num", json!({"GroupId": "live"})).await["OnlineMemberNum"],
        1
    );
}

#[tokio::test]
async fn a_repeated_send_with_the_same_random_is_delivered_once() {
    let s = server_with_room().await;
    let mut viewer = logged_in(&s, "gina", "g1").await;
    viewer.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let send = |random: u32| json!({"GroupId": "live", "Random": random, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "once"}}]});
    let first = s.ok("group_open_http_svc/send_group_msg", send(42)).await;
    let again = s.ok("group_open_http_svc/send_group_msg", send(42)).await;
    assert_eq!(again["MsgSeq"], first["MsgSeq"], "the retry is answered like the first send");
    let other = s.ok("group_open_http_svc/send_group_msg", send(43)).await;
    assert_ne!(other["MsgSeq"], first["MsgSeq"]);
    let mut seqs = Vec::new();
    while seqs.len() < 2 {
        let frame = viewer.push(WAIT).await.expect("messages arrive");
        seqs.extend(push_items(&frame).into_iter().filter(|i| i["Event"] == 3).map(|i| i["MsgSeq"].clone()));
    }
    assert_eq!(seqs, [first["MsgSeq"].clone(), other["MsgSeq"].clone()]);
    assert!(viewer.push(Duration::from_millis(200)).await.is_none(), "the duplicate was not delivered");
}

#[tokio::test]
async fn large_frames_are_compressed_and_small_ones_are_not() {
    let s = server_with_room().await;
    let mut viewer = logged_in(&s, "hal", "h1").await;
    viewer.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    s.ok("group_open_http_svc/send_group_system_notification", json!({"GroupId": "live", "Content": "small"})).await;
    next_item(&mut viewer, 5).await;
    assert_eq!(viewer.compressed_frames, 0, "small frames are sent plain");
    let big = "x".repeat(10 * 1024);
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "live", "Random": 1,
        "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": big}}]}),
    )
    .await;
    let item = next_item(&mut viewer, 3).await;
    assert_eq!(item["MsgBody"][0]["MsgContent"]["Data"].as_str().unwrap().len(), 10 * 1024);
    assert_eq!(viewer.compressed_frames, 1, "a frame over gateway.compress_min_bytes travels as COMP + gzip");
}

#[tokio::test]
async fn the_allow_policy_keeps_every_login_and_groups_can_have_their_own_limit() {
    let s = TestServer::start_with(Database::sqlite(), |c| {
        c.gateway.multi_login = roomcast::config::MultiLogin::Allow;
        c.room.tick_ms = 300;
        c.room.group_message_limits.insert("slow".into(), 2);
    })
    .await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Slow", "GroupId": "slow"})).await;
    let mut first = logged_in(&s, "ivy", "i1").await;
    let mut second = logged_in(&s, "ivy", "i2").await;
    for c in [&mut first, &mut second] {
        let join = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "slow"})).await;
        assert_eq!(join["ErrorCode"], 0, "both logins stay valid: {join}");
    }
    let url = s.url_as("group_open_http_svc/send_group_msg", SDKAPPID, "administrator", &sig("administrator"));
    let sends: Vec<_> = (0..5)
        .map(|i| {
            let body = json!({"GroupId": "slow", "Random": i, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "m"}}]});
            let (http, url) = (s.http.clone(), url.clone());
            tokio::spawn(async move { http.post(url).body(body.to_string()).send().await.unwrap().json::<Value>().await.unwrap() })
        })
        .collect();
    let mut delivered = 0;
    for send in sends {
        if send.await.unwrap()["MsgDropReason"] == "" {
            delivered += 1;
        }
    }
    assert_eq!(delivered, 2, "the group's own limit applies");
}

#[tokio::test]
async fn member_lists_owner_rules_and_tips_switched_off() {
    let s = TestServer::start_with(Database::sqlite(), |c| c.room.member_tips = false).await;
    s.ok("im_open_login_svc/account_import", json!({"UserID": "owner"})).await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "L", "GroupId": "live", "Owner_Account": "owner"}),
    )
    .await;
    let mut owner = logged_in(&s, "owner", "o1").await;
    owner.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    let mut viewers = Vec::new();
    for name in ["v1", "v2", "v3"] {
        let mut v = logged_in(&s, name, name).await;
        v.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
        viewers.push(v);
    }
    let mut anon = SdkClient::connect(&s.base(), SDKAPPID, "anon", true).await;
    anon.call("group_open_http_noauth_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert!(owner.push(Duration::from_millis(300)).await.is_none(), "no join tips when member_tips is off");

    let me =
        owner.call("group_open_http_svc.get_group_self_member_info", json!({"GroupIdList": ["live", "nope"]})).await;
    assert_eq!(me["GroupInfo"][0]["SelfInfo"]["Role"], "Owner");
    assert_eq!(me["GroupInfo"][0]["MemberNum"], 5, "anonymous viewers count as online");
    assert_eq!(me["GroupInfo"][1]["ErrorCode"], 10010);
    let quit = owner.call("group_open_http_svc.quit_group", json!({"GroupId": "live"})).await;
    assert_eq!(quit["ErrorCode"], 10009, "the owner cannot quit");

    let members = s.ok("group_open_avchatroom_http_svc/get_members", json!({"GroupId": "live", "Timestamp": 0})).await;
    let mut listed: Vec<&str> =
        members["MemberList"].as_array().unwrap().iter().map(|m| m["Member_Account"].as_str().unwrap()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["owner", "v1", "v2", "v3"], "logged-in members only");
    assert_eq!(members["NextTimestamp"], 0);
    let checked = s
        .ok(
            "group_open_avchatroom_http_svc/check_members",
            json!({"GroupId": "live", "Member_Account": ["v1", "ghost", "owner"]}),
        )
        .await;
    assert_eq!(checked["Member_Account"], json!(["v1", "owner"]));
    s.fails("group_open_avchatroom_http_svc/get_members", json!({"GroupId": "nope"}), 10010).await;
}
