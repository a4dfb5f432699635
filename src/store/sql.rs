//! The queries, written once in SQL that SQLite and PostgreSQL both accept
//! (`$n` placeholders, `ON CONFLICT`, integers as BIGINT/INTEGER, booleans as 0/1).

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::account_cache::AccountCache;
use super::account_writer::AccountWriter;
use super::{AppRecord, GroupPage, GroupRecord, Store, StoreError, StoreResult};

pub struct SqlStore {
    pub(super) pool: AnyPool,
    /// Accounts and profiles known without a query; every account write below updates it.
    accounts: AccountCache,
    writer: AccountWriter,
}

impl SqlStore {
    /// Starts the account writer on the current runtime.
    pub(super) fn new(pool: AnyPool) -> Self {
        Self { writer: AccountWriter::start(pool.clone()), pool, accounts: AccountCache::default() }
    }
}

/// Ids and counters are u64 on the wire and BIGINT in the database.
pub(super) fn db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn get_u64(row: &AnyRow, col: &str) -> StoreResult<u64> {
    let v: i64 = row.try_get(col)?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {col}")))
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

const GROUP_COLUMNS: &str = "sdkappid, group_id, group_type, name, introduction, notification, face_url, \
     owner_account, apply_join_option, mute_all, create_time, info_seq, last_info_time, app_defined_data, history_before_join";

fn group_from_row(row: &AnyRow) -> StoreResult<GroupRecord> {
    let data: String = row.try_get("app_defined_data")?;
    Ok(GroupRecord {
        sdkappid: get_u64(row, "sdkappid")?,
        group_id: row.try_get("group_id")?,
        group_type: row.try_get("group_type")?,
        name: row.try_get("name")?,
        introduction: row.try_get("introduction")?,
        notification: row.try_get("notification")?,
        face_url: row.try_get("face_url")?,
        owner_account: row.try_get("owner_account")?,
        apply_join_option: row.try_get("apply_join_option")?,
        mute_all: row.try_get::<i64, _>("mute_all")? != 0,
        create_time: get_u64(row, "create_time")?,
        info_seq: get_u64(row, "info_seq")?,
        last_info_time: get_u64(row, "last_info_time")?,
        app_defined_data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("app_defined_data: {e}")))?,
        history_before_join: row.try_get::<Option<i64>, _>("history_before_join")?.map(|v| v != 0),
    })
}

fn defined_data_json(group: &GroupRecord) -> String {
    serde_json::to_string(&group.app_defined_data).expect("pairs of strings serialise")
}

