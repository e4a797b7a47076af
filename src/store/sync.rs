//! The counter's side of sync: reading the outbox in order, marking what pusat holds,
//! applying pulled changes with their cursor in one transaction, and the photos to upload.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{Result, Store, StoreError};
use crate::domain::{Office, Zone};
use crate::protocol::{Change, FeedEntry, OfficeInfo, WireEvent};

/// What waits to sync, for the status line and `loket sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncCounts {
    pub events: u64,
    pub photos: u64,
    pub last_success: Option<DateTime<FixedOffset>>,
    /// This counter's events pusat refused that nobody has looked at here yet.
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPhoto {
    pub sha256: String,
    pub bytes: u64,
}

/// Another counter serving an applicant of a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedElsewhere {
    pub applicant: usize,
    pub counter: u32,
    /// This counter's own case for the applicant lost its claim.
    pub our_case_lost: bool,
}

/// An outbox row: seq, id, kind, case, office, officer, device time, payload, the proof
/// of a supervisor's approval it carries, the officer's proof, the request it answers.
type EventRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn bad(what: &str) -> StoreError {
    StoreError::Io(format!("outbox: {what}"))
}

impl Store {
    /// The sequence number of the oldest event pusat has not confirmed.
    pub fn first_unpushed(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MIN(seq) FROM outbox WHERE pushed_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// The case events of `day` (office time) that open and close the steps, for the time
    /// per step (`day_report::step_times`): this counter's own cases.
    pub fn case_milestones(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<crate::domain::day_report::Milestone>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id, kind, device_time FROM outbox
             WHERE case_id IS NOT NULL AND substr(device_time, 1, 10) = ?1
               AND kind IN ('case.check_in', 'case.complete_documents',
                            'case.complete_interview', 'case.photo', 'case.photo_pending',
                            'case.decide')",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (case, kind, at) = row?;
            if let (Ok(case), Ok(at)) = (
                uuid::Uuid::parse_str(&case),
                chrono::DateTime::parse_from_rfc3339(&at),
            ) {
                out.push((case, kind, at));
            }
        }
        Ok(out)
    }

