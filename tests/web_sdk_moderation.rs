//! Moderation and room state as the real, unmodified Web SDKs (v3 and v2, in Node) see them:
//! a muted member and a muted room, a banned member, live-room state in group attributes, and
//! history on join. Scenarios: tests/sdk/moderation_scenarios.js; driver: tests/common/sdk_driver.rs.
//! The kicked state (second login, REST kick) is covered in tests/web_sdk_node.rs.

mod common;

use common::sdk_driver::{GROUP, Scenario, Sdk};
use common::{Database, TestServer};
use serde_json::{Value, json};

/// A server with alice and bob imported and the AVChatRoom `live1`, owned by alice.
async fn server_with_room() -> TestServer {
    let srv = TestServer::start(Database::sqlite()).await;
    srv.ok("im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await;
    srv.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": GROUP, "Owner_Account": "alice"}),
    )
    .await;
    srv
}

fn error_code(call: &Value) -> &Value {
    &call["error"]["code"]
}

async fn muted(sdk: Sdk) {
    let srv = server_with_room().await;
    let mut run = Scenario::start(&srv, sdk, "muted", &[]).await;
    run.step("mute_bob").await;
    srv.ok(
        "group_open_http_svc/forbid_send_msg",
        json!({"GroupId": GROUP, "Members_Account": ["bob"], "MuteTime": 60}),
    )
    .await;
    run.resume(json!({})).await;
    run.step("mute_all").await;
    srv.ok("group_open_http_svc/forbid_send_msg", json!({"GroupId": GROUP, "Members_Account": ["bob"], "MuteTime": 0}))
        .await;
    srv.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": GROUP, "MuteAllMember": "On"})).await;
    run.resume(json!({})).await;
    let r = run.result().await;
    assert_eq!(r["muteTip"]["memberList"], json!([{"userID": "bob", "muteTime": 60}]), "{r}");
    assert_eq!(r["seenByAlice"], json!([{"userID": "bob", "muteTime": 60}]), "{r}");
    assert_eq!(error_code(&r["mutedSend"]), 10017, "{r}");
    assert_eq!(r["allTip"]["muteAllMembers"], true, "{r}");
    assert_eq!(r["profileMuteAll"], true, "{r}");
    assert_eq!(error_code(&r["allMutedSend"]), 10017, "{r}");
}

async fn banned(sdk: Sdk) {
    let srv = server_with_room().await;
    let mut run = Scenario::start(&srv, sdk, "banned", &[]).await;
    run.step("ban_bob").await;
    srv.ok(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": GROUP, "Members_Account": ["bob"], "Duration": 600, "Description": "spam"}),
    )
    .await;
    run.resume(json!({})).await;
    let r = run.result().await;
    assert_eq!(r["banTip"]["userIDList"], json!(["bob"]), "{r}");
    assert_eq!(r["notice"]["groupID"], GROUP, "{r}");
    assert_eq!(r["bobTexts"], json!([]), "a banned member receives nothing: {r}");
    assert_eq!(error_code(&r["rejoin"]), 10007, "{r}");
}

async fn attributes(sdk: Sdk) {
    let srv = server_with_room().await;
    let mut run = Scenario::start(&srv, sdk, "attributes", &[]).await;
    run.step("rest_pause").await;
    srv.ok(
        "group_open_http_svc/modify_group_attr",
        json!({"GroupId": GROUP, "GroupAttr": [{"key": "state", "value": "paused"}]}),
    )
    .await;
    run.resume(json!({})).await;
    run.step("stored").await;
    let stored = srv.ok("group_open_attr_http_svc/get_group_attr", json!({"GroupId": GROUP})).await;
    assert_eq!(stored["GroupAttrAry"][0]["key"], "state", "{stored}");
    assert_eq!(stored["GroupAttrAry"][0]["value"], "paused", "{stored}");
    assert_eq!(stored["GroupAttrAry"].as_array().unwrap().len(), 1, "{stored}");
    run.resume(json!({})).await;
    let r = run.result().await;
    assert_eq!(r["read"], json!({"state": "paused"}), "{r}");
    assert_eq!(error_code(&r["denied"]), 10007, "{r}");
}

async fn history(sdk: Sdk) {
    let srv = server_with_room().await;
    srv.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": GROUP, "HistoryMsgBeforeJoin": "On"})).await;
    let mut run = Scenario::start(&srv, sdk, "history", &[]).await;
    run.step("earlier").await;
    for n in 1..=3 {
        let body = json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("earlier {n}")}}]);
        srv.ok("group_open_http_svc/send_group_msg", json!({"GroupId": GROUP, "Random": n, "MsgBody": body})).await;
    }
    run.resume(json!({})).await;
    let r = run.result().await;
    let texts: Vec<&Value> = r["bob"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "TIMTextElem")
        .map(|m| &m["payload"]["text"])
        .collect();
    assert_eq!(texts, [&json!("earlier 1"), &json!("earlier 2"), &json!("earlier 3"), &json!("live")], "{r}");
}

with_both_sdks!(muted, banned, attributes, history);
