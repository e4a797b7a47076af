//! A supervisor's answers from the board to the requests for approval counters send there
//! (`approval.answer` events). pusat checks each against its own records before it goes on
//! to the counter that holds the case: the case is of the answering device's office and
//! waits for exactly this request; the officer answering is an active supervisor of that
//! office and not the officer who asked (four eyes), proven present by the answer event's
//! proof (checked before this, see [`super::trust::Guard::unproven`]), which covers the
//! request, the case, what was asked and the answer; the answer comes from another device
//! than the one holding the case; the request was not answered before.
//! An answer that breaks a rule is refused (kept, not applied, listed for a person).

use super::auth::Device;
use super::tickets::Outcome;
use super::trust::Guard;
use super::{Result, repo};
use crate::protocol::{ApprovalAnswer, Change, WireEvent};

/// Checks and stores the answers of one push; what became of them.
pub async fn apply<'a>(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    guard: &Guard,
    events: &[&'a WireEvent],
) -> Result<Outcome<'a>> {
    let mut out = Outcome::default();
    for &event in events {
        match answer(tx, device, guard, event).await? {
            Ok(answer) => out.changes.push(Change::Approval(answer)),
            Err(why) => out.refused.push((event, why)),
        }
    }
    Ok(out)
}

/// The answer `event` carries, stored; or why it is refused.
async fn answer(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    guard: &Guard,
    event: &WireEvent,
) -> Result<std::result::Result<ApprovalAnswer, String>> {
    let answer: ApprovalAnswer = match serde_json::from_value(event.payload.clone()) {
        Ok(a) => a,
        Err(e) => return Ok(Err(format!("answer not understood: {e}"))),
    };
    if event.case_id != Some(answer.case_id) {
        return Ok(Err(format!(
            "the event names case {:?}, its answer case {}",
            event.case_id, answer.case_id
        )));
    }
    if answer.supervisor != event.officer {
        return Ok(Err(format!(
            "the answer names {:?}, the event's officer is {:?}",
            answer.supervisor, event.officer
        )));
    }
    if !guard.is_supervisor(&event.officer) {
        return Ok(Err(format!(
            "{:?} is not an active supervisor of {}",
            event.officer, device.office
        )));
    }
    if !answer.granted && answer.note.trim().is_empty() {
        return Ok(Err("a request sent back says why".into()));
    }
    let Some((office, case, holder)) = repo::cases::lock(tx, answer.case_id).await? else {
        return Ok(Err(format!("case {} is unknown to pusat", answer.case_id)));
    };
    if office != device.office {
        return Ok(Err(format!(
            "case {} belongs to another office",
            answer.case_id
        )));
    }
    let Some(ask) = case.awaiting.filter(|a| a.id == answer.request) else {
        return Ok(Err(format!(
            "case {} waits for no request {}",
            answer.case_id, answer.request
        )));
    };
    if answer.asked.as_ref() != Some(&ask.asked) {
        return Ok(Err(format!(
            "the answer to request {} does not name what was asked",
            answer.request
        )));
    }
    if holder == device.id {
        return Ok(Err(format!(
            "request {} answered from the counter that holds its case (a supervisor answers on the board)",
            answer.request
        )));
    }
    if ask.officer == event.officer {
        return Ok(Err(format!(
            "{:?} answered their own request (four eyes: another person approves)",
            event.officer
        )));
    }
    let stored = repo::approvals::answer(tx, &answer, device, event.id).await?;
    if !stored {
        return Ok(Err(format!(
            "request {} was answered already",
            answer.request
        )));
    }
    Ok(Ok(answer))
}
