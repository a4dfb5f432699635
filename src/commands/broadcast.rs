//! `send_broadcast_msg`: one message to every live AVChatRoom of the app, each room giving it
//! its own MsgSeq. Broadcasts are the operator's voice, so they bypass the rooms' frequency
//! control and the send callbacks (as Tencent's do); the app may send at most 50 a second.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, Reply, moderation, msg_body, reply};
use crate::auth::ticket::tiny_id;
use crate::error::{ImError, ImResult, code};
use crate::room::{MessageDraft, Priority};

/// Broadcasts per second per app (Tencent allows 1 to 5).
pub const BROADCASTS_PER_SEC: u32 = 50;

/// The per-app broadcast rate and the broadcast sequence the sender is told.
pub struct Broadcasts {
    limiter: DefaultKeyedRateLimiter<u64>,
    last_seq: AtomicU64,
}

impl Default for Broadcasts {
    fn default() -> Self {
        let per_sec = NonZeroU32::new(BROADCASTS_PER_SEC).expect("non-zero");
        Self { limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(per_sec)), last_seq: AtomicU64::new(0) }
    }
}

impl Broadcasts {
    /// A broadcast's MsgSeq: increasing, and across restarts too, since it never falls behind
    /// the clock in seconds (which keeps it within 32 bits, as clients may store it).
    fn next_seq(&self, now_secs: u64) -> u64 {
        let step = |last: u64| Some((last + 1).max(now_secs));
        let last =
            self.last_seq.fetch_update(Ordering::Relaxed, Ordering::Relaxed, step).expect("step always succeeds");
        (last + 1).max(now_secs)
    }
}

#[derive(Deserialize)]
struct BroadcastRequest {
    #[serde(rename = "From_Account")]
    from_account: Option<String>,
    #[serde(rename = "Random")]
    random: Option<u32>,
    #[serde(rename = "MsgBody")]
    body: Value,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
}

pub(super) async fn send_broadcast_msg(call: Call<'_>) -> ImResult<Reply> {
    let (ctx, app) = (call.ctx, call.sdkappid());
    // Counted first, like Tencent's per-command limits: refused calls count too.
    if ctx.broadcasts.limiter.check_key(&app).is_err() {
        return Err(ImError::new(
            code::GROUP_OPERATION_FREQUENCY,
            format!("at most {BROADCASTS_PER_SEC} broadcasts a second"),
        ));
    }
    let req: BroadcastRequest = call.request()?;
    msg_body::validate(&req.body, call.codes.bad_param)?;
    moderation::check_words(&call, msg_body::texts(&req.body))?;
    let sender = req.from_account.filter(|f| !f.is_empty()).or_else(|| call.principal.user_id().map(str::to_owned));
    let sender = sender.unwrap_or_default();
    if ctx.store.existing_accounts(app, std::slice::from_ref(&sender)).await.map_err(|e| call.internal(e))?.is_empty() {
        return Err(ImError::new(code::GROUP_ACCOUNT_NOT_FOUND, format!("From_Account {sender:?} does not exist")));
    }
    let (nick, avatar) = call.nick_and_avatar(&sender).await?;
    let now = ctx.now();
    let draft = MessageDraft {
        from_tiny_id: tiny_id(app, &sender),
        from_account: sender,
        nick,
        avatar,
        random: req.random.unwrap_or_else(rand::random),
        client_time: now,
        priority: Priority::High,
        body: req.body,
        cloud_custom_data: req.cloud_custom_data,
    };
    let rooms = ctx.rooms.of_app(app);
    let reached = rooms.iter().filter(|room| room.broadcast(&draft).is_some()).count();
    metrics::counter!(crate::metrics::BROADCASTS).increment(1);
    tracing::info!(sdkappid = app, rooms = reached, "broadcast sent");
    Ok(reply([("MsgSeq", json!(ctx.broadcasts.next_seq(now))), ("MsgTime", json!(now))]))
}
