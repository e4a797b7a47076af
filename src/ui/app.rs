//! The application: who is signed in, the stack of screens, the overlays (help, lock) and
//! the frame around every screen (header, status line, key hints).

use std::path::PathBuf;

use chrono::{DateTime, Duration, Timelike, Utc};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::dialog::{Answer, Dialog};
use super::login::{LoginOutcome, LoginScreen};
use super::scan::{payload_error_text, refusal_text};
use super::strings::Lang;
use super::work::{Done, PinFor, Work};
use super::{Ctx, Event, Level, Nav, Notice, Screen, View, fill, queue, tech, theme};
use crate::clock::Clock;
use crate::config::Config;
use crate::devices::camera::CameraEvent;
use crate::devices::serial::ScannerEvent;
use crate::domain::BookingCode;
use crate::domain::Office;
use crate::domain::fees::FeeSchedule;
use crate::domain::payload;
use crate::store::{Officer, Role, Store};

/// What the application is started with.
pub struct AppSetup {
    pub store: Store,
    pub clock: Box<dyn Clock>,
    pub config: Config,
    pub office: Office,
    pub fees: FeeSchedule,
    pub data_dir: PathBuf,
    /// The booking service's key for signed booking tokens.
    pub token_key: Option<ed25519_dalek::VerifyingKey>,
    /// Shown on the sign-in screen of a demo office: the demo accounts.
    pub demo_hint: Option<String>,
    /// The sync worker to start, when this counter is enrolled with pusat.
    pub sync: Option<crate::sync::WorkerSetup>,
}

struct Session {
    officer: Officer,
    last_input: DateTime<Utc>,
    locked: Option<LoginScreen>,
}

pub struct App {
    setup: AppSetup,
    lang: Lang,
    login: LoginScreen,
    session: Option<Session>,
    stack: Vec<Screen>,
    help: bool,
    notice: Option<Notice>,
    quit: bool,
    minute: u32,
    /// The serial scanner: None when none is configured, else connected (port) or not (why).
    scanner: Option<Result<String, String>>,
    /// The camera: None when none is configured, else ready (name) or not (why).
    camera: Option<Result<String, String>>,
    /// Set while a screen waits for a booking code: only then does the camera decode.
    camera_wanted: std::sync::Arc<crate::devices::camera::Wanted>,
    /// A scan that arrived away from the queue, waiting for the officer's yes.
    scan_dialog: Option<(Dialog, BookingCode)>,
    /// Whether this counter syncs with pusat, and the worker's last report.
    syncing: bool,
    sync: Option<crate::sync::SyncStatus>,
    /// The terminal's image protocol, when it speaks one (the photo step shows real pixels).
    picker: Option<ratatui_image::picker::Picker>,
    /// Whether the last frame was too small to show the screen: keys typed blind are
    /// ignored then (but Ctrl+C), so nothing happens that the officer cannot see.
    hidden: std::cell::Cell<bool>,
    /// pusat's address once this counter is enrolled, for the technician screen.
    server: Option<String>,
    /// No one on the roster yet: the sign-in screen says why (not enrolled, or the roster
    /// not yet pulled) instead of "unknown user" to everyone.
    roster_empty: bool,
    /// Slow jobs: inline until the event loop starts the work thread.
    work: Work,
    /// What waits to be synced, as of the last write here or the sync worker's last report:
    /// the status line draws this and never asks the database.
    counts: crate::store::SyncCounts,
    /// The newest outbox event, read after this terminal wrote (the loop tells sync).
    last_seq: i64,
    /// The store's write counter when `counts` and `last_seq` were read.
    seen_writes: u64,
}

/// Below 80×24 the screen cannot be drawn whole: it says so instead.
fn too_small(width: u16, height: u16) -> bool {
    width < 80 || height < 24
}

