//! Bookings from the booking system: posted one at a time or in batches with the
//! integration key (a booking posted again replaces the earlier one; a new day or office is a
//! reschedule), cancelled by code, or imported from a file by `pusat bookings import`. Every
//! booking is read by `domain::intake`, the one set of rules for the API and the import, and
//! reaches its office's counters through the feed.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::auth::Integration;
use super::{ApiError, AppState, Result, repo};
use crate::domain::intake::{self, FieldError, OfficeRules, Rule};
use crate::domain::{Booking, BookingCode, Zone};
use crate::protocol::{BookingChange, Change, Previous};

/// The most bookings one POST may carry; larger sets go through `pusat bookings import`.
pub const MAX_POST: usize = 1000;

/// What pusat knows of each office, for reading incoming bookings: its today and its limit
/// of applicants per booking (office config `max_applicants`, at most 5).
pub async fn office_rules(
    client: &impl tokio_postgres::GenericClient,
) -> Result<HashMap<String, OfficeRules>> {
    let rows = repo::offices::all(client).await?;
    let now = Utc::now();
    Ok(rows
        .iter()
        .map(|r| {
            let (code, zone, config) = r;
            let zone = Zone::parse(zone).unwrap_or(Zone::Wib);
            let max = config
                .get("max_applicants")
                .and_then(Value::as_u64)
                .map_or(crate::domain::booking::MAX_APPLICANTS, |n| n as usize);
            let rules = OfficeRules {
                today: zone.today(now),
                max_applicants: max,
            };
            (code.clone(), rules)
        })
        .collect())
}

/// Writes `bookings` (each with its cancelled flag) inside `tx` with a fixed number of
/// queries, and returns the feed changes per office: a booking that moved office is
/// cancelled at the old one, and a new day or office names the previous one.
pub async fn write(
    tx: &tokio_postgres::Transaction<'_>,
    bookings: &[(Booking, bool)],
    source: &str,
) -> Result<BTreeMap<String, Vec<Change>>> {
    // The last of several versions of one code in a batch is the one that counts.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, (b, _)) in bookings.iter().enumerate() {
        last.insert(b.code.as_str(), i);
    }
    let mut unique: Vec<&(Booking, bool)> = bookings
        .iter()
        .enumerate()
        .filter(|(i, (b, _))| last.get(b.code.as_str()) == Some(i))
        .map(|(_, b)| b)
        .collect();
    unique.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    let codes: Vec<&str> = unique.iter().map(|(b, _)| b.code.as_str()).collect();
    let before = repo::bookings::lock(tx, &codes).await?;
    repo::bookings::upsert(tx, &unique, source).await?;
    let mut by_office: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    for (booking, cancelled) in unique {
        let old = before.get(booking.code.as_str());
        if let Some(old) = old.filter(|o| o.office != booking.office) {
            by_office
                .entry(old.office.clone())
                .or_default()
                .push(Change::Booking(BookingChange {
                    booking: old.clone(),
                    cancelled: true,
                    previous: None,
                }));
        }
        let previous = old
            .filter(|o| o.office != booking.office || o.date != booking.date)
            .map(|o| Previous {
                office: o.office.clone(),
                date: o.date,
            });
        by_office
            .entry(booking.office.clone())
            .or_default()
            .push(Change::Booking(BookingChange {
                booking: booking.clone(),
                cancelled: *cancelled,
                previous,
            }));
    }
    Ok(by_office)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    for (office, changes) in write(&tx, bookings, source).await? {
        super::feed::append(&tx, &office, &changes).await?;
    }
    tx.commit().await?;
    Ok(bookings.len())
}

/// `POST /bookings`: one booking or a list, all stored or none; every field that breaks a
/// rule is named in the answer.
#[utoipa::path(post, path = "/bookings", tag = "bookings", security(("integration" = [])),
    request_body(content = Object, description = "A booking, or a list of bookings (same fields as `pusat bookings import`)"),
    responses(
        (status = 200, description = "How many were stored", body = Stored),
        (status = 401, description = "No or wrong integration key", body = crate::protocol::ErrorBody),
        (status = 422, description = "A field breaks a rule (`invalid`, each in `fields`)", body = crate::protocol::ErrorBody),
    ))]
pub async fn post(
    State(state): State<AppState>,
    _: Integration,
    super::ApiJson(body): super::ApiJson<Value>,
) -> Result<Json<Stored>> {
    let (items, list) = match body {
        Value::Array(items) => (items, true),
        one => (vec![one], false),
    };
    if items.len() > MAX_POST {
        return Err(ApiError::bad(format!(
            "at most {MAX_POST} bookings per request; import larger sets with pusat bookings import"
        )));
    }
    let mut client = state.pool.get().await?;
    let rules = office_rules(&**client).await?;
    let mut good = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = if list {
            format!("[{i}].")
        } else {
            String::new()
        };
        match intake::read(item, &prefix, |o| rules.get(o).copied(), false) {
            Ok(b) => good.push((b, false)),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let stored = store(&mut client, &good, "api").await?;
    Ok(Json(Stored { stored }))
}

/// `DELETE /bookings/{code}`: a cancellation, whatever the booking's day.
#[utoipa::path(delete, path = "/bookings/{code}", tag = "bookings", security(("integration" = [])),
    params(("code" = String, Path, description = "The booking code")),
    responses(
        (status = 200, description = "Cancelled", body = Stored),
        (status = 401, description = "No or wrong integration key", body = crate::protocol::ErrorBody),
        (status = 404, description = "No such booking", body = crate::protocol::ErrorBody),
        (status = 422, description = "Not a booking code", body = crate::protocol::ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    _: Integration,
    Path(code): Path<String>,
) -> Result<Json<Stored>> {
    let code = BookingCode::parse(&code).map_err(|e| {
        let rule = match e {
            crate::domain::booking_code::CodeError::Checksum => Rule::CheckCharacter,
            crate::domain::booking_code::CodeError::Length(n) => Rule::CodeLength(n),
            crate::domain::booking_code::CodeError::Character(c) => Rule::CodeCharacter(c),
            crate::domain::booking_code::CodeError::Empty => Rule::Required,
        };
        ApiError::invalid(vec![FieldError::new("code", &rule)])
    })?;
    let mut client = state.pool.get().await?;
    let booking = repo::bookings::get(&**client, code.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("no such booking"))?;
    let stored = store(&mut client, &[(booking, true)], "api").await?;
    Ok(Json(Stored { stored }))
}
