//! Ingest: 50 simulated counters pushing batches to pusat over loopback HTTP, beside a raw
//! `COPY` of the same rows into the same PostgreSQL; and one counter's full-day backlog
//! (2,000 events) synced by a real sync round from its SQLite file.
//!
//! Needs PostgreSQL: `DATABASE_URL`, or the machine's binaries for a throwaway cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "../tests/common/sync.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loket::domain::Booking;
use loket::protocol::WireEvent;
use loket::sync::Client;
use support::{Counter, OFFICE, Pusat, local_now};
use uuid::Uuid;

const COUNTERS: usize = 50;
const CASES_PER_COUNTER: usize = 40;
const VIEWS_PER_COUNTER: usize = 240;
const EVENTS_PER_COUNTER: usize = CASES_PER_COUNTER * 4 + VIEWS_PER_COUNTER;
const BATCH: usize = 500;

/// One counter's day as events: check-ins with document checks, and views.
fn day_of_events(bookings: &[Booking]) -> Vec<WireEvent> {
    let mut events = Vec::with_capacity(EVENTS_PER_COUNTER);
    let mut push = |kind: &str, case_id: Option<Uuid>, payload: serde_json::Value| {
        let seq = events.len() as i64 + 1;
        events.push(WireEvent {
            seq,
            id: Uuid::now_v7(),
            kind: kind.into(),
            case_id,
            office: OFFICE.into(),
            officer: "petugas1".into(),
            device_time: local_now(),
            payload,
            proof: None,
            signed: None,
            answers: None,
        });
    };
    for b in bookings.iter().take(CASES_PER_COUNTER) {
        let a = &b.applicants[0];
        let case_id = Uuid::now_v7();
        let check_in = serde_json::json!({
            "action": "check_in", "case_id": case_id, "booking": b.code, "applicant": 0,
            "application": b.application, "at": local_now(), "exceptions": [],
            "checklist": ["e_ktp", "family_card"],
            "identity": {"name": a.name, "nik": a.nik, "birth_date": a.birth_date, "sex": a.sex},
        });
        push("case.check_in", Some(case_id), check_in);
        for kind in ["e_ktp", "family_card"] {
            let doc = serde_json::json!({"action": "set_document", "kind": kind, "status": "valid", "note": ""});
            push("case.set_document", Some(case_id), doc);
        }
        let done = serde_json::json!({"action": "complete_documents", "override_by": null});
        push("case.complete_documents", Some(case_id), done);
    }
    for _ in 0..VIEWS_PER_COUNTER {
        push(
            "audit.view",
            None,
            serde_json::json!({"booking": bookings[0].code}),
        );
    }
    events
}

async fn enroll_devices(pusat: &Pusat, n: usize) -> Vec<Client> {
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let code = pusat.enroll_code(i as u32 + 1).await;
        let key = loket::sync::DeviceKey::generate();
        let r = Client::enroll(&pusat.url, &code, None, &key).await.unwrap();
        clients.push(Client::new(&pusat.url, &r.token, None).unwrap().signed(key));
    }
    clients
}

async fn push_all(clients: Vec<Client>, days: Vec<Vec<WireEvent>>) {
    let tasks: Vec<_> = clients
        .into_iter()
        .zip(days)
        .map(|(client, events)| {
            tokio::spawn(async move {
                for batch in events.chunks(BATCH) {
                    client.push(batch).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

async fn copy_rows(pool: &deadpool_postgres::Pool, days: &[Vec<WireEvent>]) {
    use futures_util::SinkExt;
    let db = pool.get().await.unwrap();
    let mut text = String::new();
    for events in days {
        let device = Uuid::now_v7();
        for e in events {
            let payload = e.payload.to_string().replace('\\', "\\\\");
            text.push_str(&format!(
                "{}\t{device}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                e.id,
                e.seq,
                e.kind,
                e.case_id.map_or("\\N".into(), |c| c.to_string()),
                e.office,
                e.officer,
                e.device_time.to_rfc3339(),
                e.device_time.offset().local_minus_utc(),
                payload
            ));
        }
    }
    let sink = db
        .copy_in("COPY events_copy (id, device, seq, kind, case_id, office, officer, device_time, device_offset, payload) FROM STDIN")
        .await
        .unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from(text)).await.unwrap();
    sink.finish().await.unwrap();
}

fn ingest(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (pusat, bookings) = rt.block_on(Pusat::start(COUNTERS * CASES_PER_COUNTER));
    rt.block_on(async {
        let db = pusat.pool.get().await.unwrap();
        db.batch_execute(
            "CREATE TABLE events_copy (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)",
        )
        .await
        .unwrap();
    });
    let days = || -> Vec<Vec<WireEvent>> {
        bookings
            .chunks(CASES_PER_COUNTER)
            .take(COUNTERS)
            .map(day_of_events)
            .collect()
    };
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements((COUNTERS * EVENTS_PER_COUNTER) as u64));
    group.bench_function("50 counters push over HTTP", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let clients = rt.block_on(enroll_devices(&pusat, COUNTERS));
                let days = days();
                let start = Instant::now();
                rt.block_on(push_all(clients, days));
                total += start.elapsed();
            }
            total
        })
    });
    group.bench_function("COPY of the same rows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let days = days();
                let start = Instant::now();
                rt.block_on(copy_rows(&pusat.pool, &days));
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();

    let mut group = c.benchmark_group("backlog");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2000));
    group.bench_function("one counter's day (2,000 events) by a sync round", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let mut counter = rt.block_on(Counter::enroll(&pusat, 100 + i as u32));
                rt.block_on(counter.sync()).unwrap();
                let before = counter.outbox_len();
                let n = 2000 - before;
                let mine = &bookings[(i as usize * 7) % 1900..];
                for b in mine.iter().take(100) {
                    let _ = counter.serve_applicant(b, 0);
                }
                let rest = 2000 - (counter.outbox_len() - before);
                counter.views(&mine[0], rest.min(n));
                let start = Instant::now();
                rt.block_on(counter.sync()).unwrap();
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    rt.block_on(pusat.stop());
}

criterion_group!(benches, ingest);
criterion_main!(benches);
