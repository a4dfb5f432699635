//! `group_open_http_svc`: get_group_info (with ResponseFilter) and get_appid_group_list.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::group::{AVCHATROOM, group_not_found};
use super::{Call, Reply, reply};
use crate::error::{ImResult, code};
use crate::store::GroupRecord;

const MAX_GROUPS_PER_INFO: usize = 50;
const MAX_LIST_LIMIT: u32 = 10_000;
const KNOWN_GROUP_TYPES: &[&str] = &["AVChatRoom", "Public", "Private", "Work", "ChatRoom", "Meeting", "Community"];

#[derive(Deserialize, Default)]
struct ResponseFilter {
    /// Base fields to return; absent means all of them.
    #[serde(rename = "GroupBaseInfoFilter")]
    base: Option<Vec<String>>,
    /// AppDefinedData keys to return; absent means all of them.
    #[serde(rename = "AppDefinedDataFilter_Group")]
    app_defined: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct InfoRequest {
    #[serde(rename = "GroupIdList")]
    group_ids: Vec<String>,
    #[serde(rename = "ResponseFilter", default)]
    filter: ResponseFilter,
}

/// The base fields of an AVChatRoom. Member counts and lists are not part of it, as with
/// Tencent: live membership is read with get_online_member_num and get_members.
fn base_fields(g: &GroupRecord) -> Vec<(&'static str, Value)> {
    vec![
        ("Type", json!(g.group_type)),
        ("Name", json!(g.name)),
        ("Introduction", json!(g.introduction)),
        ("Notification", json!(g.notification)),
        ("FaceUrl", json!(g.face_url)),
        ("Owner_Account", json!(g.owner_account.clone().unwrap_or_default())),
        ("CreateTime", json!(g.create_time)),
        ("InfoSeq", json!(g.info_seq)),
        ("LastInfoTime", json!(g.last_info_time)),
        ("ApplyJoinOption", json!(g.apply_join_option)),
        ("MuteAllMember", json!(if g.mute_all { "On" } else { "Off" })),
    ]
}

fn render(g: &GroupRecord, filter: &ResponseFilter) -> Value {
    let mut out = Map::new();
    out.insert("ErrorCode".into(), json!(0));
    out.insert("ErrorInfo".into(), json!(""));
    out.insert("GroupId".into(), json!(g.group_id));
    for (name, value) in base_fields(g) {
        let wanted = match &filter.base {
            None => true,
            // The legacy name selects the renamed field.
            Some(list) => list.iter().any(|f| f == name || (name == "MuteAllMember" && f == "ShutUpAllMember")),
        };
        if wanted {
            out.insert(name.into(), value);
        }
    }
    let data: Vec<Value> = g
        .app_defined_data
        .iter()
        .filter(|(k, _)| filter.app_defined.as_ref().is_none_or(|keys| keys.contains(k)))
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    if !data.is_empty() || filter.app_defined.is_none() {
        out.insert("AppDefinedData".into(), Value::Array(data));
    }
    Value::Object(out)
}

pub(super) async fn get_group_info(call: Call<'_>) -> ImResult<Reply> {
    let req: InfoRequest = call.request()?;
    super::validate::batch("GroupIdList", req.group_ids.len(), MAX_GROUPS_PER_INFO, code::GROUP_BAD_PARAM)?;
    let mut infos = Vec::with_capacity(req.group_ids.len());
    for id in &req.group_ids {
        let info = match call.ctx.store.group(call.sdkappid(), id).await.map_err(|e| call.internal(e))? {
            Some(group) => render(&group, &req.filter),
            None => {
                let e = group_not_found(id);
                json!({"GroupId": id, "ErrorCode": e.code, "ErrorInfo": e.info})
            }
        };
        infos.push(info);
    }
    Ok(reply([("GroupInfo", Value::Array(infos))]))
}

#[derive(Deserialize)]
struct ListRequest {
    #[serde(rename = "Limit", default = "default_limit")]
    limit: u32,
    #[serde(rename = "Next", default)]
    next: u64,
    #[serde(rename = "GroupType")]
    group_type: Option<String>,
}

fn default_limit() -> u32 {
    MAX_LIST_LIMIT
}

pub(super) async fn get_appid_group_list(call: Call<'_>) -> ImResult<Reply> {
    let req: ListRequest = call.request()?;
    if req.limit == 0 || req.limit > MAX_LIST_LIMIT {
        return Err(call.bad_param(format!("Limit must be between 1 and {MAX_LIST_LIMIT}")));
    }
    let group_type = req.group_type.as_deref().unwrap_or(AVCHATROOM);
    if !KNOWN_GROUP_TYPES.contains(&group_type) {
        return Err(call.bad_param(format!("unknown GroupType {group_type:?}")));
    }
    // Only AVChatRooms exist here; any other type lists as empty.
    let page = call
        .ctx
        .store
        .group_page(call.sdkappid(), group_type, req.next, req.limit)
        .await
        .map_err(|e| call.internal(e))?;
    let ids: Vec<Value> = page.group_ids.iter().map(|id| json!({"GroupId": id})).collect();
    Ok(reply([
        ("TotalCount", json!(page.total)),
        ("GroupIdList", Value::Array(ids)),
        ("Next", json!(page.next.unwrap_or(0))),
    ]))
}
