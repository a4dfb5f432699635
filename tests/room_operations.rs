//! Live-room operations: AVChatRoom admins, app-wide broadcast and history on join, over REST
//! and the SDK protocol, persisted across a restart, on SQLite and PostgreSQL.

mod common;

use common::ws_client::SdkClient;
use common::{TestServer, member, text};
use serde_json::{Value, json};

async fn say(c: &mut SdkClient, group: &str, t: &str) -> u64 {
    let body = json!({"GroupId": group, "Random": rand::random::<u32>(), "MsgBody": text(t)});
    c.call("group_open_http_svc.send_group_msg", body).await["ErrorCode"].as_u64().unwrap()
}

async fn self_role(c: &mut SdkClient, group: &str) -> Value {
    let info = c.call("group_open_http_svc.get_group_self_member_info", json!({"GroupIdList": [group]})).await;
    info["GroupInfo"][0]["SelfInfo"]["Role"].clone()
}

async fn admins_speak_under_mute_all_see_their_role_and_persist(mut s: TestServer) {
    let users = ["host", "a1", "a2", "a3", "a4", "a5", "a6", "fan"];
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": users})).await;
    s.ok(
        "profile/portrait_set",
        json!({"From_Account": "a1", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "Ada"}]}),
    )
    .await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "Ad", "GroupId": "ad", "Owner_Account": "host"}),
    )
    .await;
    let mut fan = member(&s, "fan", "ad").await;
    let mut a1 = member(&s, "a1", "ad").await;
    assert_eq!(self_role(&mut a1, "ad").await, "Member");
    let set = |accounts: Value| json!({"GroupId": "ad", "CommandType": 1, "Admin_Account": accounts});
    s.ok("group_open_avchatroom_http_svc/modify_admin", set(json!(["a1", "a2"]))).await;
    // The room hears of it (OpType 4, admin set) and the admin sees its role.
    let tip = fan.pushed_item(|i| i["MsgBody"]["OpType"] == 4).await;
    assert_eq!(tip["MsgBody"]["List_Account"], json!(["a1", "a2"]));
    assert_eq!(self_role(&mut a1, "ad").await, "Admin");
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "ad", "MuteAllMember": "On"})).await;
    assert_eq!(say(&mut fan, "ad", "muted?").await, 10017);
    assert_eq!(say(&mut a1, "ad", "admins may speak").await, 0);
    let list = s.ok("group_open_avchatroom_http_svc/get_admin_list", json!({"GroupId": "ad"})).await;
    assert_eq!(
        list["Admin_List"],
        json!([{"Admin_Account": "a1", "NickName": "Ada", "Avatar": ""}, {"Admin_Account": "a2", "NickName": "", "Avatar": ""}])
    );
    // At most five; setting an admin twice is not a second admin.
    s.ok("group_open_avchatroom_http_svc/modify_admin", set(json!(["a2", "a3", "a4", "a5"]))).await;
    s.fails("group_open_avchatroom_http_svc/modify_admin", set(json!(["a6"])), 10004).await;
    s.fails("group_open_avchatroom_http_svc/modify_admin", set(json!(["host"])), 10004).await;
    s.fails("group_open_avchatroom_http_svc/modify_admin", set(json!(["ghost"])), 10019).await;
    s.fails("group_open_avchatroom_http_svc/modify_admin", set(json!([])), 10004).await;
    s.fails(
        "group_open_avchatroom_http_svc/modify_admin",
        json!({"GroupId": "ad", "CommandType": 3, "Admin_Account": ["a6"]}),
        10004,
    )
    .await;
    s.fails(
        "group_open_avchatroom_http_svc/modify_admin",
        json!({"GroupId": "nope", "CommandType": 1, "Admin_Account": ["a6"]}),
        10010,
    )
    .await;
    s.fails("group_open_avchatroom_http_svc/get_admin_list", json!({"GroupId": "nope"}), 10010).await;
    s.ok(
        "group_open_avchatroom_http_svc/modify_admin",
        json!({"GroupId": "ad", "CommandType": 2, "Admin_Account": ["a2", "a3", "a4", "a5"]}),
    )
    .await;
    let tip = fan.pushed_item(|i| i["MsgBody"]["OpType"] == 5).await;
    assert_eq!(tip["MsgBody"]["List_Account"], json!(["a2", "a3", "a4", "a5"]));
    fan.close().await;
    a1.close().await;
    s.restart().await;
    let list = s.ok("group_open_avchatroom_http_svc/get_admin_list", json!({"GroupId": "ad"})).await;
    assert_eq!(list["Admin_List"][0]["Admin_Account"], "a1");
    assert_eq!(list["Admin_List"].as_array().unwrap().len(), 1);
    let mut a1 = member(&s, "a1", "ad").await;
    assert_eq!(say(&mut a1, "ad", "still an admin after a restart").await, 0);
    let mut a2 = member(&s, "a2", "ad").await;
    assert_eq!(say(&mut a2, "ad", "no longer an admin").await, 10017);
}

async fn broadcast_reaches_every_live_room_with_its_own_seq(s: TestServer) {
    s.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["x", "y"]})).await;
    for g in ["b1", "b2"] {
        s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": g, "GroupId": g})).await;
    }
    let mut x = member(&s, "x", "b1").await;
    let mut y = member(&s, "y", "b2").await;
    // b2 has had a message, so its next seq differs from b1's.
    assert_eq!(say(&mut y, "b2", "first").await, 0);
    y.pushed_item(|i| i["Event"] == 3).await;
    let sent =
        s.ok("group_open_http_svc/send_broadcast_msg", json!({"Random": 7, "MsgBody": text("to all rooms")})).await;
    assert!(sent["MsgSeq"].as_u64().unwrap() > 0, "{sent}");
    let at_x = x.pushed_item(|i| i["Event"] == 3).await;
    let at_y = y.pushed_item(|i| i["Event"] == 3).await;
    for (item, group) in [(&at_x, "b1"), (&at_y, "b2")] {
        assert_eq!(item["GroupId"], group);
        assert_eq!(item["MsgBody"], text("to all rooms"));
        assert_eq!(item["MsgRandom"], 7);
    }
    assert_eq!(at_y["MsgSeq"].as_u64().unwrap(), at_x["MsgSeq"].as_u64().unwrap() + 1);
    s.fails("group_open_http_svc/send_broadcast_msg", json!({"MsgBody": "not an array"}), 10004).await;
    s.fails("group_open_http_svc/send_broadcast_msg", json!({"From_Account": "ghost", "MsgBody": text("x")}), 10019)
        .await;
    s.ok("openim_dirty_words/add", json!({"DirtyWordsList": ["spoiler"]})).await;
    s.fails("group_open_http_svc/send_broadcast_msg", json!({"MsgBody": text("a SPOILER")}), 80001).await;
    // At most 50 a second: a burst of 60 at once is cut.
    let burst = (0..60)
        .map(|i| s.rest("group_open_http_svc/send_broadcast_msg", json!({"Random": i, "MsgBody": text("burst")})));
    let replies = futures_util::future::join_all(burst).await;
    let limited = replies.iter().filter(|r| r["ErrorCode"] == 10006).count();
    assert!(replies.iter().all(|r| r["ErrorCode"] == 0 || r["ErrorCode"] == 10006));
    assert!((1..=20).contains(&limited), "{limited} of 60 broadcasts were limited");
}

on_both_backends!(
    admins_speak_under_mute_all_see_their_role_and_persist,
    broadcast_reaches_every_live_room_with_its_own_seq,
);
