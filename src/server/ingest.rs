//! Push: a device's outbox events, in order. One transaction stores the new events, folds
//! them into the projections and appends the office's feed; a batch sent twice stores
//! nothing twice; a gap in the device's sequence is refused with the number expected.

use std::time::Instant;

use axum::Json;
use axum::extract::State;

use super::auth::Device;
use super::{ApiError, AppState, Result, repo};
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
    let last = repo::devices::lock_last_seq(&*tx, device.id).await?;
    let Some(first) = events.first() else {
        return Ok(PushResponse {
            stored_through: last,
            inserted: 0,
            duplicates: 0,
            refused: Vec::new(),
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
        // Each event as PostgreSQL can store it; one that had to change is refused.
        let mut unstorable = std::collections::HashSet::new();
        let new: Vec<WireEvent> = new
            .iter()
            .map(|e| {
                let (e, changed) = super::border::storable(e);
                if changed {
                    unstorable.insert(e.id);
                }
                e.into_owned()
            })
            .collect();
        // An event already stored under another device id (this counter was enrolled
        // again and resends its outbox) is the same event: keep the first.
        let ids = repo::events::insert(&*tx, device, &new).await?;
        let fresh: Vec<WireEvent> = new
            .iter()
            .filter(|e| ids.contains(&e.id))
            .cloned()
            .collect();
        inserted = fresh.len();
        let (refused, fresh): (Vec<WireEvent>, Vec<WireEvent>) =
            fresh.into_iter().partition(|e| unstorable.contains(&e.id));
        let reasons: Vec<(&WireEvent, String)> = refused
            .iter()
            .map(|e| (e, super::border::NUL_REFUSED.to_owned()))
            .collect();
        super::trust::record(&tx, device, &reasons).await?;
        let changes = super::project::apply(&tx, device, &fresh).await?;
        let through = new.last().map_or(last, |e| e.seq);
        repo::devices::stored_through(&*tx, device.id, through).await?;
        super::feed::append(&tx, &device.office, &changes).await?;
    }
    let through = last.max(events.last().map_or(last, |e| e.seq));
    // Refused now or when first sent (an answer lost on the way back is asked again).
    let refused = repo::events::refused_between(&*tx, device.id, first.seq, through).await?;
    tx.commit().await?;
    Ok(PushResponse {
        stored_through: through,
        inserted,
        duplicates: events.len() - inserted,
        refused,
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
    let rows = repo::events::ids_between(tx, device.id, a.seq, b.seq).await?;
    let same = rows.len() == old.len()
        && rows
            .iter()
            .zip(old)
            .all(|((seq, id), e)| *seq == e.seq && *id == e.id);
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
