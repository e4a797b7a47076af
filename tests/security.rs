//! The threat model, as tests: who may write what at pusat, and what each credential can and
//! cannot do. Each attack is made the way an attacker holding one enrolled counter of office
//! JKS would make it — through that counter's own store and credential, or with requests
//! crafted by hand — beside the honest flow it must not disturb. pusat runs in-process on a
//! real PostgreSQL; the last tests start the real binaries.
//!
//! | who | may | may not |
//! |---|---|---|
//! | a counter of office O | push its own events; register walk-ins of O (codes W…); change the cases it holds | write another office's bookings or cases; take an imported booking's code; reset a case by its id; name an officer not on O's roster; approve with a non-supervisor or with the asking officer |
//! | the booking system (integration key ≥ 32 bytes) | post, reschedule and cancel bookings | anything without the key; an empty key is no key |
//! | anyone | `/status/{code}` (rate-limited), `/healthz` | everything else |
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use loket::domain::case::{Biometrics, Decision, Identity};
use loket::domain::checklist::DocKind;
use loket::domain::{Action, Booking, BookingCode};
use loket::protocol::WireEvent;
use loket::store::Actor;
use support::{Counter, OFFICE, Pusat, assert_consistent, local_now};
use uuid::Uuid;

const OTHER: &str = "MKS";

/// pusat with JKS (20 bookings) and MKS (its own bookings), a counter of each, both synced.
async fn two_offices() -> (Pusat, Vec<Booking>, Vec<Booking>, Counter, Counter) {
    let (pusat, jks) = Pusat::start(20).await;
    let mut db = pusat.pool.get().await.unwrap();
    support::add_office(&mut db, OTHER, 2).await;
    let mks = support::servable_bookings(11, OTHER, support::today(), 5);
    let imported = loket::server::admin::bookings_import(
        &mut db,
        "mks.json",
        &serde_json::to_string(&mks).unwrap(),
        false,
    )
    .await
    .unwrap();
    assert!(imported.refused.is_empty(), "{:?}", imported.refused);
    let mut attacker = Counter::enroll(&pusat, 1).await;
    let mut victim = Counter::enroll_at(&pusat, OTHER, 1).await;
    attacker.sync().await.unwrap();
    victim.sync().await.unwrap();
    (pusat, jks, mks, attacker, victim)
}

async fn push_forged(
    counter: &Counter,
    pusat: &Pusat,
    kind: &str,
    case: Uuid,
    payload: serde_json::Value,
) {
    support::push_event(counter, pusat, kind, Some(case), payload).await;
}

use support::refusals;

async fn stored_booking(pusat: &Pusat, code: &BookingCode) -> Booking {
    let db = pusat.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT body FROM bookings WHERE code = $1",
            &[&code.as_str()],
        )
        .await
        .unwrap();
    serde_json::from_value(row.get(0)).unwrap()
}

