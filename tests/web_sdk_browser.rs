//! The real, unmodified official Tencent Web SDK browser bundles, in a real headless Chromium,
//! against a real roomcast.
//!
//! `tests/browser/run.js` serves a test page and the UMD bundles of `@tencentcloud/chat` 3.6.6
//! (v3, global `TencentCloudChat`) and `tim-js-sdk` 2.27.6 (v2, global `TIM`) from
//! tests/sdk/node_modules on 127.0.0.1, and drives Debian's /usr/bin/chromium with
//! playwright-core (pinned in tests/browser/package-lock.json; it never downloads a browser).
//! For each SDK, alice, bob and an anonymous viewer each get their own page and SDK instance,
//! created with `proxyServer: ws://127.0.0.1:<port>` (in Chromium the SDK's socket lives in a
//! Blob Web Worker): login -> SDK_READY, alice's updateMyProfile, joins (anonymous: long poll),
//! join tip, a text and a custom message with priority High, both received with alice's nick,
//! avatar and priority, getGroupOnlineMemberCount, quitGroup -> quit tip, logout. The script
//! prints one JSON line per SDK, which this test asserts on.
//!
//! Chromium (Debian package `chromium`) and tests/browser/node_modules are installed by
//! `scripts/test`; without them this test fails, it never skips. `BROWSER_DEBUG=1` (steps and
//! page console), `2` (+ SDK logs) or `3` (+ every WebSocket frame) adds detail to the stderr
//! shown on failure; screenshots of every page are kept under target/tmp/web_sdk_browser/.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Database, SDKAPPID, TestServer, sig};
use serde_json::{Value, json};
use tokio::process::Command;

/// A room per SDK version, so that the second run does not see members of the first (a closed
/// page's instance keeps its rooms for the reconnect grace period).
const ROOMS: [(&str, &str); 2] = [("v3", "live1"), ("v2", "live2")];
/// run.js gives up by itself after 120 s; this is the backstop.
const RUN_TIMEOUT: Duration = Duration::from_secs(150);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Everything the run needs, or a failure that says how to get it.
fn prerequisites() -> (PathBuf, PathBuf, PathBuf) {
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        chromium.is_file(),
        "{} is missing: run scripts/test, which installs the Debian package chromium (this test never skips)",
        chromium.display()
    );
    let browser_dir = root().join("tests/browser");
    let playwright = browser_dir.join("node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "{} is missing: run scripts/test, which runs npm ci in tests/browser (this test never skips)",
        playwright.display()
    );
    let sdk_dir = match std::env::var("ROOMCAST_TEST_SDK_DIR") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root().join("tests/sdk"),
    };
    for bundle in ["@tencentcloud/chat/index.js", "tim-js-sdk/tim-js.js"] {
        let path = sdk_dir.join("node_modules").join(bundle);
        assert!(path.is_file(), "{} is missing: run scripts/test, which runs npm ci in tests/sdk", path.display());
    }
    (chromium, browser_dir, sdk_dir)
}

fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
    &text[start..]
}

/// Runs the browser scenario for both SDKs; returns the result line of each, by SDK.
async fn run_browser(srv: &TestServer, chromium: &Path, browser_dir: &Path, sdk_dir: &Path) -> HashMap<String, Value> {
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web_sdk_browser");
    let _ = std::fs::remove_dir_all(&screenshots);
    let ws_url = srv.base().replacen("http://", "ws://", 1);
    let mut cmd = Command::new("node");
    cmd.current_dir(browser_dir)
        .arg("run.js")
        .env("ROOMCAST_URL", &ws_url)
        .env("SDKAPPID", SDKAPPID.to_string())
        .env("GROUP_ID", ROOMS[0].1)
        .env("ALICE_SIG", sig("alice"))
        .env("BOB_SIG", sig("bob"))
        .env("ROOMCAST_TEST_SDK_DIR", sdk_dir)
        .env("CHROMIUM", chromium)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("SDKS", ROOMS.map(|(sdk, _)| sdk).join(","))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (sdk, group) in ROOMS {
        cmd.env(format!("GROUP_ID_{}", sdk.to_uppercase()), group);
    }
    let started = Instant::now();
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run node in {}: {e}", browser_dir.display()));
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("tests/browser/run.js did not end within {RUN_TIMEOUT:?}"))
        .expect("waiting for node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("run.js took {:.1} s; screenshots in {}", started.elapsed().as_secs_f64(), screenshots.display());

    let mut results = HashMap::new();
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let Ok(value) = serde_json::from_str::<Value>(line) else { continue };
        if let Some(sdk) = value["sdk"].as_str() {
            results.insert(sdk.to_owned(), value);
        } else if let Some(error) = value["error"].as_str() {
            errors.push(error.to_owned());
        }
    }
    let failed_steps: Vec<String> = results
        .values()
        .flat_map(|r| {
            let sdk = r["sdk"].as_str().unwrap_or("?").to_owned();
            r["steps"].as_array().into_iter().flatten().filter(|s| s["ok"] != true).map(move |s| {
                format!("{sdk} {}: {}", s["name"].as_str().unwrap_or("?"), s["error"].as_str().unwrap_or(""))
            })
        })
        .collect();
    assert!(
        output.status.success() && errors.is_empty(),
        "tests/browser/run.js failed ({}): {errors:?}\nfailed steps:\n  {}\nscreenshots: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        failed_steps.join("\n  "),
        screenshots.display(),
        tail(&stdout, 20_000),
        tail(&stderr, 30_000),
    );
    if std::env::var("BROWSER_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!("run.js stderr:\n{}", tail(&stderr, 100_000));
    }
    results
}

