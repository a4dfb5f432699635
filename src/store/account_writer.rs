//! Account inserts, batched: every login of a new account inserts it, and in a storm of logins
//! one statement (one round trip, one commit) for all the inserts waiting beats one each. A
//! single task writes; callers queue their insert and wait for its own answer. When nothing
//! else is waiting a batch holds one insert, so a lone login waits no longer than before.

use std::collections::HashSet;

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::StoreResult;
use super::sql::{db, get_u64};

/// Inserts in one statement at most. SQLite looks each `$n` up in a list while preparing (and
/// sqlx asks it each parameter's name), which grows with the square of the parameters: 128 rows
/// of 3 keep that small and still write a thousand waiting logins in 8 statements.
const MAX_BATCH: usize = 128;

struct Pending {
    sdkappid: u64,
    user_id: String,
    now: u64,
    answer: oneshot::Sender<StoreResult<bool>>,
}

pub(super) struct AccountWriter {
    queue: mpsc::UnboundedSender<Pending>,
}

fn stopped() -> super::StoreError {
    sqlx::Error::PoolClosed.into()
}

impl AccountWriter {
    /// Starts the writer task on the current runtime; it ends when the writer is dropped.
    pub fn start(pool: AnyPool) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, pending));
        Self { queue }
    }

    /// Inserts the account unless it exists; true when this call created it.
    pub async fn insert(&self, sdkappid: u64, user_id: &str, now: u64) -> StoreResult<bool> {
        let (answer, created) = oneshot::channel();
        let pending = Pending { sdkappid, user_id: user_id.to_owned(), now, answer };
        self.queue.send(pending).map_err(|_| stopped())?;
        created.await.map_err(|_| stopped())?
    }
}

async fn run(pool: AnyPool, mut pending: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match insert_batch(&pool, &batch).await {
            Ok(mut created) => {
                for p in batch.drain(..) {
                    // A second insert of the same account in the batch did not create it.
                    let _ = p.answer.send(Ok(created.remove(&(p.sdkappid, p.user_id))));
                }
            }
            // One by one, so each caller gets its own error.
            Err(_) => {
                for p in batch.drain(..) {
                    let result = insert_batch(&pool, std::slice::from_ref(&p)).await;
                    let _ = p.answer.send(result.map(|created| !created.is_empty()));
                }
            }
        }
    }
}

/// Inserts the batch; returns the accounts it created (the others existed).
async fn insert_batch(pool: &AnyPool, batch: &[Pending]) -> StoreResult<HashSet<(u64, String)>> {
    let values: Vec<String> =
        (0..batch.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
    let sql = format!(
        "INSERT INTO accounts (sdkappid, user_id, created_at) VALUES {} \
         ON CONFLICT (sdkappid, user_id) DO NOTHING RETURNING sdkappid, user_id",
        values.join(", ")
    );
    // Each batch size is a new statement text: kept out of the connection's statement cache,
    // where hundreds of them would evict the statements other queries reuse.
    let mut query = sqlx::query(&sql).persistent(batch.len() == 1);
    for p in batch {
        query = query.bind(db(p.sdkappid)).bind(p.user_id.as_str()).bind(db(p.now));
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(|r| Ok((get_u64(r, "sdkappid")?, r.try_get("user_id")?))).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_imports_create_each_account_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/rc.db", dir.path().display());
        let store = super::super::open(&url, 4).await.unwrap();
        // Every account twice, all at once: batches hold duplicates.
        let imports: Vec<_> = (0..200)
            .map(|i| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.import_account(1, &format!("u{}", i % 100), 0).await.unwrap() })
            })
            .collect();
        let mut created = 0;
        for import in imports {
            created += usize::from(import.await.unwrap());
        }
        assert_eq!(created, 100);
        let ids: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
        // Read back by a second store, whose cache knows nothing yet.
        let fresh = super::super::open(&url, 1).await.unwrap();
        assert_eq!(fresh.existing_accounts(1, &ids).await.unwrap().len(), 100);
        assert!(!store.import_account(1, "u7", 0).await.unwrap());
        assert!(store.import_account(2, "u7", 0).await.unwrap(), "accounts are per app");
    }
}
