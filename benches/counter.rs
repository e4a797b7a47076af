//! Counter benchmarks: finding a booking by code among 1,000,000; one officer action's
//! durable transaction (WAL, synchronous=FULL, on a real file); drawing the queue screen
//! with 1,000 bookings; applying pulled booking changes, a store job's worth
//! (`sync::APPLY_CHUNK`) and a whole page. Run with `cargo bench --bench counter`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up must stop

use std::hint::black_box;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use loket::clock::ManualClock;
use loket::config::{Config, FEES};
use loket::domain::checklist::{DocKind, DocStatus};
use loket::domain::fees::FeeSchedule;
use loket::domain::{Action, Booking, BookingCode};
use loket::store::{Actor, Store};
use loket::ui::{App, AppSetup, Event};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn template() -> Booking {
    let fees = FeeSchedule::from_toml(FEES).unwrap();
    let mut b = loket::demo::day_bookings(1, "JKS", day(), 1, &fees).remove(0);
    b.applicants.truncate(1);
    b
}

fn find_by_code(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let base = template();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..N {
        let mut b = base.clone();
        b.code = BookingCode::from_number(i * 7919);
        b.date = day() + Duration::days((i % 60) as i64);
        batch.push(b);
        if batch.len() == 10_000 {
            store.put_bookings(&batch).unwrap();
            batch.clear();
        }
    }
    assert_eq!(store.booking_count().unwrap(), N);
    let mut i = 0u64;
    c.bench_function("find booking by code among 1,000,000", |bench| {
        bench.iter(|| {
            i = (i + 104_729) % N;
            let code = BookingCode::from_number(i * 7919);
            black_box(store.booking(&code).unwrap().unwrap());
        })
    });
}

fn durable_action(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let booking = template();
    store.put_booking(&booking).unwrap();
    let now: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-11-25T09:00:00+07:00").unwrap();
    let actor = Actor {
        key: None,
        username: "petugas1".into(),
        now,
    };
    let case = loket::counter::check_in(&mut store, &actor, &booking, 0, "JKS")
        .unwrap()
        .into_case();
    let mut flip = false;
    c.bench_function(
        "one officer action, durable (state + outbox + audit, fsync)",
        |bench| {
            bench.iter(|| {
                flip = !flip;
                let status = if flip {
                    DocStatus::Valid
                } else {
                    DocStatus::Missing
                };
                let action = Action::SetDocument {
                    kind: DocKind::EKtp,
                    status,
                    note: String::new(),
                };
                black_box(store.apply(&actor, Some(case.id), &action).unwrap());
            })
        },
    );
}

fn draw_queue(c: &mut Criterion) {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let fees = FeeSchedule::from_toml(FEES).unwrap();
    let bookings = loket::demo::day_bookings(3, "JKS", day(), 1000, &fees);
    store.put_bookings(&bookings).unwrap();
    loket::demo::seed(&mut store, 3, day(), &fees).unwrap();
    let config = Config::defaults();
    let clock = ManualClock::new(
        DateTime::parse_from_rfc3339("2026-11-25T02:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let mut app = App::new(AppSetup {
        sync: None,
        board_only: false,
        desk: loket::counter::Desk::new(store).unwrap(),
        clock: Box::new(clock),
        office: config.office().unwrap(),
        config,
        fees,
        data_dir: "/tmp".into(),
        demo_hint: None,
        token_key: None,
    });
    let key = |app: &mut App, code| {
        app.handle(Event::Term(TermEvent::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))))
    };
    for c in "petugas1".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    for c in "111111".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        app.render(area, &mut buf);
        let text: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert!(
            text.contains("1000 booking"),
            "the queue must hold the 1,000 bookings"
        );
        c.bench_function(
            &format!("draw queue screen, 1,000 bookings, {w}x{h}"),
            |bench| {
                bench.iter(|| {
                    buf.reset();
                    app.render(area, &mut buf);
                    black_box(&buf);
                })
            },
        );
    }
}

/// How long the store thread is held by one job of pulled changes (a key waits at most
/// that long behind it), against a whole page of a thousand in one transaction as before.
fn apply_pulled(c: &mut Criterion) {
    use loket::protocol::{BookingChange, Change, FeedEntry};
    let fees = FeeSchedule::from_toml(FEES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let tomorrow = day() + Duration::days(1);
    let bookings = loket::demo::day_bookings(7, "JKS", tomorrow, 1000, &fees);
    let mut pos = 0i64;
    for n in [loket::sync::APPLY_CHUNK, 1000] {
        c.bench_function(&format!("apply {n} pulled booking changes"), |bench| {
            bench.iter(|| {
                let entries: Vec<FeedEntry> = bookings
                    .iter()
                    .take(n)
                    .map(|b| {
                        pos += 1;
                        FeedEntry {
                            pos,
                            change: Change::Booking(BookingChange {
                                booking: b.clone(),
                                cancelled: false,
                                previous: None,
                            }),
                        }
                    })
                    .collect();
                store.apply_changes(&entries, pos, day()).unwrap();
            })
        });
    }
}

criterion_group!(
    benches,
    durable_action,
    apply_pulled,
    draw_queue,
    find_by_code
);
criterion_main!(benches);
