//! The counter's desk: what the terminal's screens may read and do, and nothing more. It
//! owns the store; a screen holds the desk, never the store, so every write a screen makes
//! is one of the actions or use cases listed here (each one transaction with its outbox
//! event and audit row), and the office's rules are not repeated in the screens.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

use super::{CounterError, Opened, WalkIn};
use crate::domain::queue::{QueueRules, Ticket, TicketAction};
use crate::domain::{Action, Booking, BookingCode, Case, Office};
use crate::store::{
    Actor, AuthError, Durability, LostCall, Officer, PinAttempt, QueueRow, Result, ServedElsewhere,
    Store, StoredPhoto, SyncCounts,
};

pub struct Desk {
    store: Store,
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
    pub fn new(store: Store) -> Desk {
        Desk { store }
    }

    // The day's bookings.

    pub fn queue(&self, day: NaiveDate) -> Result<Vec<QueueRow>> {
        self.store.queue(day)
    }
    pub fn search(&self, query: &str, today: NaiveDate, limit: usize) -> Result<Vec<QueueRow>> {
        self.store.search(query, today, limit)
    }
    pub fn booking(&self, code: &BookingCode) -> Result<Option<Booking>> {
        self.store.booking(code)
    }
    /// Opening a booking is recorded (who looked at whose data).
    pub fn record_view(&mut self, actor: &Actor, booking: &BookingCode) -> Result<()> {
        self.store.record_view(actor, booking.as_str(), None)
    }
    /// Opening a case is recorded too.
    pub fn record_case_view(&mut self, actor: &Actor, case: &Case) -> Result<()> {
        self.store
            .record_view(actor, case.booking.as_str(), Some(case.id))
    }
    pub fn cases_for_booking(&self, booking: &BookingCode) -> Result<Vec<Case>> {
        self.store.cases_for_booking(booking.as_str())
    }
    pub fn served_elsewhere(&self, booking: &BookingCode) -> Result<Vec<ServedElsewhere>> {
        self.store.served_elsewhere(booking.as_str())
    }
    pub fn rescheduled_from(&self, booking: &BookingCode) -> Result<Option<NaiveDate>> {
        self.store.rescheduled_from(booking.as_str())
    }

    // A case.

    pub fn apply(&mut self, actor: &Actor, case: Uuid, action: &Action) -> Result<Case> {
        self.store.apply(actor, Some(case), action)
    }
    /// An action a supervisor approved by PIN here, with the proof made from that PIN.
    pub fn apply_approved(
        &mut self,
        actor: &Actor,
        case: Uuid,
        action: &Action,
        proof: Option<&str>,
    ) -> Result<Case> {
        self.store.apply_approved(actor, case, action, proof)
    }
    pub fn draft(&self, case: Uuid, step: &str) -> Result<Option<serde_json::Value>> {
        self.store.draft(case, step)
    }
    pub fn put_draft(
        &self,
        case: Uuid,
        step: &str,
        body: &serde_json::Value,
        now: DateTime<FixedOffset>,
        durability: Durability,
    ) -> Result<()> {
        self.store.put_draft(case, step, body, now, durability)
    }
    pub fn clear_draft(&self, case: Uuid) -> Result<()> {
        self.store.clear_draft(case)
    }

    // The use cases.

