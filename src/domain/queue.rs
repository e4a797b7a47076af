//! The office's queue: service lines, tickets and which ticket a counter calls next.
//!
//! **Numbers.** A ticket's identity is a UUID; its number is for people: the line's prefix
//! and a number that restarts each office day, `A-3012`. Each issuing terminal numbers from
//! its own block: counter `c` issues `c·1000 + 1` to `c·1000 + 999` on each line, so two
//! terminals can never give out the same number, online or not, and no round trip to pusat
//! is needed to hand a ticket over. pusat refuses a number outside the issuing counter's
//! block, and a number given twice.
//!
//! **States.** issued → called → serving → done; a called ticket may be recalled (announced
//! again) or marked no-show; a no-show who comes back is reactivated (issued again, keeping
//! the arrival time); a ticket may be transferred to another line (issued again there) or
//! cancelled. Every change is an event with its time, officer and counter.
//!
//! **Calling.** [`pick_next`]: a ticket waiting longer than its line's target goes first
//! (oldest first); otherwise a priority line is called before the others, but after a
//! priority call up to `regular_per_priority` others are called before the next one (the
//! default ratio 1 priority : 2 regular); otherwise the oldest arrival.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::booking::{ApplicationType, Booking, Service, WalkInReason};

/// Numbers each issuing counter has per line and day.
pub const BLOCK: u32 = 1000;

/// One service line of the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The prefix shown on tickets and the display: one or two capital letters.
    pub prefix: String,
    pub name: String,
    #[serde(default)]
    pub priority: bool,
    /// The wait the office aims for on this line, in minutes.
    #[serde(default = "default_target")]
    pub target_minutes: u32,
    /// Tickets this line gives out in a day (none: no limit).
    #[serde(default)]
    pub quota: Option<u32>,
}

fn default_target() -> u32 {
    60
}

/// How an office runs its queue: its lines and its calling rule (`queue` in the office's
/// configuration at pusat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRules {
    pub lines: Vec<Line>,
    /// After a priority call, how many other tickets are called before the next priority.
    #[serde(default = "default_ratio")]
    pub regular_per_priority: u32,
}

fn default_ratio() -> u32 {
    2
}

impl Default for QueueRules {
    fn default() -> QueueRules {
        let line = |prefix: &str, name: &str, priority, quota| Line {
            prefix: prefix.into(),
            name: name.into(),
            priority,
            target_minutes: 60,
            quota,
        };
        QueueRules {
            lines: vec![
                line("A", "Reguler", false, None),
                line("B", "Percepatan", false, None),
                line("P", "Prioritas", true, None),
                line("C", "Hilang/Rusak", false, None),
            ],
            regular_per_priority: 2,
        }
    }
}

/// Why the office's queue settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the queue has no line")]
    NoLine,
    #[error("line prefix {0:?} must be one or two capital letters")]
    Prefix(String),
    #[error("line prefix {0} is used twice")]
    Twice(String),
    #[error("line {0} has an empty name")]
    Name(String),
}

/// The key of an office's settings that lists its counters (as pusat enrolled them): a
/// transfer or reassignment names one of these.
pub const COUNTERS_KEY: &str = "counters";

/// The office's counters in its settings; empty when pusat has not said (a demo office, a
/// counter never synced), and then any counter number is taken.
pub fn office_counters(config: &serde_json::Value) -> Vec<u32> {
    config
        .get(COUNTERS_KEY)
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|c| c.as_u64().and_then(|c| u32::try_from(c).ok()))
                .collect()
        })
        .unwrap_or_default()
}

impl QueueRules {
    /// The rules in an office's configuration (`{"queue": {...}}`); the defaults when it has
    /// none. Settings that break a rule are refused, never half used.
    pub fn from_office_config(config: &serde_json::Value) -> Result<QueueRules, String> {
        match config.get("queue") {
            None | Some(serde_json::Value::Null) => Ok(QueueRules::default()),
            Some(v) => {
                let rules: QueueRules =
                    serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
                rules.check().map_err(|e| e.to_string())?;
                Ok(rules)
            }
        }
    }

