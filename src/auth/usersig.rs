//! TLSSigAPIv2 UserSig: issue and verify, as Tencent's official libraries do.
//!
//! A UserSig is zlib-compressed JSON, base64-encoded with the URL-safe substitutions
//! `+`→`*`, `/`→`-`, `=`→`_`. The JSON carries `TLS.sig`, an HMAC-SHA256 (keyed by the
//! secret-key *string*) over a fixed text built from the other fields. Libraries differ in key
//! order, spacing and compression level, so a token is verified by decoding and parsing it and
//! recomputing the HMAC from the parsed values, never by comparing strings.
//!
//! Failures map to Tencent codes (documented in docs/compatibility.md):
//! empty → 70002; undecodable, over-size or missing fields → 70003; HMAC mismatch → 70005;
//! expired (`now > time + expire`) → 70001; identifier mismatch → 70013;
//! sdkappid mismatch → 70014.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ImError, code};

/// Longest UserSig text accepted before any decoding work is done.
const MAX_SIG_CHARS: usize = 8 * 1024;
/// Largest inflated JSON accepted; real tokens are about 200 bytes (zip-bomb guard).
const MAX_INFLATED_BYTES: u64 = 16 * 1024;
/// 180 days, the default validity of Tencent's libraries.
pub const DEFAULT_EXPIRE_SECS: u64 = 180 * 24 * 3600;

/// Standard alphabet; padding optional, because some encoders strip the trailing `_`.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a UserSig was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("UserSig is empty")]
    Empty,
    #[error("UserSig is malformed: {0}")]
    Malformed(&'static str),
    #[error("UserSig signature does not match")]
    BadSignature,
    #[error("UserSig expired at {expired_at}")]
    Expired { expired_at: u64 },
    #[error("UserSig was issued for identifier {actual:?}, not {expected:?}")]
    IdentifierMismatch { expected: String, actual: String },
    #[error("UserSig was issued for SDKAppID {actual}, not {expected}")]
    SdkAppIdMismatch { expected: u64, actual: u64 },
}

impl SigError {
    pub fn code(&self) -> u32 {
        match self {
            SigError::Empty => code::SIG_EMPTY,
            SigError::Malformed(_) => code::SIG_MALFORMED,
            SigError::BadSignature => code::SIG_MISMATCH,
            SigError::Expired { .. } => code::SIG_EXPIRED,
            SigError::IdentifierMismatch { .. } => code::SIG_IDENTIFIER_MISMATCH,
            SigError::SdkAppIdMismatch { .. } => code::SIG_SDKAPPID_MISMATCH,
        }
    }
}

impl From<SigError> for ImError {
    fn from(e: SigError) -> Self {
        ImError::new(e.code(), e.to_string())
    }
}

/// The verified content of a UserSig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub identifier: String,
    pub sdkappid: u64,
    pub time: u64,
    pub expire: u64,
}

impl Claims {
    /// Unix second after which the token is no longer valid.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// The text the HMAC covers; each line ends in `\n`, the userbuf line only when present.
fn content_to_sign(identifier: &str, sdkappid: u64, time: u64, expire: u64, userbuf_b64: Option<&str>) -> String {
    let mut s = format!("TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n");
    if let Some(buf) = userbuf_b64 {
        s.push_str("TLS.userbuf:");
        s.push_str(buf);
        s.push('\n');
    }
    s
}

fn hmac_for(key: &str, content: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(content.as_bytes());
    mac
}

/// Issues a UserSig valid for `expire` seconds from `now` (Unix seconds).
///
/// The JSON layout is the Node library's compact one; any official decoder accepts it.
pub fn issue(sdkappid: u64, key: &str, identifier: &str, expire: u64, now: u64) -> String {
    let sig = STANDARD
        .encode(hmac_for(key, &content_to_sign(identifier, sdkappid, now, expire, None)).finalize().into_bytes());
    let doc = serde_json::json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.time": now,
        "TLS.expire": expire,
        "TLS.sig": sig,
    });
    let json = serde_json::to_vec(&doc).expect("a JSON value always serialises");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &json).expect("writing to a Vec cannot fail");
    let compressed = z.finish().expect("writing to a Vec cannot fail");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// Decodes a UserSig into its JSON document without checking anything else.
