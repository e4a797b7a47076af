//! Cases: each officer action is one immediate transaction that folds the action into the
//! case, writes the case, appends the outbox event and the audit row.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use uuid::Uuid;

use super::{Actor, Approver, Proven, Result, Store, StoreError, append_audit, append_proven};
use crate::domain::{Action, Case};

/// What the audit trail says beyond the action's name: who approved what, and why.
pub(super) fn audit_detail(action: &Action) -> String {
    use crate::domain::case::Decision;
    match action {
        Action::CompleteDocuments {
            override_by: Some(sup),
        } => format!("override approved by {sup}"),
        Action::RecordPhoto {
            failed_checks,
            accepted_because: Some(reason),
            ..
        } => {
            format!(
                "photo accepted despite failed checks ({}): {reason}",
                failed_checks.join(", ")
            )
        }
        Action::Decide {
            decision: Decision::Reject { reason, supervisor },
            ..
        } => {
            format!("rejected, approved by {supervisor}: {reason}")
        }
        _ => String::new(),
    }
}

/// What a correction of the identity changed, old → new, for the audit trail (kept on the
/// kiosk with the case it belongs to; never logged).
fn identity_change(
    before: &crate::domain::case::Identity,
    after: &crate::domain::case::Identity,
) -> String {
    let mut changed = Vec::new();
    if before.name != after.name {
        changed.push(format!("name: {} → {}", before.name, after.name));
    }
    if before.nik != after.nik {
        changed.push(format!("nik: {} → {}", before.nik, after.nik));
    }
    if before.birth_date != after.birth_date {
        changed.push(format!(
            "birth_date: {} → {}",
            before.birth_date, after.birth_date
        ));
    }
    if before.sex != after.sex {
        changed.push(format!("sex: {:?} → {:?}", before.sex, after.sex));
    }
    changed.join("; ")
}

/// One event of a case's history, as the export shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub seq: i64,
    pub kind: String,
    pub officer: String,
    pub device_time: String,
}

/// A case with its history: what `loket cases export` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CaseExport {
    /// The day asked for: the case was booked for it or worked on it.
    pub day: NaiveDate,
    /// The day the booking was for.
    pub booked: NaiveDate,
    #[serde(flatten)]
    pub case: Case,
    pub history: Vec<EventRecord>,
}

impl Store {
    /// Applies one officer action: the check-in opens a case, every other action needs
    /// `case_id`. Returns the case as stored; on any error nothing is written.
    pub fn apply(&mut self, actor: &Actor, case_id: Option<Uuid>, action: &Action) -> Result<Case> {
        self.apply_with(actor, case_id, action, Proven::Officer, |_, _| Ok(()))
    }

    /// As [`Store::apply`], for an action a supervisor approved by PIN at this counter:
    /// the proof of `approver`'s approval of this one act travels to pusat with its event.
    pub fn apply_approved(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        action: &Action,
        approver: Option<&Approver>,
    ) -> Result<Case> {
        self.apply_with(
            actor,
            Some(case_id),
            action,
            Proven::Approved(approver),
            |_, _| Ok(()),
        )
    }

    /// As [`Store::apply`], with more writes of the caller's in the same transaction.
    pub(super) fn apply_with(
        &mut self,
        actor: &Actor,
        case_id: Option<Uuid>,
        action: &Action,
        proven: Proven<'_>,
        also: impl FnOnce(&rusqlite::Transaction<'_>, &Case) -> Result<()>,
    ) -> Result<Case> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut detail = audit_detail(action);
        let case = match (action, case_id) {
            (
                Action::CheckIn {
                    booking, applicant, ..
                },
                _,
            ) => {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM cases WHERE booking = ?1 AND applicant = ?2)",
                    params![booking.as_str(), *applicant as i64],
                    |r| r.get(0),
                )?;
                if exists {
                    return Err(StoreError::CaseExists);
                }
                Case::open(action)?
            }
            (_, Some(id)) => {
                let state: String = tx
                    .query_row(
                        "SELECT state FROM cases WHERE id = ?1",
                        [id.to_string()],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or(StoreError::NoSuchCase)?;
                let mut case: Case = serde_json::from_str(&state)?;
                if let Action::SetIdentity { identity } = action {
                    detail = identity_change(&case.identity, identity);
                }
                case.apply(action)?;
                case
            }
            (_, None) => return Err(StoreError::NoSuchCase),
        };
        tx.execute(
            "INSERT INTO cases (id, booking, applicant, status, state, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, state = excluded.state,
                 updated_at = excluded.updated_at",
            params![
                case.id.to_string(),
                case.booking.as_str(),
                case.applicant as i64,
                case.status.label(),
                serde_json::to_string(&case)?,
                actor.now.to_rfc3339()
            ],
        )?;
        let payload = serde_json::to_value(action)?;
        append_proven(
            &tx,
            &self.office,
            actor,
            action.kind(),
            Some(case.id),
            &payload,
            &proven,
        )?;
        append_audit(
            &tx,
            actor,
            action.kind(),
            Some(case.booking.as_str()),
            Some(case.id),
            &detail,
        )?;
        also(&tx, &case)?;
        tx.commit()?;
        Ok(case)
    }

    /// The cases opened on a booking, by applicant.
    pub fn cases_for_booking(&self, booking: &str) -> Result<Vec<Case>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state FROM cases WHERE booking = ?1 ORDER BY applicant")?;
        let rows = stmt.query_map([booking], |r| r.get::<_, String>(0))?;
        let mut cases = Vec::new();
        for state in rows {
            cases.push(serde_json::from_str(&state?)?);
        }
        Ok(cases)
    }

    /// A case's actions in the order they were made, read back from the outbox.
    pub fn case_actions(&self, case_id: Uuid) -> Result<Vec<Action>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT payload FROM outbox WHERE case_id = ?1 AND kind LIKE 'case.%' ORDER BY seq",
        )?;
        let rows = stmt.query_map([case_id.to_string()], |r| r.get::<_, String>(0))?;
        let mut actions = Vec::new();
        for payload in rows {
            actions.push(serde_json::from_str(&payload?)?);
        }
        Ok(actions)
    }

    /// Every case booked for `day` or worked on it (an event of the case on that day, by
    /// the counter's clock in the office's time), with its history: an applicant checked
    /// in a day before the booked one is in both days' reports.
    pub fn export_cases(&self, day: NaiveDate) -> Result<Vec<CaseExport>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.state, b.day FROM cases c JOIN bookings b ON b.code = c.booking
             WHERE b.day = ?1
                OR EXISTS (SELECT 1 FROM outbox o
                           WHERE o.case_id = c.id AND substr(o.device_time, 1, 10) = ?1)
             ORDER BY b.day, b.slot, c.booking, c.applicant",
        )?;
        let states: Vec<(String, NaiveDate)> = stmt
            .query_map([day], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut hist = self.conn.prepare(
            "SELECT seq, kind, officer, device_time FROM outbox WHERE case_id = ?1 ORDER BY seq",
        )?;
        let mut out = Vec::with_capacity(states.len());
        for (state, booked) in states {
            let case: Case = serde_json::from_str(&state)?;
            let history = hist
                .query_map([case.id.to_string()], |r| {
                    Ok(EventRecord {
                        seq: r.get(0)?,
                        kind: r.get(1)?,
                        officer: r.get(2)?,
                        device_time: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            out.push(CaseExport {
                day,
                booked,
                case,
                history,
            });
        }
        Ok(out)
    }
}
