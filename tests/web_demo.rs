//! The demo live room (`/demo`) and the operator console (`/console`), as people use them.
//!
//! `tests/browser/demo.js` drives Debian's /usr/bin/chromium with playwright-core, one browser
//! context per person, against a roomcast running its development app: without the Web SDK the
//! pages show the command that installs it; a guest watches without logging in; Alice and Bob log
//! in with UserSigs from `/dev/usersig`; they exchange texts (chat list and danmaku), a burst of 25
//! gift taps (two High messages: 20, then 5 with combo 25) and 30 like taps (two Low messages); the
//! console lists the rooms with their online counts, mutes the room (the demo's input becomes
//! disabled, then enabled again), sends a notice and a broadcast (banners), mutes a member, filters
//! a word, bans Bob (his page says so and the online count drops) and unbans him (he logs in
//! again), issues a UserSig; a second login kicks Alice's first window, and logging out leaves the
//! room (the guest sees it, and can hide join and leave notices); destroying a room ends it for its
//! viewer. Screenshots go to target/tmp/web_demo/ (the best two are docs/demo.png and
//! docs/console.png).
//!
//! Chromium, tests/browser/node_modules and web/node_modules (the Web SDK the pages load) are
//! installed by `scripts/test`; without them this test fails, it never skips. `BROWSER_DEBUG=1`
//! adds each step and the pages' console to the stderr shown on failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{Database, TestServer};
use roomcast::auth::usersig;
use serde_json::{Value, json};
use tokio::process::Command;

/// demo.js gives up by itself after 150 s; this is the backstop.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Everything the browser run needs, or a failure that says how to get it.
fn prerequisites() -> (PathBuf, PathBuf) {
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(chromium.is_file(), "{} is missing: run scripts/test (this test never skips)", chromium.display());
    let browser_dir = root().join("tests/browser");
    let playwright = browser_dir.join("node_modules/playwright-core/package.json");
    assert!(playwright.is_file(), "{} is missing: run scripts/test (this test never skips)", playwright.display());
    let sdk = root().join("web/node_modules/@tencentcloud/chat/index.js");
    assert!(sdk.is_file(), "{} is missing: run `npm ci --prefix web` or scripts/test (never skipped)", sdk.display());
    (chromium, browser_dir)
}

/// A server on its development app (as after `scripts/run`), serving the repository's pages.
async fn development_server() -> TestServer {
    TestServer::start_with(Database::sqlite(), |c| {
        c.app.sdkappid = None;
        c.app.secret_key = None;
        c.web.dir = root().join("web").display().to_string();
        c.web.sdk_dir = root().join("web/node_modules/@tencentcloud/chat").display().to_string();
    })
    .await
}

/// Calls a REST command as the administrator of whatever app `srv` runs.
async fn admin_call(srv: &TestServer, path: &str, body: Value) -> Value {
    let app = &srv.server.as_ref().unwrap().app;
    let sig = usersig::issue(app.sdkappid, &app.secret_key, "administrator", 600, common::now());
    srv.post_raw(&srv.url_as(path, app.sdkappid, "administrator", &sig), body.to_string()).await
}

