//! The office's queue: the board's figures for a day of 2,000 tickets; choosing the next
//! ticket from a counter's SQLite among 2,000; and over loopback HTTP on a real PostgreSQL,
//! 50 counters pressing F6 at once — each call's round trip to pusat (`POST /queue/call`:
//! the office's caller task chooses and writes the batch) and the time until a display's
//! waiting long poll has it.
//! Percentiles are printed at the end. Run with `cargo bench --bench queue`.
//!
//! Needs PostgreSQL: `DATABASE_URL`, or the machine's binaries for a throwaway cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "../tests/common/sync.rs"]
mod support;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use loket::domain::queue::{self, QueueRules, Ticket, TicketAction, TicketEvent, TicketState};
use loket::protocol::Change;
use loket::store::{Actor, Store};
use support::{Counter, OFFICE, Pusat};
use uuid::Uuid;

const TICKETS: u32 = 2_000;
const COUNTERS: usize = 50;
const CALLS_PER_COUNTER: usize = 4;

fn at(minute: u32) -> DateTime<FixedOffset> {
    let t = chrono::NaiveTime::from_hms_opt(7 + minute / 60, minute % 60, 0).unwrap();
    NaiveDate::from_ymd_opt(2026, 11, 26)
        .unwrap()
        .and_time(t)
        .and_local_timezone(FixedOffset::east_opt(7 * 3600).unwrap())
        .unwrap()
}

/// A day of tickets in every state: issued through the day, called, served, done.
fn day_of_tickets() -> Vec<Ticket> {
    let lines = ["A", "B", "P", "C"];
    (0..TICKETS)
        .map(|i| {
            let line = lines[(i % 4) as usize];
            let event = |counter, action| TicketEvent {
                ticket: Uuid::from_u128(i as u128 + 1),
                counter,
                action,
            };
            let issued = i / 4;
            let mut t = Ticket::issue(
                &event(
                    9,
                    TicketAction::Issue {
                        day: at(0).date_naive(),
                        line: line.into(),
                        number: 9001 + issued,
                        booking: None,
                    },
                ),
                at(issued % 540),
            )
            .unwrap();
            let counter = 1 + i % 20;
            let steps = match i % 10 {
                0..=5 => 3,
                6 => 1,
                7 => 0,
                _ => 2,
            };
            let base = issued % 540;
            for (n, action) in [
                TicketAction::Call,
                TicketAction::Serve,
                TicketAction::Finish,
            ]
            .into_iter()
            .take(steps)
            .enumerate()
            {
                t.apply(
                    &event(counter, action),
                    "budi",
                    at(base + 10 + n as u32 * 7),
                )
                .unwrap();
            }
            t
        })
        .collect()
}

fn board_figures(c: &mut Criterion) {
    let tickets = day_of_tickets();
    let rules = QueueRules::default();
    let f = queue::figures(&tickets, &rules, at(600));
    assert_eq!(f.issued, TICKETS as usize);
    c.bench_function("board figures, a day of 2,000 tickets", |b| {
        b.iter(|| black_box(queue::figures(&tickets, &rules, at(600))))
    });
}

fn choose_next(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), OFFICE).unwrap();
    let rules = QueueRules::default();
    let actor = Actor {
        key: None,
        username: "petugas1".into(),
        now: at(60),
    };
    for i in 0..TICKETS {
        let line = &rules.lines[(i % 4) as usize];
        store
            .issue_ticket(&actor, 1 + i / 900, line, at(0).date_naive(), None)
            .unwrap();
    }
    c.bench_function(
        "choose the next ticket among 2,000 (read from SQLite)",
        |b| {
            b.iter(|| {
                let all = store.tickets(at(0).date_naive()).unwrap();
                black_box(queue::pick_next(&all, &rules, at(60), 1).map(|t| t.id));
            })
        },
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, mut all: Vec<Duration>) {
    all.sort();
    if let Some(max) = all.last() {
        eprintln!(
            "{what} over {}: p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {max:.2?}",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
        );
    }
}

/// How the fifty counters are run on the bench's machine.
#[derive(Clone, Copy)]
enum Harness {
    Threads,
    Tasks,
}

