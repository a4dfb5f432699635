//! Mutes and dirty words: `forbid_send_msg`, `get_group_muted_account` (legacy
//! `get_group_shutted_uin`), `openconfigsvr/setnospeaking|getnospeaking`,
//! `openim_dirty_words/get|add|delete`, and the checks the send path runs.

use serde::Deserialize;
use serde_json::{Value, json};

use super::group::group_not_found;
use super::{Call, Reply, reply, validate};
use crate::error::{ImError, ImResult, code};
use crate::moderation::{FOREVER, GroupPolicy};

const MAX_MUTE_ACCOUNTS: usize = 500;
const MAX_WORD_BYTES: usize = 200;
const MAX_WORDS_PER_CALL: usize = 1000;

impl Call<'_> {
    /// The group's moderation policy (cached); 10010 when the group does not exist.
    pub(super) async fn group_policy(&self, group_id: &str) -> ImResult<GroupPolicy> {
        let (ctx, app) = (self.ctx, self.sdkappid());
        let policy = ctx.moderation.group(ctx.store.as_ref(), app, group_id).await.map_err(|e| self.internal(e))?;
        policy.ok_or_else(|| group_not_found(group_id))
    }
}

/// When a mute of `seconds` set now ends: 0 unmutes, u32::MAX is for ever.
fn mute_end(now: u64, seconds: u64) -> Option<u64> {
    match seconds {
        0 => None,
        s if s >= FOREVER => Some(FOREVER),
        s => Some(now + s),
    }
}

/// Seconds left of a mute ending at `until` (FOREVER stays FOREVER).
fn remaining(now: u64, until: u64) -> u64 {
    if until >= FOREVER { FOREVER } else { until.saturating_sub(now) }
}

#[derive(Deserialize)]
struct ForbidRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Members_Account")]
    accounts: Vec<String>,
    #[serde(rename = "MuteTime", alias = "ShutUpTime")]
    mute_time: u64,
}

pub(super) async fn forbid_send_msg(call: Call<'_>) -> ImResult<Reply> {
    let req: ForbidRequest = call.request()?;
    validate::batch("Members_Account", req.accounts.len(), MAX_MUTE_ACCOUNTS, code::GROUP_BAD_PARAM)?;
    call.group_policy(&req.group_id).await?;
    let (ctx, app) = (call.ctx, call.sdkappid());
    let until = mute_end(ctx.now(), req.mute_time);
    for account in &req.accounts {
        ctx.store.set_group_mute(app, &req.group_id, account, until).await.map_err(|e| call.internal(e))?;
    }
    ctx.moderation.update_group(app, &req.group_id, |policy| {
        for account in &req.accounts {
            match until {
                Some(t) => policy.muted.insert(account.clone(), t),
                None => policy.muted.remove(account),
            };
        }
    });
    if let Some(room) = ctx.rooms.get(app, &req.group_id) {
        // A member-profile tip (OpType 7): the SDK hands pages memberList[{userID, muteTime}],
        // muteTime in seconds and 0 for unmuted, so they can disable the input box.
        let seconds = req.mute_time.min(FOREVER);
        let members: Vec<Value> =
            req.accounts.iter().map(|a| json!({"User_Account": a, "ShutupTime": seconds})).collect();
        let operator = call.principal.user_id().unwrap_or_default();
        room.tip(json!({"OpType": 7, "Operator_Account": operator, "List_Account": req.accounts,
            "MsgMemberExtraInfo": members}));
    }
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct GroupIdRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
}

/// `legacy`: the old command answers with the old field names.
pub(super) async fn get_muted_accounts(call: Call<'_>, legacy: bool) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let (policy, now) = (call.group_policy(&req.group_id).await?, call.ctx.now());
    let mut muted: Vec<(&String, &u64)> = policy.muted.iter().filter(|(_, until)| **until > now).collect();
    muted.sort();
    let (list, until) = if legacy { ("ShuttedUinList", "ShuttedUntil") } else { ("MutedAccountList", "MutedUntil") };
    let items: Vec<Value> = muted.into_iter().map(|(a, t)| json!({"Member_Account": a, until: t})).collect();
    Ok(reply([(list, Value::Array(items))]))
}

#[derive(Deserialize)]
struct SetNoSpeakingRequest {
    #[serde(rename = "Set_Account")]
    account: String,
    #[serde(rename = "C2CmsgNospeakingTime")]
    c2c: Option<u64>,
    #[serde(rename = "GroupmsgNospeakingTime")]
    group: Option<u64>,
}

async fn existing_account(call: &Call<'_>, account: &str) -> ImResult<()> {
    let found =
        call.ctx.store.existing_accounts(call.sdkappid(), &[account.to_owned()]).await.map_err(|e| call.internal(e))?;
    if found.is_empty() {
        return Err(ImError::new(code::ACCOUNT_NOT_FOUND, format!("account {account:?} does not exist")));
    }
    Ok(())
}

