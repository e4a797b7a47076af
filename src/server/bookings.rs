//! Bookings from the booking system: posted one at a time or in batches with the
//! integration key (a booking posted again replaces the earlier one: a reschedule), cancelled
//! by code, or imported from a file by `pusat bookings import`. Each reaches its office's
//! counters through the feed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Result};
use crate::domain::{Booking, BookingCode};
use crate::protocol::{BookingChange, Change};

/// Writes a booking (insert or replace) inside `tx`. When the booking moves to another
/// office, returns the version the old office holds, so that its counters can be told it is
/// gone from there.
pub async fn upsert(
    tx: &tokio_postgres::Transaction<'_>,
    booking: &Booking,
    cancelled: bool,
    source: &str,
) -> Result<Option<Booking>> {
    let body = serde_json::to_value(booking).map_err(|e| ApiError::Internal(e.to_string()))?;
    let moved = tx
        .query_opt(
            "SELECT body FROM bookings WHERE code = $1 AND office <> $2 FOR UPDATE",
            &[&booking.code.as_str(), &booking.office],
        )
        .await?
        .and_then(|row| serde_json::from_value::<Booking>(row.get(0)).ok());
    tx.execute(
        "INSERT INTO bookings (code, office, day, body, cancelled, source)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (code) DO UPDATE SET office = excluded.office, day = excluded.day,
             body = excluded.body, cancelled = excluded.cancelled, updated_at = now()",
        &[
            &booking.code.as_str(),
            &booking.office,
            &booking.date,
            &body,
            &cancelled,
            &source,
        ],
    )
    .await?;
    Ok(moved)
}

/// One booking to store: as posted, or as read from an import file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Incoming {
    One(Booking),
    Many(Vec<Booking>),
}

#[derive(Debug, Serialize)]
pub struct Stored {
    pub stored: usize,
}

/// Stores bookings (and cancellations) in one transaction, feeding each office's counters.
pub async fn store(
    client: &mut tokio_postgres::Client,
    bookings: &[(Booking, bool)],
    source: &str,
) -> Result<usize> {
    let tx = client.transaction().await?;
    let offices: Vec<String> = tx
        .query("SELECT code FROM offices", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut by_office: std::collections::BTreeMap<&str, Vec<Change>> = Default::default();
    for (booking, cancelled) in bookings {
        if !offices.contains(&booking.office) {
            return Err(ApiError::bad(format!(
                "booking {}: unknown office {}",
                booking.code.as_str(),
                booking.office
            )));
        }
        if booking.applicants.is_empty() {
            return Err(ApiError::bad(format!(
                "booking {} has no applicants",
                booking.code.as_str()
            )));
        }
        let moved = upsert(&tx, booking, *cancelled, source).await?;
        if let Some(old) = moved
            && let Some(office) = offices.iter().find(|o| **o == old.office)
        {
            by_office
                .entry(office.as_str())
                .or_default()
                .push(Change::Booking(BookingChange {
                    booking: old,
                    cancelled: true,
                }));
        }
        by_office
            .entry(booking.office.as_str())
            .or_default()
            .push(Change::Booking(BookingChange {
                booking: booking.clone(),
                cancelled: *cancelled,
            }));
    }
    for (office, changes) in by_office {
        super::feed::append(&tx, office, &changes).await?;
    }
    tx.commit().await?;
    Ok(bookings.len())
}

pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(incoming): Json<Incoming>,
) -> Result<Json<Stored>> {
    super::auth::integration(&state, &headers)?;
    let list = match incoming {
        Incoming::One(b) => vec![(b, false)],
        Incoming::Many(v) => v.into_iter().map(|b| (b, false)).collect(),
    };
    let mut client = state.pool.get().await?;
    let stored = store(&mut client, &list, "api").await?;
    Ok(Json(Stored { stored }))
}

pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Stored>> {
    super::auth::integration(&state, &headers)?;
    let code = BookingCode::parse(&code)
        .map_err(|e| ApiError::bad(format!("not a booking code: {e:?}")))?;
    let mut client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT body FROM bookings WHERE code = $1",
            &[&code.as_str()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("no such booking"))?;
    let booking: Booking =
        serde_json::from_value(row.get(0)).map_err(|e| ApiError::Internal(e.to_string()))?;
    let stored = store(&mut client, &[(booking, true)], "api").await?;
    Ok(Json(Stored { stored }))
}

/// Reads an import file: a JSON array of bookings (or `{"booking": …, "cancelled": true}`
/// objects), or CSV with one row per applicant (see the README for the columns).
pub fn parse_import(name: &str, text: &str) -> Result<Vec<(Booking, bool)>, String> {
    if name.ends_with(".json") || text.trim_start().starts_with('[') {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Row {
            Change(BookingChange),
            Plain(Booking),
        }
        let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return Ok(rows
            .into_iter()
            .map(|r| match r {
                Row::Change(c) => (c.booking, c.cancelled),
                Row::Plain(b) => (b, false),
            })
            .collect());
    }
    parse_csv(text)
}

fn parse_csv(text: &str) -> Result<Vec<(Booking, bool)>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let mut out: Vec<(Booking, bool)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let field = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| record.get(p))
                .unwrap_or("")
                .to_owned()
        };
        let flag = |name: &str| matches!(field(name).as_str(), "1" | "true" | "yes" | "ya");
        let paid = field("paid");
        let applicant = serde_json::json!({
            "name": field("name"), "nik": field("nik"), "birth_date": field("birth_date"),
            "sex": field("sex"), "migrant_worker": flag("migrant_worker"),
            "name_changed": flag("name_changed"),
            "paid": if paid.is_empty() { serde_json::Value::Null } else {
                paid.parse::<i64>().map_err(|e| format!("line {line}: paid: {e}"))?.into()
            },
        });
        let mut slot = field("slot");
        if slot.len() == 5 {
            slot.push_str(":00");
        }
        let code = field("code");
        if let Some((last, _)) = out.last_mut().filter(|(b, _)| b.code.as_str() == code) {
            let a = serde_json::from_value(applicant).map_err(|e| format!("line {line}: {e}"))?;
            last.applicants.push(a);
            continue;
        }
        let booking = serde_json::json!({
            "code": code, "office": field("office"), "date": field("date"),
            "slot": slot, "service": field("service"), "passport": field("passport"),
            "application": field("application"), "billing_code": field("billing_code"),
            "applicants": [applicant], "walk_in": null,
        });
        let booking: Booking =
            serde_json::from_value(booking).map_err(|e| format!("line {line}: {e}"))?;
        out.push((booking, flag("cancelled")));
    }
    Ok(out)
}
