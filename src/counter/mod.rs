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
use crate::domain::queue::{QueueRules, Ticket, TicketAction, TicketState, pick_next};
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
    /// A request answered on the terminal that holds its case: pusat refuses that (the
    /// supervisor answers at the counter with their PIN, or on another terminal's board).
    #[error("a request is answered on another terminal than the one holding its case")]
    AnswerHere,
    #[error("walk-in refused: {0:?}")]
    WalkIn(WalkInProblem),
    #[error("no applicant {0} on this booking")]
    NoApplicant(usize),
    /// The booking system cancelled the booking: its applicants book again.
    #[error("booking {0} was cancelled")]
    Cancelled(String),
    /// A queue number is for today's booking only.
    #[error("the booking is for {0}, not today")]
    NotToday(NaiveDate),
    /// Typed text that is not a queue number.
    #[error("{0:?} is not a queue number")]
    TicketNumber(String),
    /// No ticket has that number today.
    #[error("no ticket {0} today")]
    NoTicket(String),
    /// The office has no such line; `known` lists the ones it has.
    #[error("no line {line} (lines: {known})")]
    NoLine { line: String, known: String },
    /// The photo is recorded already, for an applicant of this booking.
    #[error("this photo is recorded already, for booking {0}")]
    PhotoReused(String),
    /// The office has no such counter; `known` lists the ones pusat enrolled.
    #[error("no counter {counter} (counters: {known})")]
    NoCounter { counter: u32, known: String },
    /// A request sent back from the board says why.
    #[error("a request sent back needs a note")]
    NoteNeeded,
    /// A photo file: no face to crop the passport photo around.
    #[error("no face to crop a passport photo around")]
    PhotoCannotCrop,
    /// A photo file that failed checks, imported without a reason (the check codes).
    #[error("the photo failed checks: {0:?}")]
    PhotoFailed(Vec<String>),
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
    // pusat refuses the check-in of a cancelled booking too; this says so at once.
    if store.booking_cancelled(&booking.code)? {
        return Err(CounterError::Cancelled(booking.code.as_str().to_owned()));
    }
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
    Ok(store.approval_pin_attempt(&officer.username, login, pin, now)?)
}

/// Second half: records the PIN check and answers the approving supervisor's username, or
/// why the approval does not stand (a wrong PIN counts towards locking `asker`'s approvals
/// by that supervisor, never the supervisor's own sign-in).
pub fn approval_outcome(
    store: &Store,
    asker: &Officer,
    attempt: PinAttempt,
    matched: bool,
    now: DateTime<chrono::FixedOffset>,
) -> Result<String, CounterError> {
    let approver = store.approval_pin_outcome(&asker.username, attempt, matched, now)?;
    if approver.role != Role::Supervisor {
        return Err(AuthError::NotSupervisor.into());
    }
    Ok(approver.username)
}

/// Records a photo written by `store::write_photo` on its case, with the checks it failed,
/// the officer's reason for keeping it anyway, and the fingerprints as recorded with it:
/// at the photo step, or later for a case waiting for its photo.
pub fn record_photo(
    store: &mut Store,
    actor: &Actor,
    case: Uuid,
    stored: &StoredPhoto,
    failed_checks: Vec<String>,
    reason: Option<String>,
    biometrics: Option<crate::domain::case::Biometrics>,
) -> Result<Case, CounterError> {
    // One photo is one applicant's: the same picture on a second case is refused.
    if let Some(booking) = store.case_with_photo(&stored.sha256, case)? {
        return Err(CounterError::PhotoReused(booking));
    }
    let action = Action::RecordPhoto {
        sha256: stored.sha256.clone(),
        failed_checks,
        accepted_because: reason,
        biometrics,
    };
    Ok(store.record_written_photo(actor, case, stored, &action)?)
}

