//! Who is calling: UserSig verification against the registered apps, and the resulting
//! [`Principal`] that commands check.

pub mod ticket;
pub mod usersig;

use std::collections::HashMap;

use crate::error::{ImError, ImResult, code};

/// The caller of a command, as established by a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An app administrator (REST calls; may act for any account).
    Admin { sdkappid: u64, user_id: String },
    /// A logged-in SDK user, acting as itself.
    User { sdkappid: u64, user_id: String },
    /// An anonymous SDK viewer (receive-only).
    Guest { sdkappid: u64 },
}

impl Principal {
    pub fn sdkappid(&self) -> u64 {
        match self {
            Principal::Admin { sdkappid, .. } | Principal::User { sdkappid, .. } | Principal::Guest { sdkappid } => {
                *sdkappid
            }
        }
    }

    /// The account acting, if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::Admin { user_id, .. } | Principal::User { user_id, .. } => Some(user_id),
            Principal::Guest { .. } => None,
        }
    }
}

/// One registered application: its signing key and administrators.
#[derive(Debug, Clone)]
pub struct AppEntry {
    pub sdkappid: u64,
    pub secret_key: String,
    pub admins: Vec<String>,
    /// Created by the server because none was configured (enables development helpers).
    pub development: bool,
}

/// The apps this server answers for, fixed at start.
#[derive(Debug, Default)]
pub struct AppRegistry {
    apps: HashMap<u64, AppEntry>,
}

impl AppRegistry {
    pub fn new(apps: impl IntoIterator<Item = AppEntry>) -> Self {
        Self { apps: apps.into_iter().map(|a| (a.sdkappid, a)).collect() }
    }

    pub fn get(&self, sdkappid: u64) -> Option<&AppEntry> {
        self.apps.get(&sdkappid)
    }

    /// Checks a REST caller: known app, valid UserSig for `identifier`, identifier an admin.
    pub fn authenticate_admin(&self, sdkappid: u64, identifier: &str, usersig: &str, now: u64) -> ImResult<Principal> {
        let app = self
            .get(sdkappid)
            .ok_or_else(|| ImError::new(code::SDKAPPID_INVALID, format!("SDKAppID {sdkappid} is not served here")))?;
        if identifier.is_empty() {
            return Err(ImError::new(code::BAD_IDENTIFIER_OR_SIG, "identifier is missing"));
        }
        usersig::verify(usersig, sdkappid, &app.secret_key, identifier, now)?;
        if !app.admins.iter().any(|a| a == identifier) {
            return Err(ImError::new(
                code::NOT_APP_ADMIN,
                format!("identifier {identifier:?} is not an App administrator"),
            ));
        }
        Ok(Principal::Admin { sdkappid, user_id: identifier.to_owned() })
    }
}
