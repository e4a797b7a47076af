//! The `devices`, `retired_tokens` and `enroll_codes` tables: who a credential belongs to,
//! enrollment, renewal and retirement of tokens.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use super::super::Result;

/// A device row as the credential check needs it.
#[derive(Debug, Clone)]
pub struct Holder {
    pub id: Uuid,
    pub office: String,
    pub counter: i32,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub public_key: Option<String>,
    /// The token presented is the renewed one, not yet used before.
    pub first_use_of_next: bool,
    pub role: String,
    /// `last_seen` was written within the last `seen_within` seconds.
    pub seen_lately: bool,
}

/// The device holding `token_hash`, as its current or its renewed token.
pub async fn holder(
    client: &impl GenericClient,
    token_hash: &str,
    seen_within: f64,
) -> Result<Option<Holder>> {
    let row = client
        .query_opt(
            "SELECT id, office, counter, revoked_at, expires_at, public_key,
                    next_token_hash = $1, role,
                    last_seen > now() - make_interval(secs => $2)
             FROM devices WHERE token_hash = $1 OR next_token_hash = $1",
            &[&token_hash, &seen_within],
        )
        .await?;
    Ok(row.map(|row| Holder {
        id: row.get(0),
        office: row.get(1),
        counter: row.get(2),
        revoked_at: row.get(3),
        expires_at: row.get(4),
        public_key: row.get(5),
        first_use_of_next: row.get::<_, Option<bool>>(6).unwrap_or(false),
        role: row.get(7),
        seen_lately: row.get::<_, Option<bool>>(8).unwrap_or(false),
    }))
}

/// Notes that `device` was seen now; when `token_hash` is its renewed token, that token
/// becomes the current one and the old one is retired.
pub async fn seen(
    client: &impl GenericClient,
    device: Uuid,
    token_hash: &str,
    first_use_of_next: bool,
) -> Result<()> {
    client
        .execute(
            "WITH old AS (SELECT token_hash FROM devices WHERE id = $2 AND next_token_hash = $1),
                  kept AS (INSERT INTO retired_tokens (token_hash, device)
                           SELECT token_hash, $2 FROM old WHERE $3
                           ON CONFLICT DO NOTHING)
             UPDATE devices SET last_seen = now(),
                 token_hash = CASE WHEN next_token_hash = $1 THEN $1 ELSE token_hash END,
                 expires_at = CASE WHEN next_token_hash = $1 THEN next_expires_at
                                   ELSE expires_at END,
                 next_expires_at = CASE WHEN next_token_hash = $1 THEN NULL
                                        ELSE next_expires_at END,
                 next_token_hash = CASE WHEN next_token_hash = $1 THEN NULL
                                        ELSE next_token_hash END,
                 next_token = CASE WHEN next_token_hash = $1 THEN NULL ELSE next_token END
             WHERE id = $2",
            &[&token_hash, &device, &first_use_of_next],
        )
        .await?;
    Ok(())
}

/// The device a retired `token_hash` belonged to, and whether its grace of
/// `grace_minutes` has passed.
pub async fn retired(
    client: &impl GenericClient,
    token_hash: &str,
    grace_minutes: i32,
) -> Result<Option<(Uuid, bool)>> {
    Ok(client
        .query_opt(
            "SELECT device, retired_at < now() - make_interval(mins => $2::int)
             FROM retired_tokens WHERE token_hash = $1",
            &[&token_hash, &grace_minutes],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Revokes `device` (a revocation already made keeps its time); `true` when it was
/// revoked here.
pub async fn revoke(client: &impl GenericClient, device: Uuid) -> Result<bool> {
    Ok(client
        .execute(
            "UPDATE devices SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
            &[&device],
        )
        .await?
        == 1)
}

/// What an unused, unexpired enrollment code opens, locked until the transaction ends.
#[derive(Debug, Clone)]
pub struct Opening {
    pub office: String,
    pub counter: i32,
    pub office_name: String,
    pub zone: String,
    pub config: serde_json::Value,
    pub role: String,
}

/// The enrollment code hashed as `code_hash`, if it is unused and unexpired, locked.
pub async fn lock_enroll_code(
    client: &impl GenericClient,
    code_hash: &str,
) -> Result<Option<Opening>> {
    Ok(client
        .query_opt(
            "SELECT e.office, e.counter, o.name, o.zone, o.config, e.role FROM enroll_codes e
             JOIN offices o ON o.code = e.office
             WHERE e.code_hash = $1 AND e.used_at IS NULL AND e.expires_at > now()
             FOR UPDATE OF e",
            &[&code_hash],
        )
        .await?
        .map(|row| Opening {
            office: row.get(0),
            counter: row.get(1),
            office_name: row.get(2),
            zone: row.get(3),
            config: row.get(4),
            role: row.get(5),
        }))
}

/// A device to enroll.
#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    pub id: Uuid,
    pub office: &'a str,
    pub counter: i32,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub public_key: Option<String>,
    pub role: &'a str,
}

/// Enrolls `device` with the code hashed as `code_hash`, which is used up.
pub async fn enroll(
    client: &impl GenericClient,
    code_hash: &str,
    device: &NewDevice<'_>,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO devices (id, office, counter, token_hash, expires_at, public_key, role)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &device.id,
                &device.office,
                &device.counter,
                &device.token_hash,
                &device.expires_at,
                &device.public_key,
                &device.role,
            ],
        )
        .await?;
    client
        .execute(
            "UPDATE enroll_codes SET used_at = now(), device = $2 WHERE code_hash = $1",
            &[&code_hash, &device.id],
        )
        .await?;
    Ok(())
}

