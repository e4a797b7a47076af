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
use super::{ApiError, AppState, Result};
use crate::protocol::{Change, FeedEntry, PullResponse};

pub const MAX_PULL: i64 = 1000;

fn key_of(change: &Change) -> String {
    match change {
        Change::Office(o) => o.code.clone(),
        Change::Officer(o) => o.username.clone(),
        Change::Booking(b) => b.booking.code.as_str().to_owned(),
        Change::Case(c) => c.case_id.to_string(),
        Change::Ticket(t) => t.id.to_string(),
        Change::Approval(a) => a.request.to_string(),
    }
}

fn kind_of(change: &Change) -> &'static str {
    match change {
        Change::Office(_) => "office",
        Change::Officer(_) => "officer",
        Change::Booking(_) => "booking",
        Change::Case(_) => "case",
        Change::Ticket(_) => "ticket",
        Change::Approval(_) => "approval",
    }
}

/// Appends `changes` to `office`'s feed inside `tx`. Call it last before commit: from here
/// to the commit, other writers of this office wait.
pub async fn append(
    tx: &tokio_postgres::Transaction<'_>,
    office: &str,
    changes: &[Change],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = changes.len() as i64;
    let last: i64 = tx
        .query_one(
            "INSERT INTO feeds (office, last) VALUES ($1, $2)
             ON CONFLICT (office) DO UPDATE SET last = feeds.last + $2
             RETURNING last",
            &[&office, &n],
        )
        .await?
        .get(0);
    let first = last - n + 1;
    let positions: Vec<i64> = (first..=last).collect();
    let kinds: Vec<&str> = changes.iter().map(kind_of).collect();
    let keys: Vec<String> = changes.iter().map(key_of).collect();
    let bodies = changes
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    // Delivered when (and only if) the transaction commits: wakes the long polls.
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&super::db::FEED_CHANNEL, &office],
    )
    .await?;
    tx.execute(
        "INSERT INTO changes (office, pos, kind, key, body)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::jsonb[])",
        &[&office, &positions, &kinds, &keys, &bodies],
    )
    .await?;
    Ok(())
}

/// Bookings whose day is this many days past leave the feed when it is compacted.
pub const KEEP_PAST_DAYS: i32 = 7;

/// Shrinks every office's feed without changing what any counter ends up with, wherever
/// its cursor stands: a change with a later change of the same entity (an office, an
/// officer, a booking, a case) is dropped, since applying the later one alone gives the
/// same result; so are bookings more than [`KEEP_PAST_DAYS`] past, which counters ignore,
/// and queue tickets of days before yesterday (a ticket is for its day only).
/// Positions are never reused, so cursors stay valid. Returns how many changes went.
pub async fn compact(client: &tokio_postgres::Client) -> Result<u64> {
    let superseded = client
        .execute(
            "DELETE FROM changes c USING changes later
             WHERE later.office = c.office AND later.kind = c.kind AND later.key = c.key
               AND later.pos > c.pos",
            &[],
        )
        .await?;
    let past = client
        .execute(
            "DELETE FROM changes
             WHERE kind = 'booking'
               AND (body #>> '{body,booking,date}')::date < current_date - $1::int",
            &[&KEEP_PAST_DAYS],
        )
        .await?;
    // Queue tickets live for their day: counters and displays take today's only.
    let past_tickets = client
        .execute(
            "DELETE FROM changes
             WHERE kind = 'ticket' AND (body #>> '{body,day}')::date < current_date - 1",
            &[],
        )
        .await?;
    Ok(superseded + past + past_tickets)
}

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

/// The changes of `office` after `after`, oldest first.
pub async fn read(
    client: &tokio_postgres::Client,
    office: &str,
    after: i64,
    limit: i64,
) -> Result<PullResponse> {
    let rows = client
        .query(
            "SELECT pos, body FROM changes WHERE office = $1 AND pos > $2 ORDER BY pos LIMIT $3",
            &[&office, &after, &(limit + 1)],
        )
        .await?;
    let more = rows.len() as i64 > limit;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let body: serde_json::Value = row.get(1);
        let change: Change =
            serde_json::from_value(body).map_err(|e| ApiError::Internal(e.to_string()))?;
        changes.push(FeedEntry {
            pos: row.get(0),
            change,
        });
    }
    let cursor = changes.last().map_or(after, |c| c.pos);
    Ok(PullResponse {
        changes,
        cursor,
        more,
    })
}

/// The longest a pull may wait for a change (`wait`, seconds): below the request timeout
/// and the idle timeouts of common proxies.
pub const MAX_WAIT_SECONDS: u64 = 25;
/// Long polls that may wait at once; beyond them a pull answers at once, as without `wait`.
pub const MAX_WAITING: usize = 20_000;

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
    // Held while waiting: beyond MAX_WAITING a pull does not wait.
    let permit = state.waiters.clone().try_acquire_owned().ok();
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
