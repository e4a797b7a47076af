//! Retention: what the kiosk no longer needs goes (UU PDP 27/2022, data minimisation).
//! A case is purged once it is decided, its booking's day and its last change are older
//! than the office keeps them, every event of it is at pusat and its photo uploaded; a
//! booking once it is past and has no case left. Its events' payloads become a tombstone
//! (the outbox stays gapless, pusat already has them); the audit trail is kept whole.
//! Nothing that pusat does not hold is ever deleted: a kiosk that never synced purges
//! nothing.

use chrono::NaiveDate;
use rusqlite::params;

use super::{Actor, Result, Store, append_audit};

/// How many days an office keeps closed cases and past bookings, when its settings say
/// nothing (`retention_days` in the office's config).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub cases: u64,
    pub bookings: u64,
    pub events: u64,
}

/// The purge's tombstone for an event's payload.
pub const TOMBSTONE: &str = r#"{"purged":true}"#;

impl Store {
    /// Purges what is older than `before` (a day): closed cases wholly at pusat, then past
    /// bookings with no case left. One transaction; an audit row says what went.
    pub fn purge(&mut self, actor: &Actor, before: NaiveDate) -> Result<Purged> {
        self.purge_or_count(actor, before, true)
    }

    /// What [`Store::purge`] would remove, without removing it (the same statements in a
    /// transaction that is rolled back).
    pub fn purge_dry_run(&mut self, actor: &Actor, before: NaiveDate) -> Result<Purged> {
        self.purge_or_count(actor, before, false)
    }

    fn purge_or_count(&mut self, actor: &Actor, before: NaiveDate, commit: bool) -> Result<Purged> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cutoff = before.to_string();
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS purging (id TEXT PRIMARY KEY);
             DELETE FROM temp.purging;",
        )?;
        tx.execute(
            "INSERT INTO temp.purging (id)
             SELECT c.id FROM cases c JOIN bookings b ON b.code = c.booking
             WHERE json_extract(c.state, '$.decision') IS NOT NULL
               AND b.day < ?1 AND substr(c.updated_at, 1, 10) < ?1
               AND NOT EXISTS (SELECT 1 FROM outbox o
                               WHERE o.case_id = c.id AND o.pushed_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM photos p
                               WHERE p.case_id = c.id AND p.uploaded_at IS NULL)",
            [&cutoff],
        )?;
        let events = tx.execute(
            "UPDATE outbox SET payload = ?1
             WHERE case_id IN (SELECT id FROM temp.purging) AND payload <> ?1",
            [TOMBSTONE],
        )? as u64;
        for table in ["drafts", "photos", "lost_claims", "approval_answers"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE case_id IN (SELECT id FROM temp.purging)"),
                [],
            )?;
        }
        let cases = tx.execute(
            "DELETE FROM cases WHERE id IN (SELECT id FROM temp.purging)",
            [],
        )? as u64;
        // Past bookings with no case left here, and no walk-in registration still to push.
        tx.execute_batch("DELETE FROM temp.purging;")?;
        tx.execute(
            "INSERT INTO temp.purging (id)
             SELECT b.code FROM bookings b
             WHERE b.day < ?1
               AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.booking = b.code)
               AND NOT EXISTS (SELECT 1 FROM outbox o
                               WHERE o.kind = 'booking.walk_in' AND o.pushed_at IS NULL
                                 AND json_extract(o.payload, '$.code') = b.code)",
            [&cutoff],
        )?;
        let walk_ins = tx.execute(
            "UPDATE outbox SET payload = ?1
             WHERE kind = 'booking.walk_in' AND pushed_at IS NOT NULL AND payload <> ?1
               AND json_extract(payload, '$.code') IN (SELECT id FROM temp.purging)",
            [TOMBSTONE],
        )? as u64;
        for table in ["applicants", "remote_cases"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE booking IN (SELECT id FROM temp.purging)"),
                [],
            )?;
        }
        let bookings = tx.execute(
            "DELETE FROM bookings WHERE code IN (SELECT id FROM temp.purging)",
            [],
        )? as u64;
        tx.execute_batch("DELETE FROM temp.purging;")?;
        let purged = Purged {
            cases,
            bookings,
            events: events + walk_ins,
        };
        if purged != Purged::default() {
            append_audit(
                &tx,
                actor,
                "retention.purge",
                None,
                None,
                &format!(
                    "before {cutoff}: {cases} cases, {bookings} bookings, {} event payloads",
                    purged.events
                ),
            )?;
        }
        if commit {
            tx.commit()?;
        }
        Ok(purged)
    }

    /// Purges once a day (after a sync round reached pusat): what is older than the office's
    /// retention. `None` when it already ran on `today`.
    pub fn purge_daily(&mut self, actor: &Actor, today: NaiveDate) -> Result<Option<Purged>> {
        let last: Option<String> =
            self.conn
                .query_row("SELECT purged_on FROM sync_state WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        if last.as_deref() == Some(today.to_string().as_str()) {
            return Ok(None);
        }
        let before = today - chrono::Days::new(u64::from(self.retention_days()));
        let purged = self.purge(actor, before)?;
        self.conn.execute(
            "UPDATE sync_state SET purged_on = ?1 WHERE id = 1",
            [today.to_string()],
        )?;
        Ok(Some(purged))
    }

    /// The days the office keeps closed cases and past bookings (`retention_days` in the
    /// office's settings from pusat; at least one day).
    pub fn retention_days(&self) -> u32 {
        let config: Option<String> = self
            .conn
            .query_row(
                "SELECT config FROM offices WHERE code = ?1",
                params![self.office],
                |r| r.get(0),
            )
            .ok();
        retention_of(config.as_deref())
    }
}

/// The retention an office's config (JSON) sets, or the default.
pub(crate) fn retention_of(config: Option<&str>) -> u32 {
    config
        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
        .and_then(|c| c.get("retention_days").and_then(serde_json::Value::as_u64))
        .map_or(DEFAULT_RETENTION_DAYS, |d| d.clamp(1, 3650) as u32)
}
