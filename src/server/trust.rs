//! What a counter may write, checked against pusat's own records before an event is
//! projected (OWASP ASVS V4: deny by default; MOSIP's registration processor re-checks
//! centre, machine, operator and supervisor of every packet).
//!
//! A counter writes only its own office's walk-ins (new codes in the walk-in range) and only
//! the cases it holds; a check-in names a booking of its office; the officer of every case
//! event is active on its office's roster; a supervisor named for an override or a
//! rejection is an active supervisor of that office and not the officer who asked. An event
//! that breaks a rule is kept (the device's sequence stays gapless) but not applied: it is
//! recorded in `refused_events`, counted in the metrics and listed by `pusat problems`.
//!
//! Who acted is proven, not named (see [`crate::proof`]): every event carries its officer's
//! proof, made from the PIN they signed in with, and checked here with the key pusat keeps.
//! A supervisor's approval is proven for the one act it approves: by their proof made at the
//! counter from the PIN typed there, or by their answer on the board to the request the act
//! carries out, used once.

use std::collections::HashMap;

use uuid::Uuid;

use super::auth::Device;
use super::{Result, repo};
use crate::domain::case::Case;
use crate::domain::case::Decision;
use crate::domain::fees::{FeeQuery, FeeSchedule};
use crate::domain::format::shown;
use crate::domain::{Action, Booking};
use crate::proof::ProofKey;
use crate::protocol::{ApprovalAnswer, WireEvent};

/// pusat's records that the events of one push are checked against.
pub struct Guard {
    office: String,
    /// Active officers of the device's office, with their role.
    roster: HashMap<String, String>,
    /// Bookings the batch's check-ins and cases name, as pusat holds them.
    bookings: HashMap<String, Held>,
    /// The proof keys of the office's officers who have one.
    keys: HashMap<String, ProofKey>,
    /// The key each had before their last new PIN, and when it changed.
    previous: HashMap<String, (ProofKey, chrono::DateTime<chrono::Utc>)>,
    /// The board's answers to the requests the batch's events carry out, by request, with
    /// the event that carried each out, once one did.
    answers: HashMap<Uuid, (ApprovalAnswer, Option<Uuid>)>,
}

/// A booking as pusat holds it.
pub struct Held {
    office: String,
    booking: Booking,
    cancelled: bool,
}

/// The published fee schedule, read once.
static FEES: std::sync::LazyLock<std::result::Result<FeeSchedule, String>> =
    std::sync::LazyLock::new(|| FeeSchedule::published().map_err(|e| e.to_string()));

/// The supervisors an action names as approving it.
fn approvers(action: &Action) -> Vec<&str> {
    let mut names: Vec<&str> = match action {
        Action::CompleteDocuments {
            override_by: Some(supervisor),
        } => vec![supervisor],
        Action::Decide {
            decision: Decision::Reject { supervisor, .. },
            ..
        } => vec![supervisor],
        Action::Decide {
            decision:
                Decision::Continue {
                    underpaid,
                    flagged,
                    waived,
                    ..
                },
            ..
        } => [underpaid, flagged, waived]
            .into_iter()
            .flatten()
            .map(|a| a.supervisor.as_str())
            .collect(),
        _ => Vec::new(),
    };
    names.dedup();
    names
}

impl Guard {
    /// Loads the roster of `device`'s office, with its officers' proof keys, and the board
    /// answers the batch's `events` carry out.
    pub async fn load(
        tx: &tokio_postgres::Transaction<'_>,
        device: &Device,
        events: &[WireEvent],
    ) -> Result<Guard> {
        let rows = repo::officers::roster(tx, &device.office).await?;
        let keys = rows
            .iter()
            .filter_map(|o| {
                let key = ProofKey::from_base64(o.approval_key.as_deref()?)?;
                Some((o.username.clone(), key))
            })
            .collect();
        let previous = rows
            .iter()
            .filter_map(|o| {
                let (key, changed) = o.previous_key.as_ref()?;
                Some((o.username.clone(), (ProofKey::from_base64(key)?, *changed)))
            })
            .collect();
        let roster = rows.into_iter().map(|o| (o.username, o.role)).collect();
        let requests: Vec<Uuid> = events.iter().filter_map(|e| e.answers).collect();
        let answers = if requests.is_empty() {
            HashMap::new()
        } else {
            repo::approvals::answered(tx, &requests)
                .await?
                .into_iter()
                .map(|(a, used)| (a.request, (a, used)))
                .collect()
        };
        Ok(Guard {
            office: device.office.clone(),
            roster,
            bookings: HashMap::new(),
            keys,
            previous,
            answers,
        })
    }

