//! The answers of the work thread: the screen that gave a job finishes the action. When
//! that screen is gone, what must not be lost is still done (a wrong PIN still counts, a
//! written photo is still recorded on its case).

use super::*;

impl App {
    /// A job of the work thread finished: the screen that gave it finishes the action. When
    /// that screen is gone, what must not be lost is still done (a wrong PIN still counts,
    /// a written photo is still recorded on its case).
    pub(super) fn on_done(&mut self, done: Done) {
        let now = self.setup.office.zone.local(self.setup.clock.now());
        match done {
            Done::Pin {
                purpose: PinFor::SignIn,
                attempt,
                matched,
            } if self.session.is_none() => {
                let s = self.lang.strings();
                let desk = &self.setup.desk;
                if let LoginOutcome::SignedIn(officer, key) =
                    self.login.on_pin(attempt, matched, desk, now, s)
                {
                    if self.setup.board_only && officer.role != Role::Supervisor {
                        self.login.refuse_with(s.board_supervisor_only);
                    } else {
                        self.start_session(officer, key);
                    }
                }
            }
            Done::Pin {
                purpose: PinFor::Unlock,
                attempt,
                matched,
            } if self
                .session
                .as_ref()
                .is_some_and(|s| matches!(s.mode, Mode::Locked(_))) =>
            {
                let s = self.lang.strings();
                let desk = &self.setup.desk;
                let Some(session) = &mut self.session else {
                    return;
                };
                let Mode::Locked(lock) = &mut session.mode else {
                    return;
                };
                if let LoginOutcome::SignedIn(officer, key) =
                    lock.on_pin(attempt, matched, desk, now, s)
                    && officer.username == session.officer.username
                {
                    session.key = key.or(session.key.take());
                    session.mode = Mode::Working;
                }
            }
            Done::Pin {
                purpose: PinFor::Approval(case),
                attempt,
                matched,
            } => match self.case_screen(case) {
                Some(i) => self.on_case_done(
                    i,
                    Done::Pin {
                        purpose: PinFor::Approval(case),
                        attempt,
                        matched,
                    },
                ),
                None => {
                    let _ = self.setup.desk.pin_outcome(attempt, matched, now);
                }
            },
            Done::Pin {
                attempt, matched, ..
            } => {
                let _ = self.setup.desk.pin_outcome(attempt, matched, now);
            }
            Done::Capture { case, .. } | Done::Picture { case, .. } => {
                if let Some(i) = self.case_screen(case) {
                    self.on_case_done(i, done);
                }
            }
            Done::Called(answer) => self.on_called(answer),
            Done::Printed { label, result } => self.on_printed(&label, result),
            Done::SlipPrinted {
                booking,
                result: Err(why),
            } => {
                self.notice = Some(Notice::said(Level::Error, |s| {
                    fill!(s.slip_print_failed, booking = booking, why = why)
                }));
            }
            Done::SlipPrinted { .. } => {}
            Done::OfficeStatus(status) => {
                for screen in &mut self.stack {
                    if let Screen::Board(board) = screen {
                        board.on_status(status.clone());
                    }
                }
            }
            Done::Doctor { id, en } => {
                for screen in &mut self.stack {
                    if let Screen::Tech(tech) = screen {
                        tech.examined(*id.clone(), *en.clone());
                    }
                }
            }
            Done::Stored { case, .. } => match self.case_screen(case) {
                Some(i) => self.on_case_done(i, done),
                None => self.record_orphan_photo(done),
            },
        }
    }

    /// Where in the stack the case `id` is open.
    fn case_screen(&self, id: uuid::Uuid) -> Option<usize> {
        self.stack
            .iter()
            .position(|s| matches!(s, Screen::Case(c) if c.id() == id))
    }

    fn on_case_done(&mut self, index: usize, done: Done) {
        let Some(session) = &self.session else { return };
        let (officer, key) = (session.officer.clone(), session.key.clone());
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            key,
            self.lang,
            &mut self.notice,
        );
        if let Some(Screen::Case(c)) = self.stack.get_mut(index) {
            c.on_done(done, &mut ctx);
        }
    }

    /// pusat's answer to F6 goes to the queue screen. Without a session it is dropped: the
    /// call pusat made still reaches this counter at its next pull, only without its own
    /// audit row.
    fn on_called(&mut self, answer: crate::ui::work::CallAnswer) {
        let Some(session) = &self.session else { return };
        let (officer, key) = (session.officer.clone(), session.key.clone());
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            key,
            self.lang,
            &mut self.notice,
        );
        for screen in &mut self.stack {
            if let Screen::Queue(queue) = screen {
                queue.called(&mut ctx, answer);
                return;
            }
        }
    }

    /// A slip that did not print: said, and the number shown large instead.
    fn on_printed(&mut self, label: &str, result: Result<(), String>) {
        let Err(why) = result else { return };
        self.notice = Some(Notice::said(Level::Error, |s| {
            fill!(s.ticket_print_failed, ticket = label, why = why)
        }));
        for screen in &mut self.stack {
            if let Screen::Queue(queue) = screen {
                queue.show_big(label.to_owned());
            }
        }
    }

    /// A photo written after its case was closed on screen: recorded all the same.
    fn record_orphan_photo(&mut self, done: Done) {
        let Done::Stored {
            case,
            stored: Ok(stored),
            failed_checks,
            reason,
            biometrics,
        } = done
        else {
            return;
        };
        let Some(session) = &self.session else { return };
        let actor = crate::store::Actor {
            key: session.key.clone(),
            username: session.officer.username.clone(),
            now: self.setup.office.zone.local(self.setup.clock.now()),
        };
        let desk = &mut self.setup.desk;
        if let Err(e) = desk.record_photo(&actor, case, &stored, failed_checks, reason, biometrics)
        {
            tracing::error!("a photo written after its case closed was not recorded: {e}");
        }
    }
}
