//! Requests for a supervisor's approval sent to the board, and the answers. The board's
//! list is this counter's own cases that wait and the other counters' (as pulled); an
//! answer is an `approval.answer` event; an answer to one of this counter's cases (pulled,
//! or given on this very terminal) waits in `approval_answers` until the counter layer
//! turns it into the case's action, once.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use chrono::{DateTime, FixedOffset};

use super::{Actor, Result, Store, StoreError, append_audit, append_event};
use crate::domain::case::ApprovalAsk;
use crate::domain::{Action, Case};
use crate::protocol::ApprovalAnswer;

/// A request that waits on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    pub case_id: Uuid,
    pub booking: String,
    pub applicant: usize,
    /// The counter that asks; `None`: this one.
    pub counter: Option<u32>,
    pub ask: ApprovalAsk,
    /// The applicant's name, when this counter has the booking.
    pub name: Option<String>,
}

fn bad(_what: &str) -> StoreError {
    StoreError::Corrupt
}

impl Store {
    /// Every request waiting for a supervisor that this counter knows, oldest first.
    pub fn awaiting_approvals(&self) -> Result<Vec<Awaiting>> {
        let mut out = Vec::new();
        let mut own = self.conn.prepare_cached(
            "SELECT id, booking, applicant, json_extract(state, '$.awaiting') FROM cases
             WHERE json_extract(state, '$.awaiting') IS NOT NULL",
        )?;
        let mut remote = self.conn.prepare_cached(
            "SELECT id, booking, applicant, awaiting, counter FROM remote_cases
             WHERE awaiting IS NOT NULL AND lost = 0",
        )?;
        let rows = own
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    None,
                ))
            })?
            .chain(remote.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    Some(r.get::<_, u32>(4)?),
                ))
            })?);
        for row in rows {
            let (id, booking, applicant, ask, counter) = row?;
            let applicant = applicant.max(0) as usize;
            let booking: String = booking;
            let name = crate::domain::BookingCode::parse(&booking)
                .ok()
                .and_then(|code| self.booking(&code).ok().flatten())
                .and_then(|b| b.applicants.get(applicant).map(|a| a.name.clone()));
            out.push(Awaiting {
                case_id: Uuid::parse_str(&id).map_err(|_| bad("case id"))?,
                booking,
                applicant,
                counter,
                ask: serde_json::from_str(&ask)?,
                name,
            });
        }
        out.sort_by_key(|a| a.ask.at);
        Ok(out)
    }

    /// Records a supervisor's answer: an `approval.answer` event and an audit row; the
    /// request leaves the board's list at once. An answer to this counter's own case also
    /// waits to be applied here.
    pub fn answer_approval(&mut self, actor: &Actor, answer: &ApprovalAnswer) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let payload = serde_json::to_value(answer)?;
        append_event(
            &tx,
            &self.office,
            actor,
            "approval.answer",
            Some(answer.case_id),
            &payload,
        )?;
        let detail = if answer.granted {
            "disetujui".to_owned()
        } else {
            "dikembalikan".to_owned()
        };
        append_audit(
            &tx,
            actor,
            "approval.answer",
            None,
            Some(answer.case_id),
            &detail,
        )?;
        tx.execute(
            "UPDATE remote_cases SET awaiting = NULL WHERE id = ?1",
            [answer.case_id.to_string()],
        )?;
        keep_answer(&tx, answer)?;
        tx.commit()?;
        Ok(())
    }

    /// Answers to this counter's requests not yet applied, oldest first.
    pub fn answers_to_apply(&self) -> Result<Vec<ApprovalAnswer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM approval_answers WHERE applied_at IS NULL ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// An answer no longer wanted (its case went on otherwise): never applied.
    pub fn answer_applied(&self, request: Uuid, now: DateTime<FixedOffset>) -> Result<()> {
        self.conn.execute(
            "UPDATE approval_answers SET applied_at = ?2 WHERE request = ?1",
            params![request.to_string(), now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Applies the action an answer to `request` makes, and marks the answer applied, in
    /// one transaction (a crash between the two can neither lose nor repeat it).
    pub fn apply_answer(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        action: &Action,
        request: Uuid,
    ) -> Result<Case> {
        let at = actor.now.to_rfc3339();
        let proven = super::Proven::Answer(request);
        self.apply_with(actor, Some(case_id), action, proven, |tx, _| {
            tx.execute(
                "UPDATE approval_answers SET applied_at = ?2 WHERE request = ?1",
                params![request.to_string(), at],
            )?;
            Ok(())
        })
    }

    /// One of this counter's cases.
    pub fn case_by_id(&self, case_id: Uuid) -> Result<Option<Case>> {
        let state: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM cases WHERE id = ?1",
                [case_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state.map(|s| serde_json::from_str(&s)).transpose()?)
    }
}

/// Keeps `answer` for applying when its case is one of this counter's.
pub(super) fn keep_answer(tx: &rusqlite::Transaction<'_>, answer: &ApprovalAnswer) -> Result<()> {
    tx.execute(
        "INSERT INTO approval_answers (request, case_id, body)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM cases WHERE id = ?2)
         ON CONFLICT (request) DO NOTHING",
        params![
            answer.request.to_string(),
            answer.case_id.to_string(),
            serde_json::to_string(answer)?
        ],
    )?;
    Ok(())
}
