//! The `cases` table: each case as pusat folds it from its events.

use std::collections::HashMap;

use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::{ApiError, Result};
use crate::domain::Case;
use crate::protocol::ClaimWinner;

/// A case as pusat holds it: its fold, the claim it lost (if it did), why pusat
/// refused its last event (if it did), and who wrote it.
pub struct Projected {
    pub case: Case,
    pub lost_to: Option<ClaimWinner>,
    pub problem: Option<String>,
    pub device: Uuid,
    pub office: String,
    pub counter: i32,
}

/// The stored cases among `ids`, locked for this transaction.
pub async fn lock_many(tx: &impl GenericClient, ids: &[Uuid]) -> Result<HashMap<Uuid, Projected>> {
    let rows = tx
        .query(
            "SELECT c.id, c.state, c.lost_to, w.counter, c.problem, c.device, c.counter, c.office
             FROM cases c LEFT JOIN cases w ON w.id = c.lost_to
             WHERE c.id = ANY($1) ORDER BY c.id FOR UPDATE OF c",
            &[&ids],
        )
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.get(0);
        let case: Case = serde_json::from_value(row.get(1))
            .map_err(|e| ApiError::Internal(format!("stored case {id}: {e}")))?;
        let lost_to = row.get::<_, Option<Uuid>>(2).map(|case_id| ClaimWinner {
            case_id: Some(case_id),
            counter: row.get::<_, Option<i32>>(3).unwrap_or_default() as u32,
        });
        let p = Projected {
            case,
            lost_to,
            problem: row.get(4),
            device: row.get(5),
            counter: row.get(6),
            office: row.get(7),
        };
        out.insert(id, p);
    }
    Ok(out)
}

/// The cases already serving the applicants new check-ins claim, by (booking, applicant).
pub async fn winners(
    tx: &impl GenericClient,
    claims: &[(String, i32)],
) -> Result<HashMap<(String, i32), ClaimWinner>> {
    if claims.is_empty() {
        return Ok(HashMap::new());
    }
    let bookings: Vec<&str> = claims.iter().map(|(b, _)| b.as_str()).collect();
    let applicants: Vec<i32> = claims.iter().map(|(_, a)| *a).collect();
    let rows = tx
        .query(
            "SELECT c.id, c.counter, c.booking, c.applicant FROM cases c
             JOIN UNNEST($1::text[], $2::int[]) AS k (booking, applicant)
               ON c.booking = k.booking AND c.applicant = k.applicant
             WHERE c.lost_to IS NULL ORDER BY c.id FOR UPDATE OF c",
            &[&bookings, &applicants],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let winner = ClaimWinner {
                case_id: Some(r.get(0)),
                counter: r.get::<_, i32>(1) as u32,
            };
            ((r.get(2), r.get(3)), winner)
        })
        .collect())
}

/// Writes every touched case in one statement.
pub async fn save(tx: &impl GenericClient, office: &str, cases: &[&Projected]) -> Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = cases.iter().map(|p| p.case.id).collect();
    let bookings: Vec<&str> = cases.iter().map(|p| p.case.booking.as_str()).collect();
    let applicants: Vec<i32> = cases.iter().map(|p| p.case.applicant as i32).collect();
    let devices: Vec<Uuid> = cases.iter().map(|p| p.device).collect();
    let counters: Vec<i32> = cases.iter().map(|p| p.counter).collect();
    let statuses: Vec<&str> = cases.iter().map(|p| p.case.status.label()).collect();
    let states = cases
        .iter()
        .map(|p| serde_json::to_value(&p.case))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let lost: Vec<Option<Uuid>> = cases
        .iter()
        .map(|p| p.lost_to.as_ref().and_then(|w| w.case_id))
        .collect();
    let problems: Vec<Option<&str>> = cases.iter().map(|p| p.problem.as_deref()).collect();
    tx.execute(
        "INSERT INTO cases (id, office, booking, applicant, device, counter, status, state,
                            lost_to, problem)
         SELECT u.id, $1, u.booking, u.applicant, u.device, u.counter, u.status, u.state,
                u.lost_to, u.problem
         FROM UNNEST($2::uuid[], $3::text[], $4::int[], $5::uuid[], $6::int[], $7::text[],
                     $8::jsonb[], $9::uuid[], $10::text[])
              AS u (id, booking, applicant, device, counter, status, state, lost_to, problem)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state,
             problem = excluded.problem, updated_at = now()",
        &[
            &office,
            &ids,
            &bookings,
            &applicants,
            &devices,
            &counters,
            &statuses,
            &states,
            &lost,
            &problems,
        ],
    )
    .await?;
    Ok(())
}

/// The office, the fold and the holding device of the case `id`, locked until the
/// transaction ends.
pub async fn lock(client: &impl GenericClient, id: Uuid) -> Result<Option<(String, Case, Uuid)>> {
    let Some(row) = client
        .query_opt(
            "SELECT office, state, device FROM cases WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let case = serde_json::from_value(row.get(1))
        .map_err(|e| ApiError::Internal(format!("stored case {id}: {e}")))?;
    Ok(Some((row.get(0), case, row.get(2))))
}

/// The statuses of the cases of the booking `code` (claims lost left out).
pub async fn statuses_of_booking(client: &impl GenericClient, code: &str) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT status FROM cases WHERE booking = $1 AND lost_to IS NULL",
            &[&code],
        )
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect())
}

/// How many cases of each office pusat could not fold all events of, by office.
pub async fn problems_by_office(client: &impl GenericClient) -> Result<Vec<(String, i64)>> {
    Ok(client
        .query(
            "SELECT office, COUNT(*) FROM cases WHERE problem IS NOT NULL GROUP BY office
             ORDER BY office",
            &[],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Another case (not `except`) that holds the photo with this hash, if one does.
pub async fn with_photo(
    client: &impl GenericClient,
    sha256: &str,
    except: Uuid,
) -> Result<Option<Uuid>> {
    Ok(client
        .query_opt(
            "SELECT id FROM cases
             WHERE state->'photo'->'taken'->>'sha256' = $1 AND id <> $2 AND lost_to IS NULL
             LIMIT 1",
            &[&sha256, &except],
        )
        .await?
        .map(|r| r.get(0)))
}
