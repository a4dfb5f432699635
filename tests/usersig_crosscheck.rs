//! UserSig cross-checks against Tencent's official libraries (PyPI and npm `tls-sig-api-v2`).
//!
//! - Tokens issued by the official Python and Node libraries are accepted by a real server, and
//!   refused with the right code when made for another identifier, key or SDKAppID.
//! - Tokens issued by roomcast (`usersig::issue`, and the `roomcast usersig` command) are
//!   accepted by a verifier built on the official Python library (tests/crosscheck/verify_python.py).
//!   The Node library has no decoder or verifier, so there is no Node counterpart.
//!
//! The libraries are installed by `scripts/test`, which exports ROOMCAST_TEST_PYTHON (a venv's
//! python with tls-sig-api-v2) and ROOMCAST_TEST_NODE_MODULES (tests/crosscheck/node_modules).
//! Without them these tests fail; they are never skipped.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{ADMIN, Database, SDKAPPID, SECRET, TestServer};
use roomcast::auth::usersig;
use serde_json::{Value, json};

const WRONG_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

fn required_env(name: &str, what: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: run scripts/test, which installs {what} and sets it \
             (these cross-checks never skip)"
        ),
    }
}

fn python() -> String {
    required_env(
        "ROOMCAST_TEST_PYTHON",
        "the official Python library (PyPI tls-sig-api-v2) into target/test-tools/venv",
    )
}

fn node_modules() -> String {
    required_env(
        "ROOMCAST_TEST_NODE_MODULES",
        "the official Node library (npm tls-sig-api-v2) into tests/crosscheck/node_modules",
    )
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck").join(name)
}

/// Runs `cmd`, which must succeed, and returns its trimmed standard output.
fn stdout_of(mut cmd: Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}", out.status);
    assert!(!stdout.is_empty(), "{cmd:?} printed nothing; stderr: {stderr}");
    stdout
}

#[derive(Clone, Copy, Debug)]
enum Official {
    Python,
    Node,
}

const BOTH: [Official; 2] = [Official::Python, Official::Node];

/// A UserSig issued now by the official library.
fn official_sig(lib: Official, sdkappid: u64, key: &str, identifier: &str, expire: u64) -> String {
    let args = [sdkappid.to_string(), key.to_owned(), identifier.to_owned(), expire.to_string()];
    let cmd = match lib {
        Official::Python => {
            let mut cmd = Command::new(python());
            cmd.arg(script("gen_python.py")).args(&args);
            cmd
        }
        Official::Node => {
            let mut cmd = Command::new("node");
            cmd.env("NODE_PATH", node_modules()).arg(script("gen_node.js")).args(&args);
            cmd
        }
    };
    stdout_of(cmd)
}

/// Verifies with the official Python library: Ok(()) or Err(its reason).
fn verify_python(sdkappid: u64, key: &str, identifier: &str, sig: &str) -> Result<(), String> {
    let out = Command::new(python())
        .arg(script("verify_python.py"))
        .arg(sdkappid.to_string())
        .arg(key)
        .arg(identifier)
        .arg(sig)
        .output()
        .expect("run verify_python.py");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match out.status.code() {
        Some(0) if stdout == "ok" => Ok(()),
        Some(1) => Err(stdout),
        _ => panic!("verify_python.py broke ({}): {stdout} {}", out.status, String::from_utf8_lossy(&out.stderr)),
    }
}

/// Calls account_check as `identifier` with `sig` and returns the envelope.
async fn account_check(srv: &TestServer, identifier: &str, sig: &str) -> Value {
    let url = srv.url_as("im_open_login_svc/account_check", SDKAPPID, identifier, sig);
    let body = json!({"CheckItem": [{"UserID": ADMIN}]});
    srv.post_raw(&url, body.to_string()).await
}

fn assert_refused(reply: &Value, code: u32, what: &str) {
    assert_eq!(reply["ActionStatus"], "FAIL", "{what}: {reply}");
    assert_eq!(reply["ErrorCode"], code, "{what}: {reply}");
}

#[tokio::test]
async fn python_library_tokens_are_accepted() {
    let srv = TestServer::start(Database::sqlite()).await;
    let sig = official_sig(Official::Python, SDKAPPID, SECRET, ADMIN, 3600);
    let reply = account_check(&srv, ADMIN, &sig).await;
    assert_eq!(reply["ActionStatus"], "OK", "{reply}");
    assert_eq!(reply["ErrorCode"], 0, "{reply}");
}

#[tokio::test]
async fn node_library_tokens_are_accepted() {
    let srv = TestServer::start(Database::sqlite()).await;
    let sig = official_sig(Official::Node, SDKAPPID, SECRET, ADMIN, 3600);
    let reply = account_check(&srv, ADMIN, &sig).await;
    assert_eq!(reply["ActionStatus"], "OK", "{reply}");
    assert_eq!(reply["ErrorCode"], 0, "{reply}");
}

