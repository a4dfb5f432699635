//! Typed configuration: defaults < config file (TOML) < environment.
//!
//! Every field has a documented default (see `config/roomcast.example.toml`, which a test
//! parses). The environment overrides the file in two ways:
//! - the short names operators use: `ROOMCAST_LISTEN`, `ROOMCAST_DATABASE_URL`,
//!   `ROOMCAST_SDKAPPID`, `ROOMCAST_SECRET_KEY`, `ROOMCAST_ADMINS` (comma list),
//!   `ROOMCAST_LOG_FORMAT`, `ROOMCAST_LOG`, `ROOMCAST_CALLBACK_URL`, `ROOMCAST_CALLBACK_TOKEN`;
//! - any field by path, with `__` between levels: `ROOMCAST__REST__RATE_LIMIT_PER_SEC=500`.
//! [`Config::validate`] reports every problem at once.

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the HTTP listener (REST API, and later the WebSocket gateway).
    pub listen: SocketAddr,
    pub database: DatabaseConfig,
    pub app: AppConfig,
    pub rest: RestConfig,
    pub room: RoomSettings,
    pub gateway: GatewayConfig,
    pub callback: CallbackConfig,
    pub log: LogConfig,
    pub web: WebConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user:pass@host/db`.
    pub url: String,
    /// Upper bound of the connection pool.
    pub max_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// SDKAppID of the application. When neither this nor `secret_key` is set, the first
    /// start creates a development app, stores it and prints its credentials.
    pub sdkappid: Option<u64>,
    /// The app's secret key, used to sign and verify UserSigs (TLSSigAPIv2).
    pub secret_key: Option<String>,
    /// App administrator accounts (at most 5). REST calls must be made as one of them.
    #[serde(deserialize_with = "list_or_comma_string")]
    pub admins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestConfig {
    /// Largest accepted request body; larger bodies are refused with 60008.
    pub body_limit_bytes: usize,
    /// REST calls per second per SDKAppID before 60007 (Tencent's default is 200).
    pub rate_limit_per_sec: u32,
    /// A REST request that takes longer than this is answered with 60008.
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomSettings {
    /// Messages each room delivers per second at most (Tencent: 40); higher priorities win.
    pub max_messages_per_sec: u32,
    /// How long a room gathers sends before deciding them together, in milliseconds.
    pub tick_ms: u64,
    /// Items kept per room for long-polling members.
    pub recent_items: usize,
    /// Join and quit tips to the room; turn off for huge rooms.
    pub member_tips: bool,
    /// Per-group overrides of `max_messages_per_sec`, by GroupId.
    pub group_message_limits: std::collections::BTreeMap<String, u32>,
    /// Hand joiners recent messages in the join answer (a group's `HistoryMsgBeforeJoin`
    /// overrides this). Off by default, as in Tencent's AVChatRoom.
    pub history_before_join: bool,
    /// How many recent messages a joiner gets at most (1 to 50), from the last 24 hours.
    pub history_messages: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Seconds between the SDK's `wshello` keep-alives (sent to the SDK at login).
    pub hello_interval_secs: u64,
    /// How long an SDK instance keeps its rooms after its socket drops, waiting for a reconnect.
    pub reconnect_grace_secs: u64,
    /// Validity of the A2 session tickets issued at login, in seconds.
    pub ticket_ttl_secs: u64,
    /// Items queued per SDK instance before lower priorities are shed.
    pub outbox_capacity: usize,
    /// Server frames at least this large are sent as `COMP` + gzip when the SDK allows it.
    pub compress_min_bytes: usize,
    /// Room items are written on this clock, in milliseconds: the items of a tick go out as one
    /// push frame, built once and shared by every member. 0 writes each item at once.
    pub push_tick_ms: u64,
    /// Seconds a socket may stay silent before it is closed (the SDK sends a keep-alive every 10 s).
    pub idle_timeout_secs: u64,
    /// `kick_older` (Tencent's default for the Web: a newer login of a user ends the older one)
    /// or `allow` (any number of simultaneous logins).
    pub multi_login: MultiLogin,
}

/// Third-party callbacks (webhooks) to the business backend, in Tencent's format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackConfig {
    /// The backend's callback URL; empty turns callbacks off.
    pub url: String,
    /// When set, requests carry `RequestTime` and `Sign` = hex sha256(token + RequestTime).
    pub token: String,
    /// How long a callback may take, in milliseconds (Tencent: 2 s).
    pub timeout_ms: u64,
    /// What a before-callback that times out, fails or answers nonsense means: `allow` or `reject`.
    pub before_failure: FailurePolicy,
    /// After-callbacks waiting to be sent; when full, the newest is dropped and counted.
    pub queue_size: usize,
    /// Concurrent senders of after-callbacks.
    pub workers: usize,
    /// Callback commands not to send, e.g. `["State.StateChange"]`.
    pub disabled: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    Allow,
    Reject,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: String::new(),
            timeout_ms: 2000,
            before_failure: FailurePolicy::Allow,
            queue_size: 10_000,
            workers: 4,
            disabled: Vec::new(),
        }
    }
}

/// The browser pages: landing page, demo live room and operator console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Folder holding `index.html`, `demo/`, `console/` and `assets/`; relative to the working
    /// directory. Empty turns the pages off.
    pub dir: String,
    /// Folder of the `@tencentcloud/chat` npm package the pages load (served at `/sdk/chat/`).
    pub sdk_dir: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { dir: "web".into(), sdk_dir: "web/node_modules/@tencentcloud/chat".into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiLogin {
    KickOlder,
    Allow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` (default) or `json` (one object per line).
    pub format: LogFormat,
    /// A tracing filter directive such as `info` or `roomcast=debug,sqlx=warn`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid literal address"),
            database: DatabaseConfig::default(),
            app: AppConfig::default(),
            rest: RestConfig::default(),
            room: RoomSettings::default(),
            gateway: GatewayConfig::default(),
            callback: CallbackConfig::default(),
            log: LogConfig::default(),
            web: WebConfig::default(),
        }
    }
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            max_messages_per_sec: 40,
            tick_ms: 10,
            recent_items: 1000,
            member_tips: true,
            group_message_limits: Default::default(),
            history_before_join: false,
            history_messages: 20,
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            hello_interval_secs: 30,
            reconnect_grace_secs: 60,
            ticket_ttl_secs: 7 * 24 * 3600,
            outbox_capacity: 1024,
            compress_min_bytes: 8192,
            push_tick_ms: 100,
            idle_timeout_secs: 60,
            multi_login: MultiLogin::KickOlder,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://data/roomcast.db".into(), max_connections: 8 }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self { sdkappid: None, secret_key: None, admins: vec!["administrator".into()] }
    }
}

