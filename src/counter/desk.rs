//! The counter's desk: what the terminal's screens may read and do, and nothing more. A
//! screen holds the desk, never the store, so every write a screen makes is one of the
//! actions or use cases listed here (each one transaction with its outbox event and audit
//! row), and the office's rules are not repeated in the screens.
//!
//! The store itself lives on its own thread ([`StoreThread`]), shared with the sync worker:
//! each method here is one job sent there, its arguments moved along, its answer awaited.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

use super::{CounterError, Opened, WalkIn};
use crate::domain::queue::{QueueRules, Ticket, TicketAction};
use crate::domain::{Action, Booking, BookingCode, Case, Office};
use crate::store::{
    Actor, Approver, AuthError, Durability, LostCall, Officer, PinAttempt, QueueRow, Result,
    ServedElsewhere, Store, StoreError, StoreThread, StoredPhoto, SyncCounts,
};

pub struct Desk {
    store: StoreThread,
}

/// This counter's own figures, for the technician's screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskFacts {
    pub device: String,
    pub db_bytes: u64,
    pub pending: u64,
    pub bookings: u64,
}

impl Desk {
    /// The desk on `store`, which moves to a thread of its own (an error only when the
    /// system cannot start a thread).
    pub fn new(store: Store) -> std::io::Result<Desk> {
        Ok(Desk {
            store: StoreThread::spawn(store)?,
        })
    }

    /// The store's thread, for the sync worker: one writer for both.
    pub fn store_thread(&self) -> StoreThread {
        self.store.clone()
    }