    pub fn check(&self) -> Result<(), RulesError> {
        if self.lines.is_empty() {
            return Err(RulesError::NoLine);
        }
        let mut seen = Vec::new();
        for line in &self.lines {
            let ok = (1..=2).contains(&line.prefix.len())
                && line.prefix.chars().all(|c| c.is_ascii_uppercase());
            if !ok {
                return Err(RulesError::Prefix(line.prefix.clone()));
            }
            if line.name.trim().is_empty() {
                return Err(RulesError::Name(line.prefix.clone()));
            }
            if seen.contains(&&line.prefix) {
                return Err(RulesError::Twice(line.prefix.clone()));
            }
            seen.push(&line.prefix);
        }
        Ok(())
    }

    pub fn line(&self, prefix: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.prefix == prefix)
    }

    /// The line a booking's ticket goes to: priority walk-ins to the priority line,
    /// express to percepatan, lost or damaged passports to their own line, the rest to the
    /// first line. A line the office does not run falls back to the first.
    pub fn line_for(&self, booking: &Booking) -> &Line {
        let wanted = match (booking.walk_in, booking.service, booking.application) {
            (
                Some(
                    WalkInReason::Elderly | WalkInReason::Disability | WalkInReason::ChildUnderFive,
                ),
                _,
                _,
            ) => self.lines.iter().find(|l| l.priority),
            (_, Service::Express, _) => self.line("B"),
            (_, _, ApplicationType::Lost | ApplicationType::Damaged) => self.line("C"),
            _ => None,
        };
        wanted.unwrap_or(&self.lines[0])
    }
}

/// A ticket number as people read it: `A-3012`.
pub fn label(prefix: &str, number: u32) -> String {
    format!("{prefix}-{number:03}")
}

/// Reads a typed ticket number (`A-3012`, `a3012`, `A 3012`).
pub fn parse_label(text: &str) -> Option<(String, u32)> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    let split = t.find(|c: char| c.is_ascii_digit())?;
    let (prefix, digits) = t.split_at(split);
    let prefix = prefix.to_ascii_uppercase();
    if !(1..=2).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    if digits.is_empty() || digits.len() > 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((prefix, digits.parse().ok()?))
}

/// The numbers counter `counter` may give out on a line in a day.
pub fn block(counter: u32) -> std::ops::RangeInclusive<u32> {
    let base = counter.saturating_mul(BLOCK);
    base + 1..=base + BLOCK - 1
}

/// The next number for `counter`, given the highest it (or an earlier enrollment of the
/// same counter) gave today on the line; `None` when its block is used up.
pub fn next_number(counter: u32, highest: Option<u32>) -> Option<u32> {
    let range = block(counter);
    let next = match highest {
        Some(n) if range.contains(&n) => n + 1,
        _ => *range.start(),
    };
    range.contains(&next).then_some(next)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Issued,
    Called,
    Serving,
    Done,
    NoShow,
    Cancelled,
}

impl TicketState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Called => "called",
            Self::Serving => "serving",
            Self::Done => "done",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<TicketState> {
        [
            Self::Issued,
            Self::Called,
            Self::Serving,
            Self::Done,
            Self::NoShow,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|t| t.label() == s)
    }
    /// Waiting to be called.
    pub fn waiting(self) -> bool {
        self == Self::Issued
    }
    /// Finished one way or another.
    pub fn closed(self) -> bool {
        matches!(self, Self::Done | Self::NoShow | Self::Cancelled)
    }
}

/// What happens to a ticket: the payload of a `ticket.*` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TicketAction {
    Issue {
        day: NaiveDate,
        line: String,
        number: u32,
        /// The booking the ticket is for (a priority walk-in may have none yet).
        booking: Option<String>,
    },
    Call,
    Recall,
    Serve,
    Finish,
    NoShow,
    Reactivate,
    /// To another line, or to one counter (`counter`), where it waits again.
    ///
    /// The target is written `to_counter`: the event's payload flattens this beside
    /// [`TicketEvent::counter`], the counter that acts, and under one name the target
    /// overwrote the actor (pusat then refused every transfer to a counter as "acting as
    /// counter 2 from counter 1").
    Transfer {
        line: String,
        #[serde(
            rename = "to_counter",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        counter: Option<u32>,
    },
    Cancel {
        reason: String,
    },
    /// A supervisor moves a ticket, whoever holds it, to a line or a counter (written
    /// `to_counter`, as for a transfer).
    Reassign {
        line: String,
        #[serde(
            rename = "to_counter",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        counter: Option<u32>,
    },
    /// The supervisor closed the day with the ticket unserved: a no-show with that reason.
    CloseDay,
}

