//! The `loket` command-line tools on a seeded demo office, through the real binary: what a
//! technician or supervisor types and reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn seeded() -> (tempfile::TempDir, chrono::NaiveDate) {
    let dir = tempfile::tempdir().unwrap();
    let zone = loket::domain::Zone::Wib;
    let today = zone.today(chrono::Utc::now());
    let mut store = loket::store::Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    loket::demo::seed(&mut store, 1, today, &fees).unwrap();
    (dir, today)
}

fn loket(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_bookings_table_speaks_the_counter_language() {
    let (dir, _) = seeded();
    let out = loket(dir.path(), &["bookings", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Menunggu"), "{text}");
    assert!(!text.contains("waiting"), "{text}");
    std::fs::write(dir.path().join("config.toml"), "[ui]\nlanguage = \"en\"\n").unwrap();
    let text =
        String::from_utf8_lossy(&loket(dir.path(), &["bookings", "list"]).stdout).into_owned();
    assert!(text.contains("Waiting"), "{text}");
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    let (dir, _) = seeded();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["bookings", "list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -0`: the reader is gone before the listing is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}

#[test]
fn cases_export_has_a_table_and_a_wrong_day_names_the_format() {
    let (dir, today) = seeded();
    let out = loket(
        dir.path(),
        &["cases", "export", "--day", &today.to_string()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("KODE"));
    let out = loket(dir.path(), &["bookings", "list", "--day", "27-11-2026"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    assert!(!err.contains("trailing input"), "{err}");
}

#[test]
fn every_flag_says_what_it_is_for() {
    for (command, flag) in [
        (&["scan", "--help"][..], "--baud"),
        (&["scan", "--help"][..], "--camera"),
        (&["enroll", "--help"][..], "--code"),
        (&["photo", "capture", "--help"][..], "--camera"),
        (&["photo", "capture", "--help"][..], "--out"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_loket"))
            .args(command)
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let mut lines = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(flag));
        let own = lines.next().unwrap_or_default();
        let next = lines.next().unwrap_or_default().trim_start();
        let described =
            own.split_whitespace().count() > 2 || (!next.is_empty() && !next.starts_with('-'));
        let line = own;
        assert!(described, "{flag} in {command:?} has no help: {line:?}");
    }
}

#[test]
fn the_day_report_is_written_where_asked_and_counts_the_tickets() {
    let (dir, today) = seeded();
    {
        let mut store = loket::store::Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
        let actor = loket::store::Actor {
            key: None,
            username: "petugas1".into(),
            now: loket::domain::Zone::Wib.local(chrono::Utc::now()),
        };
        let bookings = store.bookings_on(today).unwrap();
        for (_, b) in bookings.iter().take(3) {
            loket::counter::issue_ticket(&mut store, &actor, 1, b).unwrap();
        }
        loket::counter::call_next(&mut store, &actor, 1).unwrap();
    }
    let html = dir.path().join("day.html");
    let csv = dir.path().join("day.csv");
    let out = loket(
        dir.path(),
        &[
            "report",
            "day",
            "--html",
            html.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("3 nomor, 0 selesai"), "{summary}");
    assert!(summary.contains("2 menunggu"), "{summary}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 4);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("<svg"),
        "{page}"
    );
    // A day written wrong names the format.
    let out = loket(dir.path(), &["report", "day", "--day", "26-11-2026"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
}

#[path = "common/faces.rs"]
mod faces;

/// A case walked at this counter to "continue" without a camera: it waits for its photo.
fn awaiting_photo(dir: &Path, today: chrono::NaiveDate) -> (String, uuid::Uuid) {
    use loket::domain::case::{Biometrics, Decision};
    use loket::domain::checklist::DocStatus;
    use loket::domain::{Action, ApplicationType};
    let mut store = loket::store::Store::open(&dir.join("loket.db"), "JKS").unwrap();
    let now = loket::domain::Zone::Wib.local(chrono::Utc::now());
    let actor = loket::store::Actor {
        key: None,
        username: "petugas1".into(),
        now,
    };
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let booking = store
        .bookings_on(today)
        .unwrap()
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| {
            b.applicants.len() == 1
                && b.application == ApplicationType::New
                && loket::domain::nik::check(
                    &b.applicants[0].nik,
                    b.applicants[0].birth_date,
                    b.applicants[0].sex,
                )
                .is_valid()
                && loket::domain::booking::age_on(b.applicants[0].birth_date, today) >= 18
        })
        .expect("a clean new application on the demo day");
    let opened = loket::counter::check_in(&mut store, &actor, &booking, 0, "JKS").unwrap();
    let mut case = opened.into_case();
    let kinds: Vec<_> = case.documents.iter().map(|d| d.kind).collect();
    let mut act = |case: &loket::domain::Case, action: Action| {
        store.apply(&actor, Some(case.id), &action).unwrap()
    };
    for kind in kinds {
        case = act(
            &case,
            Action::SetDocument {
                kind,
                status: DocStatus::Valid,
                note: String::new(),
            },
        );
    }
    case = act(&case, Action::CompleteDocuments { override_by: None });
    let mut interview = loket::domain::case::Interview {
        purpose: Some(loket::domain::case::Purpose::Tourism),
        ..Default::default()
    };
    for field in [
        &mut interview.destination,
        &mut interview.occupation,
        &mut interview.length_of_stay,
        &mut interview.emergency_contact,
    ] {
        *field = "Jepang".into();
    }
    case = act(&case, Action::SaveInterview { interview });
    case = act(&case, Action::CompleteInterview);
    case = act(
        &case,
        Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Captured {
                by: "petugas1".into(),
                at: now,
            }),
        },
    );
    let query = loket::domain::fees::FeeQuery {
        passport: booking.passport,
        service: booking.service,
        application: booking.application,
        force_majeure: false,
        paid: Some(i64::MAX / 4),
        day: today,
    };
    let fee = fees.summary(&query).unwrap();
    let fee = loket::domain::fees::FeeSummary {
        paid: fee.total,
        ..fee
    };
    case = act(
        &case,
        Action::Decide {
            decision: Decision::Continue {
                fee,
                underpaid: None,
                flagged: None,
                waived: None,
            },
            at: now,
        },
    );
    assert_eq!(case.status, loket::domain::CaseStatus::AwaitingPhoto);
    (booking.code.to_string(), case.id)
}

fn loket_with_pin(dir: &Path, args: &[&str], pin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_loket"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{pin}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_photo_file_finishes_a_case_waiting_for_it() {
    let (dir, today) = seeded();
    let (code, case) = awaiting_photo(dir.path(), today);
    let listed =
        String::from_utf8_lossy(&loket(dir.path(), &["bookings", "list"]).stdout).into_owned();
    let line = listed
        .lines()
        .find(|l| l.starts_with(&code))
        .unwrap_or_else(|| panic!("{code}: {listed}"));
    assert!(line.contains("Menunggu foto"), "{line}");
    let good = dir.path().join("good.png");
    faces::compliant().save(&good).unwrap();
    let cat = dir.path().join("cat.png");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faces/noface-cat.png"),
        &cat,
    )
    .unwrap();
    let import = |file: &Path, officer: &str, pin: &str| {
        loket_with_pin(
            dir.path(),
            &[
                "photo",
                "import",
                "--booking",
                &code,
                "--officer",
                officer,
                file.to_str().unwrap(),
            ],
            pin,
        )
    };
    // A wrong PIN records nothing.
    let out = import(&good, "petugas1", "000000");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIN"));
    // No face to crop around: refused, said in both languages.
    let out = import(&cat, "petugas1", "111111");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tidak bisa dipotong") && err.contains("cannot be cut"),
        "{err}"
    );
    // A compliant photo: the case continues, and the photo is kept under its hash.
    let out = import(&good, "petugas1", "111111");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Dilanjutkan"), "{text}");
    let store = loket::store::Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let stored = loket::domain::BookingCode::parse(&code).unwrap();
    let now = store.cases_for_booking(stored.as_str()).unwrap();
    let c = now.iter().find(|c| c.id == case).unwrap();
    assert_eq!(c.status, loket::domain::CaseStatus::Continued);
    let loket::domain::case::PhotoState::Taken { sha256, .. } = &c.photo else {
        panic!("{:?}", c.photo)
    };
    assert!(
        loket::store::read_photo(dir.path(), sha256)
            .unwrap()
            .is_some()
    );
    // Once is enough: the case no longer waits.
    let out = import(&good, "petugas1", "111111");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tidak menunggu foto"));
}

fn count(dir: &Path, sql: &str) -> i64 {
    let conn = loket::store::cipher::open(
        &dir.join("loket.db"),
        &loket::secret::KioskSecret::kiosk().unwrap(),
    )
    .unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn purge_says_what_would_go_then_removes_only_what_pusat_holds() {
    let (dir, today) = seeded();
    let before = (today + chrono::Days::new(3)).to_string();
    // A case this counter decided and never pushed.
    awaiting_photo(dir.path(), today);
    let cases = count(dir.path(), "SELECT count(*) FROM cases");
    let bookings = count(dir.path(), "SELECT count(*) FROM bookings");
    // Bookings with a case stay: their events are not at pusat (this counter never synced).
    let removable = count(
        dir.path(),
        &format!(
            "SELECT count(*) FROM bookings b WHERE b.day < '{before}'
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.booking = b.code)"
        ),
    );
    assert!(removable > 0 && cases > 0, "{removable} {cases}");

    let dry = loket(dir.path(), &["purge", "--before", &before, "--dry-run"]);
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        text.contains(&format!("akan dihapus / before {before} (office retention 30 days), would go: 0 kasus / cases, {removable} booking")),
        "{text}"
    );
    assert_eq!(count(dir.path(), "SELECT count(*) FROM bookings"), bookings);

    let real = loket(dir.path(), &["purge", "--before", &before]);
    let text = String::from_utf8_lossy(&real.stdout).into_owned();
    assert!(
        text.contains(&format!("removed: 0 kasus / cases, {removable} booking")),
        "{text}"
    );
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM bookings"),
        bookings - removable
    );
    assert_eq!(count(dir.path(), "SELECT count(*) FROM cases"), cases);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM audit WHERE action = 'retention.purge'"
        ),
        1
    );
    let wrong = loket(dir.path(), &["purge", "--before", "27-11-2026"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("YYYY-MM-DD"));
}
