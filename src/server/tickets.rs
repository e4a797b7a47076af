//! The queue at pusat: `ticket.*` events projected onto `tickets`, each ticket locked while
//! its event applies, so of two counters calling the same ticket at once exactly one gets
//! it (a compare-and-set on the ticket's state). The other's call is kept as a conflict and
//! the ticket's true state goes to the office's feed, so both counters see who has it.
//!
//! What a counter may do is checked against pusat's own records first: the ticket is of the
//! device's office, the event's counter is the device's, an issued number is in the
//! device's block and new, the line is one the office runs, the officer is on the roster.
//! An event that breaks one of these is refused (kept, not applied, listed for a person).

use std::collections::HashMap;

use uuid::Uuid;

use super::auth::Device;
use super::trust::Guard;
use super::{ApiError, Result, repo};
use crate::domain::queue::{self, QueueRules, Ticket, TicketAction, TicketEvent, TicketState};
use crate::protocol::{CallRequest, CallResponse, Change, ErrorCode, WireEvent};

/// What became of the ticket events (or approval answers) of one push.
#[derive(Default)]
pub struct Outcome<'a> {
    pub changes: Vec<Change>,
    pub refused: Vec<(&'a WireEvent, String)>,
}

async fn rules(tx: &impl tokio_postgres::GenericClient, office: &str) -> Result<QueueRules> {
    let config = repo::offices::get(tx, office)
        .await?
        .map(|(_, config)| config)
        .unwrap_or_default();
    // Settings pusat itself refused to store never get here; fall back to the defaults.
    Ok(QueueRules::from_office_config(&config).unwrap_or_default())
}

/// Why a ticket may not be issued for `day` and `booking`, if it may not: a day not today
/// (see [`near_today`]), a booking of another office or none pusat knows.
async fn refuse_issue(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    day: chrono::NaiveDate,
    booking: Option<&str>,
) -> Result<Option<String>> {
    if !repo::tickets::near_today(tx, day).await? {
        return Ok(Some(format!("a ticket for {day} is not for today")));
    }
    let Some(code) = booking else {
        return Ok(None);
    };
    let office = repo::bookings::office_of(tx, code).await?;
    Ok(match office {
        Some(o) if o == device.office => None,
        Some(_) => Some(format!("booking {code} belongs to another office")),
        None => Some(format!("booking {code} is unknown to pusat")),
    })
}

/// When pusat takes a number to have been issued: when the event reached it, in the
/// counter's offset. The queue is ordered by issue times, and a counter's clock is the
/// counter's word: one that says a number was issued at 06:00 would put it ahead of all who
/// waited. (A number a counter issued offline is ordered from when its push arrived.)
fn received(
    device_time: chrono::DateTime<chrono::FixedOffset>,
) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(device_time.offset())
}

/// Whether counter `by` holds `ticket` for a no-show or a cancellation: it called it and
/// has it now, or, while it waits, it waits for that counter (transferred to it), or else
/// that counter gave the number out.
fn holds(ticket: &Ticket, by: u32) -> bool {
    match ticket.state {
        TicketState::Called | TicketState::Serving => ticket.counter == Some(by),
        TicketState::Issued => ticket.for_counter.unwrap_or(ticket.issued_by) == by,
        _ => false,
    }
}