impl TicketAction {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Issue { .. } => "ticket.issue",
            Self::Call => "ticket.call",
            Self::Recall => "ticket.recall",
            Self::Serve => "ticket.serve",
            Self::Finish => "ticket.finish",
            Self::NoShow => "ticket.no_show",
            Self::Reactivate => "ticket.reactivate",
            Self::Transfer { .. } => "ticket.transfer",
            Self::Cancel { .. } => "ticket.cancel",
            Self::Reassign { .. } => "ticket.reassign",
            Self::CloseDay => "ticket.close_day",
        }
    }

    /// Whether only a supervisor may do it (checked at the counter and again at pusat).
    pub fn supervisor_only(&self) -> bool {
        matches!(self, Self::Reassign { .. } | Self::CloseDay)
    }
}

/// The payload of a ticket event as stored and pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub ticket: Uuid,
    /// The counter that acted.
    pub counter: u32,
    #[serde(flatten)]
    pub action: TicketAction,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("ticket {number} is {state:?}; it cannot be {action}")]
    Transition {
        number: String,
        state: TicketState,
        action: &'static str,
    },
    #[error("ticket {number} is called by counter {holder}, not this one")]
    NotHolder { number: String, holder: u32 },
    #[error("a ticket is issued once")]
    Issued,
    #[error("the ticket is already on line {0}")]
    SameLine(String),
}

/// A ticket and its history, as a fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: Uuid,
    pub day: NaiveDate,
    pub line: String,
    pub number: u32,
    pub booking: Option<String>,
    pub state: TicketState,
    /// The counter that gave the number out.
    pub issued_by: u32,
    pub issued_at: DateTime<FixedOffset>,
    /// The counter that called it last, and who.
    pub counter: Option<u32>,
    pub officer: Option<String>,
    pub called_at: Option<DateTime<FixedOffset>>,
    /// How many times it was announced (a recall adds one).
    pub calls: u32,
    pub serving_at: Option<DateTime<FixedOffset>>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// The line it was issued on, when it was transferred since.
    pub transferred_from: Option<String>,
    /// The counter it was transferred to, which calls it before others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_counter: Option<u32>,
    /// Why it was closed without service (cancelled, or the day closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The reason a ticket left unserved at the close of the day carries.
pub const DAY_CLOSED: &str = "day closed";

impl Ticket {
    /// The ticket an `Issue` makes.
    pub fn issue(event: &TicketEvent, at: DateTime<FixedOffset>) -> Result<Ticket, TicketError> {
        let TicketAction::Issue {
            day,
            line,
            number,
            booking,
        } = &event.action
        else {
            return Err(TicketError::Transition {
                number: "?".into(),
                state: TicketState::Issued,
                action: "changed before it is issued",
            });
        };
        Ok(Ticket {
            id: event.ticket,
            day: *day,
            line: line.clone(),
            number: *number,
            booking: booking.clone(),
            state: TicketState::Issued,
            issued_by: event.counter,
            issued_at: at,
            counter: None,
            officer: None,
            called_at: None,
            calls: 0,
            serving_at: None,
            closed_at: None,
            transferred_from: None,
            for_counter: None,
            reason: None,
        })
    }

    /// The number the applicant holds: its issued line's, even after a transfer (numbers
    /// are unique per issued line, and the slip in the applicant's hand never changes).
    pub fn label(&self) -> String {
        label(self.issued_line(), self.number)
    }

    /// The line the number was given on.
    pub fn issued_line(&self) -> &str {
        self.transferred_from.as_deref().unwrap_or(&self.line)
    }

