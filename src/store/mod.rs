//! Durable state behind one trait: apps, administrators, accounts, profiles and groups.
//!
//! Both backends run the same portable SQL through sqlx's `Any` driver ([`sql::SqlStore`]);
//! what differs per backend (connection options, migrations folder) lives in `sqlite.rs` and
//! `postgres.rs`. The backend is picked by the URL scheme. Migrations in
//! `migrations/<backend>/` are embedded in the binary and applied at start.

mod account_cache;
mod account_writer;
mod moderation;
mod postgres;
mod sql;
mod sqlite;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;

pub use moderation::{GlobalMute, ModerationStore, StoredAttributes};
pub use sql::SqlStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An application (one SDKAppID) and how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRecord {
    pub sdkappid: u64,
    pub secret_key: String,
    /// Created by the server on first start because no app was configured.
    pub development: bool,
    pub created_at: u64,
}

/// A group's durable profile. Live state (members, sequence numbers) is the room engine's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub sdkappid: u64,
    pub group_id: String,
    pub group_type: String,
    pub name: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    pub owner_account: Option<String>,
    pub apply_join_option: String,
    pub mute_all: bool,
    pub create_time: u64,
    pub info_seq: u64,
    pub last_info_time: u64,
    /// Group custom fields (`AppDefinedData`) in insertion order.
    pub app_defined_data: Vec<(String, String)>,
    /// Whether joiners get recent messages (`HistoryMsgBeforeJoin`); `None` follows the server.
    pub history_before_join: Option<bool>,
}

/// One page of an app's groups, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPage {
    pub group_ids: Vec<String>,
    /// Cursor for the next page; `None` when this page is the last.
    pub next: Option<u64>,
    pub total: u64,
}

#[async_trait]
pub trait Store: ModerationStore + Send + Sync + 'static {
    async fn apps(&self) -> StoreResult<Vec<AppRecord>>;
    async fn insert_app(&self, app: &AppRecord) -> StoreResult<()>;
    /// Replaces the app's administrator list.
    async fn replace_admins(&self, sdkappid: u64, admins: &[String]) -> StoreResult<()>;
    async fn admins(&self, sdkappid: u64) -> StoreResult<Vec<String>>;

    /// Imports an account; returns false when it already existed (which is not an error).
    async fn import_account(&self, sdkappid: u64, user_id: &str, now: u64) -> StoreResult<bool>;
    /// Deletes an account and its profile; returns false when there was no such account.
    async fn delete_account(&self, sdkappid: u64, user_id: &str) -> StoreResult<bool>;
    /// Which of `user_ids` are imported accounts.
    async fn existing_accounts(&self, sdkappid: u64, user_ids: &[String]) -> StoreResult<HashSet<String>>;

    /// Sets profile tags; each value is JSON text. False (and nothing written) when there is
    /// no such account.
    async fn set_profile(&self, sdkappid: u64, user_id: &str, items: &[(String, String)]) -> StoreResult<bool>;
    /// All stored tags of a profile as (tag, JSON text).
    async fn profile(&self, sdkappid: u64, user_id: &str) -> StoreResult<Vec<(String, String)>>;

    /// Inserts a new group; returns false when the GroupId is already taken.
    async fn insert_group(&self, group: &GroupRecord) -> StoreResult<bool>;
    async fn group(&self, sdkappid: u64, group_id: &str) -> StoreResult<Option<GroupRecord>>;
    async fn update_group(&self, group: &GroupRecord) -> StoreResult<()>;
    /// Deletes a group; returns false when there was no such group.
    async fn delete_group(&self, sdkappid: u64, group_id: &str) -> StoreResult<bool>;
    /// Groups of one type after cursor `after` (0 = from the start).
    async fn group_page(&self, sdkappid: u64, group_type: &str, after: u64, limit: u32) -> StoreResult<GroupPage>;
}

/// Opens the database named by `url`, creating it if needed, and applies migrations.
pub async fn open(url: &str, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    sqlx::any::install_default_drivers();
    let store = if url.starts_with("sqlite:") {
        sqlite::open(url, max_connections).await?
    } else {
        postgres::open(url, max_connections).await?
    };
    Ok(Arc::new(store))
}