/// Applies the `ticket.*` events of a push (already stored), in order.
pub async fn apply<'a>(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    guard: &Guard,
    events: &[&'a WireEvent],
) -> Result<Outcome<'a>> {
    let mut out = Outcome::default();
    if events.is_empty() {
        return Ok(out);
    }
    let rules = rules(tx, &device.office).await?;
    for &event in events {
        let parsed: TicketEvent = match serde_json::from_value(event.payload.clone()) {
            Ok(p) => p,
            Err(e) => {
                out.refused
                    .push((event, format!("ticket event not understood: {e}")));
                continue;
            }
        };
        if parsed.action.kind() != event.kind {
            out.refused.push((
                event,
                format!(
                    "the event is {}, its payload {}",
                    event.kind,
                    parsed.action.kind()
                ),
            ));
            continue;
        }
        if parsed.counter as i32 != device.counter {
            out.refused.push((
                event,
                format!(
                    "the event acts as counter {}, the device is counter {}",
                    parsed.counter, device.counter
                ),
            ));
            continue;
        }
        if let Some(why) = guard.officer(event) {
            out.refused.push((event, why));
            continue;
        }
        if parsed.action.supervisor_only() && !guard.is_supervisor(&event.officer) {
            out.refused.push((
                event,
                format!(
                    "{} is for a supervisor; {:?} is not an active supervisor of {}",
                    event.kind, event.officer, device.office
                ),
            ));
            continue;
        }
        if let TicketAction::Transfer { line, .. } | TicketAction::Reassign { line, .. } =
            &parsed.action
            && rules.line(line).is_none()
        {
            out.refused.push((
                event,
                format!("office {} has no line {line}", device.office),
            ));
            continue;
        }
        if let TicketAction::Transfer {
            counter: Some(to), ..
        }
        | TicketAction::Reassign {
            counter: Some(to), ..
        } = &parsed.action
        {
            let counters = repo::devices::counters_seen(tx, &device.office).await?;
            if !counters
                .iter()
                .any(|(c, _)| i64::from(*c) == i64::from(*to))
            {
                out.refused.push((
                    event,
                    format!("office {} has no counter {to}", device.office),
                ));
                continue;
            }
        }
        let stored = repo::tickets::load(tx, parsed.ticket).await?;
        let ticket = match (&parsed.action, stored) {
            (
                TicketAction::Issue {
                    line,
                    number,
                    day,
                    booking,
                },
                None,
            ) => {
                if let Some(why) = refuse_issue(tx, device, *day, booking.as_deref()).await? {
                    out.refused.push((event, why));
                    continue;
                }
                let Some(rules_line) = rules.line(line) else {
                    out.refused.push((
                        event,
                        format!("office {} has no line {line}", device.office),
                    ));
                    continue;
                };
                // The line's quota for the day, whoever gives the numbers out (a line
                // without one is bounded by each counter's block of numbers).
                if let Some(quota) = rules_line.quota
                    && repo::tickets::issued_on(tx, &device.office, *day, line).await?
                        >= i64::from(quota)
                {
                    out.refused.push((
                        event,
                        format!("line {line} reached its quota of {quota} for {day}"),
                    ));
                    continue;
                }
                if !queue::block(device.counter.max(0) as u32).contains(number) {
                    out.refused.push((
                        event,
                        format!(
                            "number {} is outside counter {}'s block",
                            queue::label(line, *number),
                            device.counter
                        ),
                    ));
                    continue;
                }
                let ticket = match Ticket::issue(&parsed, received(event.device_time)) {
                    Ok(t) => t,
                    Err(e) => {
                        out.refused.push((event, e.to_string()));
                        continue;
                    }
                };
                if !repo::tickets::insert(tx, &device.office, device.id, &ticket).await? {
                    out.refused.push((
                        event,
                        format!("number {} was given out twice today", ticket.label()),
                    ));
                    continue;
                }
                ticket
            }
            (TicketAction::Issue { .. }, Some(_)) => {
                out.refused
                    .push((event, format!("ticket {} is already issued", parsed.ticket)));
                continue;
            }
            (_, None) => {
                out.refused.push((
                    event,
                    format!("ticket {} is unknown to pusat", parsed.ticket),
                ));
                continue;
            }
            (_, Some((office, _))) if office != device.office => {
                out.refused.push((
                    event,
                    format!("ticket {} belongs to another office", parsed.ticket),
                ));
                continue;
            }
            // The call pusat already made for this counter (`POST /queue/call`), now in
            // its outbox: the same call, not a second one.
            (TicketAction::Call, Some((_, ticket)))
                if ticket.state != TicketState::Issued
                    && ticket.counter == Some(parsed.counter) =>
            {
                continue;
            }
            // Only the counter that holds a number, or a supervisor, empties it.
            (TicketAction::NoShow | TicketAction::Cancel { .. }, Some((_, ticket)))
                if !holds(&ticket, parsed.counter) && !guard.is_supervisor(&event.officer) =>
            {
                out.refused.push((
                    event,
                    format!(
                        "{} is not counter {}'s to {}: only the counter holding it, or a supervisor",
                        ticket.label(),
                        parsed.counter,
                        if parsed.action == TicketAction::NoShow {
                            "mark absent"
                        } else {
                            "cancel"
                        }
                    ),
                ));
                continue;
            }
            (_, Some((_, mut ticket))) => {
                // A counter holds one number at a time: a call (made offline, or one whose
                // answer from pusat was lost) while pusat has it hold another is a clash,
                // told to the counter as one.
                let holding = match parsed.action {
                    TicketAction::Call => {
                        repo::tickets::held_by(
                            tx,
                            &device.office,
                            ticket.day,
                            parsed.counter,
                            ticket.id,
                        )
                        .await?
                    }
                    _ => None,
                };
                let applied = match holding {
                    Some(held) => Err(format!(
                        "counter {} still has {} called or being served",
                        parsed.counter,
                        held.label()
                    )),
                    None => ticket
                        .apply(&parsed, &event.officer, event.device_time)
                        .map_err(|e| e.to_string()),
                };
                match applied {
                    Ok(()) => repo::tickets::update(tx, &ticket).await?,
                    // A race lost (another counter called first): the counter is told
                    // through the feed below, with the ticket as it stands.
                    Err(e) => repo::tickets::conflict(tx, device, event.id, ticket.id, &e).await?,
                }
                ticket
            }
        };
        out.changes.push(Change::Ticket(ticket));
    }
    Ok(out)
}