/// One counter's calls: `CALLS_PER_COUNTER` of them, each as F6 does online (pusat chooses
/// and answers; the counter records the call and pushes it); the round trips.
async fn counter_calls(
    mut c: Counter,
    number: u32,
    pushed: &Mutex<HashMap<Uuid, Instant>>,
    round: &tokio::sync::Barrier,
    sync_each: bool,
    shared_thread: bool,
) -> Vec<Duration> {
    let mut trips = Vec::new();
    for r in 0..CALLS_PER_COUNTER {
        if !sync_each {
            round.wait().await;
        }
        let started = Instant::now();
        let Some(t) = c
            .client
            .call_next(&c.officer, support::today())
            .await
            .unwrap()
        else {
            if !sync_each {
                // The others still wait for this one at each round.
                for _ in r + 1..CALLS_PER_COUNTER {
                    round.wait().await;
                }
            }
            break;
        };
        trips.push(started.elapsed());
        pushed.lock().unwrap().insert(t.id, started);
        // The applicant is served and finished before the next F6 (a counter holds one
        // number at a time), and what the counter did reaches pusat before it calls again.
        let actor = c.actor();
        let serve = |store: &mut Store| {
            store.record_call(&actor, number, &t)?;
            for action in [TicketAction::Serve, TicketAction::Finish] {
                store.ticket_act(&actor, number, t.id, action)?;
            }
            Ok::<_, loket::store::StoreError>(())
        };
        if shared_thread {
            tokio::task::block_in_place(|| serve(&mut c.store)).unwrap();
        } else {
            serve(&mut c.store).unwrap();
        }
        if sync_each {
            c.sync().await.unwrap();
        } else {
            loket::sync::push_outbox(&mut c.store, &c.client, &support::local_now)
                .await
                .unwrap();
        }
    }
    if !sync_each {
        // The calls alone: none of the last round's calls shares the machine with the
        // pushes of the counters answered before it.
        round.wait().await;
    }
    c.sync().await.unwrap();
    trips
}

