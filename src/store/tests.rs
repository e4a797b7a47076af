use super::cases::audit_detail as cases_audit_detail;
use super::*;
use crate::domain::Action;
use crate::domain::case::Biometrics;
use crate::domain::checklist::{DocKind, DocStatus};
use crate::domain::{ApplicationType, Booking, BookingCode, PassportType, Service, Sex};
use chrono::{DateTime, NaiveDate};

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-25T09:00:00+07:00").unwrap()
}

fn actor() -> Actor {
    Actor {
        key: None,
        username: "petugas1".into(),
        now: now(),
    }
}

fn booking(n: u64) -> Booking {
    Booking {
        code: BookingCode::from_number(n),
        office: "JKS".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        slot: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        service: Service::Regular,
        passport: PassportType::Electronic5,
        application: ApplicationType::New,
        billing_code: "820261125000001".into(),
        applicants: vec![crate::domain::Applicant {
            name: "Siti Rahayu".into(),
            nik: "3174054507900001".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 7, 5).unwrap(),
            sex: Sex::Female,
            migrant_worker: false,
            name_changed: false,
            paid: Some(650_000),
        }],
        walk_in: None,
    }
}

fn check_in(b: &Booking) -> Action {
    let a = &b.applicants[0];
    Action::CheckIn {
        case_id: Uuid::now_v7(),
        booking: b.code.clone(),
        applicant: 0,
        application: b.application,
        at: now(),
        exceptions: vec![],
        checklist: vec![DocKind::EKtp, DocKind::FamilyCard],
        identity: crate::domain::case::Identity {
            name: a.name.clone(),
            nik: a.nik.clone(),
            birth_date: a.birth_date,
            sex: a.sex,
        },
    }
}

#[test]
fn migrations_are_valid_and_complete() {
    MIGRATIONS.validate().unwrap();
    // Every SQL file under assets/migrations/local is embedded, in order.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/migrations/local");
    let files = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    assert_eq!(files, MIGRATION_LIST.len());
    let store = Store::open_in_memory("JKS").unwrap();
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, MIGRATION_LIST.len());
}

#[test]
fn wal_and_durable_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = store
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous must be FULL");
}

#[test]
fn a_cached_draft_is_kept_and_every_later_write_is_durable_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loket.db");
    let mut store = Store::open(&path, "JKS").unwrap();
    let b = booking(1);
    store.put_booking(&b).unwrap();
    let case = store.apply(&actor(), None, &check_in(&b)).unwrap().id;
    let body = serde_json::json!({"note": "half a wor"});
    let at = now();
    store
        .put_draft(case, "documents", &body, at, Durability::Cached)
        .unwrap();
    let sync: i64 = store
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "back to FULL after a cached draft");
    // Another connection (as after a restart) reads it: it was committed, not held back.
    let other = Store::open(&path, "JKS").unwrap();
    assert_eq!(other.draft(case, "documents").unwrap(), Some(body));
}