    /// Whether `counter` may do `action` to the ticket now: its state is one of `allowed`,
    /// and, for an action of the holder's (`holder`), once the ticket is called only the
    /// counter that called it.
    fn may(
        &self,
        counter: u32,
        allowed: &[TicketState],
        action: &'static str,
        holder: bool,
    ) -> Result<(), TicketError> {
        if !allowed.contains(&self.state) {
            return Err(TicketError::Transition {
                number: self.label(),
                state: self.state,
                action,
            });
        }
        match self.counter {
            Some(by) if holder && by != counter && self.state != TicketState::Issued => {
                Err(TicketError::NotHolder {
                    number: self.label(),
                    holder: by,
                })
            }
            _ => Ok(()),
        }
    }

    /// Applies one event; the ticket is unchanged when the event breaks a rule.
    pub fn apply(
        &mut self,
        event: &TicketEvent,
        officer: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<(), TicketError> {
        use TicketAction as A;
        use TicketState as S;
        let by = event.counter;
        match &event.action {
            A::Issue { .. } => return Err(TicketError::Issued),
            A::Call => {
                self.may(by, &[S::Issued], "called", false)?;
                self.state = S::Called;
                self.counter = Some(by);
                self.for_counter = None;
                self.officer = Some(officer.to_owned());
                self.called_at = Some(at);
                self.calls += 1;
            }
            A::Recall => {
                self.may(by, &[S::Called], "called again", true)?;
                self.calls += 1;
                self.called_at = Some(at);
            }
            A::Serve => {
                self.may(by, &[S::Called], "served", true)?;
                self.state = S::Serving;
                self.serving_at = Some(at);
            }
            A::Finish => {
                self.may(by, &[S::Serving], "finished", true)?;
                self.state = S::Done;
                self.closed_at = Some(at);
            }
            A::NoShow => {
                self.may(by, &[S::Issued, S::Called], "marked absent", true)?;
                self.state = S::NoShow;
                self.closed_at = Some(at);
            }
            A::Reactivate => {
                self.may(by, &[S::NoShow], "reactivated", false)?;
                self.state = S::Issued;
                self.counter = None;
                self.closed_at = None;
                self.reason = None;
            }
            A::Transfer { line, counter } => {
                self.may(by, &[S::Issued, S::Called, S::Serving], "transferred", true)?;
                if *line == self.line && counter.is_none() {
                    return Err(TicketError::SameLine(line.clone()));
                }
                self.move_to(line, *counter)?;
            }
            A::Reassign { line, counter } => {
                self.may(by, &[S::Issued, S::Called, S::Serving], "reassigned", false)?;
                self.move_to(line, *counter)?;
            }
            A::Cancel { reason } => {
                self.may(by, &[S::Issued, S::Called, S::Serving], "cancelled", false)?;
                self.state = S::Cancelled;
                self.closed_at = Some(at);
                self.reason = Some(reason.clone());
            }
            A::CloseDay => {
                self.may(by, &[S::Issued, S::Called], "closed with the day", false)?;
                self.state = S::NoShow;
                self.closed_at = Some(at);
                self.reason = Some(DAY_CLOSED.to_owned());
            }
        }
        Ok(())
    }

    /// Puts the ticket back to wait on `line`, for `counter` when one is named (a ticket
    /// held by a counter may be put back on its own line: the supervisor releases it).
    fn move_to(&mut self, line: &str, counter: Option<u32>) -> Result<(), TicketError> {
        if line == self.line && counter.is_none() && self.state == TicketState::Issued {
            return Err(TicketError::SameLine(line.to_owned()));
        }
        if line != self.line {
            self.transferred_from
                .get_or_insert_with(|| self.line.clone());
            self.line = line.to_owned();
        }
        self.state = TicketState::Issued;
        self.counter = None;
        self.serving_at = None;
        self.for_counter = counter;
        Ok(())
    }

    /// Minutes waited until called, or until `now` while still waiting.
    pub fn wait_minutes(&self, now: DateTime<FixedOffset>) -> i64 {
        let until = match self.state {
            TicketState::Issued => now,
            _ => self.called_at.unwrap_or(now),
        };
        (until - self.issued_at).num_minutes().max(0)
    }
}

/// Picks the ticket `counter` calls next among `tickets` (the office's tickets of the day,
/// any state), by `rules` at `now`; `None` when nobody waits. A ticket transferred to this
/// counter comes first; one transferred to another counter is left to it.
pub fn pick_next<'a>(
    tickets: &'a [Ticket],
    rules: &QueueRules,
    now: DateTime<FixedOffset>,
    counter: u32,
) -> Option<&'a Ticket> {
    let priority = |t: &Ticket| rules.line(&t.line).is_some_and(|l| l.priority);
    let target = |t: &Ticket| rules.line(&t.line).map_or(60, |l| l.target_minutes) as i64;
    let mut waiting: Vec<&Ticket> = tickets
        .iter()
        .filter(|t| t.state.waiting() && t.for_counter.is_none_or(|c| c == counter))
        .collect();
    waiting.sort_by_key(|t| (t.issued_at, t.number));
    if let Some(mine) = waiting.iter().find(|t| t.for_counter == Some(counter)) {
        return Some(mine);
    }
    if let Some(late) = waiting.iter().find(|t| t.wait_minutes(now) > target(t)) {
        return Some(late);
    }
    // Others called since the last priority call, newest calls first.
    let mut called: Vec<&Ticket> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
    called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
    let since_priority = called.iter().take_while(|t| !priority(t)).count() as u32;
    let any_priority_called = called.iter().any(|t| priority(t));
    let first_priority = waiting.iter().find(|t| priority(t));
    let first_other = waiting.iter().find(|t| !priority(t));
    match (first_priority, first_other) {
        (Some(p), Some(o)) => {
            if !any_priority_called || since_priority >= rules.regular_per_priority {
                Some(p)
            } else {
                Some(o)
            }
        }
        (Some(p), None) => Some(p),
        (None, Some(o)) => Some(o),
        (None, None) => None,
    }
}

