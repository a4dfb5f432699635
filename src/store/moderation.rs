//! Durable moderation and room state: member mutes per group, app-wide mutes, bans, dirty
//! words, AVChatRoom admins and group attributes.

use async_trait::async_trait;
use sqlx::Row;

use super::sql::{db, get_u64};
use super::{SqlStore, StoreResult};

/// An account's app-wide mute (`openconfigsvr/setnospeaking`), as Unix seconds it ends at
/// (0 = not muted; u32::MAX = for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GlobalMute {
    pub c2c_until: u64,
    pub group_until: u64,
}

/// A group's attributes as stored: (key, value, per-key seq) and the main seq of the set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredAttributes {
    pub main_seq: u64,
    pub entries: Vec<(String, String, u64)>,
}

#[async_trait]
pub trait ModerationStore {
    /// Mutes `user_id` in a group until `until` (Unix seconds); `None` unmutes.
    async fn set_group_mute(&self, sdkappid: u64, group_id: &str, user_id: &str, until: Option<u64>)
    -> StoreResult<()>;
    /// Every mute recorded for a group, expired ones included, as (account, until).
    async fn group_mutes(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<(String, u64)>>;
    async fn set_global_mute(&self, sdkappid: u64, user_id: &str, mute: GlobalMute) -> StoreResult<()>;
    /// Every app-wide mute of an app, as (account, mute).
    async fn global_mutes(&self, sdkappid: u64) -> StoreResult<Vec<(String, GlobalMute)>>;
    /// Bans `user_id` from a group until `until`; `None` lifts the ban.
    async fn set_group_ban(
        &self,
        sdkappid: u64,
        group_id: &str,
        user_id: &str,
        ban: Option<(u64, &str)>,
    ) -> StoreResult<()>;
    /// Every ban recorded for a group, expired ones included, as (account, until).
    async fn group_bans(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<(String, u64)>>;
    async fn dirty_words(&self, sdkappid: u64) -> StoreResult<Vec<String>>;
    /// Makes `user_id` an admin of the group (`admin`) or not.
    /// False when the group is gone.
    async fn set_group_admin(&self, sdkappid: u64, group_id: &str, user_id: &str, admin: bool) -> StoreResult<bool>;
    /// A group's admins, sorted.
    async fn group_admins(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<String>>;
    /// Replaces a group's whole attribute set and its main sequence number.
    /// False when the group is gone.
    async fn replace_group_attributes(
        &self,
        sdkappid: u64,
        group_id: &str,
        set: &StoredAttributes,
    ) -> StoreResult<bool>;
    /// A group's attributes, sorted by key, and its main sequence number.
    async fn group_attributes(&self, sdkappid: u64, group_id: &str) -> StoreResult<StoredAttributes>;
    async fn add_dirty_words(&self, sdkappid: u64, words: &[String]) -> StoreResult<()>;
    async fn delete_dirty_words(&self, sdkappid: u64, words: &[String]) -> StoreResult<()>;
}

#[async_trait]
impl ModerationStore for SqlStore {
    async fn set_group_mute(
        &self,
        sdkappid: u64,
        group_id: &str,
        user_id: &str,
        until: Option<u64>,
    ) -> StoreResult<()> {
        let query = match until {
            Some(until) => sqlx::query(
                "INSERT INTO group_mutes (sdkappid, group_id, user_id, muted_until) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (sdkappid, group_id, user_id) DO UPDATE SET muted_until = excluded.muted_until",
            )
            .bind(db(sdkappid))
            .bind(group_id)
            .bind(user_id)
            .bind(db(until)),
            None => sqlx::query("DELETE FROM group_mutes WHERE sdkappid = $1 AND group_id = $2 AND user_id = $3")
                .bind(db(sdkappid))
                .bind(group_id)
                .bind(user_id),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn group_mutes(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT user_id, muted_until FROM group_mutes WHERE sdkappid = $1 AND group_id = $2 ORDER BY user_id",
        )
        .bind(db(sdkappid))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("user_id")?, get_u64(r, "muted_until")?))).collect()
    }

    async fn set_global_mute(&self, sdkappid: u64, user_id: &str, mute: GlobalMute) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO global_mutes (sdkappid, user_id, c2c_muted_until, group_muted_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sdkappid, user_id) DO UPDATE SET c2c_muted_until = excluded.c2c_muted_until, \
             group_muted_until = excluded.group_muted_until",
        )
        .bind(db(sdkappid))
        .bind(user_id)
        .bind(db(mute.c2c_until))
        .bind(db(mute.group_until))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn global_mutes(&self, sdkappid: u64) -> StoreResult<Vec<(String, GlobalMute)>> {
        let rows =
            sqlx::query("SELECT user_id, c2c_muted_until, group_muted_until FROM global_mutes WHERE sdkappid = $1")
                .bind(db(sdkappid))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let mute = GlobalMute {
                    c2c_until: get_u64(r, "c2c_muted_until")?,
                    group_until: get_u64(r, "group_muted_until")?,
                };
                Ok((r.try_get("user_id")?, mute))
            })
            .collect()
    }

    async fn set_group_ban(
        &self,
        sdkappid: u64,
        group_id: &str,
        user_id: &str,
        ban: Option<(u64, &str)>,
    ) -> StoreResult<()> {
        let query = match ban {
            Some((until, description)) => sqlx::query(
                "INSERT INTO group_bans (sdkappid, group_id, user_id, banned_until, description) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (sdkappid, group_id, user_id) DO UPDATE SET banned_until = excluded.banned_until, \
                 description = excluded.description",
            )
            .bind(db(sdkappid))
            .bind(group_id)
            .bind(user_id)
            .bind(db(until))
            .bind(description),
            None => sqlx::query("DELETE FROM group_bans WHERE sdkappid = $1 AND group_id = $2 AND user_id = $3")
                .bind(db(sdkappid))
                .bind(group_id)
                .bind(user_id),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn group_bans(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT user_id, banned_until FROM group_bans WHERE sdkappid = $1 AND group_id = $2 ORDER BY user_id",
        )
        .bind(db(sdkappid))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("user_id")?, get_u64(r, "banned_until")?))).collect()
    }

    async fn dirty_words(&self, sdkappid: u64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT word FROM dirty_words WHERE sdkappid = $1 ORDER BY word")
            .bind(db(sdkappid))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.try_get("word")).collect::<Result<_, _>>()?)
    }

    async fn add_dirty_words(&self, sdkappid: u64, words: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for word in words {
            sqlx::query(
                "INSERT INTO dirty_words (sdkappid, word) VALUES ($1, $2) ON CONFLICT (sdkappid, word) DO NOTHING",
            )
            .bind(db(sdkappid))
            .bind(word)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_dirty_words(&self, sdkappid: u64, words: &[String]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for word in words {
            sqlx::query("DELETE FROM dirty_words WHERE sdkappid = $1 AND word = $2")
                .bind(db(sdkappid))
                .bind(word)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_group_admin(&self, sdkappid: u64, group_id: &str, user_id: &str, admin: bool) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        if !lock_group(&mut tx, sdkappid, group_id).await? {
            return Ok(false);
        }
        let sql = if admin {
            "INSERT INTO group_admins (sdkappid, group_id, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT (sdkappid, group_id, user_id) DO NOTHING"
        } else {
            "DELETE FROM group_admins WHERE sdkappid = $1 AND group_id = $2 AND user_id = $3"
        };
        sqlx::query(sql).bind(db(sdkappid)).bind(group_id).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn group_admins(&self, sdkappid: u64, group_id: &str) -> StoreResult<Vec<String>> {
        let rows =
            sqlx::query("SELECT user_id FROM group_admins WHERE sdkappid = $1 AND group_id = $2 ORDER BY user_id")
                .bind(db(sdkappid))
                .bind(group_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| r.try_get("user_id")).collect::<Result<_, _>>()?)
    }

    async fn replace_group_attributes(
        &self,
        sdkappid: u64,
        group_id: &str,
        set: &StoredAttributes,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // First, so the group's row is locked (a concurrent destroy_group waits) or found gone.
        let found = sqlx::query("UPDATE chat_groups SET attr_main_seq = $3 WHERE sdkappid = $1 AND group_id = $2")
            .bind(db(sdkappid))
            .bind(group_id)
            .bind(db(set.main_seq))
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM group_attributes WHERE sdkappid = $1 AND group_id = $2")
            .bind(db(sdkappid))
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        for (key, value, seq) in &set.entries {
            sqlx::query(
                "INSERT INTO group_attributes (sdkappid, group_id, attr_key, attr_value, attr_seq) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(db(sdkappid))
            .bind(group_id)
            .bind(key)
            .bind(value)
            .bind(db(*seq))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn group_attributes(&self, sdkappid: u64, group_id: &str) -> StoreResult<StoredAttributes> {
        let rows = sqlx::query(
            "SELECT attr_key, attr_value, attr_seq FROM group_attributes WHERE sdkappid = $1 AND group_id = $2 \
             ORDER BY attr_key",
        )
        .bind(db(sdkappid))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .iter()
            .map(|r| Ok((r.try_get("attr_key")?, r.try_get("attr_value")?, get_u64(r, "attr_seq")?)))
            .collect::<StoreResult<_>>()?;
        let main = sqlx::query("SELECT attr_main_seq FROM chat_groups WHERE sdkappid = $1 AND group_id = $2")
            .bind(db(sdkappid))
            .bind(group_id)
            .fetch_optional(&self.pool)
            .await?;
        let main_seq = main.as_ref().map(|r| get_u64(r, "attr_main_seq")).transpose()?.unwrap_or(0);
        Ok(StoredAttributes { main_seq, entries })
    }
}

/// Locks the group's row for the transaction, so a concurrent destroy_group waits (or has won
/// and this finds nothing); false when the group does not exist.
async fn lock_group(tx: &mut sqlx::Transaction<'_, sqlx::Any>, sdkappid: u64, group_id: &str) -> StoreResult<bool> {
    let touched = sqlx::query("UPDATE chat_groups SET info_seq = info_seq WHERE sdkappid = $1 AND group_id = $2")
        .bind(db(sdkappid))
        .bind(group_id)
        .execute(&mut **tx)
        .await?;
    Ok(touched.rows_affected() == 1)
}
