//! The full-screen counter terminal: one event loop, screens drawn from state.
//!
//! Terminal input, the serial scanner, camera frames, the sync worker's reports, the work
//! thread's answers and a one-second tick (for the idle lock and the clock in the header)
//! arrive on one channel; a burst of events is handled before one redraw, and nothing is
//! drawn when nothing changed. Rendering reads state only; slow work (PIN checks, photos)
//! runs on the work thread (`work.rs`) and answers as an event.

mod app;
mod board;
mod booking;
mod case;
mod dialog;
mod form;
mod input;
mod login;
pub mod picture;
pub mod preview;
mod queue;
mod status;
mod tech;
mod theme;
mod walkin;
pub mod wedge;
pub mod work;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use crossterm::event::{self as term, KeyEvent};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub use crate::text::{Lang, Strings, case_label, fill, queue_status, scan, sync_error_text};
pub use app::{App, AppSetup};

use crate::domain::Office;
use crate::domain::fees::FeeSchedule;
use crate::store::{Actor, Officer, StoreError};

/// Everything the event loop reacts to.
#[derive(Debug)]
pub enum Event {
    Term(term::Event),
    Tick,
    Scanner(crate::devices::serial::ScannerEvent),
    Camera(crate::devices::camera::CameraEvent),
    Sync(crate::sync::SyncStatus),
    /// A job of the work thread finished.
    Work(work::Done),
    /// Characters held as a possible wedge scan are due: they reach the screen now.
    KeysDue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warn,
    Error,
}

/// The one-line message under the screen: the answer to the officer's last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    /// The same notice in both languages (Bahasa Indonesia, English), when it was said so:
    /// F2 then shows it in the language switched to.
    pub both: Option<[String; 2]>,
}

impl Notice {
    /// A notice in one language only (a device's words, an error text made elsewhere).
    pub fn new(level: Level, text: String) -> Notice {
        Notice {
            level,
            text,
            both: None,
        }
    }

    /// A notice said in both languages.
    pub fn said(level: Level, say: impl Fn(&'static Strings) -> String) -> Notice {
        Notice::said_in(level, |lang| say(lang.strings()))
    }

    /// A notice said in both languages, by language (for words that need more than the
    /// strings, such as an error's text).
    pub fn said_in(level: Level, say: impl Fn(Lang) -> String) -> Notice {
        let both = [say(Lang::Id), say(Lang::En)];
        Notice {
            level,
            text: both[0].clone(),
            both: Some(both),
        }
    }

    /// What to show in `lang`.
    pub fn text_in(&self, lang: Lang) -> &str {
        match (&self.both, lang) {
            (Some([id, _]), Lang::Id) => id,
            (Some([_, en]), Lang::En) => en,
            (None, _) => &self.text,
        }
    }
}

/// What a screen handler may use: the store, the time, the office, the officer.
pub struct Ctx<'a> {
    /// What the screen may read and do (the counter's desk; never the store itself).
    pub desk: &'a mut crate::counter::Desk,
    pub now: DateTime<Utc>,
    pub office: &'a Office,
    pub fees: &'a FeeSchedule,
    pub officer: &'a Officer,
    /// The officer's proof key from their sign-in (see [`crate::proof`]).
    pub key: Option<crate::proof::ProofKey>,
    pub lang: Lang,
    pub notice: &'a mut Option<Notice>,
    pub token_key: Option<&'a ed25519_dalek::VerifyingKey>,
    /// Whether this counter has a camera (the photo step takes pictures, else records
    /// "photo pending").
    pub camera: bool,
    pub data_dir: &'a std::path::Path,
    /// What the office allows when fees are still owed at the decision.
    pub underpaid: crate::config::UnderpaidRule,
    /// Where slow work goes (PIN checks, photos), so the screen never waits.
    pub work: &'a work::Work,
    /// This terminal's counter number (what the display calls applicants to).
    pub counter: u32,
    /// The queue-ticket printer, when the counter has one.
    pub printer: &'a crate::devices::printer::PrinterConfig,
}

