//! `pusat bookings import` of a 10,000-row CSV in which 1 % of the rows are bad: every good
//! booking stored, every bad row reported (target: under 5 s). Each iteration imports a new
//! file (new codes), as the booking system's nightly export would be.
//!
//! Needs PostgreSQL: `DATABASE_URL`, or the machine's binaries for a throwaway cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/import.rs"]
mod import;
#[path = "../tests/common/pg.rs"]
mod pg;
#[path = "../tests/common/sync.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::{OFFICE, Pusat};

const ROWS: usize = 10_000;

/// A file of at least `ROWS` applicant rows for tomorrow, every 100th row's NIK cut short.
fn file(seed: u64) -> (String, usize) {
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let day = support::today() + chrono::Duration::days(1);
    let bookings = loket::demo::day_bookings(seed, OFFICE, day, ROWS / 2, &fees);
    let mut rows = import::csv_rows(&bookings);
    rows.truncate(ROWS + 1);
    let mut bad = 0;
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        if i % 100 == 0 {
            let nik = row.split(',').nth(9).unwrap().to_owned();
            *row = row.replacen(&format!(",{nik},"), ",12345,", 1);
            bad += 1;
        }
    }
    (rows.join("\n"), bad)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pusat, _) = rt.block_on(Pusat::start(1));
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("10,000-row CSV, 1 % bad rows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let (text, bad) = file(1000 + i);
                let mut db = rt.block_on(pusat.pool.get()).unwrap();
                let start = Instant::now();
                let done = rt
                    .block_on(loket::server::admin::bookings_import(
                        &mut db, "day.csv", &text, false,
                    ))
                    .unwrap();
                total += start.elapsed();
                let refused_lines: std::collections::BTreeSet<_> = done
                    .refused
                    .iter()
                    .map(|r| format!("{:?}", r.place))
                    .collect();
                assert!(refused_lines.len() >= bad, "every bad row reported");
                assert!(done.stored > 0);
            }
            total
        })
    });
    group.finish();
    rt.block_on(pusat.stop());
}

criterion_group!(benches, bench);
criterion_main!(benches);
