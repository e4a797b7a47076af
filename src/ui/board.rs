//! The supervisor's board: the office's day from the tickets this counter knows (its own
//! and, as pulled, every other terminal's). Per line: waiting now, oldest wait, median and
//! 90th-percentile wait, the share called within the target; per counter: who, which
//! ticket, how long; done per hour; alerts. It reloads on every pulled change; offline it
//! says since when its figures stand.

use chrono::{DateTime, FixedOffset};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Cell, Paragraph, Row, Table, Widget};

use super::dialog::{Answer, Dialog};
use super::form::Field;
use super::{Ctx, Level, Nav, Strings, View, fill, theme};
use crate::domain::queue::{self, Alert, DayFigures, QueueRules, Ticket};

pub struct BoardScreen {
    tickets: Vec<Ticket>,
    rules: QueueRules,
    /// When this counter last heard from pusat: what the other terminals' figures stand
    /// at. `None`: never (local mode), the board knows this counter's tickets only.
    synced_at: Option<DateTime<FixedOffset>>,
    /// A question the supervisor answers: close the day, or move which number where.
    dialog: Option<(Dialog, Asking)>,
    /// What pusat last said of the office's terminals, and when it was asked.
    status: Option<crate::protocol::OfficeStatus>,
    asked: Option<chrono::DateTime<chrono::Utc>>,
    /// The step of the case each serving counter is on (its own cases and, as pulled, the
    /// other counters').
    steps: std::collections::HashMap<u32, crate::domain::Step>,
    /// Minutes per step of this counter's cases today (median, p90).
    step_times: Vec<(crate::domain::Step, Option<i64>, Option<i64>)>,
    /// Requests for a supervisor's approval from the office's counters, oldest first.
    approvals: Vec<crate::store::Awaiting>,
}

/// A counter pusat has not heard from for this long is out of touch.
const UNSEEN_MINUTES: i64 = 5;
/// The board asks pusat about the terminals at most this often.
const ASK_EVERY_SECONDS: i64 = 30;

enum Asking {
    CloseDay,
    Reassign,
    /// Approve (`true`) or send back a request of the list.
    Answer(bool),
}

/// How many requests for approval the board lists (the alert counts them all).
const APPROVALS_SHOWN: usize = 4;

/// Past this long without sync the board says it is offline.
const STALE_MINUTES: i64 = 2;

pub fn keys(s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (
        vec![
            s.key_approve,
            s.key_return,
            s.key_move,
            s.key_close_day,
            s.key_back,
        ],
        vec![
            ("S", s.h_s_approve),
            ("K", s.h_k_return),
            ("R", s.h_r_move),
            ("T", s.h_t_close),
            ("Esc", s.h_esc_back),
        ],
    )
}

fn minutes(m: Option<i64>) -> String {
    m.map_or("–".to_owned(), |m| format!("{m}m"))
}

impl BoardScreen {
    pub fn new(ctx: &mut Ctx<'_>) -> BoardScreen {
        let mut board = BoardScreen {
            tickets: Vec::new(),
            rules: QueueRules::default(),
            synced_at: None,
            dialog: None,
            status: None,
            asked: None,
            steps: std::collections::HashMap::new(),
            step_times: Vec::new(),
            approvals: Vec::new(),
        };
        board.refresh(ctx);
        board
    }

