//! `im_open_login_svc`: account_import, multiaccount_import, account_delete, account_check.

use serde::Deserialize;
use serde_json::{Value, json};

use super::profile::{TAG_IMAGE, TAG_NICK, check_tag_value};
use super::{Call, Reply, reply, validate};
use crate::error::{ImError, ImResult, code};

/// Accounts per batch call.
const MAX_BATCH: usize = 100;

#[derive(Deserialize)]
struct ImportItem {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
    #[serde(rename = "Nick")]
    nick: Option<String>,
    #[serde(rename = "FaceUrl")]
    face_url: Option<String>,
}

#[derive(Deserialize)]
struct MultiImportRequest {
    /// Legacy shape: a list of UserIDs.
    #[serde(rename = "Accounts")]
    accounts: Option<Vec<String>>,
    /// Current shape: a list of accounts with optional nick and avatar.
    #[serde(rename = "AccountList")]
    account_list: Option<Vec<ImportItem>>,
}

#[derive(Deserialize)]
struct UserItem {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
}

#[derive(Deserialize)]
struct DeleteRequest {
    #[serde(rename = "DeleteItem")]
    items: Vec<UserItem>,
}

#[derive(Deserialize)]
struct CheckRequest {
    #[serde(rename = "CheckItem")]
    items: Vec<UserItem>,
}

/// Validates and stores one account with its nick and avatar.
async fn import_one(call: &Call<'_>, item: &ImportItem) -> ImResult<()> {
    validate::user_id(&item.user_id).map_err(|why| ImError::new(code::ACCOUNT_BAD_PARAM, why))?;
    let mut profile = Vec::new();
    for (tag, value) in [(TAG_NICK, &item.nick), (TAG_IMAGE, &item.face_url)] {
        if let Some(v) = value {
            let v = check_tag_value(tag, &Value::String(v.clone()))
                .map_err(|e| ImError::new(code::ACCOUNT_BAD_PARAM, e.info))?;
            profile.push((tag.to_owned(), v.to_string()));
        }
    }
    let store = &call.ctx.store;
    store.import_account(call.sdkappid(), &item.user_id, call.ctx.now()).await.map_err(|e| call.internal(e))?;
    if !profile.is_empty() {
        // Writes nothing if a concurrent delete removed the account again.
        store.set_profile(call.sdkappid(), &item.user_id, &profile).await.map_err(|e| call.internal(e))?;
    }
    Ok(())
}

pub(super) async fn import(call: Call<'_>) -> ImResult<Reply> {
    let item: ImportItem = call.request()?;
    import_one(&call, &item).await?;
    Ok(Reply::new())
}

pub(super) async fn multi_import(call: Call<'_>) -> ImResult<Reply> {
    let req: MultiImportRequest = call.request()?;
    let items: Vec<ImportItem> = match (req.account_list, req.accounts) {
        (Some(list), _) => list,
        (None, Some(ids)) => {
            ids.into_iter().map(|user_id| ImportItem { user_id, nick: None, face_url: None }).collect()
        }
        (None, None) => return Err(call.bad_param("AccountList (or legacy Accounts) is required")),
    };
    validate::batch("AccountList", items.len(), MAX_BATCH, code::ACCOUNT_BATCH_COUNT)?;
    let mut failed = Vec::new();
    for item in &items {
        match import_one(&call, item).await {
            Ok(()) => {}
            Err(e) if e.internal => return Err(e),
            Err(_) => failed.push(item.user_id.clone()),
        }
    }
    Ok(reply([("FailAccounts", json!(failed))]))
}

pub(super) async fn delete(call: Call<'_>) -> ImResult<Reply> {
    let req: DeleteRequest = call.request()?;
    validate::batch("DeleteItem", req.items.len(), MAX_BATCH, code::ACCOUNT_BATCH_COUNT)?;
    let admins = call.ctx.apps.get(call.sdkappid()).map(|a| a.admins.clone()).unwrap_or_default();
    let mut results = Vec::with_capacity(req.items.len());
    for UserItem { user_id } in req.items {
        let (result_code, info) = if admins.contains(&user_id) {
            (code::ACCOUNT_BAD_PARAM, "an App administrator account cannot be deleted".to_owned())
        } else if call.ctx.store.delete_account(call.sdkappid(), &user_id).await.map_err(|e| call.internal(e))? {
            (0, String::new())
        } else {
            (code::ACCOUNT_NOT_FOUND, "account does not exist".to_owned())
        };
        results.push(json!({"ResultCode": result_code, "ResultInfo": info, "UserID": user_id}));
    }
    Ok(reply([("ResultItem", Value::Array(results))]))
}

pub(super) async fn check(call: Call<'_>) -> ImResult<Reply> {
    let req: CheckRequest = call.request()?;
    validate::batch("CheckItem", req.items.len(), MAX_BATCH, code::ACCOUNT_BATCH_COUNT)?;
    let ids: Vec<String> = req.items.into_iter().map(|i| i.user_id).collect();
    let existing = call.ctx.store.existing_accounts(call.sdkappid(), &ids).await.map_err(|e| call.internal(e))?;
    let results: Vec<Value> = ids
        .into_iter()
        .map(|id| {
            let status = if existing.contains(&id) { "Imported" } else { "NotImported" };
            json!({"UserID": id, "ResultCode": 0, "ResultInfo": "", "AccountStatus": status})
        })
        .collect();
    Ok(reply([("ResultItem", Value::Array(results))]))
}

#[derive(Deserialize)]
struct KickRequest {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
}

/// `kick`: every login of the user ends (`KickType` 3) and its tickets stop working.
pub(super) async fn kick(call: Call<'_>) -> ImResult<Reply> {
    let req: KickRequest = call.request()?;
    validate::user_id(&req.user_id).map_err(|why| call.bad_param(why))?;
    call.ctx.tickets.revoke_all(call.sdkappid(), &req.user_id);
    let left = call.ctx.presence.kick_user(call.sdkappid(), &req.user_id);
    let operator = call.principal.user_id();
    super::events::members_left(call.ctx, call.origin, &left, super::events::ExitType::Kicked, operator);
    Ok(Reply::new())
}
