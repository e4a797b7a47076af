//! Bookings and the day's queue.

use chrono::{NaiveDate, NaiveTime};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Result, Store};
use crate::domain::{Booking, BookingCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    /// Nobody on the booking has been checked in.
    Waiting,
    /// Some applicant's case is open.
    InProgress,
    /// Every applicant's case is decided, some continued and some rejected.
    Done,
    /// Every applicant's case continued (the passport goes to be made).
    Approved,
    /// Every applicant's case was rejected.
    Rejected,
    /// Every case is decided and someone's was deferred: the applicant comes back.
    Deferred,
    /// Every case is decided and someone's photo or fingerprints are still to be taken.
    AwaitingPhoto,
    /// The booking system cancelled it: kept (cases may point at it), out of the queue.
    Cancelled,
    /// Nobody checked in yet, and the booking system moved it here from another day.
    Rescheduled,
}

/// One line of the queue: a booking with how far its applicants have got.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub code: BookingCode,
    pub day: NaiveDate,
    pub slot: NaiveTime,
    pub first_name: String,
    pub applicants: usize,
    pub opened: usize,
    /// Cases decided, whatever the decision (the four counts below).
    pub decided: usize,
    pub continued: usize,
    pub rejected: usize,
    pub deferred: usize,
    pub awaiting_photo: usize,
    pub walk_in: bool,
    pub express: bool,
    pub cancelled: bool,
    /// The day the booking had before it was rescheduled.
    pub rescheduled_from: Option<NaiveDate>,
}

impl QueueRow {
    pub fn status(&self) -> QueueStatus {
        if self.cancelled && self.opened == 0 {
            QueueStatus::Cancelled
        } else if self.opened == 0 && self.rescheduled_from.is_some() {
            QueueStatus::Rescheduled
        } else if self.opened == 0 {
            QueueStatus::Waiting
        } else if self.decided < self.applicants {
            QueueStatus::InProgress
        } else if self.deferred > 0 {
            QueueStatus::Deferred
        } else if self.awaiting_photo > 0 {
            QueueStatus::AwaitingPhoto
        } else if self.rejected >= self.applicants {
            QueueStatus::Rejected
        } else if self.continued >= self.applicants {
            QueueStatus::Approved
        } else {
            QueueStatus::Done
        }
    }
}

impl QueueStatus {
    /// Whether every applicant's case is decided (whatever the decision).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            QueueStatus::Done
                | QueueStatus::Approved
                | QueueStatus::Rejected
                | QueueStatus::Deferred
                | QueueStatus::AwaitingPhoto
        )
    }
}

