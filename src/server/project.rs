//! Projections: the server's cases are folds of their events with the same domain code the
//! counter runs (`Case::open` / `Case::apply`), so a case on the server equals a replay of
//! its events. The first check-in of an applicant to reach the server wins; a later one from
//! another counter is kept, with `lost_to` naming the winner.
//!
//! A batch costs a fixed number of queries whatever its size: every case it touches is
//! loaded (and locked) at once, every claim looked up at once, every case saved at once.

use uuid::Uuid;

use super::auth::Device;
use super::trust;
use super::{Result, repo};
use crate::domain::{Action, Case};
use crate::protocol::{CaseSummary, Change, ClaimWinner, WireEvent};

/// Applies `events` (already stored) and returns the feed changes they make. An event that
/// breaks a rule of [`super::trust`] is recorded as refused and changes nothing.
pub async fn apply(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    events: &[WireEvent],
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut refused: Vec<(&WireEvent, String)> = Vec::new();
    let mut actions: Vec<(&WireEvent, Uuid, Action)> = Vec::new();
    let mut tickets: Vec<&WireEvent> = Vec::new();
    let mut answers: Vec<&WireEvent> = Vec::new();
    let mut pins: Vec<&WireEvent> = Vec::new();
    // Who acted, first: an event whose officer's presence is not proven changes nothing.
    let guard = trust::Guard::load(tx, device, events).await?;
    for event in events {
        if !super::border::known_kind(&event.kind) {
            refused.push((event, "an event of a kind pusat does not know".into()));
            continue;
        }
        if let Some(why) = guard.unproven(event) {
            refused.push((event, why));
            continue;
        }
        if event.kind == "booking.walk_in" {
            // Read as an imported booking is, plus the walk-in's own rules.
            let booking = match trust::read_walk_in(tx, device, &event.payload).await? {
                Ok(b) => b,
                Err(why) => {
                    refused.push((event, why));
                    continue;
                }
            };
            for (_, office_changes) in
                super::bookings::write(tx, &[(booking, false)], "walk_in").await?
            {
                changes.extend(office_changes);
            }
            continue;
        }
        if event.kind.starts_with("ticket.") {
            tickets.push(event);
            continue;
        }
        if event.kind == "approval.answer" {
            answers.push(event);
            continue;
        }
        if event.kind == "officer.pin_failed" {
            pins.push(event);
            continue;
        }
        if !event.kind.starts_with("case.") {
            continue;
        }
        let Some(id) = event.case_id else {
            refused.push((event, "a case event without a case id".into()));
            continue;
        };
        match serde_json::from_value::<Action>(event.payload.clone()) {
            Ok(action) if action.kind() != event.kind => refused.push((
                event,
                format!("a {} event carries a {} act", event.kind, action.kind()),
            )),
            Ok(action) => actions.push((event, id, action)),
            Err(e) => refused.push((event, format!("payload not understood: {e}"))),
        }
    }
    let queue = super::tickets::apply(tx, device, &guard, &tickets).await?;
    changes.extend(queue.changes);
    refused.extend(queue.refused);
    let approvals = super::approvals::apply(tx, device, &guard, &answers).await?;
    changes.extend(approvals.changes);
    refused.extend(approvals.refused);
    let wrong_pins = super::pins::apply(tx, device, &guard, &pins).await?;
    changes.extend(wrong_pins.changes);
    refused.extend(wrong_pins.refused);
    let mut ids: Vec<Uuid> = actions.iter().map(|(_, id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    let mut cases = repo::cases::lock_many(tx, &ids).await?;
    let held: Vec<&Case> = cases.values().map(|p| &p.case).collect();
    let guard = guard.with_bookings(tx, &actions, &held).await?;
    let claims: Vec<(String, i32)> = actions
        .iter()
        .filter(|(_, id, a)| matches!(a, Action::CheckIn { .. }) && !cases.contains_key(id))
        .filter_map(|(_, _, a)| match a {
            Action::CheckIn {
                booking, applicant, ..
            } => Some((booking.as_str().to_owned(), *applicant as i32)),
            _ => None,
        })
        .collect();
    let mut serving = repo::cases::winners(tx, &claims).await?;
    let mut order: Vec<Uuid> = Vec::new();
    for (event, id, action) in &actions {
        if let Some(why) = guard.refuse(event, *id, action) {
            refused.push((event, why));
            continue;
        }
        // What a board answer to the case's waiting request makes of it: the one act the
        // answer may carry out.
        let expected = event.answers.and_then(|request| {
            let p = cases.get(id)?;
            let ask = p.case.awaiting.as_ref().filter(|a| a.id == request)?;
            let answer = guard.answer(request)?;
            Some(if answer.granted {
                ask.granted(&p.case, &answer.supervisor, answer.at)
            } else {
                Action::ApprovalReturned {
                    request,
                    supervisor: answer.supervisor.clone(),
                    note: answer.note.clone(),
                }
            })
        });
        if let Some(why) = guard.approval(event, *id, action, expected.as_ref()) {
            refused.push((event, why));
            continue;
        }
        if let Some(request) = event.answers {
            repo::approvals::used(tx, request, event.id).await?;
        }
        // One photo is one applicant's: a picture another case holds (here, or
        // earlier in this push) is refused.
        if let Action::RecordPhoto { sha256, .. } = action {
            let here = cases.iter().find_map(|(other, q)| {
                (other != id
                    && matches!(&q.case.photo,
                        crate::domain::case::PhotoState::Taken { sha256: s, .. } if s == sha256))
                .then_some(*other)
            });
            let other = match here {
                Some(other) => Some(other),
                None => repo::cases::with_photo(tx, sha256, *id).await?,
            };
            if let Some(other) = other {
                refused.push((
                    event,
                    format!("this photo is recorded already, on case {other}"),
                ));
                continue;
            }
        }
        if let Some(p) = cases.get_mut(id) {
            // A case is changed only by the device that holds it, in its own office, or by
            // a later enrollment of the same counter (a kiosk enrolled again resumes its
            // cases; device ids are UUIDv7, so a later enrollment has a greater id).
            let same_counter = p.office == device.office && p.counter == device.counter;
            if !(p.device == device.id || same_counter && p.device < device.id) {
                refused.push((event, format!("case {id} is held by another device")));
                continue;
            }
            if let Some(why) = guard.fee(event, &p.case, action) {
                refused.push((event, why));
                continue;
            }
            // A receipt pays once in an office, whatever case shows it.
            if let Action::RecordPayment { payment } = action
                && crate::domain::case::is_ntpn(&payment.ntpn)
                && (1..=crate::domain::case::MAX_PAYMENT).contains(&payment.amount)
                && let Some(other) =
                    repo::payments::record(tx, &device.office, *id, event.id, payment).await?
            {
                let whose = if other == *id {
                    "this case"
                } else {
                    "another case"
                };
                refused.push((
                    event,
                    format!("NTPN {} is recorded already, on {whose}", payment.ntpn),
                ));
                continue;
            }
            if let Err(e) = p.case.apply(action) {
                // Stored all the same: refusing would stop this counter's sync for good.
                p.problem = Some(format!("seq {}: {e}", event.seq));
            }
        } else {
            match Case::open(action) {
                Ok(case) => {
                    let key = (case.booking.as_str().to_owned(), case.applicant as i32);
                    let lost_to = serving.get(&key).cloned();
                    if lost_to.is_none() {
                        // A later check-in of the same applicant in this batch loses to it.
                        let me = ClaimWinner {
                            case_id: Some(case.id),
                            counter: device.counter as u32,
                        };
                        serving.insert(key, me);
                    }
                    let p = repo::cases::Projected {
                        case,
                        lost_to,
                        problem: None,
                        device: device.id,
                        office: device.office.clone(),
                        counter: device.counter,
                    };
                    cases.insert(*id, p);
                }
                Err(e) => {
                    refused.push((event, format!("case {id} is unknown to pusat: {e}")));
                    continue;
                }
            }
        }
        if !order.contains(id) {
            order.push(*id);
        }
    }
    trust::record(tx, device, &refused).await?;
    let touched: Vec<&repo::cases::Projected> =
        order.iter().filter_map(|id| cases.get(id)).collect();
    repo::cases::save(tx, &device.office, &touched).await?;
    changes.extend(touched.iter().map(|p| {
        Change::Case(CaseSummary {
            case_id: p.case.id,
            booking: p.case.booking.as_str().to_owned(),
            applicant: p.case.applicant,
            device: p.device,
            counter: p.counter as u32,
            status: p.case.status.label().to_owned(),
            // The losing counter learns which counter won, not the winner's case.
            lost_to: p.lost_to.as_ref().map(|w| ClaimWinner {
                case_id: None,
                counter: w.counter,
            }),
            awaiting: p.case.awaiting.clone(),
        })
    }));
    Ok(changes)
}