    /// And the bookings the check-ins in `actions` name, and those of `cases`.
    pub async fn with_bookings(
        mut self,
        tx: &tokio_postgres::Transaction<'_>,
        actions: &[(&WireEvent, Uuid, Action)],
        cases: &[&Case],
    ) -> Result<Guard> {
        let mut codes: Vec<&str> = actions
            .iter()
            .filter_map(|(_, _, a)| match a {
                Action::CheckIn { booking, .. } => Some(booking.as_str()),
                _ => None,
            })
            .chain(cases.iter().map(|c| c.booking.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        if !codes.is_empty() {
            self.bookings = repo::bookings::with_state(tx, &codes)
                .await?
                .into_iter()
                .map(|(code, office, booking, cancelled)| {
                    let held = Held {
                        office,
                        booking,
                        cancelled,
                    };
                    (code, held)
                })
                .collect();
        }
        Ok(self)
    }

    /// Why a decision to continue `case` states fees that are not what pusat computes, if
    /// it does: from the published schedule on the day of the decision (the counter's or
    /// pusat's), the booking as pusat holds it and the payments recorded on the case.
    pub fn fee(&self, event: &WireEvent, case: &Case, action: &Action) -> Option<String> {
        let Action::Decide {
            decision: Decision::Continue { fee, .. },
            ..
        } = action
        else {
            return None;
        };
        let schedule = match &*FEES {
            Ok(s) => s,
            Err(e) => return Some(format!("pusat cannot read its fee schedule: {e}")),
        };
        let Some(held) = self.bookings.get(case.booking.as_str()) else {
            return Some(format!(
                "booking {} is unknown to pusat: its fees cannot be checked",
                case.booking.as_str()
            ));
        };
        let counter_day = event.device_time.date_naive();
        let pusat_day = chrono::Utc::now()
            .with_timezone(event.device_time.offset())
            .date_naive();
        let mut wanted = None;
        for day in [counter_day, pusat_day] {
            match schedule.summary(&FeeQuery::for_case(&held.booking, case, day)) {
                Ok(s) if s == *fee => return None,
                Ok(s) => wanted = Some(s),
                Err(e) => return Some(format!("no fee on {day}: {e}")),
            }
        }
        let wanted = wanted?;
        Some(format!(
            "the fees stated (total {}, paid {}) are not pusat's (total {}, paid {}): recomputed from the schedule, the booking and the payments recorded",
            fee.total, fee.paid, wanted.total, wanted.paid
        ))
    }

    /// The board's answer to `request`, when the batch carries it out.
    pub fn answer(&self, request: Uuid) -> Option<&ApprovalAnswer> {
        self.answers.get(&request).map(|(a, _)| a)
    }

    /// Why `event` does not prove its officer was there, if it does not: it carries no
    /// proof made from their PIN, or one that does not match. A wrong PIN proves nothing
    /// and needs nothing (bounded in [`super::pins`]); the act a board answer grants is
    /// proven by that answer ([`Guard::approval`]).
    pub fn unproven(&self, event: &WireEvent) -> Option<String> {
        if event.kind == "officer.pin_failed" {
            return None;
        }
        if event.answers.is_some() {
            return (!event.kind.starts_with("case.")).then(|| {
                format!(
                    "{} names a board answer, which only a case's act carries out",
                    event.kind
                )
            });
        }
        if let Some(why) = self.officer(event) {
            return Some(why);
        }
        if !self.keys.contains_key(&event.officer) {
            return Some(format!(
                "officer {:?} has no proof key at pusat (set their PIN again: pusat officer add)",
                event.officer
            ));
        }
        match &event.signed {
            None => Some(format!(
                "no proof that {:?} was there: their PIN was not typed for this event",
                event.officer
            )),
            Some(proof) if !self.proves(&event.officer, event, proof) => Some(format!(
                "the proof of {:?}'s presence does not match their PIN",
                event.officer
            )),
            Some(_) => None,
        }
    }

    /// Whether `proof` is `officer`'s for `event`: by their key, or by the key of their PIN
    /// before the last new one for an event timed before that change (a counter that
    /// worked offline meanwhile loses nothing).
    fn proves(&self, officer: &str, event: &WireEvent, proof: &str) -> bool {
        let facts = event.facts();
        self.keys
            .get(officer)
            .is_some_and(|k| k.verify_event(&facts, proof))
            || self.previous.get(officer).is_some_and(|(k, changed)| {
                event.device_time.to_utc() <= *changed && k.verify_event(&facts, proof)
            })
    }

    /// Why the supervisors' approvals `action` names are not proven, if they are not. An
    /// approval is proven by the supervisor's proof of this one act, made at the counter
    /// from the PIN typed there; or, for the act a board answer grants (`answers`), by that
    /// answer: to this case's request, by this supervisor, exactly this act (`expected`,
    /// what the request becomes when granted or sent back), and not used before.
    pub fn approval(
        &self,
        event: &WireEvent,
        id: Uuid,
        action: &Action,
        expected: Option<&Action>,
    ) -> Option<String> {
        if let Some(request) = event.answers {
            let Some((answer, used_by)) = self.answers.get(&request) else {
                return Some(format!("request {request} has no answer at pusat"));
            };
            if answer.case_id != id {
                return Some(format!(
                    "the answer to request {request} is for another case"
                ));
            }
            if let Some(used) = used_by.filter(|u| *u != event.id) {
                return Some(format!(
                    "the answer to request {request} was carried out already (event {used})"
                ));
            }
            // A grant the counter could not carry out (the case moved on) goes back to the
            // officer: that grants nothing.
            let returned = matches!(action, Action::ApprovalReturned { request: r, supervisor: s, .. }
                if *r == request && *s == answer.supervisor);
            if expected != Some(action) && !returned {
                return Some(format!(
                    "the act does not match the answer to request {request}: an answer grants only what was asked"
                ));
            }
            if let Some(supervisor) = approvers(action)
                .into_iter()
                .find(|s| *s != answer.supervisor)
            {
                return Some(format!("{supervisor:?} did not answer request {request}"));
            }
            return None;
        }
        for supervisor in approvers(action) {
            let Some(proof) = &event.proof else {
                return Some(format!(
                    "no proof of {supervisor:?}'s approval: their PIN was not typed for this act"
                ));
            };
            let facts = event.facts();
            let current = self
                .keys
                .get(supervisor)
                .is_some_and(|k| k.verify_approval(&facts, supervisor, proof));
            let before_new_pin = self.previous.get(supervisor).is_some_and(|(k, changed)| {
                event.device_time.to_utc() <= *changed
                    && k.verify_approval(&facts, supervisor, proof)
            });
            if !current && !before_new_pin {
                return Some(format!(
                    "the proof of {supervisor:?}'s approval does not match their PIN and this act"
                ));
            }
        }
        None
    }

    /// Why `event` may not change anything, if it may not: the officer, and for a check-in
    /// the booking; for an override or rejection the supervisor.
    pub fn refuse(&self, event: &WireEvent, id: Uuid, action: &Action) -> Option<String> {
        if let Some(why) = self.officer(event) {
            return Some(why);
        }
        // An override, a rejection, or a continuation with fees owed, red flags or a waived
        // fine: approved by an active supervisor of the office, not the asking officer.
        if let Some(why) = approvers(action)
            .into_iter()
            .find_map(|supervisor| self.supervisor(event, supervisor))
        {
            return Some(why);
        }
        match action {
            Action::CheckIn {
                case_id,
                booking,
                applicant,
                ..
            } => {
                if *case_id != id {
                    return Some(format!(
                        "the event names case {id}, its check-in case {case_id}"
                    ));
                }
                match self.bookings.get(booking.as_str()) {
                    None => Some(format!("booking {} is unknown to pusat", booking.as_str())),
                    Some(held) if held.office != self.office => Some(format!(
                        "booking {} belongs to another office",
                        booking.as_str()
                    )),
                    Some(held) if held.cancelled => Some(format!(
                        "booking {} was cancelled by the booking system",
                        booking.as_str()
                    )),
                    Some(held) if *applicant >= held.booking.applicants.len() => Some(format!(
                        "booking {} has no applicant {applicant}",
                        booking.as_str()
                    )),
                    Some(_) => None,
                }
            }
            // What is wrong with an invalid document is written down: the applicant is
            // told, and a supervisor who overrides reads it. (Kept out of `Case::apply`
            // so that events stored before the rule still replay.)
            Action::SetDocument {
                kind,
                status: crate::domain::checklist::DocStatus::Invalid,
                note,
            } if note.trim().is_empty() => Some(format!(
                "document {kind:?} marked invalid without a note of what is wrong"
            )),
            // A deferral tells the applicant what to come back with: the documents
            // missing, or a note when none is.
            Action::Decide {
                decision: Decision::Defer { missing, note },
                ..
            } if missing.is_empty() && note.trim().is_empty() => {
                Some("deferred without naming what the applicant must bring".into())
            }
            // The photo step records the fingerprints with the photo (taken, or still to
            // be taken); events from before that rule carry none.
            Action::RecordPhoto {
                biometrics: None, ..
            }
            | Action::RecordPhotoPending { biometrics: None } => {
                Some("the photo step does not say whether the fingerprints were taken".into())
            }
            Action::RecordPayment { payment } if payment.by != event.officer => Some(format!(
                "payment recorded as by {:?} in an event of {:?}",
                payment.by, event.officer
            )),
            Action::RecordBiometrics {
                biometrics: crate::domain::case::Biometrics::Captured { by, .. },
            } if *by != event.officer => Some(format!(
                "fingerprints recorded as by {by:?} in an event of {:?}",
                event.officer
            )),
            _ => None,
        }
    }

    /// Why the officer of `event` may not act, if they may not: not active on the office's
    /// roster.
    pub fn officer(&self, event: &WireEvent) -> Option<String> {
        (!self.roster.contains_key(&event.officer)).then(|| {
            format!(
                "officer {:?} is not active on the roster of {}",
                event.officer, self.office
            )
        })
    }

    /// Whether `username` is an active supervisor of the office.
    pub fn is_supervisor(&self, username: &str) -> bool {
        self.roster.get(username).map(String::as_str) == Some("supervisor")
    }

    fn supervisor(&self, event: &WireEvent, supervisor: &str) -> Option<String> {
        if supervisor == event.officer {
            return Some(format!(
                "{supervisor:?} approved their own request (four eyes: another person approves)"
            ));
        }
        match self.roster.get(supervisor).map(String::as_str) {
            Some("supervisor") => None,
            _ => Some(format!(
                "{supervisor:?} is not an active supervisor of {}",
                self.office
            )),
        }
    }
}

/// A walk-in `device` registered, read by the same reader as an imported booking
/// ([`crate::domain::intake::read_walk_in`]): or why it may not be written, with every
/// field it breaks.
pub async fn read_walk_in(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    payload: &serde_json::Value,
) -> Result<std::result::Result<Booking, String>> {
    let rules = super::bookings::office_rules(tx).await?;
    let booking =
        match crate::domain::intake::read_walk_in(payload, |code| rules.get(code).copied()) {
            Ok(b) => b,
            Err(fields) => {
                let list: Vec<String> = fields
                    .iter()
                    .take(8)
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                // The code as sent, if it reads as one (a hostile one is not repeated).
                let code = payload
                    .get("code")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|c| crate::domain::BookingCode::parse(c).ok())
                    .map_or_else(|| "(no valid code)".to_owned(), |c| c.as_str().to_owned());
                return Ok(Err(format!("walk-in {code} refused: {}", list.join("; "))));
            }
        };
    if booking.office != device.office {
        return Ok(Err(format!(
            "walk-in for office {}, the device belongs to {}",
            booking.office, device.office
        )));
    }
    let taken = repo::bookings::office_of(tx, booking.code.as_str())
        .await?
        .is_some();
    Ok(if taken {
        Err(format!(
            "booking code {} is already taken",
            booking.code.as_str()
        ))
    } else {
        Ok(booking)
    })
}

/// Records refused events: kept, not applied, there for a person to look at.
pub async fn record(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    refused: &[(&WireEvent, String)],
) -> Result<()> {
    for (event, reason) in refused {
        // The kind and the reason may carry a counter's text: shown, never obeyed.
        tracing::warn!(
            device = %device.id, office = %device.office, seq = event.seq,
            kind = %shown(&event.kind), reason = %shown(reason), "event refused"
        );
        repo::events::refused(tx, device, event, reason).await?;
    }
    Ok(())
}
