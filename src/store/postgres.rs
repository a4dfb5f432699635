//! PostgreSQL specifics: pool options and the migrations folder.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;

use super::{SqlStore, StoreResult};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(super) async fn open(url: &str, max_connections: u32) -> StoreResult<SqlStore> {
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    MIGRATIONS.run(&pool).await?;
    Ok(SqlStore::new(pool))
}
