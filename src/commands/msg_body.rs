//! `MsgBody` validation: the element types a live room carries, their required fields, and
//! the 12 KB limit on the whole body.

use serde_json::Value;

use crate::error::{ImError, ImResult, code};

/// Largest MsgBody (all elements, as JSON) in bytes.
pub const MAX_BODY_BYTES: usize = 12 * 1024;

#[derive(Clone, Copy)]
enum Field {
    Text,
    Int,
    Number,
    List,
}

/// Required fields of each element type; other fields are passed through as given.
fn required_fields(msg_type: &str) -> Option<&'static [(&'static str, Field)]> {
    use Field::*;
    Some(match msg_type {
        "TIMTextElem" => &[("Text", Text)],
        "TIMCustomElem" => &[],
        "TIMFaceElem" => &[("Index", Int)],
        "TIMLocationElem" => &[("Latitude", Number), ("Longitude", Number)],
        "TIMImageElem" => &[("UUID", Text), ("ImageInfoArray", List)],
        "TIMSoundElem" => &[("UUID", Text), ("Second", Int)],
        "TIMFileElem" => &[("UUID", Text), ("FileName", Text)],
        "TIMVideoFileElem" => &[("VideoUUID", Text), ("VideoUrl", Text)],
        _ => return None,
    })
}

/// Optional fields that must still have the right type when present.
const TEXT_FIELDS: &[&str] =
    &["Text", "Data", "Desc", "Ext", "Sound", "Url", "UUID", "FileName", "VideoUrl", "ThumbUrl"];

fn has_type(value: &Value, field: Field) -> bool {
    match field {
        Field::Text => value.is_string(),
        Field::Int => value.is_u64() || value.is_i64(),
        Field::Number => value.is_number(),
        Field::List => value.is_array(),
    }
}

/// Checks a MsgBody; `bad` is the caller's parameter-error code.
pub fn validate(body: &Value, bad: u32) -> ImResult<()> {
    let elements = body.as_array().ok_or_else(|| ImError::new(bad, "MsgBody must be an array of elements"))?;
    if elements.is_empty() {
        return Err(ImError::new(bad, "MsgBody is empty"));
    }
    for (i, element) in elements.iter().enumerate() {
        let msg_type = element.get("MsgType").and_then(Value::as_str).unwrap_or_default();
        let fields = required_fields(msg_type).ok_or_else(|| {
            ImError::new(bad, format!("MsgBody[{i}].MsgType {msg_type:?} is not a supported element type"))
        })?;
        let content = element
            .get("MsgContent")
            .filter(|c| c.is_object())
            .ok_or_else(|| ImError::new(bad, format!("MsgBody[{i}].MsgContent must be an object")))?;
        for (name, field) in fields {
            if !content.get(*name).is_some_and(|v| has_type(v, *field)) {
                return Err(ImError::new(
                    bad,
                    format!("MsgBody[{i}] ({msg_type}) needs MsgContent.{name} of the right type"),
                ));
            }
        }
        for name in TEXT_FIELDS {
            if content.get(*name).is_some_and(|v| !v.is_string() && !v.is_null()) {
                return Err(ImError::new(bad, format!("MsgBody[{i}].MsgContent.{name} must be text")));
            }
        }
    }
    let size = serde_json::to_vec(body).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_BODY_BYTES {
        return Err(ImError::new(
            code::MSG_TOO_LONG,
            format!("MsgBody is {size} bytes; at most {MAX_BODY_BYTES} are allowed"),
        ));
    }
    Ok(())
}

/// The text elements' texts, for filters that read only text.
pub fn texts(body: &Value) -> impl Iterator<Item = &str> {
    body.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e.get("MsgType").and_then(Value::as_str) == Some("TIMTextElem"))
        .filter_map(|e| e["MsgContent"]["Text"].as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_element_type_is_checked() {
        let ok = json!([
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}},
            {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{\"gift\":1}", "Desc": "gift", "Ext": ""}},
            {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "x"}},
            {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here", "Latitude": 22.5, "Longitude": 113.9}},
            {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "u", "ImageFormat": 1, "ImageInfoArray": []}},
            {"MsgType": "TIMSoundElem", "MsgContent": {"UUID": "u", "Url": "http://s", "Size": 1, "Second": 2}},
            {"MsgType": "TIMFileElem", "MsgContent": {"UUID": "u", "Url": "http://f", "FileName": "a.txt"}},
            {"MsgType": "TIMVideoFileElem", "MsgContent": {"VideoUUID": "v", "VideoUrl": "http://v"}}
        ]);
        validate(&ok, 10004).unwrap();
        for bad in [
            json!([]),
            json!({"MsgType": "TIMTextElem"}),
            json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]),
            json!([{"MsgType": "TIMTextElem"}]),
            json!([{"MsgType": "TIMMagicElem", "MsgContent": {}}]),
            json!([{"MsgType": "TIMLocationElem", "MsgContent": {"Latitude": "north", "Longitude": 1}}]),
            json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": {"not": "text"}}}]),
        ] {
            assert_eq!(validate(&bad, 10004).unwrap_err().code, 10004, "{bad}");
        }
    }

    #[test]
    fn the_body_is_at_most_12_kb() {
        let big = |n| json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "x".repeat(n)}}]);
        validate(&big(12 * 1024 - 60), 10004).unwrap();
        assert_eq!(validate(&big(12 * 1024), 10004).unwrap_err().code, 80002);
    }
}