async fn run_demo_js(srv: &TestServer, chromium: &Path, browser_dir: &Path, shots: &Path) -> Value {
    let _ = std::fs::remove_dir_all(shots);
    let child = Command::new("node")
        .current_dir(browser_dir)
        .arg("demo.js")
        .env("ROOMCAST_BASE", srv.base())
        .env("CHROMIUM", chromium)
        .env("SCREENSHOT_DIR", shots)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node in {}: {e}", browser_dir.display()));
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("tests/browser/demo.js did not end within {RUN_TIMEOUT:?}"))
        .expect("waiting for node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let result: Value = stdout.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    let failed: Vec<&Value> = result["steps"].as_array().into_iter().flatten().filter(|s| s["ok"] != true).collect();
    assert!(
        output.status.success() && result["ok"] == true,
        "tests/browser/demo.js failed ({}): {}\nfailed steps: {failed:#?}\nscreenshots: {}\nstderr:\n{stderr}",
        output.status,
        result["error"],
        shots.display(),
    );
    if std::env::var("BROWSER_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!("demo.js stderr:\n{stderr}");
    }
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_room_and_console_in_chromium() {
    let (chromium, browser_dir) = prerequisites();
    let srv = development_server().await;
    let app = srv.server.as_ref().unwrap().app.clone();
    assert!(app.development, "the run uses the development app, as after scripts/run");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web_demo");
    let r = run_demo_js(&srv, &chromium, &browser_dir, &shots).await;

    let steps: Vec<&str> = r["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let expected = [
        "landing",
        "sdk_missing",
        "guest_watches",
        "log_in",
        "text_and_danmaku",
        "gift_combo",
        "likes",
        "console_lists_rooms",
        "room_stats",
        "mute_all",
        "notice_and_broadcast",
        "mute_member",
        "dirty_words",
        "ban",
        "unban",
        "issue_usersig",
        "kicked_by_second_login",
        "log_out_and_notices_toggle",
        "dismissed",
        "clean",
    ];
    assert_eq!(steps, expected, "every step ran, in order");

    // What the other two saw: the same four texts, in order.
    let texts = json!(["hello from alice", "hi alice, nice stream", "thanks bob!", "sending roses"]);
    assert_eq!(r["chat"]["alice"], texts, "{}", r["chat"]);
    assert_eq!(r["chat"]["guest"], texts, "the guest receives without logging in: {}", r["chat"]);
    // 25 gift taps arrive as two gifts, [count, combo]: 20 at once, then 5 closing a combo of 25.
    for who in ["bob", "guest"] {
        assert_eq!(r["gifts"][who], json!([[20, 20], [5, 25]]), "{who}: {}", r["gifts"]);
    }
    assert_eq!(r["likes"]["bob"], 30, "every like tap counts on the receiving side");
    // The room carried 4 texts, 2 gift and 2 like messages for 4 + 25 + 30 taps: merged, nothing
    // dropped; alice, bob and the guest were online.
    let stats = &r["stats"];
    assert_eq!(stats["GroupId"], "demo");
    assert_eq!(stats["MsgDelivered"], 8, "{stats}");
    assert_eq!(stats["MsgDropped"], 0, "{stats}");
    assert_eq!(stats["OnlineMemberNum"], 3, "{stats}");

    // The console's UserSig works for carol on this app.
    let sig = r["usersig"].as_str().expect("a UserSig");
    let claims = usersig::verify(sig, app.sdkappid, &app.secret_key, "carol", common::now()).expect("valid UserSig");
    assert_eq!(claims.expire, 86_400);
    let log: Vec<&str> = r["consoleLog"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(!log.iter().any(|l| l.contains("failed")), "every console action succeeded: {log:#?}");

    // The server agrees with what the pages showed.
    let banned = admin_call(&srv, "group_open_http_svc/get_group_ban_member", json!({"GroupId": "demo"})).await;
    assert_eq!(banned["BannedAccountList"], json!([]), "bob was unbanned: {banned}");
    let muted = admin_call(&srv, "group_open_http_svc/get_group_muted_account", json!({"GroupId": "demo"})).await;
    assert_eq!(muted["MutedAccountList"], json!([]), "alice was unmuted: {muted}");
    let info = admin_call(&srv, "group_open_http_svc/get_group_info", json!({"GroupIdList": ["demo", "finale"]})).await;
    assert_eq!(info["GroupInfo"][0]["MuteAllMember"], "Off", "{info}");
    assert_eq!(info["GroupInfo"][1]["ErrorCode"], 10010, "finale was destroyed: {info}");
    let words = admin_call(&srv, "openim_dirty_words/get", json!({})).await;
    assert_eq!(words["DirtyWordsList"], json!([]), "{words}");

    for name in ["demo", "console", "demo-muted", "demo-banned"] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap_or_else(|e| panic!("{name}.png: {e}"));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}.png is a real screenshot");
    }
}

