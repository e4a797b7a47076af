//! The `officers` table as the handlers read it: each office's roster.

use tokio_postgres::GenericClient;

use super::super::Result;
use super::super::auth::Device;
use crate::protocol::RosterEntry;

/// An active officer: username, role, and the proof key their events and approvals are
/// proven with (see [`crate::proof`]), with the key before their last new PIN and when it
/// changed.
#[derive(Debug, Clone)]
pub struct OnRoster {
    pub username: String,
    pub role: String,
    pub approval_key: Option<String>,
    pub previous_key: Option<(String, chrono::DateTime<chrono::Utc>)>,
}

/// The usernames of the active officers of `office`.
pub async fn active(client: &impl GenericClient, office: &str) -> Result<Vec<String>> {
    Ok(roster(client, office)
        .await?
        .into_iter()
        .map(|o| o.username)
        .collect())
}

/// The active officers of `office`.
pub async fn roster(client: &impl GenericClient, office: &str) -> Result<Vec<OnRoster>> {
    Ok(client
        .query(
            "SELECT username, role, approval_key, previous_key, key_changed_at
             FROM officers WHERE office = $1 AND active",
            &[&office],
        )
        .await?
        .into_iter()
        .map(|r| OnRoster {
            username: r.get(0),
            role: r.get(1),
            approval_key: r.get(2),
            previous_key: r
                .get::<_, Option<String>>(3)
                .zip(r.get::<_, Option<chrono::DateTime<chrono::Utc>>>(4)),
        })
        .collect())
}

/// An officer to add (or whose details and PIN to replace), as the administrator gives
/// them.
pub struct NewOfficer<'a> {
    pub office: &'a str,
    pub username: &'a str,
    pub nip: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub pin: &'a str,
}

/// Keeps a wrong PIN typed for `username` at `device`'s office.
pub async fn pin_failed(
    client: &impl GenericClient,
    device: &Device,
    username: &str,
    context: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO pin_failures (office, username, device, context, at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&device.office, &username, &device.id, &context, &at],
        )
        .await?;
    Ok(())
}

/// Locks `username` when the wrong PINs pusat received for them in the last hour, since
/// their last lock, reach `limit` with at most `per_device` counted from each counter, and
/// came from two counters or more (one counter, honest or not, locks only itself); the
/// roster entry that tells the counters.
pub async fn lock_if_over(
    tx: &impl GenericClient,
    office: &str,
    username: &str,
    limit: i64,
    per_device: i64,
) -> Result<Option<RosterEntry>> {
    let row = tx
        .query_opt(
            "UPDATE officers o
             SET locked_until = now() + make_interval(mins => $3), locked_at = now()
             WHERE o.username = $1 AND o.office = $2 AND o.active
               AND (o.locked_until IS NULL OR o.locked_until <= now())
               AND (SELECT COALESCE(sum(least(n, $5::bigint)), 0)::bigint >= $4::bigint
                           AND count(*) >= 2
                    FROM (SELECT count(*) AS n FROM pin_failures p
                          WHERE p.username = o.username AND p.office = o.office
                            AND p.received > now() - interval '1 hour'
                            AND p.received > COALESCE(o.locked_at, '-infinity')
                          GROUP BY p.device) AS by_device)
             RETURNING username, nip, name, role, pin_hash, locked_until, approval_salt",
            &[
                &username,
                &office,
                &(crate::store::LOCKOUT_MINUTES as i32),
                &limit,
                &per_device,
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

/// The office `username` is active at, their row locked until the transaction ends.
pub async fn lock_office_of(client: &impl GenericClient, username: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT office FROM officers WHERE username = $1 AND active FOR UPDATE",
            &[&username],
        )
        .await?
        .map(|r| r.get(0)))
}

/// The PIN rules `pusat officer add` checks today (`officers.pin_rules`): 2 since a
/// supervisor's PIN needs 10 digits.
pub const PIN_RULES: i16 = 2;

/// Active supervisors whose PIN was set before today's rules, by office and username.
pub async fn supervisors_with_old_pins(client: &impl GenericClient) -> Result<Vec<String>> {
    Ok(client
        .query(
            "SELECT office || ' ' || username FROM officers
             WHERE active AND role = 'supervisor' AND pin_rules IS DISTINCT FROM $1
             ORDER BY office, username",
            &[&PIN_RULES],
        )
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect())
}

/// Adds the officer `o` as `entry` says (or replaces their details and PIN, and unlocks
/// them), with the key their events and approvals are proven with; the key before is kept
/// for events timed before `at` (pusat's clock, as the devices' times are compared with).
pub async fn put(
    client: &impl GenericClient,
    o: &NewOfficer<'_>,
    entry: &RosterEntry,
    approval_key: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let (pin_hash, approval_salt) = (&entry.pin_hash, &entry.approval_salt);
    client
        .execute(
            "INSERT INTO officers (username, office, nip, name, role, pin_hash, approval_salt,
                               approval_key, pin_rules)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10)
         ON CONFLICT (username) DO UPDATE SET office = excluded.office, nip = excluded.nip,
             name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
             approval_salt = excluded.approval_salt, approval_key = excluded.approval_key,
             previous_key = officers.approval_key, key_changed_at = $9,
             pin_rules = excluded.pin_rules,
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
                &at,
                &PIN_RULES,
            ],
        )
        .await?;
    Ok(())
}

/// Takes `username` off their office's roster; the office, or `None` when they were not
/// active.
pub async fn withdraw(client: &impl GenericClient, username: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "UPDATE officers SET active = false, updated_at = now()
             WHERE username = $1 AND active RETURNING office",
            &[&username],
        )
        .await?
        .map(|r| r.get(0)))
}

/// The officers of `office` locked office-wide for wrong PINs and still locked: when,
/// until when, and the counters whose wrong PINs counted toward it.
pub async fn locked(
    client: &impl GenericClient,
    office: &str,
) -> Result<Vec<crate::protocol::OfficerLocked>> {
    let rows = client
        .query(
            "SELECT o.username, o.locked_at, o.locked_until,
                    COALESCE(array_agg(DISTINCT d.counter ORDER BY d.counter)
                             FILTER (WHERE d.counter IS NOT NULL), '{}')
             FROM officers o
             LEFT JOIN pin_failures p ON p.username = o.username AND p.office = o.office
                  AND p.received > o.locked_at - interval '1 hour'
                  AND p.received <= o.locked_at
             LEFT JOIN devices d ON d.id = p.device
             WHERE o.office = $1 AND o.locked_until > now() AND o.locked_at IS NOT NULL
             GROUP BY o.username, o.locked_at, o.locked_until
             ORDER BY o.locked_at",
            &[&office],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| crate::protocol::OfficerLocked {
            username: r.get(0),
            at: r.get(1),
            until: r.get(2),
            counters: r
                .get::<_, Vec<i32>>(3)
                .into_iter()
                .map(|c| c.max(0) as u32)
                .collect(),
        })
        .collect())
}
