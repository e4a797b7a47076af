//! Shared by the integration tests: the demo office at a fixed time, driven by key events.
#![allow(dead_code)] // each test binary uses its own part of this module

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use loket::clock::ManualClock;
use loket::config::{Config, FEES};
use loket::domain::fees::FeeSchedule;
use loket::domain::{Booking, nik};
use loket::store::Store;
use loket::ui::{App, AppSetup, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 25 November 2026, 09:00 WIB.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T02:00:00Z")
        .unwrap()
        .to_utc()
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub fn fees() -> FeeSchedule {
    FeeSchedule::from_toml(FEES).unwrap()
}

pub struct Fixture {
    pub app: App,
    pub data: tempfile::TempDir,
    pub clock: ManualClock,
    pub today: Vec<Booking>,
    pub tomorrow: Vec<Booking>,
}

pub fn fixture() -> Fixture {
    fixture_with(Config::defaults())
}

/// The demo office with a camera configured (no thread runs: tests send its frames).
pub fn fixture_with_camera() -> Fixture {
    let mut config = Config::defaults();
    config.camera.device = "0".into();
    fixture_with(config)
}

pub fn fixture_with(config: Config) -> Fixture {
    fixture_prepared(config, |_, _| {})
}

/// A fixture whose store `prepare` changes first (given the store and today's bookings).
///
/// `press` and `typ` send keys as fast as code runs; in these fixtures they stand for a
/// person's typing, so keyboard-wedge detection is off (`fixture_with_wedge` keeps it on).
pub fn fixture_prepared(
    mut config: Config,
    prepare: impl FnOnce(&mut Store, &[Booking]),
) -> Fixture {
    config.scanner.wedge_gap_ms = 0;
    let data = tempfile::tempdir().unwrap();
    let store = Store::open_in_memory("JKS").unwrap();
    fixture_of(config, data, store, prepare)
}

/// The demo office with keyboard-wedge detection as configured by default: `typ` then types
/// at scanner speed.
pub fn fixture_with_wedge() -> Fixture {
    fixture_with_wedge_and(|_, _| {})
}

/// As [`fixture_with_wedge`], with `prepare` run on the seeded store first.
pub fn fixture_with_wedge_and(prepare: impl FnOnce(&mut Store, &[Booking])) -> Fixture {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open_in_memory("JKS").unwrap();
    fixture_of(Config::defaults(), data, store, prepare)
}

/// A fixture whose database is a real file, `loket.db` in the data folder, that a test may
/// open a second connection to (as the sync worker does).
pub fn fixture_in_file() -> Fixture {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&data.path().join("loket.db"), "JKS").unwrap();
    let mut config = Config::defaults();
    config.scanner.wedge_gap_ms = 0;
    fixture_of(config, data, store, |_, _| {})
}

fn fixture_of(
    config: Config,
    data: tempfile::TempDir,
    mut store: Store,
    prepare: impl FnOnce(&mut Store, &[Booking]),
) -> Fixture {
    loket::demo::seed(&mut store, 1, today(), &fees()).unwrap();
    store.upsert_office(&config.office().unwrap()).unwrap();
    let listed: Vec<Booking> = store
        .bookings_on(today())
        .unwrap()
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    prepare(&mut store, &listed);
    let on = |day: NaiveDate| -> Vec<Booking> {
        store
            .bookings_on(day)
            .unwrap()
            .into_iter()
            .map(|(_, b)| b)
            .collect()
    };
    let (today_list, tomorrow) = (on(today()), on(today() + Duration::days(1)));
    let clock = ManualClock::new(now());
    let app = App::new(AppSetup {
        desk: loket::counter::Desk::new(store).unwrap(),
        clock: Box::new(clock.clone()),
        office: config.office().unwrap(),
        config,
        fees: fees(),
        data_dir: data.path().to_owned(),
        demo_hint: None,
        token_key: Some(token_signer().verifying_key()),
        sync: None,
        board_only: false,
    });
    Fixture {
        app,
        data,
        clock,
        today: today_list,
        tomorrow,
    }
}

/// A booking of the counter's own office today matching `pred`.
pub fn find(list: &[Booking], pred: impl Fn(&Booking) -> bool) -> &Booking {
    list.iter()
        .filter(|b| b.office == "JKS")
        .find(|b| pred(b))
        .expect("the demo day holds such a booking")
}