/// A photo file for a case that waits for its photo (`loket photo import`): checked and
/// cropped by the same pipeline as the camera's capture, kept only when every check passes
/// or with the officer's reason, then recorded like a photo taken at the counter.
pub fn import_photo(
    store: &mut Store,
    data_dir: &std::path::Path,
    actor: &Actor,
    case: &Case,
    image: &image::RgbImage,
    reason: Option<String>,
) -> Result<Case, CounterError> {
    use crate::domain::case::{Biometrics, CaseError, CaseStatus, PhotoState};
    if case.status != CaseStatus::AwaitingPhoto || case.photo != PhotoState::Pending {
        return Err(StoreError::Case(CaseError::NotAwaitingPhoto).into());
    }
    let capture = crate::photo::Capture::of(image);
    let crop = capture.crop.as_ref().ok_or(CounterError::PhotoCannotCrop)?;
    let failed: Vec<String> = capture
        .failed()
        .iter()
        .map(|c| c.code().to_owned())
        .collect();
    let reason = reason.filter(|r| !r.trim().is_empty());
    if !failed.is_empty() && reason.is_none() {
        return Err(CounterError::PhotoFailed(failed));
    }
    let stored = crate::store::write_photo(data_dir, crop)?;
    let biometrics = match &case.biometrics {
        b @ Biometrics::Captured { .. } => b.clone(),
        _ => Biometrics::Pending,
    };
    record_photo(
        store,
        actor,
        case.id,
        &stored,
        failed,
        reason,
        Some(biometrics),
    )
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

/// Today's ticket with the number typed (`A-1012`, `a1012`), or why there is none.
pub fn find_ticket(store: &Store, day: NaiveDate, typed: &str) -> Result<Ticket, CounterError> {
    let (line, number) = crate::domain::queue::parse_label(typed)
        .ok_or_else(|| CounterError::TicketNumber(typed.trim().to_owned()))?;
    let label = crate::domain::queue::label(&line, number);
    store
        .tickets(day)?
        .into_iter()
        .find(|t| t.label() == label)
        .ok_or(CounterError::NoTicket(label))
}

/// Calls the ticket typed, out of order; a no-show who came back is reactivated first.
pub fn call_number(
    store: &mut Store,
    actor: &Actor,
    counter: u32,
    typed: &str,
) -> Result<Ticket, CounterError> {
    let t = find_ticket(store, actor.now.date_naive(), typed)?;
    if t.state == TicketState::NoShow {
        store.ticket_act(actor, counter, t.id, TicketAction::Reactivate)?;
    }
    Ok(store.ticket_act(actor, counter, t.id, TicketAction::Call)?)
}

/// Gives a no-show who came back their number again: it waits where it waited.
pub fn reactivate(
    store: &mut Store,
    actor: &Actor,
    counter: u32,
    typed: &str,
) -> Result<Ticket, CounterError> {
    let t = find_ticket(store, actor.now.date_naive(), typed)?;
    Ok(store.ticket_act(actor, counter, t.id, TicketAction::Reactivate)?)
}

/// Reads where a ticket goes: a line (`B`), a line and a counter (`B 3`), or a counter of
/// its own line (`3`).
pub fn transfer_target(
    rules: &QueueRules,
    counters: &[u32],
    current_line: &str,
    typed: &str,
) -> Result<(String, Option<u32>), CounterError> {
    let mut words = typed.split_whitespace();
    let (line, counter) = match (words.next(), words.next(), words.next()) {
        (Some(c), None, None) if c.chars().all(|d| d.is_ascii_digit()) => {
            (current_line.to_owned(), Some(c))
        }
        (Some(l), c, None) => (l.to_ascii_uppercase(), c),
        _ => (typed.trim().to_owned(), None),
    };
    let counter = match counter {
        Some(c) => Some(
            c.parse::<u32>()
                .ok()
                .filter(|c| (1..=999).contains(c))
                .ok_or_else(|| CounterError::TicketNumber(typed.trim().to_owned()))?,
        ),
        None => None,
    };
    if rules.line(&line).is_none() {
        let known: Vec<&str> = rules.lines.iter().map(|l| l.prefix.as_str()).collect();
        return Err(CounterError::NoLine {
            line,
            known: known.join(", "),
        });
    }
    if let Some(c) = counter
        && !counters.is_empty()
        && !counters.contains(&c)
    {
        let known: Vec<String> = counters.iter().map(u32::to_string).collect();
        return Err(CounterError::NoCounter {
            counter: c,
            known: known.join(", "),
        });
    }
    Ok((line, counter))
}

/// Sends a ticket to another line or counter: the holder's transfer, or a supervisor's
/// reassignment of any ticket of the day (`supervisor`).
pub fn transfer(
    store: &mut Store,
    actor: &Actor,
    officer: &Officer,
    counter: u32,
    ticket: &Ticket,
    typed_target: &str,
) -> Result<Ticket, CounterError> {
    let rules = queue_rules(store);
    let counters = store
        .office_info(store.office())
        .ok()
        .flatten()
        .map(|(_, config)| crate::domain::queue::office_counters(&config))
        .unwrap_or_default();
    let (line, to) = transfer_target(&rules, &counters, &ticket.line, typed_target)?;
    let held_here = ticket.counter == Some(counter) || ticket.state == TicketState::Issued;
    let action = if officer.role == Role::Supervisor && !held_here {
        TicketAction::Reassign { line, counter: to }
    } else {
        TicketAction::Transfer { line, counter: to }
    };
    Ok(store.ticket_act(actor, counter, ticket.id, action)?)
}

/// Sends a request for approval to the supervisor's board: the case waits (shown on every
/// board of the office) until a supervisor answers there, or one approves at this counter.
pub fn ask_approval(
    store: &mut Store,
    actor: &Actor,
    case_id: Uuid,
    asked: crate::domain::case::Asked,
) -> Result<Case, CounterError> {
    let ask = crate::domain::case::ApprovalAsk {
        id: Uuid::now_v7(),
        asked,
        officer: actor.username.clone(),
        at: actor.now,
    };
    Ok(store.apply(actor, Some(case_id), &Action::AskApproval { ask })?)
}

/// A supervisor's answer, on the board, to a request that waits: approved, or sent back
/// with a note. Four eyes: the officer who asked cannot answer.
pub fn answer_approval(
    store: &mut Store,
    actor: &Actor,
    officer: &Officer,
    waiting: &crate::store::Awaiting,
    granted: bool,
    note: &str,
) -> Result<crate::protocol::ApprovalAnswer, CounterError> {
    if officer.role != Role::Supervisor {
        return Err(AuthError::NotSupervisor.into());
    }
    if officer.username == waiting.ask.officer {
        return Err(CounterError::SelfApproval);
    }
    if !granted && note.trim().is_empty() {
        return Err(CounterError::NoteNeeded);
    }
    if waiting.counter.is_none() {
        return Err(CounterError::AnswerHere);
    }
    let answer = crate::protocol::ApprovalAnswer {
        request: waiting.ask.id,
        case_id: waiting.case_id,
        granted,
        supervisor: officer.username.clone(),
        note: note.trim().to_owned(),
        at: actor.now,
        asked: Some(waiting.ask.asked.clone()),
    };
    store.answer_approval(actor, &answer)?;
    Ok(answer)
}

/// What an answer from the board did to one of this counter's cases.
#[derive(Debug)]
pub struct Answered {
    pub answer: crate::protocol::ApprovalAnswer,
    pub booking: String,
    /// The case after it; an error when the approved action no longer applies (the case
    /// then goes back to the officer, who asks again).
    pub case: Result<Case, CounterError>,
}

/// Applies the board's answers to this counter's cases, each once: an approval becomes the
/// action asked for, in the asking officer's name with the supervisor named (what the
/// supervisor's PIN at the counter makes); a return clears the request, with its note.
pub fn apply_approval_answers(
    store: &mut Store,
    now: DateTime<chrono::FixedOffset>,
) -> Result<Vec<Answered>, CounterError> {
    let mut out = Vec::new();
    for answer in store.answers_to_apply()? {
        let Some(case) = store.case_by_id(answer.case_id)? else {
            store.answer_applied(answer.request, now)?;
            continue;
        };
        // The officer went on otherwise meanwhile (a supervisor came to the counter).
        let Some(ask) = case.awaiting.clone().filter(|a| a.id == answer.request) else {
            store.answer_applied(answer.request, now)?;
            continue;
        };
        let actor = Actor {
            key: None,
            username: ask.officer.clone(),
            now,
        };
        let action = if answer.granted {
            ask.granted(&case, &answer.supervisor, answer.at)
        } else {
            Action::ApprovalReturned {
                request: ask.id,
                supervisor: answer.supervisor.clone(),
                note: answer.note.clone(),
            }
        };
        let applied = match store.apply_answer(&actor, case.id, &action, ask.id) {
            Ok(case) => Ok(case),
            Err(e) => {
                // Still waiting would block the case for good: it goes back to the officer.
                let back = Action::ApprovalReturned {
                    request: ask.id,
                    supervisor: answer.supervisor.clone(),
                    note: e.to_string(),
                };
                store.apply_answer(&actor, case.id, &back, ask.id)?;
                Err(e.into())
            }
        };
        out.push(Answered {
            booking: case.booking.as_str().to_owned(),
            answer,
            case: applied,
        });
    }
    Ok(out)
}

/// Closes the office's `day`: every ticket still waiting or called becomes a no-show with
/// the reason "day closed" (never deleted). A supervisor's act; the closed tickets back.
pub fn close_day(
    store: &mut Store,
    actor: &Actor,
    officer: &Officer,
    counter: u32,
    day: NaiveDate,
) -> Result<Vec<Ticket>, CounterError> {
    if officer.role != Role::Supervisor {
        return Err(AuthError::NotSupervisor.into());
    }
    let open: Vec<Uuid> = store
        .tickets(day)?
        .into_iter()
        .filter(|t| matches!(t.state, TicketState::Issued | TicketState::Called))
        .map(|t| t.id)
        .collect();
    let mut closed = Vec::with_capacity(open.len());
    for id in open {
        closed.push(store.ticket_act(actor, counter, id, TicketAction::CloseDay)?);
    }
    Ok(closed)
}

/// The day report of `day` from the tickets this counter holds (its own and the office's
/// as pulled), as of `now` or the end of the day.
pub fn day_report(
    store: &Store,
    day: NaiveDate,
    now: DateTime<chrono::FixedOffset>,
) -> Result<crate::domain::day_report::DayReport, CounterError> {
    let rules = queue_rules(store);
    let tickets = store.tickets(day)?;
    let end = day
        .and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(*now.offset()).single())
        .unwrap_or(now);
    let milestones = store.case_milestones(day)?;
    Ok(crate::domain::day_report::DayReport::new(
        store.office(),
        day,
        tickets,
        &rules,
        now.min(end),
    )
    .with_steps(&milestones))
}

/// Writes a day report as `reports/antrean-<office>-<day>.html` and `.csv` in `dir` (each
/// written whole, then renamed into place); the two paths back.
pub fn save_day_report(
    dir: &std::path::Path,
    report: &crate::domain::day_report::DayReport,
) -> std::io::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let folder = dir.join("reports");
    std::fs::create_dir_all(&folder)?;
    let stem = format!("antrean-{}-{}", report.office, report.day);
    let html = folder.join(format!("{stem}.html"));
    let csv = folder.join(format!("{stem}.csv"));
    write_whole(&html, report.html().as_bytes())?;
    write_whole(&csv, report.csv().as_bytes())?;
    Ok((html, csv))
}

/// Writes `path` through a temporary file in the same folder, so a reader never sees half;
/// readable by the kiosk's user only (it carries applicants' data).
pub fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::secret::write_owner_only(path, bytes)
}