/// The calls being made now, per office. Each office has one caller task: the calls that
/// arrive while it works wait, and it then serves all of them in one transaction (one read
/// of the office's waiting tickets, one compare-and-set per call, one feed append, one
/// commit). Callers of one office never choose the same ticket, since one task chooses for
/// all of them in turn; fifty counters pressing F6 together cost two or three transactions,
/// not fifty that wait on each other's locks. The compare-and-set (the ticket must still be
/// waiting when its row is written) keeps a push from a counter that called offline, or
/// another pusat process, from ever being overwritten.
#[derive(Default)]
pub struct CallDesk {
    offices: std::sync::Mutex<HashMap<String, tokio::sync::mpsc::UnboundedSender<Waiting>>>,
}

/// A call waiting for its office's caller task.
struct Waiting {
    officer: String,
    day: chrono::NaiveDate,
    counter: u32,
    answer: tokio::sync::oneshot::Sender<Result<Option<Ticket>>>,
}

impl CallDesk {
    /// Hands `call` to its office's caller task (started on the office's first call).
    fn send(&self, pool: &deadpool_postgres::Pool, office: &str, call: Waiting) -> Result<()> {
        let mut offices = self
            .offices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sender = offices.entry(office.to_owned()).or_insert_with(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(caller(pool.clone(), office.to_owned(), rx));
            tx
        });
        if let Err(back) = sender.send(call) {
            // The task ended (it never does unless pusat stops): start it again.
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(caller(pool.clone(), office.to_owned(), rx));
            tx.send(back.0)
                .map_err(|_| ApiError::Internal("the office's caller task is gone".into()))?;
            *sender = tx;
        }
        Ok(())
    }
}

/// The caller task of `office`: serves every call waiting, in the order they came.
async fn caller(
    pool: deadpool_postgres::Pool,
    office: String,
    mut calls: tokio::sync::mpsc::UnboundedReceiver<Waiting>,
) {
    // The task keeps its connection while the office calls (never waiting for one behind
    // the pushes and pulls of fifty counters), and gives it back after a quiet while.
    let mut held: Option<deadpool_postgres::Object> = None;
    // What the task knows of the office, kept current from the office's feed.
    let mut view: Option<OfficeView> = None;
    loop {
        let first = match tokio::time::timeout(HOLD_CONNECTION, calls.recv()).await {
            Ok(Some(call)) => call,
            Ok(None) => return,
            Err(_) => {
                held = None;
                match calls.recv().await {
                    Some(call) => call,
                    None => return,
                }
            }
        };
        let mut batch = vec![first];
        while let Ok(more) = calls.try_recv() {
            batch.push(more);
        }
        let served = match &mut held {
            Some(client) => serve_calls(client, &office, &batch, &mut view).await,
            None => match pool.get().await {
                Ok(client) => serve_calls(held.insert(client), &office, &batch, &mut view).await,
                Err(e) => Err(e.into()),
            },
        };
        let answers = match served {
            Ok(answers) => answers,
            Err(e) => {
                // The connection may be what failed: the next batch takes a fresh one, and
                // reads the office afresh.
                held = None;
                view = None;
                tracing::warn!(office = %office, error = %e, "queue calls failed");
                batch
                    .iter()
                    .map(|_| Err(ApiError::Internal(format!("calling failed: {e}"))))
                    .collect()
            }
        };
        for (call, answer) in batch.into_iter().zip(answers) {
            // A caller that went away (its connection closed) lost nothing: its ticket
            // is called for its counter, which sees it in the feed.
            let _ = call.answer.send(answer);
        }
    }
}

