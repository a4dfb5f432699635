//! A real HTTP server playing the business backend: it records every callback and answers
//! as each test tells it to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// How the backend answers one callback command.
#[derive(Clone)]
pub enum Answer {
    Reply(Value),
    /// Wait, then reply.
    Slow(Duration, Value),
    /// Answer HTTP 200 with a body that is not JSON.
    Garbage,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub query: HashMap<String, String>,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    answers: Mutex<HashMap<String, Answer>>,
    /// Answers for one GroupId, over the per-command answers.
    group_answers: Mutex<HashMap<String, Answer>>,
    arrived: Notify,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let command = query.get("CallbackCommand").cloned().unwrap_or_default();
    let group = body["GroupId"].as_str().unwrap_or_default().to_owned();
    shared.received.lock().unwrap().push(Received { query, body });
    shared.arrived.notify_waiters();
    let answer = shared
        .group_answers
        .lock()
        .unwrap()
        .get(&group)
        .cloned()
        .or_else(|| shared.answers.lock().unwrap().get(&command).cloned());
    match answer.unwrap_or(Answer::Reply(json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}))) {
        Answer::Reply(v) => Json(v).into_response(),
        Answer::Slow(wait, v) => {
            tokio::time::sleep(wait).await;
            Json(v).into_response()
        }
        Answer::Garbage => "this is not json".into_response(),
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new().route("/cb", post(callback)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, shared }
    }

    pub fn answer(&self, command: &str, answer: Answer) {
        self.shared.answers.lock().unwrap().insert(command.to_owned(), answer);
    }

    pub fn answer_for_group(&self, group: &str, answer: Answer) {
        self.shared.group_answers.lock().unwrap().insert(group.to_owned(), answer);
    }

    /// Everything received so far for `command`.
    pub fn of(&self, command: &str) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.query.get("CallbackCommand").map(String::as_str) == Some(command))
            .cloned()
            .collect()
    }

    /// Waits (at most 10 s) until `count` callbacks of `command` have arrived, and returns them.
    pub async fn wait_for(&self, command: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.shared.arrived.notified();
            let got = self.of(command);
            if got.len() >= count {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("waited for {count} x {command}, got {}: {:?}", got.len(), got);
            }
        }
    }
}
