//! Wrong PINs counted across an office's counters (`officer.pin_failed` events). A counter
//! locks an officer after [`crate::store::MAX_FAILED_PINS`] wrong PINs in a row on its own,
//! but a copied or guessed PIN could be tried at every counter in turn; pusat counts them all
//! and, at [`MAX_OFFICE_FAILURES`] within an hour, locks the officer at every counter of the
//! office for [`crate::store::LOCKOUT_MINUTES`] minutes: the lock travels with the roster.
//! A new PIN (`pusat officer add`) lifts it.
//!
//! A wrong PIN carries no proof (nobody proved anything), so what one counter reports is
//! bounded: at most [`PER_DEVICE`] of its reports count, and the office-wide lock needs
//! tries from two counters or more. A counter that floods reports locks nobody but at
//! itself; each report is still kept, and the board shows who locked whom.

use super::auth::Device;
use super::tickets::Outcome;
use super::trust::Guard;
use super::{Result, repo};
use crate::protocol::{Change, PinFailed, WireEvent};

/// Wrong PINs for one officer, from all the office's counters within an hour, that lock
/// them office-wide: two counters' worth of local lockouts.
pub const MAX_OFFICE_FAILURES: i64 = 2 * crate::store::MAX_FAILED_PINS as i64;
/// The most of one counter's reports that count toward the office-wide lock: its own
/// local lock's worth.
pub const PER_DEVICE: i64 = crate::store::MAX_FAILED_PINS as i64;

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
        repo::officers::pin_failed(
            tx,
            device,
            &failed.username,
            failed.context.label(),
            event.device_time.to_utc(),
        )
        .await?;
        if !counted.contains(&failed.username) {
            counted.push(failed.username);
        }
    }
    for username in counted {
        if let Some(entry) = repo::officers::lock_if_over(
            tx,
            &device.office,
            &username,
            MAX_OFFICE_FAILURES,
            PER_DEVICE,
        )
        .await?
        {
            tracing::warn!(office = %device.office, "officer locked after wrong PINs across counters");
            out.changes.push(Change::Officer(entry));
        }
    }
    Ok(out)
}