/// How long an office's caller task keeps its connection with no call coming.
const HOLD_CONNECTION: std::time::Duration = std::time::Duration::from_secs(30);

/// How often one call chooses again when the ticket it chose was changed by a push.
const CALL_TRIES: usize = 5;

/// How old what the caller task knows of its office may be when a batch starts; older, it
/// reads the feed first. In a burst of calls every batch's write also reads what changed
/// (see [`write_called`]), so the view stays this fresh without a read of its own.
const FRESH: std::time::Duration = std::time::Duration::from_millis(500);

/// A batch of calls of `office`; one answer per call. In the common case (the office's
/// view fresh, no ticket taken by a push meanwhile) this is one statement, so one round
/// trip to PostgreSQL.
///
/// No transaction spans the batch: the choices are made from the task's view, which may
/// be up to [`FRESH`] old, and the write checks for every ticket that it is still waiting
/// and that the officer is still active, at the moment of writing. A stale view can
/// therefore only make a call choose again, never give a ticket twice nor let a removed
/// officer call; and "nobody is waiting" is only answered from a view read in this batch.
async fn serve_calls(
    client: &mut deadpool_postgres::Object,
    office: &str,
    batch: &[Waiting],
    view: &mut Option<OfficeView>,
) -> Result<Vec<Result<Option<Ticket>>>> {
    let db: &tokio_postgres::Client = client;
    let mut read_now = false;
    let v = match view {
        Some(v) if v.read_at.elapsed() < FRESH => v,
        Some(v) => {
            v.catch_up(db, office).await?;
            read_now = true;
            v
        }
        None => {
            read_now = true;
            view.insert(OfficeView::load(db, office).await?)
        }
    };
    let now = chrono::Utc::now().fixed_offset();
    let mut answers: Vec<Option<Result<Option<Ticket>>>> = batch.iter().map(|_| None).collect();
    let mut days = v.queues(db, office, batch).await?;
    // A counter calls with empty hands: one that still has a number called or being served
    // is refused, by what pusat read in this batch (a finish pushed just before the call
    // may be newer than the view).
    if !read_now && batch.iter().any(|c| v.held(c.day, c.counter).is_some()) {
        v.catch_up(db, office).await?;
        read_now = true;
        days = v.queues(db, office, batch).await?;
    }
    let mut given: std::collections::HashSet<(chrono::NaiveDate, u32)> = Default::default();
    for (call, answer) in batch.iter().zip(&mut answers) {
        if !v.roster.contains(&call.officer) {
            *answer = Some(Err(not_on_roster(office, &call.officer)));
        } else if let Some(held) = v.held(call.day, call.counter) {
            *answer = Some(Err(holding(call.counter, held)));
        }
    }
    for _ in 0..CALL_TRIES {
        for (call, answer) in batch.iter().zip(&mut answers) {
            if answer.is_none() && !v.roster.contains(&call.officer) {
                *answer = Some(Err(not_on_roster(office, &call.officer)));
            }
        }
        // Every call still unanswered chooses in turn, in memory (each choice sees the ones
        // before it as called); then one compare-and-set writes them all.
        let rules = v.rules.clone();
        let mut chosen: Vec<(usize, Ticket)> = Vec::new();
        let mut none_left = Vec::new();
        for (n, call) in batch.iter().enumerate() {
            if answers[n].is_some() {
                continue;
            }
            // Two calls of one counter in one batch: the first is its call.
            if let Some(mine) = chosen
                .iter()
                .find(|(m, _)| (batch[*m].day, batch[*m].counter) == (call.day, call.counter))
                .map(|(_, t)| t.clone())
            {
                answers[n] = Some(Err(holding(call.counter, &mine)));
                continue;
            }
            let Some(tickets) = days.get_mut(&call.day) else {
                continue;
            };
            let Some(i) = queue::pick_next(tickets, &rules, now, call.counter)
                .and_then(|next| tickets.iter().position(|t| t.id == next.id))
            else {
                none_left.push(n);
                continue;
            };
            let event = TicketEvent {
                ticket: tickets[i].id,
                counter: call.counter,
                action: TicketAction::Call,
            };
            tickets[i]
                .apply(&event, &call.officer, now)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            chosen.push((n, tickets[i].clone()));
        }
        if chosen.is_empty() && !none_left.is_empty() && !read_now {
            // Nothing to give by what the task knew: read what changed, then choose again.
            v.catch_up(db, office).await?;
            read_now = true;
            days = v.queues(db, office, batch).await?;
            continue;
        }
        for n in none_left {
            answers[n] = Some(Ok(None));
        }
        if chosen.is_empty() {
            break;
        }
        let written = write_called(db, office, &chosen, v).await?;
        let mut lost = Vec::new();
        for (n, ticket) in &chosen {
            if written.contains(&ticket.id) {
                v.keep(ticket);
                given.insert((batch[*n].day, batch[*n].counter));
            }
        }
        for (n, ticket) in chosen {
            let call = &batch[n];
            if written.contains(&ticket.id) {
                answers[n] = Some(Ok(Some(ticket)));
            } else if !v.roster.contains(&call.officer) {
                answers[n] = Some(Err(not_on_roster(office, &call.officer)));
            } else if let Some(held) = v
                .held(call.day, call.counter)
                .filter(|_| !given.contains(&(call.day, call.counter)))
            {
                // A push made this counter hold a number meanwhile (the write checks it).
                answers[n] = Some(Err(holding(call.counter, held)));
            } else {
                lost.push(ticket.id);
            }
        }
        if lost.is_empty() {
            break;
        }
        // A push changed these since they were read: take them as they stand (and choose
        // again for their calls on the next round).
        for fresh in repo::tickets::by_ids(db, &lost).await? {
            v.keep(&fresh);
        }
        days = v.queues(db, office, batch).await?;
    }
    Ok(answers
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| {
                Err(ApiError::Client(
                    ErrorCode::Conflict,
                    "the queue changed under every try; call again".into(),
                ))
            })
        })
        .collect())
}