    /// One job on the store's thread.
    fn on<R, E>(
        &self,
        f: impl FnOnce(&mut Store) -> std::result::Result<R, E> + Send + 'static,
    ) -> std::result::Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.store.call(f)
    }

    // The day's bookings.

    pub fn queue(&self, day: NaiveDate) -> Result<Vec<QueueRow>> {
        self.on(move |s| s.queue(day))
    }
    pub fn search(&self, query: &str, today: NaiveDate, limit: usize) -> Result<Vec<QueueRow>> {
        let query = query.to_owned();
        self.on(move |s| s.search(&query, today, limit))
    }
    pub fn booking(&self, code: &BookingCode) -> Result<Option<Booking>> {
        let code = code.clone();
        self.on(move |s| s.booking(&code))
    }
    /// Opening a booking is recorded (who looked at whose data).
    pub fn record_view(&mut self, actor: &Actor, booking: &BookingCode) -> Result<()> {
        let (actor, booking) = (actor.clone(), booking.clone());
        self.on(move |s| s.record_view(&actor, booking.as_str(), None))
    }
    /// Opening a case is recorded too.
    pub fn record_case_view(&mut self, actor: &Actor, case: &Case) -> Result<()> {
        let (actor, booking, id) = (actor.clone(), case.booking.clone(), case.id);
        self.on(move |s| s.record_view(&actor, booking.as_str(), Some(id)))
    }
    pub fn cases_for_booking(&self, booking: &BookingCode) -> Result<Vec<Case>> {
        let booking = booking.clone();
        self.on(move |s| s.cases_for_booking(booking.as_str()))
    }
    pub fn served_elsewhere(&self, booking: &BookingCode) -> Result<Vec<ServedElsewhere>> {
        let booking = booking.clone();
        self.on(move |s| s.served_elsewhere(booking.as_str()))
    }
    pub fn rescheduled_from(&self, booking: &BookingCode) -> Result<Option<NaiveDate>> {
        let booking = booking.clone();
        self.on(move |s| s.rescheduled_from(booking.as_str()))
    }

    // A case.

    pub fn apply(&mut self, actor: &Actor, case: Uuid, action: &Action) -> Result<Case> {
        let (actor, action) = (actor.clone(), action.clone());
        self.on(move |s| s.apply(&actor, Some(case), &action))
    }
    /// An action a supervisor approved by PIN here, proven with the key made from that PIN.
    pub fn apply_approved(
        &mut self,
        actor: &Actor,
        case: Uuid,
        action: &Action,
        approver: Option<&Approver>,
    ) -> Result<Case> {
        let (actor, action, approver) = (actor.clone(), action.clone(), approver.cloned());
        self.on(move |s| s.apply_approved(&actor, case, &action, approver.as_ref()))
    }
    pub fn draft(&self, case: Uuid, step: &str) -> Result<Option<serde_json::Value>> {
        let step = step.to_owned();
        self.on(move |s| s.draft(case, &step))
    }
    pub fn put_draft(
        &self,
        case: Uuid,
        step: &str,
        body: &serde_json::Value,
        now: DateTime<FixedOffset>,
        durability: Durability,
    ) -> Result<()> {
        let (step, body) = (step.to_owned(), body.clone());
        self.on(move |s| s.put_draft(case, &step, &body, now, durability))
    }
    pub fn clear_draft(&self, case: Uuid) -> Result<()> {
        self.on(move |s| s.clear_draft(case))
    }

    // The use cases.

    pub fn check_in(
        &mut self,
        actor: &Actor,
        booking: &Booking,
        applicant: usize,
        office: &str,
    ) -> std::result::Result<Opened, CounterError> {
        let (actor, booking, office) = (actor.clone(), booking.clone(), office.to_owned());
        self.on(move |s| super::check_in(s, &actor, &booking, applicant, &office))
    }
    pub fn register_walk_in(
        &mut self,
        actor: &Actor,
        form: &WalkIn,
        office: &Office,
        now: DateTime<Utc>,
    ) -> std::result::Result<Booking, CounterError> {
        let (actor, form, office) = (actor.clone(), form.clone(), office.clone());
        self.on(move |s| super::register_walk_in(s, &actor, &form, &office, now))
    }
    pub fn approval_attempt(
        &self,
        officer: &Officer,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<PinAttempt, CounterError> {
        let (officer, login, pin) = (
            officer.clone(),
            login.to_owned(),
            zeroize::Zeroizing::new(pin.to_owned()),
        );
        self.on(move |s| super::approval_attempt(s, &officer, &login, &pin, now))
    }
    pub fn approval_outcome(
        &self,
        asker: &Officer,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<String, CounterError> {
        let asker = asker.clone();
        self.on(move |s| super::approval_outcome(s, &asker, attempt, matched, now))
    }
    pub fn record_photo(
        &mut self,
        actor: &Actor,
        case: Uuid,
        stored: &StoredPhoto,
        failed_checks: Vec<String>,
        reason: Option<String>,
        biometrics: Option<crate::domain::case::Biometrics>,
    ) -> std::result::Result<Case, CounterError> {
        let (actor, stored) = (actor.clone(), stored.clone());
        self.on(move |s| {
            super::record_photo(s, &actor, case, &stored, failed_checks, reason, biometrics)
        })
    }

    // The office's queue.

    /// The office's lines and calling rule, as pusat last sent them (the defaults before).
    pub fn queue_rules(&self) -> QueueRules {
        self.on(|s| Ok::<_, StoreError>(super::queue_rules(s)))
            .unwrap_or_default()
    }
    pub fn tickets(&self, day: NaiveDate) -> Result<Vec<Ticket>> {
        self.on(move |s| s.tickets(day))
    }
    pub fn tickets_waiting(&self, day: NaiveDate) -> Result<u64> {
        self.on(move |s| s.tickets_waiting(day))
    }
    pub fn ticket_for_booking(
        &self,
        day: NaiveDate,
        booking: &BookingCode,
    ) -> Result<Option<Ticket>> {
        let booking = booking.clone();
        self.on(move |s| s.ticket_for_booking(day, booking.as_str()))
    }
    /// The ticket this counter has called or serves.
    pub fn current_ticket(&self, day: NaiveDate, counter: u32) -> Result<Option<Ticket>> {
        self.on(move |s| s.current_ticket(day, counter))
    }
    pub fn take_lost_calls(&self) -> Result<Vec<LostCall>> {
        self.on(|s| s.take_lost_calls())
    }
    /// Gives a booking its queue number (see [`super::issue_ticket`]); `true` when new.
    pub fn issue_ticket(
        &mut self,
        actor: &Actor,
        counter: u32,
        booking: &Booking,
    ) -> std::result::Result<(Ticket, bool), CounterError> {
        let (actor, booking) = (actor.clone(), booking.clone());
        self.on(move |s| super::issue_ticket(s, &actor, counter, &booking))
    }
    /// Calls the next ticket by the office's rule: `None` when nobody waits.
    pub fn call_next(
        &mut self,
        actor: &Actor,
        counter: u32,
    ) -> std::result::Result<Option<Ticket>, CounterError> {
        let actor = actor.clone();
        self.on(move |s| super::call_next(s, &actor, counter))
    }
    /// Records the call pusat made for this counter.
    pub fn record_call(&mut self, actor: &Actor, counter: u32, ticket: &Ticket) -> Result<()> {
        let (actor, ticket) = (actor.clone(), ticket.clone());
        self.on(move |s| s.record_call(&actor, counter, &ticket))
    }
    pub fn ticket_act(
        &mut self,
        actor: &Actor,
        counter: u32,
        ticket: Uuid,
        action: TicketAction,
    ) -> std::result::Result<Ticket, CounterError> {
        let actor = actor.clone();
        self.on(move |s| Ok(s.ticket_act(&actor, counter, ticket, action)?))
    }
    /// Today's ticket with the typed number.
    pub fn find_ticket(
        &self,
        day: NaiveDate,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        let typed = typed.to_owned();
        self.on(move |s| super::find_ticket(s, day, &typed))
    }
    /// Calls the typed number out of order (see [`super::call_number`]).
    pub fn call_number(
        &mut self,
        actor: &Actor,
        counter: u32,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        let (actor, typed) = (actor.clone(), typed.to_owned());
        self.on(move |s| super::call_number(s, &actor, counter, &typed))
    }
    pub fn reactivate(
        &mut self,
        actor: &Actor,
        counter: u32,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        let (actor, typed) = (actor.clone(), typed.to_owned());
        self.on(move |s| super::reactivate(s, &actor, counter, &typed))
    }
    /// Sends a ticket to the typed line or counter (see [`super::transfer`]).
    pub fn transfer(
        &mut self,
        actor: &Actor,
        officer: &Officer,
        counter: u32,
        ticket: &Ticket,
        target: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        let (actor, officer, ticket, target) = (
            actor.clone(),
            officer.clone(),
            ticket.clone(),
            target.to_owned(),
        );
        self.on(move |s| super::transfer(s, &actor, &officer, counter, &ticket, &target))
    }
    /// Sends a request for approval to the board (see [`super::ask_approval`]).
    pub fn ask_approval(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        asked: crate::domain::case::Asked,
    ) -> std::result::Result<Case, CounterError> {
        let actor = actor.clone();
        self.on(move |s| super::ask_approval(s, &actor, case_id, asked))
    }
    /// Every request for approval waiting on the office's boards that this counter knows.
    pub fn awaiting_approvals(&self) -> Result<Vec<crate::store::Awaiting>> {
        self.on(|s| s.awaiting_approvals())
    }
    /// A supervisor's answer from the board (see [`super::answer_approval`]).
    pub fn answer_approval(
        &mut self,
        actor: &Actor,
        officer: &Officer,
        waiting: &crate::store::Awaiting,
        granted: bool,
        note: &str,
    ) -> std::result::Result<crate::protocol::ApprovalAnswer, CounterError> {
        let (actor, officer, waiting, note) = (
            actor.clone(),
            officer.clone(),
            waiting.clone(),
            note.to_owned(),
        );
        self.on(move |s| super::answer_approval(s, &actor, &officer, &waiting, granted, &note))
    }
    /// Applies the board's answers to this counter's cases (see
    /// [`super::apply_approval_answers`]).
    pub fn apply_approval_answers(
        &mut self,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> std::result::Result<Vec<super::Answered>, CounterError> {
        self.on(move |s| super::apply_approval_answers(s, now))
    }
    /// One of this counter's cases as stored.
    pub fn case_by_id(&self, case_id: Uuid) -> Result<Option<Case>> {
        self.on(move |s| s.case_by_id(case_id))
    }
    /// Closes the office's day (see [`super::close_day`]).
    pub fn close_day(
        &mut self,
        actor: &Actor,
        officer: &Officer,
        counter: u32,
        day: NaiveDate,
    ) -> std::result::Result<Vec<Ticket>, CounterError> {
        let (actor, officer) = (actor.clone(), officer.clone());
        self.on(move |s| super::close_day(s, &actor, &officer, counter, day))
    }
    /// This counter's case milestones of `day`, for the time per step.
    pub fn case_milestones(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<crate::domain::day_report::Milestone>> {
        self.on(move |s| s.case_milestones(day))
    }
    pub fn day_report(
        &self,
        day: NaiveDate,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<crate::domain::day_report::DayReport, CounterError> {
        self.on(move |s| super::day_report(s, day, now))
    }

    // Signing in.

    pub fn pin_attempt(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<PinAttempt, AuthError> {
        let (login, pin) = (login.to_owned(), zeroize::Zeroizing::new(pin.to_owned()));
        self.on(move |s| s.pin_attempt(&login, &pin, now))
    }
    pub fn pin_outcome(
        &self,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<Officer, AuthError> {
        self.on(move |s| s.pin_outcome(attempt, matched, now))
    }
    pub fn officer_count(&self) -> Result<u64> {
        self.on(|s| s.officer_count())
    }
    pub fn officer_on_roster(&self, username: &str) -> Result<bool> {
        let username = username.to_owned();
        self.on(move |s| s.officer_on_roster(&username))
    }

    // What the frame shows.

    /// Rows written through this desk since it opened (kept in memory: no query).
    pub fn writes(&self) -> u64 {
        self.store.writes()
    }
    pub fn sync_counts(&self) -> Result<SyncCounts> {
        self.on(|s| s.sync_counts())
    }
    /// This counter's events pusat refused that nobody has looked at here yet (from now
    /// on looked at).
    pub fn take_refused(&self) -> Result<Vec<crate::protocol::RefusedEvent>> {
        self.on(|s| s.take_refused())
    }
    pub fn last_seq(&self) -> Result<i64> {
        self.on(|s| s.last_seq())
    }
    pub fn facts(&self) -> Result<DeskFacts> {
        self.on(|s| {
            Ok(DeskFacts {
                device: s.device_id()?,
                db_bytes: s.size_bytes()?,
                pending: s.pending_events()?,
                bookings: s.booking_count()?,
            })
        })
    }
}
