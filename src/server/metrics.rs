//! `/metrics` in Prometheus text format: events ingested, push latency, photos, pulls, and
//! each device's last contact (read from the database at scrape time).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::{AppState, Result};

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
pub struct Metrics {
    events: AtomicU64,
    duplicates: AtomicU64,
    push_ok: AtomicU64,
    push_failed: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_us: AtomicU64,
    pulled: AtomicU64,
    photos: AtomicU64,
    photo_bytes: AtomicU64,
}

impl Metrics {
    pub fn pushed(&self, result: &Result<crate::protocol::PushResponse>, took: Duration) {
        match result {
            Ok(r) => {
                self.push_ok.fetch_add(1, Relaxed);
                self.events.fetch_add(r.inserted as u64, Relaxed);
                self.duplicates.fetch_add(r.duplicates as u64, Relaxed);
            }
            Err(_) => {
                self.push_failed.fetch_add(1, Relaxed);
            }
        }
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.latency_buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.latency_sum_us
            .fetch_add(took.as_micros() as u64, Relaxed);
    }

    pub fn pulled(&self, n: usize) {
        self.pulled.fetch_add(n as u64, Relaxed);
    }

    pub fn photo(&self, bytes: u64) {
        self.photos.fetch_add(1, Relaxed);
        self.photo_bytes.fetch_add(bytes, Relaxed);
    }

    fn render(&self, out: &mut String) -> std::fmt::Result {
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            )
        };
        counter(
            out,
            "pusat_events_ingested_total",
            "Events stored (first time).",
            &self.events,
        )?;
        counter(
            out,
            "pusat_events_duplicate_total",
            "Events received again and ignored.",
            &self.duplicates,
        )?;
        counter(
            out,
            "pusat_changes_pulled_total",
            "Feed changes sent to counters.",
            &self.pulled,
        )?;
        counter(
            out,
            "pusat_photos_received_total",
            "Photos completed and verified.",
            &self.photos,
        )?;
        counter(
            out,
            "pusat_photo_bytes_total",
            "Bytes of completed photos.",
            &self.photo_bytes,
        )?;
        writeln!(
            out,
            "# HELP pusat_push_requests_total Push requests by outcome."
        )?;
        writeln!(out, "# TYPE pusat_push_requests_total counter")?;
        writeln!(
            out,
            "pusat_push_requests_total{{outcome=\"ok\"}} {}",
            self.push_ok.load(Relaxed)
        )?;
        writeln!(
            out,
            "pusat_push_requests_total{{outcome=\"failed\"}} {}",
            self.push_failed.load(Relaxed)
        )?;
        let count = self.push_ok.load(Relaxed) + self.push_failed.load(Relaxed);
        writeln!(
            out,
            "# HELP pusat_push_seconds Time to store and apply one push."
        )?;
        writeln!(out, "# TYPE pusat_push_seconds histogram")?;
        for (i, bound) in BUCKETS.iter().enumerate() {
            let n = self.latency_buckets[i].load(Relaxed);
            writeln!(out, "pusat_push_seconds_bucket{{le=\"{bound}\"}} {n}")?;
        }
        writeln!(out, "pusat_push_seconds_bucket{{le=\"+Inf\"}} {count}")?;
        let sum = self.latency_sum_us.load(Relaxed) as f64 / 1e6;
        writeln!(
            out,
            "pusat_push_seconds_sum {sum}\npusat_push_seconds_count {count}"
        )
    }
}

pub async fn render(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let mut out = String::new();
    let failed = |e: std::fmt::Error| super::ApiError::Internal(e.to_string());
    state.metrics.render(&mut out).map_err(failed)?;
    let client = state.pool.get().await?;
    let rows = super::repo::devices::contacts(&**client).await?;
    let mut seen = String::new();
    let mut seq = String::new();
    for r in &rows {
        let (id, office, counter) = (r.id, &r.office, r.counter);
        let labels = format!("device=\"{id}\",office=\"{office}\",counter=\"{counter}\"");
        if let Some(t) = r.last_seen {
            writeln!(seen, "pusat_device_last_contact_seconds{{{labels}}} {t}").map_err(failed)?;
        }
        writeln!(seq, "pusat_device_last_seq{{{labels}}} {}", r.last_seq).map_err(failed)?;
    }
    out.push_str(
        "# HELP pusat_device_last_contact_seconds Unix time of each device's last request.\n",
    );
    out.push_str("# TYPE pusat_device_last_contact_seconds gauge\n");
    out.push_str(&seen);
    out.push_str("# HELP pusat_device_last_seq Each device's highest stored event sequence.\n");
    out.push_str("# TYPE pusat_device_last_seq gauge\n");
    out.push_str(&seq);
    // Cases whose events could not all be folded in (a counter and pusat disagree about
    // them): each needs a person, so they are counted where the alerts look.
    let problems = super::repo::cases::problems_by_office(&**client).await?;
    out.push_str(
        "# HELP pusat_cases_with_problems Cases whose events pusat could not all apply.
",
    );
    out.push_str(
        "# TYPE pusat_cases_with_problems gauge
",
    );
    for (office, n) in &problems {
        writeln!(out, "pusat_cases_with_problems{{office=\"{office}\"}} {n}").map_err(failed)?;
    }
    // Events a counter was not allowed to write: stored, not applied, each for a person.
    let refused = super::repo::events::refused_by_office(&**client).await?;
    out.push_str(
        "# HELP pusat_events_refused Events stored but not applied: the counter may not write them (pusat problems lists them).\n# TYPE pusat_events_refused gauge\n",
    );
    for (office, n) in &refused {
        writeln!(out, "pusat_events_refused{{office=\"{office}\"}} {n}").map_err(failed)?;
    }
    let feed = super::repo::feed::size(&**client).await?;
    writeln!(
        out,
        "# HELP pusat_feed_changes Changes kept in the feed (compaction keeps this bounded).\n# TYPE pusat_feed_changes gauge\npusat_feed_changes {feed}"
    )
    .map_err(failed)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
