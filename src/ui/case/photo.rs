//! The photo step: live preview, capture (Space), the quality checks with their reasons,
//! retake (R) or accept (Enter); a failing photo is accepted only with a reason.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use image::RgbImage;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use uuid::Uuid;

use crate::photo::{Capture, Outcome};
use crate::text::scan::{photo_check_advice, photo_check_name};
use crate::ui::work::{Done, Work};
use crate::ui::{Strings, preview, theme};

pub enum PhotoOut {
    /// Keep the captured photo (with the officer's reason when checks failed).
    Accept,
    /// A message, written from a language's strings (said in both).
    Message(fn(&'static Strings) -> &'static str),
}

#[derive(Default)]
pub struct PhotoPanel {
    preview: Option<Arc<RgbImage>>,
    pub captured: Option<Capture>,
    /// A capture is being checked on the work thread.
    pub checking: bool,
    /// The accepted photo is being encoded and written on the work thread.
    pub saving: bool,
    /// The picture in the terminal's image protocol, and the area it was made for.
    picture: Option<(ratatui_image::protocol::Protocol, Rect)>,
    /// A preview frame is being encoded: newer frames wait rather than queue up.
    encoding: bool,
    /// Where the picture was last drawn (render is `&self`; frames are encoded for it).
    area: std::cell::Cell<Rect>,
}

impl PhotoPanel {
    /// A new camera frame; with `picker`, it (or the captured crop) is encoded in the
    /// terminal's image protocol on the work thread, one frame at a time.
    pub fn on_frame(
        &mut self,
        frame: Arc<RgbImage>,
        picker: Option<&ratatui_image::picker::Picker>,
        work: &Work,
        case: Uuid,
    ) {
        self.preview = Some(frame);
        self.encode_picture(picker, work, case);
    }

    fn encode_picture(
        &mut self,
        picker: Option<&ratatui_image::picker::Picker>,
        work: &Work,
        case: Uuid,
    ) {
        let Some(picker) = picker else { return };
        if self.encoding {
            return;
        }
        let shown: Arc<RgbImage> = match (&self.captured, &self.preview) {
            (
                Some(Capture {
                    crop: Some(crop), ..
                }),
                _,
            ) => Arc::new(crop.clone()),
            (_, Some(frame)) => frame.clone(),
            _ => return,
        };
        let (picker, area) = (picker.clone(), self.area.get());
        self.encoding = true;
        work.submit(move || Done::Picture {
            case,
            picture: crate::ui::picture::encode(&picker, &shown, area).map(|p| (p, area)),
        });
    }

    /// A preview encoded on the work thread.
    pub fn on_picture(&mut self, picture: Option<(ratatui_image::protocol::Protocol, Rect)>) {
        self.encoding = false;
        self.picture = picture;
    }

    /// The checks of a capture, back from the work thread.
    pub fn on_capture(&mut self, capture: Capture) {
        self.checking = false;
        self.captured = Some(capture);
    }

    pub fn on_key(&mut self, key: &KeyEvent, work: &Work, case: Uuid) -> Option<PhotoOut> {
        if self.checking || self.saving {
            return Some(PhotoOut::Message(|s| s.photo_busy));
        }
        match key.code {
            KeyCode::Char(' ') if self.captured.is_none() => {
                let Some(frame) = &self.preview else {
                    return Some(PhotoOut::Message(|s| s.photo_no_frame));
                };
                let frame = frame.clone();
                self.checking = true;
                work.submit(move || Done::Capture {
                    case,
                    capture: Capture::of(&frame),
                });
                None
            }
            KeyCode::Char('r' | 'R') => {
                self.captured = None;
                None
            }
            KeyCode::Enter => match &self.captured {
                None => Some(PhotoOut::Message(|s| s.photo_capture_first)),
                Some(c) if c.crop.is_none() => Some(PhotoOut::Message(|s| s.photo_cannot_crop)),
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
            None if self.checking => s.photo_checking,
            _ if self.saving => s.photo_saving,
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
                                crate::text::scan::photo_measure(why, s),
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
