//! The Tencent REST envelope: HTTP 200 with `ActionStatus`, `ErrorCode`, `ErrorInfo` and the
//! command's result fields beside them, for every business outcome.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::commands::Reply;
use crate::error::{ImError, ImResult};

pub fn ok(mut fields: Reply) -> Response {
    fields.insert("ActionStatus".into(), json!("OK"));
    fields.insert("ErrorCode".into(), json!(0));
    fields.insert("ErrorInfo".into(), json!(""));
    Json(Value::Object(fields)).into_response()
}

pub fn fail(err: &ImError) -> Response {
    if err.internal {
        tracing::error!(code = err.code, info = %err.info, "command failed on the server side");
    } else {
        tracing::debug!(code = err.code, info = %err.info, "command refused");
    }
    Json(json!({"ActionStatus": "FAIL", "ErrorCode": err.code, "ErrorInfo": err.info})).into_response()
}

pub fn from_result(result: ImResult<Reply>) -> Response {
    match result {
        Ok(fields) => ok(fields),
        Err(e) => fail(&e),
    }
}