impl App {
    pub fn new(setup: AppSetup) -> App {
        let lang = Lang::parse(&setup.config.ui.language);
        let server = setup.sync.as_ref().map(|w| w.credential.server.clone());
        let roster_empty = setup.store.officer_count().unwrap_or(0) == 0;
        let mut app = App {
            server,
            roster_empty,
            setup,
            lang,
            login: LoginScreen::new(None),
            session: None,
            stack: Vec::new(),
            help: false,
            notice: None,
            quit: false,
            minute: u32::MAX,
            scanner: None,
            camera: None,
            camera_wanted: std::sync::Arc::default(),
            scan_dialog: None,
            syncing: false,
            sync: None,
            picker: None,
            hidden: std::cell::Cell::new(false),
            work: Work::inline(),
            counts: crate::store::SyncCounts::default(),
            last_seq: 0,
            seen_writes: u64::MAX,
        };
        app.after_writes();
        app
    }

    /// Reads the sync counts and the newest event again when this terminal wrote since the
    /// last look (the store counts writes in memory, so an idle redraw reads nothing).
    fn after_writes(&mut self) {
        let writes = self.setup.store.writes();
        if writes == self.seen_writes {
            return;
        }
        self.seen_writes = writes;
        if let Ok(counts) = self.setup.store.sync_counts() {
            self.counts = counts;
        }
        if let Ok(seq) = self.setup.store.last_seq() {
            self.last_seq = seq;
        }
    }

    /// Moves slow jobs to the work thread; `answer` gets each result (on that thread).
    pub fn start_work(
        &mut self,
        answer: impl Fn(Done) -> bool + Send + 'static,
    ) -> std::io::Result<()> {
        self.work = Work::spawn(answer)?;
        Ok(())
    }

    /// Shows the photo step's pictures through the terminal's image protocol.
    pub fn set_picker(&mut self, picker: ratatui_image::picker::Picker) {
        self.picker = Some(picker);
    }

    pub fn picker(&self) -> Option<&ratatui_image::picker::Picker> {
        self.picker.as_ref()
    }

    /// The newest outbox event (the event loop tells sync when it moves).
    pub fn last_event(&self) -> i64 {
        self.last_seq
    }

    /// The sync worker to start, when this counter is enrolled.
    pub fn sync_setup(&mut self) -> Option<crate::sync::WorkerSetup> {
        let setup = self.setup.sync.take();
        self.syncing |= setup.is_some();
        setup
    }

    pub fn has_camera(&self) -> bool {
        self.setup.config.camera.is_configured()
    }

    /// The serial scanner to start, when one is configured.
    pub fn scanner_config(&mut self) -> Option<crate::devices::serial::SerialConfig> {
        let config = &self.setup.config.scanner;
        config.is_configured().then(|| {
            self.scanner = Some(Err(String::new()));
            config.clone()
        })
    }

    /// The camera to start and the switch that tells it when to decode, when configured.
    pub fn camera_config(
        &mut self,
    ) -> Option<(
        crate::devices::camera::CameraConfig,
        std::sync::Arc<crate::devices::camera::Wanted>,
    )> {
        let config = &self.setup.config.camera;
        config.is_configured().then(|| {
            self.camera = Some(Err(String::new()));
            (config.clone(), self.camera_wanted.clone())
        })
    }

