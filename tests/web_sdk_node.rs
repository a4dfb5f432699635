//! The real, unmodified official Tencent Web SDKs against a real roomcast, in Node.
//!
//! Every scenario runs with both SDKs: `@tencentcloud/chat` 3.6.6 (v3) and `tim-js-sdk` 2.27.6
//! (v2), pinned in tests/sdk/package-lock.json. A scenario is a Node script
//! (tests/sdk/scenario.js, helpers in tests/sdk/lib.js) that creates SDK instances with
//! `proxyServer: ws://127.0.0.1:<port>`, drives them and waits (bounded) for their events.
//! When the server has to act (REST calls as the administrator), the script prints
//! `{"step": name}` and waits; the test makes the calls and answers one JSON line. The script
//! ends with `{"result": …}`, which the test asserts on, or `{"error": …}`. The driver is
//! tests/common/sdk_driver.rs (shared with tests/web_sdk_callbacks.rs).
//!
//! The SDKs are installed by `scripts/test` (npm ci in tests/sdk), which exports
//! ROOMCAST_TEST_SDK_DIR. Without it these tests fail; they are never skipped.
//! `SDK_DEBUG=1` (events), `2` (+ SDK logs) or `3` (+ every WebSocket frame) adds detail to the
//! stderr shown when a scenario fails.

mod common;

use common::sdk_driver::{GROUP, Scenario, Sdk};
use common::{Database, SDKAPPID, SECRET, TestServer};
use roomcast::auth::usersig;
use serde_json::{Value, json};

/// A server with the test app and an empty AVChatRoom `live1`.
async fn server_with_room() -> TestServer {
    let srv = TestServer::start(Database::sqlite()).await;
    srv.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": GROUP})).await;
    srv
}

/// The received messages of one client whose element type is `kind`.
fn of_type<'a>(messages: &'a Value, kind: &str) -> Vec<&'a Value> {
    messages.as_array().expect("a message list").iter().filter(|m| m["type"] == kind).collect()
}

fn find<'a>(messages: &'a Value, what: &str, pred: impl Fn(&Value) -> bool) -> &'a Value {
    messages
        .as_array()
        .expect("a message list")
        .iter()
        .find(|m| pred(m))
        .unwrap_or_else(|| panic!("no {what} among {messages:#}"))
}

fn text_is<'a>(text: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |m| m["type"] == "TIMTextElem" && m["payload"]["text"] == text
}

fn tip(op: u64, who: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == "TIMGroupTipElem" && m["payload"]["operationType"] == op && m["payload"]["operatorID"] == who
}

fn notice(op: u64) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == "TIMGroupSystemNoticeElem" && m["payload"]["operationType"] == op
}

/// Room items carry unique, increasing sequence numbers; the SDK drops repeated ones.
fn assert_unique_sequences(who: &str, messages: &Value) {
    let mut seqs: Vec<u64> = messages.as_array().unwrap().iter().filter_map(|m| m["sequence"].as_u64()).collect();
    let n = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), n, "{who}: repeated sequence numbers in {messages:#}");
}

// ---- scenarios ------------------------------------------------------------------------------

