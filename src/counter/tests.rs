use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::*;
use crate::config::{Config, FEES};
use crate::domain::fees::FeeSchedule;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-25T09:00:00+07:00").unwrap()
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn office() -> Office {
    Config::defaults().office().unwrap()
}

fn demo() -> Store {
    let mut store = Store::open_in_memory("JKS").unwrap();
    let fees = FeeSchedule::from_toml(FEES).unwrap();
    crate::demo::seed(&mut store, 1, today(), &fees).unwrap();
    store
}

fn actor(username: &str) -> Actor {
    Actor {
        key: None,
        username: username.into(),
        now: now(),
    }
}

fn officer(store: &Store, username: &str, pin: &str) -> Officer {
    store.authenticate(username, pin, now()).unwrap()
}

fn first_of(store: &Store, day: NaiveDate) -> Booking {
    store.bookings_on(day).unwrap().remove(0).1
}

#[test]
fn a_check_in_opens_the_case_once() {
    let mut store = demo();
    let b = first_of(&store, today());
    let first = check_in(&mut store, &actor("petugas1"), &b, 0, "JKS").unwrap();
    assert!(matches!(first, Opened::New(_)));
    assert!(first.case().exceptions.is_empty());
    let again = check_in(&mut store, &actor("petugas1"), &b, 0, "JKS").unwrap();
    assert!(matches!(again, Opened::Existing(_)), "{again:?}");
    assert_eq!(again.case().id, first.case().id);
    assert!(matches!(
        check_in(&mut store, &actor("petugas1"), &b, 9, "JKS"),
        Err(CounterError::NoApplicant(9))
    ));
}

#[test]
fn a_booking_of_another_day_or_office_is_an_exception_the_case_records() {
    let mut store = demo();
    let tomorrow = first_of(&store, today() + chrono::Days::new(1));
    let found = exceptions(&tomorrow, "MKS", today());
    assert_eq!(found.len(), 2, "{found:?}");
    let opened = check_in(&mut store, &actor("petugas1"), &tomorrow, 0, "JKS").unwrap();
    assert_eq!(
        opened.case().exceptions,
        vec![CheckInException::OtherDay {
            booked: tomorrow.date
        }]
    );
}

fn form() -> WalkIn {
    WalkIn {
        reason: WalkInReason::Elderly,
        application: ApplicationType::New,
        service: Service::Regular,
        passport: PassportType::Ordinary,
        name: "SITI AMINAH".into(),
        nik: "3171 0450 0552 0001".into(),
        birth_date: NaiveDate::from_ymd_opt(1950, 5, 5).unwrap(),
        sex: Sex::Female,
    }
}

#[test]
fn a_walk_in_gets_a_walk_in_code_and_is_stored() {
    let mut store = demo();
    let at: DateTime<Utc> = now().to_utc();
    let booking = register_walk_in(&mut store, &actor("petugas1"), &form(), &office(), at).unwrap();
    assert!(booking.code.is_walk_in());
    assert_eq!(booking.applicants[0].nik, "3171045005520001");
    assert_eq!(booking.date, today());
    assert_eq!(store.booking(&booking.code).unwrap(), Some(booking));
}

#[test]
fn a_walk_in_is_refused_with_the_reason() {
    let at: DateTime<Utc> = now().to_utc();
    let refused = |f: WalkIn| walk_in_booking(&f, &office(), at).unwrap_err();
    assert_eq!(
        refused(WalkIn {
            name: " ".into(),
            ..form()
        }),
        WalkInProblem::NoName
    );
    assert!(matches!(
        refused(WalkIn {
            name: "SITI <script>".into(),
            ..form()
        }),
        WalkInProblem::Name(_)
    ));
    assert!(matches!(
        refused(WalkIn {
            nik: "12345".into(),
            ..form()
        }),
        WalkInProblem::Nik(_)
    ));
    assert!(matches!(
        refused(WalkIn {
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            ..form()
        }),
        WalkInProblem::Refused(WalkInRefusal::NotElderly(_))
    ));
}

#[test]
fn an_approval_needs_another_person_who_is_a_supervisor_with_the_right_pin() {
    let store = demo();
    let asker = officer(&store, "petugas1", "111111");
    let at = now();
    assert!(matches!(
        approval_attempt(&store, &asker, "petugas1", "111111", at),
        Err(CounterError::SelfApproval)
    ));
    assert!(matches!(
        approval_attempt(&store, &asker, &asker.nip, "111111", at),
        Err(CounterError::SelfApproval)
    ));
    let attempt = approval_attempt(&store, &asker, "supervisor1", "999999", at).unwrap();
    let matched = attempt.matches("999999");
    assert!(matches!(
        approval_outcome(&store, &asker, attempt, matched, at),
        Err(CounterError::Auth(AuthError::WrongPin { remaining: 4 }))
    ));
    let attempt = approval_attempt(&store, &asker, "teknisi1", "333333", at).unwrap();
    assert!(matches!(
        approval_outcome(&store, &asker, attempt, true, at),
        Err(CounterError::Auth(AuthError::NotSupervisor))
    ));
    let attempt = approval_attempt(&store, &asker, "supervisor1", "222222", at).unwrap();
    let matched = attempt.matches("222222");
    assert_eq!(
        approval_outcome(&store, &asker, attempt, matched, at).unwrap(),
        "supervisor1"
    );
}

const MAX_TRIES: u32 = crate::store::MAX_FAILED_PINS;

