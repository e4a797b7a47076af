//! How input reaches the terminal's screens: keys (a keyboard-wedge scan told apart from
//! typing), a serial scanner's or the camera's reads and pastes, and which of sign-in, the
//! lock, an open scan question or the screen on top takes each.

#[allow(clippy::wildcard_imports)]
use super::*;

impl App {
    /// When characters held as a possible wedge scan must reach the screen.
    pub fn keys_due(&self) -> Option<std::time::Instant> {
        self.wedge.due()
    }

    /// A key from the terminal, pressed at `at`: a run of characters at scanner speed that
    /// ends in Enter and is shaped like a scan goes to the scan path (as a serial scanner's
    /// does), never into the focused field; anything else reaches the screen as typed.
    pub fn on_typed(&mut self, key: KeyEvent, at: std::time::Instant) {
        // A PIN is typed, never scanned: ten digits typed fast on a keypad are no misread
        // booking code (what was held before goes first, in order).
        if self.pin_focused() {
            for held in self.wedge.flush() {
                self.on_key(&held);
            }
            self.on_key(&key);
            return;
        }
        let setup = &self.setup;
        let ctx = crate::domain::payload::ScanContext {
            key: setup.token_key.as_ref(),
            office: &setup.office.code,
            today: setup.office.zone.today(setup.clock.now()),
        };
        match self
            .wedge
            .key(key, at, |text| super::super::wedge::is_scan(text, &ctx))
        {
            super::super::wedge::Feed::Held => {}
            super::super::wedge::Feed::Keys(keys) => {
                for key in keys {
                    self.on_key(&key);
                }
            }
            super::super::wedge::Feed::Scan(text) => {
                if let Some(session) = &mut self.session {
                    session.last_input = self.setup.clock.now();
                }
                self.on_scan(&text);
            }
        }
    }

    /// Whether the focused field takes a PIN: the sign-in's, the lock's, or a supervisor's
    /// in a case's approval dialog.
    fn pin_focused(&self) -> bool {
        match &self.session {
            None => self.login.secret_focused(),
            Some(session) => match &session.mode {
                Mode::Locked(lock) => lock.secret_focused(),
                Mode::Asking(..) => false,
                Mode::Working => {
                    matches!(self.stack.last(), Some(Screen::Case(c)) if c.secret_focused())
                }
            },
        }
    }

    pub(super) fn on_scanner(&mut self, event: ScannerEvent) {
        match event {
            ScannerEvent::Connected(port) => {
                self.notice = Some(Notice::said(Level::Ok, |s| {
                    fill!(s.scanner_connected, port = port)
                }));
                self.status.scanner = Some(Ok(port));
            }
            ScannerEvent::Disconnected(why) => {
                self.notice = Some(Notice::said(Level::Warn, |s| {
                    fill!(s.scanner_lost, why = why)
                }));
                self.status.scanner = Some(Err(why));
            }
            ScannerEvent::Refused(r) => {
                self.notice = Some(Notice::said(Level::Error, |s| refusal_text(&r, s)));
            }
            ScannerEvent::Scan(text) => self.on_scan(&text),
        }
    }

    pub(super) fn on_camera(&mut self, event: CameraEvent) {
        match event {
            CameraEvent::Opened(name) => self.status.camera = Some(Ok(name)),
            CameraEvent::Failed(why) => {
                self.notice = Some(Notice::said(Level::Warn, |s| {
                    fill!(s.camera_failed, why = why)
                }));
                self.status.camera = Some(Err(why));
            }
            CameraEvent::Scan(text) => self.on_scan(&text),
            CameraEvent::Frame(frame) => {
                if let Some(Screen::Case(case)) = self.stack.last_mut() {
                    case.on_frame(frame, self.picker.as_ref(), &self.work);
                }
            }
        }
    }