/// When `device` was enrolled and when its credential expires.
pub async fn dates(
    client: &impl GenericClient,
    device: Uuid,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let row = client
        .query_one(
            "SELECT enrolled_at, expires_at FROM devices WHERE id = $1",
            &[&device],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Gives `device` a renewed token, valid until `expires_at`, beside its current one.
pub async fn renew(
    client: &impl GenericClient,
    device: Uuid,
    next_token: &str,
    next_token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    client
        .execute(
            "UPDATE devices SET next_token = $4, next_token_hash = $2, next_expires_at = $3
             WHERE id = $1",
            &[&device, &next_token_hash, &expires_at, &next_token],
        )
        .await?;
    Ok(())
}

/// Whether `nonce` is new from `device` (and now remembered); nonces older than
/// `keep_seconds` are forgotten, since their signatures have expired.
pub async fn nonce_fresh(
    client: &impl GenericClient,
    device: Uuid,
    nonce: &str,
    keep_seconds: f64,
) -> Result<bool> {
    let inserted = client
        .execute(
            "WITH expired AS (DELETE FROM request_nonces
                              WHERE seen_at < now() - make_interval(secs => $3))
             INSERT INTO request_nonces (device, nonce) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&device, &nonce, &keep_seconds],
        )
        .await?;
    Ok(inserted == 1)
}

/// The token a renewal gave that is not used yet, with its expiry.
pub async fn pending_renewal(
    client: &impl GenericClient,
    device: Uuid,
) -> Result<Option<(String, DateTime<Utc>)>> {
    Ok(client
        .query_opt(
            "SELECT next_token, next_expires_at FROM devices
             WHERE id = $1 AND next_token IS NOT NULL AND next_token_hash IS NOT NULL
               AND next_expires_at IS NOT NULL",
            &[&device],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Each counter of `office` with an unrevoked credential, and when pusat last heard from
/// it.
pub async fn counters_seen(
    client: &impl GenericClient,
    office: &str,
) -> Result<Vec<(i32, Option<DateTime<Utc>>)>> {
    Ok(client
        .query(
            "SELECT counter, MAX(last_seen) FROM devices
             WHERE office = $1 AND role = 'counter' AND revoked_at IS NULL
             GROUP BY counter ORDER BY counter",
            &[&office],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// The last sequence number stored for `device`, its row locked until the transaction ends
/// (one push of a device at a time).
pub async fn lock_last_seq(client: &impl GenericClient, device: Uuid) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT last_seq FROM devices WHERE id = $1 FOR UPDATE",
            &[&device],
        )
        .await?
        .get(0))
}

/// Notes that `device`'s events are stored through `seq`.
pub async fn stored_through(client: &impl GenericClient, device: Uuid, seq: i64) -> Result<()> {
    client
        .execute(
            "UPDATE devices SET last_seq = $2 WHERE id = $1",
            &[&device, &seq],
        )
        .await?;
    Ok(())
}

/// An unrevoked device as the metrics show it.
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: Uuid,
    pub office: String,
    pub counter: i32,
    /// Unix time of its last request, if any.
    pub last_seen: Option<f64>,
    pub last_seq: i64,
}

/// Every unrevoked device, by office and counter.
pub async fn contacts(client: &impl GenericClient) -> Result<Vec<Contact>> {
    Ok(client
        .query(
            "SELECT id, office, counter, extract(epoch FROM last_seen)::float8, last_seq
             FROM devices WHERE revoked_at IS NULL ORDER BY office, counter",
            &[],
        )
        .await?
        .into_iter()
        .map(|r| Contact {
            id: r.get(0),
            office: r.get(1),
            counter: r.get(2),
            last_seen: r.get(3),
            last_seq: r.get(4),
        })
        .collect())
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

/// Every device pusat enrolled, revoked ones too.
pub async fn list(client: &tokio_postgres::Client) -> Result<Vec<DeviceRow>> {
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

/// Revokes `device` now, or keeps the time it was revoked at; `false` when there is no
/// such device.
pub async fn revoke_at_once(client: &impl GenericClient, device: Uuid) -> Result<bool> {
    Ok(client
        .execute(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1",
            &[&device],
        )
        .await?
        == 1)
}

/// Keeps a new enrollment code, hashed as `code_hash`; `false` when `office` is unknown.
pub async fn new_enroll_code(
    client: &impl GenericClient,
    code_hash: &str,
    office: &str,
    counter: i32,
    expires: DateTime<Utc>,
    role: &str,
) -> Result<bool> {
    Ok(client
        .execute(
            "INSERT INTO enroll_codes (code_hash, office, counter, expires_at, role)
             SELECT $1, code, $3, $4, $5 FROM offices WHERE code = $2",
            &[&code_hash, &office, &counter, &expires, &role],
        )
        .await?
        == 1)
}
