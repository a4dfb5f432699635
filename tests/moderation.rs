//! Mutes, app-wide mutes, dirty words and delete_group_member, over REST and the SDK protocol,
//! persisted across a restart, on SQLite and PostgreSQL.

mod common;

use common::ws_client::SdkClient;
use common::{SDKAPPID, TestServer, member, sig, text};
use serde_json::json;

async fn say(c: &mut SdkClient, group: &str, t: &str) -> u64 {
    let reply = c
        .call("group_open_http_svc.send_group_msg", json!({"GroupId": group, "Random": rand_u32(), "MsgBody": text(t)}))
        .await;
    reply["ErrorCode"].as_u64().unwrap()
}

fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

async fn member_mutes_persist_across_rejoin_and_restart(mut s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["host", "loud", "quiet"]})).await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "M", "GroupId": "m", "Owner_Account": "host"}),
    )
    .await;
    let mut quiet = member(&s, "quiet", "m").await;
    assert_eq!(say(&mut quiet, "m", "hello").await, 0);
    s.ok("group_open_http_svc/forbid_send_msg", json!({"GroupId": "m", "Members_Account": ["quiet"], "MuteTime": 600}))
        .await;
    assert_eq!(say(&mut quiet, "m", "still here?").await, 10017);
    // The REST path impersonating a muted account is refused too.
    s.fails(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "m", "From_Account": "quiet", "Random": 1, "MsgBody": text("x")}),
        10017,
    )
    .await;
    let listed = s.ok("group_open_http_svc/get_group_muted_account", json!({"GroupId": "m"})).await;
    let until = listed["MutedAccountList"][0]["MutedUntil"].as_u64().unwrap();
    assert_eq!(listed["MutedAccountList"][0]["Member_Account"], "quiet");
    assert!((common::now() + 590..=common::now() + 610).contains(&until), "{listed}");
    let legacy = s.ok("group_open_http_svc/get_group_shutted_uin", json!({"GroupId": "m"})).await;
    assert_eq!(legacy["ShuttedUinList"], json!([{"Member_Account": "quiet", "ShuttedUntil": until}]));
    // Leaving and rejoining does not lift it, nor does a restart.
    quiet.call("group_open_http_svc.quit_group", json!({"GroupId": "m"})).await;
    quiet.call("group_open_http_svc.apply_join_group", json!({"GroupId": "m"})).await;
    assert_eq!(say(&mut quiet, "m", "rejoined").await, 10017);
    quiet.close().await;
    s.restart().await;
    let mut quiet = member(&s, "quiet", "m").await;
    assert_eq!(say(&mut quiet, "m", "after restart").await, 10017);
    // Legacy field name; 0 unmutes.
    s.ok("group_open_http_svc/forbid_send_msg", json!({"GroupId": "m", "Members_Account": ["quiet"], "ShutUpTime": 0}))
        .await;
    assert_eq!(say(&mut quiet, "m", "free again").await, 0);
    assert_eq!(
        s.ok("group_open_http_svc/get_group_muted_account", json!({"GroupId": "m"})).await["MutedAccountList"],
        json!([])
    );
    // Permanent.
    s.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": "m", "Members_Account": ["quiet"], "MuteTime": 4294967295u64}),
    )
    .await;
    let listed = s.ok("group_open_http_svc/get_group_muted_account", json!({"GroupId": "m"})).await;
    assert_eq!(listed["MutedAccountList"][0]["MutedUntil"], 4294967295u64);
    // Errors.
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    s.fails(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": "m", "Members_Account": many, "MuteTime": 10}),
        10004,
    )
    .await;
    s.fails(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": "nope", "Members_Account": ["quiet"], "MuteTime": 10}),
        10010,
    )
    .await;
    s.fails("group_open_http_svc/get_group_muted_account", json!({"GroupId": "nope"}), 10010).await;
}

async fn mute_all_spares_the_owner_and_app_admins(mut s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["host", "fan"]})).await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "A", "GroupId": "a", "Owner_Account": "host"}),
    )
    .await;
    let mut fan = member(&s, "fan", "a").await;
    let mut host = member(&s, "host", "a").await;
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "a", "MuteAllMember": "On"})).await;
    assert_eq!(say(&mut fan, "a", "can I?").await, 10017);
    assert_eq!(say(&mut host, "a", "the host speaks").await, 0);
    s.ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "a", "Random": 1, "MsgBody": text("the admin speaks")}),
    )
    .await;
    fan.close().await;
    host.close().await;
    s.restart().await;
    let mut fan = member(&s, "fan", "a").await;
    assert_eq!(say(&mut fan, "a", "after restart").await, 10017);
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "a", "ShutUpAllMember": "Off"})).await;
    assert_eq!(say(&mut fan, "a", "unmuted").await, 0);
}

