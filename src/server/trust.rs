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

use std::collections::HashMap;

use uuid::Uuid;

use super::auth::Device;
use super::{Result, repo};
use crate::domain::case::Decision;
use crate::domain::{Action, Booking};
use crate::protocol::WireEvent;

/// pusat's records that the events of one push are checked against.
pub struct Guard {
    office: String,
    /// Active officers of the device's office, with their role.
    roster: HashMap<String, String>,
    /// Bookings the batch's check-ins name: (office, number of applicants).
    bookings: HashMap<String, (String, usize)>,
    /// The approval keys of the office's officers who have one (base64url).
    approval_keys: HashMap<String, String>,
    /// (case, supervisor) of the approvals granted on the board for the batch's cases.
    board_granted: std::collections::HashSet<(Uuid, String)>,
}

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
    /// Loads the roster of `device`'s office and the bookings the check-ins in `actions`
    /// name.
    pub async fn load(
        tx: &tokio_postgres::Transaction<'_>,
        device: &Device,
        actions: &[(&WireEvent, Uuid, Action)],
    ) -> Result<Guard> {
        let rows = repo::officers::roster(tx, &device.office).await?;
        let approval_keys = rows
            .iter()
            .filter_map(|o| Some((o.username.clone(), o.approval_key.clone()?)))
            .collect();
        let roster = rows.into_iter().map(|o| (o.username, o.role)).collect();
        let approved: Vec<Uuid> = actions
            .iter()
            .filter(|(_, _, a)| !approvers(a).is_empty())
            .map(|(_, id, _)| *id)
            .collect();
        let board_granted = if approved.is_empty() {
            std::collections::HashSet::new()
        } else {
            repo::approvals::granted(tx, &approved)
                .await?
                .into_iter()
                .collect()
        };
        let codes: Vec<&str> = actions
            .iter()
            .filter_map(|(_, _, a)| match a {
                Action::CheckIn { booking, .. } => Some(booking.as_str()),
                _ => None,
            })
            .collect();
        let bookings = if codes.is_empty() {
            HashMap::new()
        } else {
            repo::bookings::offices_and_sizes(tx, &codes)
                .await?
                .into_iter()
                .map(|(code, office, n)| (code, (office, n)))
                .collect()
        };
        Ok(Guard {
            office: device.office.clone(),
            roster,
            bookings,
            approval_keys,
            board_granted,
        })
    }

    /// Whether the supervisors' approvals `action` names are proven: by a grant on the
    /// board, or by the proof the event carries, made from the PIN typed at the counter.
    /// `Err` when a proof does not match (a forgery: refused); `Ok(Some(name))` when an
    /// approval carries nothing to check (applied, listed as unverified); else `Ok(None)`.
    pub fn approval(
        &self,
        event: &WireEvent,
        id: Uuid,
        action: &Action,
    ) -> std::result::Result<Option<String>, String> {
        let mut unverified = None;
        for supervisor in approvers(action) {
            if self.board_granted.contains(&(id, supervisor.to_owned())) {
                continue;
            }
            let key = self.approval_keys.get(supervisor).and_then(|k| {
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, k)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
            });
            match (&event.proof, key) {
                (Some(proof), Some(key)) => {
                    let expected = crate::store::approval_proof(&key, id, supervisor);
                    // Compared in constant time: a timing difference would tell a
                    // forger how much of a guess was right.
                    let same = proof.len() == expected.len()
                        && proof
                            .bytes()
                            .zip(expected.bytes())
                            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                            == 0;
                    if !same {
                        return Err(format!(
                            "the proof of {supervisor:?}'s approval does not match their PIN"
                        ));
                    }
                }
                _ => unverified = Some(supervisor.to_owned()),
            }
        }
        Ok(unverified)
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
                    Some((office, _)) if *office != self.office => Some(format!(
                        "booking {} belongs to another office",
                        booking.as_str()
                    )),
                    Some((_, n)) if applicant >= n => Some(format!(
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

/// Why a walk-in booking may not be written by `device`, if it may not.
pub async fn refuse_walk_in(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    booking: &Booking,
) -> Result<Option<String>> {
    if booking.office != device.office {
        return Ok(Some(format!(
            "walk-in for office {}, the device belongs to {}",
            booking.office, device.office
        )));
    }
    if booking.walk_in.is_none() || !booking.code.is_walk_in() {
        return Ok(Some(format!(
            "{} is not a walk-in: a counter registers only walk-ins, with W codes",
            booking.code.as_str()
        )));
    }
    let taken = repo::bookings::office_of(tx, booking.code.as_str())
        .await?
        .is_some();
    Ok(taken.then(|| format!("booking code {} is already taken", booking.code.as_str())))
}

/// Records approvals pusat could not verify: applied, and listed for a person.
pub async fn record_unverified(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    unverified: &[(&WireEvent, Uuid, String)],
) -> Result<()> {
    for (event, case, supervisor) in unverified {
        tracing::warn!(device = %device.id, office = %device.office, seq = event.seq, "approval without proof");
        repo::events::unverified_approval(tx, event.id, device, *case, supervisor).await?;
    }
    Ok(())
}

/// Records refused events: kept, not applied, there for a person to look at.
pub async fn record(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    refused: &[(&WireEvent, String)],
) -> Result<()> {
    for (event, reason) in refused {
        tracing::warn!(
            device = %device.id, office = %device.office, seq = event.seq, kind = %event.kind,
            %reason, "event refused"
        );
        repo::events::refused(tx, device, event, reason).await?;
    }
    Ok(())
}
