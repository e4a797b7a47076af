//! Keypress → frame drawn, on the real event loop (`loket::ui::drive`), while the counter's
//! sync worker pushes a 2,000-event backlog and uploads a photo to a real pusat.
//!
//! The officer's keys: typing a name into the queue's search and erasing it (a query per
//! key), and every 40 keys locking the screen and unlocking it with the PIN (argon2). Each
//! key is sent alone; its latency ends when the next frame has been drawn. criterion
//! reports the mean; the percentiles are printed at the end (p99 is the target: 16 ms).
//!
//! Needs PostgreSQL: `DATABASE_URL`, or the machine's binaries for a throwaway cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "../tests/common/sync.rs"]
mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use loket::clock::SystemClock;
use loket::config::{Config, FEES};
use loket::domain::fees::FeeSchedule;
use loket::store::Store;
use loket::ui::{App, AppSetup, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::{Counter, OFFICE, Pusat};

const BACKLOG: usize = 2000;
/// Keys typed per session (one session per sample, each with a fresh backlog).
const KEYS: usize = 80;

fn key(code: KeyCode) -> Event {
    Event::Term(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The officer's next key, by its number in the session.
fn officer_key(i: usize) -> (KeyCode, bool) {
    const WORD: &[char] = &['s', 'i', 'r', 'e', 'g'];
    const PIN: &str = "482913";
    // 40 keys a cycle: 5 typed, 5 erased, three times (30), then F9, the PIN, Enter (8),
    // and two arrow keys.
    let n = i % 40;
    let code = match n {
        0..30 => {
            let k = n % 10;
            if k < 5 {
                KeyCode::Char(WORD[k])
            } else {
                KeyCode::Backspace
            }
        }
        30 => KeyCode::F(9),
        31..37 => KeyCode::Char(PIN.as_bytes()[n - 31] as char),
        37 => KeyCode::Enter,
        38 => KeyCode::Down,
        _ => KeyCode::Up,
    };
    // After the unlock, the PIN check's own answer redraws: wait it out before the next key.
    (code, n == 37)
}

struct Setup {
    app: App,
    /// The counter whose folder the app works in (kept alive: it owns the folder).
    _counter: Counter,
}

fn counter_with_backlog(
    rt: &tokio::runtime::Runtime,
    pusat: &Pusat,
    bookings: &[loket::domain::Booking],
    n: u32,
) -> Setup {
    let mut counter = rt.block_on(Counter::enroll(pusat, n));
    rt.block_on(counter.sync()).unwrap();
    let before = counter.outbox_len();
    // A passport photo (a JPEG of 413×531, some 250 KB) waits for upload, with the cases
    // the backlog is made of.
    let jpeg = support::passport_jpeg(n);
    let photo_of = bookings.iter().skip(200 + n as usize);
    let served = photo_of
        .map(|b| counter.serve_to_photo(b, &jpeg))
        .find(Result::is_ok);
    assert!(served.is_some(), "a booking clean enough for a photo");
    for b in bookings.iter().skip(n as usize * 40 % 200).take(40) {
        let _ = counter.serve_applicant(b, 0);
    }
    let made = counter.outbox_len() - before;
    counter.views(&bookings[0], BACKLOG.saturating_sub(made));
    let fees = FeeSchedule::from_toml(FEES).unwrap();
    let mut config = Config::defaults();
    // What is measured is the loop's own work per key. Keyboard-wedge detection holds a
    // typed character for its gap (30 ms) by design; that wait is not the loop's.
    config.scanner.wedge_gap_ms = 0;
    let db_path = counter.dir.path().join("loket.db");
    let store = Store::open(&db_path, OFFICE).unwrap();
    let desk = loket::counter::Desk::new(store).unwrap();
    let setup = loket::sync::WorkerSetup {
        store: desk.store_thread(),
        data_dir: counter.dir.path().to_owned(),
        zone: loket::domain::Zone::Wib,
        credential: counter.credential.clone(),
    };
    let app = App::new(AppSetup {
        desk,
        clock: Box::new(SystemClock),
        office: config.office().unwrap(),
        config,
        fees,
        data_dir: counter.dir.path().to_owned(),
        demo_hint: None,
        token_key: None,
        sync: Some(setup),
        board_only: false,
    });
    Setup {
        app,
        _counter: counter,
    }
}

/// Runs the event loop on this thread while another thread types `keys` keys, one at a
/// time, each timed from sending to the frame drawn after it.
fn session(mut setup: Setup, keys: usize) -> Vec<Duration> {
    let (tx, rx) = mpsc::sync_channel::<Event>(1024);
    let (drawn_tx, drawn_rx) = mpsc::channel::<Instant>();
    let input = tx.clone();
    let typist = std::thread::spawn(move || {
        let wait = |d| {
            let _ = drawn_rx.recv_timeout(d);
        };
        wait(Duration::from_secs(5)); // the first frame
        // Sign in; the sync worker starts its first round (the backlog) at the same time.
        for c in support::OFFICER.chars() {
            input.send(key(KeyCode::Char(c))).unwrap();
        }
        input.send(key(KeyCode::Enter)).unwrap();
        for c in "482913".chars() {
            input.send(key(KeyCode::Char(c))).unwrap();
        }
        input.send(key(KeyCode::Enter)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        while drawn_rx.try_recv().is_ok() {}
        let mut latencies = Vec::with_capacity(keys);
        for i in 0..keys {
            let (code, settle) = officer_key(i);
            let sent = Instant::now();
            input.send(key(code)).unwrap();
            let at = drawn_rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a frame after each key");
            latencies.push(at - sent);
            if settle {
                std::thread::sleep(Duration::from_millis(600));
            } else {
                // A person types about 8 keys a second at most.
                std::thread::sleep(Duration::from_millis(40));
            }
            while drawn_rx.try_recv().is_ok() {}
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        input.send(Event::Term(TermEvent::Key(ctrl_c))).unwrap();
        latencies
    });
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    loket::ui::drive(&mut terminal, &mut setup.app, tx, rx, || {
        let _ = drawn_tx.send(Instant::now());
    })
    .unwrap();
    let screen = terminal.backend().to_string();
    // The keys went where an officer's go: signed in, at the queue, with sync online.
    assert!(screen.contains("Kode booking / nama / NIK"), "{screen}");
    assert!(screen.contains("Tersambung ke pusat"), "{screen}");
    typist.join().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn keypress(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (pusat, bookings) = rt.block_on(Pusat::start(400));
    let mut all = Vec::new();
    let mut counter_no = 0u32;
    let mut group = c.benchmark_group("keypress");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(1));
    group.bench_function("key to frame, sync pushing 2,000 events and a photo", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                counter_no += 1;
                let setup = counter_with_backlog(&rt, &pusat, &bookings, counter_no);
                let latencies = session(setup, KEYS);
                total += latencies.iter().sum::<Duration>() / latencies.len() as u32;
                all.extend_from_slice(&latencies);
            }
            total
        })
    });
    group.finish();
    all.sort();
    if !all.is_empty() {
        eprintln!(
            "keypress → frame over {} keys: p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {:.2?}",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            all[all.len() - 1]
        );
    }
    rt.block_on(pusat.stop());
}

criterion_group!(benches, keypress);
criterion_main!(benches);
