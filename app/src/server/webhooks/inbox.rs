//! Group commit for the inbox: concurrent deliveries are written together, one transaction per
//! batch, and each is answered only after its batch has committed.
//!
//! A durable single-row insert costs one WAL flush; under load most of a delivery's time was
//! that flush. A few writer tasks each take whatever has queued while the others were
//! committing (up to `MAX_BATCH`), so a lone delivery still costs one insert and a busy
//! endpoint pays one flush per batch. Nothing is acknowledged that is not committed: a crash
//! loses only unanswered deliveries, which Stripe sends again.

use crate::server::db;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Deliveries written per transaction at most.
const MAX_BATCH: usize = 256;
/// Writer tasks: while some wait for their commit to be flushed, another collects the next
/// batch. With two, a sixth of two cores sat idle under load, waiting for flushes.
pub const WRITERS: usize = 4;
/// Deliveries waiting for a writer before new ones wait for room.
const QUEUE: usize = 4096;

/// An event to store, owned so it can wait in the queue.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: String,
    pub mode: String,
    pub type_: String,
    pub object_id: Option<String>,
    pub api_version: Option<String>,
    pub created: i64,
    pub payload: String,
}

struct Pending {
    row: InboxRow,
    reply: oneshot::Sender<Result<bool, ()>>,
}

/// The handle deliveries write through. Cheap to clone.
#[derive(Clone, Debug)]
pub struct InboxWriter {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("id", &self.row.id).finish()
    }
}

impl InboxWriter {
    /// Starts the writer tasks on the current runtime.
    pub fn start(pool: PgPool) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(pool.clone(), receiver.clone()));
        }
        Self { queue }
    }

    /// Stores the event once; `Ok(false)` when it was stored before. Answers after the commit.
    pub async fn insert(&self, row: InboxRow) -> Result<bool, ()> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { row, reply })
            .await
            .map_err(drop)?;
        answer.await.map_err(drop)?
    }
}

async fn write_batches(pool: PgPool, receiver: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        // In ID order and once each: two writers inserting the same redelivered events in
        // different orders would each wait on the other's row, a deadlock Postgres breaks by
        // failing one batch.
        let mut rows: Vec<&InboxRow> = batch.iter().map(|p| &p.row).collect();
        rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        rows.dedup_by(|a, b| a.id == b.id);
        match db::events::insert_many(&pool, &rows).await {
            Ok(inserted) => {
                let mut inserted: HashSet<String> = inserted.into_iter().collect();
                // The same event twice in one batch: the first is stored, the second is the
                // duplicate it would have been a moment later.
                for pending in batch {
                    let stored = inserted.remove(&pending.row.id);
                    let _ = pending.reply.send(Ok(stored));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "storing webhook events failed");
                for pending in batch {
                    let _ = pending.reply.send(Err(()));
                }
            }
        }
    }
}
