//! Registering a walk-in without a booking: only for those the office serves without one
//! (elderly, disability, small child, lost or damaged passport), with the reason recorded.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::booking::BookingScreen;
use super::form::{Field, Form};
use super::{Ctx, Level, Nav, Screen, Strings, View, fill, theme};
use crate::counter::WalkIn;
use crate::domain::booking::WalkInReason;
use crate::domain::{ApplicationType, PassportType, Service, Sex, format};

const SEXES: [Sex; 2] = [Sex::Male, Sex::Female];
const SERVICES: [Service; 2] = [Service::Regular, Service::Express];

pub struct WalkInScreen {
    form: Form,
}

pub fn keys(s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (
        vec![s.key_save, s.key_back],
        vec![
            ("F8", s.h_f8_walkin),
            ("↑↓ Tab ←→", s.h_form),
            ("Esc", s.h_esc_back),
        ],
    )
}

impl WalkInScreen {
    pub fn new(_ctx: &mut Ctx<'_>) -> WalkInScreen {
        let form = Form::new(vec![
            Field::choice(
                "reason",
                |s| s.wi_reason,
                4,
                |s, i| s.walk_in(WalkInReason::ALL[i % 4]),
                None,
            ),
            Field::choice(
                "application",
                |s| s.f_application,
                6,
                |s, i| s.application(ApplicationType::ALL[i % 6]),
                Some(0),
            ),
            Field::choice(
                "passport",
                |s| s.f_passport,
                3,
                |s, i| s.passport(PassportType::ALL[i % 3]),
                Some(1),
            ),
            Field::choice(
                "service",
                |s| s.f_service,
                2,
                |s, i| s.service(SERVICES[i % 2]),
                Some(0),
            ),
            Field::text("name", |s| s.id_name, ""),
            Field::text("nik", |s| s.id_nik, ""),
            Field::text("birth", |s| s.id_birth, ""),
            Field::choice("sex", |s| s.id_sex, 2, |s, i| s.sex(SEXES[i % 2]), None),
        ]);
        WalkInScreen { form }
    }

    pub fn on_paste(&mut self, text: &str) -> Nav {
        self.form.paste(text);
        Nav::Stay
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        match key.code {
            KeyCode::Esc => Nav::Pop,
            KeyCode::F(8) => self.save(ctx),
            _ => {
                self.form.on_key(key);
                Nav::Stay
            }
        }
    }

    /// Reads the form; what the counter layer checks, or what the officer must fix first.
    fn read(&self, s: &Strings) -> Result<WalkIn, String> {
        let f = &self.form;
        let reason = f
            .choice("reason")
            .map(|i| WalkInReason::ALL[i % 4])
            .ok_or_else(|| format!("{}?", s.wi_reason))?;
        let birth_text = f.text("birth");
        let birth_date =
            format::parse_date(&birth_text).ok_or_else(|| fill!(s.bad_date, typed = birth_text))?;
        let sex = f
            .choice("sex")
            .map(|i| SEXES[i % 2])
            .ok_or_else(|| format!("{}?", s.id_sex))?;
        Ok(WalkIn {
            reason,
            application: ApplicationType::ALL[f.choice("application").unwrap_or(0) % 6],
            service: SERVICES[f.choice("service").unwrap_or(0) % 2],
            passport: PassportType::ALL[f.choice("passport").unwrap_or(0) % 3],
            name: f.text("name"),
            nik: f.text("nik"),
            birth_date,
            sex,
        })
    }

    fn save(&mut self, ctx: &mut Ctx<'_>) -> Nav {
        let form = match self.read(ctx.s()) {
            Ok(form) => form,
            Err(_) => {
                ctx.say(Level::Error, |s| self.read(s).err().unwrap_or_default());
                return Nav::Stay;
            }
        };
        let booking = match ctx
            .desk
            .register_walk_in(&ctx.actor(), &form, ctx.office, ctx.now)
        {
            Ok(booking) => booking,
            Err(e) => {
                ctx.counter_failed(&e);
                return Nav::Stay;
            }
        };
        ctx.say(Level::Ok, |s| fill!(s.wi_saved, code = booking.code));
        match BookingScreen::open(ctx, &booking.code) {
            Ok(Some(screen)) => Nav::Replace(Screen::Booking(screen)),
            Ok(None) => Nav::Pop,
            Err(e) => {
                ctx.store_failed(&e);
                Nav::Pop
            }
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let [title, form] = area.layout(&Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(1),
        ]));
        Paragraph::new(Line::styled(view.s.walkin_title, theme::title())).render(title, buf);
        self.form.render(form, buf, view.s, true, 16);
    }
}
