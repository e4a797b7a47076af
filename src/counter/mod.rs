//! The counter's use cases: what an officer does, as functions that take values and return
//! `Result<_, CounterError>`. The screens turn keys into these calls; tests, benchmarks and
//! the command line call them directly. Below is the store (one transaction each) and the
//! domain (the office's rules); above, nothing here knows of keys, screens or words.
//!
//! Slow parts are split off where the terminal must not wait: a PIN check is
//! `approval_attempt` → `PinAttempt::matches` (anywhere) → `approval_outcome`; a photo is
//! `store::write_photo` (anywhere) → `record_photo`.

mod desk;
#[cfg(test)]
mod tests;

pub use desk::{Desk, DeskFacts};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use uuid::Uuid;

use crate::domain::booking::WalkInReason;
use crate::domain::case::{CheckInException, Identity};
use crate::domain::checklist::requirements;
use crate::domain::intake::Rule;
use crate::domain::nik::NikError;
use crate::domain::queue::{QueueRules, Ticket, TicketAction, pick_next};
use crate::domain::walkin::{self, WalkInRefusal};
use crate::domain::{
    Action, Applicant, ApplicationType, Booking, BookingCode, Case, Office, PassportType, Service,
    Sex, nik,
};
use crate::store::{
    Actor, AuthError, Durability, Officer, PinAttempt, Role, Store, StoreError, StoredPhoto,
};

#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The officer who asks for an approval cannot give it (four eyes).
    #[error("the approver must be another person than the officer")]
    SelfApproval,
    #[error("walk-in refused: {0:?}")]
    WalkIn(WalkInProblem),
    #[error("no applicant {0} on this booking")]
    NoApplicant(usize),
    /// A queue number is for today's booking only.
    #[error("the booking is for {0}, not today")]
    NotToday(NaiveDate),
}

/// Why a walk-in cannot be registered as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkInProblem {
    NoName,
    /// The name breaks the passport-name rule (the same as at pusat's border).
    Name(Rule),
    Nik(NikError),
    /// The office does not serve this person without a booking.
    Refused(WalkInRefusal),
}

/// How an applicant's case was opened.
#[derive(Debug)]
pub enum Opened {
    /// Checked in now.
    New(Case),
    /// Their case was already open at this counter (another session opened it meanwhile).
    Existing(Case),
}

impl Opened {
    pub fn case(&self) -> &Case {
        match self {
            Opened::New(c) | Opened::Existing(c) => c,
        }
    }
    pub fn into_case(self) -> Case {
        match self {
            Opened::New(c) | Opened::Existing(c) => c,
        }
    }
}

/// Why `booking` is not an ordinary one for today at `office`: each is an exception the
/// officer accepts explicitly, and the check-in records it.
pub fn exceptions(booking: &Booking, office: &str, today: NaiveDate) -> Vec<CheckInException> {
    let mut out = Vec::new();
    if booking.date != today {
        out.push(CheckInException::OtherDay {
            booked: booking.date,
        });
    }
    if booking.office != office {
        out.push(CheckInException::OtherOffice {
            booked: booking.office.clone(),
        });
    }
    out
}

/// Checks applicant `applicant` of `booking` in: their case opens with the documents their
/// application needs and the booking's exceptions (the officer has accepted them). An
/// applicant whose case is already open gets that case back.
pub fn check_in(
    store: &mut Store,
    actor: &Actor,
    booking: &Booking,
    applicant: usize,
    office: &str,
) -> Result<Opened, CounterError> {
    let person = booking
        .applicants
        .get(applicant)
        .ok_or(CounterError::NoApplicant(applicant))?;
    let today = actor.now.date_naive();
    let action = Action::CheckIn {
        case_id: Uuid::now_v7(),
        booking: booking.code.clone(),
        applicant,
        application: booking.application,
        at: actor.now,
        exceptions: exceptions(booking, office, today),
        checklist: requirements(person, booking.application, today),
        identity: Identity {
            name: person.name.clone(),
            nik: person.nik.clone(),
            birth_date: person.birth_date,
            sex: person.sex,
        },
    };
    match store.apply(actor, None, &action) {
        Ok(case) => Ok(Opened::New(case)),
        Err(StoreError::CaseExists) => store
            .cases_for_booking(booking.code.as_str())?
            .into_iter()
            .find(|c| c.applicant == applicant)
            .map(Opened::Existing)
            .ok_or(CounterError::Store(StoreError::CaseExists)),
        Err(e) => Err(e.into()),
    }
}

/// What the officer enters for a walk-in.
#[derive(Debug, Clone)]
pub struct WalkIn {
    pub reason: WalkInReason,
    pub application: ApplicationType,
    pub service: Service,
    pub passport: PassportType,
    pub name: String,
    pub nik: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

/// Checks a walk-in against the office's rules and makes its booking: a fresh code from
/// the walk-in range (never one the booking system issues), today, at this minute.
pub fn walk_in_booking(
    form: &WalkIn,
    office: &Office,
    now: DateTime<Utc>,
) -> Result<Booking, WalkInProblem> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(WalkInProblem::NoName);
    }
    if let Some(rule) = crate::domain::intake::name_problem(name) {
        return Err(WalkInProblem::Name(rule));
    }
    let nik_text: String = form.nik.chars().filter(|c| !c.is_whitespace()).collect();
    nik::parse(&nik_text).map_err(WalkInProblem::Nik)?;
    let local = office.zone.local(now);
    let today = local.date_naive();
    walkin::check(form.reason, form.birth_date, form.application, today)
        .map_err(WalkInProblem::Refused)?;
    Ok(Booking {
        code: BookingCode::walk_in(rand::random()),
        office: office.code.clone(),
        date: today,
        slot: local.time().with_nanosecond(0).unwrap_or(local.time()),
        service: form.service,
        passport: form.passport,
        application: form.application,
        billing_code: String::new(),
        applicants: vec![Applicant {
            name: name.to_owned(),
            nik: nik_text,
            birth_date: form.birth_date,
            sex: form.sex,
            migrant_worker: false,
            name_changed: false,
            paid: None,
        }],
        walk_in: Some(form.reason),
    })
}

