//! The `tickets` and `ticket_conflicts` tables: the office's queue as pusat holds it.

use std::collections::HashSet;

use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::auth::Device;
use super::super::{ApiError, Result};
use crate::domain::queue::Ticket;

fn read(body: serde_json::Value) -> Result<Ticket> {
    serde_json::from_value(body).map_err(|e| ApiError::Internal(format!("stored ticket: {e}")))
}

pub async fn load(tx: &impl GenericClient, id: Uuid) -> Result<Option<(String, Ticket)>> {
    let row = tx
        .query_opt(
            "SELECT office, body FROM tickets WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?;
    row.map(|r| {
        let ticket = serde_json::from_value(r.get(1))
            .map_err(|e| ApiError::Internal(format!("stored ticket {id}: {e}")))?;
        Ok((r.get(0), ticket))
    })
    .transpose()
}

/// How many numbers `office` gave out on `line` on `day`, counted under a lock held until
/// the transaction ends, so two counters pushing at once cannot both take the last one.
pub async fn issued_on(
    tx: &impl GenericClient,
    office: &str,
    day: chrono::NaiveDate,
    line: &str,
) -> Result<i64> {
    let key = format!("quota/{office}/{day}/{line}");
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .await?;
    Ok(tx
        .query_one(
            "SELECT count(*) FROM tickets WHERE office = $1 AND day = $2 AND line = $3",
            &[&office, &day, &line],
        )
        .await?
        .get(0))
}

/// The number `counter` of `office` has called or serves on `day`, other than `except`.
pub async fn held_by(
    tx: &impl GenericClient,
    office: &str,
    day: chrono::NaiveDate,
    counter: u32,
    except: Uuid,
) -> Result<Option<Ticket>> {
    tx.query_opt(
        "SELECT body FROM tickets
         WHERE office = $1 AND day = $2 AND state IN ('called', 'serving')
           AND counter = $3 AND id <> $4
         LIMIT 1",
        &[&office, &day, &(counter as i32), &except],
    )
    .await?
    .map(|r| read(r.get(0)))
    .transpose()
}

/// Stores a new ticket; `false` when its number is given already (the
/// (office, day, line, number) key) or the ticket exists.
pub async fn insert(
    tx: &impl GenericClient,
    office: &str,
    device: Uuid,
    ticket: &Ticket,
) -> Result<bool> {
    let body = serde_json::to_value(ticket).map_err(|e| ApiError::Internal(e.to_string()))?;
    let written = tx
        .execute(
            "INSERT INTO tickets (id, office, day, line, number, state, counter, issued_by, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            &[
                &ticket.id,
                &office,
                &ticket.day,
                &ticket.issued_line(),
                &(ticket.number as i32),
                &ticket.state.label(),
                &ticket.counter.map(|c| c as i32),
                &device,
                &body,
            ],
        )
        .await?;
    Ok(written == 1)
}

pub async fn update(tx: &impl GenericClient, ticket: &Ticket) -> Result<()> {
    let body = serde_json::to_value(ticket).map_err(|e| ApiError::Internal(e.to_string()))?;
    tx.execute(
        // `line` stays the issued line: the number is unique on it for the day, and a
        // transfer to a line where the same number was given must not break that.
        "UPDATE tickets SET state = $2, counter = $3, body = $4, updated_at = now()
         WHERE id = $1",
        &[
            &ticket.id,
            &ticket.state.label(),
            &ticket.counter.map(|c| c as i32),
            &body,
        ],
    )
    .await?;
    Ok(())
}

pub async fn conflict(
    tx: &impl GenericClient,
    device: &Device,
    event: Uuid,
    ticket: Uuid,
    reason: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO ticket_conflicts (event, ticket, office, device, counter, reason)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event) DO NOTHING",
        &[
            &event,
            &ticket,
            &device.office,
            &device.id,
            &device.counter,
            &reason,
        ],
    )
    .await?;
    Ok(())
}

/// Whether `day` is pusat's today give or take one (office zones and a counter's clock).
pub async fn near_today(tx: &impl GenericClient, day: chrono::NaiveDate) -> Result<bool> {
    Ok(tx
        .query_one(
            "SELECT $1::date BETWEEN current_date - 1 AND current_date + 1",
            &[&day],
        )
        .await?
        .get(0))
}