impl Ctx<'_> {
    pub fn s(&self) -> &'static Strings {
        self.lang.strings()
    }
    pub fn local_now(&self) -> DateTime<FixedOffset> {
        self.office.zone.local(self.now)
    }
    pub fn today(&self) -> NaiveDate {
        self.office.zone.today(self.now)
    }
    pub fn actor(&self) -> Actor {
        Actor {
            key: self.key.clone(),
            username: self.officer.username.clone(),
            now: self.local_now(),
        }
    }
    pub fn scan_context(&self) -> crate::domain::payload::ScanContext<'_> {
        crate::domain::payload::ScanContext {
            key: self.token_key,
            office: &self.office.code,
            today: self.today(),
        }
    }
    /// A notice in both languages: `say` writes it from a language's strings.
    pub fn say(&mut self, level: Level, say: impl Fn(&'static Strings) -> String) {
        *self.notice = Some(Notice::said(level, say));
    }
    /// Shows a refused use case in words an officer can act on.
    /// Applies the supervisors' answers from the board to this counter's cases and says
    /// what each did.
    pub fn apply_approval_answers(&mut self) {
        let answered = match self.desk.apply_approval_answers(self.local_now()) {
            Ok(a) => a,
            Err(e) => return self.counter_failed(&e),
        };
        for a in answered {
            let level = match (&a.case, a.answer.granted) {
                (Ok(_), true) => Level::Ok,
                (Ok(_), false) => Level::Warn,
                (Err(_), _) => Level::Error,
            };
            *self.notice = Some(Notice::said_in(level, |lang| {
                crate::text::approval_answer_text(&a, lang)
            }));
        }
    }

    pub fn counter_failed(&mut self, e: &crate::counter::CounterError) {
        match e {
            crate::counter::CounterError::Store(e) => self.store_failed(e),
            other => {
                let both = [Lang::Id, Lang::En]
                    .map(|lang| crate::text::counter_text(other, lang.strings(), lang));
                *self.notice = Some(Notice {
                    level: Level::Error,
                    text: both[0].clone(),
                    both: Some(both),
                });
            }
        }
    }

    /// Shows a store failure in words an officer can act on.
    pub fn store_failed(&mut self, e: &StoreError) {
        // A refused queue action is a warning; anything else did not happen.
        let level = if crate::text::queue_text(e, self.s()).is_some() {
            Level::Warn
        } else {
            Level::Error
        };
        self.say(level, |s| crate::text::store_text(e, s));
    }
}

/// What the data a screen shows needs from the frame around it.
pub struct View<'a> {
    pub s: &'static Strings,
    pub lang: Lang,
    pub today: NaiveDate,
    pub office: &'a Office,
    pub data_dir: &'a std::path::Path,
    /// This terminal's counter number.
    pub counter: u32,
    /// The office's time now.
    pub now: DateTime<FixedOffset>,
}

/// Where a key handler sends the officer next.
pub enum Nav {
    Stay,
    Push(Screen),
    Replace(Screen),
    Pop,
}

pub enum Screen {
    Queue(queue::QueueScreen),
    Booking(booking::BookingScreen),
    Case(Box<case::CaseScreen>),
    WalkIn(walkin::WalkInScreen),
    Tech(tech::TechScreen),
    Board(board::BoardScreen),
}

impl Screen {
    fn on_key(&mut self, key: &KeyEvent, ctx: &mut Ctx<'_>) -> Nav {
        match self {
            Screen::Queue(s) => s.on_key(key, ctx),
            Screen::Booking(s) => s.on_key(key, ctx),
            Screen::Case(s) => s.on_key(key, ctx),
            Screen::WalkIn(s) => s.on_key(key, ctx),
            Screen::Tech(s) => s.on_key(key, ctx),
            Screen::Board(s) => s.on_key(key, ctx),
        }
    }
    fn on_paste(&mut self, text: &str, ctx: &mut Ctx<'_>) -> Nav {
        match self {
            Screen::Queue(s) => s.on_paste(text, ctx),
            Screen::Case(s) => s.on_paste(text, ctx),
            Screen::WalkIn(s) => s.on_paste(text),
            Screen::Booking(_) | Screen::Tech(_) | Screen::Board(_) => Nav::Stay,
        }
    }
    /// Reloads what may have changed while another screen was on top.
    fn refresh(&mut self, ctx: &mut Ctx<'_>) {
        match self {
            Screen::Queue(s) => s.refresh(ctx),
            Screen::Booking(s) => s.refresh(ctx),
            Screen::Tech(s) => s.refresh(ctx),
            Screen::Board(s) => s.refresh(ctx),
            Screen::Case(s) => {
                if let Some(again) = s.reloaded(ctx) {
                    **s = again;
                }
            }
            Screen::WalkIn(_) => {}
        }
    }
    /// Saves what the screen holds unsaved before the officer is taken elsewhere.
    fn leave(&mut self, ctx: &mut Ctx<'_>) {
        if let Screen::Case(s) = self {
            s.leave(ctx);
        }
    }
    /// Whether typed characters belong to a text field (so `?` is text, not help).
    fn typing(&self) -> bool {
        match self {
            Screen::Queue(s) => s.typing(),
            Screen::Case(s) => s.typing(),
            Screen::WalkIn(_) => true,
            Screen::Board(s) => s.typing(),
            Screen::Booking(_) | Screen::Tech(_) => false,
        }
    }
    fn render(&self, area: Rect, buf: &mut Buffer, view: &View<'_>) {
        match self {
            Screen::Queue(s) => s.render(area, buf, view),
            Screen::Booking(s) => s.render(area, buf, view),
            Screen::Case(s) => s.render(area, buf, view),
            Screen::WalkIn(s) => s.render(area, buf, view),
            Screen::Tech(s) => s.render(area, buf, view),
            Screen::Board(s) => s.render(area, buf, view),
        }
    }
    /// The keys of this screen: (key, what it does), for the footer and the help.
    fn keys(&self, s: &'static Strings) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
        match self {
            Screen::Queue(_) => queue::keys(s),
            Screen::Booking(_) => booking::keys(s),
            Screen::Case(c) => c.keys(s),
            Screen::WalkIn(_) => walkin::keys(s),
            Screen::Tech(_) => tech::keys(s),
            Screen::Board(_) => board::keys(s),
        }
    }
}