/// One run: 50 counters call 4 times each, all at once; returns (call round trips, call to
/// display).
/// `sync_each`: each counter pushes and pulls after every call (as the sync worker does
/// soon after F6), so pusat serves fifty counters' syncs beside the calls, on the same two
/// cores as the fifty counters themselves. Otherwise the counters call in four rounds, all
/// fifty at the same instant each round, and sync at the end: the calls alone.
async fn calling_run(
    pusat: &Pusat,
    run: u32,
    sync_each: bool,
    harness: Harness,
) -> (Vec<Duration>, Vec<Duration>) {
    let desk_no = 10_000 + run;
    let mut desk = Counter::enroll(pusat, desk_no).await;
    desk.sync().await.unwrap();
    let rules = QueueRules::default();
    let day = support::today();
    // As many as the counters call: none carries over to the next run (an office's day
    // has a few hundred waiting at most, not the thousands the runs would pile up).
    for i in 0..(COUNTERS * CALLS_PER_COUNTER) as u32 {
        desk.store
            .issue_ticket(
                &desk.actor(),
                desk_no,
                &rules.lines[(i % 2) as usize],
                day,
                None,
            )
            .unwrap();
    }
    desk.sync().await.unwrap();
    let mut counters = Vec::new();
    for n in 0..COUNTERS {
        let mut c = Counter::enroll(pusat, 100 + run * 100 + n as u32).await;
        c.sync().await.unwrap();
        counters.push(c);
    }
    // The display waits at pusat and notes when each call reaches it.
    let code = {
        let db = pusat.pool.get().await.unwrap();
        loket::server::admin::enroll_code_for(&db, OFFICE, run, 1, loket::server::Role::Display)
            .await
            .unwrap()
            .0
    };
    let key = loket::sync::DeviceKey::generate();
    let r = loket::sync::Client::enroll(&pusat.url, &code, None, &key)
        .await
        .unwrap();
    let display = loket::sync::Client::new(&pusat.url, &r.token, None)
        .unwrap()
        .signed(key);
    // The display starts caught up, as one that has been on all day.
    let mut cursor = 0;
    loop {
        let page = display.pull(cursor).await.unwrap();
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    let seen: Arc<Mutex<HashMap<Uuid, Instant>>> = Arc::default();
    let pushed: Arc<Mutex<HashMap<Uuid, Instant>>> = Arc::default();
    let watcher = {
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok(page) = display.pull_waiting(cursor, 20, 1000).await else {
                    return;
                };
                cursor = page.cursor;
                let now = Instant::now();
                let mut seen = seen.lock().unwrap();
                for c in page.changes {
                    if let Change::Ticket(t) = c.change
                        && t.state == TicketState::Called
                    {
                        seen.entry(t.id).or_insert(now);
                    }
                }
            }
        })
    };
    let start = Arc::new(tokio::sync::Barrier::new(counters.len()));
    let round = Arc::new(tokio::sync::Barrier::new(counters.len()));
    let mut trips = Vec::new();
    match harness {
        // Each counter is its own machine: its own thread, runtime and SQLite file, so
        // one counter's disk writes never hold up another's call (or pusat, which runs on
        // its own runtime). On two cores, the fifty threads' wake-ups then compete with
        // pusat and PostgreSQL for the CPU.
        Harness::Threads => {
            let threads: Vec<_> = counters
                .into_iter()
                .enumerate()
                .map(|(n, c)| {
                    let (pushed, start, round) = (pushed.clone(), start.clone(), round.clone());
                    let number = 100 + run * 100 + n as u32;
                    std::thread::spawn(move || {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .unwrap();
                        rt.block_on(async move {
                            start.wait().await;
                            counter_calls(c, number, &pushed, &round, sync_each, false).await
                        })
                    })
                })
                .collect();
            for t in threads {
                trips.extend(t.join().unwrap());
            }
        }
        // As a load generator drives many clients (wrk, k6): the fifty counters are tasks
        // on two threads, each with its own HTTP connection and SQLite file; a counter's
        // disk write moves its thread's other counters elsewhere (`block_in_place`).
        Harness::Tasks => {
            let tasks: Vec<_> = counters
                .into_iter()
                .enumerate()
                .map(|(n, c)| {
                    let (pushed, start, round) = (pushed.clone(), start.clone(), round.clone());
                    let number = 100 + run * 100 + n as u32;
                    tokio::spawn(async move {
                        start.wait().await;
                        counter_calls(c, number, &pushed, &round, sync_each, true).await
                    })
                })
                .collect();
            for t in tasks {
                trips.extend(t.await.unwrap());
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    watcher.abort();
    let seen = seen.lock().unwrap();
    let pushed = pushed.lock().unwrap();
    // Calls that won at pusat reach the display; a lost call never does.
    let to_display = seen
        .iter()
        .filter_map(|(id, at)| pushed.get(id).map(|start| at.duration_since(*start)))
        .collect();
    (trips, to_display)
}

fn calling(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // pusat on its own runtime, as on its own machine.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (pusat, _) = server_rt.block_on(Pusat::start(1));
    let mut run = 0;
    let mut group = c.benchmark_group("queue");
    group.sample_size(10);
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(1));
    let mut results = Vec::new();
    for (name, sync_each, harness) in [
        (
            "50 counters calling at once: call-next round trip",
            true,
            Harness::Threads,
        ),
        (
            "50 counters calling at once, syncing after: calls alone",
            false,
            Harness::Threads,
        ),
        (
            "50 counters as tasks calling at once, syncing after: calls alone",
            false,
            Harness::Tasks,
        ),
    ] {
        let (mut trips, mut shown) = (Vec::new(), Vec::new());
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    run += 1;
                    let (t, s) = rt.block_on(calling_run(&pusat, run, sync_each, harness));
                    total += t.iter().sum::<Duration>() / t.len().max(1) as u32;
                    trips.extend(t);
                    shown.extend(s);
                }
                total
            })
        });
        results.push((name, trips, shown));
    }
    group.finish();
    for (name, trips, shown) in results {
        println!("{name}:");
        report("  call-next round trip (POST /queue/call)", trips);
        report("  call → display's long poll", shown);
    }
    server_rt.block_on(pusat.stop());
}

criterion_group!(benches, board_figures, choose_next, calling);
criterion_main!(benches);