#[test]
fn each_action_writes_state_event_and_audit_atomically() {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let b = booking(1);
    store.put_booking(&b).unwrap();
    let case = store.apply(&actor(), None, &check_in(&b)).unwrap();
    let set = Action::SetDocument {
        kind: DocKind::EKtp,
        status: DocStatus::Valid,
        note: String::new(),
    };
    store.apply(&actor(), Some(case.id), &set).unwrap();
    // A refused action writes nothing.
    let bad = Action::RecordPhotoPending {
        biometrics: Some(Biometrics::Pending),
    };
    assert!(matches!(
        store.apply(&actor(), Some(case.id), &bad),
        Err(StoreError::Case(_))
    ));
    assert!(matches!(
        store.apply(&actor(), None, &check_in(&b)),
        Err(StoreError::CaseExists)
    ));

    let seqs: Vec<i64> = {
        let mut s = store
            .conn()
            .prepare("SELECT seq FROM outbox ORDER BY seq")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(store.pending_events().unwrap(), 2);
    let audit = store.audit_for_booking(b.code.as_str()).unwrap();
    assert_eq!(audit.len(), 2);
    // The stored case equals a replay of its events.
    let actions = store.case_actions(case.id).unwrap();
    let replayed = crate::domain::Case::replay(actions.iter()).unwrap();
    assert_eq!(
        store.cases_for_booking(b.code.as_str()).unwrap(),
        vec![replayed]
    );
}

#[test]
fn audit_and_outbox_cannot_be_rewritten() {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let b = booking(2);
    store.put_booking(&b).unwrap();
    store.record_view(&actor(), b.code.as_str(), None).unwrap();
    assert!(
        store
            .conn()
            .execute("UPDATE audit SET officer = 'x'", [])
            .is_err()
    );
    assert!(store.conn().execute("DELETE FROM audit", []).is_err());
    assert!(store.conn().execute("DELETE FROM outbox", []).is_err());
    assert!(
        store
            .conn()
            .execute("UPDATE outbox SET payload = '{}'", [])
            .is_err()
    );
    // Not even the purge's tombstone, on an event pusat does not have yet.
    assert!(
        store
            .conn()
            .execute("UPDATE outbox SET payload = ?1", [crate::store::TOMBSTONE])
            .is_err()
    );
    assert!(
        store
            .conn()
            .execute("UPDATE outbox SET pushed_at = 'now'", [])
            .is_ok()
    );
}

#[test]
fn queue_and_search() {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let mut other = booking(3);
    other.office = "MKS".into();
    store
        .put_bookings(&[booking(1), booking(2), other])
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let q = store.queue(day).unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].status(), QueueStatus::Waiting);
    assert_eq!(store.search("rahayu", day, 10).unwrap().len(), 3);
    assert_eq!(store.search("31740545", day, 10).unwrap().len(), 3);
    assert_eq!(store.search("nobody", day, 10).unwrap().len(), 0);
    // LIKE's wildcards are searched for as themselves.
    for wild in ["%%", "__", "%", "_a", "\\"] {
        assert_eq!(store.search(wild, day, 10).unwrap().len(), 0, "{wild}");
    }
    assert_eq!(store.bookings_on(day).unwrap().len(), 3);
    let b = booking(1);
    store.apply(&actor(), None, &check_in(&b)).unwrap();
    assert_eq!(
        store.queue(day).unwrap()[0].status(),
        QueueStatus::InProgress
    );
}

#[test]
fn five_wrong_pins_lock_the_account() {
    let store = Store::open_in_memory("JKS").unwrap();
    let officer = Officer {
        username: "petugas1".into(),
        nip: "1990".into(),
        name: "A".into(),
        role: Role::Officer,
    };
    store
        .put_officer(&officer, &officers::hash_pin("111111").unwrap())
        .unwrap();
    assert_eq!(
        store.authenticate("petugas1", "111111", now()).unwrap(),
        officer
    );
    assert_eq!(
        store.authenticate("1990", "111111", now()).unwrap(),
        officer
    );
    // An empty PIN (Enter pressed too soon) is asked again and never counted.
    for _ in 0..10 {
        assert!(matches!(
            store.authenticate("petugas1", "", now()),
            Err(AuthError::EmptyPin)
        ));
    }
    for left in (1..5).rev() {
        match store.authenticate("petugas1", "000000", now()) {
            Err(AuthError::WrongPin { remaining }) => assert_eq!(remaining, left),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        store.authenticate("petugas1", "000000", now()),
        Err(AuthError::Locked { .. })
    ));
    // Even the right PIN is refused while locked, and accepted after the lockout. The time
    // it says is the office's (a lock pusat spread is stored in UTC).
    store
        .conn
        .execute(
            "UPDATE officers SET locked_until = ?1 WHERE username = 'petugas1'",
            [(now() + chrono::Duration::minutes(10))
                .with_timezone(&chrono::Utc)
                .to_rfc3339()],
        )
        .unwrap();
    match store.authenticate("petugas1", "111111", now()) {
        Err(AuthError::Locked { until }) => assert_eq!(until.offset(), now().offset()),
        other => panic!("{other:?}"),
    }
    let later = now() + chrono::Duration::minutes(LOCKOUT_MINUTES_FOR_TEST);
    assert!(store.authenticate("petugas1", "111111", later).is_ok());
    assert!(matches!(
        store.authenticate("nobody", "1", now()),
        Err(AuthError::UnknownUser)
    ));
    assert!(matches!(
        store.approve_as_supervisor("petugas1", "111111", later),
        Err(AuthError::NotSupervisor)
    ));
}

