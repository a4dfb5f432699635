//! `profile`: portrait_set and portrait_get over the standard `Tag_Profile_IM_*` tags and
//! custom `Tag_Profile_Custom_*` tags. Values are stored as JSON text, so a number stays a
//! number and a string a string.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, Reply, reply, validate};
use crate::error::{ImError, ImResult, code};

pub const TAG_NICK: &str = "Tag_Profile_IM_Nick";
pub const TAG_IMAGE: &str = "Tag_Profile_IM_Image";
const CUSTOM_PREFIX: &str = "Tag_Profile_Custom_";
/// Longest profile string value in bytes.
const MAX_VALUE_BYTES: usize = 500;
const MAX_ACCOUNTS: usize = 100;

/// The kind of value a standard tag holds.
enum TagKind {
    Text,
    Number,
    OneOf(&'static [&'static str]),
}

fn standard_tag(tag: &str) -> Option<TagKind> {
    use TagKind::*;
    Some(match tag {
        "Tag_Profile_IM_Nick" | "Tag_Profile_IM_Image" | "Tag_Profile_IM_Location" | "Tag_Profile_IM_SelfSignature" => {
            Text
        }
        "Tag_Profile_IM_BirthDay"
        | "Tag_Profile_IM_Language"
        | "Tag_Profile_IM_MsgSettings"
        | "Tag_Profile_IM_Level"
        | "Tag_Profile_IM_Role" => Number,
        "Tag_Profile_IM_Gender" => OneOf(&["Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male"]),
        "Tag_Profile_IM_AllowType" => {
            OneOf(&["AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny"])
        }
        "Tag_Profile_IM_AdminForbidType" => OneOf(&["AdminForbid_Type_None", "AdminForbid_Type_SendOut"]),
        _ => return None,
    })
}

/// The value portrait_get reports for a standard tag that was never set.
fn default_value(tag: &str) -> Value {
    match standard_tag(tag) {
        Some(TagKind::Number) => json!(0),
        Some(TagKind::OneOf(values)) => json!(values[0]),
        _ => json!(""),
    }
}

fn check_tag_name(tag: &str) -> ImResult<()> {
    let custom = tag.strip_prefix(CUSTOM_PREFIX).is_some_and(|name| !name.is_empty());
    if standard_tag(tag).is_none() && !custom {
        return Err(ImError::new(code::PROFILE_UNKNOWN_TAG, format!("profile tag {tag:?} does not exist")));
    }
    Ok(())
}

/// Checks `value` against the tag's type and limits; returns the value to store.
pub fn check_tag_value(tag: &str, value: &Value) -> ImResult<Value> {
    check_tag_name(tag)?;
    let mismatch = || ImError::new(code::PROFILE_TYPE_MISMATCH, format!("{tag} has a value of the wrong type"));
    match (standard_tag(tag), value) {
        (Some(TagKind::Number), Value::Number(n)) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {
            Ok(value.clone())
        }
        (Some(TagKind::Number), _) => Err(mismatch()),
        (Some(TagKind::OneOf(allowed)), Value::String(s)) if allowed.contains(&s.as_str()) => Ok(value.clone()),
        (Some(TagKind::OneOf(allowed)), Value::String(s)) => Err(ImError::new(
            code::PROFILE_BAD_VALUE,
            format!("{tag} cannot be {s:?}; it is one of {}", allowed.join(", ")),
        )),
        (Some(_), Value::String(s)) | (None, Value::String(s)) => {
            validate::max_bytes(tag, s, MAX_VALUE_BYTES, code::PROFILE_VALUE_TOO_LONG)?;
            Ok(value.clone())
        }
        // Custom tags hold a string or an unsigned integer.
        (None, Value::Number(n)) if n.is_u64() => Ok(value.clone()),
        _ => Err(mismatch()),
    }
}

#[derive(Deserialize)]
struct ProfileItem {
    #[serde(rename = "Tag")]
    tag: String,
    #[serde(rename = "Value")]
    value: Value,
}

#[derive(Deserialize)]
struct SetRequest {
    #[serde(rename = "From_Account", default)]
    from_account: String,
    #[serde(rename = "ProfileItem", default)]
    items: Vec<ProfileItem>,
}

#[derive(Deserialize)]
struct GetRequest {
    #[serde(rename = "To_Account", default)]
    to_account: Vec<String>,
    /// Absent or empty: every tag the profile has.
    #[serde(rename = "TagList", default)]
    tag_list: Vec<String>,
}

