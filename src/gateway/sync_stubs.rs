//! Answers to the requests the Web SDK sends by itself after login (sync, friends,
//! conversations, config, stats). Live rooms have none of that state, so the answers are
//! empty and *terminal*: paging commands say "complete", or the SDK would ask forever.

use serde_json::{Map, Value, json};

use crate::error::{ImError, code};

/// What to answer `service.command` with, or `None` if it is not an SDK housekeeping request.
pub fn answer(service: &str, command: &str) -> Option<Result<Map<String, Value>, ImError>> {
    let fields = match (service, command) {
        ("sns", "black_list_get") => json!({"BlackListItem": [], "StartIndex": 0, "CurruentSequence": 0}),
        ("sns", "friend_get") => json!({"CompleteFlag": 1, "InfoItem": [], "FriendNum": 0}),
        ("recentcontact", "page_get") => json!({"CompleteFlag": 1, "SessionItem": []}),
        ("openim", "getmsg") => json!({"Cookie": "roomcast", "SyncFlag": 2, "MsgList": []}),
        ("group_open_http_svc" | "million_group_open_http_svc", "get_joined_group_list") => {
            json!({"TotalCount": 0, "GroupIdList": []})
        }
        ("imopenstat", _) | ("openim", "ws_msg_push_ack") => json!({}),
        // An error here makes the SDK ask again every second; a day-long "no extras" answer
        // stops it. Bit string "0": none of the paid features.
        ("im_sdk_config_mgr", "fetch_imsdk_purchase_bitsv2") => json!({
            "int32_error_code": 0, "str_error_message": "", "str_purchase_bits": "0", "uint32_expired_time": 86400
        }),
        ("sns" | "recentcontact" | "im_sdk_config_mgr" | "openim" | "profile", _)
            if is_housekeeping(service, command) =>
        {
            let info = format!("{service}.{command} is not supported by roomcast (live rooms only)");
            return Some(Err(ImError::new(code::NOT_SUPPORTED, info)));
        }
        _ => return None,
    };
    match fields {
        Value::Object(map) => Some(Ok(map)),
        _ => unreachable!("every answer above is an object"),
    }
}

/// Commands the SDK sends on its own that roomcast refuses with a clear error.
fn is_housekeeping(service: &str, command: &str) -> bool {
    match service {
        "profile" => command != "portrait_set" && command != "portrait_get_all",
        _ => true,
    }
}
