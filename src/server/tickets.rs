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
use std::sync::Arc;

use uuid::Uuid;

use super::auth::Device;
use super::trust::Guard;
use super::{ApiError, Result};
use crate::domain::queue::{self, QueueRules, Ticket, TicketAction, TicketEvent, TicketState};
use crate::protocol::{CallRequest, CallResponse, Change, ErrorCode, WireEvent};

/// What became of the ticket events of one push.
#[derive(Default)]
pub struct Outcome<'a> {
    pub changes: Vec<Change>,
    pub refused: Vec<(&'a WireEvent, String)>,
}

async fn rules(tx: &tokio_postgres::Transaction<'_>, office: &str) -> Result<QueueRules> {
    let config: serde_json::Value = tx
        .query_one("SELECT config FROM offices WHERE code = $1", &[&office])
        .await?
        .get(0);
    // Settings pusat itself refused to store never get here; fall back to the defaults.
    Ok(QueueRules::from_office_config(&config).unwrap_or_default())
}

async fn load(tx: &tokio_postgres::Transaction<'_>, id: Uuid) -> Result<Option<(String, Ticket)>> {
    let row = tx
        .query_opt(
            "SELECT office, body FROM tickets WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?;
    row.map(|r| {
        let ticket = serde_json::from_value(r.get(1))
            .map_err(|e| ApiError::Internal(format!("stored ticket {id}: {e}")))?;
        Ok((r.get(0), ticket))
    })
    .transpose()
}

/// Stores a new ticket; `false` when its number is given already (the
/// (office, day, line, number) key) or the ticket exists.
async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    office: &str,
    device: Uuid,
    ticket: &Ticket,
) -> Result<bool> {
    let body = serde_json::to_value(ticket).map_err(|e| ApiError::Internal(e.to_string()))?;
    let written = tx
        .execute(
            "INSERT INTO tickets (id, office, day, line, number, state, counter, issued_by, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            &[
                &ticket.id,
                &office,
                &ticket.day,
                &ticket.issued_line(),
                &(ticket.number as i32),
                &ticket.state.label(),
                &ticket.counter.map(|c| c as i32),
                &device,
                &body,
            ],
        )
        .await?;
    Ok(written == 1)
}

async fn update(tx: &tokio_postgres::Transaction<'_>, ticket: &Ticket) -> Result<()> {
    let body = serde_json::to_value(ticket).map_err(|e| ApiError::Internal(e.to_string()))?;
    tx.execute(
        // `line` stays the issued line: the number is unique on it for the day, and a
        // transfer to a line where the same number was given must not break that.
        "UPDATE tickets SET state = $2, counter = $3, body = $4, updated_at = now()
         WHERE id = $1",
        &[
            &ticket.id,
            &ticket.state.label(),
            &ticket.counter.map(|c| c as i32),
            &body,
        ],
    )
    .await?;
    Ok(())
}

async fn conflict(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    event: &WireEvent,
    ticket: Uuid,
    reason: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO ticket_conflicts (event, ticket, office, device, counter, reason)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event) DO NOTHING",
        &[
            &event.id,
            &ticket,
            &device.office,
            &device.id,
            &device.counter,
            &reason,
        ],
    )
    .await?;
    Ok(())
}

/// Whether `day` is pusat's today give or take one (office zones and a counter's clock).
async fn near_today(tx: &tokio_postgres::Transaction<'_>, day: chrono::NaiveDate) -> Result<bool> {
    Ok(tx
        .query_one(
            "SELECT $1::date BETWEEN current_date - 1 AND current_date + 1",
            &[&day],
        )
        .await?
        .get(0))
}