async fn app_wide_mutes(mut s: TestServer) {
    s.ok("im_open_login_svc/account_import", json!({"UserID": "troll"})).await;
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "G", "GroupId": "g"})).await;
    let mut troll = member(&s, "troll", "g").await;
    s.ok("openconfigsvr/setnospeaking", json!({"Set_Account": "troll", "GroupmsgNospeakingTime": 3600})).await;
    assert_eq!(say(&mut troll, "g", "hi").await, 10017);
    let got = s.ok("openconfigsvr/getnospeaking", json!({"Get_Account": "troll"})).await;
    assert!((3590..=3600).contains(&got["GroupmsgNospeakingTime"].as_u64().unwrap()), "{got}");
    assert_eq!(got["C2CmsgNospeakingTime"], 0);
    troll.close().await;
    s.restart().await;
    let mut troll = member(&s, "troll", "g").await;
    assert_eq!(say(&mut troll, "g", "after restart").await, 10017);
    s.ok(
        "openconfigsvr/setnospeaking",
        json!({"Set_Account": "troll", "GroupmsgNospeakingTime": 0, "C2CmsgNospeakingTime": 4294967295u64}),
    )
    .await;
    assert_eq!(say(&mut troll, "g", "free").await, 0);
    let got = s.ok("openconfigsvr/getnospeaking", json!({"Get_Account": "troll"})).await;
    assert_eq!(
        (got["GroupmsgNospeakingTime"].as_u64(), got["C2CmsgNospeakingTime"].as_u64()),
        (Some(0), Some(4294967295))
    );
    s.fails("openconfigsvr/setnospeaking", json!({"Set_Account": "ghost", "GroupmsgNospeakingTime": 1}), 70107).await;
}

async fn dirty_words_filter_text_and_group_profiles(mut s: TestServer) {
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "D", "GroupId": "d"})).await;
    s.ok("openim_dirty_words/add", json!({"DirtyWordsList": ["badword", "坏话"]})).await;
    assert_eq!(s.ok("openim_dirty_words/get", json!({})).await["DirtyWordsList"], json!(["badword", "坏话"]));
    let mut u = member(&s, "user", "d").await;
    assert_eq!(say(&mut u, "d", "a BADWORD here").await, 80001);
    assert_eq!(say(&mut u, "d", "说坏话").await, 80001);
    assert_eq!(say(&mut u, "d", "clean").await, 0);
    let custom = json!({"GroupId": "d", "Random": 99, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "badword"}}]});
    assert_eq!(
        u.call("group_open_http_svc.send_group_msg", custom).await["ErrorCode"],
        0,
        "custom elements are not filtered"
    );
    s.fails(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": "d", "Random": 7, "MsgBody": text("badword")}),
        80001,
    )
    .await;
    s.fails("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "badword room"}), 80001).await;
    s.fails("group_open_http_svc/modify_group_base_info", json!({"GroupId": "d", "Notification": "no badword"}), 80001)
        .await;
    s.fails("group_open_http_svc/modify_group_base_info", json!({"GroupId": "d", "Introduction": "坏话"}), 80001).await;
    u.close().await;
    s.restart().await;
    s.fails("group_open_http_svc/modify_group_base_info", json!({"GroupId": "d", "Name": "Badword"}), 80001).await;
    s.ok("openim_dirty_words/delete", json!({"DirtyWordsList": ["badword"]})).await;
    assert_eq!(s.ok("openim_dirty_words/get", json!({})).await["DirtyWordsList"], json!(["坏话"]));
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "d", "Name": "Badword"})).await;
    s.fails("openim_dirty_words/add", json!({"DirtyWordsList": []}), 60008).await;
    s.fails("openim_dirty_words/add", json!({"DirtyWordsList": ["x".repeat(201)]}), 60008).await;
}

async fn delete_group_member_is_not_for_live_rooms(s: TestServer) {
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "X", "GroupId": "x"})).await;
    let reply = s
        .fails("group_open_http_svc/delete_group_member", json!({"GroupId": "x", "MemberToDel_Account": ["a"]}), 10004)
        .await;
    assert!(reply["ErrorInfo"].as_str().unwrap().contains("ban_group_member"), "{reply}");
}

