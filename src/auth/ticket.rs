//! A2 session tickets: what a logged-in SDK instance presents on every request.
//!
//! After `wslogin` the SDK sends `a2` + `tinyid` instead of its UserSig, also on a new socket
//! after a reconnect (it replays queued requests before logging in again). So a ticket must be
//! verifiable on any connection without session state: it is a signed, expiring token
//! `base64url(json) "." base64url(hmac)`, keyed by a key derived from the app's secret key.
//! A kick raises the user's generation; tickets of older generations stop working.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dashmap::DashMap;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a ticket says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    #[serde(rename = "a")]
    pub sdkappid: u64,
    #[serde(rename = "u")]
    pub user_id: String,
    /// The SDK instance (`instanceid` of the socket URL) that logged in.
    #[serde(rename = "i")]
    pub instance: String,
    #[serde(rename = "n")]
    pub inst_id: u64,
    /// Unix second the ticket stops working.
    #[serde(rename = "e")]
    pub expires_at: u64,
    /// The user's kick generation when the ticket was issued.
    #[serde(rename = "g")]
    pub generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("A2 ticket is malformed")]
    Malformed,
    #[error("A2 ticket signature does not match")]
    BadSignature,
    #[error("A2 ticket expired")]
    Expired,
    #[error("A2 ticket was revoked (the user was kicked)")]
    Revoked,
}

/// Issues and checks tickets; holds the per-user kick generations.
pub struct TicketAuthority {
    generations: DashMap<(u64, String), u64>,
}

fn ticket_key(secret_key: &str) -> Hmac<Sha256> {
    let derived = Sha256::new().chain_update(b"roomcast-a2-ticket\0").chain_update(secret_key.as_bytes()).finalize();
    Hmac::<Sha256>::new_from_slice(&derived).expect("HMAC accepts any key length")
}

impl Default for TicketAuthority {
    fn default() -> Self {
        Self::new()
    }
}

impl TicketAuthority {
    pub fn new() -> Self {
        Self { generations: DashMap::new() }
    }

    pub fn generation(&self, sdkappid: u64, user_id: &str) -> u64 {
        self.generations.get(&(sdkappid, user_id.to_owned())).map(|g| *g).unwrap_or(0)
    }

    /// Invalidates every ticket the user holds now.
    pub fn revoke_all(&self, sdkappid: u64, user_id: &str) {
        *self.generations.entry((sdkappid, user_id.to_owned())).or_insert(0) += 1;
    }

    pub fn issue(&self, secret_key: &str, ticket: &Ticket) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(ticket).expect("a ticket serialises"));
        let mut mac = ticket_key(secret_key);
        mac.update(payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    pub fn verify(&self, secret_key: &str, text: &str, now: u64) -> Result<Ticket, TicketError> {
        let (payload, sig) = text.split_once('.').ok_or(TicketError::Malformed)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TicketError::Malformed)?;
        let mut mac = ticket_key(secret_key);
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig).map_err(|_| TicketError::BadSignature)?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TicketError::Malformed)?;
        let ticket: Ticket = serde_json::from_slice(&json).map_err(|_| TicketError::Malformed)?;
        if now > ticket.expires_at {
            return Err(TicketError::Expired);
        }
        if ticket.generation < self.generation(ticket.sdkappid, &ticket.user_id) {
            return Err(TicketError::Revoked);
        }
        Ok(ticket)
    }
}

/// The SDK's numeric user handle: stable per (app, user) on every node and across restarts.
pub fn tiny_id(sdkappid: u64, user_id: &str) -> String {
    let digest = Sha256::new().chain_update(sdkappid.to_be_bytes()).chain_update(user_id.as_bytes()).finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 1_000_000_000_000;
    format!("{}", 144_115_000_000_000_000 + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(exp: u64) -> Ticket {
        Ticket {
            sdkappid: 1,
            user_id: "alice".into(),
            instance: "abc".into(),
            inst_id: 7,
            expires_at: exp,
            generation: 0,
        }
    }

    #[test]
    fn round_trip_expiry_tamper_and_revocation() {
        let auth = TicketAuthority::new();
        let text = auth.issue("k", &ticket(100));
        assert_eq!(auth.verify("k", &text, 100).unwrap(), ticket(100));
        assert_eq!(auth.verify("k", &text, 101).unwrap_err(), TicketError::Expired);
        assert_eq!(auth.verify("other", &text, 50).unwrap_err(), TicketError::BadSignature);
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"a":1,"u":"bob","i":"x","n":1,"e":99,"g":0}"#),
            text.split_once('.').unwrap().1
        );
        assert_eq!(auth.verify("k", &forged, 50).unwrap_err(), TicketError::BadSignature);
        assert_eq!(auth.verify("k", "garbage", 50).unwrap_err(), TicketError::Malformed);
        auth.revoke_all(1, "alice");
        assert_eq!(auth.verify("k", &text, 50).unwrap_err(), TicketError::Revoked);
        let fresh = Ticket { generation: auth.generation(1, "alice"), ..ticket(100) };
        assert!(auth.verify("k", &auth.issue("k", &fresh), 50).is_ok());
    }

    #[test]
    fn tiny_ids_are_stable_and_distinct() {
        assert_eq!(tiny_id(1, "alice"), tiny_id(1, "alice"));
        assert_ne!(tiny_id(1, "alice"), tiny_id(1, "bob"));
        assert_ne!(tiny_id(1, "alice"), tiny_id(2, "alice"));
        assert_eq!(tiny_id(1, "alice").len(), 18);
    }
}