async fn case_status(pusat: &Pusat, id: Uuid) -> String {
    let db = pusat.pool.get().await.unwrap();
    db.query_one("SELECT status FROM cases WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0)
}

async fn metrics(pusat: &Pusat) -> String {
    reqwest::get(format!("{}/metrics", pusat.metrics_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

use support::walk_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_cannot_overwrite_a_booking_of_any_office() {
    let (pusat, jks, mks, mut attacker, victim) = two_offices().await;
    let target = &mks[0];
    // The honest walk-in: a W code of its own office.
    let honest = walk_in(OFFICE, BookingCode::walk_in(7), &jks[0]);
    let actor = attacker.actor();
    attacker.store.register_walk_in(&actor, &honest).unwrap();
    // The forged ones: another office's booking code, for that office and for its own; an
    // imported code of its own office; a W code for another office.
    for forged in [
        walk_in(OTHER, target.code.clone(), &jks[0]),
        walk_in(OFFICE, target.code.clone(), &jks[0]),
        walk_in(OFFICE, jks[3].code.clone(), &jks[0]),
        walk_in(OTHER, BookingCode::walk_in(8), &jks[0]),
        Booking {
            walk_in: None,
            ..walk_in(OFFICE, BookingCode::walk_in(9), &jks[0])
        },
    ] {
        attacker.store.register_walk_in(&actor, &forged).unwrap();
    }
    attacker.sync().await.unwrap();

    assert_eq!(stored_booking(&pusat, &honest.code).await, honest);
    assert_eq!(
        &stored_booking(&pusat, &target.code).await,
        target,
        "MKS's booking untouched"
    );
    assert_eq!(stored_booking(&pusat, &jks[3].code).await, jks[3]);
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert!(
        metrics(&pusat)
            .await
            .contains("pusat_events_refused{office=\"JKS\"} 5"),
        "counted where the alerts look"
    );
    // The victim office's feed carries nothing of the attacker's.
    let mut victim = victim;
    victim.sync().await.unwrap();
    let held = victim.store.booking(&target.code).unwrap();
    assert_eq!(
        held.as_ref(),
        Some(target),
        "the victim counter's copy is the true one"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_cannot_change_or_reset_another_office_case() {
    let (pusat, _jks, mks, attacker, mut victim) = two_offices().await;
    // The honest MKS counter serves its applicant.
    let case = victim.serve_applicant(&mks[1], 0).unwrap();
    victim.sync().await.unwrap();
    let before = case_status(&pusat, case.id).await;
    // JKS decides it (reject, supervisor "nobody"), then checks it in again by its id.
    let reject = Action::Decide {
        decision: Decision::Reject {
            reason: "forged".into(),
            supervisor: "nobody".into(),
        },
        at: local_now(),
    };
    push_forged(
        &attacker,
        &pusat,
        "case.decide",
        case.id,
        serde_json::to_value(&reject).unwrap(),
    )
    .await;
    let a = &mks[1].applicants[0];
    let reset = Action::CheckIn {
        case_id: case.id,
        booking: mks[1].code.clone(),
        applicant: 0,
        application: mks[1].application,
        at: local_now(),
        exceptions: vec![],
        checklist: vec![DocKind::EKtp],
        identity: Identity {
            name: "Penyerang".into(),
            nik: a.nik.clone(),
            birth_date: a.birth_date,
            sex: a.sex,
        },
    };
    push_forged(
        &attacker,
        &pusat,
        "case.check_in",
        case.id,
        serde_json::to_value(&reset).unwrap(),
    )
    .await;
    assert_eq!(case_status(&pusat, case.id).await, before, "unchanged");
    let db = pusat.pool.get().await.unwrap();
    let problem: Option<String> = db
        .query_one("SELECT problem FROM cases WHERE id = $1", &[&case.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        problem, None,
        "the victim's case carries no trace of the attack"
    );
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    let status = reqwest::get(format!(
        "{}/api/v1/status/{}",
        pusat.url,
        mks[1].code.as_str()
    ))
    .await
    .unwrap()
    .json::<loket::protocol::StatusResponse>()
    .await
    .unwrap();
    assert_eq!(status.stage, loket::protocol::Stage::InProgress);
    // The honest counter goes on as if nothing happened.
    victim.sync().await.unwrap();
    assert_consistent(&pusat, &[&victim]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_names_its_own_office_booking_and_a_rostered_officer() {
    let (pusat, jks, mks, mut attacker, _victim) = two_offices().await;
    // Another office's booking, checked in through the counter's own store.
    let mut other = mks[2].clone();
    other.office = OFFICE.into();
    attacker.store.put_booking(&other).unwrap();
    attacker.serve_applicant(&other, 0).unwrap();
    // An officer not on the roster.
    attacker.officer = "nobody".into();
    attacker.serve_applicant(&jks[4], 0).unwrap();
    // A case id that differs from its check-in's.
    attacker.officer = support::OFFICER.into();
    let mut forged =
        serde_json::to_value(support::check_in_action(&jks[5], 0, &[DocKind::EKtp])).unwrap();
    forged["applicant"] = 0.into();
    attacker.sync().await.unwrap();
    push_forged(&attacker, &pusat, "case.check_in", Uuid::now_v7(), forged).await;
    let refused = refusals(&pusat).await;
    // The foreign check-in and its three follow-ups; nobody's four; the mismatched id.
    assert_eq!(refused.len(), 9, "{refused:#?}");
    assert!(
        refused
            .iter()
            .any(|r| r.contains("belongs to another office")),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|r| r.contains("\"nobody\" is not active")),
        "{refused:#?}"
    );
    assert!(
        refused.iter().any(|r| r.contains("its check-in case")),
        "{refused:#?}"
    );
    let db = pusat.pool.get().await.unwrap();
    let projected: i64 = db
        .query_one("SELECT COUNT(*) FROM cases", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(projected, 0, "nothing refused was projected");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_needs_another_person_who_is_a_supervisor() {
    let (pusat, jks, _mks, mut counter, _victim) = two_offices().await;
    let actor = counter.actor();
    // Applicants whose documents pass without an override (the demo data has NIK typos).
    let mut cases = Vec::new();
    for b in &jks {
        if cases.len() < 4
            && let Ok(case) = counter.serve_applicant(b, 0)
        {
            cases.push(case.id);
        }
    }
    let approvers = [
        support::SUPERVISOR,
        support::OFFICER,
        "rina_unknown",
        "supervisor1_mks",
    ];
    for (id, by) in cases.iter().zip(approvers) {
        let reject = Action::Decide {
            decision: Decision::Reject {
                reason: "dokumen palsu".into(),
                supervisor: by.into(),
            },
            at: local_now(),
        };
        // Each proven by the key of whom it names, as if they had typed their PIN here:
        // what pusat refuses is who approves.
        let approver = if by == "rina_unknown" || by == "supervisor1_mks" {
            None
        } else {
            Some(support::approver(&pusat, by).await)
        };
        counter
            .store
            .apply_approved(&actor, *id, &reject, approver.as_ref())
            .unwrap();
    }
    let [honest, own, officer, foreign] = cases[..] else {
        panic!("four applicants served: {cases:?}")
    };
    counter.sync().await.unwrap();
    assert_eq!(case_status(&pusat, honest).await, "rejected");
    for id in [own, officer, foreign] {
        assert_ne!(case_status(&pusat, id).await, "rejected", "{id}");
    }
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(
        refused.iter().any(|r| r.contains("four eyes")),
        "{refused:#?}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_losing_counter_learns_the_winning_counter_not_its_case() {
    let (pusat, jks) = Pusat::start(5).await;
    let mut a = Counter::enroll(&pusat, 1).await;
    let mut b = Counter::enroll(&pusat, 2).await;
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    b.serve_applicant(&jks[1], 0).unwrap();
    a.serve_applicant(&jks[1], 0).unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    let feed = a.client.pull(0).await.unwrap();
    let text = serde_json::to_string(&feed).unwrap();
    assert!(text.contains("\"lost_to\":{\"counter\":2}"), "{text}");
    let lost = a.store.served_elsewhere(jks[1].code.as_str()).unwrap();
    assert_eq!((lost.len(), lost[0].counter), (1, 2));
    assert_consistent(&pusat, &[&a, &b]).await;
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_or_short_integration_key_opens_nothing() {
    let db = pg::database().await;
    let pool = loket::server::db::connect(&db, 4, None).await.unwrap();
    for key in ["", "short"] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = loket::server::AppState::new(pool.clone(), Some(key));
        let task = tokio::spawn(loket::server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        let answer = reqwest::Client::new()
            .post(format!("{url}/api/v1/bookings"))
            .header("authorization", format!("Bearer {key}"))
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "key {key:?}");
        task.abort();
    }
    // The real binary refuses to start with such a key, before it touches the database.
    for key in ["", "0123456789"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pusat"))
            .args([
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
                "serve",
            ])
            .env("PUSAT_INTEGRATION_KEY", key)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains("at least 32"), "{err}");
    }
    // From a file, the same rule; on the command line (where `ps` shows it to every local
    // user) not at all, whatever the key.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("integration.key");
    std::fs::write(&file, "0123456789\n").unwrap();
    let pusat = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pusat"))
            .args([
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
                "serve",
            ])
            .args(args)
            .env_remove("PUSAT_INTEGRATION_KEY")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = pusat(&["--integration-key-file", file.to_str().unwrap()]);
    assert!(err.contains("at least 32"), "{err}");
    let err = pusat(&["--integration-key", support::INTEGRATION_KEY]);
    assert!(
        err.contains("(ps)") && err.contains("--integration-key-file"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_the_largest_sequence_is_refused_not_a_panic() {
    let (pusat, _jks) = Pusat::start(1).await;
    let counter = Counter::enroll(&pusat, 1).await;
    let event = |seq| WireEvent {
        seq,
        id: Uuid::now_v7(),
        kind: "booking.view".into(),
        case_id: None,
        office: OFFICE.into(),
        officer: counter.officer.clone(),
        device_time: local_now(),
        payload: serde_json::json!({}),
        proof: None,
        signed: None,
        answers: None,
    };
    let refused = counter
        .client
        .push(&[event(i64::MAX), event(i64::MIN)])
        .await;
    assert!(
        matches!(&refused, Err(loket::sync::SyncError::Refused(why)) if why.contains("consecutive")),
        "{refused:?}"
    );
    let gap = counter.client.push(&[event(i64::MAX)]).await;
    assert_eq!(gap.unwrap_err(), loket::sync::SyncError::Gap(1));
    // A garbled body is answered in the API's error shape.
    let garbled = "{\"events\": [";
    let answer = counter
        .signed_with(
            &pusat.url,
            reqwest::Method::POST,
            "/api/v1/events",
            garbled.as_bytes(),
        )
        .header("content-type", "application/json")
        .body(garbled)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "bad_request", "{body}");
    pusat.stop().await;
}

/// A signed request covers its body: whoever takes one off the wire (a proxy that keeps
/// requests, a log of bodies) cannot send it again with other events within its minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_cannot_carry_another_body() {
    let (pusat, _) = Pusat::start(1).await;
    let counter = Counter::enroll(&pusat, 1).await;
    let honest = serde_json::json!({ "events": [] }).to_string();
    let forged = serde_json::json!({ "events": [{ "forged": true }] }).to_string();
    let send = |signed_body: &str, sent_body: &str| {
        counter
            .signed_with(
                &pusat.url,
                reqwest::Method::POST,
                "/api/v1/events",
                signed_body.as_bytes(),
            )
            .header("content-type", "application/json")
            .body(sent_body.to_owned())
            .send()
    };
    // The honest request, as signed.
    let answer = send(&honest, &honest).await.unwrap();
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    // The same signature with another body: refused before anything reads it.
    let answer = send(&honest, &forged).await.unwrap();
    assert_eq!(answer.status(), 401);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("body"),
        "{body}"
    );
    // Nor does rewriting the hash header to the new body help: the signature covers it.
    let answer = counter
        .signed_with(
            &pusat.url,
            reqwest::Method::POST,
            "/api/v1/events",
            honest.as_bytes(),
        )
        .header(
            loket::protocol::BODY_HASH_HEADER,
            loket::protocol::body_sha256(forged.as_bytes()),
        )
        .header("content-type", "application/json")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // Leaving the header out makes the body count as empty, which it is not.
    let time = chrono::Utc::now().timestamp();
    let nonce = loket::protocol::new_nonce();
    let signature = counter
        .key
        .sign("POST", "/api/v1/events", time, &nonce, honest.as_bytes())
        .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/events", pusat.url))
        .bearer_auth(&counter.credential.token)
        .header(loket::protocol::TIME_HEADER, time)
        .header(loket::protocol::NONCE_HEADER, &nonce)
        .header(loket::protocol::SIGNATURE_HEADER, signature)
        .header("content-type", "application/json")
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // Without a credential pusat reads no body at all: the sender is refused as unknown
    // first (a megabyte behind a made-up signature costs pusat nothing).
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/events", pusat.url))
        .bearer_auth("not-a-credential")
        .header(loket::protocol::TIME_HEADER, chrono::Utc::now().timestamp())
        .header(loket::protocol::SIGNATURE_HEADER, "made-up")
        .body(vec![b'x'; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let body: serde_json::Value = answer.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("unknown device credential"), "{body}");
    // The kiosk itself goes on.
    assert!(counter.client.pull(0).await.is_ok());
    pusat.stop().await;
}

#[test]
fn the_demo_never_seeds_an_enrolled_counter_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("credential.json"), "{}").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(["--data-dir"])
        .arg(dir.path())
        .arg("demo")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("terdaftar di pusat"), "{err}");
    assert!(!dir.path().join("loket.db").exists(), "nothing planted");
    // Without --data-dir the demo has its own folder beside the real one.
    let demo = loket::config::default_demo_dir();
    assert_eq!(demo.file_name().unwrap(), "loket-demo");
    assert_eq!(demo.parent(), loket::config::default_data_dir().parent());
}

#[test]
fn the_data_folder_is_the_service_user_s_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(&data)
        .args(["bookings", "list"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("loket.db")), 0o600);
}

#[test]
fn a_counter_refuses_plain_http_to_a_remote_pusat() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "enroll",
            "--server",
            "http://10.20.30.40:8080",
            "--code",
            "7K3M-Q9TX-2BHD",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("https"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_trickle_their_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (pusat, _) = Pusat::start(1).await;
    let addr = pusat.url.trim_start_matches("http://").to_owned();
    // 50 slowloris connections: a request line and one header, then nothing more; and one
    // that sends nothing at all.
    let mut held = Vec::new();
    for i in 0..51 {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i > 0 {
            conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: pusat\r\n")
                .await
                .unwrap();
        }
        held.push(conn);
    }
    // Honest clients are still served meanwhile.
    let ok = reqwest::get(format!("{}/healthz", pusat.url))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let started = std::time::Instant::now();
    let limit = loket::server::HEADER_READ_TIMEOUT * 3;
    for (i, mut conn) in held.into_iter().enumerate() {
        let mut buf = [0u8; 512];
        // The server closes the connection (perhaps after a 408): reading reaches the end.
        let closed = tokio::time::timeout(limit, async {
            loop {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(
            closed.is_ok(),
            "connection {i} is still open after {limit:?}"
        );
    }
    println!(
        "51 trickling connections closed after {:?}",
        started.elapsed()
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_on_the_public_listener() {
    let (pusat, _) = Pusat::start(1).await;
    let public = reqwest::get(format!("{}/metrics", pusat.url))
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let own = metrics(&pusat).await;
    assert!(own.contains("pusat_feed_changes"), "{own}");
    pusat.stop().await;
}

use support::{chunk, head};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_upload_belongs_to_its_device_and_unfinished_ones_are_bounded() {
    let (pusat, _) = Pusat::start(1).await;
    let a = Counter::enroll(&pusat, 1).await;
    let b = Counter::enroll(&pusat, 2).await;
    let (ta, tb) = (&a, &b);
    let photo = support::passport_jpeg(7);
    let (len, half) = (photo.len() as i64, loket::protocol::PHOTO_CHUNK);
    let sha = loket::domain::format::sha256_hex(&photo);
    // A begins; B can neither add to nor reset A's upload, nor learn that it exists.
    assert_eq!(
        chunk(&pusat, ta, &sha, (0, half as i64 - 1, len), &photo[..half]).await,
        (202, half.to_string())
    );
    assert_eq!(
        chunk(&pusat, tb, &sha, (0, len - 1, len), &photo).await.0,
        403
    );
    assert_eq!(
        chunk(
            &pusat,
            tb,
            &sha,
            (half as i64, len - 1, len),
            &photo[half..]
        )
        .await
        .0,
        403
    );
    assert_eq!(head(&pusat, tb, &sha).await, 404);
    assert_eq!(head(&pusat, ta, &sha).await, 200);
    // A finishes what it began.
    assert_eq!(
        chunk(
            &pusat,
            ta,
            &sha,
            (half as i64, len - 1, len),
            &photo[half..]
        )
        .await,
        (201, len.to_string())
    );
    // A cannot hold more than its quota of unfinished uploads: photos of the largest size
    // begun, never finished, are refused from the fifth on.
    let big = loket::server::photos::MAX_PHOTO;
    let mut answers = Vec::new();
    for i in 0..5u8 {
        let sha = loket::domain::format::sha256_hex(&[i; 3]);
        let first = vec![i; half];
        answers.push(
            chunk(&pusat, ta, &sha, (0, half as i64 - 1, big), &first)
                .await
                .0,
        );
    }
    assert_eq!(answers, [202, 202, 202, 202, 429]);
    // An unfinished upload left idle past its expiry is deleted; then another device may
    // start the same photo.
    let stale = loket::domain::format::sha256_hex(&[0u8; 3]);
    let db = pusat.pool.get().await.unwrap();
    db.execute(
        "UPDATE photos SET updated_at = now() - interval '2 days' WHERE sha256 = $1",
        &[&stale],
    )
    .await
    .unwrap();
    assert_eq!(
        chunk(
            &pusat,
            tb,
            &stale,
            (0, half as i64 - 1, big),
            &vec![0; half]
        )
        .await
        .0,
        409,
        "restarted for B"
    );
    let expired = loket::server::photos::expire(&db).await.unwrap();
    assert_eq!(expired, 0, "B's restarted upload is fresh");
    db.execute(
        "UPDATE photos SET updated_at = now() - interval '2 days' WHERE NOT complete",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(loket::server::photos::expire(&db).await.unwrap(), 4);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_credential_without_the_kiosk_key_opens_nothing() {
    let (pusat, _) = Pusat::start(2).await;
    let mut kiosk = Counter::enroll(&pusat, 1).await;
    kiosk.sync().await.unwrap();
    let token = kiosk.credential.token.clone();
    // The thief has credential.json: the token, but not device.key.
    let unsigned = loket::sync::Client::new(&pusat.url, &token, None).unwrap();
    let other_key = loket::sync::Client::new(&pusat.url, &token, None)
        .unwrap()
        .signed(loket::sync::DeviceKey::generate());
    for thief in [&unsigned, &other_key] {
        assert_eq!(
            thief.pull(0).await.unwrap_err(),
            loket::sync::SyncError::Unauthorized
        );
        assert_eq!(
            thief.renew().await.unwrap_err(),
            loket::sync::SyncError::Unauthorized
        );
    }
    // A signed request replayed long after it was made is refused too.
    let old = chrono::Utc::now().timestamp() - 3600;
    let nonce = loket::protocol::new_nonce();
    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/changes?after=0", pusat.url))
        .bearer_auth(&token)
        .header(loket::protocol::TIME_HEADER, old)
        .header(loket::protocol::NONCE_HEADER, &nonce)
        .header(
            loket::protocol::SIGNATURE_HEADER,
            kiosk
                .key
                .sign("GET", "/api/v1/changes?after=0", old, &nonce, b"")
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // The kiosk itself goes on.
    assert!(kiosk.client.pull(0).await.is_ok());
    // The real binary with only the copied file says what is wrong.
    let stolen = tempfile::tempdir().unwrap();
    std::fs::copy(
        kiosk.dir.path().join("credential.json"),
        stolen.path().join("credential.json"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(stolen.path())
        .args(["sync", "--once"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_token_used_again_revokes_the_device() {
    let (pusat, _) = Pusat::start(1).await;
    let kiosk = Counter::enroll(&pusat, 1).await;
    let old = kiosk.credential.token.clone();
    let fresh = kiosk.client.renew().await.unwrap();
    let with = |token: &str| {
        loket::sync::Client::new(&pusat.url, token, None)
            .unwrap()
            .signed(kiosk.key.clone())
    };
    assert!(
        with(&fresh.token).pull(0).await.is_ok(),
        "the new token retires the old"
    );
    // Within the grace period (another process of the kiosk not yet switched): refused only.
    assert_eq!(
        with(&old).pull(0).await.unwrap_err(),
        loket::sync::SyncError::Unauthorized
    );
    assert!(with(&fresh.token).pull(0).await.is_ok());
    // After it: the old token was copied. The device is revoked, for everyone.
    let db = pusat.pool.get().await.unwrap();
    db.execute(
        "UPDATE retired_tokens SET retired_at = now() - interval '2 hours'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        with(&old).pull(0).await.unwrap_err(),
        loket::sync::SyncError::Revoked
    );
    assert_eq!(
        with(&fresh.token).pull(0).await.unwrap_err(),
        loket::sync::SyncError::Revoked
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_stops_at_the_hard_maximum_lifetime() {
    let (pusat, _) = Pusat::start(1).await;
    let kiosk = Counter::enroll(&pusat, 1).await;
    let db = pusat.pool.get().await.unwrap();
    db.execute(
        "UPDATE devices SET enrolled_at = now() - interval '1085 days' WHERE id = $1",
        &[&kiosk.credential.device_id],
    )
    .await
    .unwrap();
    let renewed = kiosk.client.renew().await.unwrap();
    let left = renewed.expires_at - chrono::Utc::now();
    assert!(left <= chrono::Duration::days(10), "{left:?}");
    assert!(left > chrono::Duration::days(9), "{left:?}");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_refuses_pins_an_offline_search_finds_first() {
    let (pusat, _) = Pusat::start(1).await;
    let mut db = pusat.pool.get().await.unwrap();
    let nip = "198801312010012001";
    for (pin, why) in [
        ("12345", "at least 6 digits"),
        ("000000", "repeat"),
        ("123456", "run of digits"),
        ("310188", "birth date"),
        ("19880131", "birth date"),
    ] {
        let officer = loket::server::admin::NewOfficer {
            office: OFFICE,
            username: "rina",
            nip,
            name: "Rina",
            role: "officer",
            pin,
        };
        let refused = loket::server::admin::officer_add(&mut db, &officer).await;
        let text = refused.unwrap_err().to_string();
        assert!(text.contains(why), "{pin}: {text}");
    }
    // The hash a counter receives costs 64 MiB and three passes per guess.
    support::add_officer(&mut db, OFFICE, "rina", nip, "482913").await;
    let hash: String = db
        .query_one("SELECT pin_hash FROM officers WHERE username = 'rina'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        hash.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"),
        "{hash}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fees_owed_red_flags_and_waivers_pass_at_pusat_only_with_a_rostered_supervisor() {
    use loket::domain::case::{Approval, Interview, Purpose, RedFlag};
    let (pusat, jks) = Pusat::start(20).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let actor = counter.actor();
    let mut decided = Vec::new();
    // (approver, what the approval is for: fees owed, red flags, a waived fine)
    let asks = [
        (support::SUPERVISOR, "owed"),
        ("rina_unknown", "owed"),
        ("rina_unknown", "flags"),
        ("rina_unknown", "waived"),
    ];
    for (by, what) in asks {
        let (booking, case) = jks
            .iter()
            .filter(|b| b.applicants.len() == 1)
            .find_map(|b| Some((b, counter.serve_applicant(b, 0).ok()?)))
            .unwrap();
        let mut interview = Interview {
            purpose: Some(Purpose::Tourism),
            destination: "Jepang".into(),
            occupation: "Guru".into(),
            length_of_stay: "14 hari".into(),
            emergency_contact: "Budi 0812".into(),
            chronology: "Hilang".into(),
            police_report_no: "LP/1/XI/2026".into(),
            ..Interview::default()
        };
        let approval = Some(Approval {
            supervisor: by.into(),
            reason: "bukti bayar SIMPONI ada".into(),
        });
        let (underpaid, flagged, waived) = match what {
            "flags" => {
                interview.red_flags.insert(RedFlag::AccompaniedByAgent);
                (None, approval, None)
            }
            "waived" => {
                interview.force_majeure = true;
                (None, None, approval)
            }
            _ => (approval, None, None),
        };
        // The fees as pusat computes them (the honest approval passes them; the others are
        // refused for their supervisor first).
        let mut served = case.clone();
        served.interview = interview.clone();
        let fee = support::fee_of(booking, &served, local_now().date_naive());
        let continued = Action::Decide {
            decision: Decision::Continue {
                fee,
                underpaid,
                flagged,
                waived,
            },
            at: local_now(),
        };
        for step in [
            Action::SaveInterview { interview },
            Action::CompleteInterview,
            Action::RecordPhotoPending {
                biometrics: Some(Biometrics::Pending),
            },
        ] {
            counter.store.apply(&actor, Some(case.id), &step).unwrap();
        }
        // The supervisor types their PIN at the counter; a name off the roster has none.
        let approver = if by == support::SUPERVISOR {
            Some(support::approver(&pusat, by).await)
        } else {
            None
        };
        counter
            .store
            .apply_approved(&actor, case.id, &continued, approver.as_ref())
            .unwrap();
        decided.push(case.id);
    }
    counter.sync().await.unwrap();
    // Continued (waiting for the photo this counter could not take), or not at all.
    assert_eq!(case_status(&pusat, decided[0]).await, "awaiting_photo");
    for refused in &decided[1..] {
        assert_eq!(case_status(&pusat, *refused).await, "open");
    }
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(
        refused
            .iter()
            .all(|r| r.contains("not an active supervisor")),
        "{refused:#?}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_document_without_a_note_is_refused_at_pusat() {
    let (pusat, jks) = Pusat::start(2).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let actor = counter.actor();
    // A counter that skips its own screen's rule (an old version, or a forged client): the
    // e-KTP marked invalid, once with an empty note and once saying what is wrong.
    for (b, note) in [(&jks[0], " "), (&jks[1], "foto tidak sesuai")] {
        let case = counter.check_in(b, 0, &[DocKind::EKtp]).unwrap();
        let set = Action::SetDocument {
            kind: DocKind::EKtp,
            status: loket::domain::checklist::DocStatus::Invalid,
            note: note.into(),
        };
        counter.store.apply(&actor, Some(case.id), &set).unwrap();
    }
    counter.sync().await.unwrap();
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(refused[0].contains("without a note"), "{refused:#?}");
    pusat.stop().await;
}

/// A forged or old counter's deferral that names nothing to bring, and a payment it says
/// another officer recorded, are kept but not applied; the honest ones go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferral_naming_nothing_and_a_payment_in_another_name_are_refused() {
    use loket::domain::case::Payment;
    let (pusat, jks) = Pusat::start(4).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let actor = counter.actor();
    let defer = |note: &str| Action::Decide {
        decision: Decision::Defer {
            missing: vec![],
            note: note.into(),
        },
        at: local_now(),
    };
    let pay = |by: &str, ntpn: &str| Action::RecordPayment {
        payment: Payment {
            amount: 350_000,
            ntpn: ntpn.into(),
            by: by.into(),
            at: local_now(),
        },
    };
    let actions = [
        defer(" "),
        defer("Surat sponsor"),
        pay("supervisor1", "123456789ABCDEF0"),
        pay(&actor.username, "123456789ABCDEF1"),
    ];
    for (b, action) in jks.iter().zip(actions) {
        let case = counter.check_in(b, 0, &[DocKind::EKtp]).unwrap();
        counter.store.apply(&actor, Some(case.id), &action).unwrap();
    }
    counter.sync().await.unwrap();
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused.iter().any(|r| r.contains("without naming what")),
        "{refused:#?}"
    );
    assert!(
        refused.iter().any(|r| r.contains("payment recorded as by")),
        "{refused:#?}"
    );
    pusat.stop().await;
}

/// pusat keeps a device it checked lately in memory (fifty counters calling at once do not
/// each read `devices`). A revocation or expiry written by anyone — here plain SQL on
/// another connection, as the CLI or a DBA would — still stops the very next requests:
/// PostgreSQL announces the change at commit and pusat forgets the device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_pusat_keeps_in_memory_is_refused_once_revoked_or_expired() {
    let (pusat, _) = Pusat::start(1).await;
    let kiosk = Counter::enroll(&pusat, 1).await;
    let other = Counter::enroll(&pusat, 2).await;
    // Both are now known to pusat (and kept).
    for _ in 0..3 {
        kiosk.client.pull(0).await.unwrap();
        other.client.pull(0).await.unwrap();
    }
    let db = pusat.pool.get().await.unwrap();
    db.execute(
        "UPDATE devices SET expires_at = now() - interval '1 minute' WHERE id = $1",
        &[&kiosk.credential.device_id],
    )
    .await
    .unwrap();
    let took = kiosk.until_refused(loket::sync::SyncError::Expired).await;
    eprintln!("expiry reached pusat's memory in {took:?}");
    db.execute(
        "UPDATE devices SET revoked_at = now() WHERE id = $1",
        &[&other.credential.device_id],
    )
    .await
    .unwrap();
    let took = other.until_refused(loket::sync::SyncError::Revoked).await;
    eprintln!("revocation reached pusat's memory in {took:?}");
    pusat.stop().await;
}

/// A wrong-PIN event pushed by hand with `counter`'s credential (no case).
async fn push_pin_failed(counter: &Counter, pusat: &Pusat, officer: &str, named: &str) {
    let last = support::stored_through(pusat, counter.credential.device_id).await;
    let event = WireEvent {
        seq: last + 1,
        id: Uuid::now_v7(),
        kind: "officer.pin_failed".into(),
        case_id: None,
        office: counter.credential.office.code.clone(),
        officer: officer.into(),
        device_time: local_now(),
        payload: serde_json::json!({"username": named, "context": "sign_in"}),
        proof: None,
        signed: None,
        answers: None,
    };
    let pushed = counter.client.push(&[event]).await.unwrap();
    assert_eq!(pushed.stored_through, last + 1, "kept, not applied");
}

fn wrong_pins(counter: &Counter, n: usize) {
    for _ in 0..n {
        let tried = counter
            .store
            .authenticate(&counter.officer, "000000", local_now());
        assert!(
            matches!(
                tried,
                Err(loket::store::AuthError::WrongPin { .. }
                    | loket::store::AuthError::Locked { .. })
            ),
            "{tried:?}"
        );
    }
}

fn signs_in(counter: &Counter, pin: &str) -> Result<(), loket::store::AuthError> {
    counter
        .store
        .authenticate(&counter.officer, pin, local_now())
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_at_several_counters_add_up_at_pusat_and_lock_the_officer_everywhere() {
    let (pusat, _) = Pusat::start(2).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    let mut three = Counter::enroll(&pusat, 3).await;
    for c in [&mut one, &mut two, &mut three] {
        c.sync().await.unwrap();
    }
    // Five at counter 1 (locked there), four at counter 2: each counter alone is within
    // its own rule, and pusat's limit is not reached yet.
    wrong_pins(&one, 5);
    assert!(matches!(
        signs_in(&one, "482913"),
        Err(loket::store::AuthError::Locked { .. })
    ));
    wrong_pins(&two, 4);
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    three.sync().await.unwrap();
    signs_in(&three, "482913").unwrap();

    // The tenth, at counter 2: pusat locks the officer, and counter 3 learns it by sync.
    wrong_pins(&two, 1);
    two.sync().await.unwrap();
    three.sync().await.unwrap();
    assert!(
        matches!(
            signs_in(&three, "482913"),
            Err(loket::store::AuthError::Locked { .. })
        ),
        "locked at a counter where no PIN was ever wrong"
    );
    let db = pusat.pool.get().await.unwrap();
    let problems = loket::server::admin::problems(&db, None).await.unwrap();
    let pin = problems.iter().find(|p| p.kind == "pin").expect("listed");
    assert_eq!(pin.subject, support::OFFICER);
    assert!(pin.reason.contains("10 wrong PINs"), "{}", pin.reason);
    drop(db);

    // A new PIN lifts it everywhere.
    let mut db = pusat.pool.get().await.unwrap();
    support::add_officer(
        &mut db,
        support::OFFICE,
        support::OFFICER,
        "199001012015011001",
        "739104",
    )
    .await;
    three.sync().await.unwrap();
    signs_in(&three, "739104").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_counter_s_flood_of_wrong_pins_locks_nobody_at_the_others() {
    let (pusat, _) = Pusat::start(2).await;
    let mut attacker = Counter::enroll(&pusat, 1).await;
    let mut honest = Counter::enroll(&pusat, 2).await;
    attacker.sync().await.unwrap();
    honest.sync().await.unwrap();
    // Thirty reports from one kiosk, ten for each of three people: each names its own
    // officer, as a real report does.
    for named in [support::OFFICER, support::SUPERVISOR, support::OFFICER] {
        for _ in 0..10 {
            push_pin_failed(&attacker, &pusat, named, named).await;
        }
    }
    honest.sync().await.unwrap();
    signs_in(&honest, support::OFFICER_PIN).unwrap();
    honest
        .store
        .sign_in(support::SUPERVISOR, support::SUPERVISOR_PIN, local_now())
        .unwrap();
    let db = pusat.pool.get().await.unwrap();
    let kept: i64 = db
        .query_one("SELECT count(*) FROM pin_failures", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 30, "every report is kept, for a person to read");
    let locked: i64 = db
        .query_one(
            "SELECT count(*) FROM officers WHERE locked_until > now()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(locked, 0, "one counter alone locks nobody office-wide");
    drop(db);
    // A second counter's tries count in full, the flood only up to one counter's share:
    // one wrong PIN there locks nobody yet, five do.
    wrong_pins(&honest, 1);
    honest.sync().await.unwrap();
    assert!(problems_of(&pusat, "pin").await.is_empty());
    wrong_pins(&honest, 4);
    honest.sync().await.unwrap();
    let problems = problems_of(&pusat, "pin").await;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].subject, support::OFFICER);
    // The board says who is locked, since when, and from which counters.
    let status = honest.client.office_status().await.unwrap();
    assert_eq!(status.locked.len(), 1, "{status:?}");
    assert_eq!(status.locked[0].username, support::OFFICER);
    assert_eq!(status.locked[0].counters, vec![1, 2]);
    assert!(status.locked[0].until > status.locked[0].at);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_names_a_person_only_if_their_pin_was_typed_there() {
    let (pusat, jks) = Pusat::start(6).await;
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_officer(&mut db, OFFICE, "petugas2", "199105052016012003", "739164").await;
    }
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    // Honest: the officer who signed in here.
    let honest = counter.serve_applicant(&jks[0], 0).unwrap().id;
    let check_in = |b: &Booking| support::check_in_action(b, 0, &[DocKind::EKtp]);
    // A colleague on the roster who never typed their PIN here.
    let absent = Actor {
        username: "petugas2".into(),
        now: local_now(),
        key: None,
    };
    let absent_case = counter
        .store
        .apply(&absent, None, &check_in(&jks[1]))
        .unwrap()
        .id;
    // The supervisor's work written in the officer's name (four eyes on paper): signed with
    // the supervisor's own key.
    let supervisor = support::key_of(&pusat, support::SUPERVISOR).await;
    let borrowed = Actor {
        username: support::OFFICER.into(),
        now: local_now(),
        key: Some(supervisor),
    };
    let borrowed_case = counter
        .store
        .apply(&borrowed, None, &check_in(&jks[2]))
        .unwrap()
        .id;
    // A supervisor's act from a plain counter: the day closed in supervisor1's name.
    let officer = loket::store::Officer {
        username: support::SUPERVISOR.into(),
        nip: String::new(),
        name: "Supervisor".into(),
        role: loket::store::Role::Supervisor,
    };
    let named = Actor {
        username: support::SUPERVISOR.into(),
        now: local_now(),
        key: None,
    };
    let ticket = {
        let actor = counter.actor();
        loket::counter::issue_ticket(&mut counter.store, &actor, 1, &jks[3])
    };
    assert!(ticket.is_ok(), "{ticket:?}");
    loket::counter::close_day(&mut counter.store, &named, &officer, 1, support::today()).unwrap();
    counter.sync().await.unwrap();

    let db = pusat.pool.get().await.unwrap();
    let cases: Vec<Uuid> = db
        .query("SELECT id FROM cases", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        cases,
        vec![honest],
        "only the proven officer's case is projected"
    );
    let open: i64 = db
        .query_one("SELECT count(*) FROM tickets WHERE state = 'issued'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(open, 1, "the day was not closed by a name");
    drop(db);
    let refused = refusals(&pusat).await;
    assert!(
        refused
            .iter()
            .any(|r| r.contains("no proof that \"petugas2\" was there")),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|r| r.contains("\"petugas1\"'s presence does not match")),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|r| r.contains("no proof that \"supervisor1\" was there")),
        "{refused:#?}"
    );
    assert!(!cases.contains(&absent_case) && !cases.contains(&borrowed_case));
    assert!(
        metrics(&pusat)
            .await
            .contains("pusat_events_refused{office=\"JKS\"} 3"),
        "counted"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_done_before_a_new_pin_still_counts_and_the_old_pin_then_proves_nothing() {
    let (pusat, jks) = Pusat::start(4).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    // Offline: the officer serves an applicant, signed in with the PIN of the morning.
    let before = counter.serve_applicant(&jks[0], 0).unwrap().id;
    // Meanwhile pusat gives them a new PIN (they were locked out elsewhere).
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_officer(
            &mut db,
            OFFICE,
            support::OFFICER,
            "199001012015011001",
            "739104",
        )
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // Later work still proven with the old PIN's key: whoever kept it is not the officer.
    let after = counter.serve_applicant(&jks[1], 0).unwrap().id;
    counter.sync().await.unwrap();
    let db = pusat.pool.get().await.unwrap();
    let cases: Vec<Uuid> = db
        .query("SELECT id FROM cases", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        cases,
        vec![before],
        "the morning's work counts, the later not"
    );
    assert!(!cases.contains(&after));
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert!(
        refused
            .iter()
            .all(|r| r.contains("presence does not match")),
        "{refused:#?}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_without_a_device_key_is_refused_and_a_keyless_token_opens_nothing() {
    let (pusat, _) = Pusat::start(1).await;
    let code = pusat.enroll_code(1).await;
    let keyless = reqwest::Client::new()
        .post(format!("{}/api/v1/enroll", pusat.url))
        .header(loket::protocol::HEADER, loket::protocol::VERSION)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 400);
    let body = keyless.text().await.unwrap();
    assert!(body.contains("public_key is required"), "{body}");
    // The code was not used up: the kiosk enrolls with its key.
    let key = loket::sync::DeviceKey::generate();
    let enrolled = loket::sync::Client::enroll(&pusat.url, &code, None, &key)
        .await
        .unwrap();
    // A device enrolled keyless before the rule (its key column empty): its token alone,
    // unsigned, opens nothing.
    let db = pusat.pool.get().await.unwrap();
    db.execute(
        "UPDATE devices SET public_key = NULL WHERE id = $1",
        &[&enrolled.device_id],
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let bare = reqwest::Client::new()
            .get(format!("{}/api/v1/changes?cursor=0", pusat.url))
            .header(loket::protocol::HEADER, loket::protocol::VERSION)
            .bearer_auth(&enrolled.token)
            .send()
            .await
            .unwrap();
        let status = bare.status();
        let body = bare.text().await.unwrap();
        if status == 401 && body.contains("enrolled without a key") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a bare token still answered: {status} {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_cannot_lock_another_office_s_officer_or_name_someone_else() {
    let (pusat, _, _, attacker, _) = two_offices().await;
    let before = refusals(&pusat).await.len();
    // An officer of MKS, from a JKS counter.
    push_pin_failed(&attacker, &pusat, "petugas1_mks", "petugas1_mks").await;
    // An event of one officer naming another.
    push_pin_failed(&attacker, &pusat, &attacker.officer, "supervisor1").await;
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), before + 2, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|r| r.contains("not active on the roster of JKS")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|r| r.contains("names \"supervisor1\"")),
        "{refused:?}"
    );
    let db = pusat.pool.get().await.unwrap();
    let counted: i64 = db
        .query_one("SELECT count(*) FROM pin_failures", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(counted, 0, "nothing counted");
}

/// Who may call each route, as the threat model says: the document pusat serves must name
/// exactly these, and pusat must refuse a request without the credential where one is named.
const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("post", "/api/v1/enroll", None),
    ("post", "/api/v1/renew", Some("device")),
    ("get", "/api/v1/device", Some("device")),
    ("post", "/api/v1/events", Some("device")),
    ("get", "/api/v1/changes", Some("device")),
    ("post", "/api/v1/queue/call", Some("device")),
    ("get", "/api/v1/office/status", Some("device")),
    ("put", "/api/v1/photos/{sha256}", Some("device")),
    ("head", "/api/v1/photos/{sha256}", Some("device")),
    ("get", "/api/v1/photos/{sha256}", Some("device")),
    ("post", "/api/v1/bookings", Some("integration")),
    ("delete", "/api/v1/bookings/{code}", Some("integration")),
    ("get", "/api/v1/status/{code}", None),
    ("get", "/api/v1/openapi.json", None),
    ("get", "/healthz", None),
];

/// Every (method, path) a router serves, read off the router itself. axum keeps no list to
/// ask, but its `Debug` names each route's path and, for each method, whether a handler is
/// there (`get: Route`, `post: None`); a route that takes any method is named `any`. So a
/// route added past the API document (a plain `.route(…)`) is found here too.
fn served_routes(router: &axum::Router) -> Vec<(String, String)> {
    const METHODS: [&str; 9] = [
        "get", "head", "delete", "options", "patch", "post", "put", "trace", "connect",
    ];
    let text = format!("{router:?}");
    // The path router (the fallback router after it holds no routes of its own).
    let main = text.split("fallback_router").next().unwrap();
    let (routes, node) = main
        .split_once("node: Node")
        .expect("axum's Router Debug names its routes and their paths");
    let mut paths = std::collections::HashMap::new();
    for part in node.split("RouteId(").skip(1) {
        let (id, rest) = part.split_once(')').unwrap();
        let path = rest.trim_start_matches(": \"").split('"').next().unwrap();
        paths.insert(id.to_owned(), path.to_owned());
    }
    let mut served = Vec::new();
    for part in routes.split("RouteId(").skip(1) {
        let (id, rest) = part.split_once(')').unwrap();
        let path = paths[id].clone();
        let Some(fields) = rest.strip_prefix(": MethodRouter(MethodRouter { ") else {
            served.push(("any".to_owned(), path));
            continue;
        };
        for field in fields.split(", ") {
            let Some((method, handler)) = field.split_once(": ") else {
                break;
            };
            if !METHODS.contains(&method) {
                break;
            }
            if handler != "None" {
                served.push((method.to_owned(), path.clone()));
            }
        }
    }
    assert!(!served.is_empty(), "no route read from {text}");
    served.sort();
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_in_the_api_document_with_the_credential_it_enforces() {
    let (pusat, bookings) = Pusat::start(1).await;
    let http = reqwest::Client::new();
    let served: serde_json::Value = http
        .get(format!("{}/api/v1/openapi.json", pusat.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(
        served,
        serde_json::to_value(loket::server::openapi::document()).unwrap(),
        "the document served is the one `pusat openapi` prints"
    );
    let schemes = served["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("device") && schemes.contains_key("integration"));

    let mut documented = Vec::new();
    for (path, ops) in served["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let scheme = op["security"].as_array().map(|s| {
                let names: Vec<&String> = s
                    .iter()
                    .flat_map(|r| r.as_object().unwrap().keys())
                    .collect();
                assert_eq!(names.len(), 1, "{method} {path}: {s:?}");
                names[0].clone()
            });
            documented.push((method.clone(), path.clone(), scheme));
        }
    }
    let mut expected: Vec<(String, String, Option<String>)> = ROUTES
        .iter()
        .map(|(m, p, s)| ((*m).into(), (*p).into(), s.map(Into::into)))
        .collect();
    documented.sort();
    expected.sort();
    assert_eq!(documented, expected, "documented routes and their schemes");
    // What pusat serves, read off its router, is what the document names: a route added
    // without documentation turns this red even when the list above was not told.
    let state = loket::server::AppState::new(pusat.pool.clone(), Some(support::INTEGRATION_KEY));
    let served = served_routes(&loket::server::router(state));
    let named: Vec<(String, String)> = documented
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(served, named, "the routes served are the routes documented");

    // Each route is served, and refuses a request without the credential it names.
    let code = bookings[0].code.as_str().to_owned();
    for (method, path, scheme) in ROUTES {
        let url = format!(
            "{}{}",
            pusat.url,
            path.replace("{sha256}", &"ab".repeat(32))
                .replace("{code}", &code)
        );
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let status = http
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(
            status != 404 || path.contains("{code}") || path.contains("{sha256}"),
            "{method} {path} is not served"
        );
        assert_ne!(status, 405, "{method} {path} is not served");
        match scheme {
            Some(_) => assert_eq!(status, 401, "{method} {path} without a credential"),
            None => assert_ne!(
                status, 401,
                "{method} {path} asks a credential it does not document"
            ),
        }
    }
    // And a route nobody documented does not exist.
    let status = http
        .get(format!("{}/api/v1/cases", pusat.url))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
}

async fn problems_of(pusat: &Pusat, kind: &str) -> Vec<loket::server::admin::Problem> {
    let db = pusat.pool.get().await.unwrap();
    loket::server::admin::problems(&db, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.kind == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_s_pin_approval_proves_one_act_and_a_counter_cannot_forge_or_reuse_one() {
    let (pusat, jks) = Pusat::start(8).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let actor = counter.actor();
    let mut cases = Vec::new();
    for b in &jks {
        if cases.len() < 4
            && let Ok(case) = counter.serve_applicant(b, 0)
        {
            cases.push(case.id);
        }
    }
    let [honest, bare, forged, reused] = cases[..] else {
        panic!("four applicants served: {cases:?}")
    };
    let reject = || Action::Decide {
        decision: Decision::Reject {
            reason: "dokumen palsu".into(),
            supervisor: support::SUPERVISOR.into(),
        },
        at: local_now(),
    };
    // Honest: the supervisor types their PIN in the counter's dialog; their key, made from
    // it, proves the approval of this one act.
    let asker = loket::store::Officer {
        username: support::OFFICER.into(),
        nip: "199001012015011001".into(),
        name: "Rina".into(),
        role: loket::store::Role::Officer,
    };
    let mut attempt = loket::counter::approval_attempt(
        &counter.store,
        &asker,
        support::SUPERVISOR,
        support::SUPERVISOR_PIN,
        local_now(),
    )
    .unwrap();
    assert!(attempt.check(support::SUPERVISOR_PIN));
    let key = attempt
        .key()
        .cloned()
        .expect("the roster brought the proof salt");
    loket::counter::approval_outcome(&counter.store, &asker, attempt, true, local_now()).unwrap();
    let approver = loket::store::Approver {
        username: support::SUPERVISOR.into(),
        key,
    };
    counter
        .store
        .apply_approved(&actor, honest, &reject(), Some(&approver))
        .unwrap();
    // A counter naming the supervisor with nothing to show for it.
    counter.store.apply(&actor, Some(bare), &reject()).unwrap();
    // A counter guessing: a key made from another PIN.
    let salt: String = {
        let db = pusat.pool.get().await.unwrap();
        db.query_one(
            "SELECT approval_salt FROM officers WHERE username = $1",
            &[&support::SUPERVISOR],
        )
        .await
        .unwrap()
        .get(0)
    };
    let guess = loket::store::Approver {
        username: support::SUPERVISOR.into(),
        key: loket::proof::ProofKey::derive("000000", &salt).unwrap(),
    };
    counter
        .store
        .apply_approved(&actor, forged, &reject(), Some(&guess))
        .unwrap();
    counter.sync().await.unwrap();

    assert_eq!(case_status(&pusat, honest).await, "rejected");
    assert_ne!(case_status(&pusat, bare).await, "rejected");
    assert_ne!(case_status(&pusat, forged).await, "rejected");
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused.iter().any(|r| r.contains("no proof of")),
        "{refused:#?}"
    );
    assert!(
        refused.iter().any(|r| r.contains("does not match")),
        "{refused:#?}"
    );
    assert!(problems_of(&pusat, "unverified").await.is_empty());
    // The proof is kept with the event, for an audit.
    let db = pusat.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT proof, id, payload FROM events WHERE case_id = $1 AND kind = 'case.decide'",
            &[&honest],
        )
        .await
        .unwrap();
    let kept: Option<String> = row.get(0);
    let honest_event: Uuid = row.get(1);
    assert!(kept.is_some());
    drop(db);

    // The proof of the rejection, reused unchanged: on the same act of another case, and
    // on the same case's event sent again under a new id. Both are refused: a proof covers
    // its one event.
    let outbox = counter.store.outbox_from(1, 1000).unwrap();
    let original = outbox
        .iter()
        .find(|e| e.id == honest_event)
        .unwrap()
        .clone();
    let mut on_another = WireEvent {
        case_id: Some(reused),
        id: Uuid::now_v7(),
        ..original.clone()
    };
    on_another.seq = outbox.len() as i64 + 1;
    let on_another = support::signed(on_another, &actor);
    let mut again = WireEvent {
        id: Uuid::now_v7(),
        ..original
    };
    again.seq = outbox.len() as i64 + 2;
    let again = support::signed(again, &actor);
    counter.client.push(&[on_another, again]).await.unwrap();
    assert_ne!(case_status(&pusat, reused).await, "rejected");
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 4, "{refused:#?}");
    // Newest first: the two reused proofs.
    assert!(
        refused[..2]
            .iter()
            .all(|r| r.contains("does not match their PIN and this act")),
        "{refused:#?}"
    );
    pusat.stop().await;
}