fn assert_from_alice(r: &Value, who: &str, kind: &str, got: &Value, group: &str, nick: &str, avatar: &str) {
    let sdk = &r["sdk"];
    let sent = &r["sent"][kind];
    assert_eq!(got["from"], "alice", "{sdk} {who} {kind}: {got}");
    assert_eq!(got["nick"], nick, "{sdk} {who} {kind}: sender nick: {got}");
    assert_eq!(got["avatar"], avatar, "{sdk} {who} {kind}: sender avatar: {got}");
    assert_eq!(got["priority"], "High", "{sdk} {who} {kind}: {got}");
    assert_eq!(got["to"], group, "{sdk} {who} {kind}: {got}");
    assert_eq!(got["conversationID"], format!("GROUP{group}"), "{sdk} {who} {kind}: {got}");
    assert_eq!(got["ID"], sent["ID"], "{sdk} {who} {kind}: the message keeps the sender's ID: {got} vs {sent}");
    assert_eq!(got["sequence"], sent["sequence"], "{sdk} {who} {kind}: {got} vs {sent}");
    assert!(got["sequence"].as_u64().is_some_and(|s| s > 0), "{sdk} {who} {kind}: room sequence: {got}");
}

fn assert_tip(r: &Value, who: &str, tip: &Value, op: u64, group: &str) {
    let sdk = &r["sdk"];
    assert_eq!(tip["type"], "TIMGroupTipElem", "{sdk} {who}: {tip}");
    assert_eq!(tip["payload"]["operationType"], op, "{sdk} {who}: {tip}");
    assert_eq!(tip["payload"]["operatorID"], "alice", "{sdk} {who}: {tip}");
    assert_eq!(tip["payload"]["userIDList"], json!(["alice"]), "{sdk} {who}: {tip}");
    assert_eq!(tip["payload"]["groupID"], group, "{sdk} {who}: {tip}");
    assert_eq!(tip["to"], group, "{sdk} {who}: {tip}");
}

