//! Signing in (username or NIP, then PIN) and unlocking a locked screen (PIN only).

use chrono::{DateTime, FixedOffset};
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::form::{Field, Form, FormEvent};
use super::theme;
use super::work::{Done, PinFor, Work};
use crate::counter::Desk;
use crate::store::{AuthError, Officer, PinAttempt};
use crate::text::{Lang, Strings, fill};

pub enum LoginOutcome {
    Pending,
    /// The officer, and their proof key made from the PIN typed.
    SignedIn(Officer, Option<crate::proof::ProofKey>),
}

pub struct LoginScreen {
    form: Form,
    /// Set when this is the lock screen: only this officer's PIN opens it.
    locked_by: Option<String>,
    error: Option<String>,
    /// The PIN is being checked on the work thread.
    checking: bool,
}

impl LoginScreen {
    /// Whether the PIN is being typed.
    pub fn secret_focused(&self) -> bool {
        self.form.secret_focused()
    }

    pub fn new(locked_by: Option<String>) -> LoginScreen {
        let mut form = Form::new(vec![
            Field::text("user", |s| s.login_user, locked_by.as_deref().unwrap_or("")),
            Field::secret("pin", |s| s.login_pin, 12),
        ]);
        if locked_by.is_some() {
            form.set_hidden("user", true);
            form.focus = 1;
        }
        LoginScreen {
            form,
            locked_by,
            error: None,
            checking: false,
        }
    }

    pub fn paste(&mut self, text: &str) {
        self.form.paste(text);
    }

    /// A key; Enter on the PIN hands the check to the work thread (`on_pin` finishes it).
    pub fn on_key(
        &mut self,
        key: &KeyEvent,
        desk: &Desk,
        work: &Work,
        now: DateTime<FixedOffset>,
        lang: Lang,
        roster_hint: Option<&str>,
    ) {
        if self.checking || self.form.on_key(key) != FormEvent::Submit {
            return;
        }
        let s = lang.strings();
        if let Some(hint) = roster_hint {
            self.error = Some(hint.to_owned());
            return;
        }
        let (user, pin) = (self.form.text("user"), self.form.text("pin"));
        if user.is_empty() || pin.is_empty() {
            self.error = Some(s.login_empty.to_owned());
            self.form.focus = if user.is_empty() { 0 } else { 1 };
            return;
        }
        self.form.clear_text("pin");
        match desk.pin_attempt(&user, &pin, now) {
            Ok(attempt) => {
                self.checking = true;
                self.error = None;
                let purpose = match self.locked_by {
                    Some(_) => PinFor::Unlock,
                    None => PinFor::SignIn,
                };
                let mut attempt = attempt;
                work.submit(move || Done::Pin {
                    // And the officer's proof key, made from the PIN when it matched.
                    matched: attempt.check(&pin),
                    purpose,
                    attempt,
                });
            }
            Err(e) => self.refuse(&e, &user, s),
        }
    }

    /// The answer of the PIN check.
    pub fn on_pin(
        &mut self,
        attempt: PinAttempt,
        matched: bool,
        desk: &Desk,
        now: DateTime<FixedOffset>,
        s: &Strings,
    ) -> LoginOutcome {
        self.checking = false;
        let user = self.form.text("user");
        let key = attempt.key().cloned();
        match desk.pin_outcome(attempt, matched, now) {
            Ok(officer) => LoginOutcome::SignedIn(officer, key),
            Err(e) => {
                self.refuse(&e, &user, s);
                LoginOutcome::Pending
            }
        }
    }

    /// A sign-in that succeeded but is not allowed here (`loket board` is for supervisors).
    pub fn refuse_with(&mut self, text: &str) {
        self.form.clear_text("pin");
        self.form.clear_text("user");
        self.form.focus = 0;
        self.error = Some(text.to_owned());
    }

    fn refuse(&mut self, e: &AuthError, user: &str, s: &Strings) {
        if matches!(e, AuthError::UnknownUser) {
            self.form.focus = 0;
        }
        self.error = Some(crate::text::auth_text(e, user, s));
    }

    /// `roster_hint`: why nobody can sign in yet, shown in place of the introduction.
    pub fn render(&self, area: Rect, buf: &mut Buffer, s: &Strings, roster_hint: Option<&str>) {
        let popup = area.centered(
            Constraint::Length(area.width.min(64)),
            Constraint::Length(11),
        );
        let title = if self.locked_by.is_some() {
            s.lock_title
        } else {
            s.login_title
        };
        let block = Block::bordered().title(Line::styled(format!(" {title} "), theme::title()));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let [intro, fields, error] = inner.layout(&Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(0),
        ]));
        if let Some(user) = &self.locked_by {
            Paragraph::new(fill!(s.lock_prompt, name = user))
                .wrap(Wrap { trim: true })
                .render(intro, buf);
        } else if let Some(hint) = roster_hint {
            Paragraph::new(Line::styled(hint, theme::warn()))
                .wrap(Wrap { trim: true })
                .render(intro, buf);
        }
        self.form.render(fields, buf, s, true, 20);
        if self.checking {
            Paragraph::new(Line::styled(s.pin_checking, theme::dim())).render(error, buf);
        } else if let Some(e) = &self.error {
            Paragraph::new(Line::styled(e.as_str(), theme::error()))
                .wrap(Wrap { trim: true })
                .render(error, buf);
        }
    }
}
