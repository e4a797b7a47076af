//! Projections: the server's cases are folds of their events with the same domain code the
//! counter runs (`Case::open` / `Case::apply`), so a case on the server equals a replay of
//! its events. The first check-in of an applicant to reach the server wins; a later one from
//! another counter is kept, with `lost_to` naming the winner.

use std::collections::HashMap;

use uuid::Uuid;

use super::Result;
use super::auth::Device;
use crate::domain::{Action, Booking, Case};
use crate::protocol::{BookingChange, CaseSummary, Change, ClaimWinner, WireEvent};

struct Projected {
    case: Case,
    lost_to: Option<ClaimWinner>,
    problem: Option<String>,
    device: Uuid,
    counter: i32,
}

async fn load(tx: &tokio_postgres::Transaction<'_>, id: Uuid) -> Result<Option<Projected>> {
    let row = tx
        .query_opt(
            "SELECT c.state, c.lost_to, w.counter, c.problem, c.device, c.counter
             FROM cases c LEFT JOIN cases w ON w.id = c.lost_to
             WHERE c.id = $1 FOR UPDATE OF c",
            &[&id],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let state: serde_json::Value = row.get(0);
    let case: Case = serde_json::from_value(state)
        .map_err(|e| super::ApiError::Internal(format!("stored case {id}: {e}")))?;
    let lost_to = row.get::<_, Option<Uuid>>(1).map(|case_id| ClaimWinner {
        case_id,
        counter: row.get::<_, Option<i32>>(2).unwrap_or_default() as u32,
    });
    Ok(Some(Projected {
        case,
        lost_to,
        problem: row.get(3),
        device: row.get(4),
        counter: row.get(5),
    }))
}

/// The case already serving this applicant, if another one is.
async fn winner(tx: &tokio_postgres::Transaction<'_>, case: &Case) -> Result<Option<ClaimWinner>> {
    let row = tx
        .query_opt(
            "SELECT id, counter FROM cases WHERE booking = $1 AND applicant = $2
             AND lost_to IS NULL AND id <> $3 FOR UPDATE",
            &[&case.booking.as_str(), &(case.applicant as i32), &case.id],
        )
        .await?;
    Ok(row.map(|r| ClaimWinner {
        case_id: r.get(0),
        counter: r.get::<_, i32>(1) as u32,
    }))
}

/// Applies `events` (already stored) and returns the feed changes they make.
pub async fn apply(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    events: &[WireEvent],
) -> Result<Vec<Change>> {
    let mut cases: HashMap<Uuid, Projected> = HashMap::new();
    let mut order: Vec<Uuid> = Vec::new();
    let mut changes = Vec::new();
    for event in events {
        if event.kind == "booking.walk_in" {
            if let Ok(booking) = serde_json::from_value::<Booking>(event.payload.clone()) {
                super::bookings::upsert(tx, &booking, false, "walk_in").await?;
                changes.push(Change::Booking(BookingChange {
                    booking,
                    cancelled: false,
                }));
            }
            continue;
        }
        let (Some(id), true) = (event.case_id, event.kind.starts_with("case.")) else {
            continue;
        };
        let action: Action = match serde_json::from_value(event.payload.clone()) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(seq = event.seq, error = %e, "event payload not understood");
                continue;
            }
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = cases.entry(id)
            && let Some(p) = load(tx, id).await?
        {
            slot.insert(p);
        }
        match cases.get_mut(&id) {
            Some(p) => {
                if let Err(e) = p.case.apply(&action) {
                    // Stored all the same: refusing would stop this counter's sync for good.
                    p.problem = Some(format!("seq {}: {e}", event.seq));
                }
            }
            None => match Case::open(&action) {
                Ok(case) => {
                    let lost_to = winner(tx, &case).await?;
                    cases.insert(
                        id,
                        Projected {
                            case,
                            lost_to,
                            problem: None,
                            device: device.id,
                            counter: device.counter,
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(seq = event.seq, error = %e, "case event before its check-in");
                    continue;
                }
            },
        }
        if !order.contains(&id) {
            order.push(id);
        }
    }
    for id in order {
        let Some(p) = cases.get(&id) else { continue };
        save(tx, &device.office, p).await?;
        changes.push(Change::Case(CaseSummary {
            case_id: id,
            booking: p.case.booking.as_str().to_owned(),
            applicant: p.case.applicant,
            device: p.device,
            counter: p.counter as u32,
            status: p.case.status.label().to_owned(),
            lost_to: p.lost_to.clone(),
        }));
    }
    Ok(changes)
}

async fn save(tx: &tokio_postgres::Transaction<'_>, office: &str, p: &Projected) -> Result<()> {
    let state =
        serde_json::to_value(&p.case).map_err(|e| super::ApiError::Internal(e.to_string()))?;
    tx.execute(
        "INSERT INTO cases (id, office, booking, applicant, device, counter, status, state,
                            lost_to, problem)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state,
             problem = excluded.problem, updated_at = now()",
        &[
            &p.case.id,
            &office,
            &p.case.booking.as_str(),
            &(p.case.applicant as i32),
            &p.device,
            &p.counter,
            &p.case.status.label(),
            &state,
            &p.lost_to.as_ref().map(|w| w.case_id),
            &p.problem,
        ],
    )
    .await?;
    Ok(())
}