pub(super) async fn set_no_speaking(call: Call<'_>) -> ImResult<Reply> {
    let req: SetNoSpeakingRequest = call.request()?;
    existing_account(&call, &req.account).await?;
    let (ctx, app, now) = (call.ctx, call.sdkappid(), call.ctx.now());
    let mut mute = ctx.moderation.global_mute(app, &req.account);
    if let Some(s) = req.c2c {
        mute.c2c_until = mute_end(now, s).unwrap_or(0);
    }
    if let Some(s) = req.group {
        mute.group_until = mute_end(now, s).unwrap_or(0);
    }
    ctx.store.set_global_mute(app, &req.account, mute).await.map_err(|e| call.internal(e))?;
    ctx.moderation.set_global_mute(app, &req.account, mute);
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct GetNoSpeakingRequest {
    #[serde(rename = "Get_Account")]
    account: String,
}

pub(super) async fn get_no_speaking(call: Call<'_>) -> ImResult<Reply> {
    let req: GetNoSpeakingRequest = call.request()?;
    existing_account(&call, &req.account).await?;
    let now = call.ctx.now();
    let mute = call.ctx.moderation.global_mute(call.sdkappid(), &req.account);
    Ok(reply([
        ("C2CmsgNospeakingTime", json!(remaining(now, mute.c2c_until))),
        ("GroupmsgNospeakingTime", json!(remaining(now, mute.group_until))),
    ]))
}

#[derive(Deserialize)]
struct WordsRequest {
    #[serde(rename = "DirtyWordsList")]
    words: Vec<String>,
}

pub(super) async fn dirty_words_get(call: Call<'_>) -> ImResult<Reply> {
    Ok(reply([("DirtyWordsList", json!(call.ctx.moderation.filter(call.sdkappid()).words()))]))
}

/// `add == false` deletes.
pub(super) async fn dirty_words_change(call: Call<'_>, add: bool) -> ImResult<Reply> {
    let req: WordsRequest = call.request()?;
    validate::batch("DirtyWordsList", req.words.len(), MAX_WORDS_PER_CALL, call.codes.bad_param)?;
    for word in &req.words {
        if word.trim().is_empty() {
            return Err(call.bad_param("DirtyWordsList holds an empty word"));
        }
        validate::max_bytes("a dirty word", word, MAX_WORD_BYTES, call.codes.bad_param)?;
    }
    let (store, app) = (&call.ctx.store, call.sdkappid());
    if add {
        store.add_dirty_words(app, &req.words).await.map_err(|e| call.internal(e))?;
    } else {
        store.delete_dirty_words(app, &req.words).await.map_err(|e| call.internal(e))?;
    }
    // Rebuild the matcher from the stored list, so the store stays the one truth.
    let words = store.dirty_words(app).await.map_err(|e| call.internal(e))?;
    call.ctx.moderation.set_words(app, words);
    Ok(Reply::new())
}

/// 80001 when any of `texts` holds a dirty word.
pub(super) fn check_words<'t>(call: &Call<'_>, texts: impl IntoIterator<Item = &'t str>) -> ImResult<()> {
    let filter = call.ctx.moderation.filter(call.sdkappid());
    for text in texts {
        if let Some(word) = filter.find(text) {
            return Err(ImError::new(code::DIRTY_WORD, format!("the text contains the filtered word {word:?}")));
        }
    }
    Ok(())
}

/// 10017 when `sender` may not speak in the group now.
pub(super) async fn check_not_muted(call: &Call<'_>, group_id: &str, sender: &str) -> ImResult<()> {
    let (ctx, app, now) = (call.ctx, call.sdkappid(), call.ctx.now());
    let muted = |why: &str| Err(ImError::new(code::MUTED, format!("{sender:?} is muted: {why}")));
    if ctx.moderation.global_mute(app, sender).group_until > now {
        return muted("muted in every group of the app");
    }
    let policy = call.group_policy(group_id).await?;
    if policy.muted.get(sender).is_some_and(|until| *until > now) {
        return muted("muted in this group");
    }
    let app_admin = ctx.apps.get(app).is_some_and(|a| a.admins.iter().any(|x| x == sender));
    let exempt = app_admin || policy.owner.as_deref() == Some(sender) || policy.admins.iter().any(|a| a == sender);
    if policy.mute_all && !exempt {
        return muted("the whole group is muted");
    }
    Ok(())
}

pub(super) fn delete_group_member(_call: Call<'_>) -> ImResult<Reply> {
    Err(ImError::new(
        code::GROUP_BAD_PARAM,
        "AVChatRoom does not support delete_group_member; use forbid_send_msg (mute) or ban_group_member",
    ))
}
