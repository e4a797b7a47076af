//! The technician's view of a kiosk: what it is, where its data lives, what is waiting.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Ctx, Nav, Strings, View, theme};

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
}

pub fn keys(_s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    (vec![], vec![])
}

impl TechScreen {
    pub fn new(ctx: &mut Ctx<'_>, devices: Devices) -> TechScreen {
        let mut t = TechScreen {
            devices,
            device: String::new(),
            db_bytes: 0,
            pending: 0,
            bookings: 0,
        };
        t.refresh(ctx);
        t
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

    pub fn on_key(&mut self, _key: &KeyEvent) -> Nav {
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
        Paragraph::new(lines).render(area, buf);
    }
}

fn configured(value: &str, otherwise: &str) -> String {
    if value.is_empty() {
        otherwise.to_owned()
    } else {
        value.to_owned()
    }
}
