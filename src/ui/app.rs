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

mod answers;
mod frame;
mod keys;

use super::dialog::{Answer, Dialog};
use super::login::{LoginOutcome, LoginScreen};
use super::status::Status;
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
use crate::store::{Officer, Role};
use crate::text::Lang;
use crate::text::scan::{payload_error_text, refusal_text};

/// What the application is started with.
pub struct AppSetup {
    /// The counter's desk on its database (`Desk::new(store)`).
    pub desk: crate::counter::Desk,
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
    /// `loket board`: only supervisors sign in, and they see the board alone.
    pub board_only: bool,
}

struct Session {
    officer: Officer,
    /// The officer's proof key, made from the PIN they signed in with: their events carry
    /// its proof (see [`crate::proof`]). Held in memory for the session only.
    key: Option<crate::proof::ProofKey>,
    last_input: DateTime<Utc>,
    mode: Mode,
    /// The board stayed in view past the idle time: it stays on the wall, unlocked, and
    /// asks for the PIN only when a key would act (see `App::tick`).
    watching: bool,
}

/// What a signed-in session's keys go to. Help is the one overlay over every mode (and
/// over the sign-in screen), so it stays a flag of the application.
enum Mode {
    /// The screen on top of the stack.
    Working,
    /// A scan arrived away from the queue: the officer is asked before leaving the screen.
    Asking(Dialog, BookingCode),
    /// Locked (F9 or idle): only the officer's PIN opens it.
    Locked(LoginScreen),
}

impl Mode {
    fn locked(officer: &Officer) -> Mode {
        Mode::Locked(LoginScreen::new(Some(officer.username.clone())))
    }
}

pub struct App {
    setup: AppSetup,
    /// Holds characters that may be a keyboard-wedge scan (see `wedge`).
    wedge: super::wedge::Wedge,
    lang: Lang,
    login: LoginScreen,
    session: Option<Session>,
    stack: Vec<Screen>,
    help: bool,
    notice: Option<Notice>,
    /// The notice's text and since when it is shown (it clears after a minute).
    notice_since: Option<(String, DateTime<Utc>)>,
    quit: bool,
    /// Ctrl+R asked the sync worker to try pusat now (taken by the event loop).
    retry: std::cell::Cell<bool>,
    /// How many refused events the officer was last told of (see `Event::Sync`).
    told_refused: u64,
    minute: u32,
    /// The devices and sync, as the status line shows them.
    status: Status,
    /// Set while a screen waits for a booking code: only then does the camera decode.
    camera_wanted: std::sync::Arc<crate::devices::camera::Wanted>,
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
    /// The counter's desk: the use cases this terminal runs on its store. A test brings a
    /// case to a step through it instead of walking the keys of every form before.
    pub fn desk(&mut self) -> &mut crate::counter::Desk {
        &mut self.setup.desk
    }

    pub fn new(setup: AppSetup) -> App {
        let lang = Lang::parse(&setup.config.ui.language);
        let wedge = super::wedge::Wedge::new(std::time::Duration::from_millis(
            setup.config.scanner.wedge_gap_ms,
        ));
        let server = setup.sync.as_ref().map(|w| w.credential.server.clone());
        let roster_empty = setup.desk.officer_count().unwrap_or(0) == 0;
        let mut app = App {
            wedge,
            server,
            roster_empty,
            setup,
            lang,
            login: LoginScreen::new(None),
            session: None,
            stack: Vec::new(),
            help: false,
            notice: None,
            notice_since: None,
            quit: false,
            retry: std::cell::Cell::new(false),
            told_refused: 0,
            minute: u32::MAX,
            status: Status::default(),
            camera_wanted: std::sync::Arc::default(),
            picker: None,
            hidden: std::cell::Cell::new(false),
            work: Work::inline(),
            last_seq: 0,
            seen_writes: u64::MAX,
        };
        app.after_writes();
        app
    }

