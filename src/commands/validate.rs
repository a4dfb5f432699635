//! Request checks shared by commands. Lengths are UTF-8 byte counts, as Tencent counts them.

use crate::error::ImError;

/// Longest UserID in bytes.
pub const MAX_USER_ID_BYTES: usize = 32;

/// A UserID is 1 to 32 bytes of UTF-8 without control characters.
pub fn user_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("UserID is empty".into());
    }
    if id.len() > MAX_USER_ID_BYTES {
        return Err(format!("UserID is {} bytes; at most {MAX_USER_ID_BYTES} are allowed", id.len()));
    }
    if id.chars().any(char::is_control) {
        return Err("UserID contains a control character".into());
    }
    Ok(())
}

/// Fails with `code` when `value` is longer than `limit` bytes.
pub fn max_bytes(field: &str, value: &str, limit: usize, code: u32) -> Result<(), ImError> {
    if value.len() > limit {
        return Err(ImError::new(code, format!("{field} is {} bytes; at most {limit} are allowed", value.len())));
    }
    Ok(())
}

/// Fails with `code` unless `1 <= count <= limit`.
pub fn batch(field: &str, count: usize, limit: usize, code: u32) -> Result<(), ImError> {
    if count == 0 {
        return Err(ImError::new(code, format!("{field} is empty")));
    }
    if count > limit {
        return Err(ImError::new(code, format!("{field} has {count} entries; at most {limit} are allowed")));
    }
    Ok(())
}