    /// Whether a screen is waiting for a booking code (the camera decodes only then).
    pub fn waiting_for_code(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.locked.is_none())
            && self.scan_dialog.is_none()
            && !self.help
            && matches!(self.stack.as_slice(), [Screen::Queue(_)])
    }

    /// Whether the photo step of an open case is on screen (the camera sends previews).
    pub fn taking_photo(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.locked.is_none())
            && self.scan_dialog.is_none()
            && matches!(self.stack.last(), Some(Screen::Case(c)) if c.taking_photo())
    }

    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// Handles one event; returns whether the screen must be redrawn.
    pub fn handle(&mut self, event: Event) -> bool {
        let mut dirty = self.dispatch(event);
        // Jobs that ran inline (no work thread) answer at once, in order.
        while let Some(done) = self.work.take_done() {
            dirty |= self.dispatch(Event::Work(done));
        }
        self.after_writes();
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        self.camera_wanted
            .code
            .store(self.waiting_for_code(), relaxed);
        self.camera_wanted
            .preview
            .store(self.taking_photo(), relaxed);
        dirty
    }

    fn dispatch(&mut self, event: Event) -> bool {
        match event {
            Event::Tick => self.tick(),
            Event::Term(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                self.on_key(&key);
                true
            }
            Event::Term(TermEvent::Paste(text)) => {
                if !self.hidden.get() {
                    self.on_paste(&text);
                }
                true
            }
            Event::Term(TermEvent::Resize(w, h)) => {
                self.hidden.set(too_small(w, h));
                true
            }
            Event::Term(_) => false,
            Event::Scanner(e) => {
                self.on_scanner(e);
                true
            }
            Event::Camera(e) => {
                self.on_camera(e);
                true
            }
            Event::Work(done) => {
                self.on_done(done);
                true
            }
            Event::Sync(status) => {
                self.syncing = true;
                self.counts = status.counts.clone();
                let pulled = status.pulled;
                self.sync = Some(status);
                if pulled > 0 {
                    self.refresh_screens();
                }
                self.end_withdrawn_session();
                if self.roster_empty {
                    self.roster_empty = self.setup.store.officer_count().unwrap_or(0) == 0;
                }
                true
            }
        }
    }

    fn tick(&mut self) -> bool {
        let now = self.setup.clock.now();
        let idle = Duration::minutes(i64::from(
            self.setup.config.counter.idle_lock_minutes.max(1),
        ));
        let mut dirty = false;
        if let Some(session) = &mut self.session
            && session.locked.is_none()
            && now - session.last_input >= idle
        {
            session.locked = Some(LoginScreen::new(Some(session.officer.username.clone())));
            self.help = false;
            dirty = true;
        }
        let minute = self.setup.office.zone.local(now).minute();
        dirty |= minute != self.minute;
        self.minute = minute;
        dirty
    }

    fn ctx<'a>(
        setup: &'a mut AppSetup,
        work: &'a Work,
        officer: &'a Officer,
        lang: Lang,
        notice: &'a mut Option<Notice>,
    ) -> Ctx<'a> {
        Ctx {
            now: setup.clock.now(),
            store: &mut setup.store,
            office: &setup.office,
            fees: &setup.fees,
            officer,
            lang,
            notice,
            token_key: setup.token_key.as_ref(),
            camera: setup.config.camera.is_configured(),
            data_dir: &setup.data_dir,
            underpaid: setup.config.counter.underpaid,
            work,
        }
    }

    fn on_scanner(&mut self, event: ScannerEvent) {
        let s = self.lang.strings();
        let notice = |level, text| Some(Notice { level, text });
        match event {
            ScannerEvent::Connected(port) => {
                self.notice = notice(Level::Ok, fill(s.scanner_connected, &[&port]));
                self.scanner = Some(Ok(port));
            }
            ScannerEvent::Disconnected(why) => {
                self.notice = notice(Level::Warn, fill(s.scanner_lost, &[&why]));
                self.scanner = Some(Err(why));
            }
            ScannerEvent::Refused(r) => self.notice = notice(Level::Error, refusal_text(&r, s)),
            ScannerEvent::Scan(text) => self.on_scan(&text),
        }
    }

    fn on_camera(&mut self, event: CameraEvent) {
        let s = self.lang.strings();
        match event {
            CameraEvent::Opened(name) => self.camera = Some(Ok(name)),
            CameraEvent::Failed(why) => {
                self.notice = Some(Notice {
                    level: Level::Warn,
                    text: fill(s.camera_failed, &[&why]),
                });
                self.camera = Some(Err(why));
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
    fn on_scan(&mut self, text: &str) {
        let s = self.lang.strings();
        let Some(session) = self.session.as_ref().filter(|s| s.locked.is_none()) else {
            self.notice = Some(Notice {
                level: Level::Warn,
                text: s.scan_login_first.to_owned(),
            });
            return;
        };
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        let code = match payload::parse(text, &ctx.scan_context()) {
            Ok(scanned) => scanned.code().clone(),
            Err(e) => {
                ctx.notify(Level::Error, payload_error_text(text, &e, s));
                return;
            }
        };
        match self.stack.as_mut_slice() {
            [Screen::Queue(queue)] => {
                let nav = queue.open(&mut ctx, &code);
                Self::navigate(&mut self.stack, nav, &mut ctx);
            }
            _ => {
                let message = fill(s.scan_leave, &[&code]);
                self.scan_dialog = Some((Dialog::confirm(|s| s.confirm_title, message), code));
            }
        }
    }

    /// Leaves whatever is open (saving it) and opens the scanned booking from the queue.
    fn open_scanned(&mut self, code: &BookingCode) {
        let Some(session) = &self.session else { return };
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
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

    fn on_paste(&mut self, text: &str) {
        let Some(session) = &mut self.session else {
            self.login.paste(text);
            return;
        };
        session.last_input = self.setup.clock.now();
        if let Some(lock) = &mut session.locked {
            lock.paste(text);
            return;
        }
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        if let Some(top) = self.stack.last_mut() {
            let nav = top.on_paste(text, &mut ctx);
            Self::navigate(&mut self.stack, nav, &mut ctx);
        }
    }

    fn on_key(&mut self, key: &KeyEvent) {
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
            _ if self.help => return,
            _ => {}
        }
        let Some(session) = &mut self.session else {
            self.on_login_key(key);
            return;
        };
        session.last_input = self.setup.clock.now();
        if session.locked.is_none()
            && let Some((dialog, code)) = &mut self.scan_dialog
        {
            match dialog.on_key(key) {
                Answer::Pending => {}
                Answer::Cancel => self.scan_dialog = None,
                Answer::Accept => {
                    let code = code.clone();
                    self.scan_dialog = None;
                    self.open_scanned(&code);
                }
            }
            return;
        }
        if session.locked.is_some() {
            self.on_lock_key(key);
            return;
        }
        match key.code {
            KeyCode::F(9) => {
                session.locked = Some(LoginScreen::new(Some(session.officer.username.clone())));
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
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        if let Some(top) = self.stack.last_mut() {
            let nav = top.on_key(key, &mut ctx);
            Self::navigate(&mut self.stack, nav, &mut ctx);
        }
    }

    fn navigate(stack: &mut Vec<Screen>, nav: Nav, ctx: &mut Ctx<'_>) {
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

    fn on_login_key(&mut self, key: &KeyEvent) {
        if key.code == KeyCode::F(10) {
            self.quit = true;
            return;
        }
        let now = self.setup.office.zone.local(self.setup.clock.now());
        let hint = self.roster_hint();
        self.login
            .on_key(key, &self.setup.store, &self.work, now, self.lang, hint);
    }

    /// Why nobody can sign in yet, when the roster is empty.
    fn roster_hint(&self) -> Option<&'static str> {
        let s = self.lang.strings();
        match (self.roster_empty, &self.server) {
            (false, _) => None,
            (true, None) => Some(s.login_unenrolled),
            (true, Some(_)) => Some(s.login_awaiting_roster),
        }
    }

    fn on_lock_key(&mut self, key: &KeyEvent) {
        if key.code == KeyCode::F(10) {
            self.logout();
            return;
        }
        let now = self.setup.office.zone.local(self.setup.clock.now());
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(lock) = &mut session.locked else {
            return;
        };
        lock.on_key(key, &self.setup.store, &self.work, now, self.lang, None);
    }

    /// A job of the work thread finished: the screen that gave it finishes the action. When
    /// that screen is gone, what must not be lost is still done (a wrong PIN still counts,
    /// a written photo is still recorded on its case).
    fn on_done(&mut self, done: Done) {
        let now = self.setup.office.zone.local(self.setup.clock.now());
        match done {
            Done::Pin {
                purpose: PinFor::SignIn,
                attempt,
                matched,
            } if self.session.is_none() => {
                let s = self.lang.strings();
                let store = &self.setup.store;
                if let LoginOutcome::SignedIn(officer) =
                    self.login.on_pin(attempt, matched, store, now, s)
                {
                    self.start_session(officer);
                }
            }
            Done::Pin {
                purpose: PinFor::Unlock,
                attempt,
                matched,
            } if self.session.as_ref().is_some_and(|s| s.locked.is_some()) => {
                let s = self.lang.strings();
                let store = &self.setup.store;
                let Some(session) = &mut self.session else {
                    return;
                };
                let Some(lock) = &mut session.locked else {
                    return;
                };
                if let LoginOutcome::SignedIn(officer) =
                    lock.on_pin(attempt, matched, store, now, s)
                    && officer.username == session.officer.username
                {
                    session.locked = None;
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
                    let _ = self.setup.store.pin_outcome(attempt, matched, now);
                }
            },
            Done::Pin {
                attempt, matched, ..
            } => {
                let _ = self.setup.store.pin_outcome(attempt, matched, now);
            }
            Done::Capture { case, .. } | Done::Picture { case, .. } => {
                if let Some(i) = self.case_screen(case) {
                    self.on_case_done(i, done);
                }
            }
            Done::Stored { case, .. } => match self.case_screen(case) {
                Some(i) => self.on_case_done(i, done),
                None => self.record_orphan_photo(done),
            },
        }
    }

    /// pusat's changes reached the database: every screen reloads what it shows (a new or
    /// cancelled booking appears in the queue without the officer navigating).
    fn refresh_screens(&mut self) {
        let Some(session) = &self.session else { return };
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        for screen in &mut self.stack {
            screen.refresh(&mut ctx);
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
        let officer = session.officer.clone();
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        if let Some(Screen::Case(c)) = self.stack.get_mut(index) {
            c.on_done(done, &mut ctx);
        }
    }

    /// A photo written after its case was closed on screen: recorded all the same.
    fn record_orphan_photo(&mut self, done: Done) {
        let Done::Stored {
            case,
            stored: Ok(stored),
            failed_checks,
            reason,
        } = done
        else {
            return;
        };
        let Some(session) = &self.session else { return };
        let actor = crate::store::Actor {
            username: session.officer.username.clone(),
            now: self.setup.office.zone.local(self.setup.clock.now()),
        };
        let store = &mut self.setup.store;
        if let Err(e) =
            crate::counter::record_photo(store, &actor, case, &stored, failed_checks, reason)
        {
            tracing::error!("a photo written after its case closed was not recorded: {e}");
        }
    }

    fn start_session(&mut self, officer: Officer) {
        let s = self.lang.strings();
        self.notice = Some(Notice {
            level: Level::Ok,
            text: fill(s.welcome, &[&officer.name]),
        });
        let devices = tech::Devices {
            scanner: self.setup.config.scanner.port.clone() + &self.setup.config.scanner.usb,
            camera: self.setup.config.camera.device.clone(),
            server: self.server.clone(),
        };
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            self.lang,
            &mut self.notice,
        );
        let home = match officer.role {
            Role::Technician => Screen::Tech(tech::TechScreen::new(&mut ctx, devices)),
            Role::Officer | Role::Supervisor => Screen::Queue(queue::QueueScreen::new(&mut ctx)),
        };
        self.stack = vec![home];
        self.session = Some(Session {
            officer,
            last_input: self.setup.clock.now(),
            locked: None,
        });
        self.login = LoginScreen::new(None);
    }

    /// Sync may have taken the signed-in officer off the roster (`pusat officer remove`):
    /// their session ends at once. What they saved stays; a read error changes nothing.
    fn end_withdrawn_session(&mut self) {
        let Some(session) = &self.session else { return };
        if self
            .setup
            .store
            .officer_on_roster(&session.officer.username)
            .unwrap_or(true)
        {
            return;
        }
        let name = session.officer.name.clone();
        self.logout();
        self.notice = Some(Notice {
            level: Level::Warn,
            text: fill(self.lang.strings().officer_withdrawn, &[&name]),
        });
    }

    fn logout(&mut self) {
        self.session = None;
        self.stack.clear();
        self.notice = None;
        self.login = LoginScreen::new(None);
    }

    pub fn draw(&self, frame: &mut Frame<'_>) {
        self.render(frame.area(), frame.buffer_mut());
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        let s = self.lang.strings();
        self.hidden.set(too_small(area.width, area.height));
        if too_small(area.width, area.height) {
            let text = fill(s.too_small, &[&area.width, &area.height]);
            Paragraph::new(Line::styled(text, theme::error()))
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        }
        let [header, body, notice, status, keys] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(1),
        ]));
        self.render_header(header, buf);
        let view = View {
            s,
            lang: self.lang,
            today: self.setup.office.zone.today(self.setup.clock.now()),
            office: &self.setup.office,
            data_dir: &self.setup.data_dir,
        };
        let (hints, help) = match (&self.session, self.stack.last()) {
            (
                Some(Session {
                    locked: Some(lock), ..
                }),
                _,
            ) => {
                lock.render(body, buf, s, None);
                (vec![s.key_help, s.key_lang, s.key_logout], vec![])
            }
            (Some(_), Some(top)) => {
                top.render(body, buf, &view);
                let (screen_hints, help) = top.keys(s);
                // The help and language keys first after the screen's own: always in view.
                let mut hints = screen_hints;
                hints.extend([s.key_help, s.key_lang, s.key_lock, s.key_logout]);
                (hints, help)
            }
            _ => {
                self.login.render(body, buf, s, self.roster_hint());
                if let Some(hint) = &self.setup.demo_hint {
                    let y = body.bottom().saturating_sub(1);
                    buf.set_string(body.x + 1, y, hint, theme::dim());
                }
                (
                    vec![s.key_next, s.key_help, s.key_lang, s.key_quit],
                    vec![("Enter", s.h_login_enter), ("F10", s.h_f10_quit)],
                )
            }
        };
        self.render_notice(notice, buf);
        self.render_status(status, buf);
        let mut spans = Vec::new();
        let mut used = 0;
        for h in hints {
            let w = unicode_width::UnicodeWidthStr::width(h) + 1;
            if used + w > keys.width as usize {
                break;
            }
            used += w;
            spans.extend([Span::styled(h, theme::keys()), Span::raw(" ")]);
        }
        let line = Line::from(spans);
        Paragraph::new(line).render(keys, buf);
        if let Some((dialog, _)) = &self.scan_dialog
            && self.session.as_ref().is_some_and(|s| s.locked.is_none())
        {
            dialog.render(body, buf, s);
        }
        if self.help {
            render_help(body, buf, s, &help);
        }
    }

    fn render_header(&self, area: Rect, buf: &mut Buffer) {
        let s = self.lang.strings();
        let now = self.setup.office.zone.local(self.setup.clock.now());
        let mut right = format!(
            "{} {} · {} {} {} ",
            s.counter,
            self.setup.config.counter.number,
            crate::domain::format::date_short(now.date_naive()),
            now.format("%H:%M"),
            self.setup.office.zone.label(),
        );
        if let Some(session) = &self.session {
            right.push_str(&format!("· {} ", session.officer.username));
        }
        right.push_str(&format!("· {} ", s.lang_name));
        Block::new().style(theme::header()).render(area, buf);
        let right_w = unicode_width::UnicodeWidthStr::width(right.as_str());
        let room = (area.width as usize).saturating_sub(right_w + 1);
        let mut left = format!(" {} · {}", s.app_title, self.setup.office.name);
        if left.chars().count() > room {
            left = left
                .chars()
                .take(room.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
        buf.set_string(
            area.x,
            area.y,
            left,
            theme::header().add_modifier(ratatui::style::Modifier::BOLD),
        );
        buf.set_string(
            area.right().saturating_sub(right_w as u16),
            area.y,
            right,
            theme::header(),
        );
    }

    /// The answer to the officer's last action, or the last device event.
    fn render_notice(&self, area: Rect, buf: &mut Buffer) {
        let Some(n) = &self.notice else { return };
        let style = match n.level {
            Level::Info => theme::label(),
            Level::Ok => theme::ok(),
            Level::Warn => theme::warn(),
            Level::Error => theme::error(),
        };
        Paragraph::new(Line::styled(n.text.clone(), style))
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }

    /// Always in view: the scanner and what waits to sync.
    fn render_status(&self, area: Rect, buf: &mut Buffer) {
        let s = self.lang.strings();
        let mut spans = Vec::new();
        spans.extend(device_status(
            &self.scanner,
            s.scanner_connected,
            s.scanner_lost,
            s.scanner_connecting,
        ));
        spans.extend(device_status(
            &self.camera,
            s.camera_opened,
            s.camera_failed,
            s.camera_connecting,
        ));
        if self.syncing {
            spans.extend(self.sync_status(s));
        } else {
            let n = self.counts.events;
            spans.push(Span::styled(fill(s.pending_events, &[&n]), theme::dim()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

impl App {
    /// Sync's part of the status line: online or why not, what waits, the last success.
    fn sync_status(&self, s: &'static super::Strings) -> Vec<Span<'static>> {
        use crate::sync::SyncState;
        let (head, style) = match self.sync.as_ref().map(|st| &st.state) {
            None | Some(SyncState::Connecting) => (s.sync_connecting.to_owned(), theme::dim()),
            Some(SyncState::Online) => (s.sync_online.to_owned(), theme::ok()),
            Some(SyncState::Offline { error, retry_in }) => (
                fill(
                    s.sync_offline,
                    &[
                        &super::sync_error_text(s, error),
                        &retry_in.as_secs().max(1),
                    ],
                ),
                if error.needs_person() {
                    theme::error()
                } else {
                    theme::warn()
                },
            ),
        };
        let counts = &self.counts;
        let mut tail = fill(s.sync_pending, &[&counts.events, &counts.photos]);
        tail += &match counts.last_success {
            Some(t) => fill(
                s.sync_last,
                &[&self
                    .setup
                    .office
                    .zone
                    .local(t.to_utc())
                    .format("%d-%m %H:%M")],
            ),
            None => s.sync_never.to_owned(),
        };
        let mut spans = vec![Span::styled(head, style)];
        // The counter renews its credential a month ahead; two weeks ahead, a person must
        // know. Before the counts, so that an 80-column line still shows it.
        if let Some(expires) = self.sync.as_ref().and_then(|st| st.credential_expires)
            && expires - self.setup.clock.now().to_utc() < Duration::days(14)
        {
            let day = self.setup.office.zone.local(expires).format("%d-%m-%Y");
            spans.push(Span::styled(
                fill(s.sync_expires_soon, &[&day]),
                theme::warn(),
            ));
        }
        spans.push(Span::styled(tail, theme::dim()));
        spans
    }
}

/// A device's part of the status line: connected, still connecting, or lost and why.
fn device_status(
    state: &Option<Result<String, String>>,
    ok: &str,
    lost: &str,
    connecting: &str,
) -> Option<Span<'static>> {
    let (text, style) = match state.as_ref()? {
        Ok(name) => (fill(ok, &[name]), theme::dim()),
        Err(why) if why.is_empty() => (connecting.to_owned(), theme::dim()),
        Err(why) => (fill(lost, &[why]), theme::warn()),
    };
    Some(Span::styled(text + " · ", style))
}

fn render_help(area: Rect, buf: &mut Buffer, s: &'static super::Strings, keys: &[(&str, &str)]) {
    let mut rows: Vec<(&str, &str)> = keys.to_vec();
    rows.extend([
        ("F1 ?", s.h_f1),
        ("F2", s.h_f2),
        ("F9", s.h_f9),
        ("F10", s.h_f10),
        ("Ctrl+C", s.h_ctrl_c),
    ]);
    let height = (rows.len() as u16 + 2).min(area.height);
    let popup = area.centered(
        Constraint::Length(area.width.min(76)),
        Constraint::Length(height),
    );
    Clear.render(popup, buf);
    let block =
        Block::bordered().title(Line::styled(format!(" {} ", s.help_title), theme::title()));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!("{k:<12}"), theme::focus()),
                Span::raw(*d),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
