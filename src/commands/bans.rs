//! Bans: `ban_group_member`, `unban_group_member`, `get_group_ban_member`. A banned account is
//! removed from the room at once (the room sees a kicked tip, the backend an exit as Kicked)
//! and can neither rejoin nor receive until the ban ends by itself.

use serde::Deserialize;
use serde_json::{Value, json};

use super::events::{self, ExitType};
use super::{Call, Reply, reply, validate};
use crate::error::{ImError, ImResult, code};
use crate::moderation::FOREVER;

const MAX_BAN_ACCOUNTS: usize = 20;
const MAX_DESCRIPTION_BYTES: usize = 1000;
const MAX_PAGE: u64 = 100;

#[derive(Deserialize)]
struct BanRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Members_Account")]
    accounts: Vec<String>,
    #[serde(rename = "Duration")]
    duration: u64,
    #[serde(rename = "Description", default)]
    description: String,
}

pub(super) async fn ban(call: Call<'_>) -> ImResult<Reply> {
    let req: BanRequest = call.request()?;
    validate::batch("Members_Account", req.accounts.len(), MAX_BAN_ACCOUNTS, code::GROUP_BAD_PARAM)?;
    validate::max_bytes("Description", &req.description, MAX_DESCRIPTION_BYTES, code::GROUP_BAD_PARAM)?;
    if req.duration == 0 {
        return Err(call.bad_param("Duration must be at least 1 second (unban_group_member lifts a ban)"));
    }
    call.group_policy(&req.group_id).await?;
    let (ctx, app) = (call.ctx, call.sdkappid());
    let until = if req.duration >= FOREVER { FOREVER } else { ctx.now() + req.duration };
    for account in &req.accounts {
        ctx.store
            .set_group_ban(app, &req.group_id, account, Some((until, &req.description)))
            .await
            .map_err(|e| call.internal(e))?;
    }
    ctx.moderation.update_group(app, &req.group_id, |p| {
        p.banned.extend(req.accounts.iter().map(|a| (a.clone(), until)));
    });
    let operator = call.principal.user_id().unwrap_or_default();
    if let Some(room) = ctx.rooms.get(app, &req.group_id) {
        for account in &req.accounts {
            let removed = room.ban_user(account, operator);
            let mut left = Vec::new();
            for (id, member) in removed {
                if let Some(instance) = ctx.presence.get(app, &id) {
                    instance.remove_joined(&req.group_id);
                }
                left.push((room.clone(), member));
            }
            // One exit per account, however many of its instances were in the room.
            left.truncate(1);
            events::members_left(ctx, call.origin, &left, ExitType::Kicked, Some(operator));
        }
    }
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct UnbanRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Members_Account")]
    accounts: Vec<String>,
}

pub(super) async fn unban(call: Call<'_>) -> ImResult<Reply> {
    let req: UnbanRequest = call.request()?;
    validate::batch("Members_Account", req.accounts.len(), MAX_BAN_ACCOUNTS, code::GROUP_BAD_PARAM)?;
    call.group_policy(&req.group_id).await?;
    let (ctx, app) = (call.ctx, call.sdkappid());
    for account in &req.accounts {
        ctx.store.set_group_ban(app, &req.group_id, account, None).await.map_err(|e| call.internal(e))?;
    }
    ctx.moderation.update_group(app, &req.group_id, |p| {
        for account in &req.accounts {
            p.banned.remove(account);
        }
    });
    if let Some(room) = ctx.rooms.get(app, &req.group_id) {
        // OpType 11: the SDK's GRP_TIP_UNBAN_AVCHATROOM_MEMBER.
        let operator = call.principal.user_id().unwrap_or_default();
        room.tip(json!({"OpType": 11, "Operator_Account": operator, "List_Account": req.accounts}));
    }
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct ListRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Limit", default = "default_limit")]
    limit: u64,
    #[serde(rename = "Offset", default)]
    offset: u64,
}

fn default_limit() -> u64 {
    MAX_PAGE
}

pub(super) async fn list(call: Call<'_>) -> ImResult<Reply> {
    let req: ListRequest = call.request()?;
    if req.limit == 0 || req.limit > MAX_PAGE {
        return Err(call.bad_param(format!("Limit must be between 1 and {MAX_PAGE}")));
    }
    let (policy, now) = (call.group_policy(&req.group_id).await?, call.ctx.now());
    let mut banned: Vec<(&String, &u64)> = policy.banned.iter().filter(|(_, until)| **until > now).collect();
    banned.sort();
    let start = (req.offset as usize).min(banned.len());
    let end = (start + req.limit as usize).min(banned.len());
    let items: Vec<Value> =
        banned[start..end].iter().map(|(a, t)| json!({"Member_Account": a, "BannedUntil": t})).collect();
    let next = if end < banned.len() { end } else { 0 };
    Ok(reply([("BannedAccountList", Value::Array(items)), ("NextOffset", json!(next))]))
}

/// 10007 when `user` is banned from the group now.
pub(super) async fn check_not_banned(call: &Call<'_>, group_id: &str, user: &str) -> ImResult<()> {
    let (ctx, app, now) = (call.ctx, call.sdkappid(), call.ctx.now());
    let policy = ctx.moderation.group(ctx.store.as_ref(), app, group_id).await.map_err(|e| call.internal(e))?;
    match policy.and_then(|p| p.banned.get(user).copied()).filter(|until| *until > now) {
        Some(until) => {
            Err(ImError::new(code::GROUP_NO_PERMISSION, format!("{user:?} is banned from this group until {until}")))
        }
        None => Ok(()),
    }
}
