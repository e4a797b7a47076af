//! The `events` table: every event a device pushed, kept as sent.

use tokio_postgres::GenericClient;

use super::super::Result;
use super::super::auth::Device;
use crate::domain::day_report::Milestone;
use crate::protocol::WireEvent;
use uuid::Uuid;

/// The case milestones of every counter of `office` on `day` (office time), pusat's
/// refusals left out.
pub async fn milestones(
    client: &impl GenericClient,
    office: &str,
    day: chrono::NaiveDate,
) -> Result<Vec<Milestone>> {
    Ok(client
        .query(
            "SELECT e.case_id, e.kind, e.device_time, e.device_offset FROM events e
             WHERE e.office = $1 AND e.case_id IS NOT NULL
               AND (e.device_time AT TIME ZONE 'UTC'
                    + make_interval(secs => e.device_offset))::date = $2
               AND e.kind IN ('case.check_in', 'case.complete_documents',
                              'case.complete_interview', 'case.photo', 'case.photo_pending',
                              'case.decide')
               AND NOT EXISTS (SELECT 1 FROM refused_events r WHERE r.event = e.id)",
            &[&office, &day],
        )
        .await?
        .iter()
        .filter_map(|r| {
            let at: chrono::DateTime<chrono::Utc> = r.get(2);
            let offset = chrono::FixedOffset::east_opt(r.get(3))?;
            Some((r.get(0), r.get(1), at.with_timezone(&offset)))
        })
        .collect())
}

/// The refused events of `device` with a sequence number from `from` to `to`, in order.
pub async fn refused_between(
    client: &impl GenericClient,
    device: Uuid,
    from: i64,
    to: i64,
) -> Result<Vec<crate::protocol::RefusedEvent>> {
    Ok(client
        .query(
            "SELECT seq, kind, reason FROM refused_events
             WHERE device = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            &[&device, &from, &to],
        )
        .await?
        .iter()
        .map(|r| crate::protocol::RefusedEvent {
            seq: r.get(0),
            kind: r.get(1),
            reason: r.get(2),
        })
        .collect())
}

/// Keeps a refused event's reason, for a person to look at.
pub async fn refused(
    client: &impl GenericClient,
    device: &Device,
    event: &WireEvent,
    reason: &str,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO refused_events (event, device, office, seq, kind, reason)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event) DO NOTHING",
            &[
                &event.id,
                &device.id,
                &device.office,
                &event.seq,
                &event.kind,
                &reason,
            ],
        )
        .await?;
    Ok(())
}

/// The (sequence, id) of `device`'s events from `first` to `last`, in order.
pub async fn ids_between(
    client: &impl GenericClient,
    device: uuid::Uuid,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, uuid::Uuid)>> {
    Ok(client
        .query(
            "SELECT seq, id FROM events WHERE device = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            &[&device, &first, &last],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Stores `new` events of `device` (each id once); returns the ids stored here.
pub async fn insert(
    tx: &impl GenericClient,
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
    let signed: Vec<Option<&str>> = new.iter().map(|e| e.signed.as_deref()).collect();
    let answers: Vec<Option<uuid::Uuid>> = new.iter().map(|e| e.answers).collect();
    let rows = tx
        .query(
            "INSERT INTO events (id, device, seq, kind, case_id, office, officer, device_time,
                             device_offset, payload, proof, signed, answers)
         SELECT u.id, $1, u.seq, u.kind, u.case_id, u.office, u.officer, u.t, u.o, u.p, u.proof,
                u.signed, u.answers
         FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                     $8::timestamptz[], $9::int[], $10::jsonb[], $11::text[], $12::text[],
                     $13::uuid[])
              AS u (id, seq, kind, case_id, office, officer, t, o, p, proof, signed, answers)
         ON CONFLICT (id) DO NOTHING
         RETURNING id",
            &[
                &device.id, &ids, &seqs, &kinds, &cases, &offices, &officers, &times, &offsets,
                &payloads, &proofs, &signed, &answers,
            ],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// How many events pusat refused, by office.
pub async fn refused_by_office(client: &impl GenericClient) -> Result<Vec<(String, i64)>> {
    Ok(client
        .query(
            "SELECT office, COUNT(*) FROM refused_events GROUP BY office ORDER BY office",
            &[],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Something that needs a person: an event pusat refused to apply, or a case whose events
/// it could not all fold in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub at: chrono::DateTime<chrono::Utc>,
    pub office: String,
    pub device: Uuid,
    pub counter: i32,
    /// `refused`, `case`, `pin` (an officer locked for wrong PINs across counters) or
    /// `unverified` (a supervisor's approval without proof).
    pub kind: &'static str,
    /// The refused event's sequence and kind, the case's id, or the locked officer.
    pub subject: String,
    pub reason: String,
}

/// Every problem, newest first, for `pusat problems` (optionally of one office).
pub async fn problems(
    client: &tokio_postgres::Client,
    office: Option<&str>,
) -> Result<Vec<Problem>> {
    let rows = client
        .query(
            "SELECT r.at, r.office, r.device, d.counter, 'refused',
                    'seq ' || r.seq || ' ' || r.kind, r.reason
             FROM refused_events r JOIN devices d ON d.id = r.device
             WHERE $1::text IS NULL OR r.office = $1
             UNION ALL
             SELECT c.updated_at, c.office, c.device, c.counter, 'case', c.id::text, c.problem
             FROM cases c WHERE c.problem IS NOT NULL AND ($1::text IS NULL OR c.office = $1)
             UNION ALL
             SELECT o.locked_at, o.office, f.device, d.counter, 'pin', o.username,
                    'locked until ' || to_char(o.locked_until AT TIME ZONE 'UTC',
                                               'YYYY-MM-DD HH24:MI') || ' UTC after '
                    || (SELECT count(*) FROM pin_failures p WHERE p.username = o.username
                        AND p.received > o.locked_at - interval '1 hour')
                    || ' wrong PINs across the office''s counters; a new PIN (officer add) unlocks'
             FROM officers o
             JOIN LATERAL (SELECT device FROM pin_failures p WHERE p.username = o.username
                           ORDER BY id DESC LIMIT 1) f ON true
             JOIN devices d ON d.id = f.device
             WHERE o.locked_until > now() AND ($1::text IS NULL OR o.office = $1)
             UNION ALL
             SELECT u.at, u.office, u.device, d.counter, 'unverified', u.case_id::text,
                    'approval by ' || u.supervisor || ' carries no proof of their PIN '
                    || '(a counter before proofs, or a PIN set before them): ask them'
             FROM unverified_approvals u JOIN devices d ON d.id = u.device
             WHERE $1::text IS NULL OR u.office = $1
             ORDER BY 1 DESC",
            &[&office],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Problem {
            at: r.get(0),
            office: r.get(1),
            device: r.get(2),
            counter: r.get(3),
            kind: match r.get::<_, &str>(4) {
                "refused" => "refused",
                "pin" => "pin",
                "unverified" => "unverified",
                _ => "case",
            },
            subject: r.get(5),
            reason: r.get(6),
        })
        .collect())
}