async fn get(srv: &TestServer, path: &str) -> (u16, String, String) {
    let res = srv.http.get(format!("{}{path}", srv.base())).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

async fn get_json(srv: &TestServer, path: &str) -> Value {
    let (status, _, body) = get(srv, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The development endpoints exist for the development app only, and what they hand out works.
#[tokio::test]
async fn development_endpoints_only_for_the_development_app() {
    let srv = development_server().await;
    let app = srv.server.as_ref().unwrap().app.clone();
    let config = get_json(&srv, "/dev/config").await;
    assert_eq!(config["ActionStatus"], "OK");
    assert_eq!(config["SDKAppID"], app.sdkappid);
    assert_eq!(config["Administrator"], "administrator");
    assert_eq!(config["DemoRoom"], "demo");

    let issued = get_json(&srv, "/dev/usersig?user=alice").await;
    assert_eq!(issued["UserID"], "alice");
    let sig = issued["UserSig"].as_str().unwrap();
    let claims = usersig::verify(sig, app.sdkappid, &app.secret_key, "alice", common::now()).unwrap();
    assert_eq!(claims.expire, 86_400, "a day unless asked otherwise");
    let short = get_json(&srv, "/dev/usersig?user=bob&expire=60").await;
    let sig = short["UserSig"].as_str().unwrap();
    assert_eq!(usersig::verify(sig, app.sdkappid, &app.secret_key, "bob", common::now()).unwrap().expire, 60);
    for bad in ["/dev/usersig", "/dev/usersig?user=", "/dev/usersig?user=a&expire=0"] {
        common::assert_failed(&get_json(&srv, bad).await, 70402);
    }
    // The admin UserSig it issues works on the REST API, and the demo room is there.
    let admin = get_json(&srv, "/dev/usersig?user=administrator").await;
    let url = srv.url_as(
        "group_open_http_svc/get_group_info",
        app.sdkappid,
        "administrator",
        admin["UserSig"].as_str().unwrap(),
    );
    let info = srv.post_raw(&url, json!({"GroupIdList": ["demo"]}).to_string()).await;
    assert_eq!(info["GroupInfo"][0]["Name"], "roomcast demo", "{info}");
    assert_eq!(info["GroupInfo"][0]["Type"], "AVChatRoom", "{info}");

    // With a configured app they do not exist; the pages are still served.
    let configured = TestServer::start_with(Database::sqlite(), |c| {
        c.web.dir = root().join("web").display().to_string();
        c.web.sdk_dir = root().join("web/node_modules/@tencentcloud/chat").display().to_string();
    })
    .await;
    for path in ["/dev/config", "/dev/usersig?user=alice"] {
        assert_eq!(get(&configured, path).await.0, 404, "{path} without the development app");
    }
    let (status, kind, html) = get(&configured, "/").await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("/demo/") && html.contains("/console/"), "the landing page links both pages");
    for page in ["/demo/", "/demo", "/console/"] {
        let (status, kind, html) = get(&configured, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(kind.starts_with("text/html") && html.contains("/assets/theme.css"), "{page}: {kind}");
    }
    let (status, kind, _) = get(&configured, "/demo/demo.js").await;
    assert_eq!((status, kind.as_str()), (200, "text/javascript"));
    // The demo loads the official SDK from the npm package, not from the binary.
    let (status, _, js) = get(&configured, "/sdk/chat/index.js").await;
    assert_eq!(status, 200, "web/node_modules/@tencentcloud/chat is installed (npm ci --prefix web)");
    assert!(js.contains("3.6.6"), "the pinned @tencentcloud/chat");
}

/// Without the pages or the SDK where the configuration says, the server still runs and says
/// where it looked.
#[tokio::test]
async fn missing_pages_and_sdk_are_reported() {
    let srv = TestServer::start_with(Database::sqlite(), |c| {
        c.web.dir = "/nonexistent/web".into();
        c.web.sdk_dir = "/nonexistent/sdk".into();
    })
    .await;
    let (status, _, text) = get(&srv, "/").await;
    assert_eq!(status, 404);
    assert!(text.contains("/nonexistent/web/index.html") && text.contains("web.dir"), "{text}");
    assert_eq!(get(&srv, "/sdk/chat/index.js").await.0, 404);
    assert_eq!(get(&srv, "/healthz").await.0, 200);
}

/// `roomcast/get_room_stats`: admin-only figures of rooms, zero for a room nobody used yet.
#[tokio::test]
async fn room_stats_for_the_console() {
    let srv = TestServer::start(Database::sqlite()).await;
    srv.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "S", "GroupId": "s1"})).await;
    let stats = srv.ok("roomcast/get_room_stats", json!({"GroupIdList": ["s1"]})).await;
    let expected = json!([{"GroupId": "s1", "Loaded": false, "OnlineMemberNum": 0, "NextMsgSeq": 1,
        "MsgDelivered": 0, "MsgDropped": 0}]);
    assert_eq!(stats["RoomList"], expected);
    assert_eq!(srv.ok("roomcast/get_room_stats", json!({})).await["RoomList"], json!([]), "no room is loaded yet");
    srv.ok("group_open_http_svc/send_group_system_notification", json!({"GroupId": "s1", "Content": "hi"})).await;
    let all = srv.ok("roomcast/get_room_stats", json!({})).await;
    assert_eq!(all["RoomList"][0]["GroupId"], "s1", "a notice loads the room: {all}");
    assert_eq!(all["RoomList"][0]["NextMsgSeq"], 2, "{all}");
    srv.fails("roomcast/get_room_stats", json!({"GroupIdList": []}), 60008).await;
    // Not for users: only an administrator's UserSig is accepted on REST.
    let url = srv.url_as("roomcast/get_room_stats", common::SDKAPPID, "alice", &common::sig("alice"));
    assert_eq!(srv.post_raw(&url, "{}").await["ActionStatus"], "FAIL");
}
