//! Third-party callbacks to the business backend, in Tencent's format.
//!
//! - **Before-callbacks** (`Group.CallbackBeforeSendMsg`, `Group.CallbackBeforeApplyJoinGroup`)
//!   are awaited by the one request they concern, with a hard deadline (`callback.timeout_ms`).
//!   A slow backend slows only that sender or joiner, never a room. A timeout, transport error or
//!   unreadable reply follows `callback.before_failure` and is counted.
//! - **After-callbacks** go into a bounded queue served by `callback.workers` tasks sharing one
//!   keep-alive HTTP client. Rooms never wait for them. When the queue is full the newest event
//!   is dropped and counted (`roomcast_callbacks_dropped_total`).
//! - **Delivery guarantee: at most once.** An event is sent once; a failed send is logged and
//!   counted (`roomcast_callback_failures_total`), not retried, as Tencent documents no retries.
//!
//! The settings can be replaced at run time ([`Webhooks::reload`], on SIGHUP).

mod transport;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::config::{CallbackConfig, FailurePolicy};
pub use transport::Origin;

pub const CALLBACKS_DROPPED: &str = "roomcast_callbacks_dropped_total";
pub const CALLBACK_FAILURES: &str = "roomcast_callback_failures_total";

/// The settings in force.
struct Settings {
    url: Option<reqwest::Url>,
    token: String,
    timeout: Duration,
    before_failure: FailurePolicy,
    disabled: HashSet<String>,
}

impl Settings {
    fn from_config(config: &CallbackConfig) -> Self {
        Self {
            url: (!config.url.is_empty()).then(|| reqwest::Url::parse(&config.url).ok()).flatten(),
            token: config.token.clone(),
            timeout: Duration::from_millis(config.timeout_ms),
            before_failure: config.before_failure,
            disabled: config.disabled.iter().cloned().collect(),
        }
    }

    fn sends(&self, command: &str) -> bool {
        self.url.is_some() && !self.disabled.contains(command)
    }
}

/// What the backend decided about a message or a join.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go ahead; a BeforeSendMsg reply may replace `MsgBody` and `CloudCustomData`.
    Allow { msg_body: Option<Value>, cloud_custom_data: Option<String> },
    /// Refuse with this code (10016, or the backend's own in 10100-10200).
    Reject { code: u32, info: String },
    /// Tell the sender it worked, deliver to nobody (BeforeSendMsg ErrorCode 2).
    Drop,
}

const ALLOW: Verdict = Verdict::Allow { msg_body: None, cloud_custom_data: None };

struct Job {
    origin: Origin,
    command: &'static str,
    body: Map<String, Value>,
}

pub struct Webhooks {
    settings: RwLock<Arc<Settings>>,
    client: reqwest::Client,
    queue: mpsc::Sender<Job>,
}