impl Default for RestConfig {
    fn default() -> Self {
        Self { body_limit_bytes: 256 * 1024, rate_limit_per_sec: 200, request_timeout_secs: 10 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Human, level: "info".into() }
    }
}

/// Short environment names and the config paths they set.
const SHORT_ENV: &[(&str, &str)] = &[
    ("ROOMCAST_LISTEN", "listen"),
    ("ROOMCAST_DATABASE_URL", "database.url"),
    ("ROOMCAST_SDKAPPID", "app.sdkappid"),
    ("ROOMCAST_SECRET_KEY", "app.secret_key"),
    ("ROOMCAST_ADMINS", "app.admins"),
    ("ROOMCAST_LOG_FORMAT", "log.format"),
    ("ROOMCAST_LOG", "log.level"),
    ("ROOMCAST_CALLBACK_URL", "callback.url"),
    ("ROOMCAST_CALLBACK_TOKEN", "callback.token"),
];

impl Config {
    /// Loads defaults, then `file` if given, then the environment, and validates the result.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            anyhow::ensure!(path.exists(), "config file {} does not exist", path.display());
            figment = figment.merge(Toml::file_exact(path));
        }
        let short = Env::raw()
            .filter(|k| SHORT_ENV.iter().any(|(name, _)| k.as_str().eq_ignore_ascii_case(name)))
            .map(|k| {
                let path = SHORT_ENV.iter().find(|(name, _)| k.as_str().eq_ignore_ascii_case(name)).map(|(_, p)| *p);
                path.unwrap_or_default().into()
            })
            .lowercase(false);
        figment = figment.merge(short).merge(Env::prefixed("ROOMCAST__").split("__"));
        let config: Config = figment.extract()?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document on top of the defaults, without the environment (for tests).
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let config: Config =
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)).extract()?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every rule and reports all violations in one error.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        match (&self.app.sdkappid, &self.app.secret_key) {
            (Some(_), None) => problems.push("app.sdkappid is set but app.secret_key is not".to_owned()),
            (None, Some(_)) => problems.push("app.secret_key is set but app.sdkappid is not".to_owned()),
            (_, Some(key)) if key.trim().is_empty() => problems.push("app.secret_key is empty".to_owned()),
            _ => {}
        }
        if self.app.admins.is_empty() || self.app.admins.len() > 5 {
            problems.push(format!("app.admins must list 1 to 5 accounts, not {}", self.app.admins.len()));
        }
        for admin in &self.app.admins {
            if let Err(why) = crate::commands::validate::user_id(admin) {
                problems.push(format!("app.admins: {admin:?}: {why}"));
            }
        }
        let scheme = self.database.url.split(':').next().unwrap_or_default();
        if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
            problems.push(format!("database.url must start with sqlite: or postgres:, not {scheme:?}"));
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections must be at least 1".to_owned());
        }
        if self.rest.rate_limit_per_sec == 0 {
            problems.push("rest.rate_limit_per_sec must be at least 1".to_owned());
        }
        if self.rest.body_limit_bytes < 1024 {
            problems.push("rest.body_limit_bytes must be at least 1024".to_owned());
        }
        if self.rest.request_timeout_secs == 0 {
            problems.push("rest.request_timeout_secs must be at least 1".to_owned());
        }
        if self.room.max_messages_per_sec == 0 {
            problems.push("room.max_messages_per_sec must be at least 1".to_owned());
        }
        if self.room.group_message_limits.values().any(|&n| n == 0) {
            problems.push("room.group_message_limits values must be at least 1".to_owned());
        }
        if self.room.tick_ms == 0 || self.room.tick_ms > 1000 {
            problems.push("room.tick_ms must be between 1 and 1000".to_owned());
        }
        if self.room.recent_items == 0 {
            problems.push("room.recent_items must be at least 1".to_owned());
        }
        if self.gateway.push_tick_ms > 1000 {
            problems.push("gateway.push_tick_ms must be at most 1000".to_owned());
        }
        if !(1..=50).contains(&self.room.history_messages) {
            problems.push("room.history_messages must be between 1 and 50".to_owned());
        }
        if self.gateway.outbox_capacity < 16 {
            problems.push("gateway.outbox_capacity must be at least 16".to_owned());
        }
        if self.gateway.hello_interval_secs == 0
            || self.gateway.ticket_ttl_secs == 0
            || self.gateway.idle_timeout_secs < 15
        {
            problems.push("gateway intervals must be positive, and idle_timeout_secs at least 15".to_owned());
        }
        if !self.callback.url.is_empty() && reqwest::Url::parse(&self.callback.url).is_err() {
            problems.push(format!("callback.url {:?} is not a URL", self.callback.url));
        }
        if self.callback.timeout_ms == 0 || self.callback.queue_size == 0 || self.callback.workers == 0 {
            problems.push("callback.timeout_ms, queue_size and workers must be at least 1".to_owned());
        }
        if let Err(e) = self.log.level.parse::<tracing_subscriber::EnvFilter>() {
            problems.push(format!("log.level {:?} is not a valid filter: {e}", self.log.level));
        }
        anyhow::ensure!(problems.is_empty(), "invalid configuration:\n  - {}", problems.join("\n  - "));
        Ok(())
    }
}

/// Accepts `["a", "b"]` from TOML and `"a,b"` from the environment.
fn list_or_comma_string<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        Text(String),
    }
    let items = match ListOrString::deserialize(d)? {
        ListOrString::List(list) => list,
        ListOrString::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
