//! The `bookings` table: what the booking system posted, one row per code.

use std::collections::HashMap;

use chrono::NaiveDate;
use tokio_postgres::GenericClient;

use super::super::{ApiError, Result};
use crate::domain::Booking;

fn read(body: serde_json::Value) -> Result<Booking> {
    serde_json::from_value(body).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The bookings of `codes` (sorted, so two writers lock in one order) as they stand, locked
/// until the transaction ends. A body pusat cannot read is left out.
pub async fn lock(client: &impl GenericClient, codes: &[&str]) -> Result<HashMap<String, Booking>> {
    Ok(client
        .query(
            "SELECT code, body FROM bookings WHERE code = ANY($1) ORDER BY code FOR UPDATE",
            &[&codes],
        )
        .await?
        .into_iter()
        .filter_map(|r| Some((r.get(0), read(r.get(1)).ok()?)))
        .collect())
}

/// Writes each booking with its cancelled flag, replacing what its code held, in one
/// statement. `bookings` has one entry per code.
pub async fn upsert(
    client: &impl GenericClient,
    bookings: &[&(Booking, bool)],
    source: &str,
) -> Result<()> {
    let codes: Vec<&str> = bookings.iter().map(|(b, _)| b.code.as_str()).collect();
    let offices: Vec<&str> = bookings.iter().map(|(b, _)| b.office.as_str()).collect();
    let days: Vec<NaiveDate> = bookings.iter().map(|(b, _)| b.date).collect();
    let bodies = bookings
        .iter()
        .map(|(b, _)| serde_json::to_value(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let cancelled: Vec<bool> = bookings.iter().map(|(_, c)| *c).collect();
    client
        .execute(
            "INSERT INTO bookings (code, office, day, body, cancelled, source)
             SELECT u.code, u.office, u.day, u.body, u.cancelled, $6
             FROM UNNEST($1::text[], $2::text[], $3::date[], $4::jsonb[], $5::bool[])
                  AS u (code, office, day, body, cancelled)
             ON CONFLICT (code) DO UPDATE SET office = excluded.office, day = excluded.day,
                 body = excluded.body, cancelled = excluded.cancelled, updated_at = now()",
            &[&codes, &offices, &days, &bodies, &cancelled, &source],
        )
        .await?;
    Ok(())
}

/// The booking with `code`, cancelled or not.
pub async fn get(client: &impl GenericClient, code: &str) -> Result<Option<Booking>> {
    client
        .query_opt("SELECT body FROM bookings WHERE code = $1", &[&code])
        .await?
        .map(|r| read(r.get(0)))
        .transpose()
}

/// The office of the booking with `code`.
pub async fn office_of(client: &impl GenericClient, code: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt("SELECT office FROM bookings WHERE code = $1", &[&code])
        .await?
        .map(|r| r.get(0)))
}

/// Each booking of `codes` pusat holds, with its office and whether it is cancelled. A
/// body pusat cannot read is left out.
pub async fn with_state(
    client: &impl GenericClient,
    codes: &[&str],
) -> Result<Vec<(String, String, Booking, bool)>> {
    Ok(client
        .query(
            "SELECT code, office, body, cancelled FROM bookings WHERE code = ANY($1)",
            &[&codes],
        )
        .await?
        .into_iter()
        .filter_map(|r| Some((r.get(0), r.get(1), read(r.get(2)).ok()?, r.get(3))))
        .collect())
}

/// The day of the booking with `code`, and whether it is cancelled.
pub async fn day_and_cancelled(
    client: &impl GenericClient,
    code: &str,
) -> Result<Option<(NaiveDate, bool)>> {
    Ok(client
        .query_opt(
            "SELECT day, cancelled FROM bookings WHERE code = $1",
            &[&code],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}