fn assert_sdk_result(r: &Value, sdk: &str, package: &str, group: &str, ws_url: &str) {
    assert_eq!(r["ok"], true, "{sdk}: {r:#}");
    let steps: Vec<&str> = r["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let expected = [
        "open_pages",
        "login",
        "update_profile",
        "join",
        "join_tip",
        "send",
        "receive",
        "online_count",
        "quit",
        "logout",
        "clean",
    ];
    assert_eq!(steps, expected, "{sdk}: steps");
    assert!(r["steps"].as_array().unwrap().iter().all(|s| s["ok"] == true), "{sdk}: {r:#}");
    assert_eq!(r["package"], package, "{sdk}");
    assert_eq!(r["sdkVersion"], r["version"], "{sdk}: the page ran the bundle of the installed package");
    assert!(r["userAgent"].as_str().unwrap_or_default().contains("HeadlessChrome/"), "{sdk}: {}", r["userAgent"]);
    assert_eq!(r["group"], group, "{sdk}");

    // One socket per page, to roomcast's /binfo (binary frames), none elsewhere, no reconnect.
    let sockets: Vec<&str> = r["sockets"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let mut expected_sockets: Vec<String> =
        ["alice", "bob", "anon"].iter().map(|c| format!("{c} {ws_url}/binfo")).collect();
    let mut sorted = sockets.clone();
    sorted.sort_unstable();
    expected_sockets.sort_unstable();
    assert_eq!(sorted, expected_sockets, "{sdk}: sockets");

    for who in ["alice", "bob"] {
        assert_eq!(r["login"][who]["actionStatus"], "OK", "{sdk} {who}: {}", r["login"]);
        assert_eq!(r["login"][who]["errorCode"], 0, "{sdk} {who}: {}", r["login"]);
        let events: Vec<&str> = r["events"][who].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        let ready = events.iter().position(|e| *e == "SDK_READY").unwrap_or_else(|| panic!("{sdk} {who}: {events:?}"));
        let not_ready =
            events.iter().rposition(|e| *e == "SDK_NOT_READY").unwrap_or_else(|| panic!("{sdk} {who}: {events:?}"));
        assert!(ready < not_ready, "{sdk} {who}: {events:?}");
        assert!(!events.contains(&"KICKED_OUT"), "{sdk} {who}: {events:?}");
    }

    let nick = format!("Alice ({sdk})");
    let avatar = format!("https://img.example/alice-{sdk}.png");
    assert_eq!(r["profile"]["set"], json!({"nick": nick, "avatar": avatar}), "{sdk}: {}", r["profile"]);
    // userID may be "" when the SDK's own profile fetch answers after the update (see run.js).
    let updated = &r["profile"]["updated"];
    assert_eq!((&updated["nick"], &updated["avatar"]), (&json!(nick), &json!(avatar)), "{sdk}: {updated}");

    assert_eq!(r["joins"]["anon"]["status"], "JoinedSuccess", "{sdk}: {}", r["joins"]);
    for who in ["alice", "bob"] {
        assert_eq!(
            r["joins"][who],
            json!({"status": "JoinedSuccess", "group": {"groupID": group, "type": "AVChatRoom"}})
        );
    }
    for who in ["bob", "anon"] {
        assert_tip(r, who, &r["joinTips"][who], 1, group);
        assert_tip(r, who, &r["quit"][who], 2, group);
    }

    assert_eq!(r["sent"]["text"]["payload"]["text"], "hello from chromium", "{sdk}: {}", r["sent"]);
    assert_eq!(r["sent"]["text"]["priority"], "High", "{sdk}: {}", r["sent"]);
    assert_eq!(r["sent"]["custom"]["priority"], "High", "{sdk}: {}", r["sent"]);
    let (text_seq, custom_seq) = (&r["sent"]["text"]["sequence"], &r["sent"]["custom"]["sequence"]);
    assert!(text_seq.as_u64() < custom_seq.as_u64(), "{sdk}: sequences {text_seq} then {custom_seq}");
    for who in ["bob", "anon"] {
        let got = &r["received"][who];
        assert_from_alice(r, who, "text", &got["text"], group, &nick, &avatar);
        assert_eq!(got["text"]["payload"]["text"], "hello from chromium", "{sdk} {who}");
        assert_from_alice(r, who, "custom", &got["custom"], group, &nick, &avatar);
        let payload = &got["custom"]["payload"];
        assert_eq!(payload["data"], r#"{"gift":1}"#, "{sdk} {who}: {payload}");
        assert_eq!(payload["description"], "gift", "{sdk} {who}: {payload}");
        assert_eq!(payload["extension"], "x", "{sdk} {who}: {payload}");
    }

    assert_eq!(r["onlineCount"], 3, "{sdk}: alice, bob and the anonymous viewer are online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_live_room_with_both_sdks() {
    let (chromium, browser_dir, sdk_dir) = prerequisites();
    let srv = TestServer::start(Database::sqlite()).await;
    for (_, group) in ROOMS {
        srv.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": group}))
            .await;
    }
    let results = run_browser(&srv, &chromium, &browser_dir, &sdk_dir).await;
    let ws_url = srv.base().replacen("http://", "ws://", 1);
    for ((sdk, group), package) in ROOMS.into_iter().zip(["@tencentcloud/chat", "tim-js-sdk"]) {
        let r = results.get(sdk).unwrap_or_else(|| panic!("no result line for {sdk}: {results:?}"));
        assert_sdk_result(r, sdk, package, group, &ws_url);
    }
    assert_eq!(results["v3"]["version"], "3.6.6", "the pinned @tencentcloud/chat");
    assert_eq!(results["v2"]["version"], "2.27.6", "the pinned tim-js-sdk");
}