    pub fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        self.rules = ctx.desk.queue_rules();
        match ctx.desk.sync_counts() {
            Ok(counts) => self.synced_at = counts.last_success,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.tickets(ctx.today()) {
            Ok(t) => self.tickets = t,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.awaiting_approvals() {
            Ok(a) => self.approvals = a,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.case_milestones(ctx.today()) {
            Ok(m) => self.step_times = crate::domain::day_report::step_times(&m),
            Err(e) => ctx.store_failed(&e),
        }
        self.steps.clear();
        for t in &self.tickets {
            let (crate::domain::queue::TicketState::Serving, Some(counter), Some(code)) =
                (t.state, t.counter, t.booking.as_deref())
            else {
                continue;
            };
            let Ok(code) = crate::domain::BookingCode::parse(code) else {
                continue;
            };
            let step = ctx
                .desk
                .cases_for_booking(&code)
                .ok()
                .into_iter()
                .flatten()
                .filter(|c| c.decision.is_none())
                .find_map(|c| c.current_step());
            if let Some(step) = step {
                self.steps.insert(counter, step);
            }
        }
        // An enrolled terminal asks pusat about the others, on the work thread.
        let due = self
            .asked
            .is_none_or(|t| (ctx.now - t).num_seconds() >= ASK_EVERY_SECONDS);
        if self.synced_at.is_some() && due {
            self.asked = Some(ctx.now);
            let dir = ctx.data_dir.to_path_buf();
            ctx.work.submit(move || {
                super::work::Done::OfficeStatus(super::work::ask_office_status(&dir))
            });
        }
    }

    /// pusat's answer on the office's terminals; an error keeps what it said before.
    pub fn on_status(&mut self, status: Result<crate::protocol::OfficeStatus, String>) {
        if let Ok(status) = status {
            self.status = Some(status);
        }
    }

    /// The alerts from what pusat said: counters out of touch, clashed calls, refusals.
    fn status_alerts(&self, view: &View<'_>) -> Vec<String> {
        let s = view.s;
        let Some(status) = &self.status else {
            return Vec::new();
        };
        let now = view.now.with_timezone(&chrono::Utc);
        let mut out = Vec::new();
        for c in status.counters.iter().filter(|c| c.counter != view.counter) {
            match c.last_seen {
                None => out.push(fill!(s.alert_never, counter = c.counter)),
                Some(t) if (now - t).num_minutes() >= UNSEEN_MINUTES => {
                    let local = view.office.zone.local(t);
                    out.push(fill!(
                        s.alert_unseen,
                        counter = c.counter,
                        since = local.format("%H:%M")
                    ));
                }
                Some(_) => {}
            }
        }
        if status.conflicts_today > 0 {
            out.push(fill!(s.alert_conflicts, count = status.conflicts_today));
        }
        if status.refused_today > 0 {
            out.push(fill!(s.alert_refused, count = status.refused_today));
        }
        for lock in status.locked.iter().filter(|l| l.until > now) {
            let counters = lock
                .counters
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.push(fill!(
                s.alert_locked,
                officer = lock.username,
                since = view.office.zone.local(lock.at).format("%H:%M"),
                until = view.office.zone.local(lock.until).format("%H:%M"),
                counters = counters
            ));
        }
        out
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        if let Some((dialog, asking)) = &mut self.dialog {
            match dialog.on_key(key) {
                Answer::Pending => {}
                Answer::Cancel => self.dialog = None,
                Answer::Accept => match asking {
                    Asking::CloseDay => {
                        self.dialog = None;
                        self.close_day(ctx);
                    }
                    Asking::Reassign => {
                        let (number, target) = (dialog.text("number"), dialog.text("target"));
                        match Self::reassign(ctx, &number, &target) {
                            Ok(()) => {
                                self.dialog = None;
                                self.refresh(ctx);
                            }
                            Err(why) => dialog.refuse(why),
                        }
                    }
                    Asking::Answer(granted) => {
                        let (no, note) = (dialog.text("no"), dialog.text("note"));
                        let granted = *granted;
                        match Self::answer(&self.approvals, ctx, &no, granted, &note) {
                            Ok(()) => {
                                self.dialog = None;
                                self.refresh(ctx);
                            }
                            Err(why) => dialog.refuse(why),
                        }
                    }
                },
            }
            return Nav::Stay;
        }
        let s = ctx.s();
        match key.code {
            KeyCode::Char('t' | 'T') => {
                let waiting = self.tickets.iter().filter(|t| t.state.waiting()).count()
                    + self
                        .tickets
                        .iter()
                        .filter(|t| t.state == crate::domain::queue::TicketState::Called)
                        .count();
                let message = fill!(
                    s.board_close_confirm,
                    day = crate::domain::format::date_short(ctx.today()),
                    waiting = waiting
                );
                self.dialog = Some((
                    Dialog::confirm(|s| s.board_close_title, message),
                    Asking::CloseDay,
                ));
                Nav::Stay
            }
            KeyCode::Char('r' | 'R') => {
                let fields = vec![
                    Field::text("number", |s| s.board_move_number, ""),
                    Field::text("target", |s| s.board_move_target, ""),
                ];
                self.dialog = Some((
                    Dialog::fields(
                        |s| s.board_move_title,
                        s.board_move_message.to_owned(),
                        fields,
                    ),
                    Asking::Reassign,
                ));
                Nav::Stay
            }
            KeyCode::Char(c @ ('s' | 'S' | 'k' | 'K')) => {
                let granted = matches!(c, 's' | 'S');
                let fields = vec![
                    Field::text("no", |s| s.board_answer_no, "1"),
                    Field::text("note", |s| s.board_answer_note, ""),
                ];
                let title: super::form::Label = if granted {
                    |s| s.board_answer_title
                } else {
                    |s| s.board_return_title
                };
                self.dialog = Some((
                    Dialog::fields(title, s.board_answer_message.to_owned(), fields),
                    Asking::Answer(granted),
                ));
                Nav::Stay
            }
            KeyCode::Esc => Nav::Pop,
            KeyCode::F(5) => {
                self.refresh(ctx);
                Nav::Stay
            }
            _ => Nav::Stay,
        }
    }

    /// Closes the day: the unserved become no-shows, and the day report is written in the
    /// data folder's reports/.
    fn close_day(&mut self, ctx: &mut Ctx<'_>) {
        let actor = ctx.actor();
        let day = ctx.today();
        let closed = match ctx.desk.close_day(&actor, ctx.officer, ctx.counter, day) {
            Ok(c) => c.len(),
            Err(e) => return ctx.counter_failed(&e),
        };
        self.refresh(ctx);
        let saved = ctx
            .desk
            .day_report(day, actor.now)
            .map_err(|e| e.to_string())
            .and_then(|r| {
                crate::counter::save_day_report(ctx.data_dir, &r).map_err(|e| e.to_string())
            });
        match saved {
            Ok((html, _)) => ctx.say(Level::Ok, |s| {
                fill!(s.board_closed, count = closed, report = html.display())
            }),
            Err(e) => ctx.say(Level::Error, |s| fill!(s.board_report_failed, why = e)),
        }
    }

    /// Moves the typed number to the typed line or counter; why not, in words.
    fn reassign(ctx: &mut Ctx<'_>, number: &str, target: &str) -> Result<(), String> {
        let s = ctx.s();
        let lang = ctx.lang;
        let actor = ctx.actor();
        let moved = ctx.desk.find_ticket(ctx.today(), number).and_then(|t| {
            ctx.desk
                .transfer(&actor, ctx.officer, ctx.counter, &t, target)
        });
        match moved {
            Ok(t) => {
                let to = match t.for_counter {
                    Some(c) => format!("{} · loket {c}", t.line),
                    None => t.line.clone(),
                };
                ctx.say(Level::Ok, |s| {
                    fill!(s.board_moved, ticket = t.label(), to = to)
                });
                Ok(())
            }
            Err(crate::counter::CounterError::Store(e)) => {
                Err(crate::text::queue_text(&e, s).unwrap_or_else(|| fill!(s.err_store, why = e)))
            }
            Err(e) => Err(crate::text::counter_text(&e, s, lang)),
        }
    }

    /// Answers request `no` of the list (1 is the oldest); why not, in words.
    fn answer(
        approvals: &[crate::store::Awaiting],
        ctx: &mut Ctx<'_>,
        no: &str,
        granted: bool,
        note: &str,
    ) -> Result<(), String> {
        let s = ctx.s();
        let waiting = no
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| approvals.get(i))
            .ok_or_else(|| fill!(s.board_answer_none, number = no.trim()))?;
        let actor = ctx.actor();
        ctx.desk
            .answer_approval(&actor, ctx.officer, waiting, granted, note)
            .map_err(|e| crate::text::counter_text(&e, s, ctx.lang))?;
        let counter = waiting.counter;
        ctx.say(Level::Ok, |s| {
            let counter = counter.map_or(s.board_this_counter.to_owned(), |c| c.to_string());
            let said = if granted {
                s.board_approved
            } else {
                s.board_returned
            };
            fill!(said, number = no.trim(), counter = counter)
        });
        // A request of this very counter's (another officer asked here) is applied now.
        if waiting.counter.is_none() {
            ctx.apply_approval_answers();
        }
        Ok(())
    }

    /// The requests for approval as the board lists them, with a heading.
    fn approval_lines(&self, view: &View<'_>) -> Vec<Line<'static>> {
        let s = view.s;
        if self.approvals.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![Line::styled(
            fill!(s.board_approvals, count = self.approvals.len()),
            theme::title(),
        )];
        for (i, a) in self.approvals.iter().take(APPROVALS_SHOWN).enumerate() {
            use crate::domain::case::Asked;
            let what = match &a.ask.asked {
                Asked::Documents { problems } if problems.is_empty() => {
                    s.board_asked_documents.to_owned()
                }
                Asked::Documents { problems } => fill!(
                    s.board_asked_documents_with,
                    problems = super::case::problem_list(problems, s)
                ),
                Asked::Continue { fee, reason } => {
                    let owed = fee.difference();
                    let money = if owed > 0 {
                        fill!(
                            s.board_asked_owed,
                            total = crate::domain::format::rupiah(fee.total),
                            owed = crate::domain::format::rupiah(owed)
                        )
                    } else {
                        fill!(
                            s.board_asked_paid,
                            total = crate::domain::format::rupiah(fee.total)
                        )
                    };
                    fill!(s.board_asked_continue, money = money, reason = reason)
                }
                Asked::Reject { reason } => fill!(s.board_asked_reject, reason = reason),
            };
            let whom = a
                .name
                .clone()
                .unwrap_or_else(|| format!("#{}", a.applicant + 1));
            let counter = a
                .counter
                .map_or(s.board_this_counter.to_owned(), |c| c.to_string());
            lines.push(Line::styled(
                fill!(
                    s.board_approval_line,
                    number = (i + 1),
                    counter = counter,
                    booking = crate::domain::BookingCode::parse(&a.booking)
                        .map_or_else(|_| a.booking.clone(), |c| c.to_string()),
                    applicant = whom,
                    officer = a.ask.officer,
                    what = what,
                    since = a.ask.at.format("%H:%M")
                ),
                theme::warn(),
            ));
        }
        lines
    }

    /// A dialog takes the keys ('?' is typed there, not help).
    pub fn typing(&self) -> bool {
        self.dialog.is_some()
    }

    /// The figures as of now (the waits grow while nothing else changes).
    pub fn figures(&self, now: DateTime<FixedOffset>) -> DayFigures {
        queue::figures(&self.tickets, &self.rules, now)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let f = self.figures(view.now);
        let stale = self
            .synced_at
            .filter(|t| (view.now - *t).num_minutes() >= STALE_MINUTES);
        let pusat_alerts = self.status_alerts(view);
        let alerts = (f.alerts.len().min(4)
            + pusat_alerts.len().min(4)
            + usize::from(stale.is_some())
            + usize::from(!self.approvals.is_empty())) as u16;
        let chart_height = if area.height >= 30 { 8 } else { 0 };
        let approvals = self.approval_lines(view);
        let [
            title,
            lines,
            counters,
            approval_area,
            step_line,
            alert_area,
            chart,
        ] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(self.rules.lines.len() as u16 + 2),
            Constraint::Min(3),
            // A request may take two lines (who asks, for whom, what and why).
            Constraint::Length(
                approvals
                    .iter()
                    .map(|l| (l.width() as u16).div_ceil(area.width.max(1)).clamp(1, 2))
                    .sum(),
            ),
            Constraint::Length(1),
            Constraint::Length(alerts.max(1)),
            Constraint::Length(chart_height),
        ]));
        let as_of = match self.synced_at {
            Some(t) => fill!(
                s.board_as_of,
                time = t.format("%H:%M"),
                zone = view.office.zone.label()
            ),
            None => s.board_local.to_owned(),
        };
        let heading = fill!(
            s.board_title,
            day = crate::domain::format::date_short(view.today),
            as_of = as_of,
            waiting = f.waiting,
            done = f.done,
            no_show = f.no_show
        );
        Paragraph::new(Line::styled(heading, theme::title())).render(title, buf);
        self.render_lines(lines, buf, s, &f);
        render_counters(counters, buf, s, &f, &self.steps);
        Paragraph::new(approvals)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .render(approval_area, buf);
        let times: Vec<String> = self
            .step_times
            .iter()
            .map(|(step, median, p90)| {
                format!("{} {}/{}", s.step(*step), minutes(*median), minutes(*p90))
            })
            .collect();
        Paragraph::new(Line::styled(
            fill!(s.board_step_times, times = times.join(" · ")),
            theme::dim(),
        ))
        .render(step_line, buf);
        let mut alert_lines: Vec<Line> = f
            .alerts
            .iter()
            .take(4)
            .map(|a| {
                let text = match a {
                    Alert::WaitOverTarget {
                        line,
                        minutes,
                        target,
                    } => fill!(
                        s.alert_wait,
                        line = line,
                        minutes = minutes,
                        target = target
                    ),
                    Alert::IdleCounter { counter, minutes } => {
                        fill!(s.alert_idle, counter = counter, minutes = minutes)
                    }
                };
                Line::styled(format!("⚠ {text}"), theme::warn())
            })
            .collect();
        if let Some(t) = stale {
            alert_lines.insert(
                0,
                Line::styled(
                    format!("⚠ {}", fill!(s.board_offline, since = t.format("%H:%M"))),
                    theme::error(),
                ),
            );
        }
        alert_lines.extend(
            pusat_alerts
                .into_iter()
                .take(4)
                .map(|a| Line::styled(format!("⚠ {a}"), theme::warn())),
        );
        if let Some(oldest) = self.approvals.first() {
            let text = fill!(
                s.alert_approvals,
                count = self.approvals.len(),
                since = oldest.ask.at.format("%H:%M")
            );
            alert_lines.insert(0, Line::styled(format!("⚠ {text}"), theme::warn()));
        }
        if alert_lines.is_empty() {
            alert_lines.push(Line::styled(s.alert_none, theme::dim()));
        }
        Paragraph::new(alert_lines).render(alert_area, buf);
        if chart_height > 0 {
            let bars: Vec<Bar> = f
                .per_hour
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    Bar::default()
                        .value(*n)
                        .label(Line::from(format!("{:02}", queue::FIRST_HOUR as usize + i)))
                })
                .collect();
            BarChart::default()
                .block(Block::bordered().title(s.board_per_hour))
                .data(BarGroup::default().bars(&bars))
                .bar_width(3)
                .bar_gap(1)
                .bar_style(theme::ok())
                .value_style(Style::new())
                .render(chart, buf);
        }
        if let Some((d, _)) = &self.dialog {
            d.render(area, buf, s);
        }
    }

    fn render_lines(&self, area: Rect, buf: &mut Buffer, s: &Strings, f: &DayFigures) {
        let rows = f.lines.iter().map(|l| {
            let style = if l.oldest_wait.is_some_and(|w| {
                self.rules
                    .line(&l.prefix)
                    .is_some_and(|r| w > r.target_minutes as i64)
            }) {
                theme::warn()
            } else {
                Style::new()
            };
            Row::new(vec![
                Cell::from(format!("{} {}", l.prefix, l.name)),
                Cell::from(l.waiting.to_string()),
                Cell::from(minutes(l.oldest_wait)),
                Cell::from(minutes(l.median_wait)),
                Cell::from(minutes(l.p90_wait)),
                Cell::from(l.within_target.map_or("–".into(), |p| format!("{p}%"))),
                Cell::from(l.done.to_string()),
                Cell::from(l.no_show.to_string()),
            ])
            .style(style)
        });
        let header = Row::new(vec![
            s.bc_line,
            s.bc_waiting,
            s.bc_oldest,
            s.bc_median,
            s.bc_p90,
            s.bc_within,
            s.bc_done,
            s.bc_no_show,
        ])
        .style(theme::title());
        Table::new(
            rows,
            [
                Constraint::Min(16),
                Constraint::Length(8),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(9),
            ],
        )
        .header(header)
        .column_spacing(1)
        .render(area, buf);
    }
}