/// The tickets `ids` as they stand.
pub async fn by_ids(client: &impl GenericClient, ids: &[Uuid]) -> Result<Vec<Ticket>> {
    client
        .query("SELECT body FROM tickets WHERE id = ANY($1)", &[&ids])
        .await?
        .into_iter()
        .map(|r| read(r.get(0)))
        .collect()
}

/// Every ticket of `office` on `day`.
pub async fn of_day(
    client: &impl GenericClient,
    office: &str,
    day: chrono::NaiveDate,
) -> Result<Vec<Ticket>> {
    client
        .query(
            "SELECT body FROM tickets WHERE office = $1 AND day = $2",
            &[&office, &day],
        )
        .await?
        .into_iter()
        .map(|r| read(r.get(0)))
        .collect()
}

/// Tickets called, column by column, for [`write_called`].
pub struct Called<'a> {
    pub office: &'a str,
    pub ids: &'a [Uuid],
    pub states: &'a [&'a str],
    pub counters: &'a [Option<i32>],
    pub bodies: &'a [serde_json::Value],
    /// Each ticket's feed change.
    pub feed_bodies: &'a [serde_json::Value],
    pub officers: &'a [&'a str],
}

/// Writes the tickets `called`, each only if it is still waiting, its officer still
/// active at the office and its counter holding no other number (the compare-and-set), and appends those written to the office's
/// feed; in the same statement reads the queue's feed entries after `cursor`. Returns the
/// ids written and the entries read (position, body), in no order.
pub async fn write_called(
    db: &impl GenericClient,
    called: &Called<'_>,
    cursor: i64,
) -> Result<(HashSet<Uuid>, Vec<(i64, serde_json::Value)>)> {
    let keys: Vec<String> = called.ids.iter().map(Uuid::to_string).collect();
    let rows = db
        .query(
            "WITH won AS (
                 UPDATE tickets t SET state = u.state, counter = u.counter, body = u.body,
                     updated_at = now()
                 FROM UNNEST($2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::text[],
                             $7::jsonb[], $8::text[]) WITH ORDINALITY
                      AS u (id, state, counter, body, key, change, officer, n)
                 WHERE t.id = u.id AND t.state = 'issued'
                   AND EXISTS (SELECT 1 FROM officers o
                               WHERE o.office = $1 AND o.username = u.officer AND o.active)
                   AND NOT EXISTS (SELECT 1 FROM tickets h
                                   WHERE h.office = $1 AND h.day = t.day
                                     AND h.state IN ('called', 'serving')
                                     AND h.counter = u.counter)
                 RETURNING t.id, u.key, u.change, u.n
             ),
             feed AS (
                 INSERT INTO feeds (office, last)
                 SELECT $1, count(*) FROM won HAVING count(*) > 0
                 ON CONFLICT (office) DO UPDATE SET last = feeds.last + EXCLUDED.last
                 RETURNING last
             ),
             added AS (
                 INSERT INTO changes (office, pos, kind, key, body)
                 SELECT $1,
                        feed.last - (SELECT count(*) FROM won)
                            + row_number() OVER (ORDER BY won.n),
                        'ticket', won.key, won.change
                 FROM won, feed
             )
             SELECT won.id, NULL::bigint, NULL::jsonb, pg_notify($9, $1)::text FROM won
             UNION ALL
             SELECT NULL, pos, body, NULL FROM changes
             WHERE office = $1 AND pos > $10 AND kind IN ('ticket', 'office', 'officer')",
            &[
                &called.office,
                &called.ids,
                &called.states,
                &called.counters,
                &called.bodies,
                &keys,
                &called.feed_bodies,
                &called.officers,
                &super::super::db::FEED_CHANNEL,
                &cursor,
            ],
        )
        .await?;
    let mut written = std::collections::HashSet::new();
    let mut seen = Vec::new();
    for row in rows {
        match row.get::<_, Option<Uuid>>(0) {
            Some(id) => {
                written.insert(id);
            }
            None => seen.push((row.get::<_, i64>(1), row.get::<_, serde_json::Value>(2))),
        }
    }
    Ok((written, seen))
}

/// How many calls clashed and how many events pusat refused at `office` in the last day.
pub async fn problems_today(client: &impl GenericClient, office: &str) -> Result<(i64, i64)> {
    let row = client
        .query_one(
            "SELECT (SELECT COUNT(*) FROM ticket_conflicts WHERE office = $1
                     AND at >= now() - interval '24 hours'),
                    (SELECT COUNT(*) FROM refused_events WHERE office = $1
                     AND at >= now() - interval '24 hours')",
            &[&office],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}
