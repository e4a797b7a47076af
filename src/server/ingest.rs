//! Push: a device's outbox events, in order. One transaction stores the new events, folds
//! them into the projections and appends the office's feed; a batch sent twice stores
//! nothing twice; a gap in the device's sequence is refused with the number expected.

use std::time::Instant;

use axum::Json;
use axum::extract::State;

use super::auth::Device;
use super::{ApiError, AppState, Result};
use crate::protocol::{ErrorCode, MAX_BATCH, PushRequest, PushResponse, WireEvent};

/// `POST /events`: a device's outbox events, in order, stored exactly once.
#[utoipa::path(post, path = "/events", tag = "sync", security(("device" = [])),
    request_body = PushRequest,
    responses(
        (status = 200, description = "Stored through this sequence number", body = PushResponse),
        (status = 400, description = "Malformed batch (too many events, non-consecutive seq)", body = crate::protocol::ErrorBody),
        (status = 401, description = "No valid device credential", body = crate::protocol::ErrorBody),
        (status = 403, description = "An event for another office, or a display's credential", body = crate::protocol::ErrorBody),
        (status = 409, description = "A gap (`gap`, with `expected`) or events that differ from those stored (`conflict`)", body = crate::protocol::ErrorBody),
    ))]
pub async fn push(
    State(state): State<AppState>,
    device: Device,
    super::ApiJson(req): super::ApiJson<PushRequest>,
) -> Result<Json<PushResponse>> {
    let started = Instant::now();
    let mut client = state.pool.get().await?;
    let result = ingest(&mut client, &device, &req.events).await;
    state.metrics.pushed(&result, started.elapsed());
    Ok(Json(result?))
}

fn check_batch(device: &Device, events: &[WireEvent]) -> Result<()> {
    if events.len() > MAX_BATCH {
        return Err(ApiError::bad(format!(
            "at most {MAX_BATCH} events per push"
        )));
    }
    for pair in events.windows(2) {
        // Checked: a hostile batch may carry i64::MAX.
        if pair[0].seq.checked_add(1) != Some(pair[1].seq) {
            return Err(ApiError::bad("events of a batch must have consecutive seq"));
        }
    }
    if let Some(e) = events.iter().find(|e| e.office != device.office) {
        return Err(ApiError::Client(
            ErrorCode::Forbidden,
            format!(
                "event {} is for office {}, this device belongs to {}",
                e.seq, e.office, device.office
            ),
        ));
    }
    Ok(())
}

/// Stores `events` of `device` exactly once and applies them to the projections.
pub async fn ingest(
    client: &mut deadpool_postgres::Client,
    device: &Device,
    events: &[WireEvent],
) -> Result<PushResponse> {
    check_batch(device, events)?;
    let tx = client.transaction().await?;
    let last: i64 = tx
        .query_one(
            "SELECT last_seq FROM devices WHERE id = $1 FOR UPDATE",
            &[&device.id],
        )
        .await?
        .get(0);
    let Some(first) = events.first() else {
        return Ok(PushResponse {
            stored_through: last,
            inserted: 0,
            duplicates: 0,
        });
    };
    let next = last.saturating_add(1);
    if first.seq > next || first.seq < 1 {
        return Err(ApiError::Gap(next));
    }
    let split = events
        .iter()
        .position(|e| e.seq > last)
        .unwrap_or(events.len());
    let (old, new) = events.split_at(split);
    check_duplicates(&tx, device, old).await?;
    let mut inserted = 0;
    if !new.is_empty() {
        // An event already stored under another device id (this counter was enrolled
        // again and resends its outbox) is the same event: keep the first.
        let ids = insert(&tx, device, new).await?;
        let fresh: Vec<WireEvent> = new
            .iter()
            .filter(|e| ids.contains(&e.id))
            .cloned()
            .collect();
        inserted = fresh.len();
        let changes = super::project::apply(&tx, device, &fresh).await?;
        let through = new.last().map_or(last, |e| e.seq);
        tx.execute(
            "UPDATE devices SET last_seq = $2 WHERE id = $1",
            &[&device.id, &through],
        )
        .await?;
        super::feed::append(&tx, &device.office, &changes).await?;
    }
    tx.commit().await?;
    Ok(PushResponse {
        stored_through: last.max(events.last().map_or(last, |e| e.seq)),
        inserted,
        duplicates: events.len() - inserted,
    })
}

/// Events the server already holds must be the very same events: a device whose database
/// was replaced would otherwise overwrite history silently.
async fn check_duplicates(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    old: &[WireEvent],
) -> Result<()> {
    let (Some(a), Some(b)) = (old.first(), old.last()) else {
        return Ok(());
    };
    let rows = tx
        .query(
            "SELECT seq, id FROM events WHERE device = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            &[&device.id, &a.seq, &b.seq],
        )
        .await?;
    let same = rows.len() == old.len()
        && rows
            .iter()
            .zip(old)
            .all(|(r, e)| r.get::<_, i64>(0) == e.seq && r.get::<_, uuid::Uuid>(1) == e.id);
    if same {
        Ok(())
    } else {
        Err(ApiError::Client(
            ErrorCode::Conflict,
            format!(
                "events {}..{} differ from those already stored for this device",
                a.seq, b.seq
            ),
        ))
    }
}

async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    new: &[WireEvent],
) -> Result<std::collections::HashSet<uuid::Uuid>> {
    let ids: Vec<uuid::Uuid> = new.iter().map(|e| e.id).collect();
    let seqs: Vec<i64> = new.iter().map(|e| e.seq).collect();
    let kinds: Vec<&str> = new.iter().map(|e| e.kind.as_str()).collect();
    let cases: Vec<Option<uuid::Uuid>> = new.iter().map(|e| e.case_id).collect();
    let offices: Vec<&str> = new.iter().map(|e| e.office.as_str()).collect();
    let officers: Vec<&str> = new.iter().map(|e| e.officer.as_str()).collect();
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        new.iter().map(|e| e.device_time.to_utc()).collect();
    let offsets: Vec<i32> = new
        .iter()
        .map(|e| e.device_time.offset().local_minus_utc())
        .collect();
    let payloads: Vec<&serde_json::Value> = new.iter().map(|e| &e.payload).collect();
    let proofs: Vec<Option<&str>> = new.iter().map(|e| e.proof.as_deref()).collect();
    let rows = tx
        .query(
            "INSERT INTO events (id, device, seq, kind, case_id, office, officer, device_time,
                             device_offset, payload, proof)
         SELECT u.id, $1, u.seq, u.kind, u.case_id, u.office, u.officer, u.t, u.o, u.p, u.proof
         FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                     $8::timestamptz[], $9::int[], $10::jsonb[], $11::text[])
              AS u (id, seq, kind, case_id, office, officer, t, o, p, proof)
         ON CONFLICT (id) DO NOTHING
         RETURNING id",
            &[
                &device.id, &ids, &seqs, &kinds, &cases, &offices, &officers, &times, &offsets,
                &payloads, &proofs,
            ],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
