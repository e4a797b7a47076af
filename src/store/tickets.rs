//! The queue's tickets at this counter: the ones it gives out and calls (each change one
//! transaction with its outbox event and audit row) and the office's others, as pulled.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::{Actor, Result, Store, StoreError, append_audit, append_event};
use crate::domain::queue::{
    self, Line, Ticket, TicketAction, TicketEvent, TicketState, next_number,
};

/// A call of this counter that another counter's call beat at pusat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostCall {
    pub ticket: Uuid,
    pub label: String,
    pub winner: Option<u32>,
}

fn read(body: String) -> Result<Ticket> {
    Ok(serde_json::from_str(&body)?)
}

fn save(tx: &Transaction<'_>, ticket: &Ticket, local_seq: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO tickets (id, day, line, number, booking, state, counter, issued_at, body,
                              local_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state,
             counter = excluded.counter, body = excluded.body,
             local_seq = MAX(tickets.local_seq, excluded.local_seq)",
        params![
            ticket.id.to_string(),
            ticket.day.to_string(),
            // The issued line: numbers are counted, and unique, per issued line.
            ticket.issued_line(),
            ticket.number,
            ticket.booking,
            ticket.state.label(),
            ticket.counter,
            ticket.issued_at.to_rfc3339(),
            serde_json::to_string(ticket).unwrap_or_default(),
            local_seq,
        ],
    )?;
    Ok(())
}