const LOCKOUT_MINUTES_FOR_TEST: i64 = officers::LOCKOUT_MINUTES + 1;

#[test]
fn a_copied_database_gives_no_pin_hash_and_no_sign_in_on_another_kiosk() {
    use crate::secret::KioskSecret;
    let dir = tempfile::tempdir().unwrap();
    let here = KioskSecret::in_dir(&dir.path().join("here")).unwrap();
    let there = KioskSecret::in_dir(&dir.path().join("there")).unwrap();
    let path = dir.path().join("loket.db");
    let officer = Officer {
        username: "petugas1".into(),
        nip: "1990".into(),
        name: "A".into(),
        role: Role::Officer,
    };
    {
        let store = Store::open_sealed(&path, "JKS", here.clone()).unwrap();
        store
            .put_officer(&officer, &officers::hash_pin("111111").unwrap())
            .unwrap();
        // A hash stored in plain before sealing is sealed at the next open.
        store
            .conn()
            .execute(
                "INSERT INTO officers (username, nip, name, role, pin_hash)
                 VALUES ('lama', '1991', 'B', 'officer', ?1)",
                [officers::hash_pin("222222").unwrap()],
            )
            .unwrap();
    }
    let store = Store::open_sealed(&path, "JKS", here).unwrap();
    let stored: Vec<String> = store
        .conn()
        .prepare("SELECT pin_hash FROM officers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|h| h.starts_with("sealed2:") && !h.contains("argon2")),
        "{stored:?}"
    );
    assert_eq!(
        store.authenticate("petugas1", "111111", now()).unwrap(),
        officer
    );
    assert!(store.authenticate("lama", "222222", now()).is_ok());
    drop(store);

    // The same file on another kiosk does not even open: the database is encrypted with
    // the first kiosk's secret, and neither a hash nor its seal shows in its bytes.
    assert!(matches!(
        Store::open_sealed(&path, "JKS", there),
        Err(StoreError::OtherKiosk)
    ));
    let bytes = std::fs::read(&path).unwrap();
    for needle in [&b"sealed2:"[..], b"petugas1", b"argon2"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn a_full_disk_is_reported_and_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let b = booking(9);
    store.put_booking(&b).unwrap();
    let case = store.apply(&actor(), None, &check_in(&b)).unwrap();
    // Cap the file at its current size: the next write cannot grow it.
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store
        .conn()
        .pragma_update(None, "max_page_count", pages)
        .unwrap();
    let mut last_ok = 0;
    let mut result = Ok(case.clone());
    for i in 0..10_000 {
        let note = "x".repeat(2000);
        let kind = if i % 2 == 0 {
            DocKind::EKtp
        } else {
            DocKind::FamilyCard
        };
        result = store.apply(
            &actor(),
            Some(case.id),
            &Action::SetDocument {
                kind,
                status: DocStatus::Valid,
                note,
            },
        );
        if result.is_err() {
            break;
        }
        last_ok = i + 1;
    }
    assert!(matches!(result, Err(StoreError::DiskFull)), "{result:?}");
    // Every committed action is still there, and the case replays from its events.
    let actions = store.case_actions(case.id).unwrap();
    assert_eq!(actions.len(), 1 + last_ok);
    let replayed = crate::domain::Case::replay(actions.iter()).unwrap();
    assert_eq!(
        store.cases_for_booking(b.code.as_str()).unwrap(),
        vec![replayed]
    );
}

#[test]
fn a_photo_is_kept_under_its_hash_with_a_pending_upload() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("loket.db"), "JKS").unwrap();
    let b = booking(5);
    store.put_booking(&b).unwrap();
    let case = store.apply(&actor(), None, &check_in(&b)).unwrap();
    // Walk to the photo step.
    for kind in [DocKind::EKtp, DocKind::FamilyCard] {
        store
            .apply(
                &actor(),
                Some(case.id),
                &Action::SetDocument {
                    kind,
                    status: DocStatus::Valid,
                    note: String::new(),
                },
            )
            .unwrap();
    }
    store
        .apply(
            &actor(),
            Some(case.id),
            &Action::CompleteDocuments { override_by: None },
        )
        .unwrap();
    let interview = crate::domain::case::Interview {
        purpose: Some(crate::domain::case::Purpose::Tourism),
        destination: "Jepang".into(),
        occupation: "Guru".into(),
        length_of_stay: "7 hari".into(),
        emergency_contact: "Budi".into(),
        ..Default::default()
    };
    store
        .apply(
            &actor(),
            Some(case.id),
            &Action::SaveInterview { interview },
        )
        .unwrap();
    store
        .apply(&actor(), Some(case.id), &Action::CompleteInterview)
        .unwrap();
    let jpeg = b"\xff\xd8 not really a jpeg \xff\xd9".to_vec();
    let sha256 = "cd".repeat(32);
    let action = Action::RecordPhoto {
        sha256: sha256.clone(),
        failed_checks: vec![],
        accepted_because: None,
        biometrics: Some(Biometrics::Captured {
            by: "petugas1".into(),
            at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+07:00").unwrap(),
        }),
    };
    let case = store
        .record_photo(&actor(), case.id, dir.path(), &jpeg, &action)
        .unwrap();
    assert!(matches!(
        case.photo,
        crate::domain::case::PhotoState::Taken { .. }
    ));
    assert_eq!(read_photo(dir.path(), &sha256).unwrap(), Some(jpeg.clone()));
    // On the disk it is sealed: not the JPEG, and no other kiosk opens it.
    let on_disk = std::fs::read(photo_path(dir.path(), &sha256)).unwrap();
    assert!(
        !on_disk
            .windows(jpeg.len().min(64))
            .any(|w| w == &jpeg[..jpeg.len().min(64)])
    );
    let elsewhere = crate::secret::KioskSecret::in_dir(&dir.path().join("other")).unwrap();
    assert!(
        elsewhere
            .open_bytes(crate::secret::Purpose::Photo, &sha256, &on_disk)
            .is_none()
    );
    assert_eq!(store.pending_photos().unwrap(), 1);
    let kinds: Vec<String> = {
        let mut s = store
            .conn()
            .prepare("SELECT kind FROM outbox ORDER BY seq DESC LIMIT 1")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(kinds, vec!["case.photo".to_owned()]);
    let audit = store.audit_for_booking(b.code.as_str()).unwrap();
    assert_eq!(audit.last().map(|a| a.2.as_str()), Some("case.photo"));
    assert_eq!(audit.last().map(|a| a.3.as_str()), Some(""));
    // A refused action records no upload.
    assert!(
        store
            .record_photo(&actor(), case.id, dir.path(), &jpeg, &action)
            .is_err()
    );
    assert_eq!(store.pending_photos().unwrap(), 1);
}

