//! The photo step: live preview, capture (Space), the quality checks with their reasons,
//! retake (R) or accept (Enter); a failing photo is accepted only with a reason.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use image::RgbImage;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::photo::{self, CheckResult, Outcome};
use crate::ui::scan::{photo_check_advice, photo_check_name};
use crate::ui::{Strings, preview, theme};

pub struct Capture {
    pub crop: Option<RgbImage>,
    pub results: Vec<CheckResult>,
}

impl Capture {
    /// The checks that failed.
    pub fn failed(&self) -> Vec<photo::Check> {
        self.results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .map(|r| r.check)
            .collect()
    }
}

pub enum PhotoOut {
    /// Keep the captured photo (with the officer's reason when checks failed).
    Accept,
    Message(&'static str),
}

#[derive(Default)]
pub struct PhotoPanel {
    preview: Option<Arc<RgbImage>>,
    pub captured: Option<Capture>,
    /// The picture in the terminal's image protocol, and the area it was made for.
    picture: Option<(ratatui_image::protocol::Protocol, Rect)>,
    /// Where the picture was last drawn (render is `&self`; frames are encoded for it).
    area: std::cell::Cell<Rect>,
}

impl PhotoPanel {
    /// A new camera frame; with `picker`, it (or the captured crop) is encoded in the
    /// terminal's image protocol here, off the drawing path.
    pub fn on_frame(
        &mut self,
        frame: Arc<RgbImage>,
        picker: Option<&ratatui_image::picker::Picker>,
    ) {
        if let Some(picker) = picker {
            let area = self.area.get();
            let shown = match &self.captured {
                Some(Capture {
                    crop: Some(crop), ..
                }) => crop,
                _ => frame.as_ref(),
            };
            self.picture = crate::ui::picture::encode(picker, shown, area).map(|p| (p, area));
        }
        self.preview = Some(frame);
    }

    pub fn on_key(&mut self, key: &KeyEvent, s: &Strings) -> Option<PhotoOut> {
        match key.code {
            KeyCode::Char(' ') if self.captured.is_none() => {
                let Some(frame) = &self.preview else {
                    return Some(PhotoOut::Message(s.photo_no_frame));
                };
                self.captured = Some(Capture {
                    crop: photo::crop_passport(frame),
                    results: photo::check_image(frame),
                });
                None
            }
            KeyCode::Char('r' | 'R') => {
                self.captured = None;
                None
            }
            KeyCode::Enter => match &self.captured {
                None => Some(PhotoOut::Message(s.photo_capture_first)),
                Some(c) if c.crop.is_none() => Some(PhotoOut::Message(s.photo_cannot_crop)),
                Some(_) => Some(PhotoOut::Accept),
            },
            _ => None,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, s: &Strings) {
        let [picture, side] = area.layout(&Layout::horizontal([
            Constraint::Percentage(45),
            Constraint::Min(20),
        ]));
        self.area.set(picture);
        match (&self.captured, &self.preview) {
            // Real pixels, when the terminal speaks an image protocol and the picture was
            // made for this area (else half-blocks until the next frame).
            _ if self.picture.as_ref().is_some_and(|(_, a)| *a == picture) => {
                if let Some((protocol, _)) = &self.picture {
                    ratatui_image::Image::new(protocol).render(picture, buf);
                }
            }
            (
                Some(Capture {
                    crop: Some(crop), ..
                }),
                _,
            ) => preview::render(crop, picture, buf, true),
            (_, Some(frame)) => preview::render(frame, picture, buf, true),
            (_, None) => Paragraph::new(Line::styled(s.photo_waiting, theme::dim()))
                .wrap(Wrap { trim: true })
                .render(picture, buf),
        }
        let side = Rect {
            x: side.x + 1,
            width: side.width.saturating_sub(1),
            ..side
        };
        // The keys stay in view at the bottom however many checks fail.
        let [checks, keys] = side.layout(&Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(2),
        ]));
        let mut lines = Vec::new();
        let hint = match &self.captured {
            None => s.photo_keys_live,
            Some(c) => {
                // Failures first, each with what was measured and what to do; when any
                // failed, the passes share one line so that the failures fit.
                let failed = c.results.iter().filter(|r| r.outcome != Outcome::Pass);
                for r in failed {
                    let Outcome::Fail(why) = &r.outcome else {
                        continue;
                    };
                    lines.push(Line::from(vec![
                        Span::styled("✗ ", theme::error()),
                        Span::styled(
                            format!(
                                "{}: {} — {}",
                                photo_check_name(r.check, s),
                                crate::ui::scan::photo_measure(why, s),
                                photo_check_advice(r.check, s)
                            ),
                            theme::error(),
                        ),
                    ]));
                }
                let passed: Vec<&str> = c
                    .results
                    .iter()
                    .filter(|r| r.outcome == Outcome::Pass)
                    .map(|r| photo_check_name(r.check, s))
                    .collect();
                if lines.is_empty() {
                    for name in passed {
                        lines.push(Line::from(vec![
                            Span::styled("✓ ", theme::ok()),
                            Span::raw(name),
                        ]));
                    }
                } else if !passed.is_empty() {
                    lines.push(Line::from(vec![
                        Span::styled("✓ ", theme::ok()),
                        Span::raw(passed.join(", ")),
                    ]));
                }
                s.photo_keys_taken
            }
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(checks, buf);
        Paragraph::new(Line::styled(hint, theme::focus()))
            .wrap(Wrap { trim: true })
            .render(keys, buf);
    }
}
