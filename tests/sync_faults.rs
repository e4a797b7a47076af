//! Sync under faults. Each test ends with every event on pusat exactly once, nothing lost or
//! duplicated locally, and every case projection equal to a replay of its events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/pusat.rs"]
mod pusat_bin;
#[path = "common/sync.rs"]
mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{Counter, OFFICE, Pusat, assert_consistent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn server_events(pusat: &Pusat) -> i64 {
    let db = pusat.pool.get().await.unwrap();
    db.query_one("SELECT COUNT(*) FROM events", &[])
        .await
        .unwrap()
        .get(0)
}

/// Every event pusat holds, as stored: id, sequence, payload and when it was received.
type StoredEvent = (
    uuid::Uuid,
    i64,
    serde_json::Value,
    chrono::DateTime<chrono::Utc>,
);

async fn stored_events(pusat: &Pusat) -> Vec<StoredEvent> {
    let db = pusat.pool.get().await.unwrap();
    db.query(
        "SELECT id, seq, payload, received_at FROM events ORDER BY device, seq",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

/// The kill landed mid-push: pusat had stored part of the backlog, not none and not all.
/// After the push resumed, what it had stored is found again exactly as it was (not
/// stored twice, not rewritten), and the rest follows it.
async fn assert_resumed_after_a_kill_mid_push(pusat: &Pusat, at_kill: &[StoredEvent], total: i64) {
    let stored = at_kill.len() as i64;
    assert!(
        stored > 0 && stored < total,
        "the kill landed mid-push: {stored} of {total} stored"
    );
    let after = stored_events(pusat).await;
    assert_eq!(
        after.len() as i64,
        total,
        "every event once after the resume"
    );
    for event in at_kill {
        assert!(
            after.contains(event),
            "event {} (seq {}) is found after the resume as it was stored before the kill",
            event.0,
            event.1
        );
    }
}

/// A counter with a backlog of `views` events plus a few served applicants.
async fn busy_counter(pusat: &Pusat, bookings: &[loket::domain::Booking], views: usize) -> Counter {
    let mut a = Counter::enroll(pusat, 1).await;
    a.sync().await.unwrap();
    for b in &bookings[..4] {
        a.serve_applicant(b, 0).unwrap();
    }
    a.views(&bookings[5], views);
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_killed_mid_push_loses_and_repeats_nothing() {
    let (setup, bookings) = Pusat::start(10).await;
    let mut a = busy_counter(&setup, &bookings, 3000).await;
    let db = pg_url(&setup).await;
    let (mut child, url) = pusat_bin::serve(&db, &[]);
    a.server(&url);
    let total = a.outbox_len() as i64;
    let sync = tokio::spawn(async move {
        let r = a.sync().await;
        (a, r)
    });
    // Kill pusat once it has stored some of the backlog, not all.
    // (Waiting a minute at most, on a busy machine.)
    for _ in 0..30_000 {
        if server_events(&setup).await > 0 || sync.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut a, result) = sync.await.unwrap();
    assert!(result.is_err(), "the push was cut by the kill");
    let at_kill = stored_events(&setup).await;
    let (mut child, url) = pusat_bin::serve(&db, &[]);
    a.server(&url);
    a.sync().await.unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_resumed_after_a_kill_mid_push(&setup, &at_kill, total).await;
    assert_consistent(&setup, &[&a]).await;
    setup.stop().await;
}

/// The URL of the database behind a test pusat.
async fn pg_url(pusat: &Pusat) -> String {
    let db = pusat.pool.get().await.unwrap();
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    let port: String = db.query_one("SHOW port", &[]).await.unwrap().get(0);
    format!("postgres://postgres@127.0.0.1:{port}/{name}")
}

/// A proxy that forwards to `upstream` but, for the first `cuts` connections, drops the
/// connection as soon as the answer starts: the request was served, the client never
/// hears so.
async fn cutting_proxy(upstream: String, cuts: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let remaining = Arc::new(AtomicUsize::new(cuts));
    let left = remaining.clone();
    let upstream = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let cut = left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                if cut {
                    let mut first = [0u8; 1];
                    let _ = sr.read(&mut first).await;
                    up.abort();
                    let _ = cw.shutdown().await;
                    return;
                }
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
                up.abort();
            });
        }
    });
    (url, remaining)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_on_the_way_back_are_retried_without_duplicates() {
    let (pusat, bookings) = Pusat::start(10).await;
    let mut a = busy_counter(&pusat, &bookings, 1200).await;
    let (proxy, left) = cutting_proxy(pusat.url.clone(), 3).await;
    a.server(&proxy);
    let mut failures = 0;
    while a.sync().await.is_err() {
        failures += 1;
        assert!(failures < 10, "sync never recovered");
    }
    assert!(failures >= 1, "the proxy cut answers");
    assert_eq!(left.load(Ordering::SeqCst), 0);
    assert!(server_events(&pusat).await > 0);
    assert_consistent(&pusat, &[&a]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_killed_mid_sync_resumes_where_it_stopped() {
    let (pusat, bookings) = Pusat::start(10).await;
    let a = busy_counter(&pusat, &bookings, 4000).await;
    let total = a.outbox_len() as i64;
    let dir = a.dir.path().to_owned();
    let loket = |dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_loket"))
            .args(["sync", "--once"])
            .env("LOKET_DATA_DIR", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = loket(&dir);
    // Wait (a minute at most, on a busy machine) for the first batch to be stored.
    for _ in 0..60_000 {
        if server_events(&pusat).await > 0 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "loket sync ended before pusat stored anything"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // SIGKILL: no chance to tidy up.
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = stored_events(&pusat).await;
    let status = loket(&dir).wait().unwrap();
    assert!(status.success());
    assert_resumed_after_a_kill_mid_push(&pusat, &at_kill, total).await;
    assert_consistent(&pusat, &[&a]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_transaction_committing_late_is_not_skipped_by_the_feed() {
    let (pusat, bookings) = Pusat::start(10).await;
    let mut reader = Counter::enroll(&pusat, 1).await;
    let mut writer = Counter::enroll(&pusat, 2).await;
    reader.sync().await.unwrap();
    writer.sync().await.unwrap();
    let before = reader.store.pull_cursor().unwrap();

    // A slow transaction takes its feed position first and commits last.
    let mut slow_db = pusat.pool.get().await.unwrap();
    let slow = slow_db.transaction().await.unwrap();
    let mut late = bookings[9].clone();
    late.date = support::today() + chrono::Duration::days(2);
    let change = loket::protocol::Change::Booking(loket::protocol::BookingChange {
        booking: late.clone(),
        cancelled: false,
        previous: None,
    });
    loket::server::feed::append(&slow, OFFICE, &[change])
        .await
        .unwrap();

    // Meanwhile a later change: counter 2 pushes its work. It waits on the office's feed.
    writer.serve_applicant(&bookings[0], 0).unwrap();
    let push = tokio::spawn(async move {
        let r = writer.sync().await;
        (writer, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A reader pulling now sees neither change: nothing it could skip past.
    reader.sync().await.unwrap();
    assert_eq!(reader.store.pull_cursor().unwrap(), before);
    assert!(
        !push.is_finished(),
        "the later change waits for the earlier position"
    );

    slow.commit().await.unwrap();
    let (writer, result) = push.await.unwrap();
    result.unwrap();
    reader.sync().await.unwrap();
    assert!(
        reader
            .store
            .queue(late.date)
            .unwrap()
            .iter()
            .any(|r| r.code == late.code)
    );
    assert_eq!(
        reader
            .store
            .served_elsewhere(bookings[0].code.as_str())
            .unwrap()
            .len(),
        1
    );
    // Positions are gapless and were read in order.
    let db = pusat.pool.get().await.unwrap();
    let positions: Vec<i64> = db
        .query(
            "SELECT pos FROM changes WHERE office = $1 ORDER BY pos",
            &[&OFFICE],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(positions, (1..=positions.len() as i64).collect::<Vec<_>>());
    assert_eq!(reader.store.pull_cursor().unwrap(), positions.len() as i64);
    assert_consistent(&pusat, &[&reader, &writer]).await;
    pusat.stop().await;
}