#[test]
fn approvals_and_reasons_go_into_the_audit_trail() {
    assert_eq!(
        cases_audit_detail(&Action::RecordPhoto {
            sha256: "00".repeat(32),
            failed_checks: vec!["Ketajaman".into()],
            accepted_because: Some("Pemohon tidak bisa diam".into()),
            biometrics: Some(Biometrics::Captured {
                by: "petugas1".into(),
                at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+07:00").unwrap()
            }),
        }),
        "photo accepted despite failed checks (Ketajaman): Pemohon tidak bisa diam"
    );
    assert_eq!(
        cases_audit_detail(&Action::CompleteDocuments {
            override_by: Some("supervisor1".into())
        }),
        "override approved by supervisor1"
    );
}

#[test]
fn a_case_worked_before_its_booked_day_is_in_both_days_reports() {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let today = now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let mut early = booking(7);
    early.date = tomorrow;
    store.put_booking(&early).unwrap();
    let on_time = booking(8);
    store.put_booking(&on_time).unwrap();
    // Both checked in today (the actor's clock says 25/11).
    store.apply(&actor(), None, &check_in(&early)).unwrap();
    store.apply(&actor(), None, &check_in(&on_time)).unwrap();
    let worked_today = store.export_cases(today).unwrap();
    let booked: Vec<(String, NaiveDate)> = worked_today
        .iter()
        .map(|c| (c.case.booking.to_string(), c.booked))
        .collect();
    assert_eq!(
        booked,
        vec![
            (on_time.code.to_string(), today),
            (early.code.to_string(), tomorrow)
        ]
    );
    // Tomorrow's report has it too, as booked; nothing of today's own bookings.
    let tomorrows = store.export_cases(tomorrow).unwrap();
    assert_eq!(tomorrows.len(), 1);
    assert_eq!(tomorrows[0].case.booking, early.code);
    assert!(
        store
            .export_cases(today.pred_opt().unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_corrected_identity_is_audited_with_old_and_new_values() {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let b = booking(9);
    store.put_booking(&b).unwrap();
    let case = store.apply(&actor(), None, &check_in(&b)).unwrap();
    let mut identity = case.identity.clone();
    identity.birth_date = NaiveDate::from_ymd_opt(2015, 7, 5).unwrap();
    store
        .apply(&actor(), Some(case.id), &Action::SetIdentity { identity })
        .unwrap();
    let audit = store.audit_for_booking(b.code.as_str()).unwrap();
    let (_, _, action, detail) = audit.last().unwrap();
    assert_eq!(action, "case.set_identity");
    assert_eq!(detail, "birth_date: 1990-07-05 → 2015-07-05");
}

#[test]
fn a_pulled_ticket_waits_for_this_counters_unsent_change_and_a_lost_call_is_told_once() {
    use crate::domain::queue::{QueueRules, TicketAction};
    use crate::protocol::{Change, FeedEntry};
    let mut store = Store::open_in_memory("JKS").unwrap();
    store.ensure_device(now(), 1).unwrap();
    let rules = QueueRules::default();
    let day = now().date_naive();
    let issued = store
        .issue_ticket(&actor(), 1, &rules.lines[0], day, None)
        .unwrap();
    assert_eq!(issued.label(), "A-1001");
    assert_eq!(store.tickets_waiting(day).unwrap(), 1);
    let pushed = store.last_seq().unwrap();
    store.mark_pushed(pushed, now()).unwrap();
    // This counter calls it; pusat has not heard yet, and a pull brings the older state.
    let called = store
        .ticket_act(&actor(), 1, issued.id, TicketAction::Call)
        .unwrap();
    let pulled = |t: &crate::domain::queue::Ticket, pos| FeedEntry {
        pos,
        change: Change::Ticket(t.clone()),
    };
    store.apply_changes(&[pulled(&issued, 1)], 1, day).unwrap();
    assert_eq!(
        store.ticket(issued.id).unwrap().unwrap(),
        called,
        "not overwritten"
    );
    assert!(store.take_lost_calls().unwrap().is_empty());
    // Pushed; pusat says counter 2 called it first.
    store.mark_pushed(store.last_seq().unwrap(), now()).unwrap();
    let mut theirs = issued.clone();
    theirs
        .apply(
            &crate::domain::queue::TicketEvent {
                ticket: issued.id,
                counter: 2,
                action: TicketAction::Call,
            },
            "rina",
            now(),
        )
        .unwrap();
    store.apply_changes(&[pulled(&theirs, 2)], 2, day).unwrap();
    assert_eq!(store.ticket(issued.id).unwrap().unwrap().counter, Some(2));
    let lost = store.take_lost_calls().unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0].label.as_str(), lost[0].winner),
        ("A-1001", Some(2))
    );
    assert!(store.take_lost_calls().unwrap().is_empty(), "told once");
    assert!(store.current_ticket(day, 1).unwrap().is_none());
    assert_eq!(store.tickets_waiting(day).unwrap(), 0);
}

#[test]
fn a_photo_from_before_sealing_is_still_read_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "ab".repeat(32);
    std::fs::create_dir_all(dir.path().join("photos")).unwrap();
    let plain = dir.path().join("photos").join(format!("{sha}.jpg"));
    std::fs::write(&plain, b"\xFF\xD8 lama").unwrap();
    assert_eq!(photo_files(dir.path(), &sha), vec![plain.clone()]);
    assert_eq!(
        read_photo(dir.path(), &sha).unwrap(),
        Some(b"\xFF\xD8 lama".to_vec())
    );
    remove_photo(dir.path(), &sha).unwrap();
    assert!(!plain.exists());
    assert_eq!(read_photo(dir.path(), &sha).unwrap(), None);
    // Removing again is no error: the sync round may be cut between the two.
    remove_photo(dir.path(), &sha).unwrap();
}
