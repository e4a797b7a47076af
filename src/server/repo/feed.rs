//! The `feeds` and `changes` tables: each office's change feed (see `server::feed` for
//! the order its positions commit in).

use tokio_postgres::GenericClient;

use super::super::{ApiError, Result};
use crate::protocol::{Change, FeedEntry, PullResponse};

/// Bookings whose day is this many days past leave the feed when it is compacted.
pub const KEEP_PAST_DAYS: i32 = 7;

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
        &[&super::super::db::FEED_CHANNEL, &office],
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

/// The office's last feed position (0 before any).
pub async fn last(client: &impl GenericClient, office: &str) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT COALESCE((SELECT last FROM feeds WHERE office = $1), 0)",
            &[&office],
        )
        .await?
        .get(0))
}

/// What the office's queue depends on (tickets, the office's settings, its roster) after
/// `cursor`: position and body, oldest first.
pub async fn queue_changes_after(
    client: &impl GenericClient,
    office: &str,
    cursor: i64,
) -> Result<Vec<(i64, serde_json::Value)>> {
    Ok(client
        .query(
            "SELECT pos, body FROM changes
             WHERE office = $1 AND pos > $2 AND kind IN ('ticket', 'office', 'officer')
             ORDER BY pos",
            &[&office, &cursor],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// How many changes every feed keeps.
pub async fn size(client: &impl GenericClient) -> Result<i64> {
    Ok(client
        .query_one("SELECT COUNT(*) FROM changes", &[])
        .await?
        .get(0))
}
