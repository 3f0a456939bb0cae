//! The Stripe event worker beside the HTTP server: applies due events as soon as the webhook
//! stores one, and polls for retries and for events other processes stored.

use app::server::billing::events::{process_due, BATCH_SIZE};
use app::server::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often the worker looks for due retries when no webhook rings.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Runs `tasks` worker loops side by side. Each claims its batch with `SKIP LOCKED` and locks
/// the objects its events touch, so batches about different objects apply in parallel.
pub async fn run_many(state: AppState, events_ready: Arc<Notify>, tasks: usize) {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..tasks.max(1) {
        workers.spawn(run(state.clone(), events_ready.clone()));
    }
    while workers.join_next().await.is_some() {}
}

pub async fn run(state: AppState, events_ready: Arc<Notify>) {
    loop {
        match process_due(&state.settings(), BATCH_SIZE).await {
            Ok(report) => {
                if report.total() > 0 {
                    tracing::info!(
                        processed = report.processed,
                        ignored = report.ignored,
                        retrying = report.retrying,
                        failed = report.failed,
                        "stripe events applied"
                    );
                }
                if i64::try_from(report.total()).is_ok_and(|n| n >= BATCH_SIZE) {
                    continue; // a full batch: more are likely waiting
                }
                tokio::select! {
                    () = events_ready.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "stripe event batch failed; retrying");
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    }
}
