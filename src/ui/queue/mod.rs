//! The day's queue: find a booking by code (typed, pasted or from a keyboard-wedge scanner,
//! which types the code and Enter), or by name or NIK, and open it.

mod render;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

use super::booking::BookingScreen;
use super::dialog::{Answer, Dialog};
use super::form::Field;
use super::input::TextInput;
use super::walkin::WalkInScreen;
use super::work::Done;
use super::{Ctx, Level, Nav, Screen, Strings, View, fill, theme};
use crate::domain::BookingCode;
use crate::domain::format;
use crate::domain::queue::{Ticket, TicketAction, TicketState};
use crate::store::{QueueRow, QueueStatus};

const SEARCH_LIMIT: usize = 200;

pub struct QueueScreen {
    search: TextInput,
    today: Vec<QueueRow>,
    results: Option<Vec<QueueRow>>,
    selected: usize,
    /// The text of a refused code, kept to be corrected: an edit key (Backspace, arrows)
    /// corrects it, while the next typed character or scan replaces it, so a scanner's
    /// next code is never appended to the bad one.
    refused: bool,
    /// The ticket this counter has called or serves, and how many wait: read on refresh,
    /// drawn from here.
    current: Option<Ticket>,
    waiting: u64,
    /// F6 asked pusat and waits for its answer.
    calling: bool,
    /// Ctrl+T asks where the called number goes.
    transfer: Option<Box<Dialog>>,
    /// A number just given, shown large for the applicant (no printer, or it failed);
    /// any key closes it.
    big: Option<String>,
    /// Today's queue numbers by booking code, for the list's number column and for a
    /// typed number to find its booking.
    numbers: std::collections::HashMap<String, String>,
}

pub fn keys(s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (
        vec![s.key_open, s.key_call, s.key_walkin],
        vec![
            ("A–Z 0–9", s.h_type_search),
            ("Enter", s.h_enter_open),
            ("↑↓", s.h_arrows),
            ("Esc", s.h_esc_clear),
            ("F3", s.h_f3_ticket),
            ("F4", s.h_f4_board),
            ("F5", s.h_f5),
            ("F6", s.h_f6_call),
            ("F7", s.h_f7_recall),
            ("F8", s.h_f8_noshow),
            ("No. + F6", s.h_typed_call),
            ("No. + F3", s.h_typed_back),
            ("Ctrl+T", s.h_ctrl_t),
        ],
    )
}