/// A booking's cases (this counter's that it did not lose, and other counters' it heard of)
/// counted by status: columns 6 to 11.
macro_rules! cases_with {
    ($status:literal) => {
        concat!(
            "(SELECT COUNT(*) FROM cases c WHERE c.booking = b.code ",
            $status,
            " AND c.id NOT IN (SELECT case_id FROM lost_claims))
             + (SELECT COUNT(*) FROM remote_cases c WHERE c.booking = b.code AND c.lost = 0 ",
            $status,
            ")"
        )
    };
}

const QUEUE_SELECT: &str = concat!(
    "SELECT b.code, b.day, b.slot, b.body, b.walk_in, b.cancelled, ",
    cases_with!(""),
    ", ",
    cases_with!("AND c.status = 'continued'"),
    ", b.rescheduled_from, ",
    cases_with!("AND c.status = 'rejected'"),
    ", ",
    cases_with!("AND c.status = 'deferred'"),
    ", ",
    cases_with!("AND c.status = 'awaiting_photo'"),
    " FROM bookings b"
);

fn queue_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(QueueRow, Booking)> {
    let body: String = r.get(3)?;
    let booking: Booking = serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let count = |i: usize| r.get::<_, i64>(i).map(|n| n.max(0) as usize);
    let (continued, rejected, deferred, awaiting_photo) =
        (count(7)?, count(9)?, count(10)?, count(11)?);
    let row = QueueRow {
        code: booking.code.clone(),
        day: r.get(1)?,
        slot: r.get(2)?,
        first_name: booking
            .applicants
            .first()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
        applicants: booking.applicants.len(),
        opened: r.get::<_, i64>(6)? as usize,
        decided: continued + rejected + deferred + awaiting_photo,
        continued,
        rejected,
        deferred,
        awaiting_photo,
        walk_in: r.get(4)?,
        express: booking.service == crate::domain::Service::Express,
        cancelled: r.get(5)?,
        rescheduled_from: r.get(8)?,
    };
    Ok((row, booking))
}

impl Store {
    /// Stores a booking, replacing an earlier version of it (a reschedule).
    pub fn put_booking(&mut self, booking: &Booking) -> Result<()> {
        let tx = self.conn.transaction()?;
        put_booking_tx(&tx, booking)?;
        tx.commit()?;
        Ok(())
    }

    /// Stores many bookings in one transaction (seeding, sync pulls).
    pub fn put_bookings(&mut self, bookings: &[Booking]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for b in bookings {
            put_booking_tx(&tx, b)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn booking(&self, code: &BookingCode) -> Result<Option<Booking>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM bookings WHERE code = ?1",
                [code.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body.map(|b| serde_json::from_str(&b)).transpose()?)
    }

    /// Whether the booking system cancelled `code` (as the last sync brought it).
    pub fn booking_cancelled(&self, code: &BookingCode) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT cancelled FROM bookings WHERE code = ?1",
                [code.as_str()],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// The day `code` had before the booking system rescheduled it, if it did.
    pub fn rescheduled_from(&self, code: &str) -> Result<Option<NaiveDate>> {
        Ok(self
            .conn
            .query_row(
                "SELECT rescheduled_from FROM bookings WHERE code = ?1",
                [code],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    pub fn booking_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// The office's queue for a day, by slot.
    pub fn queue(&self, day: NaiveDate) -> Result<Vec<QueueRow>> {
        let sql = format!(
            "{QUEUE_SELECT} WHERE b.office = ?1 AND b.day = ?2 AND b.cancelled = 0 ORDER BY b.slot, b.code"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![self.office, day], queue_row)?;
        Ok(rows
            .map(|r| r.map(|(row, _)| row))
            .collect::<Result<_, _>>()?)
    }

    /// Bookings whose code, applicant name or NIK contains `query`: `today`'s first, then
    /// the coming days, then past ones; at most `limit`. `%` and `_` are searched for as
    /// themselves, never as wildcards.
    pub fn search(&self, query: &str, today: NaiveDate, limit: usize) -> Result<Vec<QueueRow>> {
        let escape = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let pattern = format!("%{}%", escape(query.trim()));
        let code = format!(
            "%{}%",
            escape(&query.trim().replace(['-', ' '], "").to_uppercase())
        );
        let sql = format!(
            "{QUEUE_SELECT} WHERE b.code LIKE ?2 ESCAPE '\\'
                OR b.code IN (SELECT booking FROM applicants
                              WHERE name LIKE ?1 ESCAPE '\\' OR nik LIKE ?1 ESCAPE '\\')
             ORDER BY CASE WHEN b.day = ?4 THEN 0 WHEN b.day > ?4 THEN 1 ELSE 2 END,
                      CASE WHEN b.day > ?4 THEN b.day END,
                      b.day DESC, b.slot
             LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![pattern, code, limit as i64, today], queue_row)?;
        Ok(rows
            .map(|r| r.map(|(row, _)| row))
            .collect::<Result<_, _>>()?)
    }

    /// Every booking of a day at any office this counter holds (the `bookings list` command).
    pub fn bookings_on(&self, day: NaiveDate) -> Result<Vec<(QueueRow, Booking)>> {
        let sql = format!("{QUEUE_SELECT} WHERE b.day = ?1 ORDER BY b.office, b.slot, b.code");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![day], queue_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

pub(super) fn put_booking_tx(tx: &rusqlite::Transaction<'_>, b: &Booking) -> Result<()> {
    tx.execute(
        "INSERT INTO bookings (code, office, day, slot, walk_in, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (code) DO UPDATE SET office = excluded.office, day = excluded.day,
             slot = excluded.slot, walk_in = excluded.walk_in, body = excluded.body",
        params![
            b.code.as_str(),
            b.office,
            b.date,
            b.slot,
            b.walk_in.is_some(),
            serde_json::to_string(b)?
        ],
    )?;
    tx.execute(
        "DELETE FROM applicants WHERE booking = ?1",
        [b.code.as_str()],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO applicants (booking, idx, name, nik) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, a) in b.applicants.iter().enumerate() {
        stmt.execute(params![b.code.as_str(), i as i64, a.name, a.nik])?;
    }
    Ok(())
}

impl Store {
    /// Registers a walk-in: the booking, its outbox event and audit row in one transaction.
    pub fn register_walk_in(&mut self, actor: &super::Actor, booking: &Booking) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        put_booking_tx(&tx, booking)?;
        let payload = serde_json::to_value(booking)?;
        super::append_event(&tx, &self.office, actor, "booking.walk_in", None, &payload)?;
        super::append_audit(
            &tx,
            actor,
            "booking.walk_in",
            Some(booking.code.as_str()),
            None,
            "",
        )?;
        tx.commit()?;
        Ok(())
    }
}