fn holding(counter: u32, held: &Ticket) -> ApiError {
    ApiError::Holding {
        counter,
        held: held.label(),
    }
}

fn not_on_roster(office: &str, officer: &str) -> ApiError {
    ApiError::Client(
        ErrorCode::Forbidden,
        format!("officer {officer:?} is not active on the roster of {office}"),
    )
}

/// Writes the `chosen` tickets called, each only if it is still waiting and its officer
/// still active at `office` (the compare-and-set), and appends those written to `office`'s
/// feed; in the same statement reads what the feed gained since `view` last read it, and
/// applies that to `view`. One round trip to PostgreSQL, one commit. Returns the ids
/// written.
///
/// The feed append is the one of [`super::feed::append`]: the office's feed row is locked
/// by the upsert and held to the commit, so positions commit in order; as in every other
/// writer, ticket rows are locked before the feed row. The feed is read as of the
/// statement's start, so before this write: what commits meanwhile is read next time.
async fn write_called(
    db: &tokio_postgres::Client,
    office: &str,
    chosen: &[(usize, Ticket)],
    view: &mut OfficeView,
) -> Result<std::collections::HashSet<Uuid>> {
    let ids: Vec<Uuid> = chosen.iter().map(|(_, t)| t.id).collect();
    let states: Vec<&str> = chosen.iter().map(|(_, t)| t.state.label()).collect();
    let counters: Vec<Option<i32>> = chosen
        .iter()
        .map(|(_, t)| t.counter.map(|c| c as i32))
        .collect();
    let officers: Vec<&str> = chosen
        .iter()
        .map(|(_, t)| t.officer.as_deref().unwrap_or_default())
        .collect();
    let bodies = chosen
        .iter()
        .map(|(_, t)| serde_json::to_value(t))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let feed_bodies = chosen
        .iter()
        .map(|(_, t)| serde_json::to_value(Change::Ticket(t.clone())))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let called = repo::tickets::Called {
        office,
        ids: &ids,
        states: &states,
        counters: &counters,
        bodies: &bodies,
        feed_bodies: &feed_bodies,
        officers: &officers,
    };
    let (written, mut seen) = repo::tickets::write_called(db, &called, view.cursor).await?;
    seen.sort_by_key(|(pos, _)| *pos);
    view.apply(seen)?;
    Ok(written)
}

/// What an office's caller task knows of the office: its queue rules, its active roster,
/// and its tickets of the days called, read once and then kept current from the office's
/// change feed (whose positions commit in order, so reading past the last position seen
/// misses nothing). A batch then reads only what changed since the last, instead of every
/// waiting ticket of the day.
struct OfficeView {
    cursor: i64,
    /// When the feed was last read up to `cursor`.
    read_at: std::time::Instant,
    rules: QueueRules,
    roster: std::collections::HashSet<String>,
    days: HashMap<chrono::NaiveDate, HashMap<Uuid, Ticket>>,
}