async fn bans_remove_block_rejoin_persist_and_end_by_themselves(mut s: TestServer) {
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "B", "GroupId": "b"})).await;
    let mut watcher = member(&s, "watcher", "b").await;
    let mut bad = member(&s, "bad", "b").await;
    s.ok(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": "b", "Members_Account": ["bad"], "Duration": 3600, "Description": "spam"}),
    )
    .await;
    // Both the room and the banned member see the ban tip (OpType 10); the banned member also
    // gets the system notice (OpType 21) on which the SDK leaves the room, then nothing more.
    for c in [&mut watcher, &mut bad] {
        let tip = c.pushed_item(|i| i["Event"] == 4 && i["MsgBody"]["OpType"] == 10).await;
        assert_eq!(tip["MsgBody"]["List_Account"], json!(["bad"]));
    }
    let notice = bad.pushed_item(|i| i["Event"] == 5).await;
    assert_eq!(notice["MsgBody"]["OpType"], 21);
    assert_eq!(notice["GroupId"], "b");
    assert_eq!(s.ok("group_open_http_svc/get_online_member_num", json!({"GroupId": "b"})).await["OnlineMemberNum"], 1);
    s.ok("group_open_http_svc/send_group_msg", json!({"GroupId": "b", "Random": 1, "MsgBody": text("not for bad")}))
        .await;
    assert!(bad.push(std::time::Duration::from_millis(300)).await.is_none(), "a banned member receives nothing");
    let rejoin = bad.call("group_open_http_svc.apply_join_group", json!({"GroupId": "b"})).await;
    assert_eq!(rejoin["ErrorCode"], 10007, "{rejoin}");
    let listed =
        s.ok("group_open_http_svc/get_group_ban_member", json!({"GroupId": "b", "Limit": 10, "Offset": 0})).await;
    assert_eq!(listed["BannedAccountList"][0]["Member_Account"], "bad");
    assert!(listed["BannedAccountList"][0]["BannedUntil"].as_u64().unwrap() >= common::now() + 3590);
    assert_eq!(listed["NextOffset"], 0);
    bad.close().await;
    watcher.close().await;
    s.restart().await;
    let mut bad = SdkClient::connect(&s.base(), SDKAPPID, "inst-bad2", true).await;
    bad.login("bad", &sig("bad")).await;
    assert_eq!(
        bad.call("group_open_http_svc.apply_join_group", json!({"GroupId": "b"})).await["ErrorCode"],
        10007,
        "the ban survives a restart"
    );
    s.ok("group_open_http_svc/unban_group_member", json!({"GroupId": "b", "Members_Account": ["bad"]})).await;
    assert_eq!(bad.call("group_open_http_svc.apply_join_group", json!({"GroupId": "b"})).await["ErrorCode"], 0);
    // Paging (bans long enough to outlast a busy machine), then a ban that ends by itself.
    let many: Vec<String> = (0..5).map(|i| format!("p{i}")).collect();
    s.ok("group_open_http_svc/ban_group_member", json!({"GroupId": "b", "Members_Account": many, "Duration": 3600}))
        .await;
    let page = s.ok("group_open_http_svc/get_group_ban_member", json!({"GroupId": "b", "Limit": 2, "Offset": 2})).await;
    assert_eq!(page["BannedAccountList"].as_array().unwrap().len(), 2);
    assert_eq!(page["NextOffset"], 4);
    s.ok("group_open_http_svc/unban_group_member", json!({"GroupId": "b", "Members_Account": many})).await;
    s.ok("group_open_http_svc/ban_group_member", json!({"GroupId": "b", "Members_Account": ["brief"], "Duration": 1}))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !s.ok("group_open_http_svc/get_group_ban_member", json!({"GroupId": "b"})).await["BannedAccountList"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "a 1 s ban ends by itself");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let too_many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    s.fails(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": "b", "Members_Account": too_many, "Duration": 10}),
        10004,
    )
    .await;
    s.fails("group_open_http_svc/get_group_ban_member", json!({"GroupId": "b", "Limit": 101}), 10004).await;
    s.fails(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": "nope", "Members_Account": ["x"], "Duration": 10}),
        10010,
    )
    .await;
}

on_both_backends!(
    bans_remove_block_rejoin_persist_and_end_by_themselves,
    member_mutes_persist_across_rejoin_and_restart,
    mute_all_spares_the_owner_and_app_admins,
    app_wide_mutes,
    dirty_words_filter_text_and_group_profiles,
    delete_group_member_is_not_for_live_rooms,
);
