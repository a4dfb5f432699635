//! `send_group_msg` (from the SDK and from REST) and `send_group_system_notification`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, Reply, events, moderation, msg_body, reply};
use crate::auth::Principal;
use crate::auth::ticket::tiny_id;
use crate::error::{ImError, ImResult, code};
use crate::room::{MessageDraft, Priority, SendOutcome};
use crate::webhook::Verdict;

#[derive(Deserialize)]
struct SendRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Random")]
    random: Option<u32>,
    #[serde(rename = "MsgPriority")]
    priority: Option<String>,
    #[serde(rename = "MsgBody")]
    body: Value,
    #[serde(rename = "From_Account")]
    from_account: Option<String>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
    #[serde(rename = "MsgClientTime")]
    client_time: Option<u64>,
    #[serde(rename = "ForbidCallbackControl", default)]
    forbid_callback: Vec<String>,
    #[serde(rename = "GroupAtInfo", default)]
    group_at_info: Vec<Value>,
}

pub(super) async fn send_group_msg(call: Call<'_>) -> ImResult<Reply> {
    let req: SendRequest = call.request()?;
    let priority = Priority::parse(req.priority.as_deref())
        .ok_or_else(|| call.bad_param(format!("MsgPriority {:?} is not High, Normal, Low or Lowest", req.priority)))?;
    msg_body::validate(&req.body, call.codes.bad_param)?;
    let room = call.room(&req.group_id).await?;
    let (sender, nick, avatar) = match call.principal {
        // An SDK user sends as itself, from an instance that is in the room.
        Principal::User { user_id, .. } => {
            let member = call
                .instance
                .and_then(|i| room.member(&i.id))
                .filter(|m| m.user_id.as_deref() == Some(user_id.as_str()))
                .ok_or_else(|| ImError::new(code::GROUP_NO_PERMISSION, "join the group before sending to it"))?;
            (user_id.clone(), member.nick, member.avatar)
        }
        // An administrator may send as any existing account, or as itself.
        Principal::Admin { user_id, .. } => {
            let sender = req.from_account.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| user_id.clone());
            let found = call
                .ctx
                .store
                .existing_accounts(call.sdkappid(), std::slice::from_ref(&sender))
                .await
                .map_err(|e| call.internal(e))?;
            if found.is_empty() {
                return Err(ImError::new(
                    code::GROUP_ACCOUNT_NOT_FOUND,
                    format!("From_Account {sender:?} does not exist"),
                ));
            }
            let (nick, avatar) = call.nick_and_avatar(&sender).await?;
            (sender, nick, avatar)
        }
        Principal::Guest { .. } => {
            return Err(ImError::new(code::GROUP_NO_PERMISSION, "anonymous viewers cannot send"));
        }
    };
    // Muted senders are refused before the backend is asked (Tencent does the same).
    moderation::check_not_muted(&call, &req.group_id, &sender).await?;
    moderation::check_words(&call, msg_body::texts(&req.body))?;
    let now = call.ctx.now();
    let operator = call.principal.user_id().unwrap_or(&sender).to_owned();
    let mut draft = MessageDraft {
        from_tiny_id: tiny_id(call.sdkappid(), &sender),
        from_account: sender,
        nick,
        avatar,
        random: req.random.unwrap_or_else(rand::random),
        client_time: req.client_time.unwrap_or(now),
        priority,
        body: req.body,
        cloud_custom_data: req.cloud_custom_data,
    };
    let forbidden = |name: &str| req.forbid_callback.iter().any(|f| f == name);
    // Before frequency control: the backend sees every message, dropped ones included.
    if !forbidden("ForbidBeforeSendMsgCallback") {
        let ask = callback_body(&req.group_id, &operator, &draft);
        match call.ctx.webhooks.before(call.origin, events::BEFORE_SEND_MSG, ask).await {
            Verdict::Reject { code, info } => return Err(ImError::new(code, info)),
            Verdict::Drop => {
                let seq = room.skip_seq();
                return Ok(reply([("MsgSeq", json!(seq)), ("MsgTime", json!(now)), ("MsgDropReason", json!(""))]));
            }
            Verdict::Allow { msg_body, cloud_custom_data } => {
                if let Some(body) = msg_body {
                    msg_body::validate(&body, call.codes.bad_param)?;
                    draft.body = body;
                }
                if let Some(data) = cloud_custom_data {
                    draft.cloud_custom_data = data;
                }
            }
        }
    }
    let outcome = room.send(draft.clone()).await;
    let mut event = callback_body(&req.group_id, &operator, &draft);
    match outcome {
        Ok(SendOutcome::Delivered { seq, time }) => {
            if !forbidden("ForbidAfterSendMsgCallback") {
                event["MsgSeq"] = json!(seq);
                event["MsgTime"] = json!(time);
                event["GroupAtInfo"] = json!(req.group_at_info);
                call.ctx.webhooks.after(call.origin, events::AFTER_SEND_MSG, event);
            }
            Ok(reply([("MsgSeq", json!(seq)), ("MsgTime", json!(time)), ("MsgDropReason", json!(""))]))
        }
        Ok(SendOutcome::Dropped { seq, time }) => {
            event["ErrorCode"] = json!(code::FREQUENCY_LIMIT);
            event["ErrorInfo"] = json!("msg count exceeds limit,please retry later");
            call.ctx.webhooks.after(call.origin, events::SEND_MSG_EXCEPTION, event);
            Ok(reply([
                ("MsgSeq", json!(seq)),
                ("MsgTime", json!(time)),
                ("MsgDropReason", json!("MsgFreqCtrl: the group's message frequency limit was reached")),
            ]))
        }
        Ok(SendOutcome::Gone) | Err(_) => Err(super::group::group_not_found(&req.group_id)),
    }
}

/// The fields BeforeSendMsg, AfterSendMsg and SendMsgException share.
fn callback_body(group_id: &str, operator: &str, draft: &MessageDraft) -> Value {
    json!({
        "GroupId": group_id,
        "Type": events::AVCHATROOM,
        "From_Account": draft.from_account,
        "Operator_Account": operator,
        "Random": draft.random,
        "MsgId": format!("{}-{}-{}", draft.from_tiny_id, draft.client_time, draft.random),
        "OnlineOnlyFlag": 0,
        "MsgBody": draft.body,
        "CloudCustomData": draft.cloud_custom_data,
    })
}

#[derive(Deserialize)]
struct NoticeRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Content")]
    content: String,
}

/// A custom system notice (OpType 255) to every member. AVChatRoom notices go to everyone:
/// `ToMembers_Account` is not honoured, as with Tencent.
pub(super) async fn send_system_notification(call: Call<'_>) -> ImResult<Reply> {
    let req: NoticeRequest = call.request()?;
    if req.content.is_empty() {
        return Err(call.bad_param("Content is empty"));
    }
    super::validate::max_bytes("Content", &req.content, msg_body::MAX_BODY_BYTES, code::MSG_TOO_LONG)?;
    let room = call.room(&req.group_id).await?;
    let operator = call.principal.user_id().unwrap_or_default();
    room.notify(operator, &req.content).ok_or_else(|| super::group::group_not_found(&req.group_id))?;
    Ok(Reply::new())
}
