//! One booking: its details and applicants. Enter checks the chosen applicant in (a case
//! opens) or reopens their case. A booking for another day or office is served only on the
//! officer's explicit decision, which the check-in records.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget, Wrap};

use super::case::CaseScreen;
use super::dialog::{Answer, Dialog};
use super::{Ctx, Level, Nav, Screen, Strings, View, fill, theme};
use crate::counter::{self, Opened};
use crate::domain::case::CheckInException;
use crate::domain::{Booking, BookingCode, Case, format};
use crate::store::StoreError;

pub struct BookingScreen {
    booking: Booking,
    cases: Vec<Case>,
    selected: usize,
    dialog: Option<Dialog>,
    /// Applicants another counter serves, as the last sync with pusat knows.
    elsewhere: Vec<crate::store::ServedElsewhere>,
    /// The day the booking had before the booking system moved it.
    rescheduled_from: Option<chrono::NaiveDate>,
}

pub fn keys(s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (
        vec![s.key_open, s.key_back],
        vec![
            ("↑↓", s.h_arrows),
            ("Enter", s.h_enter_case),
            ("Esc", s.h_esc_back),
        ],
    )
}

impl BookingScreen {
    /// Loads a booking and records that this officer viewed it.
    pub fn open(
        ctx: &mut Ctx<'_>,
        code: &BookingCode,
    ) -> Result<Option<BookingScreen>, StoreError> {
        let Some(booking) = ctx.desk.booking(code)? else {
            return Ok(None);
        };
        ctx.desk.record_view(&ctx.actor(), code)?;
        let cases = ctx.desk.cases_for_booking(code)?;
        let elsewhere = ctx.desk.served_elsewhere(code)?;
        let rescheduled_from = ctx.desk.rescheduled_from(code)?;
        Ok(Some(BookingScreen {
            rescheduled_from,
            booking,
            cases,
            selected: 0,
            dialog: None,
            elsewhere,
        }))
    }

