//! Sync between counters (real SQLite files) and pusat (in-process, on a real PostgreSQL):
//! enrollment, push, pull, claims, photos, bookings, the status endpoint, and refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use loket::domain::format::sha256_hex;
use loket::protocol::{self, Stage};
use loket::sync::SyncError;
use support::{Counter, OFFICE, Pusat, assert_consistent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_enrolls_pulls_its_office_and_pushes_its_work() {
    let (pusat, bookings) = Pusat::start(20).await;
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_officer(&mut db, OFFICE, "rina", "198801012010012001", "482913").await;
    }
    let mut a = Counter::enroll(&pusat, 1).await;
    let first = a.sync().await.unwrap();
    assert!(
        first.pulled >= 22,
        "office, officer and 20 bookings: {first:?}"
    );
    assert_eq!(a.store.queue(support::today()).unwrap().len(), 20);
    // The roster arrives with its PIN hashes: the officer signs in offline.
    let who = a
        .store
        .authenticate("rina", "482913", support::local_now())
        .unwrap();
    assert_eq!(who.name, "Rina Wulandari");

    for b in &bookings[..3] {
        a.serve_applicant(b, 0).unwrap();
    }
    a.views(&bookings[5], 4);
    let report = a.sync().await.unwrap();
    assert_eq!(report.pushed, 3 * 4 + 4);
    assert_eq!(a.store.sync_counts().unwrap().events, 0);
    assert!(a.store.sync_counts().unwrap().last_success.is_some());

    // Another counter sees who serves whom.
    let mut b = Counter::enroll(&pusat, 2).await;
    b.sync().await.unwrap();
    let elsewhere = b.store.served_elsewhere(bookings[0].code.as_str()).unwrap();
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[0].counter, 1);
    assert!(!elsewhere[0].our_case_lost);
    let queue = b.store.queue(support::today()).unwrap();
    let row = queue.iter().find(|r| r.code == bookings[0].code).unwrap();
    assert_eq!(row.opened, 1, "the queue counts the other counter's case");
    assert_consistent(&pusat, &[&a, &b]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_twice_stores_nothing_twice_and_a_gap_is_refused() {
    let (pusat, bookings) = Pusat::start(5).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    a.serve_applicant(&bookings[0], 0).unwrap();
    a.views(&bookings[1], 6);
    let batch = a.store.outbox_from(1, 100).unwrap();
    let once = a.client.push(&batch).await.unwrap();
    assert_eq!((once.inserted, once.duplicates), (10, 0));
    let twice = a.client.push(&batch).await.unwrap();
    assert_eq!((twice.inserted, twice.duplicates), (0, 10));
    assert_eq!(twice.stored_through, 10);

    a.views(&bookings[1], 3);
    let later = a.store.outbox_from(12, 100).unwrap();
    assert_eq!(a.client.push(&later).await, Err(SyncError::Gap(11)));
    // A batch that changes an event already stored is refused, not overwritten.
    let mut forged = a.store.outbox_from(10, 1).unwrap();
    forged[0].id = uuid::Uuid::now_v7();
    assert!(matches!(
        a.client.push(&forged).await,
        Err(SyncError::Refused(_))
    ));

    a.sync().await.unwrap();
    assert_consistent(&pusat, &[&a]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_counters_claiming_one_applicant_both_learn_who_won() {
    let (pusat, bookings) = Pusat::start(5).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    let mut b = Counter::enroll(&pusat, 2).await;
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    // Both offline, both check in the same applicant.
    let booking = &bookings[2];
    let case_b = b.serve_applicant(booking, 0).unwrap();
    let case_a = a.serve_applicant(booking, 0).unwrap();
    // Counter 2's check-in reaches pusat first: it wins, though counter 1's was made later.
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    let lost = a.store.served_elsewhere(booking.code.as_str()).unwrap();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lost[0].our_case_lost);
    assert_eq!(lost[0].counter, 2);
    let won = b.store.served_elsewhere(booking.code.as_str()).unwrap();
    assert!(won.iter().all(|w| !w.our_case_lost), "{won:?}");
    // Nothing deleted: the losing case and its events stay, on both sides.
    assert_eq!(
        a.store.cases_for_booking(booking.code.as_str()).unwrap()[0].id,
        case_a.id
    );
    let db = pusat.pool.get().await.unwrap();
    let row = db
        .query_one("SELECT lost_to FROM cases WHERE id = $1", &[&case_a.id])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<uuid::Uuid>>(0), Some(case_b.id));
    let status = reqwest::get(format!(
        "{}/api/v1/status/{}",
        pusat.url,
        booking.code.as_str()
    ))
    .await
    .unwrap()
    .json::<protocol::StatusResponse>()
    .await
    .unwrap();
    assert_eq!(status.stage, Stage::InProgress);
    assert_consistent(&pusat, &[&a, &b]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_upload_resumably_and_are_verified() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    // A photo bigger than one chunk, recorded the way the photo step records it.
    let jpeg = support::passport_jpeg(1);
    assert!(jpeg.len() > 2 * protocol::PHOTO_CHUNK, "{}", jpeg.len());
    let sha = sha256_hex(&jpeg);
    a.serve_to_photo(&bookings[0], &jpeg).unwrap();
    assert_eq!(a.store.pending_photos().unwrap(), 1);
    let file = loket::store::photo_path(a.dir.path(), &sha);
    assert!(file.exists());

    // An earlier attempt got the first 64 KiB through before the link dropped.
    let first = protocol::PHOTO_CHUNK;
    let r = a
        .signed_with(
            &pusat.url,
            reqwest::Method::PUT,
            &format!("/api/v1/photos/{sha}"),
            &jpeg[..first],
        )
        .header(
            "content-range",
            format!("bytes 0-{}/{}", first - 1, jpeg.len()),
        )
        .body(jpeg[..first].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let report = a.sync().await.unwrap();
    assert_eq!(report.photos, 1);
    assert_eq!(a.store.pending_photos().unwrap(), 0);
    let db = pusat.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT data, complete FROM photos WHERE sha256 = $1",
            &[&sha],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<u8>>(0), jpeg);
    assert!(row.get::<_, bool>(1));
    assert!(
        !file.exists(),
        "once pusat holds the photo the kiosk keeps none"
    );
    // Sending it again changes nothing; bytes that do not match their address are refused.
    a.client.upload_photo(&sha, &jpeg).await.unwrap();
    let wrong = sha256_hex(b"other");
    let refused = a.client.upload_photo(&wrong, &jpeg).await;
    assert!(matches!(refused, Err(SyncError::Refused(_))), "{refused:?}");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_from_the_booking_system_reach_the_counter_and_the_status_endpoint() {
    let (pusat, bookings) = Pusat::start(4).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1", pusat.url);
    // Without the integration key: refused.
    let mut moved = bookings[3].clone();
    moved.date = support::today() + chrono::Duration::days(1);
    let r = http
        .post(format!("{api}/bookings"))
        .json(&moved)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A reschedule and a cancellation.
    let r = http
        .post(format!("{api}/bookings"))
        .bearer_auth(support::INTEGRATION_KEY)
        .json(&moved)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .delete(format!("{api}/bookings/{}", bookings[2].code.as_str()))
        .bearer_auth(support::INTEGRATION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    a.sync().await.unwrap();
    let today: Vec<_> = a
        .store
        .queue(support::today())
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(
        today,
        vec![bookings[0].code.clone(), bookings[1].code.clone()]
    );
    let tomorrow = a.store.queue(moved.date).unwrap();
    assert_eq!(tomorrow[0].code, moved.code);

    let status = |code: String| {
        let http = http.clone();
        let api = api.clone();
        async move {
            http.get(format!("{api}/status/{code}"))
                .send()
                .await
                .unwrap()
        }
    };
    let r = status(bookings[2].code.as_str().to_owned()).await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["stage"], "cancelled");
    assert!(
        body.get("applicants").is_none()
            && !body.to_string().contains(&bookings[2].applicants[0].nik)
    );
    assert_eq!(status("ZZZZ".into()).await.status(), 400);
    // The endpoint is rate-limited per client.
    let mut codes = Vec::new();
    for _ in 0..30 {
        codes.push(
            status(bookings[0].code.as_str().to_owned())
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(codes.contains(&200) && codes.contains(&429), "{codes:?}");

    let metrics = reqwest::get(format!("{}/metrics", pusat.metrics_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("pusat_events_ingested_total"));
    assert!(metrics.contains(&format!("device=\"{}\"", a.credential.device_id)));
    let health = reqwest::get(format!("{}/healthz", pusat.url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_expired_and_strange_servers_stop_sync_but_lose_nothing() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    a.serve_applicant(&bookings[0], 0).unwrap();
    a.sync().await.unwrap();
    a.views(&bookings[1], 5);
    let db = pusat.pool.get().await.unwrap();

    db.execute(
        "UPDATE devices SET expires_at = now() - interval '1 day'",
        &[],
    )
    .await
    .unwrap();
    a.until_refused(SyncError::Expired).await;
    assert_eq!(a.sync().await, Err(SyncError::Expired));
    assert_eq!(a.store.pending_events().unwrap(), 5);
    db.execute(
        "UPDATE devices SET expires_at = now() + interval '1 day'",
        &[],
    )
    .await
    .unwrap();
    a.sync().await.unwrap();

    a.views(&bookings[1], 2);
    let id = a.credential.device_id;
    loket::server::admin::device_revoke(&db, id).await.unwrap();
    a.until_refused(SyncError::Revoked).await;
    assert_eq!(a.sync().await, Err(SyncError::Revoked));
    assert_eq!(
        a.store.pending_events().unwrap(),
        2,
        "nothing deleted locally"
    );

    // A server answering nonsense, or another protocol version.
    let fake = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_url = format!("http://{}", fake.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new()
            .route(
                "/api/v1/events",
                axum::routing::post(|| async { "<html>proxy login</html>" }),
            )
            .route(
                "/api/v1/changes",
                axum::routing::get(|| async {
                    (
                        [(protocol::HEADER, "9")],
                        axum::Json(serde_json::json!({"changes": []})),
                    )
                }),
            );
        axum::serve(fake, app).await.unwrap();
    });
    a.server(&fake_url);
    assert!(matches!(a.sync().await, Err(SyncError::Nonsense(_))));
    assert_eq!(a.store.pending_events().unwrap(), 2);
    let pulled = a.client.pull(0).await;
    assert!(matches!(pulled, Err(SyncError::Protocol(v)) if v == "9"));

    // Fixed by enrolling again: the counter resends its outbox and nothing is stored twice.
    // The new device starts at sequence 1 at pusat while the counter holds all but two
    // events as pushed: pusat's gap answer rewinds the counter (sync/round.rs), which sends
    // them all again under the new device.
    let pushed_before = a.outbox_len() - 2;
    let code = pusat.enroll_code(1).await;
    a.key = loket::sync::DeviceKey::generate();
    let again = loket::sync::Client::enroll(&pusat.url, &code, None, &a.key)
        .await
        .unwrap();
    a.store
        .enroll(again.device_id, &again.office, 1, support::local_now())
        .unwrap();
    a.credential.device_id = again.device_id;
    a.credential.token = again.token.clone();
    a.server(&pusat.url);
    assert_eq!(
        a.store.pending_events().unwrap(),
        2,
        "enrolling rewinds nothing by itself"
    );
    let report = a.sync().await.unwrap();
    assert_eq!(
        (report.pushed, report.duplicates),
        (2, pushed_before),
        "the two new events stored, the rest sent again and known"
    );
    let resent: i64 = db
        .query_one(
            "SELECT last_seq FROM devices WHERE id = $1",
            &[&again.device_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        resent as usize,
        a.outbox_len(),
        "the new device's sequence is whole"
    );
    let total: i64 = db
        .query_one("SELECT COUNT(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total as usize, a.outbox_len());
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_mismatch_is_named() {
    let (pusat, _) = Pusat::start(1).await;
    let a = Counter::enroll(&pusat, 1).await;
    let r = a
        .signed(&pusat.url, reqwest::Method::GET, "/api/v1/changes")
        // A loket before body signing speaks protocol 1.
        .header(protocol::HEADER, "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 426);
    let body: protocol::ErrorBody = r.json().await.unwrap();
    assert_eq!(body.error, protocol::ErrorCode::Protocol);
    // The counter is told what to update to, in the officer's language first.
    assert!(
        body.message.starts_with(&format!(
            "perbarui loket ke versi ≥ {}",
            protocol::MIN_LOKET
        )),
        "{}",
        body.message
    );
    pusat.stop().await;
}

#[test]
fn every_central_migration_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/migrations/central");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    // By version (V10 after V9), as refinery runs them.
    files.sort_by_key(|f| {
        f.trim_start_matches('V')
            .split("__")
            .next()
            .and_then(|v| v.parse::<u32>().ok())
    });
    let embedded = loket::server::db::migration_names();
    assert_eq!(embedded.len(), files.len(), "{embedded:?} vs {files:?}");
    for (name, file) in embedded.iter().zip(&files) {
        assert!(
            file.contains(name.as_str()),
            "{file} is not embedded as {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_and_bookings_that_leave_an_office_leave_its_counters() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut db = pusat.pool.get().await.unwrap();
    loket::server::admin::office_add(
        &mut db,
        &protocol::OfficeInfo {
            code: "BDG".into(),
            name: "Kantor Imigrasi Bandung".into(),
            zone: "WIB".into(),
            config: Default::default(),
        },
    )
    .await
    .unwrap();
    for (user, nip) in [
        ("rina", "198801012010012001"),
        ("budi", "198902022011011002"),
    ] {
        support::add_officer(&mut db, OFFICE, user, nip, "482913").await;
    }
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    for user in ["rina", "budi"] {
        assert!(a.store.officer_on_roster(user).unwrap());
    }
    assert_eq!(a.store.queue(support::today()).unwrap().len(), 3);

    // Rina leaves the service; Budi moves to Bandung; one booking is moved there too.
    loket::server::admin::officer_remove(&mut db, "rina")
        .await
        .unwrap();
    let twice = loket::server::admin::officer_remove(&mut db, "rina").await;
    assert!(
        matches!(&twice, Err(e) if e.to_string().contains("no active officer rina")),
        "removing twice says there is no such officer: {twice:?}"
    );
    support::add_officer(&mut db, "BDG", "budi", "198902022011011002", "482913").await;
    let mut moved = bookings[0].clone();
    moved.office = "BDG".into();
    let imported = loket::server::admin::bookings_import(
        &mut db,
        "moved.json",
        &serde_json::to_string(&[moved]).unwrap(),
        false,
    )
    .await
    .unwrap();
    assert!(imported.refused.is_empty(), "{:?}", imported.refused);

    a.sync().await.unwrap();
    for user in ["rina", "budi"] {
        assert!(!a.store.officer_on_roster(user).unwrap(), "{user}");
        assert!(
            matches!(
                a.store.authenticate(user, "482913", support::local_now()),
                Err(loket::store::AuthError::UnknownUser)
            ),
            "{user} still signs in"
        );
    }
    let queue = a.store.queue(support::today()).unwrap();
    assert_eq!(queue.len(), 2, "the moved booking left the queue");
    assert!(queue.iter().all(|r| r.code != bookings[0].code));
    // Bandung's feed has Budi and the booking, and nothing of Rina.
    let feed: Vec<(String, String)> = db
        .query(
            "SELECT kind, key FROM changes WHERE office = 'BDG' ORDER BY pos",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let has = |kind: &str, key: &str| feed.iter().any(|(k, v)| k == kind && v == key);
    assert!(has("officer", "budi"), "{feed:?}");
    assert!(has("booking", bookings[0].code.as_str()), "{feed:?}");
    assert!(!has("officer", "rina"), "{feed:?}");
    assert_consistent(&pusat, &[&a]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_renews_itself_a_month_before_it_expires() {
    use chrono::{Duration, Utc};
    use loket::sync::{Client, Credential, renew_if_due};
    let (pusat, _) = Pusat::start(1).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    let dir = a.dir.path().to_owned();
    // Freshly enrolled: nothing to do.
    assert!(
        !renew_if_due(&mut a.client, &mut a.credential, &dir, Utc::now())
            .await
            .unwrap()
    );
    // Eleven months on, the credential has ten days left.
    let db = pusat.pool.get().await.unwrap();
    let soon = Utc::now() + Duration::days(10);
    db.execute(
        "UPDATE devices SET expires_at = $2 WHERE id = $1",
        &[&a.credential.device_id, &soon],
    )
    .await
    .unwrap();
    a.credential.expires_at = soon;
    a.credential.save(&dir).unwrap();
    let old = a.credential.token.clone();
    let key = a.key.clone();
    let with = |token: &str| {
        Client::new(&pusat.url, token, None)
            .unwrap()
            .signed(key.clone())
    };

    // The first answer is lost on the way: the counter still holds the old token, which
    // still works, and simply asks again.
    let lost = with(&old).renew().await.unwrap();
    assert!(with(&old).pull(0).await.is_ok());
    assert!(
        renew_if_due(&mut a.client, &mut a.credential, &dir, Utc::now())
            .await
            .unwrap()
    );
    let renewed = a.credential.clone();
    assert_ne!(renewed.token, old);
    // Asked again before the token was used, pusat answers the same token: the one whose
    // answer was lost is the one the counter now holds.
    assert_eq!(renewed.token, lost.token);
    assert!(renewed.expires_at > Utc::now() + Duration::days(300));
    assert_eq!(
        Credential::load(&dir).unwrap().unwrap(),
        renewed,
        "kept on disk before use"
    );
    assert!(
        with(&old).pull(0).await.is_ok(),
        "old token valid until the new one is used"
    );

    // The terminal's worker, started before, still holds the old credential: it takes the
    // renewed one from disk instead of renewing again (which would retire the token just
    // saved there).
    let mut worker_credential = Credential {
        token: old.clone(),
        expires_at: soon,
        ..renewed.clone()
    };
    let mut worker_client = with(&old);
    assert!(
        renew_if_due(&mut worker_client, &mut worker_credential, &dir, Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(worker_credential, renewed);
    assert!(worker_client.pull(0).await.is_ok());

    // Its first use retires the old token.
    a.sync().await.unwrap();
    assert!(
        worker_client.pull(0).await.is_ok(),
        "both hold the live token"
    );
    assert!(matches!(
        with(&old).pull(0).await,
        Err(SyncError::Unauthorized)
    ));
    let expires: chrono::DateTime<Utc> = db
        .query_one(
            "SELECT expires_at FROM devices WHERE id = $1",
            &[&renewed.device_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(expires.timestamp(), renewed.expires_at.timestamp());
    a.sync().await.unwrap();
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_feed_brings_a_new_counter_to_the_same_state() {
    let (pusat, bookings) = Pusat::start(4).await;
    let mut db = pusat.pool.get().await.unwrap();
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    // A day of churn: an officer's PIN changed twice, bookings rescheduled back and forth,
    // one cancelled, a case served; and an old booking from two weeks ago.
    for pin in ["482913", "705162", "391840"] {
        support::add_officer(&mut db, OFFICE, "rina", "198801012010012001", pin).await;
    }
    let import = |list: Vec<loket::domain::Booking>| serde_json::to_string(&list).unwrap();
    for slot in ["10:00", "11:30", "09:15"] {
        let mut b = bookings[1].clone();
        b.slot = slot.parse().unwrap();
        let imported =
            loket::server::admin::bookings_import(&mut db, "day.json", &import(vec![b]), false)
                .await
                .unwrap();
        assert!(imported.refused.is_empty(), "{:?}", imported.refused);
    }
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let two_weeks_ago = support::today() - chrono::Duration::days(14);
    let old = loket::demo::bookings_drawn(99, OFFICE, two_weeks_ago, 1, &fees).remove(0);
    assert!(bookings.iter().all(|b| b.code != old.code));
    // Bookings are not taken for a past day; a cancellation of one is.
    let refused = loket::server::admin::bookings_import(
        &mut db,
        "old.json",
        &import(vec![old.clone()]),
        false,
    )
    .await
    .unwrap();
    assert_eq!(refused.refused[0].error.rule, "date_past");
    let cancelled = serde_json::json!([{"booking": old.clone(), "cancelled": true}]).to_string();
    let imported = loket::server::admin::bookings_import(&mut db, "old.json", &cancelled, false)
        .await
        .unwrap();
    assert_eq!((imported.stored, imported.refused.len()), (1, 0));
    a.serve_applicant(&bookings[0], 0).unwrap();
    a.sync().await.unwrap();
    a.serve_applicant(&bookings[2], 0).unwrap();
    a.sync().await.unwrap();

    async fn count(db: &tokio_postgres::Client) -> i64 {
        db.query_one("SELECT COUNT(*) FROM changes", &[])
            .await
            .unwrap()
            .get(0)
    }
    let before = count(&db).await;
    let removed = loket::server::feed::compact(&db).await.unwrap();
    assert!(removed >= 5, "{removed} of {before}");
    assert_eq!(count(&db).await, before - removed as i64);
    // One change per entity is left, and the old booking is gone.
    let duplicates: i64 = db
        .query_one(
            "SELECT COUNT(*) FROM (SELECT 1 FROM changes GROUP BY office, kind, key
             HAVING COUNT(*) > 1) d",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(duplicates, 0);
    let old_left: i64 = db
        .query_one(
            "SELECT COUNT(*) FROM changes WHERE key = $1",
            &[&old.code.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(old_left, 0);

    // A counter enrolled now, and the one that saw every change, agree.
    let mut b = Counter::enroll(&pusat, 2).await;
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    let view = |c: &Counter| {
        c.store
            .queue(support::today())
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {} {}", r.code, r.slot, r.opened))
            .collect::<Vec<_>>()
    };
    assert_eq!(view(&a), view(&b));
    assert!(
        view(&b).iter().any(|r| r.contains("09:15")),
        "{:?}",
        view(&b)
    );
    for c in [&a, &b] {
        assert!(
            c.store
                .authenticate("rina", "391840", support::local_now())
                .is_ok()
        );
    }
    let elsewhere = b.store.served_elsewhere(bookings[2].code.as_str()).unwrap();
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[0].counter, 1);
    // Enrolling b announced the office's counters anew, which supersedes the office's
    // older entry; compacting then finds nothing more, and the feed still serves from any
    // cursor.
    assert_eq!(loket::server::feed::compact(&db).await.unwrap(), 1);
    assert_eq!(loket::server::feed::compact(&db).await.unwrap(), 0);
    assert_consistent(&pusat, &[&a, &b]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_reaches_postgresql_over_verified_tls() {
    let db = pg::database().await;
    let Some(ca) = pg::ca_file() else {
        eprintln!("an outside DATABASE_URL: its TLS is not this test's to check");
        return;
    };
    let tls_url = format!("{db}?sslmode=require");
    let encrypted = |pool: deadpool_postgres::Pool| async move {
        let client = pool.get().await.unwrap();
        client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get::<_, bool>(0)
    };
    let pool = loket::server::db::connect(&tls_url, 2, Some(&ca))
        .await
        .unwrap();
    assert!(encrypted(pool).await, "sslmode=require encrypts");
    let pool = loket::server::db::connect(&db, 2, None).await.unwrap();
    assert!(!encrypted(pool).await, "a local database stays plain");

    // A server whose certificate the given CA did not sign is refused, and says why.
    let stranger = tempfile::tempdir().unwrap();
    pg::certificates(stranger.path());
    let refused = loket::server::db::connect(&tls_url, 2, Some(&stranger.path().join("ca.pem")))
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("cannot reach PostgreSQL") && refused.contains("certificate"),
        "{refused}"
    );
    // Nor is a CA file that holds no certificate.
    let empty = stranger.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let refused = loket::server::db::connect(&tls_url, 2, Some(&empty))
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("no certificate"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_pusat_cannot_apply_is_stored_and_counted_in_the_metrics() {
    let (pusat, bookings) = Pusat::start(2).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    a.sync().await.unwrap();
    a.serve_applicant(&bookings[0], 0).unwrap();
    a.sync().await.unwrap();
    let metrics = || async {
        reqwest::get(format!("{}/metrics", pusat.metrics_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = metrics().await;
    assert!(!before.contains("pusat_cases_with_problems{"), "{before}");
    assert!(before.contains("pusat_feed_changes "), "{before}");
    // A counter that sends its check-in once more (a bug, or a restored backup): pusat
    // stores it, since refusing would stop that counter's sync for good, and flags the case.
    let stored = a.store.last_seq().unwrap();
    let mut again = a.store.outbox_from(1, 1).unwrap();
    again[0].id = uuid::Uuid::now_v7();
    again[0].seq = stored + 1;
    again[0] = support::signed(again[0].clone(), &a.actor());
    let pushed = a.client.push(&again).await.unwrap();
    assert_eq!(pushed.inserted, 1);
    let after = metrics().await;
    assert!(
        after.contains("pusat_cases_with_problems{office=\"JKS\"} 1"),
        "{after}"
    );
    pusat.stop().await;
}

/// Retention: a kiosk keeps closed cases and past bookings only as long as the office says,
/// and only what pusat holds ever goes. The purge runs here as if the retention had
/// passed (everything is "before" tomorrow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_removes_only_closed_cases_pusat_holds_and_keeps_the_audit() {
    use loket::domain::Action;
    use loket::domain::case::Decision;
    let (pusat, bookings) = Pusat::start(4).await;
    let mut c = Counter::enroll(&pusat, 1).await;
    c.sync().await.unwrap();
    let actor = c.actor();
    let defer = |note: &str| Action::Decide {
        decision: Decision::Defer {
            missing: vec![],
            note: note.into(),
        },
        at: support::local_now(),
    };
    // Closed and at pusat; open and at pusat; closed but not yet at pusat.
    let closed = c.serve_applicant(&bookings[0], 0).unwrap();
    c.store
        .apply(&actor, Some(closed.id), &defer("kembali besok"))
        .unwrap();
    let open = c.serve_applicant(&bookings[1], 0).unwrap();
    let unsent = c.serve_applicant(&bookings[2], 0).unwrap();
    c.sync().await.unwrap();
    c.store
        .apply(&actor, Some(unsent.id), &defer("belum sinkron"))
        .unwrap();
    let audit_before: i64 = audit_rows(&c);
    let tomorrow = support::today().succ_opt().unwrap();
    let purged = c.store.purge(&actor, tomorrow).unwrap();
    assert_eq!(purged.cases, 1, "{purged:?}");
    // The closed case's booking went, and the fourth (past, never served); the others
    // still have a case here.
    assert_eq!(purged.bookings, 2, "{purged:?}");
    let left: Vec<uuid::Uuid> = bookings[..3]
        .iter()
        .flat_map(|b| c.store.cases_for_booking(b.code.as_str()).unwrap())
        .map(|k| k.id)
        .collect();
    assert_eq!(left, vec![open.id, unsent.id]);
    assert!(c.store.booking(&bookings[0].code).unwrap().is_none());
    assert!(c.store.booking(&bookings[1].code).unwrap().is_some());
    // Its events stay (gapless, for the record) without the names they carried.
    assert!(
        outbox_payloads(&c, closed.id)
            .iter()
            .all(|p| p == loket::store::TOMBSTONE)
    );
    assert!(
        outbox_payloads(&c, open.id)
            .iter()
            .all(|p| p != loket::store::TOMBSTONE)
    );
    assert_eq!(
        audit_rows(&c),
        audit_before + 1,
        "the audit trail is kept, plus the purge"
    );
    // The database is sound for doctor, and sync goes on: the unsent decision reaches pusat.
    drop(c.store);
    let health = loket::store::health::inspect(&c.dir.path().join("loket.db")).unwrap();
    assert!(health.is_sound(), "{health:?}");
    c.store = loket::store::Store::open(&c.dir.path().join("loket.db"), OFFICE).unwrap();
    c.sync().await.unwrap();
    assert_eq!(c.store.pending_events().unwrap(), 0);
    // A second purge finds nothing more of what pusat has, and never the open case.
    let again = c.store.purge(&actor, tomorrow).unwrap();
    assert_eq!(again.cases, 1, "the decision now at pusat: {again:?}");
    assert_eq!(
        c.store
            .cases_for_booking(bookings[1].code.as_str())
            .unwrap()
            .len(),
        1
    );
    pusat.stop().await;
}

/// A second reader of a counter's SQLite file, as a technician's sqlite3 would be.
fn peek(c: &Counter) -> rusqlite::Connection {
    loket::store::cipher::open(
        &c.dir.path().join("loket.db"),
        &loket::secret::KioskSecret::kiosk().unwrap(),
    )
    .unwrap()
}

fn audit_rows(c: &Counter) -> i64 {
    peek(c)
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap()
}

fn outbox_payloads(c: &Counter, case: uuid::Uuid) -> Vec<String> {
    let db = peek(c);
    let mut stmt = db
        .prepare("SELECT payload FROM outbox WHERE case_id = ?1 ORDER BY seq")
        .unwrap();
    let rows: Vec<String> = stmt
        .query_map([case.to_string()], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty());
    rows
}

/// An office's retention is set at pusat and reaches its counters through the feed; a value
/// out of range is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_is_the_office_s_setting_from_pusat() {
    let (pusat, _) = Pusat::start(1).await;
    let mut c = Counter::enroll(&pusat, 1).await;
    c.sync().await.unwrap();
    assert_eq!(
        c.store.retention_days(),
        loket::store::DEFAULT_RETENTION_DAYS
    );
    let mut db = pusat.pool.get().await.unwrap();
    for days in [0, 4000] {
        let settings = loket::server::admin::OfficeSettings {
            retention_days: Some(days),
            ..Default::default()
        };
        let refused = loket::server::admin::office_set(&mut db, OFFICE, &settings).await;
        assert!(
            matches!(&refused, Err(e) if e.to_string().contains("retention_days is 1 to 3650")),
            "{days}: {refused:?}"
        );
    }
    let settings = loket::server::admin::OfficeSettings {
        retention_days: Some(7),
        ..Default::default()
    };
    loket::server::admin::office_set(&mut db, OFFICE, &settings)
        .await
        .unwrap();
    c.sync().await.unwrap();
    assert_eq!(c.store.retention_days(), 7);
    pusat.stop().await;
}
