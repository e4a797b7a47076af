//! The administrator's commands (`pusat office add`, `officer add`, `enroll-code`,
//! `device list|revoke`, `bookings import`), as functions over a database client so the
//! tests run them too.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::auth::{new_enroll_code, normalize_code, sha256_hex};
use super::{ApiError, Result, repo};
use crate::domain::Zone;
use crate::protocol::{Change, OfficeInfo, RosterEntry};

/// Adds an office, or updates its name, zone and configuration.
pub async fn office_add(client: &mut tokio_postgres::Client, office: &OfficeInfo) -> Result<()> {
    let zone = Zone::parse(&office.zone).ok_or_else(|| {
        ApiError::bad(format!(
            "unknown zone {}: use WIB, WITA or WIT",
            office.zone
        ))
    })?;
    let mut info = OfficeInfo {
        zone: zone.label().to_owned(),
        ..office.clone()
    };
    let config = serde_json::Value::Object(info.config.clone());
    let tx = client.transaction().await?;
    repo::offices::put(&tx, &info.code, &info.name, &info.zone, &config).await?;
    // As stored: the office's counters stay in its settings.
    if let Some((_, stored)) = repo::offices::get(&tx, &info.code).await? {
        info.config = stored.as_object().cloned().unwrap_or_default();
    }
    super::feed::append(&tx, &info.code, &[Change::Office(info.clone())]).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes an office's settings: the queue's lines and rule (`queue`, checked here as the
/// counters will read it) and the display's running text. Other settings stay.
/// The settings `pusat office set` changes; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct OfficeSettings<'a> {
    pub queue: Option<serde_json::Value>,
    pub display_text: Option<&'a str>,
    /// Days the counters keep closed cases and past bookings once pusat has them.
    pub retention_days: Option<u32>,
}

pub async fn office_set(
    client: &mut tokio_postgres::Client,
    code: &str,
    settings: &OfficeSettings<'_>,
) -> Result<OfficeInfo> {
    let mut patch = serde_json::Map::new();
    if let Some(queue) = &settings.queue {
        let wrapped = serde_json::json!({ "queue": queue });
        crate::domain::queue::QueueRules::from_office_config(&wrapped)
            .map_err(|e| ApiError::bad(format!("queue settings refused: {e}")))?;
        patch.insert("queue".into(), queue.clone());
    }
    if let Some(text) = settings.display_text {
        if text.chars().count() > 500 {
            return Err(ApiError::bad("the running text is at most 500 characters"));
        }
        patch.insert("display_text".into(), text.into());
    }
    if let Some(days) = settings.retention_days {
        if !(1..=3650).contains(&days) {
            return Err(ApiError::bad(
                "retention_days is 1 to 3650: the counters keep closed cases that many days",
            ));
        }
        patch.insert("retention_days".into(), days.into());
    }
    let tx = client.transaction().await?;
    let info = repo::offices::patch_config(&tx, code, &serde_json::Value::Object(patch))
        .await?
        .ok_or_else(|| ApiError::bad(format!("no office {code}")))?;
    super::feed::append(&tx, &info.code, &[Change::Office(info.clone())]).await?;
    tx.commit().await?;
    Ok(info)
}

pub use super::repo::officers::NewOfficer;

/// Adds an officer (or replaces one's details and PIN); the PIN is kept as an Argon2 hash.
pub async fn officer_add(client: &mut tokio_postgres::Client, o: &NewOfficer<'_>) -> Result<()> {
    if !["officer", "supervisor", "technician"].contains(&o.role) {
        return Err(ApiError::bad("role is officer, supervisor or technician"));
    }
    if let Some(weak) = crate::domain::pin::weakness_for(o.pin, o.nip, o.role) {
        return Err(ApiError::bad(weak.english()));
    }
    let pin_hash = crate::store::hash_pin(o.pin).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The key the officer's events and approvals are proven with (see `crate::proof`);
    // counters get the salt only.
    let approval_salt = crate::proof::new_salt();
    let approval_key = crate::proof::ProofKey::derive(o.pin, &approval_salt)
        .map(|k| k.to_base64())
        .ok_or_else(|| ApiError::Internal("proof key".into()))?;
    let tx = client.transaction().await?;
    if repo::offices::get(&tx, o.office).await?.is_none() {
        return Err(ApiError::bad(format!("unknown office {}", o.office)));
    }
    // An officer moved to another office is withdrawn from the old one's counters.
    let before = repo::officers::lock_office_of(&tx, o.username).await?;
    if let Some(old) = before.filter(|old| old != o.office) {
        super::feed::append(&tx, &old, &[Change::Officer(withdrawn(o.username))]).await?;
    }
    let entry = RosterEntry {
        username: o.username.to_owned(),
        nip: o.nip.to_owned(),
        name: o.name.to_owned(),
        role: o.role.to_owned(),
        pin_hash,
        active: true,
        locked_until: None,
        approval_salt: Some(approval_salt),
    };
    repo::officers::put(&tx, o, &entry, &approval_key, chrono::Utc::now()).await?;
    super::feed::append(&tx, o.office, &[Change::Officer(entry)]).await?;
    tx.commit().await?;
    Ok(())
}

/// The roster entry that takes an officer off a counter's roster.
fn withdrawn(username: &str) -> RosterEntry {
    RosterEntry {
        username: username.to_owned(),
        nip: String::new(),
        name: String::new(),
        role: String::new(),
        pin_hash: String::new(),
        active: false,
        locked_until: None,
        approval_salt: None,
    }
}

/// Takes an officer off the roster: their PIN stops working at every counter of their office
/// once it syncs, and a session of theirs that is open there ends. Their past work stays.
pub async fn officer_remove(client: &mut tokio_postgres::Client, username: &str) -> Result<()> {
    let tx = client.transaction().await?;
    let office = repo::officers::withdraw(&tx, username)
        .await?
        .ok_or_else(|| ApiError::bad(format!("no active officer {username}")))?;
    super::feed::append(&tx, &office, &[Change::Officer(withdrawn(username))]).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a one-time enrollment code for counter `counter` of `office`, valid for `hours`.
pub async fn enroll_code(
    client: &tokio_postgres::Client,
    office: &str,
    counter: u32,
    hours: i64,
) -> Result<(String, DateTime<Utc>)> {
    enroll_code_for(client, office, counter, hours, super::auth::Role::Counter).await
}

/// A one-time enrollment code for a device of `role`: a counter, or a waiting-room display
/// (number `counter`) whose credential reads the office's calls and nothing else.
pub async fn enroll_code_for(
    client: &tokio_postgres::Client,
    office: &str,
    counter: u32,
    hours: i64,
    role: super::auth::Role,
) -> Result<(String, DateTime<Utc>)> {
    let code = new_enroll_code();
    let expires = Utc::now() + chrono::Duration::hours(hours);
    let hash = sha256_hex(normalize_code(&code).as_bytes());
    let inserted = repo::devices::new_enroll_code(
        client,
        &hash,
        office,
        counter as i32,
        expires,
        role.label(),
    )
    .await?;
    if !inserted {
        return Err(ApiError::bad(format!("unknown office {office}")));
    }
    Ok((code, expires))
}

pub use super::repo::devices::{DeviceRow, list as device_list};
pub use super::repo::events::{Problem, problems};

/// Revokes a device: its credential is refused from now on; its events stay.
pub async fn device_revoke(client: &tokio_postgres::Client, id: Uuid) -> Result<()> {
    if !repo::devices::revoke_at_once(client, id).await? {
        return Err(ApiError::not_found(format!("no device {id}")));
    }
    Ok(())
}

/// What an import did: bookings stored (none on a dry run) and the rows refused.
#[derive(Debug)]
pub struct Imported {
    pub stored: usize,
    /// Bookings that passed the rules (stored unless this was a dry run).
    pub good: usize,
    pub refused: Vec<super::import::Refusal>,
}

/// Imports bookings from a CSV or JSON file's text: every good booking is stored, every bad
/// row reported. With `dry_run` the file is only checked.
pub async fn bookings_import(
    client: &mut tokio_postgres::Client,
    name: &str,
    text: &str,
    dry_run: bool,
) -> Result<Imported> {
    let rules = super::bookings::office_rules(client).await?;
    let import =
        super::import::read(name, text, |o| rules.get(o).copied()).map_err(ApiError::bad)?;
    let good = import.bookings.len();
    let stored = if dry_run || good == 0 {
        0
    } else {
        super::bookings::store(client, &import.bookings, "import").await?
    };
    Ok(Imported {
        stored,
        good,
        refused: import.refused,
    })
}