pub fn decode(usersig: &str) -> Result<serde_json::Map<String, serde_json::Value>, SigError> {
    if usersig.is_empty() {
        return Err(SigError::Empty);
    }
    if usersig.len() > MAX_SIG_CHARS {
        return Err(SigError::Malformed("too long"));
    }
    let std_b64: String = usersig
        .trim()
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let compressed = LENIENT_B64.decode(std_b64.as_bytes()).map_err(|_| SigError::Malformed("not base64"))?;
    let json = inflate(&compressed)?;
    serde_json::from_slice(&json).map_err(|_| SigError::Malformed("not a JSON object"))
}

thread_local! {
    /// One zlib decompressor per thread, reset for each UserSig: a new one allocates and zeroes
    /// about 40 KB, which was most of the cost of checking a login's UserSig.
    static INFLATER: std::cell::RefCell<flate2::Decompress> = std::cell::RefCell::new(flate2::Decompress::new(true));
}

/// Inflates a zlib stream of at most MAX_INFLATED_BYTES (a zip-bomb guard).
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, SigError> {
    // Real tokens inflate to about 200 bytes; the buffer grows only for larger ones.
    let mut json = Vec::with_capacity(512);
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(true);
        // Without FlushDecompress::Finish, which wants all the output room at once and cannot
        // resume after running out of it.
        loop {
            let read = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX).min(compressed.len());
            let status = inflater.decompress_vec(&compressed[read..], &mut json, flate2::FlushDecompress::None);
            if json.len() as u64 > MAX_INFLATED_BYTES {
                return Err(SigError::Malformed("inflates beyond the size limit"));
            }
            match status {
                Ok(flate2::Status::StreamEnd) => return Ok(json),
                // Output full: room for more, up to one byte past the limit.
                Ok(_) if json.len() == json.capacity() => {
                    let room = json.len().min(MAX_INFLATED_BYTES as usize + 1 - json.len());
                    json.reserve_exact(room);
                }
                _ => return Err(SigError::Malformed("not zlib data (truncated?)")),
            }
        }
    })
}

fn number_field(doc: &serde_json::Map<String, serde_json::Value>, name: &str) -> Result<u64, SigError> {
    match doc.get(name) {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        // Some encoders write numbers as strings; accept them.
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or(SigError::Malformed("a numeric field is missing or invalid"))
}

fn string_field<'a>(doc: &'a serde_json::Map<String, serde_json::Value>, name: &str) -> Result<&'a str, SigError> {
    doc.get(name).and_then(|v| v.as_str()).ok_or(SigError::Malformed("a text field is missing"))
}

/// Verifies `usersig` for the expected app and identifier at time `now` (Unix seconds).
///
/// A token that carries a `TLS.userbuf` (TRTC room permissions) is accepted; the userbuf is
/// covered by the HMAC and otherwise ignored, since IM does not use it.
pub fn verify(usersig: &str, sdkappid: u64, key: &str, identifier: &str, now: u64) -> Result<Claims, SigError> {
    let doc = decode(usersig)?;
    let claims = Claims {
        identifier: string_field(&doc, "TLS.identifier")?.to_owned(),
        sdkappid: number_field(&doc, "TLS.sdkappid")?,
        time: number_field(&doc, "TLS.time")?,
        expire: number_field(&doc, "TLS.expire")?,
    };
    let sig_b64 = string_field(&doc, "TLS.sig")?;
    let userbuf = match doc.get("TLS.userbuf") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(SigError::Malformed("TLS.userbuf is not text")),
    };
    if claims.sdkappid != sdkappid {
        return Err(SigError::SdkAppIdMismatch { expected: sdkappid, actual: claims.sdkappid });
    }
    if claims.identifier != identifier {
        return Err(SigError::IdentifierMismatch { expected: identifier.to_owned(), actual: claims.identifier });
    }
    let sig = LENIENT_B64.decode(sig_b64).map_err(|_| SigError::Malformed("TLS.sig is not base64"))?;
    let content = content_to_sign(&claims.identifier, claims.sdkappid, claims.time, claims.expire, userbuf);
    // verify_slice compares in constant time.
    hmac_for(key, &content).verify_slice(&sig).map_err(|_| SigError::BadSignature)?;
    if now > claims.expires_at() {
        return Err(SigError::Expired { expired_at: claims.expires_at() });
    }
    Ok(claims)
}

#[cfg(test)]
#[path = "usersig_tests.rs"]
mod tests;