    /// Reads the sync counts and the newest event again when this terminal wrote since the
    /// last look (the store counts writes in memory, so an idle redraw reads nothing).
    fn after_writes(&mut self) {
        let writes = self.setup.desk.writes();
        if writes == self.seen_writes {
            return;
        }
        let first = self.seen_writes == u64::MAX;
        self.seen_writes = writes;
        // A draft written at every key changes no event: the counts (a scan of the outbox)
        // are read again only when the newest event (its primary key) moved.
        let Ok(seq) = self.setup.desk.last_seq() else {
            return;
        };
        if seq == self.last_seq && !first {
            return;
        }
        self.last_seq = seq;
        if let Ok(counts) = self.setup.desk.sync_counts() {
            self.status.counts = counts;
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
        self.status.syncing |= setup.is_some();
        setup
    }

    pub fn has_camera(&self) -> bool {
        self.setup.config.camera.is_configured()
    }

    /// The serial scanner to start, when one is configured.
    pub fn scanner_config(&mut self) -> Option<crate::devices::serial::SerialConfig> {
        let config = &self.setup.config.scanner;
        (config.is_configured() || config.hid_configured()).then(|| {
            self.status.scanner = Some(Err(String::new()));
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
            self.status.camera = Some(Err(String::new()));
            (config.clone(), self.camera_wanted.clone())
        })
    }

    /// Whether a screen is waiting for a booking code (the camera decodes only then).
    pub fn waiting_for_code(&self) -> bool {
        self.working() && !self.help && matches!(self.stack.as_slice(), [Screen::Queue(_)])
    }

    /// Whether the photo step of an open case is on screen (the camera sends previews).
    pub fn taking_photo(&self) -> bool {
        self.working() && matches!(self.stack.last(), Some(Screen::Case(c)) if c.taking_photo())
    }

    /// Whether an officer is signed in and their keys go to the screen.
    fn working(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| matches!(s.mode, Mode::Working))
    }

    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    /// Whether Ctrl+R asked to sync now since the last call (the event loop tells the
    /// sync worker, which then stops waiting out its backoff).
    pub fn take_retry(&self) -> bool {
        self.retry.take()
    }

    /// Handles one event; returns whether the screen must be redrawn.
    pub fn handle(&mut self, event: Event) -> bool {
        let mut dirty = self.dispatch(event);
        // Jobs that ran inline (no work thread) answer at once, in order.
        while let Some(done) = self.work.take_done() {
            dirty |= self.dispatch(Event::Work(done));
        }
        // When the notice now shown was said (a minute later it clears: see `tick`).
        let shown = self.notice.as_ref().map(|n| &n.text);
        if shown != self.notice_since.as_ref().map(|(text, _)| text) {
            self.notice_since = shown.map(|text| (text.clone(), self.setup.clock.now()));
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
                self.on_typed(key, self.setup.clock.instant());
                true
            }
            Event::KeysDue => {
                let keys = self.wedge.expire(self.setup.clock.instant());
                let dirty = !keys.is_empty();
                for key in keys {
                    self.on_key(&key);
                }
                dirty
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
                self.status.syncing = true;
                if status.counts.refused > self.told_refused {
                    let n = status.counts.refused;
                    self.told_refused = n;
                    self.notice = Some(Notice::said(Level::Error, move |s| {
                        fill!(s.refused_new, count = n)
                    }));
                }
                self.status.counts = status.counts.clone();
                let pulled = status.pulled;
                self.status.sync = Some(status);
                if pulled > 0 {
                    self.refresh_screens();
                }
                self.end_withdrawn_session();
                if self.roster_empty {
                    self.roster_empty = self.setup.desk.officer_count().unwrap_or(0) == 0;
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
        let board_in_view = matches!(self.stack.last(), Some(Screen::Board(_)));
        if let Some(session) = &mut self.session
            && !matches!(session.mode, Mode::Locked(_))
            && now - session.last_input >= idle
        {
            if board_in_view && matches!(session.mode, Mode::Working) {
                // The board is meant to be watched: it stays in view, and asks for the PIN
                // when a key would act on it.
                dirty |= !std::mem::replace(&mut session.watching, true);
            } else {
                // A scan question left unanswered goes with the lock: the scan is old by now.
                session.mode = Mode::locked(&session.officer);
                session.watching = false;
                self.help = false;
                dirty = true;
            }
        }
        // A notice is news for a minute, then the line is clear again.
        if self
            .notice_since
            .as_ref()
            .is_some_and(|(_, since)| now - *since >= Duration::minutes(1))
        {
            self.notice = None;
            self.notice_since = None;
            dirty = true;
        }
        let minute = self.setup.office.zone.local(now).minute();
        let new_minute = minute != self.minute;
        dirty |= new_minute;
        self.minute = minute;
        // A board on the wall reloads each minute even when nothing is pulled, so it asks
        // pusat again which counters are out of touch (a silent counter changes nothing).
        if new_minute && matches!(self.stack.last(), Some(Screen::Board(_))) {
            self.refresh_screens();
        }
        dirty
    }

    fn ctx<'a>(
        setup: &'a mut AppSetup,
        work: &'a Work,
        officer: &'a Officer,
        key: Option<crate::proof::ProofKey>,
        lang: Lang,
        notice: &'a mut Option<Notice>,
    ) -> Ctx<'a> {
        Ctx {
            key,
            now: setup.clock.now(),
            desk: &mut setup.desk,
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
            counter: setup.config.counter.number,
            printer: &setup.config.printer,
        }
    }

