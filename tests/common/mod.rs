//! Test support: a real roomcast on an ephemeral loopback port, over SQLite (a temp file) or
//! PostgreSQL (a fresh database on the server named by TEST_DATABASE_URL).
#![allow(dead_code)]

pub mod receiver;
pub mod sdk_driver;
pub mod ws_client;

use std::sync::atomic::{AtomicU32, Ordering};

use roomcast::app::{self, RunningServer};
use roomcast::auth::usersig;
use roomcast::config::Config;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const SDKAPPID: u64 = 1_400_000_001;
pub const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const ADMIN: &str = "administrator";

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

pub fn sig(user: &str) -> String {
    usersig::issue(SDKAPPID, SECRET, user, 86_400, now())
}

/// A `MsgBody` holding one text element.
pub fn text(t: &str) -> Value {
    serde_json::json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// `user` logged in over the SDK protocol (instance `inst-<user>-<group>`, binary frames) and
/// joined to `group`.
pub async fn member(s: &TestServer, user: &str, group: &str) -> ws_client::SdkClient {
    let instance = format!("inst-{user}-{group}");
    let mut c = ws_client::SdkClient::connect(&s.base(), SDKAPPID, &instance, true).await;
    assert_eq!(c.login(user, &sig(user)).await["ErrorCode"], 0);
    let join = c.call("group_open_http_svc.apply_join_group", serde_json::json!({"GroupId": group})).await;
    assert_eq!(join["ErrorCode"], 0, "{join}");
    c
}

/// Where a test server keeps its data; kept alive for restarts.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Database {
    pub fn sqlite() -> Self {
        Database::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A new, empty database on the PostgreSQL server of TEST_DATABASE_URL. Never skipped:
    /// without that variable the test fails and says how to provide it.
    pub async fn postgres() -> Self {
        use sqlx::Connection;
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_DATABASE_URL is not set: run scripts/test, which starts PostgreSQL and sets it");
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!("rc_{}_{}_{}", std::process::id(), now() % 100_000, COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let base = admin_url.rsplit_once('/').expect("URL with a database name").0;
        Database::Postgres(format!("{base}/{name}"))
    }

    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(dir) => format!("sqlite://{}/roomcast.db", dir.path().display()),
            Database::Postgres(url) => url.clone(),
        }
    }
}

pub struct TestServer {
    pub db: Database,
    pub config: Config,
    pub server: Option<RunningServer>,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start(db: Database) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// Starts with the test app configured, after `tweak` adjusts the config.
    pub async fn start_with(db: Database, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::default();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database.url = db.url();
        config.app.sdkappid = Some(SDKAPPID);
        config.app.secret_key = Some(SECRET.into());
        tweak(&mut config);
        let server = app::start(&config, CancellationToken::new()).await.expect("server starts");
        Self { db, config, server: Some(server), http: reqwest::Client::new() }
    }

    /// Stops the server and starts a new one on the same database and config.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().stop().await.unwrap();
        self.server = Some(app::start(&self.config, CancellationToken::new()).await.expect("server restarts"));
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.server.as_ref().unwrap().addr)
    }

    /// The URL of a REST command called as `identifier` with `usersig`.
    pub fn url_as(&self, path: &str, sdkappid: u64, identifier: &str, usersig: &str) -> String {
        format!(
            "{}/v4/{path}?sdkappid={sdkappid}&identifier={identifier}&usersig={usersig}&random=99&contenttype=json",
            self.base()
        )
    }

    /// POSTs raw bytes and returns the parsed envelope; the HTTP status must be 200.
    pub async fn post_raw(&self, url: &str, body: impl Into<reqwest::Body>) -> Value {
        let res = self.http.post(url).body(body).send().await.unwrap();
        assert_eq!(res.status(), 200, "REST answers HTTP 200 for business outcomes");
        res.json().await.unwrap()
    }

    /// Calls `service/command` as the administrator.
    pub async fn rest(&self, path: &str, body: Value) -> Value {
        let url = self.url_as(path, SDKAPPID, ADMIN, &sig(ADMIN));
        self.post_raw(&url, body.to_string()).await
    }

    /// Calls a command that must succeed, and returns its reply.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let reply = self.rest(path, body.clone()).await;
        assert_eq!(reply["ActionStatus"], "OK", "{path} {body} -> {reply}");
        assert_eq!(reply["ErrorCode"], 0);
        reply
    }

    /// Calls a command that must fail with `code`, and returns its reply.
    pub async fn fails(&self, path: &str, body: Value, code: u32) -> Value {
        let reply = self.rest(path, body.clone()).await;
        assert_failed(&reply, code);
        reply
    }
}

pub fn assert_failed(reply: &Value, code: u32) {
    assert_eq!(reply["ActionStatus"], "FAIL", "expected {code}: {reply}");
    assert_eq!(reply["ErrorCode"], code, "{reply}");
    assert!(!reply["ErrorInfo"].as_str().unwrap_or_default().is_empty(), "ErrorInfo explains: {reply}");
}

/// Declares each listed `async fn name(srv: TestServer)` as two tests, one per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::common::TestServer::start($crate::common::Database::sqlite()).await).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::common::TestServer::start($crate::common::Database::postgres().await).await).await
            })*
        }
    };
}