/// Registers a walk-in: its booking, its outbox event and audit row, in one transaction.
pub fn register_walk_in(
    store: &mut Store,
    actor: &Actor,
    form: &WalkIn,
    office: &Office,
    now: DateTime<Utc>,
) -> Result<Booking, CounterError> {
    let booking = walk_in_booking(form, office, now).map_err(CounterError::WalkIn)?;
    store.register_walk_in(actor, &booking)?;
    Ok(booking)
}

/// First half of a supervisor's approval: four eyes (the approver is not `officer`), then
/// who `login` names and whether they may try now. Check the PIN with
/// `PinAttempt::matches` (slow; off the screen's thread), then call `approval_outcome`.
pub fn approval_attempt(
    store: &Store,
    officer: &Officer,
    login: &str,
    pin: &str,
    now: DateTime<chrono::FixedOffset>,
) -> Result<PinAttempt, CounterError> {
    let login = login.trim();
    if login == officer.username || login == officer.nip {
        return Err(CounterError::SelfApproval);
    }
    Ok(store.pin_attempt(login, pin, now)?)
}

/// Second half: records the PIN check and answers the approving supervisor's username, or
/// why the approval does not stand (a wrong PIN counts towards the lockout).
pub fn approval_outcome(
    store: &Store,
    attempt: PinAttempt,
    matched: bool,
    now: DateTime<chrono::FixedOffset>,
) -> Result<String, CounterError> {
    let approver = store.pin_outcome(attempt, matched, now)?;
    if approver.role != Role::Supervisor {
        return Err(AuthError::NotSupervisor.into());
    }
    Ok(approver.username)
}

/// Records a photo written by `store::write_photo` on its case, with the checks it failed
/// and the officer's reason for keeping it anyway.
pub fn record_photo(
    store: &mut Store,
    actor: &Actor,
    case: Uuid,
    stored: &StoredPhoto,
    failed_checks: Vec<String>,
    reason: Option<String>,
) -> Result<Case, CounterError> {
    let action = Action::RecordPhoto {
        sha256: stored.sha256.clone(),
        failed_checks,
        accepted_because: reason,
    };
    Ok(store.record_written_photo(actor, case, stored, &action)?)
}

/// When a draft is written durably. Every change is written at once but without waiting
/// for the disk (it survives the program being killed); on leaving a field and at least
/// every `DraftPolicy::SYNC`, durably, so a power cut loses at most the last second.
#[derive(Debug, Clone, Default)]
pub struct DraftPolicy {
    synced: Option<DateTime<Utc>>,
}

impl DraftPolicy {
    pub const SYNC: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

    /// How the draft changed at `now` is to be written; `field_done` when the officer left
    /// the field.
    pub fn durability(&mut self, now: DateTime<Utc>, field_done: bool) -> Durability {
        let due = self.synced.is_none_or(|t| now - t >= Self::SYNC);
        if field_done || due {
            self.synced = Some(now);
            Durability::Synced
        } else {
            Durability::Cached
        }
    }
}

/// The office's lines and calling rule, as pusat last sent them (the defaults before, or
/// when the office's settings cannot be used).
pub fn queue_rules(store: &Store) -> QueueRules {
    store
        .office_info(store.office())
        .ok()
        .flatten()
        .and_then(|(_, config)| QueueRules::from_office_config(&config).ok())
        .unwrap_or_default()
}

/// Gives a booking its queue number on the line its service goes to, from `counter`'s
/// block; a booking with an open ticket today keeps it. `true` when the ticket is new.
pub fn issue_ticket(
    store: &mut Store,
    actor: &Actor,
    counter: u32,
    booking: &Booking,
) -> Result<(Ticket, bool), CounterError> {
    let day = actor.now.date_naive();
    if booking.date != day {
        return Err(CounterError::NotToday(booking.date));
    }
    if let Some(t) = store.ticket_for_booking(day, booking.code.as_str())? {
        return Ok((t, false));
    }
    let rules = queue_rules(store);
    let line = rules.line_for(booking);
    let t = store.issue_ticket(actor, counter, line, day, Some(booking.code.as_str()))?;
    Ok((t, true))
}

/// Calls the next ticket by the office's rule from what this counter knows: `None` when
/// nobody waits. pusat decides when two counters call the same ticket (see
/// `server::tickets`); the loser learns it at its next pull.
pub fn call_next(
    store: &mut Store,
    actor: &Actor,
    counter: u32,
) -> Result<Option<Ticket>, CounterError> {
    let rules = queue_rules(store);
    let tickets = store.tickets(actor.now.date_naive())?;
    let Some(next) = pick_next(&tickets, &rules, actor.now, counter) else {
        return Ok(None);
    };
    let id = next.id;
    Ok(Some(store.ticket_act(
        actor,
        counter,
        id,
        TicketAction::Call,
    )?))
}