/// Runs the terminal until the officer quits. Restores the terminal on every exit path,
/// panics included (ratatui's init installs the hook).
pub fn run(mut app: App) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _ = crossterm::execute!(std::io::stdout(), term::EnableBracketedPaste);
    // Only a counter with a camera shows pictures; others need not wait for the answer.
    if app.has_camera()
        && let Some(picker) = picture::detect()
    {
        app.set_picker(picker);
    }
    let result = event_loop(&mut terminal, &mut app);
    if let Some(picker) = app.picker() {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = out.write_all(picture::farewell(picker).as_bytes());
        let _ = out.flush();
    }
    let _ = crossterm::execute!(std::io::stdout(), term::DisableBracketedPaste);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> std::io::Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Event>(1024);
    let input = tx.clone();
    std::thread::spawn(move || {
        while let Ok(ev) = term::read() {
            if input.send(Event::Term(ev)).is_err() {
                break;
            }
        }
    });
    drive(terminal, app, tx, rx, || {})
}

/// The event loop proper, on any backend: starts the devices, the sync worker, the work
/// thread and the tick; then handles each burst of events and draws once after it.
/// `tx` is the loop's own channel (input arrives on it from outside); `drawn` is called
/// after every frame (the keypress-latency benchmark listens there).
pub fn drive<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    app: &mut App,
    tx: mpsc::SyncSender<Event>,
    rx: mpsc::Receiver<Event>,
    mut drawn: impl FnMut(),
) -> std::io::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let frame_failed = std::io::Error::other;
    if let Some(config) = app.scanner_config() {
        if config.hid_configured() {
            let scans = tx.clone();
            let hid = config.clone();
            crate::devices::hid::spawn(hid, move |e| scans.send(Event::Scanner(e)).is_ok());
        }
        if config.is_configured() {
            let scans = tx.clone();
            crate::devices::serial::spawn(config, move |e| scans.send(Event::Scanner(e)).is_ok());
        }
    }
    if let Some((config, wanted)) = app.camera_config() {
        let frames = tx.clone();
        crate::devices::camera::spawn(config, wanted, move |e| {
            frames.send(Event::Camera(e)).is_ok()
        });
    }
    let mut worker = None;
    if let Some(setup) = app.sync_setup() {
        let reports = tx.clone();
        // Without the worker the counter still works; the status line says "connecting".
        worker = crate::sync::Worker::spawn(setup, move |status| {
            let _ = reports.send(Event::Sync(status));
        })
        .ok();
    }
    let answers = tx.clone();
    app.start_work(move |done| answers.send(Event::Work(done)).is_ok())?;
    std::thread::spawn(move || {
        // A full channel means the loop is busy; a missed tick changes nothing.
        while !matches!(
            tx.try_send(Event::Tick),
            Err(mpsc::TrySendError::Disconnected(_))
        ) {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    terminal.draw(|f| app.draw(f)).map_err(frame_failed)?;
    drawn();
    // Under systemd: ready once the first frame is up, then a ping from every turn of this
    // loop (ticks come each second), so a loop that hangs is restarted.
    crate::service::ready();
    let mut watchdog = crate::service::Watchdog::from_env();
    watchdog.ping();
    let mut last_event = app.last_event();
    loop {
        // Characters held as a possible wedge scan go through when nothing follows them.
        let first = match app.keys_due() {
            None => rx.recv().map_err(|_| ()),
            Some(due) => match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(event) => Ok(event),
                Err(mpsc::RecvTimeoutError::Timeout) => Ok(Event::KeysDue),
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
            },
        };
        let Ok(first) = first else { break };
        watchdog.ping();
        let mut dirty = app.handle(first);
        while let Ok(more) = rx.try_recv() {
            dirty |= app.handle(more);
        }
        // An officer's action is pushed at once, not at the next round: the sooner pusat
        // hears of a check-in, the rarer two counters claim the same applicant.
        if let Some(w) = &worker {
            let now = app.last_event();
            if now != last_event {
                last_event = now;
                let _ = w.commands.send(crate::sync::SyncCommand::Now);
            }
        }
        if app.take_retry()
            && let Some(w) = &worker
        {
            let _ = w.commands.send(crate::sync::SyncCommand::Now);
        }
        if app.quit_requested() {
            crate::service::stopping();
            if let Some(w) = &worker {
                let _ = w.commands.send(crate::sync::SyncCommand::Stop);
            }
            break;
        }
        if dirty {
            terminal
                .draw(|f: &mut Frame| app.draw(f))
                .map_err(frame_failed)?;
            drawn();
        }
    }
    Ok(())
}