#[tokio::test]
async fn library_tokens_of_the_default_180_day_validity_are_accepted() {
    let srv = TestServer::start(Database::sqlite()).await;
    for lib in BOTH {
        let sig = official_sig(lib, SDKAPPID, SECRET, ADMIN, usersig::DEFAULT_EXPIRE_SECS);
        let reply = account_check(&srv, ADMIN, &sig).await;
        assert_eq!(reply["ActionStatus"], "OK", "{lib:?}: {reply}");
    }
}

#[tokio::test]
async fn library_tokens_for_another_identifier_are_refused_with_70013() {
    let srv = TestServer::start(Database::sqlite()).await;
    for lib in BOTH {
        let sig = official_sig(lib, SDKAPPID, SECRET, "bob", 3600);
        let reply = account_check(&srv, ADMIN, &sig).await;
        assert_refused(&reply, 70013, &format!("{lib:?} token for bob used as {ADMIN}"));
    }
}

#[tokio::test]
async fn library_tokens_signed_with_another_key_are_refused_with_70005() {
    let srv = TestServer::start(Database::sqlite()).await;
    for lib in BOTH {
        let sig = official_sig(lib, SDKAPPID, WRONG_KEY, ADMIN, 3600);
        let reply = account_check(&srv, ADMIN, &sig).await;
        assert_refused(&reply, 70005, &format!("{lib:?} token with a wrong key"));
    }
}

#[tokio::test]
async fn library_tokens_for_another_sdkappid_are_refused_with_70014() {
    let srv = TestServer::start(Database::sqlite()).await;
    for lib in BOTH {
        let sig = official_sig(lib, SDKAPPID + 1, SECRET, ADMIN, 3600);
        let reply = account_check(&srv, ADMIN, &sig).await;
        assert_refused(&reply, 70014, &format!("{lib:?} token for another SDKAppID"));
    }
}

#[tokio::test]
async fn issued_tokens_verify_with_the_python_library() {
    for identifier in ["bob", ADMIN, "user_01-x", "直播间观众", "émile"] {
        let sig = usersig::issue(SDKAPPID, SECRET, identifier, 3600, common::now());
        assert_eq!(verify_python(SDKAPPID, SECRET, identifier, &sig), Ok(()), "{identifier}");
    }
}

#[tokio::test]
async fn the_python_verifier_is_not_vacuous() {
    // Guards the guard: verify_python.py must refuse what the server refuses.
    let now = common::now();
    let sig = usersig::issue(SDKAPPID, SECRET, "bob", 3600, now);
    let refused = |r: Result<(), String>, what: &str, needle: &str| {
        let why = r.expect_err(what);
        assert!(why.contains(needle), "{what}: {why}");
    };
    refused(verify_python(SDKAPPID, WRONG_KEY, "bob", &sig), "wrong key", "signature");
    refused(verify_python(SDKAPPID, SECRET, "alice", &sig), "wrong identifier", "identifier");
    refused(verify_python(SDKAPPID + 1, SECRET, "bob", &sig), "wrong sdkappid", "sdkappid");
    let old = usersig::issue(SDKAPPID, SECRET, "bob", 60, now - 3600);
    refused(verify_python(SDKAPPID, SECRET, "bob", &old), "expired", "expired");
    refused(verify_python(SDKAPPID, SECRET, "bob", &sig[..sig.len() - 8]), "truncated", "");
}

#[tokio::test]
async fn the_usersig_command_prints_tokens_the_python_library_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roomcast"));
    for (name, _) in std::env::vars() {
        if name.starts_with("ROOMCAST_") && !name.starts_with("ROOMCAST_TEST_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("ROOMCAST_SDKAPPID", SDKAPPID.to_string())
        .env("ROOMCAST_SECRET_KEY", SECRET)
        .env("ROOMCAST_DATABASE_URL", format!("sqlite://{}/x.db", dir.path().display()))
        .env("ROOMCAST_LOG", "warn")
        .args(["usersig", "--user", "bob", "--expire", "3600"]);
    let sig = stdout_of(cmd);
    assert!(!sig.contains(char::is_whitespace), "one token on stdout, got {sig:?}");
    assert_eq!(verify_python(SDKAPPID, SECRET, "bob", &sig), Ok(()));

    let doc = usersig::decode(&sig).unwrap();
    assert_eq!(doc["TLS.expire"], 3600, "{doc:?}");
    assert_eq!(doc["TLS.identifier"], "bob");
    assert_eq!(doc["TLS.sdkappid"], SDKAPPID);
}
