//! The domain error: a Tencent error code and a human-readable `ErrorInfo`.
//!
//! Every business outcome that is not success is an [`ImError`] carrying the numeric code a
//! Tencent IM client expects. Transports (REST envelope, gateway replies) turn it into bytes in
//! one place each; nothing here knows about HTTP. Faults that are ours rather than the caller's
//! (storage down, a bug) are [`ImError::internal`]: they are logged once where they are mapped
//! and answered with the service's "internal error" code.

use std::borrow::Cow;

/// Tencent error codes used by roomcast, grouped as in the Tencent error-code table.
pub mod code {
    // REST common (60000-79999)
    pub const BAD_URL: u32 = 60002;
    pub const JSON_PARSE: u32 = 60003;
    pub const BAD_IDENTIFIER_OR_SIG: u32 = 60004;
    pub const SDKAPPID_INVALID: u32 = 60006;
    pub const REST_FREQUENCY_LIMIT: u32 = 60007;
    pub const BAD_HTTP_REQUEST: u32 = 60008;
    pub const UNKNOWN_COMMAND: u32 = 60009;
    pub const NOT_APP_ADMIN: u32 = 60010;
    pub const SDKAPPID_MISSING: u32 = 60012;
    /// "Feature not enabled"; the Web SDK only logs it for the sync requests it sends itself.
    pub const NOT_SUPPORTED: u32 = 60020;

    // UserSig and accounts (70xxx)
    pub const SIG_EXPIRED: u32 = 70001;
    pub const SIG_EMPTY: u32 = 70002;
    pub const SIG_MALFORMED: u32 = 70003;
    pub const SIG_MISMATCH: u32 = 70005;
    pub const SIG_IDENTIFIER_MISMATCH: u32 = 70013;
    pub const SIG_SDKAPPID_MISMATCH: u32 = 70014;
    pub const SIG_INVALIDATED: u32 = 70052;
    pub const ACCOUNT_NOT_FOUND: u32 = 70107;
    pub const ACCOUNT_BATCH_COUNT: u32 = 70206;
    pub const ACCOUNT_BAD_PARAM: u32 = 70402;
    pub const ACCOUNT_NOT_ADMIN: u32 = 70403;
    pub const ACCOUNT_INTERNAL: u32 = 70500;

    // Groups (10xxx)
    pub const GROUP_INTERNAL: u32 = 10002;
    pub const GROUP_UNKNOWN_COMMAND: u32 = 10003;
    pub const GROUP_BAD_PARAM: u32 = 10004;
    pub const GROUP_TOO_MANY_ACCOUNTS: u32 = 10005;
    pub const GROUP_OPERATION_FREQUENCY: u32 = 10006;
    pub const GROUP_NO_PERMISSION: u32 = 10007;
    pub const GROUP_NOT_FOUND: u32 = 10010;
    pub const GROUP_JSON_PARSE: u32 = 10011;
    pub const GROUP_INVALID_ID: u32 = 10015;
    pub const GROUP_ACCOUNT_NOT_FOUND: u32 = 10019;
    pub const CALLBACK_REJECTED: u32 = 10016;
    pub const MUTED: u32 = 10017;
    pub const GROUP_ID_IN_USE: u32 = 10021;
    pub const FREQUENCY_LIMIT: u32 = 10023;
    pub const GROUP_ID_OWNED: u32 = 10025;

    pub const GROUP_OWNER_CANNOT_QUIT: u32 = 10009;

    // Group attributes
    pub const ATTR_KEY_TOO_LONG: u32 = 10045;
    pub const ATTR_VALUE_TOO_LONG: u32 = 10046;
    pub const ATTR_TOO_MANY_KEYS: u32 = 10047;
    pub const ATTR_TOTAL_TOO_LONG: u32 = 10048;
    pub const ATTR_WRITE_FREQUENCY: u32 = 10049;
    pub const ATTR_WRITE_CONFLICT: u32 = 10056;

    // Content (80xxx)
    pub const DIRTY_WORD: u32 = 80001;
    pub const MSG_TOO_LONG: u32 = 80002;

    // Profiles (40xxx)
    pub const PROFILE_BAD_PARAM: u32 = 40001;
    pub const PROFILE_NO_ACCOUNT: u32 = 40002;
    pub const PROFILE_ACCOUNT_NOT_FOUND: u32 = 40003;
    pub const PROFILE_NOT_ADMIN: u32 = 40004;
    pub const PROFILE_INTERNAL: u32 = 40006;
    pub const PROFILE_NO_WRITE: u32 = 40008;
    pub const PROFILE_UNKNOWN_TAG: u32 = 40009;
    pub const PROFILE_VALUE_TOO_LONG: u32 = 40601;
    pub const PROFILE_BAD_VALUE: u32 = 40605;
    pub const PROFILE_TYPE_MISMATCH: u32 = 40610;
}

/// A failed command: the Tencent `ErrorCode` and the `ErrorInfo` text sent with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {info}")]
pub struct ImError {
    pub code: u32,
    pub info: Cow<'static, str>,
    /// True for faults on our side; the transport logs these once at error level.
    pub internal: bool,
}

impl ImError {
    pub fn new(code: u32, info: impl Into<Cow<'static, str>>) -> Self {
        Self { code, info: info.into(), internal: false }
    }

    /// A fault of the server, not of the request. `code` is the service's internal-error code.
    pub fn internal(code: u32, cause: impl std::fmt::Display) -> Self {
        Self { code, info: format!("internal error: {cause}").into(), internal: true }
    }
}

pub type ImResult<T> = Result<T, ImError>;