    /// pusat's changes reached the database: every screen reloads what it shows (a new or
    /// cancelled booking appears in the queue without the officer navigating).
    fn refresh_screens(&mut self) {
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
        // The board's answers to this counter's requests first: the case screens below
        // then show the cases as they now stand.
        ctx.apply_approval_answers();
        for screen in &mut self.stack {
            screen.refresh(&mut ctx);
        }
    }

    fn start_session(&mut self, officer: Officer, key: Option<crate::proof::ProofKey>) {
        self.notice = Some(Notice::said(Level::Ok, |s| {
            fill!(s.welcome, name = officer.name)
        }));
        let devices = tech::Devices {
            scanner: self.setup.config.scanner.port.clone() + &self.setup.config.scanner.usb,
            camera: self.setup.config.camera.device.clone(),
            server: self.server.clone(),
        };
        // A supervisor starts on the office's board, with the queue beneath it (Esc).
        let board_only = self.setup.board_only;
        let mut ctx = Self::ctx(
            &mut self.setup,
            &self.work,
            &officer,
            key.clone(),
            self.lang,
            &mut self.notice,
        );
        self.stack = match officer.role {
            Role::Supervisor if board_only => {
                vec![Screen::Board(super::board::BoardScreen::new(&mut ctx))]
            }
            Role::Technician => vec![Screen::Tech(tech::TechScreen::new(&mut ctx, devices))],
            Role::Officer => vec![Screen::Queue(queue::QueueScreen::new(&mut ctx))],
            Role::Supervisor => vec![
                Screen::Queue(queue::QueueScreen::new(&mut ctx)),
                Screen::Board(super::board::BoardScreen::new(&mut ctx)),
            ],
        };
        self.session = Some(Session {
            officer,
            key,
            last_input: self.setup.clock.now(),
            mode: Mode::Working,
            watching: false,
        });
        self.login = LoginScreen::new(None);
    }

    /// Sync may have taken the signed-in officer off the roster (`pusat officer remove`):
    /// their session ends at once. What they saved stays; a read error changes nothing.
    fn end_withdrawn_session(&mut self) {
        let Some(session) = &self.session else { return };
        if self
            .setup
            .desk
            .officer_on_roster(&session.officer.username)
            .unwrap_or(true)
        {
            return;
        }
        let name = session.officer.name.clone();
        self.logout();
        self.notice = Some(Notice::said(Level::Warn, |s| {
            fill!(s.officer_withdrawn, name = name)
        }));
    }

    fn logout(&mut self) {
        self.session = None;
        self.stack.clear();
        self.notice = None;
        self.login = LoginScreen::new(None);
    }
}