impl OfficeView {
    async fn load(tx: &tokio_postgres::Client, office: &str) -> Result<OfficeView> {
        // The position first: what commits after it is read again below, which is harmless.
        let cursor = repo::feed::last(tx, office).await?;
        let roster = repo::officers::active(tx, office)
            .await?
            .into_iter()
            .collect();
        Ok(OfficeView {
            cursor,
            read_at: std::time::Instant::now(),
            rules: rules(tx, office).await?,
            roster,
            days: HashMap::new(),
        })
    }

    /// Applies what the office's feed says changed since the last batch.
    async fn catch_up(&mut self, db: &tokio_postgres::Client, office: &str) -> Result<()> {
        let read_at = std::time::Instant::now();
        let rows = repo::feed::queue_changes_after(db, office, self.cursor).await?;
        self.apply(rows)?;
        self.read_at = read_at;
        Ok(())
    }

    /// Applies feed entries (position, body), in the order of their positions.
    fn apply(&mut self, entries: impl IntoIterator<Item = (i64, serde_json::Value)>) -> Result<()> {
        for (pos, body) in entries {
            self.cursor = self.cursor.max(pos);
            let change: Change = serde_json::from_value(body)
                .map_err(|e| ApiError::Internal(format!("feed entry: {e}")))?;
            match change {
                Change::Ticket(t) => self.keep(&t),
                Change::Office(info) => {
                    let config = serde_json::Value::Object(info.config);
                    self.rules = QueueRules::from_office_config(&config).unwrap_or_default();
                }
                Change::Officer(o) if o.active => {
                    self.roster.insert(o.username);
                }
                Change::Officer(o) => {
                    self.roster.remove(&o.username);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The tickets each day of `batch` chooses from (see [`OfficeView::queue`]).
    async fn queues(
        &mut self,
        db: &tokio_postgres::Client,
        office: &str,
        batch: &[Waiting],
    ) -> Result<HashMap<chrono::NaiveDate, Vec<Ticket>>> {
        let mut days = HashMap::new();
        for call in batch {
            if let std::collections::hash_map::Entry::Vacant(day) = days.entry(call.day) {
                day.insert(self.queue(db, office, call.day).await?);
            }
        }
        Ok(days)
    }

    /// The number `counter` has called or serves on `day`, as far as the view knows (the
    /// day must be read: see [`OfficeView::queues`]).
    fn held(&self, day: chrono::NaiveDate, counter: u32) -> Option<&Ticket> {
        self.days.get(&day)?.values().find(|t| {
            matches!(t.state, TicketState::Called | TicketState::Serving)
                && t.counter == Some(counter)
        })
    }

    /// A ticket as it now stands, if its day is kept.
    fn keep(&mut self, ticket: &Ticket) {
        if let Some(day) = self.days.get_mut(&ticket.day) {
            day.insert(ticket.id, ticket.clone());
        }
    }

    /// The tickets the rule chooses from on `day`: every waiting one, and the last called
    /// ones (the priority ratio counts them).
    async fn queue(
        &mut self,
        db: &tokio_postgres::Client,
        office: &str,
        day: chrono::NaiveDate,
    ) -> Result<Vec<Ticket>> {
        if !self.days.contains_key(&day) {
            let tickets: HashMap<Uuid, Ticket> = repo::tickets::of_day(db, office, day)
                .await?
                .into_iter()
                .map(|t| (t.id, t))
                .collect();
            // Days long past are of no use to a call.
            self.days.retain(|d, _| (day - *d).num_days().abs() <= 2);
            self.days.insert(day, tickets);
        }
        let all = self
            .days
            .get(&day)
            .map(|d| d.values())
            .into_iter()
            .flatten();
        let mut called: Vec<&Ticket> = all
            .clone()
            .filter(|t| t.state != TicketState::Issued && t.called_at.is_some())
            .collect();
        // Only the last few calls count: pick them out without sorting the whole day.
        let last = self.rules.regular_per_priority as usize + 1;
        if called.len() > last {
            called.select_nth_unstable_by_key(last, |t| std::cmp::Reverse(t.called_at));
            called.truncate(last);
        }
        called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
        let mut out: Vec<Ticket> = all
            .filter(|t| t.state == TicketState::Issued)
            .cloned()
            .collect();
        // In a fixed order, so equal claims resolve the same way every time.
        out.sort_by(|a, b| (a.issued_at, &a.line, a.number).cmp(&(b.issued_at, &b.line, b.number)));
        out.extend(called.into_iter().cloned());
        Ok(out)
    }
}

/// `POST /queue/call`: pusat chooses the next ticket of the device's office by the office's
/// rule and gives it to this counter. Two counters calling at the same instant get
/// different tickets (see [`CallDesk`]).
#[utoipa::path(post, path = "/queue/call", tag = "queue", security(("device" = [])),
    request_body = CallRequest,
    responses(
        (status = 200, description = "The ticket this counter calls, or none waiting", body = CallResponse),
        (status = 401, description = "No valid device credential", body = crate::protocol::ErrorBody),
        (status = 403, description = "A display, or an officer not on the office's roster", body = crate::protocol::ErrorBody),
    ))]
pub async fn call(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    device: Device,
    super::ApiJson(req): super::ApiJson<CallRequest>,
) -> Result<axum::Json<CallResponse>> {
    // Office zones and a counter's clock: pusat's today give or take one day.
    let today = chrono::Utc::now().date_naive();
    if req.day < today - chrono::Days::new(1) || req.day > today + chrono::Days::new(1) {
        return Err(ApiError::bad(format!("{} is not today", req.day)));
    }
    let (answer, answered) = tokio::sync::oneshot::channel();
    state.calls.send(
        &state.pool,
        &device.office,
        Waiting {
            officer: req.officer,
            day: req.day,
            counter: device.counter.max(0) as u32,
            answer,
        },
    )?;
    let ticket = answered
        .await
        .map_err(|_| ApiError::Internal("the office's caller task is gone".into()))??;
    Ok(axum::Json(CallResponse { ticket }))
}

/// The day report of `office` from pusat's tickets (`day`: today at the office when
/// `None`), as of now or the end of that day.
pub async fn day_report(
    client: &tokio_postgres::Client,
    office: &str,
    day: Option<chrono::NaiveDate>,
) -> Result<crate::domain::day_report::DayReport> {
    let (zone, config) = repo::offices::get(client, office)
        .await?
        .ok_or_else(|| ApiError::bad(format!("no office {office}")))?;
    let zone = crate::domain::Zone::parse(&zone).unwrap_or(crate::domain::Zone::Wib);
    let rules = QueueRules::from_office_config(&config).unwrap_or_default();
    let now = zone.local(chrono::Utc::now());
    let day = day.unwrap_or_else(|| now.date_naive());
    let tickets = repo::tickets::of_day(client, office, day).await?;
    let end = day
        .and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(*now.offset()).single())
        .unwrap_or(now);
    // Every counter's case events of the day (office time), pusat's refusals left out.
    let milestones = repo::events::milestones(client, office, day).await?;
    Ok(
        crate::domain::day_report::DayReport::new(office, day, tickets, &rules, now.min(end))
            .with_steps(&milestones),
    )
}

/// `GET /office/status`: the device's office's counters with when pusat last heard from
/// each, and today's clashed calls and refused events, for the supervisor's board. A
/// display may not ask (it reads calls only).
#[utoipa::path(get, path = "/office/status", tag = "queue", security(("device" = [])),
    responses(
        (status = 200, description = "The office's counters and today's problems", body = crate::protocol::OfficeStatus),
        (status = 401, description = "No valid device credential", body = crate::protocol::ErrorBody),
        (status = 403, description = "A display's credential", body = crate::protocol::ErrorBody),
    ))]
pub async fn office_status(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    device: Device,
) -> Result<axum::Json<crate::protocol::OfficeStatus>> {
    let client = state.pool.get().await?;
    let seen = repo::devices::counters_seen(&**client, &device.office).await?;
    let counters = seen
        .into_iter()
        .map(|(counter, last_seen)| crate::protocol::CounterSeen {
            counter: counter.max(0) as u32,
            last_seen,
        })
        .collect();
    let (conflicts, refused) = repo::tickets::problems_today(&**client, &device.office).await?;
    let locked = repo::officers::locked(&**client, &device.office).await?;
    Ok(axum::Json(crate::protocol::OfficeStatus {
        counters,
        conflicts_today: conflicts.max(0) as u32,
        refused_today: refused.max(0) as u32,
        locked,
    }))
}