pub(super) async fn set(call: Call<'_>) -> ImResult<Reply> {
    let mut req: SetRequest = call.request()?;
    // An SDK user writes its own profile only.
    if let crate::auth::Principal::User { user_id, .. } = call.principal {
        if req.from_account.is_empty() {
            req.from_account = user_id.clone();
        }
        if &req.from_account != user_id {
            return Err(ImError::new(code::PROFILE_NO_WRITE, "a user can only change its own profile"));
        }
    }
    if req.from_account.is_empty() {
        return Err(ImError::new(code::PROFILE_NO_ACCOUNT, "From_Account is required"));
    }
    if req.items.is_empty() {
        return Err(call.bad_param("ProfileItem is empty"));
    }
    let items = req
        .items
        .iter()
        .map(|item| Ok((item.tag.clone(), check_tag_value(&item.tag, &item.value)?.to_string())))
        .collect::<ImResult<Vec<_>>>()?;
    let written =
        call.ctx.store.set_profile(call.sdkappid(), &req.from_account, &items).await.map_err(|e| call.internal(e))?;
    if !written {
        return Err(ImError::new(
            code::PROFILE_ACCOUNT_NOT_FOUND,
            format!("account {:?} does not exist", req.from_account),
        ));
    }
    // Messages sent from now on carry the new nick and avatar.
    if let Some(instance) = call.instance {
        let text = |tag: &str| req.items.iter().find(|i| i.tag == tag).and_then(|i| i.value.as_str());
        instance.update_profile(text(TAG_NICK), text(TAG_IMAGE));
    }
    Ok(reply([("ErrorDisplay", json!(""))]))
}

pub(super) async fn get(call: Call<'_>) -> ImResult<Reply> {
    let req: GetRequest = call.request()?;
    lookup(&call, &req.to_account, &req.tag_list).await
}

#[derive(Deserialize)]
struct UserItem {
    #[serde(rename = "To_Account")]
    to_account: String,
}

#[derive(Deserialize)]
struct GetAllRequest {
    #[serde(rename = "UserItem", default)]
    users: Vec<UserItem>,
}

/// The SDK's `portrait_get_all`: every stored tag of each account, nick and avatar at least.
pub(super) async fn get_all(call: Call<'_>) -> ImResult<Reply> {
    let req: GetAllRequest = call.request()?;
    let accounts: Vec<String> = req.users.into_iter().map(|u| u.to_account).collect();
    lookup(&call, &accounts, &[]).await
}

async fn lookup(call: &Call<'_>, accounts: &[String], tags: &[String]) -> ImResult<Reply> {
    if accounts.is_empty() {
        return Err(ImError::new(code::PROFILE_NO_ACCOUNT, "To_Account is required"));
    }
    validate::batch("To_Account", accounts.len(), MAX_ACCOUNTS, code::PROFILE_BAD_PARAM)?;
    for tag in tags {
        check_tag_name(tag)?;
    }
    let store = &call.ctx.store;
    let existing = store.existing_accounts(call.sdkappid(), &accounts).await.map_err(|e| call.internal(e))?;
    let mut items = Vec::with_capacity(accounts.len());
    let mut failed = Vec::new();
    for account in accounts {
        if !existing.contains(account) {
            failed.push(account.clone());
            items.push(json!({"To_Account": account, "ProfileItem": [], "ResultCode": code::PROFILE_ACCOUNT_NOT_FOUND,
                              "ResultInfo": "account does not exist"}));
            continue;
        }
        let stored = store.profile(call.sdkappid(), account).await.map_err(|e| call.internal(e))?;
        let stored: HashMap<String, Value> = stored
            .into_iter()
            .map(|(tag, text)| (tag, serde_json::from_str(&text).unwrap_or(Value::String(text))))
            .collect();
        let profile: Vec<Value> = if tags.is_empty() {
            let mut all: Vec<_> = stored.iter().collect();
            all.sort_by(|a, b| a.0.cmp(b.0));
            all.into_iter().map(|(tag, value)| json!({"Tag": tag, "Value": value})).collect()
        } else {
            tags.iter()
                .map(|tag| json!({"Tag": tag, "Value": stored.get(tag).cloned().unwrap_or_else(|| default_value(tag))}))
                .collect()
        };
        items.push(json!({"To_Account": account, "ProfileItem": profile, "ResultCode": 0, "ResultInfo": ""}));
    }
    Ok(reply([("UserProfileItem", Value::Array(items)), ("Fail_Account", json!(failed)), ("ErrorDisplay", json!(""))]))
}
