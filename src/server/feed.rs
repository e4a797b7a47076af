//! The per-office change feed. A transaction that changes what counters see appends its
//! changes last, after taking the office's feed row lock (`UPDATE feeds ... RETURNING`), and
//! holds it to commit. So positions of one office commit in the order they were given: a
//! slow transaction blocks later writers of the same office instead of committing a lower
//! position behind a reader's back, and a cursor never skips a late commit. Offices do not
//! wait on each other.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::auth::{Reader, Role};
use super::{AppState, Result};
use crate::protocol::{Change, PullResponse};

pub const MAX_PULL: i64 = 1000;

pub use super::repo::feed::{KEEP_PAST_DAYS, append, compact, read};

/// Compacts the feed and deletes expired unfinished photo uploads every hour while pusat
/// serves (a failure is logged and retried).
pub fn spawn_compaction(pool: deadpool_postgres::Pool) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let done = match pool.get().await {
                Ok(client) => compact(&client).await,
                Err(e) => Err(e.into()),
            };
            match done {
                Ok(n) => tracing::info!(removed = n, "feed compacted"),
                Err(e) => tracing::warn!(error = %e, "feed compaction failed"),
            }
            let expired = match pool.get().await {
                Ok(client) => super::photos::expire(&client).await,
                Err(e) => Err(e.into()),
            };
            match expired {
                Ok(n) => tracing::info!(removed = n, "unfinished photo uploads expired"),
                Err(e) => tracing::warn!(error = %e, "photo upload expiry failed"),
            }
        }
    });
}

/// The longest a pull may wait for a change (`wait`, seconds): below the request timeout
/// and the idle timeouts of common proxies.
pub const MAX_WAIT_SECONDS: u64 = 25;
/// Long polls that may wait at once; beyond them a pull answers at once, as without `wait`.
pub const MAX_WAITING: usize = 20_000;
/// Long polls one device may hold at once (its terminal's sync worker, and a board or a
/// second look); beyond them its pulls answer at once. One device's thousand polls used to
/// hold connections the other kiosks waited for.
pub const MAX_WAITING_PER_DEVICE: usize = 2;

/// The long polls each device holds now.
#[derive(Default)]
pub struct DevicePolls(std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>);

/// One device's turn to wait, given back when dropped.
pub struct PollTurn {
    polls: std::sync::Arc<DevicePolls>,
    device: uuid::Uuid,
}

impl DevicePolls {
    /// A turn for `device` to wait, unless it holds [`MAX_WAITING_PER_DEVICE`] already.
    pub fn enter(self: &std::sync::Arc<Self>, device: uuid::Uuid) -> Option<PollTurn> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = held.entry(device).or_insert(0);
        if *n >= MAX_WAITING_PER_DEVICE {
            return None;
        }
        *n += 1;
        Some(PollTurn {
            polls: std::sync::Arc::clone(self),
            device,
        })
    }
}

impl Drop for PollTurn {
    fn drop(&mut self) {
        let mut held = self
            .polls
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.device) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.device);
            }
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The feed position already read.
    #[serde(default)]
    after: i64,
    /// At most this many changes.
    limit: Option<i64>,
    /// With nothing after `after`, wait up to this many seconds for a change (a long poll).
    #[serde(default)]
    wait: u64,
}

/// What a device may read: a counter its office's whole feed, a public display the calls
/// only (tickets and the office itself, for its name and settings).
fn readable(reader: &Reader, change: &Change) -> bool {
    reader.role == Role::Counter || matches!(change, Change::Ticket(_) | Change::Office(_))
}

#[utoipa::path(get, path = "/changes", tag = "sync", security(("device" = [])),
    params(PullQuery),
    responses(
        (status = 200, description = "The office's changes after `after` (a display: calls only)", body = PullResponse),
        (status = 401, description = "No valid device credential", body = crate::protocol::ErrorBody),
    ))]
pub async fn pull(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<PullQuery>,
) -> Result<Json<PullResponse>> {
    let limit = q.limit.unwrap_or(MAX_PULL).clamp(1, MAX_PULL);
    // Held while waiting: beyond MAX_WAITING, or beyond the device's own share, a pull
    // does not wait.
    let turn = (q.wait > 0)
        .then(|| state.device_polls.enter(reader.id))
        .flatten();
    let permit = turn
        .as_ref()
        .and_then(|_| state.waiters.clone().try_acquire_owned().ok());
    let wait = match permit {
        Some(_) => q.wait.min(MAX_WAIT_SECONDS),
        None => 0,
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
    // Subscribed before the first read, so a commit between the read and the wait is seen.
    let mut commits = state.feed_commits.subscribe();
    let after = q.after.max(0);
    loop {
        let mut response = {
            let client = state.pool.get().await?;
            read(&client, &reader.office, after, limit).await?
        };
        response.changes.retain(|c| readable(&reader, &c.change));
        let waited_enough = tokio::time::Instant::now() >= deadline;
        if !response.changes.is_empty() || response.more || waited_enough || response.cursor > after
        {
            state.metrics.pulled(response.changes.len());
            return Ok(Json(response));
        }
        // Nothing yet: wait for a commit to this office (or a lagged channel, or a few
        // seconds, in case a notification was lost), then read again.
        let office = reader.office.clone();
        let wake = async {
            loop {
                match commits.recv().await {
                    Ok(o) if o == office => return,
                    Ok(_) => continue,
                    Err(_) => return,
                }
            }
        };
        let recheck = std::time::Duration::from_secs(5);
        let _ = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + recheck), wake)
            .await;
    }
}