/// The day's figures of one line, for the board and the day report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineFigures {
    pub prefix: String,
    pub name: String,
    pub issued: usize,
    pub waiting: usize,
    /// Minutes the longest-waiting ticket has waited.
    pub oldest_wait: Option<i64>,
    pub median_wait: Option<i64>,
    pub p90_wait: Option<i64>,
    /// Of the tickets called, the share called within the line's target (0–100).
    pub within_target: Option<u32>,
    pub done: usize,
    pub no_show: usize,
    pub cancelled: usize,
}

/// One counter's state on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterFigures {
    pub counter: u32,
    pub officer: Option<String>,
    /// The ticket it calls or serves now.
    pub current: Option<(String, TicketState)>,
    /// Minutes in the current state.
    pub minutes: i64,
    pub served: usize,
    /// Median minutes from serving to done.
    pub median_service: Option<i64>,
}

/// The whole day's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayFigures {
    pub lines: Vec<LineFigures>,
    pub counters: Vec<CounterFigures>,
    /// Tickets done per hour of the office day (index 0 = 07:00).
    pub per_hour: Vec<u64>,
    pub issued: usize,
    pub waiting: usize,
    pub done: usize,
    pub no_show: usize,
    /// Median and 90th-percentile service minutes (serving to done), all counters.
    pub median_service: Option<i64>,
    pub p90_service: Option<i64>,
    pub alerts: Vec<Alert>,
}

/// Something a supervisor should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// A line's oldest ticket waits longer than the target.
    WaitOverTarget {
        line: String,
        minutes: i64,
        target: u32,
    },
    /// A counter called nobody for a while though people wait.
    IdleCounter { counter: u32, minutes: i64 },
}

/// The first hour of the per-hour chart.
pub const FIRST_HOUR: u32 = 7;
/// Hours in the per-hour chart (07:00 to 18:00).
pub const HOURS: usize = 11;
/// A counter with nothing called for this long while people wait is idle.
pub const IDLE_MINUTES: i64 = 10;

