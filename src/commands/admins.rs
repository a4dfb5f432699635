//! AVChatRoom admins (`group_open_avchatroom_http_svc/modify_admin`, `get_admin_list`): at most
//! five per group. Admins may speak while the whole group is muted and see `Role: "Admin"`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::group::group_not_found;
use super::{Call, Reply, reply, validate};
use crate::error::{ImError, ImResult, code};

static ADMIN_CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Tencent's limit for an AVChatRoom.
pub const MAX_ADMINS: usize = 5;
/// Tip OpTypes the SDK knows: an account became, or stopped being, an admin.
const TIP_SET_ADMIN: u32 = 4;
const TIP_UNSET_ADMIN: u32 = 5;

#[derive(Deserialize)]
struct ModifyAdminRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
    /// 1 sets, 2 unsets.
    #[serde(rename = "CommandType")]
    command_type: u32,
    #[serde(rename = "Admin_Account")]
    accounts: Vec<String>,
}

pub(super) async fn modify_admin(call: Call<'_>) -> ImResult<Reply> {
    let req: ModifyAdminRequest = call.request()?;
    let set = match req.command_type {
        1 => true,
        2 => false,
        other => return Err(call.bad_param(format!("CommandType must be 1 (set) or 2 (unset), not {other}"))),
    };
    let mut accounts = req.accounts;
    accounts.sort();
    accounts.dedup();
    if accounts.is_empty() {
        return Err(call.bad_param("Admin_Account is empty"));
    }
    validate::batch("Admin_Account", accounts.len(), MAX_ADMINS, code::GROUP_BAD_PARAM)?;
    // One admin change at a time (they are rare), so two concurrent ones cannot pass the cap.
    let _serialised = ADMIN_CHANGES.lock().await;
    let policy = call.group_policy(&req.group_id).await?;
    let (ctx, app) = (call.ctx, call.sdkappid());
    if set {
        let found = ctx.store.existing_accounts(app, &accounts).await.map_err(|e| call.internal(e))?;
        if let Some(missing) = accounts.iter().find(|a| !found.contains(*a)) {
            return Err(ImError::new(code::GROUP_ACCOUNT_NOT_FOUND, format!("account {missing:?} does not exist")));
        }
        if let Some(owner) = accounts.iter().find(|a| policy.owner.as_ref() == Some(*a)) {
            return Err(call.bad_param(format!("{owner:?} owns the group and cannot also be an admin")));
        }
        let mut after: Vec<&String> = policy.admins.iter().chain(&accounts).collect();
        after.sort();
        after.dedup();
        if after.len() > MAX_ADMINS {
            return Err(call.bad_param(format!("an AVChatRoom has at most {MAX_ADMINS} admins")));
        }
    }
    let changed: Vec<&String> = accounts.iter().filter(|a| policy.admins.contains(a) != set).collect();
    for account in &changed {
        if !ctx.store.set_group_admin(app, &req.group_id, account, set).await.map_err(|e| call.internal(e))? {
            return Err(group_not_found(&req.group_id));
        }
    }
    let admins = ctx.store.group_admins(app, &req.group_id).await.map_err(|e| call.internal(e))?;
    ctx.moderation.update_group(app, &req.group_id, |p| p.admins = admins);
    if let (false, Some(room)) = (changed.is_empty(), ctx.rooms.get(app, &req.group_id)) {
        let op_type = if set { TIP_SET_ADMIN } else { TIP_UNSET_ADMIN };
        let operator = call.principal.user_id().unwrap_or_default();
        room.tip(json!({"OpType": op_type, "Operator_Account": operator, "List_Account": changed}));
    }
    Ok(Reply::new())
}

#[derive(Deserialize)]
struct GroupIdRequest {
    #[serde(rename = "GroupId")]
    group_id: String,
}

pub(super) async fn get_admin_list(call: Call<'_>) -> ImResult<Reply> {
    let req: GroupIdRequest = call.request()?;
    let policy = call.group_policy(&req.group_id).await?;
    let mut list = Vec::with_capacity(policy.admins.len());
    for account in &policy.admins {
        let (nick, avatar) = call.nick_and_avatar(account).await?;
        list.push(json!({"Admin_Account": account, "NickName": nick, "Avatar": avatar}));
    }
    Ok(reply([("Admin_List", Value::Array(list))]))
}