/// A one-applicant adult booking of type `app` whose data has no error in it.
pub fn clean_single_on(b: &Booking, app: loket::domain::ApplicationType, day: NaiveDate) -> bool {
    let a = &b.applicants[0];
    b.applicants.len() == 1
        && b.application == app
        && b.walk_in.is_none()
        && !a.is_child_on(day)
        && !a.migrant_worker
        && !a.name_changed
        && nik::check(&a.nik, a.birth_date, a.sex).is_valid()
}

pub fn press(app: &mut App, code: KeyCode) {
    app.handle(Event::Term(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

pub fn typ(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

pub fn login(app: &mut App, user: &str, pin: &str) {
    typ(app, user);
    press(app, KeyCode::Enter);
    typ(app, pin);
    press(app, KeyCode::Enter);
}

pub fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    terminal.backend().to_string()
}

/// Whether every applicant of `b` paid what the fee table asks on the booking's day: the
/// decision then goes on without a supervisor.
pub fn paid_in_full(b: &Booking) -> bool {
    b.applicants.iter().all(|a| {
        let q = loket::domain::fees::FeeQuery {
            passport: b.passport,
            service: b.service,
            application: b.application,
            force_majeure: false,
            paid: a.paid,
            day: b.date,
        };
        fees().summary(&q).is_ok_and(|s| s.difference() <= 0)
    })
}

pub fn clean_single(b: &Booking, app: loket::domain::ApplicationType) -> bool {
    clean_single_on(b, app, today())
}

/// The booking service's signing key in tests.
pub fn token_signer() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

pub fn scan(app: &mut App, text: &str) {
    app.handle(Event::Scanner(loket::devices::serial::ScannerEvent::Scan(
        text.to_owned(),
    )));
}

/// How far [`serve`] takes an applicant through the counter's use cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServedTo {
    /// Checked in: the case is at the documents.
    CheckedIn,
    /// Every document valid: the case is at the interview.
    Documents,
    /// The interview answered: the case is at the photo.
    Interview,
    /// The photo step done without a picture: the case is at the decision.
    Photo,
}

/// Serves applicant `applicant` of `booking` up to `to` the way the counter's screens do,
/// through the same use cases (`Desk::check_in`, then `Desk::apply`), as `petugas1`
/// at 09:00 on the fixture's day. Tests that need a case at a later step start from here
/// instead of walking the keys of every form before it, so a new field in one form
/// changes only the tests of that form.
pub fn serve(app: &mut App, booking: &Booking, applicant: usize, to: ServedTo) -> uuid::Uuid {
    use loket::domain::Action;
    use loket::domain::case::{Interview, Purpose};
    use loket::domain::checklist::DocStatus;
    let actor = loket::store::Actor {
        key: None,
        username: "petugas1".into(),
        now: loket::domain::Zone::Wib.local(now()),
    };
    let desk = app.desk();
    let case = desk
        .check_in(&actor, booking, applicant, "JKS")
        .expect("check-in")
        .into_case();
    let id = case.id;
    let mut act = |action: Action| {
        desk.apply(&actor, id, &action)
            .expect("a use case the screens offer");
    };
    if to >= ServedTo::Documents {
        for doc in &case.documents {
            act(Action::SetDocument {
                kind: doc.kind,
                status: DocStatus::Valid,
                note: String::new(),
            });
        }
        act(Action::CompleteDocuments { override_by: None });
    }
    if to >= ServedTo::Interview {
        let interview = Interview {
            purpose: Some(Purpose::Tourism),
            destination: "Jepang".into(),
            occupation: "Guru".into(),
            length_of_stay: "14 hari".into(),
            emergency_contact: "Budi 0812".into(),
            chronology: if booking.application.needs_examination() {
                "Hilang di stasiun".into()
            } else {
                String::new()
            },
            ..Interview::default()
        };
        act(Action::SaveInterview { interview });
        act(Action::CompleteInterview);
    }
    if to >= ServedTo::Photo {
        act(Action::RecordPhotoPending {
            biometrics: Some(loket::domain::case::Biometrics::Pending),
        });
    }
    id
}
