//! Drives the real, unmodified official Web SDKs in Node (tests/sdk/scenario.js, helpers in
//! tests/sdk/lib.js) for tests/web_sdk_node.rs and tests/web_sdk_callbacks.rs.
//!
//! A scenario is a Node script that creates SDK instances with
//! `proxyServer: ws://127.0.0.1:<port>`, drives them and waits (bounded) for their events. When
//! the test has to act (REST calls, answers of the callback receiver, checks), the script prints
//! `{"step": name, …}` and waits; the test acts and answers one JSON line. The script ends with
//! `{"result": …}`, which the test asserts on, or `{"error": …}`.
//!
//! The SDKs are installed by `scripts/test` (npm ci in tests/sdk), which exports
//! ROOMCAST_TEST_SDK_DIR. Without it these tests fail; they are never skipped.
//! `SDK_DEBUG=1` (events), `2` (+ SDK logs) or `3` (+ every WebSocket frame) adds detail to the
//! stderr shown when a scenario fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::{SDKAPPID, TestServer, sig};

/// The AVChatRoom the scenarios use (GROUP_ID).
pub const GROUP: &str = "live1";
/// Longer than the scripts' own hard timeout (30 s), so a stuck script reports itself first.
const LINE_TIMEOUT: Duration = Duration::from_secs(45);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `@tencentcloud/chat` 3.6.6
    V3,
    /// `tim-js-sdk` 2.27.6
    V2,
}

impl Sdk {
    pub fn name(self) -> &'static str {
        match self {
            Sdk::V3 => "v3",
            Sdk::V2 => "v2",
        }
    }
}

/// tests/sdk with the SDKs installed, or a failure that says how to get it.
pub fn sdk_dir() -> PathBuf {
    match std::env::var("ROOMCAST_TEST_SDK_DIR") {
        Ok(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            for package in ["@tencentcloud/chat", "tim-js-sdk", "ws"] {
                let manifest = dir.join("node_modules").join(package).join("package.json");
                assert!(
                    manifest.is_file(),
                    "{} is missing: run scripts/test (npm ci in tests/sdk)",
                    manifest.display()
                );
            }
            dir
        }
        _ => panic!(
            "ROOMCAST_TEST_SDK_DIR is not set: run scripts/test, which installs the official Web SDKs \
             (npm ci in tests/sdk) and sets it (these tests never skip)"
        ),
    }
}

/// One running scenario script.
pub struct Scenario {
    pub label: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl Scenario {
    /// Starts `node scenario.js <name>` with the SDK, the server's port and UserSigs for
    /// alice and bob; `env` adds more variables.
    pub async fn start(srv: &TestServer, sdk: Sdk, name: &str, env: &[(&str, String)]) -> Self {
        let dir = sdk_dir();
        let port = srv.server.as_ref().unwrap().addr.port();
        let mut cmd = Command::new("node");
        cmd.current_dir(&dir)
            .arg("scenario.js")
            .arg(name)
            .env("SDK", sdk.name())
            .env("SDKAPPID", SDKAPPID.to_string())
            .env("ROOMCAST_PORT", port.to_string())
            .env("GROUP_ID", GROUP)
            .env("USERSIG_ALICE", sig("alice"))
            .env("USERSIG_BOB", sig("bob"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run node in {}: {e}", dir.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut scenario = Self { label: format!("{name} ({})", sdk.name()), child, stdin, stdout, stderr };
        let first = scenario.next().await;
        assert_eq!(first["started"], name, "{}: unexpected first line {first}", scenario.label);
        scenario
    }

    /// The last 20 000 bytes of the script's stderr.
    pub fn stderr_tail(&self) -> String {
        let s = self.stderr.lock().unwrap();
        let start = s.len().saturating_sub(20_000);
        let start = (start..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
        s[start..].to_owned()
    }

    /// The next JSON line; fails the test on `{"error"}`, end of output or timeout.
    pub async fn next(&mut self) -> Value {
        loop {
            let line = match tokio::time::timeout(LINE_TIMEOUT, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => {
                    let status = self.child.wait().await;
                    panic!(
                        "{}: the script ended without a result ({status:?})\nstderr:\n{}",
                        self.label,
                        self.stderr_tail()
                    )
                }
                Ok(Err(e)) => panic!("{}: reading the script's output: {e}", self.label),
                Err(_) => panic!("{}: no output for {LINE_TIMEOUT:?}\nstderr:\n{}", self.label, self.stderr_tail()),
            };
            // Anything that is not a JSON object is noise (the protocol lines are objects).
            let Ok(value) = serde_json::from_str::<Value>(&line) else { continue };
            if !value.is_object() {
                continue;
            }
            if let Some(error) = value.get("error") {
                panic!("{}: {}\nstderr:\n{}", self.label, error.as_str().unwrap_or_default(), self.stderr_tail());
            }
            return value;
        }
    }

    /// Waits for the script to reach step `name`, and returns the step's line (with any data
    /// the script attached).
    pub async fn step(&mut self, name: &str) -> Value {
        let line = self.next().await;
        assert_eq!(line["step"], name, "{}: expected step {name}, got {line}", self.label);
        line
    }

    /// Lets the script go on after a step.
    pub async fn resume(&mut self, answer: Value) {
        let mut line = answer.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The scenario's result; the script must then exit with status 0.
    pub async fn result(mut self) -> Value {
        let line = self.next().await;
        let Some(result) = line.get("result").cloned() else {
            panic!("{}: expected the result, got {line}", self.label)
        };
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{}: the script did not exit after its result", self.label))
            .unwrap();
        assert!(status.success(), "{}: exit status {status}\nstderr:\n{}", self.label, self.stderr_tail());
        if std::env::var("SDK_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0") {
            eprintln!("{} stderr:\n{}", self.label, self.stderr.lock().unwrap());
        }
        result
    }
}

/// Declares each listed `async fn name(sdk: Sdk)` of the calling file as two tests, `v3::name`
/// and `v2::name`.
#[macro_export]
macro_rules! with_both_sdks {
    ($($name:ident),* $(,)?) => {
        mod v3 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::sdk_driver::Sdk::V3).await
            })*
        }
        mod v2 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::sdk_driver::Sdk::V2).await
            })*
        }
    };
}