/// Bad UserSigs are refused with their codes; login -> SDK_READY; updateMyProfile stores nick
/// and avatar; logout -> SDK_NOT_READY.
async fn session(sdk: Sdk) {
    let srv = server_with_room().await;
    const WRONG_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    let now = common::now();
    let bad = json!({
        "garbage": "not-a-usersig",
        "wrong_key": usersig::issue(SDKAPPID, WRONG_KEY, "alice", 86_400, now),
        "other_user": usersig::issue(SDKAPPID, SECRET, "mallory", 86_400, now),
        "other_app": usersig::issue(SDKAPPID + 1, SECRET, "alice", 86_400, now),
    });
    let mut run = Scenario::start(&srv, sdk, "session", &[("BAD_SIGS", bad.to_string())]).await;
    run.step("profile_set").await;
    let stored = srv
        .ok(
            "profile/portrait_get",
            json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Image"]}),
        )
        .await;
    run.resume(json!({})).await;
    let r = run.result().await;

    for (label, code) in [("garbage", 70003), ("wrong_key", 70005), ("other_user", 70013), ("other_app", 70014)] {
        let refused = &r["refused"][label];
        assert_eq!(refused["ok"], false, "{label}: {refused}");
        assert_eq!(refused["error"]["code"], code, "{label}: login must reject with {code}: {refused}");
        assert_eq!(refused["ready"], false, "{label}: no SDK_READY after a refused login");
    }

    assert_eq!(r["login"]["actionStatus"], "OK", "{r}");
    assert_eq!(r["profile"], json!({"nick": "Alice", "avatar": "https://img.example/alice.png"}), "{r}");
    let updated = find(&r["profileUpdated"], "alice's PROFILE_UPDATED", |p| p["userID"] == "alice");
    assert_eq!(updated["nick"], "Alice");
    assert_eq!(updated["avatar"], "https://img.example/alice.png");
    let items = &stored["UserProfileItem"][0]["ProfileItem"];
    let tag = |t: &str| find(items, t, |i| i["Tag"] == t)["Value"].clone();
    assert_eq!(tag("Tag_Profile_IM_Nick"), "Alice", "stored profile: {stored}");
    assert_eq!(tag("Tag_Profile_IM_Image"), "https://img.example/alice.png", "stored profile: {stored}");

    assert_eq!(r["logout"]["ok"], true, "{r}");
    assert_eq!(r["readyAfterLogout"], false, "{r}");
    let events: Vec<&str> = r["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let ready = events.iter().position(|e| *e == "SDK_READY").expect("SDK_READY");
    let not_ready = events.iter().position(|e| *e == "SDK_NOT_READY").expect("SDK_NOT_READY");
    assert!(ready < not_ready, "{events:?}");
    assert!(!events.contains(&"KICKED_OUT"), "{events:?}");
}

/// alice and bob logged in (push), a viewer without login (long poll): join tips, text and
/// custom messages with priorities, a REST message, a system notice, the online count, quit.
async fn room(sdk: Sdk) {
    let srv = server_with_room().await;
    srv.ok(
        "im_open_login_svc/account_import",
        json!({"UserID": "host", "Nick": "Host", "FaceUrl": "https://img.example/host.png"}),
    )
    .await;
    let mut run = Scenario::start(&srv, sdk, "room", &[]).await;
    run.step("rest_message").await;
    let body = json!({
        "GroupId": GROUP, "From_Account": "host", "Random": 4242, "MsgPriority": "Normal",
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "from REST"}}],
    });
    srv.ok("group_open_http_svc/send_group_msg", body).await;
    run.resume(json!({})).await;
    run.step("notice").await;
    srv.ok("group_open_http_svc/send_group_system_notification", json!({"GroupId": GROUP, "Content": "hello"})).await;
    run.resume(json!({})).await;
    let r = run.result().await;

    assert_eq!(r["joins"]["anon"], "JoinedSuccess", "{r}");
    assert_eq!(r["joins"]["bob"], "JoinedSuccess", "{r}");
    assert_eq!(r["joins"]["alice"], "JoinedSuccess", "{r}");
    assert_eq!(r["joins"]["aliceGroup"], json!({"groupID": GROUP, "type": "AVChatRoom"}), "{r}");
    // bob's SDK answers from its cache, refreshed by the OnlineInf of each tip it processes.
    assert_eq!(r["onlineCount"], 3, "alice, bob and the anonymous viewer are online (bob's count): {r}");
    assert_eq!(r["quit"], GROUP);

    let sent_text = &r["sent"]["text"];
    let sent_custom = &r["sent"]["custom"];
    for who in ["bob", "anon"] {
        let got = &r["received"][who];
        assert_unique_sequences(who, got);

        let joined = find(got, "join tip for alice", tip(1, "alice"));
        assert_eq!(joined["payload"]["userIDList"], json!(["alice"]), "{who}: {joined}");
        assert_eq!(joined["payload"]["groupID"], GROUP, "{who}: {joined}");
        assert_eq!(joined["to"], GROUP, "{who}: {joined}");

        let text = find(got, "alice's text", text_is("hello room"));
        assert_eq!(text["from"], "alice", "{who}: {text}");
        assert_eq!(text["nick"], "Alice", "{who}: sender nick: {text}");
        assert_eq!(text["avatar"], "https://img.example/alice.png", "{who}: sender avatar: {text}");
        assert_eq!(text["priority"], "High", "{who}: {text}");
        assert_eq!(text["conversationID"], format!("GROUP{GROUP}"), "{who}: {text}");
        assert_eq!(text["ID"], sent_text["ID"], "{who}: the message keeps the sender's ID");
        assert_eq!(text["sequence"], sent_text["sequence"], "{who}: {text}");

        let custom = of_type(got, "TIMCustomElem");
        assert_eq!(custom.len(), 1, "{who}: {got:#}");
        let custom = custom[0];
        assert_eq!(custom["payload"]["data"], r#"{"gift":1}"#, "{who}: {custom}");
        assert_eq!(custom["payload"]["description"], "gift", "{who}: {custom}");
        assert_eq!(custom["payload"]["extension"], "x", "{who}: {custom}");
        assert_eq!(custom["priority"], "Low", "{who}: {custom}");
        assert_eq!(custom["nick"], "Alice", "{who}: {custom}");
        assert_eq!(custom["avatar"], "https://img.example/alice.png", "{who}: {custom}");
        assert_eq!(custom["ID"], sent_custom["ID"], "{who}");

        let quit = find(got, "quit tip for alice", tip(2, "alice"));
        assert_eq!(quit["payload"]["userIDList"], json!(["alice"]), "{who}: {quit}");
    }
    for who in ["alice", "bob", "anon"] {
        let got = &r["received"][who];
        let rest = find(got, "the REST message", text_is("from REST"));
        assert_eq!(rest["from"], "host", "{who}: {rest}");
        assert_eq!(rest["nick"], "Host", "{who}: REST sender nick: {rest}");
        assert_eq!(rest["avatar"], "https://img.example/host.png", "{who}: REST sender avatar: {rest}");
        assert_eq!(rest["priority"], "Normal", "{who}: {rest}");

        let note = find(got, "the system notice", notice(255));
        assert_eq!(note["payload"]["userDefinedField"], "hello", "{who}: {note}");
        assert_eq!(note["payload"]["groupID"], GROUP, "{who}: {note}");
    }
    // The sender's own messages are not echoed back to it.
    let alice = &r["received"]["alice"];
    assert!(
        !alice.as_array().unwrap().iter().any(|m| text_is("hello room")(m) || m["type"] == "TIMCustomElem"),
        "alice got her own messages back: {alice:#}"
    );
}