    pub fn check_in(
        &mut self,
        actor: &Actor,
        booking: &Booking,
        applicant: usize,
        office: &str,
    ) -> std::result::Result<Opened, CounterError> {
        super::check_in(&mut self.store, actor, booking, applicant, office)
    }
    pub fn register_walk_in(
        &mut self,
        actor: &Actor,
        form: &WalkIn,
        office: &Office,
        now: DateTime<Utc>,
    ) -> std::result::Result<Booking, CounterError> {
        super::register_walk_in(&mut self.store, actor, form, office, now)
    }
    pub fn approval_attempt(
        &self,
        officer: &Officer,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<PinAttempt, CounterError> {
        super::approval_attempt(&self.store, officer, login, pin, now)
    }
    pub fn approval_outcome(
        &self,
        asker: &Officer,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<String, CounterError> {
        super::approval_outcome(&self.store, asker, attempt, matched, now)
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
        super::record_photo(
            &mut self.store,
            actor,
            case,
            stored,
            failed_checks,
            reason,
            biometrics,
        )
    }

    // The office's queue.

    /// The office's lines and calling rule, as pusat last sent them (the defaults before).
    pub fn queue_rules(&self) -> QueueRules {
        super::queue_rules(&self.store)
    }
    pub fn tickets(&self, day: NaiveDate) -> Result<Vec<Ticket>> {
        self.store.tickets(day)
    }
    pub fn tickets_waiting(&self, day: NaiveDate) -> Result<u64> {
        self.store.tickets_waiting(day)
    }
    pub fn ticket_for_booking(
        &self,
        day: NaiveDate,
        booking: &BookingCode,
    ) -> Result<Option<Ticket>> {
        self.store.ticket_for_booking(day, booking.as_str())
    }
    /// The ticket this counter has called or serves.
    pub fn current_ticket(&self, day: NaiveDate, counter: u32) -> Result<Option<Ticket>> {
        self.store.current_ticket(day, counter)
    }
    pub fn take_lost_calls(&self) -> Result<Vec<LostCall>> {
        self.store.take_lost_calls()
    }
    /// Gives a booking its queue number (see [`super::issue_ticket`]); `true` when new.
    pub fn issue_ticket(
        &mut self,
        actor: &Actor,
        counter: u32,
        booking: &Booking,
    ) -> std::result::Result<(Ticket, bool), CounterError> {
        super::issue_ticket(&mut self.store, actor, counter, booking)
    }
    /// Calls the next ticket by the office's rule: `None` when nobody waits.
    pub fn call_next(
        &mut self,
        actor: &Actor,
        counter: u32,
    ) -> std::result::Result<Option<Ticket>, CounterError> {
        super::call_next(&mut self.store, actor, counter)
    }
    /// Records the call pusat made for this counter.
    pub fn record_call(&mut self, actor: &Actor, counter: u32, ticket: &Ticket) -> Result<()> {
        self.store.record_call(actor, counter, ticket)
    }
    pub fn ticket_act(
        &mut self,
        actor: &Actor,
        counter: u32,
        ticket: Uuid,
        action: TicketAction,
    ) -> std::result::Result<Ticket, CounterError> {
        Ok(self.store.ticket_act(actor, counter, ticket, action)?)
    }
    /// Today's ticket with the typed number.
    pub fn find_ticket(
        &self,
        day: NaiveDate,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        super::find_ticket(&self.store, day, typed)
    }
    /// Calls the typed number out of order (see [`super::call_number`]).
    pub fn call_number(
        &mut self,
        actor: &Actor,
        counter: u32,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        super::call_number(&mut self.store, actor, counter, typed)
    }
    pub fn reactivate(
        &mut self,
        actor: &Actor,
        counter: u32,
        typed: &str,
    ) -> std::result::Result<Ticket, CounterError> {
        super::reactivate(&mut self.store, actor, counter, typed)
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
        super::transfer(&mut self.store, actor, officer, counter, ticket, target)
    }
    /// Sends a request for approval to the board (see [`super::ask_approval`]).
    pub fn ask_approval(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        asked: crate::domain::case::Asked,
    ) -> std::result::Result<Case, CounterError> {
        super::ask_approval(&mut self.store, actor, case_id, asked)
    }
    /// Every request for approval waiting on the office's boards that this counter knows.
    pub fn awaiting_approvals(&self) -> Result<Vec<crate::store::Awaiting>> {
        self.store.awaiting_approvals()
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
        super::answer_approval(&mut self.store, actor, officer, waiting, granted, note)
    }
    /// Applies the board's answers to this counter's cases (see
    /// [`super::apply_approval_answers`]).
    pub fn apply_approval_answers(
        &mut self,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> std::result::Result<Vec<super::Answered>, CounterError> {
        super::apply_approval_answers(&mut self.store, now)
    }
    /// One of this counter's cases as stored.
    pub fn case_by_id(&self, case_id: Uuid) -> Result<Option<Case>> {
        self.store.case_by_id(case_id)
    }
    /// Closes the office's day (see [`super::close_day`]).
    pub fn close_day(
        &mut self,
        actor: &Actor,
        officer: &Officer,
        counter: u32,
        day: NaiveDate,
    ) -> std::result::Result<Vec<Ticket>, CounterError> {
        super::close_day(&mut self.store, actor, officer, counter, day)
    }
    /// This counter's case milestones of `day`, for the time per step.
    pub fn case_milestones(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<crate::domain::day_report::Milestone>> {
        self.store.case_milestones(day)
    }
    pub fn day_report(
        &self,
        day: NaiveDate,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<crate::domain::day_report::DayReport, CounterError> {
        super::day_report(&self.store, day, now)
    }

    // Signing in.

    pub fn pin_attempt(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<PinAttempt, AuthError> {
        self.store.pin_attempt(login, pin, now)
    }
    pub fn pin_outcome(
        &self,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> std::result::Result<Officer, AuthError> {
        self.store.pin_outcome(attempt, matched, now)
    }
    pub fn officer_count(&self) -> Result<u64> {
        self.store.officer_count()
    }
    pub fn officer_on_roster(&self, username: &str) -> Result<bool> {
        self.store.officer_on_roster(username)
    }

    // What the frame shows.

    /// Rows written through this desk since it opened (kept in memory: no query).
    pub fn writes(&self) -> u64 {
        self.store.writes()
    }
    pub fn sync_counts(&self) -> Result<SyncCounts> {
        self.store.sync_counts()
    }
    pub fn last_seq(&self) -> Result<i64> {
        self.store.last_seq()
    }
    pub fn facts(&self) -> Result<DeskFacts> {
        Ok(DeskFacts {
            device: self.store.device_id()?,
            db_bytes: self.store.size_bytes()?,
            pending: self.store.pending_events()?,
            bookings: self.store.booking_count()?,
        })
    }
}