    /// The newest event's sequence number (0 before the first).
    pub fn last_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", [], |r| r.get(0))?)
    }

    /// Up to `limit` events from `first` on, in order.
    pub fn outbox_from(&self, first: i64, limit: usize) -> Result<Vec<WireEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.seq, o.id, o.kind, o.case_id, o.office, o.officer, o.device_time, o.payload,
                    p.proof, o.signed, o.answers
             FROM outbox o LEFT JOIN approval_proofs p ON p.seq = o.seq
             WHERE o.seq >= ?1 ORDER BY o.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![first, limit as i64], event_row)?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, kind, case_id, office, officer, time, payload, proof, signed, answers) =
                row?;
            out.push(WireEvent {
                seq,
                id: Uuid::parse_str(&id).map_err(|_| bad("event id"))?,
                kind,
                case_id: case_id
                    .map(|c| Uuid::parse_str(&c))
                    .transpose()
                    .map_err(|_| bad("case id"))?,
                office,
                officer,
                device_time: DateTime::parse_from_rfc3339(&time).map_err(|_| bad("time"))?,
                payload: serde_json::from_str(&payload)?,
                proof,
                signed,
                answers: answers
                    .map(|a| Uuid::parse_str(&a))
                    .transpose()
                    .map_err(|_| bad("answered request"))?,
            });
        }
        Ok(out)
    }

    /// Records that pusat holds every event up to `through`.
    pub fn mark_pushed(&self, through: i64, now: DateTime<FixedOffset>) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET pushed_at = ?2 WHERE seq <= ?1 AND pushed_at IS NULL",
            params![through, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// pusat lacks events from `from` on (restored from a backup, say): send them again.
    pub fn unmark_pushed_from(&self, from: i64) -> Result<()> {
        self.conn
            .execute("UPDATE outbox SET pushed_at = NULL WHERE seq >= ?1", [from])?;
        Ok(())
    }

    /// Keeps what pusat answered it refused of this counter's events (each once).
    pub fn record_refused(
        &self,
        refused: &[crate::protocol::RefusedEvent],
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        for r in refused {
            self.conn.execute(
                "INSERT OR IGNORE INTO refused (seq, kind, reason, at) VALUES (?1, ?2, ?3, ?4)",
                params![r.seq, r.kind, r.reason, now.to_rfc3339()],
            )?;
        }
        Ok(())
    }

    /// The refused events nobody has looked at here, oldest first; they count as looked at
    /// from now on.
    pub fn take_refused(&self) -> Result<Vec<crate::protocol::RefusedEvent>> {
        let tx = self.conn.unchecked_transaction()?;
        let list = tx
            .prepare("SELECT seq, kind, reason FROM refused WHERE seen = 0 ORDER BY seq")?
            .query_map([], |r| {
                Ok(crate::protocol::RefusedEvent {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    reason: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.execute("UPDATE refused SET seen = 1 WHERE seen = 0", [])?;
        tx.commit()?;
        Ok(list)
    }

    pub fn sync_counts(&self) -> Result<SyncCounts> {
        let last: Option<String> = self.conn.query_row(
            "SELECT last_success FROM sync_state WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(SyncCounts {
            events: self.pending_events()?,
            photos: self.pending_photos()?,
            last_success: last.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
            refused: self
                .conn
                .query_row("SELECT COUNT(*) FROM refused WHERE seen = 0", [], |r| {
                    r.get::<_, i64>(0)
                })?
                .max(0) as u64,
        })
    }

    pub fn set_last_success(&self, now: DateTime<FixedOffset>) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET last_success = ?1 WHERE id = 1",
            [now.to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT cursor FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }

    /// Applies pulled changes and moves the cursor, in one transaction. Bookings of days
    /// before `today` are skipped (the counter serves today and the days ahead).
    pub fn apply_changes(
        &mut self,
        entries: &[FeedEntry],
        cursor: i64,
        today: NaiveDate,
    ) -> Result<()> {
        let own_device = self.device_id()?;
        let secret = self.secret.clone();
        let tx = self.conn.transaction()?;
        let own_counter: Option<u32> = tx
            .query_row("SELECT counter FROM device WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        let pushed_through: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE pushed_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        for entry in entries {
            match &entry.change {
                Change::Office(info) => {
                    if let Some(zone) = Zone::parse(&info.zone) {
                        tx.execute(
                            "INSERT INTO offices (code, name, zone, config) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                                 zone = excluded.zone, config = excluded.config",
                            params![
                                info.code,
                                info.name,
                                zone.label(),
                                serde_json::Value::Object(info.config.clone()).to_string()
                            ],
                        )?;
                    }
                }
                Change::Officer(o) if o.active => {
                    super::officers::put_from_roster(&tx, &secret, o)?;
                }
                Change::Officer(o) => {
                    tx.execute("DELETE FROM officers WHERE username = ?1", [&o.username])?;
                }
                Change::Booking(b) => {
                    if b.booking.date >= today {
                        super::bookings::put_booking_tx(&tx, &b.booking)?;
                        let from = b
                            .previous
                            .as_ref()
                            .map(|p| p.date)
                            .filter(|d| *d != b.booking.date);
                        tx.execute(
                            "UPDATE bookings SET cancelled = ?2,
                                 rescheduled_from = COALESCE(?3, rescheduled_from)
                             WHERE code = ?1",
                            params![b.booking.code.as_str(), b.cancelled, from],
                        )?;
                    }
                }
                Change::Case(c) if c.device.to_string() == own_device => {
                    if let Some(w) = &c.lost_to {
                        tx.execute(
                            "INSERT INTO lost_claims (case_id, winner_case, winner_counter)
                             SELECT id, ?2, ?3 FROM cases WHERE id = ?1
                             ON CONFLICT (case_id) DO NOTHING",
                            params![
                                c.case_id.to_string(),
                                w.case_id.map(|id| id.to_string()).unwrap_or_default(),
                                w.counter
                            ],
                        )?;
                    }
                }
                Change::Ticket(t) => {
                    if t.day >= today {
                        super::tickets::apply_pulled(&tx, t, own_counter, pushed_through)?;
                    }
                }
                Change::Case(c) => {
                    let awaiting = c.awaiting.as_ref().map(serde_json::to_string).transpose()?;
                    tx.execute(
                        "INSERT INTO remote_cases (id, booking, applicant, counter, status, lost, awaiting)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (id) DO UPDATE SET status = excluded.status, lost = excluded.lost,
                             awaiting = excluded.awaiting",
                        params![
                            c.case_id.to_string(),
                            c.booking,
                            c.applicant as i64,
                            c.counter,
                            c.status,
                            c.lost_to.is_some(),
                            awaiting
                        ],
                    )?;
                }
                Change::Approval(a) => {
                    // Answered: off every board's list; kept for applying when the case is
                    // this counter's.
                    tx.execute(
                        "UPDATE remote_cases SET awaiting = NULL WHERE id = ?1",
                        [a.case_id.to_string()],
                    )?;
                    super::approvals::keep_answer(&tx, a)?;
                }
            }
        }
        tx.execute("UPDATE sync_state SET cursor = ?1 WHERE id = 1", [cursor])?;
        tx.commit()?;
        Ok(())
    }

    /// Photos not yet uploaded, oldest first.
    pub fn photos_to_upload(&self, limit: usize) -> Result<Vec<PendingPhoto>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, bytes FROM photos WHERE uploaded_at IS NULL ORDER BY created_at LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(PendingPhoto {
                sha256: r.get(0)?,
                bytes: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn mark_uploaded(&self, sha256: &str, now: DateTime<FixedOffset>) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET uploaded_at = ?2 WHERE sha256 = ?1",
            params![sha256, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Takes the identity pusat gave this counter at enrollment.
    pub fn enroll(
        &mut self,
        device_id: Uuid,
        office: &OfficeInfo,
        counter: u32,
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO device (id, device_id, office, counter, created_at) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id,
                 office = excluded.office, counter = excluded.counter",
            params![device_id.to_string(), office.code, counter, now.to_rfc3339()],
        )?;
        tx.execute(
            "INSERT INTO offices (code, name, zone, config) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
                 config = excluded.config",
            params![
                office.code,
                office.name,
                office.zone,
                serde_json::Value::Object(office.config.clone()).to_string()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The office as pulled from pusat, with its configuration.
    pub fn office_info(&self, code: &str) -> Result<Option<(Office, serde_json::Value)>> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT name, zone, config FROM offices WHERE code = ?1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(row.and_then(|(name, zone, config)| {
            let zone = Zone::parse(&zone)?;
            let config = serde_json::from_str(&config).unwrap_or_default();
            Some((
                Office {
                    code: code.to_owned(),
                    name,
                    zone,
                },
                config,
            ))
        }))
    }

    /// Outbox events written for an office other than `code` (a data folder from elsewhere).
    pub fn events_of_other_offices(&self, code: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE office <> ?1",
            [code],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Applicants of `booking` another counter serves, as far as the last pull knows.
    pub fn served_elsewhere(&self, booking: &str) -> Result<Vec<ServedElsewhere>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.applicant, r.counter, EXISTS (SELECT 1 FROM lost_claims l
                        JOIN cases c ON c.id = l.case_id
                        WHERE c.booking = r.booking AND c.applicant = r.applicant)
             FROM remote_cases r WHERE r.booking = ?1 AND r.lost = 0
             UNION ALL
             SELECT c.applicant, l.winner_counter, 1 FROM lost_claims l JOIN cases c ON c.id = l.case_id
             WHERE c.booking = ?1 AND NOT EXISTS (SELECT 1 FROM remote_cases r
                 WHERE r.booking = c.booking AND r.applicant = c.applicant AND r.lost = 0)
             ORDER BY 1",
        )?;
        let rows = stmt.query_map([booking], |r| {
            Ok(ServedElsewhere {
                applicant: r.get::<_, i64>(0)? as usize,
                counter: r.get(1)?,
                our_case_lost: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