fn render_counters(
    area: Rect,
    buf: &mut Buffer,
    s: &Strings,
    f: &DayFigures,
    steps: &std::collections::HashMap<u32, crate::domain::Step>,
) {
    if f.counters.is_empty() {
        Paragraph::new(Line::styled(s.board_no_counter, theme::dim())).render(area, buf);
        return;
    }
    let rows = f.counters.iter().map(|c| {
        // Serving: the step of the applicant's case (documents, interview, photo, decision).
        let (ticket, state) = match (&c.current, steps.get(&c.counter)) {
            (Some((label, crate::domain::queue::TicketState::Serving)), Some(step)) => {
                (label.clone(), s.step(*step))
            }
            (Some((label, state)), _) => (label.clone(), crate::text::ticket_state(*state, s)),
            (None, _) => ("–".to_owned(), s.board_idle),
        };
        Row::new(vec![
            Cell::from(c.counter.to_string()),
            Cell::from(c.officer.clone().unwrap_or_else(|| "–".into())),
            Cell::from(ticket),
            Cell::from(state),
            Cell::from(format!("{}m", c.minutes)),
            Cell::from(c.served.to_string()),
            Cell::from(minutes(c.median_service)),
        ])
    });
    let header = Row::new(vec![
        s.bc_counter,
        s.bc_officer,
        s.bc_ticket,
        s.bc_state,
        s.bc_for,
        s.bc_served,
        s.bc_service,
    ])
    .style(theme::title());
    Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Min(12),
            Constraint::Length(8),
            Constraint::Length(17),
            Constraint::Length(6),
            Constraint::Length(8),
            Constraint::Length(8),
        ],
    )
    .header(header)
    .column_spacing(1)
    .render(area, buf);
}
