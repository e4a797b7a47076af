//! The administrator's commands (`pusat office add`, `officer add`, `enroll-code`,
//! `device list|revoke`, `bookings import`), as functions over a database client so the
//! tests run them too.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::auth::{new_enroll_code, normalize_code, sha256_hex};
use super::{ApiError, Result};
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
    let info = OfficeInfo {
        zone: zone.label().to_owned(),
        ..office.clone()
    };
    let config = serde_json::Value::Object(info.config.clone());
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO offices (code, name, zone, config) VALUES ($1, $2, $3, $4)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
             config = excluded.config",
        &[&info.code, &info.name, &info.zone, &config],
    )
    .await?;
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
    let row = tx
        .query_opt(
            "UPDATE offices SET config = config || $2 WHERE code = $1
             RETURNING code, name, zone, config",
            &[&code, &serde_json::Value::Object(patch)],
        )
        .await?
        .ok_or_else(|| ApiError::bad(format!("no office {code}")))?;
    let config: serde_json::Value = row.get(3);
    let info = OfficeInfo {
        code: row.get(0),
        name: row.get(1),
        zone: row.get(2),
        config: config.as_object().cloned().unwrap_or_default(),
    };
    super::feed::append(&tx, &info.code, &[Change::Office(info.clone())]).await?;
    tx.commit().await?;
    Ok(info)
}

pub struct NewOfficer<'a> {
    pub office: &'a str,
    pub username: &'a str,
    pub nip: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub pin: &'a str,
}

/// Adds an officer (or replaces one's details and PIN); the PIN is kept as an Argon2 hash.
pub async fn officer_add(client: &mut tokio_postgres::Client, o: &NewOfficer<'_>) -> Result<()> {
    if !["officer", "supervisor", "technician"].contains(&o.role) {
        return Err(ApiError::bad("role is officer, supervisor or technician"));
    }
    if let Some(weak) = crate::domain::pin::weakness(o.pin, o.nip) {
        return Err(ApiError::bad(weak.english()));
    }
    let pin_hash = crate::store::hash_pin(o.pin).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The key a supervisor's approvals at a counter are proven with; counters get the salt.
    let approval_salt = crate::store::new_approval_salt();
    let approval_key = crate::store::approval_key(o.pin, &approval_salt)
        .map(|k| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, k))
        .ok_or_else(|| ApiError::Internal("approval key".into()))?;
    let tx = client.transaction().await?;
    let office_exists: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM offices WHERE code = $1)",
            &[&o.office],
        )
        .await?
        .get(0);
    if !office_exists {
        return Err(ApiError::bad(format!("unknown office {}", o.office)));
    }
    // An officer moved to another office is withdrawn from the old one's counters.
    let before: Option<String> = tx
        .query_opt(
            "SELECT office FROM officers WHERE username = $1 AND active FOR UPDATE",
            &[&o.username],
        )
        .await?
        .map(|r| r.get(0));
    if let Some(old) = before.filter(|old| old != o.office) {
        super::feed::append(&tx, &old, &[Change::Officer(withdrawn(o.username))]).await?;
    }
    tx.execute(
        "INSERT INTO officers (username, office, nip, name, role, pin_hash, approval_salt,
                               approval_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (username) DO UPDATE SET office = excluded.office, nip = excluded.nip,
             name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
             approval_salt = excluded.approval_salt, approval_key = excluded.approval_key,
             active = true, locked_until = NULL, locked_at = NULL, updated_at = now()",
        &[
            &o.username,
            &o.office,
            &o.nip,
            &o.name,
            &o.role,
            &pin_hash,
            &approval_salt,
            &approval_key,
        ],
    )
    .await?;
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
    let office: String = tx
        .query_opt(
            "UPDATE officers SET active = false, updated_at = now()
             WHERE username = $1 AND active RETURNING office",
            &[&username],
        )
        .await?
        .ok_or_else(|| ApiError::bad(format!("no active officer {username}")))?
        .get(0);
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
    let inserted = client
        .execute(
            "INSERT INTO enroll_codes (code_hash, office, counter, expires_at, role)
             SELECT $1, code, $3, $4, $5 FROM offices WHERE code = $2",
            &[
                &sha256_hex(normalize_code(&code).as_bytes()),
                &office,
                &(counter as i32),
                &expires,
                &role.label(),
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::bad(format!("unknown office {office}")));
    }
    Ok((code, expires))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRow {
    pub id: Uuid,
    pub office: String,
    pub counter: i32,
    pub enrolled_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub last_seq: i64,
}

pub async fn device_list(client: &tokio_postgres::Client) -> Result<Vec<DeviceRow>> {
    let rows = client
        .query(
            "SELECT id, office, counter, enrolled_at, expires_at, revoked_at, last_seen, last_seq
             FROM devices ORDER BY office, counter, enrolled_at",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DeviceRow {
            id: r.get(0),
            office: r.get(1),
            counter: r.get(2),
            enrolled_at: r.get(3),
            expires_at: r.get(4),
            revoked_at: r.get(5),
            last_seen: r.get(6),
            last_seq: r.get(7),
        })
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

/// Revokes a device: its credential is refused from now on; its events stay.
pub async fn device_revoke(client: &tokio_postgres::Client, id: Uuid) -> Result<()> {
    let n = client
        .execute(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1",
            &[&id],
        )
        .await?;
    if n == 0 {
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
