//! The technician's view of a kiosk: what it is, where its data lives, what is waiting, and
//! `loket doctor`'s checks (run on the work thread when the screen opens, again with F5).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::work::Done;
use super::{Ctx, Nav, Strings, View, theme};
use crate::checkup::{Level, Report};
use crate::text::Lang;

/// The devices as configured (empty: none).
pub struct Devices {
    pub scanner: String,
    pub camera: String,
    /// pusat's address, once the counter is enrolled.
    pub server: Option<String>,
}

pub struct TechScreen {
    devices: Devices,
    device: String,
    db_bytes: u64,
    pending: u64,
    bookings: u64,
    /// The last checks' report in each language; `None` while they run.
    doctor: Option<(Report, Report)>,
}

pub fn keys(s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (vec![s.key_recheck], vec![("F5", s.h_f5_recheck)])
}

impl TechScreen {
    pub fn new(ctx: &mut Ctx<'_>, devices: Devices) -> TechScreen {
        let mut t = TechScreen {
            devices,
            device: String::new(),
            db_bytes: 0,
            pending: 0,
            bookings: 0,
            doctor: None,
        };
        t.refresh(ctx);
        t.examine(ctx);
        t
    }

    /// Runs the checks on the work thread (they open files and ask pusat).
    fn examine(&mut self, ctx: &mut Ctx<'_>) {
        self.doctor = None;
        let options = |lang| crate::doctor::Options {
            data_dir: ctx.data_dir.to_path_buf(),
            lang,
            // The terminal holds the camera; its state is on the status line.
            camera: false,
            service: true,
        };
        let options = options(ctx.lang);
        ctx.work.submit(move || {
            let mut both = crate::doctor::examine_in(&options, &[Lang::Id, Lang::En]);
            let en = both
                .pop()
                .unwrap_or_else(|| unreachable!("two languages asked"));
            let id = both
                .pop()
                .unwrap_or_else(|| unreachable!("two languages asked"));
            Done::Doctor {
                id: Box::new(id),
                en: Box::new(en),
            }
        });
    }

    /// The checks' answer.
    pub fn examined(&mut self, id: Report, en: Report) {
        self.doctor = Some((id, en));
    }

    pub fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.desk.facts() {
            Ok(f) => {
                (self.device, self.db_bytes, self.pending, self.bookings) =
                    (f.device, f.db_bytes, f.pending, f.bookings);
            }
            Err(e) => ctx.store_failed(&e),
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        if key.code == KeyCode::F(5) && self.doctor.is_some() {
            self.examine(ctx);
        }
        Nav::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        let s = view.s;
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<28}"), theme::label()),
                Span::raw(v),
            ])
        };
        let lines = vec![
            Line::styled(s.tech_title, theme::title()),
            Line::raw(""),
            row(s.tech_version, env!("CARGO_PKG_VERSION").to_owned()),
            row(
                s.tech_office,
                format!("{} — {}", view.office.code, view.office.name),
            ),
            row(s.tech_zone, view.office.zone.label().to_owned()),
            row(s.tech_device, self.device.clone()),
            row(s.tech_data_dir, view.data_dir.display().to_string()),
            row(
                s.tech_db,
                format!("{:.1} MB", self.db_bytes as f64 / 1_048_576.0),
            ),
            row(s.tech_bookings, self.bookings.to_string()),
            row(s.tech_pending, self.pending.to_string()),
            row(
                s.tech_scanner,
                configured(&self.devices.scanner, s.tech_keyboard_only),
            ),
            row(s.tech_camera, configured(&self.devices.camera, s.tech_none)),
            row(
                s.tech_qr_panics,
                crate::devices::qr::PANICS
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            ),
            row(
                s.tech_server,
                self.devices
                    .server
                    .clone()
                    .unwrap_or_else(|| s.tech_not_enrolled.to_owned()),
            ),
        ];
        let mut lines = lines;
        lines.push(Line::raw(""));
        lines.push(Line::styled(s.tech_doctor, theme::title()));
        match &self.doctor {
            None => lines.push(Line::styled(s.tech_doctor_running, theme::label())),
            Some((id, en)) => {
                let report = match view.lang {
                    Lang::En => en,
                    Lang::Id => id,
                };
                // What needs doing first: failures, then warnings, then what is fine.
                let mut findings: Vec<_> = report.findings.iter().collect();
                findings.sort_by_key(|f| std::cmp::Reverse(f.level));
                for f in findings {
                    let style = match f.level {
                        Level::Fail => theme::error(),
                        Level::Warn => theme::warn(),
                        Level::Ok => theme::ok(),
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{} ", f.level.mark()), style),
                        Span::raw(f.message.clone()),
                    ]));
                    if let Some(fix) = &f.fix {
                        lines.push(Line::styled(format!("  → {fix}"), theme::dim()));
                    }
                }
            }
        }
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .render(area, buf);
    }
}

fn configured(value: &str, otherwise: &str) -> String {
    if value.is_empty() {
        otherwise.to_owned()
    } else {
        value.to_owned()
    }
}
