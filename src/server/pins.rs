//! Wrong PINs counted across an office's counters (`officer.pin_failed` events). A counter
//! locks an officer after [`crate::store::MAX_FAILED_PINS`] wrong PINs in a row on its own,
//! but a copied or guessed PIN could be tried at every counter in turn; pusat counts them all
//! and, at [`MAX_OFFICE_FAILURES`] within an hour, locks the officer at every counter of the
//! office for [`crate::store::LOCKOUT_MINUTES`] minutes: the lock travels with the roster.
//! A new PIN (`pusat officer add`) lifts it.

use super::Result;
use super::auth::Device;
use super::tickets::Outcome;
use super::trust::Guard;
use crate::protocol::{Change, PinFailed, RosterEntry, WireEvent};

/// Wrong PINs for one officer, from all the office's counters within an hour, that lock
/// them office-wide: two counters' worth of local lockouts.
pub const MAX_OFFICE_FAILURES: i64 = 2 * crate::store::MAX_FAILED_PINS as i64;

/// Records the wrong PINs of one push, and locks whom they add up against.
pub async fn apply<'a>(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    guard: &Guard,
    events: &[&'a WireEvent],
) -> Result<Outcome<'a>> {
    let mut out = Outcome::default();
    let mut counted: Vec<String> = Vec::new();
    for &event in events {
        let failed: PinFailed = match serde_json::from_value(event.payload.clone()) {
            Ok(f) => f,
            Err(e) => {
                out.refused
                    .push((event, format!("wrong PIN not understood: {e}")));
                continue;
            }
        };
        if failed.username != event.officer {
            out.refused.push((
                event,
                format!(
                    "the wrong PIN names {:?}, the event's officer is {:?}",
                    failed.username, event.officer
                ),
            ));
            continue;
        }
        if let Some(why) = guard.officer(event) {
            out.refused.push((event, why));
            continue;
        }
        tx.execute(
            "INSERT INTO pin_failures (office, username, device, context, at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &device.office,
                &failed.username,
                &device.id,
                &failed.context.label(),
                &event.device_time.to_utc(),
            ],
        )
        .await?;
        if !counted.contains(&failed.username) {
            counted.push(failed.username);
        }
    }
    for username in counted {
        if let Some(entry) = lock_if_over(tx, &device.office, &username).await? {
            tracing::warn!(office = %device.office, "officer locked after wrong PINs across counters");
            out.changes.push(Change::Officer(entry));
        }
    }
    Ok(out)
}

/// Locks `username` when the wrong PINs pusat received for them in the last hour, since
/// their last lock, reach the limit; the roster entry that tells the counters.
async fn lock_if_over(
    tx: &tokio_postgres::Transaction<'_>,
    office: &str,
    username: &str,
) -> Result<Option<RosterEntry>> {
    let row = tx
        .query_opt(
            "UPDATE officers o
             SET locked_until = now() + make_interval(mins => $3), locked_at = now()
             WHERE o.username = $1 AND o.office = $2 AND o.active
               AND (o.locked_until IS NULL OR o.locked_until <= now())
               AND (SELECT count(*) FROM pin_failures p
                    WHERE p.username = o.username AND p.office = o.office
                      AND p.received > now() - interval '1 hour'
                      AND p.received > COALESCE(o.locked_at, '-infinity')) >= $4
             RETURNING username, nip, name, role, pin_hash, locked_until, approval_salt",
            &[
                &username,
                &office,
                &(crate::store::LOCKOUT_MINUTES as i32),
                &MAX_OFFICE_FAILURES,
            ],
        )
        .await?;
    Ok(row.map(|r| RosterEntry {
        username: r.get(0),
        nip: r.get(1),
        name: r.get(2),
        role: r.get(3),
        pin_hash: r.get(4),
        active: true,
        locked_until: r.get(5),
        approval_salt: r.get(6),
    }))
}
