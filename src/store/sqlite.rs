//! SQLite specifics: create the file and its folder, WAL journal, busy timeout.

use std::path::Path;
use std::time::Duration;

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

use super::{SqlStore, StoreResult};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub(super) async fn open(url: &str, max_connections: u32) -> StoreResult<SqlStore> {
    let (path, query) = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split_once('?')
        .unwrap_or((url.trim_start_matches("sqlite:").trim_start_matches("//"), ""));
    let in_memory = path == ":memory:" || query.contains("mode=memory");
    if !in_memory {
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| sqlx::Error::Configuration(format!("cannot create {}: {e}", dir.display()).into()))?;
        }
    }
    // rwc: create the file if it is missing.
    let url = if query.is_empty() { format!("sqlite://{path}?mode=rwc") } else { format!("sqlite://{path}?{query}") };
    let pool = AnyPoolOptions::new()
        .max_connections(if in_memory { 1 } else { max_connections })
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;").await?;
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await?;
    MIGRATIONS.run(&pool).await?;
    Ok(SqlStore::new(pool))
}