/// Why a ticket may not be issued for `day` and `booking`, if it may not: a day not today
/// (see [`near_today`]), a booking of another office or none pusat knows.
async fn refuse_issue(
    tx: &tokio_postgres::Transaction<'_>,
    device: &Device,
    day: chrono::NaiveDate,
    booking: Option<&str>,
) -> Result<Option<String>> {
    if !near_today(tx, day).await? {
        return Ok(Some(format!("a ticket for {day} is not for today")));
    }
    let Some(code) = booking else {
        return Ok(None);
    };
    let office: Option<String> = tx
        .query_opt("SELECT office FROM bookings WHERE code = $1", &[&code])
        .await?
        .map(|r| r.get(0));
    Ok(match office {
        Some(o) if o == device.office => None,
        Some(_) => Some(format!("booking {code} belongs to another office")),
        None => Some(format!("booking {code} is unknown to pusat")),
    })
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
        let stored = load(tx, parsed.ticket).await?;
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
                if rules.line(line).is_none() {
                    out.refused.push((
                        event,
                        format!("office {} has no line {line}", device.office),
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
                let ticket = match Ticket::issue(&parsed, event.device_time) {
                    Ok(t) => t,
                    Err(e) => {
                        out.refused.push((event, e.to_string()));
                        continue;
                    }
                };
                if !insert(tx, &device.office, device.id, &ticket).await? {
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
            (_, Some((_, mut ticket))) => {
                match ticket.apply(&parsed, &event.officer, event.device_time) {
                    Ok(()) => update(tx, &ticket).await?,
                    // A race lost (another counter called first): the counter is told
                    // through the feed below, with the ticket as it stands.
                    Err(e) => conflict(tx, device, event, ticket.id, &e.to_string()).await?,
                }
                ticket
            }
        };
        out.changes.push(Change::Ticket(ticket));
    }
    Ok(out)
}

/// The calls being made now, per office. Each caller reads the office's waiting tickets;
/// the choice is then made one caller at a time against the tickets claimed in memory (a
/// chosen ticket is claimed until well after its call commits), so callers never choose
/// the same ticket, while their reads and commits run side by side. The commit itself
/// is a compare-and-set on the ticket's row (it must still be waiting), so a push from a
/// counter that called offline, or another pusat process, can never be overwritten.
#[derive(Default)]
pub struct CallDesk {
    offices: std::sync::Mutex<HashMap<String, Arc<OfficeCalls>>>,
}

#[derive(Default)]
struct OfficeCalls {
    /// Tickets chosen, as they are once called, and when. A committed call stays a while
    /// ([`CLAIM_KEPT`]): a caller that read the office's tickets just before that commit
    /// must still see it taken.
    claimed: std::sync::Mutex<HashMap<Uuid, (Ticket, std::time::Instant)>>,
}

/// How long a committed call stays claimed in memory (far longer than one choice takes).
const CLAIM_KEPT: std::time::Duration = std::time::Duration::from_secs(10);

impl CallDesk {
    fn office(&self, office: &str) -> Arc<OfficeCalls> {
        let mut offices = self
            .offices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        offices.entry(office.to_owned()).or_default().clone()
    }
}

/// A claim that ends however the call ends: kept when committed, else released.
struct Claim {
    calls: Arc<OfficeCalls>,
    id: Uuid,
    committed: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        self.calls
            .claimed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// How often a call chooses again when its ticket was taken under it (by a push).
const CALL_TRIES: usize = 5;

/// `POST /queue/call`: pusat chooses the next ticket of the device's office by the office's
/// rule and gives it to this counter. Two counters calling at the same instant get
/// different tickets (see [`CallDesk`]).
pub async fn call(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    device: Device,
    super::ApiJson(req): super::ApiJson<CallRequest>,
) -> Result<axum::Json<CallResponse>> {
    let mut client = state.pool.get().await?;
    let on_roster = client
        .query_opt(
            "SELECT 1 FROM officers WHERE username = $1 AND office = $2 AND active",
            &[&req.officer, &device.office],
        )
        .await?
        .is_some();
    if !on_roster {
        return Err(ApiError::Client(
            ErrorCode::Forbidden,
            format!(
                "officer {:?} is not active on the roster of {}",
                req.officer, device.office
            ),
        ));
    }
    let today: bool = client
        .query_one(
            "SELECT $1::date BETWEEN current_date - 1 AND current_date + 1",
            &[&req.day],
        )
        .await?
        .get(0);
    if !today {
        return Err(ApiError::bad(format!("{} is not today", req.day)));
    }
    let config: serde_json::Value = client
        .query_one(
            "SELECT config FROM offices WHERE code = $1",
            &[&device.office],
        )
        .await?
        .get(0);
    let rules = QueueRules::from_office_config(&config).unwrap_or_default();
    let counter = device.counter.max(0) as u32;
    let calls = state.calls.office(&device.office);
    for _ in 0..CALL_TRIES {
        let Some((claim, called)) =
            choose(&client, &calls, &device.office, &req, &rules, counter).await?
        else {
            return Ok(axum::Json(CallResponse { ticket: None }));
        };
        let tx = client.transaction().await?;
        // The compare-and-set: the ticket as it stands now (a push may have changed it since
        // it was read) is still waiting, or another call took it.
        let Some((_, mut fresh)) = load(&tx, called.id).await? else {
            continue;
        };
        let event = TicketEvent {
            ticket: fresh.id,
            counter,
            action: TicketAction::Call,
        };
        let at = called
            .called_at
            .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
        if fresh.state != TicketState::Issued || fresh.apply(&event, &req.officer, at).is_err() {
            drop(tx);
            drop(claim);
            continue;
        }
        let called = fresh;
        update(&tx, &called).await?;
        super::feed::append(&tx, &device.office, &[Change::Ticket(called.clone())]).await?;
        tx.commit().await?;
        let mut claim = claim;
        claim.committed = true;
        return Ok(axum::Json(CallResponse {
            ticket: Some(called),
        }));
    }
    Err(ApiError::Client(
        ErrorCode::Conflict,
        "the queue changed under every try; call again".into(),
    ))
}

/// Chooses and claims the next ticket for `counter`, one caller of the office at a time;
/// `None` when nobody waits. The claimed tickets count as called for the rule (the
/// priority ratio) and are never chosen twice.
async fn choose(
    client: &tokio_postgres::Client,
    calls: &Arc<OfficeCalls>,
    office: &str,
    req: &CallRequest,
    rules: &QueueRules,
    counter: u32,
) -> Result<Option<(Claim, Ticket)>> {
    // The read runs beside other callers' reads; the choice below, against what is claimed
    // in memory, is one at a time (and takes microseconds).
    let rows = client
        .query(
            "(SELECT body FROM tickets WHERE office = $1 AND day = $2 AND state = 'issued')
             UNION ALL
             (SELECT body FROM tickets
              WHERE office = $1 AND day = $2 AND state <> 'issued'
                AND body->>'called_at' IS NOT NULL
              ORDER BY (body->>'called_at')::timestamptz DESC LIMIT $3)",
            &[
                &office,
                &req.day,
                &(i64::from(rules.regular_per_priority) + 1),
            ],
        )
        .await?;
    let mut tickets = rows
        .iter()
        .map(|r| serde_json::from_value::<Ticket>(r.get(0)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(format!("stored ticket: {e}")))?;
    let now = chrono::Utc::now().fixed_offset();
    let mut claimed = calls
        .claimed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    claimed.retain(|_, (_, at)| at.elapsed() < CLAIM_KEPT);
    for t in &mut tickets {
        if let Some((c, _)) = claimed.get(&t.id) {
            *t = c.clone();
        }
    }
    let Some(next) = queue::pick_next(&tickets, rules, now, counter) else {
        return Ok(None);
    };
    let mut ticket = next.clone();
    let event = TicketEvent {
        ticket: ticket.id,
        counter,
        action: TicketAction::Call,
    };
    ticket
        .apply(&event, &req.officer, now)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    claimed.insert(ticket.id, (ticket.clone(), std::time::Instant::now()));
    Ok(Some((
        Claim {
            calls: calls.clone(),
            id: ticket.id,
            committed: false,
        },
        ticket,
    )))
}

/// The day report of `office` from pusat's tickets (`day`: today at the office when
/// `None`), as of now or the end of that day.
pub async fn day_report(
    client: &tokio_postgres::Client,
    office: &str,
    day: Option<chrono::NaiveDate>,
) -> Result<crate::domain::day_report::DayReport> {
    let row = client
        .query_opt(
            "SELECT zone, config FROM offices WHERE code = $1",
            &[&office],
        )
        .await?
        .ok_or_else(|| ApiError::bad(format!("no office {office}")))?;
    let zone =
        crate::domain::Zone::parse(row.get::<_, &str>(0)).unwrap_or(crate::domain::Zone::Wib);
    let config: serde_json::Value = row.get(1);
    let rules = QueueRules::from_office_config(&config).unwrap_or_default();
    let now = zone.local(chrono::Utc::now());
    let day = day.unwrap_or_else(|| now.date_naive());
    let tickets = client
        .query(
            "SELECT body FROM tickets WHERE office = $1 AND day = $2",
            &[&office, &day],
        )
        .await?
        .iter()
        .map(|r| serde_json::from_value(r.get(0)))
        .collect::<std::result::Result<Vec<Ticket>, _>>()
        .map_err(|e| ApiError::Internal(format!("stored ticket: {e}")))?;
    let end = day
        .and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(*now.offset()).single())
        .unwrap_or(now);
    // Every counter's case events of the day (office time), pusat's refusals left out.
    let milestones: Vec<crate::domain::day_report::Milestone> = client
        .query(
            "SELECT e.case_id, e.kind, e.device_time, e.device_offset FROM events e
             WHERE e.office = $1 AND e.case_id IS NOT NULL
               AND (e.device_time AT TIME ZONE 'UTC'
                    + make_interval(secs => e.device_offset))::date = $2
               AND e.kind IN ('case.check_in', 'case.complete_documents',
                              'case.complete_interview', 'case.photo', 'case.photo_pending',
                              'case.decide')
               AND NOT EXISTS (SELECT 1 FROM refused_events r WHERE r.event = e.id)",
            &[&office, &day],
        )
        .await?
        .iter()
        .filter_map(|r| {
            let at: chrono::DateTime<chrono::Utc> = r.get(2);
            let offset = chrono::FixedOffset::east_opt(r.get(3))?;
            Some((r.get(0), r.get(1), at.with_timezone(&offset)))
        })
        .collect();
    Ok(
        crate::domain::day_report::DayReport::new(office, day, tickets, &rules, now.min(end))
            .with_steps(&milestones),
    )
}

/// `GET /office/status`: the device's office's counters with when pusat last heard from
/// each, and today's clashed calls and refused events, for the supervisor's board. A
/// display may not ask (it reads calls only).
pub async fn office_status(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    device: Device,
) -> Result<axum::Json<crate::protocol::OfficeStatus>> {
    let client = state.pool.get().await?;
    let counters = client
        .query(
            "SELECT counter, MAX(last_seen) FROM devices
             WHERE office = $1 AND role = 'counter' AND revoked_at IS NULL
             GROUP BY counter ORDER BY counter",
            &[&device.office],
        )
        .await?
        .iter()
        .map(|r| crate::protocol::CounterSeen {
            counter: r.get::<_, i32>(0).max(0) as u32,
            last_seen: r.get(1),
        })
        .collect();
    let count = |sql: &'static str| {
        let client = &client;
        let office = device.office.clone();
        async move {
            let n: i64 = client.query_one(sql, &[&office]).await?.get(0);
            Ok::<u32, ApiError>(n.max(0) as u32)
        }
    };
    Ok(axum::Json(crate::protocol::OfficeStatus {
        counters,
        conflicts_today: count(
            "SELECT COUNT(*) FROM ticket_conflicts WHERE office = $1
             AND at >= now() - interval '24 hours'",
        )
        .await?,
        refused_today: count(
            "SELECT COUNT(*) FROM refused_events WHERE office = $1
             AND at >= now() - interval '24 hours'",
        )
        .await?,
    }))
}
