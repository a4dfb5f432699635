//! Room state members see change: group attributes (REST and SDK writes, limits, conflicts,
//! change notices, persistence), the tips for mutes, bans and profile changes, and history on
//! join. On SQLite and PostgreSQL.

mod common;

use common::ws_client::SdkClient;
use common::{SDKAPPID, TestServer, member, sig, text};
use serde_json::{Value, json};

fn attrs(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

/// The `GroupAttrOption` of the next attribute-change item pushed to `c`.
async fn attr_notice(c: &mut SdkClient) -> Value {
    let item = c.pushed_item(|i| i["Event"] == 6).await;
    item["MsgBody"]["MsgGroupNewInfo"]["GroupAttrOption"].clone()
}

async fn attributes_keep_live_room_state(mut s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["host", "fan"]})).await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "At", "GroupId": "at", "Owner_Account": "host"}),
    )
    .await;
    let mut fan = member(&s, "fan", "at").await;
    let mut host = member(&s, "host", "at").await;
    s.ok(
        "group_open_http_svc/modify_group_attr",
        json!({"GroupId": "at", "GroupAttr": attrs(&[("state", "upcoming")])}),
    )
    .await;
    let notice = attr_notice(&mut fan).await;
    assert_eq!(
        notice,
        json!({"OpType": 2, "GroupAttrSeq": 1, "PushChangedAttrValFlag": 1,
            "GroupAttrInfo": [{"key": "state", "value": "upcoming", "SubKeySeq": 1}]})
    );
    let got = s.ok("group_open_attr_http_svc/get_group_attr", json!({"GroupId": "at"})).await;
    assert_eq!(got["GroupAttrAry"], json!([{"key": "state", "value": "upcoming", "seq": 1}]));
    assert_eq!(got["AttrMainSeq"], 1);
    // set_group_attr replaces the whole set.
    let all = attrs(&[("state", "live"), ("title", "Launch")]);
    s.ok("group_open_http_svc/set_group_attr", json!({"GroupId": "at", "GroupAttr": all})).await;
    let notice = attr_notice(&mut fan).await;
    assert_eq!((notice["OpType"].clone(), notice["GroupAttrSeq"].clone()), (json!(1), json!(2)));
    assert_eq!(notice["GroupAttrInfo"].as_array().unwrap().len(), 2);

    // From the SDK: the owner may write, with the conflict check the SDK asks for; members may not.
    let write = |main_seq: u64, pairs: &[(&str, &str)]| json!({"GroupId": "at", "GroupAttr": attrs(pairs), "AttrMainSeq": main_seq, "AttrControl": ["RaceConflict"]});
    let denied = fan.call("group_open_http_svc.modify_group_attr", write(2, &[("state", "ended")])).await;
    assert_eq!(denied["ErrorCode"], 10007, "{denied}");
    let paused = host.call("group_open_http_svc.modify_group_attr", write(2, &[("state", "paused")])).await;
    assert_eq!(paused["ErrorCode"], 0, "{paused}");
    assert_eq!(
        (paused["AttrMainSeq"].clone(), paused["GroupAttr"].clone()),
        (json!(3), json!([{"key": "state", "seq": 3}]))
    );
    let stale = host.call("group_open_http_svc.modify_group_attr", write(2, &[("state", "live")])).await;
    assert_eq!(stale["ErrorCode"], 10056, "{stale}");
    assert_eq!(
        attr_notice(&mut fan).await["GroupAttrInfo"],
        json!([{"key": "state", "value": "paused", "SubKeySeq": 3}])
    );
    let deleted = host
        .call(
            "group_open_http_svc.delete_group_attr",
            json!({"GroupId": "at", "GroupAttr": [{"key": "title"}], "AttrMainSeq": 3}),
        )
        .await;
    assert_eq!(deleted["AttrMainSeq"], 4, "{deleted}");
    let notice = attr_notice(&mut fan).await;
    assert_eq!((notice["OpType"].clone(), notice["GroupAttrInfo"].clone()), (json!(4), json!([{"key": "title"}])));
    let read = host.call("group_open_attr_http_svc.get_group_attr", json!({"GroupId": "at", "GroupType": 1})).await;
    assert_eq!(read["GroupAttrAry"], json!([{"key": "state", "value": "paused", "seq": 3}]));
    // At most 5 writes a second per user.
    let mut limited = 0;
    for i in 0..8 {
        let r = host.call("group_open_http_svc.modify_group_attr", write(0, &[("n", &i.to_string())])).await;
        limited += usize::from(r["ErrorCode"] == 10049);
    }
    assert!(limited >= 1, "8 writes at once were all accepted");

    // Tencent's limits and codes.
    let modify = |a: Value| json!({"GroupId": "at", "GroupAttr": a});
    let long_key = "k".repeat(33);
    s.fails("group_open_http_svc/modify_group_attr", modify(attrs(&[(&long_key, "v")])), 10045).await;
    s.fails("group_open_http_svc/modify_group_attr", modify(attrs(&[("k", &"v".repeat(4001))])), 10046).await;
    let many: Vec<(String, String)> = (0..17).map(|i| (format!("k{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.fails("group_open_http_svc/set_group_attr", modify(attrs(&many)), 10047).await;
    let big = "v".repeat(1100);
    let heavy: Vec<(String, &str)> = (0..16).map(|i| (format!("k{i}"), big.as_str())).collect();
    let heavy: Vec<(&str, &str)> = heavy.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    s.fails("group_open_http_svc/set_group_attr", modify(attrs(&heavy)), 10048).await;
    s.fails("group_open_http_svc/modify_group_attr", modify(attrs(&[("", "v")])), 10004).await;
    s.fails("group_open_http_svc/modify_group_attr", modify(json!([])), 10004).await;
    s.fails("group_open_attr_http_svc/get_group_attr", json!({"GroupId": "nope"}), 10010).await;
    let nowhere = json!({"GroupId": "nope", "GroupAttr": attrs(&[("state", "live")])});
    s.fails("group_open_http_svc/modify_group_attr", nowhere.clone(), 10010).await;
    s.fails("group_open_http_svc/set_group_attr", nowhere, 10010).await;
    s.fails("group_open_http_svc/clear_group_attr", json!({"GroupId": "nope"}), 10010).await;

    // Kept across a restart, sequence numbers included.
    let before = s.ok("group_open_attr_http_svc/get_group_attr", json!({"GroupId": "at"})).await;
    fan.close().await;
    host.close().await;
    s.restart().await;
    let after = s.ok("group_open_attr_http_svc/get_group_attr", json!({"GroupId": "at"})).await;
    assert_eq!((&after["GroupAttrAry"], &after["AttrMainSeq"]), (&before["GroupAttrAry"], &before["AttrMainSeq"]));
    let mut fan = member(&s, "fan", "at").await;
    s.ok("group_open_http_svc/clear_group_attr", json!({"GroupId": "at"})).await;
    let notice = attr_notice(&mut fan).await;
    assert_eq!(notice["OpType"], 3);
    assert_eq!(notice["GroupAttrSeq"], before["AttrMainSeq"].as_u64().unwrap() + 1);
    assert_eq!(
        s.ok("group_open_attr_http_svc/get_group_attr", json!({"GroupId": "at"})).await["GroupAttrAry"],
        json!([])
    );
}

async fn mutes_bans_and_profile_changes_are_told_to_the_room(s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["fan", "watcher", "gone"]})).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Tips", "GroupId": "tips"})).await;
    let mut watcher = member(&s, "watcher", "tips").await;
    let mut fan = member(&s, "fan", "tips").await;
    s.ok("group_open_http_svc/forbid_send_msg", json!({"GroupId": "tips", "Members_Account": ["fan"], "MuteTime": 60}))
        .await;
    // OpType 7 (member profile changed): the SDK gives pages memberList[{userID, muteTime}].
    for c in [&mut watcher, &mut fan] {
        let tip = c.pushed_item(|i| i["MsgBody"]["OpType"] == 7).await;
        assert_eq!(tip["MsgBody"]["MsgMemberExtraInfo"], json!([{"User_Account": "fan", "ShutupTime": 60}]));
    }
    s.ok("group_open_http_svc/forbid_send_msg", json!({"GroupId": "tips", "Members_Account": ["fan"], "MuteTime": 0}))
        .await;
    let tip = watcher.pushed_item(|i| i["MsgBody"]["OpType"] == 7).await;
    assert_eq!(tip["MsgBody"]["MsgMemberExtraInfo"], json!([{"User_Account": "fan", "ShutupTime": 0}]));
    // OpType 6 (group profile changed) with only what changed; ShutupAll is a number.
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "tips", "MuteAllMember": "On"})).await;
    let tip = watcher.pushed_item(|i| i["MsgBody"]["OpType"] == 6).await;
    assert_eq!(tip["MsgBody"]["MsgGroupNewInfo"], json!({"ShutupAll": 1}));
    let info = fan.call("group_open_http_svc.get_group_self_member_info", json!({"GroupIdList": ["tips"]})).await;
    assert_eq!(info["GroupInfo"][0]["ShutUpAllMember"], "On");
    s.ok(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "tips", "Name": "Renamed", "MuteAllMember": "Off"}),
    )
    .await;
    let tip = watcher.pushed_item(|i| i["MsgBody"]["OpType"] == 6).await;
    assert_eq!(tip["MsgBody"]["MsgGroupNewInfo"], json!({"GroupName": "Renamed", "ShutupAll": 0}));
    // Unbanning is told too (OpType 11).
    s.ok(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": "tips", "Members_Account": ["gone"], "Duration": 60}),
    )
    .await;
    s.ok("group_open_http_svc/unban_group_member", json!({"GroupId": "tips", "Members_Account": ["gone"]})).await;
    let tip = watcher.pushed_item(|i| i["MsgBody"]["OpType"] == 11).await;
    assert_eq!(tip["MsgBody"]["List_Account"], json!(["gone"]));
}

