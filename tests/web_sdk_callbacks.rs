//! Third-party callbacks raised by the real, unmodified official Web SDKs, in Node, against a
//! real roomcast whose callbacks go to a real HTTP receiver (tests/common/receiver.rs).
//!
//! With both SDKs (`@tencentcloud/chat` 3.6.6 and `tim-js-sdk` 2.27.6) the `callbacks`
//! scenario of tests/sdk/scenario.js (driver: tests/common/sdk_driver.rs) logs alice and bob
//! in, both join the AVChatRoom, alice sends a text: the backend sees State.StateChange (Login),
//! Group.CallbackBeforeApplyJoinGroup, Group.CallbackAfterNewMemberJoin,
//! Group.CallbackBeforeSendMsg and Group.CallbackAfterSendMsg with what the SDK sent (MsgId is
//! the SDK message's ID, MsgSeq the sequence bob's SDK shows), from OptPlatform=Web with a
//! correct Sign. The backend then refuses a send (ErrorCode 1: the SDK's sendMessage rejects
//! with 10016), refuses one with its own code (10150), rewrites one (bob receives the rewritten
//! text); quitGroup raises Group.CallbackAfterMemberExit (Quit) and logout State.StateChange
//! (Logout).
//!
//! Needs ROOMCAST_TEST_SDK_DIR (set by scripts/test); without it the tests fail, never skip.

mod common;

use std::time::Duration;

use common::receiver::{Answer, Received, Receiver};
use common::sdk_driver::{GROUP, Scenario, Sdk};
use common::{Database, SDKAPPID, TestServer, text};
use roomcast::auth::ticket::tiny_id;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "t";

const STATE: &str = "State.StateChange";
const BEFORE_JOIN: &str = "Group.CallbackBeforeApplyJoinGroup";
const AFTER_JOIN: &str = "Group.CallbackAfterNewMemberJoin";
const BEFORE_SEND: &str = "Group.CallbackBeforeSendMsg";
const AFTER_SEND: &str = "Group.CallbackAfterSendMsg";
const AFTER_EXIT: &str = "Group.CallbackAfterMemberExit";