    /// A scan is another way of typing a booking code: on the queue it opens the booking;
    /// anywhere else the officer is asked before leaving the screen.
    pub(super) fn on_scan(&mut self, text: &str) {
        let s = self.lang.strings();
        let Some(session) = self
            .session
            .as_ref()
            .filter(|s| !matches!(s.mode, Mode::Locked(_)))
        else {
            self.notice = Some(Notice::said(Level::Warn, |s| s.scan_login_first.to_owned()));
            return;
        };
        let (officer, key) = (session.officer.clone(), session.key.clone());
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            key,
            self.lang,
            &mut self.notice,
        );
        let code = match payload::parse(text, &ctx.scan_context()) {
            Ok(scanned) => scanned.code().clone(),
            Err(e) => {
                ctx.say(Level::Error, |s| payload_error_text(text, &e, s));
                return;
            }
        };
        match self.stack.as_mut_slice() {
            [Screen::Queue(queue)] => {
                let nav = queue.open(&mut ctx, &code);
                Self::navigate(&mut self.stack, nav, &mut ctx);
            }
            _ => {
                let message = fill!(s.scan_leave, code = code);
                if let Some(session) = &mut self.session {
                    let dialog = Dialog::confirm(|s| s.confirm_title, message);
                    session.mode = Mode::Asking(dialog, code);
                }
            }
        }
    }

    /// Leaves whatever is open (saving it) and opens the scanned booking from the queue.
    pub(super) fn open_scanned(&mut self, code: &BookingCode) {
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
        while self.stack.len() > 1 {
            if let Some(mut top) = self.stack.pop() {
                top.leave(&mut ctx);
            }
        }
        if let Some(Screen::Queue(queue)) = self.stack.first_mut() {
            queue.refresh(&mut ctx);
            let nav = queue.open(&mut ctx, code);
            Self::navigate(&mut self.stack, nav, &mut ctx);
        }
    }

    pub(super) fn on_paste(&mut self, text: &str) {
        let Some(session) = &mut self.session else {
            self.login.paste(text);
            return;
        };
        session.last_input = self.setup.clock.now();
        // A paste on a board left in view is an act: the PIN first.
        if std::mem::take(&mut session.watching) && matches!(session.mode, Mode::Working) {
            session.mode = Mode::locked(&session.officer);
            return;
        }
        match &mut session.mode {
            Mode::Locked(lock) => return lock.paste(text),
            Mode::Asking(..) => return,
            Mode::Working => {}
        }
        let (officer, key) = (session.officer.clone(), session.key.clone());
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            key,
            self.lang,
            &mut self.notice,
        );
        if let Some(top) = self.stack.last_mut() {
            let nav = top.on_paste(text, &mut ctx);
            Self::navigate(&mut self.stack, nav, &mut ctx);
        }
        // A field takes at most this many characters: a longer paste is cut, and says so.
        let pasted = text.chars().filter(|c| !c.is_control()).count();
        if pasted > super::super::input::DEFAULT_MAX {
            ctx.say(Level::Warn, |s| {
                fill!(
                    s.paste_cut,
                    pasted = pasted,
                    kept = super::super::input::DEFAULT_MAX
                )
            });
        }
    }

    /// Ctrl+R: what pusat refused of this counter's events, and why (looked at from now
    /// on); with nothing refused, that sync is being tried now.
    fn show_refused(&mut self) {
        let refused = match self.setup.desk.take_refused() {
            Ok(list) => list,
            Err(e) => {
                self.notice = Some(Notice::said(Level::Error, move |s| {
                    crate::text::store_text(&e, s)
                }));
                return;
            }
        };
        self.status.counts.refused = 0;
        self.told_refused = 0;
        if refused.is_empty() {
            self.notice = Some(Notice::said(Level::Info, |s| s.sync_retrying.to_owned()));
            return;
        }
        let list = refused
            .iter()
            .map(|r| {
                format!(
                    "#{} {}: {}",
                    r.seq,
                    crate::domain::format::shown(&r.kind),
                    crate::domain::format::shown(&r.reason)
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let count = refused.len();
        self.notice = Some(Notice::said(Level::Error, move |s| {
            fill!(s.refused_list, count = count, list = list)
        }));
    }

    pub(super) fn on_key(&mut self, key: &KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => {
                self.quit = true;
                return;
            }
            _ if self.hidden.get() => return,
            KeyCode::F(2) => {
                self.lang = self.lang.other();
                return;
            }
            KeyCode::F(1) => {
                self.help = !self.help;
                return;
            }
            KeyCode::Esc if self.help => {
                self.help = false;
                return;
            }
            // F10 (log out, or quit before sign-in) works over the help too.
            KeyCode::F(10) if self.help => self.help = false,
            _ if self.help => return,
            _ => {}
        }
        let Some(session) = &mut self.session else {
            self.on_login_key(key);
            return;
        };
        session.last_input = self.setup.clock.now();
        // A board left in view: looking around is free, acting asks for the PIN first.
        let looking = matches!(
            key.code,
            KeyCode::Up
                | KeyCode::Down
                | KeyCode::PageUp
                | KeyCode::PageDown
                | KeyCode::Home
                | KeyCode::End
        );
        if session.watching && matches!(session.mode, Mode::Working) && !looking {
            session.watching = false;
            session.mode = Mode::locked(&session.officer);
            return;
        }
        match &mut session.mode {
            Mode::Locked(_) => return self.on_lock_key(key),
            Mode::Asking(dialog, code) => {
                match dialog.on_key(key) {
                    Answer::Pending => {}
                    Answer::Cancel => session.mode = Mode::Working,
                    Answer::Accept => {
                        let code = code.clone();
                        session.mode = Mode::Working;
                        self.open_scanned(&code);
                    }
                }
                return;
            }
            Mode::Working => {}
        }
        match key.code {
            KeyCode::F(9) => {
                session.mode = Mode::locked(&session.officer);
                return;
            }
            KeyCode::Char('r') if ctrl => {
                self.retry.set(true);
                self.show_refused();
                return;
            }
            KeyCode::F(10) => {
                self.logout();
                return;
            }
            KeyCode::Char('?') if !self.stack.last().is_some_and(Screen::typing) => {
                self.help = true;
                return;
            }
            _ => {}
        }
        let (officer, proof_key) = (session.officer.clone(), session.key.clone());
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            proof_key,
            self.lang,
            &mut self.notice,
        );
        if let Some(top) = self.stack.last_mut() {
            let nav = top.on_key(key, &mut ctx);
            Self::navigate(&mut self.stack, nav, &mut ctx);
        }
    }

    pub(super) fn navigate(stack: &mut Vec<Screen>, nav: Nav, ctx: &mut Ctx<'_>) {
        match nav {
            Nav::Stay => {}
            Nav::Push(screen) => stack.push(screen),
            Nav::Replace(screen) => {
                stack.pop();
                stack.push(screen);
            }
            Nav::Pop if stack.len() > 1 => {
                stack.pop();
                if let Some(top) = stack.last_mut() {
                    top.refresh(ctx);
                }
            }
            Nav::Pop => {}
        }
    }

    pub(super) fn on_login_key(&mut self, key: &KeyEvent) {
        if key.code == KeyCode::F(10) {
            self.quit = true;
            return;
        }
        let now = self.setup.office.zone.local(self.setup.clock.now());
        let hint = self.roster_hint();
        self.login
            .on_key(key, &self.setup.desk, &self.work, now, self.lang, hint);
    }

    /// Why nobody can sign in yet, when the roster is empty.
    pub(super) fn roster_hint(&self) -> Option<&'static str> {
        let s = self.lang.strings();
        match (self.roster_empty, &self.server) {
            (false, _) => None,
            (true, None) => Some(s.login_unenrolled),
            (true, Some(_)) => Some(s.login_awaiting_roster),
        }
    }

    pub(super) fn on_lock_key(&mut self, key: &KeyEvent) {
        if key.code == KeyCode::F(10) {
            self.logout();
            return;
        }
        let now = self.setup.office.zone.local(self.setup.clock.now());
        if let Some(Session {
            mode: Mode::Locked(lock),
            ..
        }) = &mut self.session
        {
            lock.on_key(key, &self.setup.desk, &self.work, now, self.lang, None);
        }
    }
}