fn event_time_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Webhooks {
    /// Starts the after-callback workers on the current runtime.
    pub fn start(config: &CallbackConfig) -> Arc<Self> {
        let (queue, jobs) = mpsc::channel(config.queue_size.max(1));
        let client =
            reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(90)).build().expect("an HTTP client");
        let hooks = Arc::new(Self { settings: RwLock::new(Arc::new(Settings::from_config(config))), client, queue });
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..config.workers.max(1) {
            let (hooks, jobs) = (Arc::downgrade(&hooks), jobs.clone());
            tokio::spawn(async move {
                loop {
                    let Some(job) = jobs.lock().await.recv().await else { break };
                    let Some(hooks) = hooks.upgrade() else { break };
                    let settings = hooks.settings();
                    if let Err(e) = transport::post(&hooks.client, &settings, &job.origin, job.command, &job.body).await
                    {
                        metrics::counter!(CALLBACK_FAILURES, "command" => job.command).increment(1);
                        tracing::warn!(command = job.command, error = %e, "after-callback failed");
                    }
                }
            });
        }
        hooks
    }

    fn settings(&self) -> Arc<Settings> {
        self.settings.read().expect("settings lock").clone()
    }

    /// Replaces the settings; events already queued go to the new URL. The queue size and
    /// worker count stay as they were started.
    pub fn reload(&self, config: &CallbackConfig) {
        *self.settings.write().expect("settings lock") = Arc::new(Settings::from_config(config));
        tracing::info!(url = %config.url, "callback settings reloaded");
    }

    /// Whether `command` would be sent now.
    pub fn enabled(&self, command: &str) -> bool {
        self.settings().sends(command)
    }

    /// Queues an after-event; never waits. `body` gets `CallbackCommand` and `EventTime`.
    pub fn after(&self, origin: &Origin, command: &'static str, body: Value) {
        if !self.enabled(command) {
            return;
        }
        let Value::Object(mut body) = body else { return };
        body.insert("CallbackCommand".into(), json!(command));
        body.insert("EventTime".into(), json!(event_time_ms()));
        if self.queue.try_send(Job { origin: origin.clone(), command, body }).is_err() {
            metrics::counter!(CALLBACKS_DROPPED, "command" => command).increment(1);
            tracing::warn!(command, "after-callback queue full: event dropped");
        }
    }

    /// Asks the backend before a message or join, within the deadline.
    pub async fn before(&self, origin: &Origin, command: &'static str, body: Value) -> Verdict {
        let settings = self.settings();
        if !settings.sends(command) {
            return ALLOW;
        }
        let Value::Object(mut body) = body else { return ALLOW };
        body.insert("CallbackCommand".into(), json!(command));
        body.insert("EventTime".into(), json!(event_time_ms()));
        match transport::post(&self.client, &settings, origin, command, &body).await {
            Ok(reply) => verdict(&reply).unwrap_or_else(|| failed(&settings, command, "unreadable reply")),
            Err(e) => failed(&settings, command, &e.to_string()),
        }
    }
}

fn failed(settings: &Settings, command: &'static str, why: &str) -> Verdict {
    metrics::counter!(CALLBACK_FAILURES, "command" => command).increment(1);
    tracing::warn!(command, why, policy = ?settings.before_failure, "before-callback failed");
    match settings.before_failure {
        FailurePolicy::Allow => ALLOW,
        FailurePolicy::Reject => Verdict::Reject {
            code: crate::error::code::CALLBACK_REJECTED,
            info: format!("the App backend's callback failed: {why}"),
        },
    }
}

/// Reads a before-callback reply; `None` when it is not a reply at all.
fn verdict(reply: &Value) -> Option<Verdict> {
    let code = reply.get("ErrorCode")?.as_u64().or_else(|| reply["ErrorCode"].as_str()?.parse().ok())?;
    let info = reply.get("ErrorInfo").and_then(Value::as_str).unwrap_or_default().to_owned();
    Some(match code {
        0 => Verdict::Allow {
            msg_body: reply.get("MsgBody").filter(|b| b.is_array()).cloned(),
            cloud_custom_data: reply.get("CloudCustomData").and_then(Value::as_str).map(str::to_owned),
        },
        2 => Verdict::Drop,
        10100..=10200 => Verdict::Reject { code: code as u32, info },
        _ => Verdict::Reject {
            code: crate::error::code::CALLBACK_REJECTED,
            info: if info.is_empty() { "rejected by the App backend".to_owned() } else { info },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_map_to_verdicts() {
        assert_eq!(verdict(&json!({"ErrorCode": 0})), Some(ALLOW));
        assert_eq!(
            verdict(&json!({"ErrorCode": 1, "ErrorInfo": "no"})),
            Some(Verdict::Reject { code: 10016, info: "no".into() })
        );
        assert_eq!(verdict(&json!({"ErrorCode": 2})), Some(Verdict::Drop));
        assert_eq!(
            verdict(&json!({"ErrorCode": 10150, "ErrorInfo": "vip only"})),
            Some(Verdict::Reject { code: 10150, info: "vip only".into() })
        );
        assert_eq!(
            verdict(
                &json!({"ErrorCode": 0, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "***"}}], "CloudCustomData": "x"})
            ),
            Some(Verdict::Allow {
                msg_body: Some(json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "***"}}])),
                cloud_custom_data: Some("x".into())
            })
        );
        assert_eq!(verdict(&json!({"ErrorCode": "0"})), Some(ALLOW));
        assert_eq!(verdict(&json!({"nothing": true})), None);
    }
}