/// Waits (at most 10 s) until `count` callbacks of `command` whose body satisfies `pred` have
/// arrived, and returns them in arrival order.
async fn wait_where(rx: &Receiver, command: &str, count: usize, pred: impl Fn(&Value) -> bool) -> Vec<Received> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got: Vec<Received> = rx.of(command).into_iter().filter(|r| pred(&r.body)).collect();
        if got.len() >= count {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited for {count} x {command} (matching), got {}: {got:#?}\nall of {command}: {:#?}",
            got.len(),
            rx.of(command)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The one callback of `command` about `user` (in `field`), waiting for it.
async fn one_about(rx: &Receiver, command: &str, user: &str, matches: impl Fn(&Value, &str) -> bool) -> Received {
    let got = wait_where(rx, command, 1, |b| matches(b, user)).await;
    assert_eq!(got.len(), 1, "exactly one {command} about {user}: {got:#?}");
    got.into_iter().next().unwrap()
}

fn state_of(action: &'static str) -> impl Fn(&Value, &str) -> bool {
    move |b, user| b["Info"]["To_Account"] == user && b["Info"]["Action"] == action
}

fn requestor(b: &Value, user: &str) -> bool {
    b["Requestor_Account"] == user
}

fn new_member(b: &Value, user: &str) -> bool {
    b["NewMemberList"].as_array().is_some_and(|l| l.iter().any(|m| m["Member_Account"] == user))
}

fn exit_member(b: &Value, user: &str) -> bool {
    b["ExitMemberList"].as_array().is_some_and(|l| l.iter().any(|m| m["Member_Account"] == user))
}

/// The query of a callback caused by the Web SDK, and the body's common fields.
fn assert_from_web(r: &Received) {
    let q = &r.query;
    let command = r.body["CallbackCommand"].as_str().unwrap_or_default();
    assert_eq!(q.get("SdkAppid").map(String::as_str), Some(SDKAPPID.to_string().as_str()), "{r:?}");
    assert_eq!(q.get("CallbackCommand").map(String::as_str), Some(command), "query and body agree: {r:?}");
    assert_eq!(q.get("contenttype").map(String::as_str), Some("json"), "{r:?}");
    assert_eq!(q.get("ClientIP").map(String::as_str), Some("127.0.0.1"), "{r:?}");
    assert_eq!(q.get("OptPlatform").map(String::as_str), Some("Web"), "caused by the Web SDK: {r:?}");
    let time = q.get("RequestTime").unwrap_or_else(|| panic!("RequestTime is missing: {r:?}"));
    let secs: u64 = time.parse().unwrap_or_else(|_| panic!("RequestTime {time:?} is not Unix seconds: {r:?}"));
    assert!(common::now().abs_diff(secs) <= 60, "RequestTime {secs} is now: {r:?}");
    let sign = hex::encode(Sha256::digest(format!("{TOKEN}{time}").as_bytes()));
    assert_eq!(q.get("Sign"), Some(&sign), "Sign = hex(sha256(token + RequestTime)): {r:?}");
    let event_time = r.body["EventTime"].as_u64().unwrap_or_else(|| panic!("EventTime: {r:?}"));
    assert!(event_time.abs_diff(common::now() * 1000) < 60_000, "EventTime is now, in milliseconds: {r:?}");
}

/// The fields BeforeSendMsg and AfterSendMsg share, for a text alice sent.
fn assert_send_fields(command: &str, b: &Value, body: &Value, random: &Value, msg_id: &Value) {
    for (k, v) in [
        ("CallbackCommand", json!(command)),
        ("GroupId", json!(GROUP)),
        ("Type", json!("AVChatRoom")),
        ("From_Account", json!("alice")),
        ("Operator_Account", json!("alice")),
        ("Random", random.clone()),
        ("MsgId", msg_id.clone()),
        ("OnlineOnlyFlag", json!(0)),
        ("MsgBody", body.clone()),
    ] {
        assert_eq!(b[k], v, "{command} {k}: {b:#}");
    }
}

async fn callbacks(sdk: Sdk) {
    let rx = Receiver::start().await;
    let url = rx.url.clone();
    let srv = TestServer::start_with(Database::sqlite(), |c| {
        c.callback.url = url;
        c.callback.token = TOKEN.into();
    })
    .await;
    srv.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": GROUP})).await;
    let mut run = Scenario::start(&srv, sdk, "callbacks", &[]).await;
    let label = run.label.clone();

    // ---- login, joins, one text ----
    let step = run.step("sent").await;
    let (sent, seen) = (&step["sent"], &step["seen"]);
    for user in ["alice", "bob"] {
        let login = one_about(&rx, STATE, user, state_of("Login")).await;
        assert_from_web(&login);
        assert_eq!(
            login.body["Info"],
            json!({"Action": "Login", "To_Account": user, "Reason": "Register"}),
            "{login:?}"
        );

        let asked = one_about(&rx, BEFORE_JOIN, user, requestor).await;
        assert_from_web(&asked);
        assert_eq!((asked.body["GroupId"].as_str(), asked.body["Type"].as_str()), (Some(GROUP), Some("AVChatRoom")));

        let joined = one_about(&rx, AFTER_JOIN, user, new_member).await;
        assert_from_web(&joined);
        let b = &joined.body;
        assert_eq!((b["GroupId"].as_str(), b["Type"].as_str()), (Some(GROUP), Some("AVChatRoom")), "{b}");
        assert_eq!(b["JoinType"], "Apply", "{b}");
        assert_eq!(b["Operator_Account"], user, "{b}");
        assert_eq!(b["NewMemberList"], json!([{"Member_Account": user}]), "{b}");
    }

    // The SDK's message ID is TinyId-MsgClientTime-Random; the backend gets it as MsgId.
    let id = sent["ID"].as_str().unwrap_or_else(|| panic!("{label}: the sent message has an ID: {sent}"));
    assert_eq!(
        id,
        format!("{}-{}-{}", tiny_id(SDKAPPID, "alice"), sent["clientTime"], sent["random"]),
        "{label}: {sent}"
    );
    assert!(seen["sequence"].as_u64().is_some_and(|s| s > 0), "{label}: bob's message has a sequence: {seen}");
    assert_eq!(seen["ID"], sent["ID"], "{label}: bob sees alice's message ID: {seen}");
    assert_eq!(seen["sequence"], sent["sequence"], "{label}: {seen} / {sent}");
    let before = rx.wait_for(BEFORE_SEND, 1).await;
    assert_eq!(before.len(), 1, "{label}: {before:#?}");
    assert_from_web(&before[0]);
    assert_send_fields(BEFORE_SEND, &before[0].body, &text("hello backend"), &sent["random"], &sent["ID"]);
    assert_eq!(before[0].body["CloudCustomData"], "", "{label}: {:#}", before[0].body);
    let after = rx.wait_for(AFTER_SEND, 1).await;
    assert_eq!(after.len(), 1, "{label}: {after:#?}");
    assert_from_web(&after[0]);
    let a = &after[0].body;
    assert_send_fields(AFTER_SEND, a, &text("hello backend"), &sent["random"], &sent["ID"]);
    assert_eq!(a["MsgSeq"], seen["sequence"], "{label}: AfterSendMsg MsgSeq is the sequence bob's SDK shows: {a:#}");
    assert_eq!(a["MsgTime"], seen["time"], "{label}: AfterSendMsg MsgTime is the time bob's SDK shows: {a:#}");
    assert_eq!(a["GroupAtInfo"], json!([]), "{label}: {a:#}");

    // ---- the backend refuses: the SDK's sendMessage rejects with 10016 ----
    rx.answer(BEFORE_SEND, Answer::Reply(json!({"ErrorCode": 1, "ErrorInfo": "no"})));
    run.resume(json!({})).await;
    let step = run.step("refused").await;
    let refused = &step["refused"];
    assert_eq!(refused["ok"], false, "{label}: {refused}");
    assert_eq!(refused["error"]["code"], 10016, "{label}: ErrorCode 1 rejects sendMessage with 10016: {refused}");
    assert_eq!(refused["error"]["message"], "no", "{label}: the backend's ErrorInfo reaches the SDK: {refused}");
    let before = rx.wait_for(BEFORE_SEND, 2).await;
    assert_eq!(before.len(), 2, "{label}: asked once: {before:#?}");
    assert_eq!(before[1].body["MsgBody"], text("refused"), "{label}");

    // ---- the backend refuses with its own code ----
    rx.answer(BEFORE_SEND, Answer::Reply(json!({"ErrorCode": 10150, "ErrorInfo": "level too low"})));
    run.resume(json!({})).await;
    let step = run.step("refused_with_code").await;
    let refused_with_code = &step["refused"];
    assert_eq!(refused_with_code["ok"], false, "{label}: {refused_with_code}");
    assert_eq!(refused_with_code["error"]["code"], 10150, "{label}: {refused_with_code}");
    assert_eq!(refused_with_code["error"]["message"], "level too low", "{label}: {refused_with_code}");
    let before = rx.wait_for(BEFORE_SEND, 3).await;
    assert_eq!(before.len(), 3, "{label}: asked once: {before:#?}");
    assert_eq!(before[2].body["MsgBody"], text("refused with a code"), "{label}");

    // ---- the backend rewrites: bob receives the rewritten text ----
    rx.answer(BEFORE_SEND, Answer::Reply(json!({"ErrorCode": 0, "MsgBody": text("*** rewritten ***")})));
    run.resume(json!({})).await;
    let step = run.step("rewritten").await;
    let (sent, seen) = (&step["sent"], &step["seen"]);
    assert_eq!(seen["from"], "alice", "{label}: {seen}");
    assert_eq!(seen["ID"], sent["ID"], "{label}: the rewritten message keeps its ID: {seen} / {sent}");
    let before = rx.wait_for(BEFORE_SEND, 4).await;
    assert_eq!(before.len(), 4, "{label}: {before:#?}");
    assert_send_fields(BEFORE_SEND, &before[3].body, &text("bad word"), &sent["random"], &sent["ID"]);
    let after = rx.wait_for(AFTER_SEND, 2).await;
    assert_eq!(after.len(), 2, "{label}: refused messages raise no AfterSendMsg: {after:#?}");
    let a = &after[1].body;
    assert_send_fields(AFTER_SEND, a, &text("*** rewritten ***"), &sent["random"], &sent["ID"]);
    assert_eq!(a["MsgSeq"], seen["sequence"], "{label}: {a:#}");

    // ---- a plain send, quitGroup ----
    rx.answer(BEFORE_SEND, Answer::Reply(json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})));
    run.resume(json!({})).await;
    run.step("quit").await;
    let exit = one_about(&rx, AFTER_EXIT, "alice", exit_member).await;
    assert_from_web(&exit);
    let b = &exit.body;
    assert_eq!((b["GroupId"].as_str(), b["Type"].as_str()), (Some(GROUP), Some("AVChatRoom")), "{b}");
    assert_eq!(b["ExitType"], "Quit", "{label}: {b}");
    assert_eq!(b["Operator_Account"], "alice", "{label}: {b}");
    assert_eq!(b["ExitMemberList"], json!([{"Member_Account": "alice"}]), "{label}: {b}");
    assert!(
        rx.of(STATE).iter().all(|r| !state_of("Logout")(&r.body, "alice")),
        "{label}: no Logout before the SDK logs out"
    );

    // ---- logout ----
    run.resume(json!({})).await;
    let r = run.result().await;
    assert_eq!(r["joins"], json!({"alice": "JoinedSuccess", "bob": "JoinedSuccess"}), "{label}: {r}");
    assert_eq!(r["quit"], GROUP, "{label}: {r}");
    assert_eq!(r["logout"]["ok"], true, "{label}: {r}");
    let logout = one_about(&rx, STATE, "alice", state_of("Logout")).await;
    assert_from_web(&logout);
    assert_eq!(logout.body["Info"], json!({"Action": "Logout", "To_Account": "alice", "Reason": "Unregister"}));

    let texts: Vec<&str> = r["bobTexts"].as_array().unwrap().iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        ["hello backend", "*** rewritten ***", "plain"],
        "{label}: refused messages reach nobody; the rewritten one arrives rewritten"
    );
    let before = rx.of(BEFORE_SEND);
    assert_eq!(before.len(), 5, "{label}: each send asked once: {before:#?}");
    assert_send_fields(BEFORE_SEND, &before[4].body, &text("plain"), &r["plain"]["random"], &r["plain"]["ID"]);
    let after = rx.wait_for(AFTER_SEND, 3).await;
    assert_eq!(after.len(), 3, "{label}: {after:#?}");
    assert_send_fields(AFTER_SEND, &after[2].body, &text("plain"), &r["plain"]["random"], &r["plain"]["ID"]);
    assert!(r["plain"]["sequence"].as_u64().is_some_and(|s| s > 0), "{label}: {r}");
    assert_eq!(after[2].body["MsgSeq"], r["plain"]["sequence"], "{label}");
    // Everything the SDK caused came from the Web platform, signed.
    for command in [STATE, BEFORE_JOIN, AFTER_JOIN, BEFORE_SEND, AFTER_SEND, AFTER_EXIT] {
        for received in rx.of(command) {
            assert_from_web(&received);
        }
    }
    assert!(rx.of("Group.CallbackSendMsgException").is_empty(), "{label}");
}

with_both_sdks!(callbacks);