#[test]
fn an_officer_mistyping_approval_pins_locks_their_approvals_not_the_supervisor() {
    let store = demo();
    let asker = officer(&store, "petugas1", "111111");
    let at = now();
    for remaining in (1..MAX_TRIES).rev() {
        let attempt = approval_attempt(&store, &asker, "supervisor1", "999999", at).unwrap();
        assert!(matches!(
            approval_outcome(&store, &asker, attempt, false, at),
            Err(CounterError::Auth(AuthError::WrongPin { remaining: r })) if r == remaining
        ));
    }
    let attempt = approval_attempt(&store, &asker, "supervisor1", "999999", at).unwrap();
    assert!(matches!(
        approval_outcome(&store, &asker, attempt, false, at),
        Err(CounterError::Auth(AuthError::Locked { .. }))
    ));
    // This officer's approvals by supervisor1 wait, even with the right PIN...
    assert!(matches!(
        approval_attempt(&store, &asker, "supervisor1", "222222", at),
        Err(CounterError::Auth(AuthError::Locked { .. }))
    ));
    // ...while supervisor1 still signs in, and approves for another officer.
    assert_eq!(
        store
            .authenticate("supervisor1", "222222", at)
            .unwrap()
            .username,
        "supervisor1"
    );
    let other = officer(&store, "teknisi1", "333333");
    let attempt = approval_attempt(&store, &other, "supervisor1", "222222", at).unwrap();
    let matched = attempt.matches("222222");
    assert_eq!(
        approval_outcome(&store, &other, attempt, matched, at).unwrap(),
        "supervisor1"
    );
    // After the lockout the asker may try again.
    let later = at + chrono::Duration::minutes(crate::store::LOCKOUT_MINUTES);
    assert!(approval_attempt(&store, &asker, "supervisor1", "222222", later).is_ok());
}

#[test]
fn drafts_are_synced_on_leaving_a_field_and_every_second() {
    let mut policy = DraftPolicy::default();
    let t0 = now().to_utc();
    let ms = chrono::TimeDelta::milliseconds;
    assert_eq!(policy.durability(t0, false), Durability::Synced);
    assert_eq!(policy.durability(t0 + ms(300), false), Durability::Cached);
    assert_eq!(policy.durability(t0 + ms(600), true), Durability::Synced);
    assert_eq!(policy.durability(t0 + ms(900), false), Durability::Cached);
    assert_eq!(policy.durability(t0 + ms(1700), false), Durability::Synced);
}

#[test]
fn a_queue_number_is_for_todays_booking_once() {
    let mut store = demo();
    let b = first_of(&store, today());
    let (t, fresh) = issue_ticket(&mut store, &actor("petugas1"), 2, &b).unwrap();
    assert!(fresh);
    assert_eq!(t.label(), "A-2001");
    let (again, fresh) = issue_ticket(&mut store, &actor("petugas1"), 2, &b).unwrap();
    assert!(!fresh);
    assert_eq!(again.id, t.id);
    let tomorrow = first_of(&store, today().succ_opt().unwrap());
    assert!(matches!(
        issue_ticket(&mut store, &actor("petugas1"), 2, &tomorrow),
        Err(CounterError::NotToday(d)) if d == tomorrow.date
    ));
    // Called by the office's rule, then nobody waits.
    let called = call_next(&mut store, &actor("petugas1"), 2)
        .unwrap()
        .unwrap();
    assert_eq!(called.id, t.id);
    assert!(
        call_next(&mut store, &actor("petugas1"), 2)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_typed_number_is_called_out_of_order_or_refused_with_the_reason() {
    let mut store = demo();
    let bookings = store.bookings_on(today()).unwrap();
    let who = actor("petugas1");
    let first = issue_ticket(&mut store, &who, 2, &bookings[0].1).unwrap().0;
    let second = issue_ticket(&mut store, &who, 2, &bookings[1].1).unwrap().0;
    let called = call_number(&mut store, &who, 2, "a 2002").unwrap();
    assert_eq!(called.id, second.id, "the typed one, not the oldest");
    assert!(matches!(
        call_number(&mut store, &who, 2, "A-2099"),
        Err(CounterError::NoTicket(l)) if l == "A-2099"
    ));
    assert!(matches!(
        call_number(&mut store, &who, 2, "12-A"),
        Err(CounterError::TicketNumber(_))
    ));
    // A no-show who comes back is called again by number.
    store
        .ticket_act(&who, 2, second.id, TicketAction::NoShow)
        .unwrap();
    let back = call_number(&mut store, &who, 2, "A-2002").unwrap();
    assert_eq!((back.id, back.state), (second.id, TicketState::Called));
    // A transfer to a line the office does not have says which it has.
    let boss = officer(&store, "supervisor1", "222222");
    let clerk = officer(&store, "petugas1", "111111");
    assert!(matches!(
        transfer(&mut store, &who, &clerk, 2, &back, "Q"),
        Err(CounterError::NoLine { line, known }) if line == "Q" && known == "A, B, P, C"
    ));
    let moved = transfer(&mut store, &who, &clerk, 2, &back, "b 4").unwrap();
    assert_eq!((moved.line.as_str(), moved.for_counter), ("B", Some(4)));
    // Closing the day: an officer may not; a supervisor turns the waiting into no-shows.
    assert!(close_day(&mut store, &who, &clerk, 2, today()).is_err());
    let closed = close_day(&mut store, &actor("supervisor1"), &boss, 9, today()).unwrap();
    let ids: Vec<Uuid> = closed.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&first.id) && ids.contains(&second.id));
    let report = day_report(&store, today(), now()).unwrap();
    assert_eq!((report.figures.no_show, report.closed_with_day), (2, 2));
    assert_eq!(report.figures.waiting, 0);
}
