//! Modal dialogs a screen opens over itself: a yes/no question, or a small form (a
//! supervisor's username and PIN, a reason). The screen owns the dialog and acts on its
//! answer; the dialog only collects it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::form::{Field, Form, FormEvent, Label};
use super::theme;
use crate::text::Strings;

pub enum Body {
    Confirm,
    Fields(Form),
}

pub struct Dialog {
    pub title: Label,
    pub message: String,
    pub body: Body,
    pub error: Option<String>,
    /// The PIN typed is being checked on the work thread: keys wait until the answer.
    checking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Pending,
    Cancel,
    /// Yes to a question, or Enter on a form's last field.
    Accept,
}

impl Dialog {
    /// Whether a PIN is being typed in it.
    pub fn secret_focused(&self) -> bool {
        matches!(&self.body, Body::Fields(f) if f.secret_focused())
    }

    pub fn confirm(title: Label, message: String) -> Dialog {
        Dialog {
            title,
            message,
            body: Body::Confirm,
            error: None,
            checking: false,
        }
    }

    pub fn supervisor(title: Label, message: String) -> Dialog {
        let form = Form::new(vec![
            Field::text("user", |s| s.supervisor_user, ""),
            Field::secret("pin", |s| s.supervisor_pin, 12),
        ]);
        Dialog {
            title,
            message,
            body: Body::Fields(form),
            error: None,
            checking: false,
        }
    }

    pub fn reason(title: Label, message: String, label: Label) -> Dialog {
        let form = Form::new(vec![Field::text("reason", label, "")]);
        Dialog {
            title,
            message,
            body: Body::Fields(form),
            error: None,
            checking: false,
        }
    }

    /// A small form of `fields`; Enter on the last accepts.
    pub fn fields(title: Label, message: String, fields: Vec<Field>) -> Dialog {
        Dialog {
            title,
            message,
            body: Body::Fields(Form::new(fields)),
            error: None,
            checking: false,
        }
    }

    pub fn text(&self, key: &str) -> String {
        match &self.body {
            Body::Fields(f) => f.text(key),
            Body::Confirm => String::new(),
        }
    }

    /// The PIN was handed to the work thread: it is cleared from the form, and the dialog
    /// says it is checking until `refuse` or the dialog closes.
    pub fn start_checking(&mut self) {
        if let Body::Fields(f) = &mut self.body {
            f.clear_text("pin");
        }
        self.error = None;
        self.checking = true;
    }

    /// After a refused PIN: clear it and show why, keeping the username.
    pub fn refuse(&mut self, error: String) {
        self.checking = false;
        if let Body::Fields(f) = &mut self.body {
            f.clear_text("pin");
            if let Some(i) = f.index("pin") {
                f.focus = i;
            }
        }
        self.error = Some(error);
    }

    pub fn paste(&mut self, text: &str) {
        if self.checking {
            return;
        }
        if let Body::Fields(f) = &mut self.body {
            f.paste(text);
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Answer {
        if self.checking {
            return Answer::Pending;
        }
        if key.code == KeyCode::Esc {
            return Answer::Cancel;
        }
        match &mut self.body {
            Body::Confirm => match key.code {
                KeyCode::Char('y' | 'Y') => Answer::Accept,
                KeyCode::Char('n' | 'N' | 't' | 'T') => Answer::Cancel,
                _ => Answer::Pending,
            },
            Body::Fields(form) => match form.on_key(key) {
                FormEvent::Submit => Answer::Accept,
                _ => Answer::Pending,
            },
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, s: &Strings) {
        let width = area.width.min(70);
        let message_lines =
            (self.message.chars().count() as u16 / width.saturating_sub(4).max(1)) + 1;
        let fields = match &self.body {
            Body::Fields(f) => f.fields.len() as u16,
            Body::Confirm => 1,
        };
        let below = self.error.is_some() || self.checking;
        let height = (message_lines + fields + 4 + u16::from(below) * 2).min(area.height);
        let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
        Clear.render(popup, buf);
        let block = Block::bordered().title(Line::styled(
            format!(" {} ", (self.title)(s)),
            theme::title(),
        ));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let [msg, body, err] = inner.layout(&Layout::vertical([
            Constraint::Length(message_lines + 1),
            Constraint::Length(fields),
            Constraint::Min(0),
        ]));
        Paragraph::new(self.message.as_str())
            .wrap(Wrap { trim: true })
            .render(msg, buf);
        match &self.body {
            Body::Confirm => {
                Paragraph::new(Line::styled(s.yes_no, theme::focus())).render(body, buf)
            }
            Body::Fields(f) => f.render(body, buf, s, true, 24),
        }
        if self.checking {
            Paragraph::new(Line::styled(s.pin_checking, theme::dim())).render(err, buf);
        } else if let Some(e) = &self.error {
            Paragraph::new(Line::styled(e.as_str(), theme::error()))
                .wrap(Wrap { trim: true })
                .render(err, buf);
        }
    }
}