/// The `q`-th percentile (0–100) of sorted values, nearest rank.
pub fn percentile(sorted: &[i64], q: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q as usize * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The board's figures for the tickets of a day at `now`.
pub fn figures(tickets: &[Ticket], rules: &QueueRules, now: DateTime<FixedOffset>) -> DayFigures {
    use chrono::Timelike;
    let mut out = DayFigures {
        per_hour: vec![0; HOURS],
        ..DayFigures::default()
    };
    let mut lines: Vec<LineFigures> = rules
        .lines
        .iter()
        .map(|l| LineFigures {
            prefix: l.prefix.clone(),
            name: l.name.clone(),
            ..LineFigures::default()
        })
        .collect();
    let mut waits: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut within: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut service: Vec<i64> = Vec::new();
    let mut counters: BTreeMap<u32, (Vec<&Ticket>, Vec<i64>)> = BTreeMap::new();
    for t in tickets {
        let Some(i) = lines.iter().position(|l| l.prefix == t.line) else {
            continue;
        };
        let line = &mut lines[i];
        line.issued += 1;
        match t.state {
            TicketState::Issued => {
                line.waiting += 1;
                let w = t.wait_minutes(now);
                line.oldest_wait = Some(line.oldest_wait.map_or(w, |o| o.max(w)));
            }
            TicketState::Done => line.done += 1,
            TicketState::NoShow => line.no_show += 1,
            TicketState::Cancelled => line.cancelled += 1,
            _ => {}
        }
        if t.called_at.is_some() {
            let w = t.wait_minutes(now);
            waits.entry(&rules.lines[i].prefix).or_default().push(w);
            let e = within.entry(&rules.lines[i].prefix).or_default();
            e.1 += 1;
            if w <= rules.lines[i].target_minutes as i64 {
                e.0 += 1;
            }
        }
        if let Some(counter) = t.counter {
            let entry = counters.entry(counter).or_default();
            entry.0.push(t);
            if let (TicketState::Done, Some(from), Some(to)) = (t.state, t.serving_at, t.closed_at)
            {
                let m = (to - from).num_minutes().max(0);
                entry.1.push(m);
                service.push(m);
            }
        }
        if t.state == TicketState::Done
            && let Some(done) = t.closed_at
        {
            let hour = done.hour();
            if hour >= FIRST_HOUR && ((hour - FIRST_HOUR) as usize) < HOURS {
                out.per_hour[(hour - FIRST_HOUR) as usize] += 1;
            }
        }
    }
    for line in &mut lines {
        if let Some(w) = waits.get_mut(line.prefix.as_str()) {
            w.sort_unstable();
            line.median_wait = percentile(w, 50);
            line.p90_wait = percentile(w, 90);
        }
        if let Some((ok, all)) = within.get(line.prefix.as_str())
            && *all > 0
        {
            line.within_target = Some(ok * 100 / all);
        }
    }
    service.sort_unstable();
    out.median_service = percentile(&service, 50);
    out.p90_service = percentile(&service, 90);
    let people_wait = lines.iter().any(|l| l.waiting > 0);
    for (counter, (mut held, mut times)) in counters {
        held.sort_by_key(|t| t.called_at);
        times.sort_unstable();
        let last = held.last().copied();
        let current =
            last.filter(|t| matches!(t.state, TicketState::Called | TicketState::Serving));
        let since = current
            .and_then(|t| t.serving_at.or(t.called_at))
            .or_else(|| last.and_then(|t| t.closed_at.or(t.called_at)));
        let minutes = since.map_or(0, |s| (now - s).num_minutes().max(0));
        if current.is_none() && people_wait && minutes >= IDLE_MINUTES {
            out.alerts.push(Alert::IdleCounter { counter, minutes });
        }
        out.counters.push(CounterFigures {
            counter,
            officer: current.or(last).and_then(|t| t.officer.clone()),
            current: current.map(|t| (t.label(), t.state)),
            minutes,
            served: held.iter().filter(|t| t.state == TicketState::Done).count(),
            median_service: percentile(&times, 50),
        });
    }
    for (line, rule) in lines.iter().zip(&rules.lines) {
        if let Some(w) = line.oldest_wait
            && w > rule.target_minutes as i64
        {
            out.alerts.push(Alert::WaitOverTarget {
                line: line.prefix.clone(),
                minutes: w,
                target: rule.target_minutes,
            });
        }
    }
    out.issued = lines.iter().map(|l| l.issued).sum();
    out.waiting = lines.iter().map(|l| l.waiting).sum();
    out.done = lines.iter().map(|l| l.done).sum();
    out.no_show = lines.iter().map(|l| l.no_show).sum();
    out.lines = lines;
    out
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