    pub fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.desk.cases_for_booking(&self.booking.code) {
            Ok(cases) => self.cases = cases,
            Err(e) => ctx.store_failed(&e),
        }
        match ctx.desk.served_elsewhere(&self.booking.code) {
            Ok(elsewhere) => self.elsewhere = elsewhere,
            Err(e) => ctx.store_failed(&e),
        }
    }

    fn served_at(&self, applicant: usize) -> Option<u32> {
        self.elsewhere
            .iter()
            .find(|e| e.applicant == applicant)
            .map(|e| e.counter)
    }

    fn case_of(&self, applicant: usize) -> Option<&Case> {
        self.cases.iter().find(|c| c.applicant == applicant)
    }

    fn exceptions(&self, ctx: &Ctx<'_>) -> Vec<CheckInException> {
        counter::exceptions(&self.booking, &ctx.office.code, ctx.today())
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        if let Some(dialog) = &mut self.dialog {
            return match dialog.on_key(key) {
                Answer::Pending => Nav::Stay,
                Answer::Cancel => {
                    self.dialog = None;
                    ctx.say(Level::Warn, |s| s.served_elsewhere_no.to_owned());
                    Nav::Stay
                }
                Answer::Accept => {
                    self.dialog = None;
                    self.check_in(ctx)
                }
            };
        }
        let last = self.booking.applicants.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return Nav::Pop,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(last),
            KeyCode::Enter => {
                // Another counter serves this applicant (its check-in reached pusat first).
                if let Some(counter) = self.served_at(self.selected) {
                    ctx.say(Level::Warn, |s| fill!(s.lost_claim, counter = counter));
                    return Nav::Stay;
                }
                if let Some(case) = self.case_of(self.selected) {
                    return Nav::Push(Screen::Case(Box::new(CaseScreen::new(
                        ctx,
                        self.booking.clone(),
                        case.clone(),
                    ))));
                }
                if self.exceptions(ctx).is_empty() {
                    return self.check_in(ctx);
                }
                let s = ctx.s();
                let indonesian = ctx.lang == super::Lang::Id;
                let mut message = self
                    .warnings(s, ctx.today(), &ctx.office.code, indonesian)
                    .join(" ");
                message.push(' ');
                message.push_str(s.serve_anyway);
                self.dialog = Some(Dialog::confirm(|s| s.confirm_title, message));
            }
            _ => {}
        }
        Nav::Stay
    }

    /// Why this booking is not an ordinary one for today at this office.
    fn warnings(
        &self,
        s: &Strings,
        today: chrono::NaiveDate,
        office: &str,
        indonesian: bool,
    ) -> Vec<String> {
        let b = &self.booking;
        let mut out = Vec::new();
        if b.date != today {
            out.push(fill!(
                s.other_day_warn,
                day = format::date_long(b.date, indonesian)
            ));
        }
        if b.office != office {
            out.push(fill!(s.other_office_warn, office = b.office));
        }
        out
    }

    /// Checks the chosen applicant in (the officer accepted the booking's exceptions, if
    /// any) and opens their case.
    fn check_in(&mut self, ctx: &mut Ctx<'_>) -> Nav {
        let opened =
            ctx.desk
                .check_in(&ctx.actor(), &self.booking, self.selected, &ctx.office.code);
        let case = match opened {
            Ok(Opened::New(case)) => {
                self.cases.push(case.clone());
                case
            }
            Ok(Opened::Existing(case)) => {
                // Opened meanwhile (another session on this counter): show that case.
                self.refresh(ctx);
                ctx.say(Level::Info, |s| s.case_exists.to_owned());
                case
            }
            Err(e) => {
                ctx.counter_failed(&e);
                return Nav::Stay;
            }
        };
        Nav::Push(Screen::Case(Box::new(CaseScreen::new(
            ctx,
            self.booking.clone(),
            case,
        ))))
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let b = &self.booking;
        let id = view.lang == super::Lang::Id;
        let [title, details, warn, table] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Length(2),
            Constraint::Min(3),
        ]));
        Paragraph::new(Line::styled(
            fill!(s.booking_title, code = b.code),
            theme::title(),
        ))
        .render(title, buf);
        let pair = |k: &str, v: String| {
            vec![
                Span::styled(format!("{k}: "), theme::label()),
                Span::raw(v),
                Span::raw("   "),
            ]
        };
        let mut l1 = pair(s.f_date, format::date_long(b.date, id));
        l1.extend(pair(s.f_slot, b.slot.format("%H:%M").to_string()));
        l1.extend(pair(s.f_office, b.office.clone()));
        let mut l2 = pair(s.f_application, s.application(b.application).to_owned());
        l2.extend(pair(s.f_service, s.service(b.service).to_owned()));
        let mut l3 = pair(s.f_passport, s.passport(b.passport).to_owned());
        l3.extend(pair(s.f_billing, b.billing_code.clone()));
        let mut lines = vec![Line::from(l1), Line::from(l2), Line::from(l3)];
        if let Some(w) = b.walk_in {
            lines.push(Line::from(pair(s.f_walkin, s.walk_in(w).to_owned())));
        } else if let Some(from) = self.rescheduled_from {
            lines.push(Line::from(pair(
                s.f_rescheduled,
                format::date_long(from, id),
            )));
        }
        Paragraph::new(lines).render(details, buf);
        let warnings = self.warnings(s, view.today, &view.office.code, id);
        Paragraph::new(Line::styled(warnings.join(" "), theme::warn()))
            .wrap(Wrap { trim: true })
            .render(warn, buf);
        self.render_applicants(table, buf, view);
        if let Some(d) = &self.dialog {
            d.render(area, buf, s);
        }
    }

    fn render_applicants(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let rows = self.booking.applicants.iter().enumerate().map(|(i, a)| {
            let paid = a
                .paid
                .map(format::rupiah)
                .unwrap_or_else(|| s.not_paid.to_owned());
            let row = Row::new(vec![
                Cell::from(format!("{}", i + 1)),
                Cell::from(a.name.clone()),
                Cell::from(a.nik.clone()),
                Cell::from(fill!(s.years, age = a.age_on(view.today))),
                Cell::from(paid),
                Cell::from(match self.served_at(i) {
                    Some(counter) => fill!(s.served_elsewhere, counter = counter),
                    None => crate::text::case_label(s, self.case_of(i)).to_owned(),
                }),
            ]);
            if i == self.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
        let widths = [
            Constraint::Length(2),
            Constraint::Min(16),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(12),
            Constraint::Length(20),
        ];
        let header = Row::new(vec![
            "#", s.col_name, s.col_nik, s.col_age, s.col_paid, s.col_case,
        ])
        .style(theme::title());
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
    }
}