async fn send_texts(s: &TestServer, group: &str, range: std::ops::Range<u32>) {
    for i in range {
        let body = json!({"GroupId": group, "Random": i, "MsgBody": text(&format!("m{i}"))});
        s.ok("group_open_http_svc/send_group_msg", body).await;
    }
}

fn texts_of(items: &Value) -> Vec<String> {
    let items = items.as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter(|i| i["Event"] == 3)
        .map(|i| i["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap().to_owned())
        .collect()
}

async fn history_on_join_per_group_and_per_server(mut s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["early", "late"]})).await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "H", "GroupId": "h", "HistoryMsgBeforeJoin": "On"}),
    )
    .await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Plain", "GroupId": "plain"})).await;
    s.config.room.group_message_limits.insert("h".into(), 1000);
    s.config.room.group_message_limits.insert("plain".into(), 1000);
    s.restart().await;
    let _early = member(&s, "early", "h").await;
    send_texts(&s, "h", 0..25).await;
    // A logged-in joiner gets the last 20 messages in the join answer, oldest first.
    let mut late = SdkClient::connect(&s.base(), SDKAPPID, "late-1", true).await;
    late.login("late", &sig("late")).await;
    let join = late.call("group_open_http_svc.apply_join_group", json!({"GroupId": "h"})).await;
    let expected: Vec<String> = (5..25).map(|i| format!("m{i}")).collect();
    assert_eq!(texts_of(&join["RspMsgList"]), expected);
    let seqs: Vec<u64> = join["RspMsgList"].as_array().unwrap().iter().map(|i| i["MsgSeq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in seq order: {seqs:?}");
    // Joining again on the same instance (as after a reconnect) hands nothing twice.
    let again = late.call("group_open_http_svc.apply_join_group", json!({"GroupId": "h"})).await;
    assert!(again.get("RspMsgList").is_none(), "{again}");
    // An anonymous viewer gets them from its first poll.
    let mut anon = SdkClient::connect(&s.base(), SDKAPPID, "anon-h", false).await;
    let join = anon.call("group_open_http_noauth_svc.apply_join_group", json!({"GroupId": "h"})).await;
    let poll = json!({"StartSeq": 0, "HoldTime": 1, "Key": join["LongPollingKey"]});
    let got = anon.call("group_open_long_polling_http_noauth_svc.get_msg", poll).await;
    assert_eq!(texts_of(&got["RspMsgList"]), expected, "{got}");
    // Off by default, as in Tencent's AVChatRoom.
    send_texts(&s, "plain", 0..3).await;
    let other = member(&s, "late", "plain").await;
    other.close().await;
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "late-2", true).await;
    c.login("late", &sig("late")).await;
    let join = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "plain"})).await;
    assert!(join.get("RspMsgList").is_none(), "{join}");
    // The server setting turns it on for groups that do not say, with its own count.
    s.config.room.history_before_join = true;
    s.config.room.history_messages = 2;
    s.restart().await;
    send_texts(&s, "plain", 10..13).await;
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "late-3", true).await;
    c.login("late", &sig("late")).await;
    let join = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "plain"})).await;
    assert_eq!(texts_of(&join["RspMsgList"]), ["m11", "m12"]);
    // ... and a group's "Off" wins over it.
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "plain", "HistoryMsgBeforeJoin": "Off"}))
        .await;
    let mut c = SdkClient::connect(&s.base(), SDKAPPID, "late-4", true).await;
    c.login("late", &sig("late")).await;
    let join = c.call("group_open_http_svc.apply_join_group", json!({"GroupId": "plain"})).await;
    assert!(join.get("RspMsgList").is_none(), "{join}");
    s.fails(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "plain", "HistoryMsgBeforeJoin": "Maybe"}),
        10004,
    )
    .await;
}

on_both_backends!(
    attributes_keep_live_room_state,
    mutes_bans_and_profile_changes_are_told_to_the_room,
    history_on_join_per_group_and_per_server,
);