/// Text that looks meant as a booking code rather than a name or NIK (which matched
/// nothing): a scanner's output or a code typed from a printout, 8 to 14 characters of
/// letters, digits and hyphens.
fn looks_like_code(text: &str) -> bool {
    let n = text.chars().count();
    (8..=14).contains(&n) && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl QueueScreen {
    pub fn new(ctx: &mut Ctx<'_>) -> QueueScreen {
        let mut screen = QueueScreen {
            search: TextInput::new(),
            today: Vec::new(),
            results: None,
            selected: 0,
            refused: false,
            current: None,
            waiting: 0,
            calling: false,
            transfer: None,
            big: None,
            numbers: Default::default(),
        };
        screen.refresh(ctx);
        screen
    }

    /// Reloads the list; the selection stays on the same booking when rows arrive or go
    /// above it (a pulled change must not move the officer's cursor to someone else).
    pub fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        let chosen = self.rows().get(self.selected).map(|r| r.code.clone());
        match ctx.desk.queue(ctx.today()) {
            Ok(rows) => self.today = rows,
            Err(e) => ctx.store_failed(&e),
        }
        self.refresh_tickets(ctx);
        self.update_search(ctx);
        if let Some(i) = chosen.and_then(|c| self.rows().iter().position(|r| r.code == c)) {
            self.selected = i;
        }
    }

    /// This counter's call and the count waiting; a call another counter won is said once.
    fn refresh_tickets(&mut self, ctx: &mut Ctx<'_>) {
        let day = ctx.today();
        match ctx.desk.tickets_waiting(day) {
            Ok(n) => self.waiting = n,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.current_ticket(day, ctx.counter) {
            Ok(t) => self.current = t,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.tickets(day) {
            Ok(tickets) => {
                self.numbers = tickets
                    .iter()
                    .filter(|t| t.state != TicketState::Cancelled)
                    .filter_map(|t| Some((t.booking.clone()?, t.label())))
                    .collect();
            }
            Err(e) => ctx.store_failed(&e),
        }
        if let Ok(lost) = ctx.desk.take_lost_calls()
            && let Some(call) = lost.last()
        {
            let winner = call.winner.map_or("?".to_owned(), |w| w.to_string());
            ctx.say(Level::Warn, |s| {
                fill!(s.ticket_lost, ticket = call.label, counter = winner)
            });
        }
    }

    /// F3: the chosen booking gets its queue number (or is told the one it has).
    fn give_number(&mut self, ctx: &mut Ctx<'_>) {
        let Some(row) = self.rows().get(self.selected) else {
            return;
        };
        let code = row.code.clone();
        if row.status() == QueueStatus::Cancelled {
            return ctx.say(Level::Warn, |s| fill!(s.ticket_cancelled, code = code));
        }
        let booking = match ctx.desk.booking(&code) {
            Ok(Some(b)) => b,
            Ok(None) => return,
            Err(e) => return ctx.store_failed(&e),
        };
        let actor = ctx.actor();
        match ctx.desk.issue_ticket(&actor, ctx.counter, &booking) {
            Ok((t, true)) => self.hand_out(ctx, &code, &t),
            Ok((t, false)) => {
                ctx.say(Level::Ok, |s| {
                    fill!(s.ticket_kept, code = code, ticket = t.label())
                });
            }
            Err(e) => ctx.counter_failed(&e),
        }
        self.refresh_tickets(ctx);
    }

    /// A new number reaches the applicant: printed on the work thread when the counter has
    /// a printer, else shown large on the screen.
    fn hand_out(&mut self, ctx: &mut Ctx<'_>, code: &BookingCode, t: &Ticket) {
        let rules = ctx.desk.queue_rules();
        let line = rules
            .line(&t.line)
            .map_or(t.line.clone(), |l| l.name.clone());
        if !ctx.printer.is_configured() {
            self.big = Some(t.label());
            return ctx.say(Level::Ok, |s| {
                fill!(
                    s.ticket_issued,
                    code = code,
                    ticket = t.label(),
                    line = line
                )
            });
        }
        let ahead = ctx.desk.tickets(t.day).map_or(0, |all| {
            all.iter()
                .filter(|o| o.line == t.line && o.state.waiting() && o.issued_at < t.issued_at)
                .count() as u64
        });
        let slip = crate::devices::printer::Slip {
            office: ctx.office.name.clone(),
            label: t.label(),
            line,
            issued_at: t.issued_at,
            ahead,
        };
        let config = ctx.printer.clone();
        let label = t.label();
        ctx.work.submit(move || {
            let bytes = crate::devices::printer::escpos(&slip, &config);
            Done::Printed {
                label,
                result: crate::devices::printer::print_within(&config, bytes)
                    .map_err(|e| e.to_string()),
            }
        });
        ctx.say(Level::Ok, |s| {
            fill!(s.ticket_printing, code = code, ticket = t.label())
        });
    }

    /// Shows a number large until the next key.
    pub fn show_big(&mut self, label: String) {
        self.big = Some(label);
    }

    /// The number typed in the search line, when it reads as a queue number (`A-1012`).
    fn typed_number(&self) -> Option<String> {
        let typed = self.search.value().trim().to_owned();
        crate::domain::queue::parse_label(&typed).map(|_| typed)
    }

    /// F3 on a typed number: a no-show who came back waits again.
    fn reactivate(&mut self, ctx: &mut Ctx<'_>, typed: &str) {
        let actor = ctx.actor();
        match ctx.desk.reactivate(&actor, ctx.counter, typed) {
            Ok(t) => {
                ctx.say(Level::Ok, |s| {
                    fill!(s.ticket_reactivated, ticket = t.label())
                });
                self.search.clear();
                self.update_search(ctx);
            }
            Err(e) => ctx.counter_failed(&e),
        }
        self.refresh_tickets(ctx);
    }

    /// F6 on a typed number: that number is called, out of order (the one being served is
    /// finished first). A number that does not exist today finishes nothing.
    fn call_typed(&mut self, ctx: &mut Ctx<'_>, typed: &str) {
        if let Err(e) = ctx.desk.find_ticket(ctx.today(), typed) {
            return ctx.counter_failed(&e);
        }
        if !self.finish_current(ctx) {
            return;
        }
        let actor = ctx.actor();
        match ctx.desk.call_number(&actor, ctx.counter, typed) {
            Ok(t) => {
                {
                    let counter = ctx.counter;
                    ctx.say(Level::Ok, |s| {
                        fill!(s.ticket_calling, ticket = t.label(), counter = counter)
                    })
                };
                self.search.clear();
                self.update_search(ctx);
                self.select_booking_of(ctx, &t);
            }
            Err(e) => ctx.counter_failed(&e),
        }
        self.refresh_tickets(ctx);
    }

    /// Ctrl+T: asks where the called or served number goes.
    fn ask_transfer(&mut self, ctx: &mut Ctx<'_>) {
        let s = ctx.s();
        let Some(t) = &self.current else {
            return ctx.say(Level::Warn, |s| s.ticket_none_called.to_owned());
        };
        self.transfer = Some(Box::new(Dialog::fields(
            |s| s.q_transfer_title,
            fill!(s.q_transfer_message, ticket = t.label()),
            vec![Field::text("target", |s| s.q_transfer_target, "")],
        )));
    }

    fn on_transfer_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) {
        let Some(dialog) = &mut self.transfer else {
            return;
        };
        match dialog.on_key(key) {
            Answer::Pending => {}
            Answer::Cancel => self.transfer = None,
            Answer::Accept => {
                let Some(t) = self.current.clone() else {
                    self.transfer = None;
                    return;
                };
                let s = ctx.s();
                let actor = ctx.actor();
                let target = dialog.text("target");
                match ctx
                    .desk
                    .transfer(&actor, ctx.officer, ctx.counter, &t, &target)
                {
                    Ok(moved) => {
                        self.transfer = None;
                        let to = match moved.for_counter {
                            Some(c) => format!("{} · loket {c}", moved.line),
                            None => moved.line.clone(),
                        };
                        ctx.say(Level::Ok, |s| {
                            fill!(s.ticket_transferred, ticket = moved.label(), to = to)
                        });
                        self.refresh_tickets(ctx);
                    }
                    Err(crate::counter::CounterError::Store(e)) => dialog.refuse(
                        crate::text::queue_text(&e, s)
                            .unwrap_or_else(|| fill!(s.err_store, why = e)),
                    ),
                    Err(e) => dialog.refuse(crate::text::counter_text(&e, s, ctx.lang)),
                }
            }
        }
    }

    /// The ticket being served is finished before the next call; `false` (and said why)
    /// when the called one was never served.
    fn finish_current(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let actor = ctx.actor();
        match &self.current {
            Some(t) if t.state == TicketState::Called => {
                ctx.say(Level::Warn, |s| {
                    fill!(s.ticket_unserved, ticket = t.label())
                });
                false
            }
            Some(t) => match ctx
                .desk
                .ticket_act(&actor, ctx.counter, t.id, TicketAction::Finish)
            {
                Ok(_) => true,
                Err(e) => {
                    ctx.counter_failed(&e);
                    false
                }
            },
            None => true,
        }
    }

    /// F6: the ticket being served is finished and the next one called.
    fn call_next(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(typed) = self.typed_number() {
            return self.call_typed(ctx, &typed);
        }
        if !self.finish_current(ctx) {
            return;
        }
        if self.calling {
            return;
        }
        // Online, pusat chooses (two counters pressing F6 at once get different numbers);
        // the work thread asks, so the screen never waits on the network.
        self.calling = true;
        ctx.say(Level::Info, |s| s.ticket_asking.to_owned());
        let dir = ctx.data_dir.to_path_buf();
        let officer = ctx.officer.username.clone();
        let (day, at) = (ctx.today(), ctx.local_now());
        let store = ctx.desk.store_thread();
        ctx.work.submit(move || {
            Done::Called(super::work::ask_pusat_to_call(
                &dir, store, at, &officer, day,
            ))
        });
        self.refresh_tickets(ctx);
    }

    /// pusat's answer to F6: its ticket recorded as this counter's call; without pusat (not
    /// enrolled, offline, an error), the next ticket as this counter knows the queue — a
    /// clash with another counter is then settled at the next sync, as claims are. A call
    /// pusat refused is not made here either: the officer is told why.
    pub fn called(&mut self, ctx: &mut Ctx<'_>, answer: super::work::CallAnswer) {
        use super::work::CallAnswer;
        self.calling = false;
        let actor = ctx.actor();
        let called = match answer {
            CallAnswer::Pusat(Some(t)) => ctx
                .desk
                .record_call(&actor, ctx.counter, &t)
                .map(|()| Some(*t))
                .map_err(crate::counter::CounterError::from),
            CallAnswer::Pusat(None) => Ok(None),
            CallAnswer::Refused(e) => {
                ctx.say(Level::Warn, |s| crate::text::sync_error_text(s, &e));
                self.refresh_tickets(ctx);
                return;
            }
            CallAnswer::Unreached(_) => ctx.desk.call_next(&actor, ctx.counter),
        };
        match called {
            Ok(Some(t)) => {
                let counter = ctx.counter;
                ctx.say(Level::Ok, |s| {
                    fill!(s.ticket_calling, ticket = t.label(), counter = counter)
                });
                self.select_booking_of(ctx, &t);
            }
            Ok(None) => ctx.say(Level::Info, |s| s.ticket_nobody.to_owned()),
            Err(e) => ctx.counter_failed(&e),
        }
        self.refresh_tickets(ctx);
    }

    /// F7 (again) and F8 (no-show) on the called ticket.
    fn act_on_call(&mut self, ctx: &mut Ctx<'_>, action: TicketAction) {
        let Some(t) = self.current.clone() else {
            return ctx.say(Level::Warn, |s| s.ticket_none_called.to_owned());
        };
        let actor = ctx.actor();
        let no_show = action == TicketAction::NoShow;
        match ctx.desk.ticket_act(&actor, ctx.counter, t.id, action) {
            Ok(t) if no_show => {
                ctx.say(Level::Info, |s| fill!(s.ticket_no_show, ticket = t.label()))
            }
            Ok(t) => {
                let counter = ctx.counter;
                ctx.say(Level::Ok, |s| {
                    fill!(s.ticket_calling, ticket = t.label(), counter = counter)
                })
            }
            Err(e) => ctx.counter_failed(&e),
        }
        self.refresh_tickets(ctx);
    }

    /// Puts the cursor on the booking of a number just called, so Enter serves it.
    fn select_booking_of(&mut self, ctx: &mut Ctx<'_>, ticket: &Ticket) {
        let Some(code) = &ticket.booking else { return };
        if self.results.is_some() {
            self.search.clear();
            self.update_search(ctx);
        }
        if let Some(i) = self.rows().iter().position(|r| r.code.as_str() == code) {
            self.selected = i;
        }
    }

    /// Opening the booking of the called ticket starts serving it.
    fn serve_if_called(&mut self, ctx: &mut Ctx<'_>, code: &BookingCode) {
        let Some(t) = self.current.clone() else {
            return;
        };
        if t.state != TicketState::Called || t.booking.as_deref() != Some(code.as_str()) {
            return;
        }
        let actor = ctx.actor();
        if let Err(e) = ctx
            .desk
            .ticket_act(&actor, ctx.counter, t.id, TicketAction::Serve)
        {
            ctx.counter_failed(&e);
        }
        self.refresh_tickets(ctx);
    }

    pub fn typing(&self) -> bool {
        !self.search.is_empty() || self.transfer.is_some()
    }

    fn rows(&self) -> &[QueueRow] {
        self.results.as_deref().unwrap_or(&self.today)
    }

    fn update_search(&mut self, ctx: &mut Ctx<'_>) {
        let text = self.search.value();
        let text = text.trim();
        // A queue number typed (A-1001, a1001) finds the booking it was given to.
        let numbered = crate::domain::queue::parse_label(text)
            .map(|(line, number)| crate::domain::queue::label(&line, number))
            .and_then(|label| {
                self.numbers
                    .iter()
                    .find(|(_, l)| **l == label)
                    .map(|(code, _)| code.clone())
            });
        self.results = if let Some(code) = numbered {
            Some(
                self.today
                    .iter()
                    .filter(|r| r.code.as_str() == code)
                    .cloned()
                    .collect(),
            )
        } else if text.chars().count() < 2 {
            None
        } else {
            match ctx.desk.search(text, ctx.today(), SEARCH_LIMIT) {
                Ok(rows) => Some(rows),
                Err(e) => {
                    ctx.store_failed(&e);
                    None
                }
            }
        };
        self.selected = self.selected.min(self.rows().len().saturating_sub(1));
    }

    pub fn on_paste(&mut self, text: &str, ctx: &mut Ctx<'_>) -> Nav {
        if let Some(d) = &mut self.transfer {
            d.paste(text);
            return Nav::Stay;
        }
        // A scanner in paste mode may send its terminator too: treat a line end as Enter.
        let line = text.lines().next().unwrap_or("");
        if std::mem::take(&mut self.refused) {
            self.search.clear();
        }
        self.search.insert_str(line);
        if text.contains(['\r', '\n']) {
            return self.enter(ctx);
        }
        self.update_search(ctx);
        Nav::Stay
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        if self.big.take().is_some() {
            return Nav::Stay;
        }
        if self.transfer.is_some() {
            self.on_transfer_key(key, ctx);
            return Nav::Stay;
        }
        if key.code == KeyCode::Char('t')
            && key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
        {
            self.ask_transfer(ctx);
            return Nav::Stay;
        }
        if std::mem::take(&mut self.refused)
            && let KeyCode::Char(_) = key.code
        {
            self.search.clear();
        }
        let page = 10;
        let last = self.rows().len().saturating_sub(1);
        match key.code {
            KeyCode::Enter => return self.enter(ctx),
            KeyCode::F(5) => return Nav::Push(Screen::WalkIn(WalkInScreen::new(ctx))),
            KeyCode::F(3) => match self.typed_number() {
                Some(typed) => self.reactivate(ctx, &typed),
                None => self.give_number(ctx),
            },
            KeyCode::F(4) if ctx.officer.role == crate::store::Role::Supervisor => {
                return Nav::Push(Screen::Board(super::board::BoardScreen::new(ctx)));
            }
            KeyCode::F(4) => {
                ctx.say(Level::Warn, |s| s.board_supervisor_only.to_owned());
            }
            KeyCode::F(6) => self.call_next(ctx),
            KeyCode::F(7) => self.act_on_call(ctx, TicketAction::Recall),
            KeyCode::F(8) => self.act_on_call(ctx, TicketAction::NoShow),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(page),
            KeyCode::PageDown => self.selected = (self.selected + page).min(last),
            KeyCode::Esc => {
                self.search.clear();
                *ctx.notice = None;
                self.update_search(ctx);
            }
            _ => {
                if self.search.handle(key) {
                    self.selected = 0;
                    self.update_search(ctx);
                }
            }
        }
        Nav::Stay
    }

    fn enter(&mut self, ctx: &mut Ctx<'_>) -> Nav {
        let text = self.search.value().trim().to_owned();
        // A 2D scanner in keyboard mode may type a whole URL or signed token.
        if ["LKT1.", "http://", "https://"]
            .iter()
            .any(|p| text.starts_with(p))
        {
            return match crate::domain::payload::parse(&text, &ctx.scan_context()) {
                Ok(scanned) => self.open(ctx, scanned.code()),
                Err(e) => {
                    ctx.say(Level::Error, |s| {
                        crate::text::scan::payload_error_text(&text, &e, s)
                    });
                    self.search.clear();
                    self.update_search(ctx);
                    Nav::Stay
                }
            };
        }
        let parsed = BookingCode::parse(&text);
        if let Ok(code) = &parsed {
            return self.open(ctx, code);
        }
        if let Some(row) = self.rows().get(self.selected) {
            let code = row.code.clone();
            return self.open(ctx, &code);
        }
        match parsed {
            // The text stays to be corrected; an Enter now must not open another booking.
            Err(e) if looks_like_code(&text) => {
                ctx.say(Level::Error, |s| {
                    crate::text::scan::code_error_text(&text, e, s)
                });
                self.refused = true;
            }
            // A queue number no booking holds today: said as such, not as "nothing matches".
            _ if let Some((line, number)) = crate::domain::queue::parse_label(&text) => {
                let label = crate::domain::queue::label(&line, number);
                ctx.counter_failed(&crate::counter::CounterError::NoTicket(label));
            }
            _ if !text.is_empty() => ctx.say(Level::Warn, |s| fill!(s.no_match, typed = text)),
            _ => {}
        }
        Nav::Stay
    }

    /// Opens a booking by its code (typed, or from a scanner), or says why it cannot.
    pub fn open(&mut self, ctx: &mut Ctx<'_>, code: &BookingCode) -> Nav {
        match BookingScreen::open(ctx, code) {
            Ok(Some(screen)) => {
                self.serve_if_called(ctx, code);
                self.search.clear();
                self.update_search(ctx);
                *ctx.notice = None;
                Nav::Push(Screen::Booking(screen))
            }
            Ok(None) => {
                ctx.say(Level::Error, |s| fill!(s.code_unknown, code = code));
                self.search.clear();
                self.update_search(ctx);
                Nav::Stay
            }
            Err(e) => {
                ctx.store_failed(&e);
                Nav::Stay
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_code;

    #[test]
    fn codes_and_names_told_apart() {
        assert!(looks_like_code("AB12C-DE34F"));
        assert!(looks_like_code("ab12cde34f"));
        assert!(looks_like_code("ZZZZZ-ZZZZZ"));
        assert!(!looks_like_code("Siti Rahayu"));
        assert!(!looks_like_code("3174054507900001"));
        assert!(!looks_like_code("Budi"));
    }
}