/// The one ticket `sql` (with `params`) selects the body of, if any.
fn one(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Option<Ticket>> {
    let body: Option<String> = conn.query_row(sql, params, |r| r.get(0)).optional()?;
    body.map(read).transpose()
}

/// Stores a ticket's new state with its outbox event and audit row (`detail`).
fn record(
    tx: &Transaction<'_>,
    office: &str,
    actor: &Actor,
    event: &TicketEvent,
    ticket: &Ticket,
    detail: &str,
) -> Result<()> {
    let kind = event.action.kind();
    let seq = append_event(tx, office, actor, kind, None, &serde_json::to_value(event)?)?;
    save(tx, ticket, seq)?;
    append_audit(tx, actor, kind, ticket.booking.as_deref(), None, detail)
}

impl Store {
    /// Gives out the next number of `line` on `day` from `counter`'s block, for `booking`.
    pub fn issue_ticket(
        &mut self,
        actor: &Actor,
        counter: u32,
        line: &Line,
        day: NaiveDate,
        booking: Option<&str>,
    ) -> Result<Ticket> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let block = queue::block(counter);
        let (highest, given): (Option<u32>, u32) = tx.query_row(
            "SELECT MAX(CASE WHEN number BETWEEN ?3 AND ?4 THEN number END),
                    COUNT(*)
             FROM tickets WHERE day = ?1 AND line = ?2",
            params![day.to_string(), line.prefix, block.start(), block.end()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let Some(quota) = line.quota
            && given >= quota
        {
            return Err(StoreError::Quota {
                line: line.prefix.clone(),
                quota,
            });
        }
        let number = next_number(counter, highest)
            .ok_or_else(|| StoreError::NumbersUsedUp(line.prefix.clone()))?;
        let event = TicketEvent {
            ticket: Uuid::now_v7(),
            counter,
            action: TicketAction::Issue {
                day,
                line: line.prefix.clone(),
                number,
                booking: booking.map(str::to_owned),
            },
        };
        let ticket = Ticket::issue(&event, actor.now)?;
        record(&tx, &self.office, actor, &event, &ticket, &ticket.label())?;
        tx.commit()?;
        Ok(ticket)
    }

    /// Applies `action` to a ticket at `counter`: the new state, its event and audit row.
    pub fn ticket_act(
        &mut self,
        actor: &Actor,
        counter: u32,
        id: Uuid,
        action: TicketAction,
    ) -> Result<Ticket> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut ticket = one(
            &tx,
            "SELECT body FROM tickets WHERE id = ?1",
            [id.to_string()],
        )?
        .ok_or(StoreError::NoSuchTicket)?;
        let event = TicketEvent {
            ticket: id,
            counter,
            action,
        };
        ticket.apply(&event, &actor.username, actor.now)?;
        let detail = match &event.action {
            TicketAction::Transfer { line, counter } | TicketAction::Reassign { line, counter } => {
                match counter {
                    Some(c) => format!("{} → {line}, loket {c}", ticket.label()),
                    None => format!("{} → {line}", ticket.label()),
                }
            }
            TicketAction::Cancel { reason } => format!("{}: {reason}", ticket.label()),
            _ => ticket.label(),
        };
        record(&tx, &self.office, actor, &event, &ticket, &detail)?;
        tx.commit()?;
        Ok(ticket)
    }

    /// Records a call pusat made for this counter (`POST /queue/call`): pusat's ticket, with
    /// the call as this counter's event and audit row.
    pub fn record_call(&mut self, actor: &Actor, counter: u32, ticket: &Ticket) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let event = TicketEvent {
            ticket: ticket.id,
            counter,
            action: TicketAction::Call,
        };
        record(&tx, &self.office, actor, &event, ticket, &ticket.label())?;
        tx.commit()?;
        Ok(())
    }

    /// The office's tickets of `day` as this counter knows them, by line and number.
    pub fn tickets(&self, day: NaiveDate) -> Result<Vec<Ticket>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM tickets WHERE day = ?1 ORDER BY line, number")?;
        let rows = stmt.query_map([day.to_string()], |r| r.get::<_, String>(0))?;
        rows.map(|b| read(b?)).collect()
    }

    pub fn ticket(&self, id: Uuid) -> Result<Option<Ticket>> {
        one(
            &self.conn,
            "SELECT body FROM tickets WHERE id = ?1",
            [id.to_string()],
        )
    }

    /// How many of `day`'s tickets wait to be called.
    pub fn tickets_waiting(&self, day: NaiveDate) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM tickets WHERE day = ?1 AND state = 'issued'",
            [day.to_string()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The ticket of `booking` on `day` still open, if it has one.
    pub fn ticket_for_booking(&self, day: NaiveDate, booking: &str) -> Result<Option<Ticket>> {
        one(
            &self.conn,
            "SELECT body FROM tickets WHERE day = ?1 AND booking = ?2
                   AND state NOT IN ('done', 'no_show', 'cancelled')
                 ORDER BY issued_at DESC LIMIT 1",
            params![day.to_string(), booking],
        )
    }

    /// The ticket `counter` has called or serves now.
    pub fn current_ticket(&self, day: NaiveDate, counter: u32) -> Result<Option<Ticket>> {
        one(
            &self.conn,
            "SELECT body FROM tickets WHERE day = ?1 AND counter = ?2
                   AND state IN ('called', 'serving')
                 ORDER BY issued_at DESC LIMIT 1",
            params![day.to_string(), counter],
        )
    }

    /// Calls this counter lost to another counter and the officer has not seen yet; they
    /// are marked seen.
    pub fn take_lost_calls(&self) -> Result<Vec<LostCall>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ticket, label, winner FROM lost_calls WHERE seen = 0")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (ticket, label, winner) = row?;
            if let Ok(ticket) = Uuid::parse_str(&ticket) {
                out.push(LostCall {
                    ticket,
                    label,
                    winner,
                });
            }
        }
        self.conn
            .execute("UPDATE lost_calls SET seen = 1 WHERE seen = 0", [])?;
        Ok(out)
    }
}

/// Takes a ticket as pusat holds it (pulled), unless this counter changed it since its last
/// push: then pusat has not seen that change yet and the next round brings its answer. A
/// call of this counter that pusat gave to another counter is kept in `lost_calls`.
pub(super) fn apply_pulled(
    tx: &Transaction<'_>,
    ticket: &Ticket,
    own_counter: Option<u32>,
    pushed_through: i64,
) -> Result<()> {
    let local: Option<(String, i64)> = tx
        .query_row(
            "SELECT body, local_seq FROM tickets WHERE id = ?1",
            [ticket.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((body, local_seq)) = local {
        if local_seq > pushed_through {
            return Ok(());
        }
        let ours = read(body)?;
        let we_called = matches!(ours.state, TicketState::Called | TicketState::Serving)
            && ours.counter.is_some()
            && ours.counter == own_counter;
        if we_called && ticket.counter != own_counter {
            tx.execute(
                "INSERT INTO lost_calls (ticket, label, winner) VALUES (?1, ?2, ?3)
                 ON CONFLICT (ticket) DO UPDATE SET winner = excluded.winner, seen = 0",
                params![ticket.id.to_string(), ticket.label(), ticket.counter],
            )?;
        }
    }
    save(tx, ticket, 0)?;
    Ok(())
}