/// A member and an anonymous viewer stay a few seconds: what the SDKs send by themselves
/// settles. A command the SDK retries every second (because it disliked the answer), or long
/// polls answered at once instead of held, would show as a command sent again and again.
async fn idle(sdk: Sdk) {
    let srv = server_with_room().await;
    let run = Scenario::start(&srv, sdk, "idle", &[]).await;
    let r = run.result().await;
    for who in ["alice", "anon"] {
        let counts = r["requests"][who].as_object().unwrap();
        let repeated: Vec<String> = counts
            .iter()
            .filter(|(cmd, n)| {
                n.as_u64().unwrap() > 2 && !cmd.starts_with("heartbeat.") && !cmd.starts_with("imopenstat.")
            })
            .map(|(cmd, n)| format!("{cmd} x{n}"))
            .collect();
        assert!(
            repeated.is_empty(),
            "{who} repeats requests within {} ms: {repeated:?} (all: {counts:?})",
            r["windowMs"]
        );
    }
    let events = r["events"].as_array().unwrap();
    assert!(!events.iter().any(|e| e == "KICKED_OUT" || e == "SDK_NOT_READY"), "alice: {events:?}");
}

/// A second login of the same user kicks the first (multipleAccount), which leaves the room;
/// a REST kick kicks the second (REST_API_Kick).
async fn kicks(sdk: Sdk) {
    let srv = server_with_room().await;
    let mut run = Scenario::start(&srv, sdk, "kicks", &[]).await;
    run.step("first_kicked").await;
    let members = srv
        .ok("group_open_avchatroom_http_svc/check_members", json!({"GroupId": GROUP, "Member_Account": ["bob"]}))
        .await;
    assert_eq!(members["Member_Account"], json!([]), "the kicked instance left the room: {members}");
    run.resume(json!({})).await;
    run.step("rest_kick").await;
    srv.ok("im_open_login_svc/kick", json!({"UserID": "bob"})).await;
    run.resume(json!({})).await;
    let r = run.result().await;

    assert_eq!(r["first"]["kick"], json!({"type": "multipleAccount"}), "{r}");
    assert_eq!(r["second"]["kick"], json!({"type": "REST_API_Kick"}), "{r}");
    for who in ["first", "second"] {
        let events: Vec<&str> = r[who]["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        let kicked = events.iter().position(|e| *e == "KICKED_OUT").unwrap();
        assert!(events[kicked..].contains(&"SDK_NOT_READY"), "{who}: {events:?}");
    }
}

/// The connections of a push member (bob) and of an anonymous viewer are cut under them
/// (through a relay; the server sees its sockets drop): both reconnect by themselves, bob
/// re-logs in with his ticket, both keep receiving, and bob can still send.
async fn reconnect(sdk: Sdk) {
    let srv = server_with_room().await;
    let run = Scenario::start(&srv, sdk, "reconnect", &[]).await;
    let r = run.result().await;
    assert_eq!(r["cut"], 2, "{r}");
    assert_eq!(r["bob"]["ready"], true, "{r}");
    let events = r["bob"]["events"].as_array().unwrap();
    assert!(!events.iter().any(|e| e == "KICKED_OUT" || e == "SDK_NOT_READY"), "bob: {events:?}");
    for who in ["bob", "anon"] {
        let texts = r[who]["texts"].as_array().unwrap();
        assert!(texts.iter().any(|t| t == "before the drop"), "{who}: {texts:?}");
        assert!(texts.iter().any(|t| t == "after the drop"), "{who}: {texts:?}");
        let after = texts.iter().filter(|t| *t == "after the drop").count();
        assert_eq!(after, 1, "{who}: delivered once: {texts:?}");
    }
}

/// destroy_group over REST: members get the "dismissed" notice and the SDK drops the room.
async fn dismiss(sdk: Sdk) {
    let srv = server_with_room().await;
    let mut run = Scenario::start(&srv, sdk, "dismiss", &[]).await;
    run.step("destroy").await;
    srv.ok("group_open_http_svc/destroy_group", json!({"GroupId": GROUP})).await;
    run.resume(json!({})).await;
    let r = run.result().await;
    for who in ["bob", "anon"] {
        let got = &r["received"][who];
        let dismissed = find(got, "the dismissed notice", notice(5));
        assert_eq!(dismissed["payload"]["groupID"], GROUP, "{who}: {dismissed}");
        assert_eq!(dismissed["conversationID"], "@TIM#SYSTEM", "{who}: {dismissed}");
    }
    assert!(!r["bobGroups"].as_array().unwrap().iter().any(|g| g == GROUP), "{r}");
}

with_both_sdks!(session, room, idle, kicks, reconnect, dismiss);