#[async_trait]
impl Store for SqlStore {
    async fn apps(&self) -> StoreResult<Vec<AppRecord>> {
        let rows = sqlx::query("SELECT sdkappid, secret_key, development, created_at FROM apps ORDER BY created_at")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AppRecord {
                    sdkappid: get_u64(r, "sdkappid")?,
                    secret_key: r.try_get("secret_key")?,
                    development: r.try_get::<i64, _>("development")? != 0,
                    created_at: get_u64(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn insert_app(&self, app: &AppRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO apps (sdkappid, secret_key, development, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sdkappid) DO UPDATE SET secret_key = excluded.secret_key",
        )
        .bind(db(app.sdkappid))
        .bind(&app.secret_key)
        .bind(i64::from(app.development))
        .bind(db(app.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn replace_admins(&self, sdkappid: u64, admins: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM app_admins WHERE sdkappid = $1").bind(db(sdkappid)).execute(&mut *tx).await?;
        for admin in admins {
            sqlx::query("INSERT INTO app_admins (sdkappid, user_id) VALUES ($1, $2)")
                .bind(db(sdkappid))
                .bind(admin)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn admins(&self, sdkappid: u64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT user_id FROM app_admins WHERE sdkappid = $1 ORDER BY user_id")
            .bind(db(sdkappid))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.try_get("user_id")).collect::<Result<_, _>>()?)
    }

    async fn import_account(&self, sdkappid: u64, user_id: &str, now: u64) -> StoreResult<bool> {
        if self.accounts.exists(sdkappid, user_id) {
            return Ok(false);
        }
        let generation = self.accounts.generation();
        let created = self.writer.insert(sdkappid, user_id, now).await?;
        self.accounts.exists_since(generation, sdkappid, user_id, created);
        Ok(created)
    }

    async fn delete_account(&self, sdkappid: u64, user_id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM accounts WHERE sdkappid = $1 AND user_id = $2")
            .bind(db(sdkappid))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM profiles WHERE sdkappid = $1 AND user_id = $2")
            .bind(db(sdkappid))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.accounts.forget_account(sdkappid, user_id);
        Ok(done.rows_affected() == 1)
    }

    async fn existing_accounts(&self, sdkappid: u64, user_ids: &[String]) -> StoreResult<HashSet<String>> {
        let (known, unknown): (Vec<&String>, Vec<&String>) =
            user_ids.iter().partition(|id| self.accounts.exists(sdkappid, id));
        let mut known: HashSet<String> = known.into_iter().cloned().collect();
        if unknown.is_empty() {
            return Ok(known);
        }
        let generation = self.accounts.generation();
        let sql = format!(
            "SELECT user_id FROM accounts WHERE sdkappid = $1 AND user_id IN ({})",
            placeholders(2, unknown.len())
        );
        let mut query = sqlx::query(&sql).bind(db(sdkappid));
        for id in unknown {
            query = query.bind(id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let id: String = row.try_get("user_id")?;
            self.accounts.exists_since(generation, sdkappid, &id, false);
            known.insert(id);
        }
        Ok(known)
    }

    async fn set_profile(&self, sdkappid: u64, user_id: &str, items: &[(String, String)]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Locks the account's row, so a concurrent delete either waits for this (and deletes
        // what it wrote) or has won (and this writes nothing): no profile outlives its account,
        // which is what lets a new account be known to have an empty profile.
        let account = sqlx::query("UPDATE accounts SET created_at = created_at WHERE sdkappid = $1 AND user_id = $2")
            .bind(db(sdkappid))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if account.rows_affected() == 0 {
            return Ok(false);
        }
        for (tag, value) in items {
            sqlx::query(
                "INSERT INTO profiles (sdkappid, user_id, tag, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (sdkappid, user_id, tag) DO UPDATE SET value = excluded.value",
            )
            .bind(db(sdkappid))
            .bind(user_id)
            .bind(tag)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.accounts.forget_profile(sdkappid, user_id);
        Ok(true)
    }

    async fn profile(&self, sdkappid: u64, user_id: &str) -> StoreResult<Vec<(String, String)>> {
        if let Some(profile) = self.accounts.profile(sdkappid, user_id) {
            return Ok(profile.as_ref().clone());
        }
        let generation = self.accounts.generation();
        let rows = sqlx::query("SELECT tag, value FROM profiles WHERE sdkappid = $1 AND user_id = $2 ORDER BY tag")
            .bind(db(sdkappid))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        let profile: Vec<(String, String)> =
            rows.iter().map(|r| Ok((r.try_get("tag")?, r.try_get("value")?))).collect::<StoreResult<_>>()?;
        self.accounts.profile_since(generation, sdkappid, user_id, profile.clone());
        Ok(profile)
    }

    async fn insert_group(&self, g: &GroupRecord) -> StoreResult<bool> {
        let sql = format!(
            "INSERT INTO chat_groups ({GROUP_COLUMNS}) VALUES ({}) ON CONFLICT (sdkappid, group_id) DO NOTHING",
            placeholders(1, 15)
        );
        let done = sqlx::query(&sql)
            .bind(db(g.sdkappid))
            .bind(&g.group_id)
            .bind(&g.group_type)
            .bind(&g.name)
            .bind(&g.introduction)
            .bind(&g.notification)
            .bind(&g.face_url)
            .bind(g.owner_account.clone())
            .bind(&g.apply_join_option)
            .bind(i64::from(g.mute_all))
            .bind(db(g.create_time))
            .bind(db(g.info_seq))
            .bind(db(g.last_info_time))
            .bind(defined_data_json(g))
            .bind(g.history_before_join.map(i64::from))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn group(&self, sdkappid: u64, group_id: &str) -> StoreResult<Option<GroupRecord>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM chat_groups WHERE sdkappid = $1 AND group_id = $2");
        let row = sqlx::query(&sql).bind(db(sdkappid)).bind(group_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(group_from_row).transpose()
    }

    async fn update_group(&self, g: &GroupRecord) -> StoreResult<()> {
        sqlx::query(
            "UPDATE chat_groups SET name = $3, introduction = $4, notification = $5, face_url = $6, owner_account = $7, \
             apply_join_option = $8, mute_all = $9, info_seq = $10, last_info_time = $11, app_defined_data = $12, \
             history_before_join = $13 WHERE sdkappid = $1 AND group_id = $2",
        )
        .bind(db(g.sdkappid))
        .bind(&g.group_id)
        .bind(&g.name)
        .bind(&g.introduction)
        .bind(&g.notification)
        .bind(&g.face_url)
        .bind(g.owner_account.clone())
        .bind(&g.apply_join_option)
        .bind(i64::from(g.mute_all))
        .bind(db(g.info_seq))
        .bind(db(g.last_info_time))
        .bind(defined_data_json(g))
        .bind(g.history_before_join.map(i64::from))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_group(&self, sdkappid: u64, group_id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM chat_groups WHERE sdkappid = $1 AND group_id = $2")
            .bind(db(sdkappid))
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        // Per-group moderation state goes with the group, so a re-created id starts clean.
        for table in ["group_mutes", "group_bans", "group_admins", "group_attributes"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE sdkappid = $1 AND group_id = $2"))
                .bind(db(sdkappid))
                .bind(group_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn group_page(&self, sdkappid: u64, group_type: &str, after: u64, limit: u32) -> StoreResult<GroupPage> {
        let rows = sqlx::query(
            "SELECT id, group_id FROM chat_groups WHERE sdkappid = $1 AND group_type = $2 AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(db(sdkappid))
        .bind(group_type)
        .bind(db(after))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM chat_groups WHERE sdkappid = $1 AND group_type = $2")
            .bind(db(sdkappid))
            .bind(group_type)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let has_more = rows.len() > limit as usize;
        let page = &rows[..rows.len().min(limit as usize)];
        let next = match (has_more, page.last()) {
            (true, Some(last)) => Some(get_u64(last, "id")?),
            _ => None,
        };
        Ok(GroupPage {
            group_ids: page.iter().map(|r| r.try_get("group_id")).collect::<Result<_, _>>()?,
            next,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
