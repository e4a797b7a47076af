//! The office's queue across real processes' parts: counters (real SQLite files) and pusat
//! (in-process, on a real PostgreSQL). Numbers never collide, two counters calling against
//! each other never both get a ticket, a display reads the calls and nothing else, and a
//! call reaches a waiting long poll at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use std::collections::{HashMap, HashSet};

use loket::counter;
use loket::domain::queue::{TicketAction, TicketEvent, TicketState};
use loket::protocol::{Change, WireEvent};
use support::{Counter, OFFICE, Pusat};
use uuid::Uuid;

fn issue(
    c: &mut Counter,
    n: u32,
    b: &loket::domain::Booking,
) -> Result<(loket::domain::queue::Ticket, bool), counter::CounterError> {
    let actor = c.actor();
    counter::issue_ticket(&mut c.store, &actor, n, b)
}

fn call(
    c: &mut Counter,
    n: u32,
) -> Result<Option<loket::domain::queue::Ticket>, counter::CounterError> {
    let actor = c.actor();
    counter::call_next(&mut c.store, &actor, n)
}

/// pusat's tickets of the office: id → (state, counter).
async fn tickets_at_pusat(pusat: &Pusat) -> HashMap<Uuid, (String, Option<i32>)> {
    let db = pusat.pool.get().await.unwrap();
    db.query(
        "SELECT id, state, counter FROM tickets WHERE office = $1",
        &[&OFFICE],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), (r.get(1), r.get(2))))
    .collect()
}

/// A waiting-room display of the office, enrolled with its own code as `number`.
async fn enroll_display(
    pusat: &Pusat,
    number: u32,
) -> (loket::sync::Client, loket::protocol::EnrollResponse) {
    let code = {
        let db = pusat.pool.get().await.unwrap();
        loket::server::admin::enroll_code_for(&db, OFFICE, number, 1, loket::server::Role::Display)
            .await
            .unwrap()
            .0
    };
    let key = loket::sync::DeviceKey::generate();
    let enrolled = loket::sync::Client::enroll(&pusat.url, &code, None, &key)
        .await
        .unwrap();
    let display = loket::sync::Client::new(&pusat.url, &enrolled.token, None)
        .unwrap()
        .signed(key);
    (display, enrolled)
}

async fn refusals(pusat: &Pusat) -> Vec<String> {
    let db = pusat.pool.get().await.unwrap();
    db.query("SELECT reason FROM refused_events ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_counters_calling_against_each_other_never_share_a_ticket() {
    let (pusat, bookings) = Pusat::start(100).await;
    // The check-in desk gives out the numbers; counters 1 and 2 call them.
    let mut desk = Counter::enroll(&pusat, 9).await;
    desk.sync().await.unwrap();
    for b in &bookings {
        let (t, fresh) = issue(&mut desk, 9, b).unwrap();
        assert!(fresh);
        assert!((9001..=9999).contains(&t.number), "{}", t.label());
    }
    // A booking keeps its number.
    let (again, fresh) = issue(&mut desk, 9, &bookings[0]).unwrap();
    assert!(!fresh);
    assert_eq!(again.number, 9001);
    desk.sync().await.unwrap();
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    let mut lost = 0;
    for _ in 0..400 {
        let a = call(&mut one, 1).unwrap();
        let b = call(&mut two, 2).unwrap();
        if a.is_none() && b.is_none() {
            break;
        }
        let (ra, rb) = tokio::join!(one.sync(), two.sync());
        ra.unwrap();
        rb.unwrap();
        // The loser hears of it at its next pull.
        one.sync().await.unwrap();
        two.sync().await.unwrap();
        lost += one.store.take_lost_calls().unwrap().len();
        lost += two.store.take_lost_calls().unwrap().len();
        // The winner serves its applicant before its next call (pushed with that call).
        for (n, c) in [(1, &mut one), (2, &mut two)] {
            if let Some(held) = c.store.current_ticket(support::today(), n).unwrap() {
                let actor = c.actor();
                for action in [TicketAction::Serve, TicketAction::Finish] {
                    c.store.ticket_act(&actor, n, held.id, action).unwrap();
                }
            }
        }
    }
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    let central = tickets_at_pusat(&pusat).await;
    assert_eq!(central.len(), 100);
    assert!(
        central
            .values()
            .all(|(state, c)| state == "done" && matches!(c, Some(1 | 2))),
        "{central:?}"
    );
    // Each counter's own view agrees with pusat on who holds every ticket.
    for (c, store) in [(1, &one.store), (2, &two.store)] {
        for t in store.tickets(support::today()).unwrap() {
            let (_, holder) = &central[&t.id];
            assert_eq!(
                t.counter.map(|n| n as i32),
                *holder,
                "counter {c} sees {} held by {:?}",
                t.label(),
                t.counter
            );
        }
    }
    let db = pusat.pool.get().await.unwrap();
    let conflicts: i64 = db
        .query_one("SELECT COUNT(*) FROM ticket_conflicts", &[])
        .await
        .unwrap()
        .get(0);
    println!("100 tickets, {conflicts} calls lost at pusat, {lost} told to the loser");
    assert!(conflicts > 0, "the two counters raced for the same tickets");
    assert_eq!(
        conflicts as usize, lost,
        "every lost call is told to its counter"
    );
    assert!(refusals(&pusat).await.is_empty(), "a race is not an attack");
    pusat.stop().await;
}

/// Pushes one hand-made ticket event as `c`'s next event.
async fn push_ticket(c: &Counter, kind: &str, payload: serde_json::Value) {
    let seq = c.store.last_seq().unwrap() + 1 + pushed_extra(c);
    let event = WireEvent {
        seq,
        id: Uuid::now_v7(),
        kind: kind.into(),
        case_id: None,
        office: c.credential.office.code.clone(),
        officer: c.officer.clone(),
        device_time: support::local_now(),
        payload,
        proof: None,
        signed: None,
        answers: None,
    };
    // Signed as the counter's officer: what pusat then checks is the act itself.
    let event = support::signed(event, &c.actor());
    c.client.push(&[event]).await.unwrap();
}

/// Hand-made events pushed so far by this test (they are not in the counter's outbox).
fn pushed_extra(c: &Counter) -> i64 {
    thread_local! {
        static EXTRA: std::cell::RefCell<HashMap<Uuid, i64>> = Default::default();
    }
    EXTRA.with(|m| {
        let mut m = m.borrow_mut();
        let n = m.entry(c.credential.device_id).or_insert(0);
        let now = *n;
        *n += 1;
        now
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_ticket_events_are_refused_with_the_reason() {
    let (pusat, bookings) = Pusat::start(4).await;
    let mut honest = Counter::enroll(&pusat, 1).await;
    honest.sync().await.unwrap();
    let (ticket, _) = issue(&mut honest, 1, &bookings[0]).unwrap();
    honest.sync().await.unwrap();
    assert_eq!(tickets_at_pusat(&pusat).await.len(), 1);

    let mut attacker = Counter::enroll(&pusat, 2).await;
    // Its officer signs in there (the roster pulled): each event is proven, and what pusat
    // refuses is the act.
    attacker.sync().await.unwrap();
    let issue = |counter: u32, number: u32, line: &str| {
        serde_json::to_value(TicketEvent {
            ticket: Uuid::now_v7(),
            counter,
            action: TicketAction::Issue {
                day: support::today(),
                line: line.into(),
                number,
                booking: None,
            },
        })
        .unwrap()
    };
    // A number from counter 1's block, as counter 1; then as itself; another line.
    push_ticket(&attacker, "ticket.issue", issue(1, 1002, "A")).await;
    push_ticket(&attacker, "ticket.issue", issue(2, 1002, "A")).await;
    push_ticket(&attacker, "ticket.issue", issue(2, 2001, "Z")).await;
    // A day long past, and a booking pusat does not know.
    let mut old = issue(2, 2001, "A");
    old["day"] = (support::today() - chrono::Days::new(5)).to_string().into();
    push_ticket(&attacker, "ticket.issue", old).await;
    let mut unknown = issue(2, 2002, "A");
    unknown["booking"] = "ZZZZZ-ZZZZZ".into();
    push_ticket(&attacker, "ticket.issue", unknown).await;
    // Taking over counter 1's ticket, and moving it to a line the office does not run.
    let act = |action| {
        serde_json::to_value(TicketEvent {
            ticket: ticket.id,
            counter: 2,
            action,
        })
        .unwrap()
    };
    push_ticket(
        &attacker,
        "ticket.transfer",
        act(TicketAction::Transfer {
            line: "Q".into(),
            counter: None,
        }),
    )
    .await;
    // A kind that does not match its payload.
    push_ticket(
        &attacker,
        "ticket.call",
        act(TicketAction::Cancel { reason: "x".into() }),
    )
    .await;
    // Another office's counter calls this office's ticket.
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_office(&mut db, "MKS", 2).await;
    }
    let mut outsider = Counter::enroll_at(&pusat, "MKS", 1).await;
    outsider.sync().await.unwrap();
    push_ticket(&outsider, "ticket.call", {
        let mut v = act(TicketAction::Call);
        v["counter"] = 1.into();
        v
    })
    .await;
    let reasons = refusals(&pusat).await;
    println!("{reasons:#?}");
    let expect = [
        "acts as counter 1",
        "outside counter 2's block",
        "has no line Z",
        "is not for today",
        "booking ZZZZZ-ZZZZZ is unknown to pusat",
        "has no line Q",
        "the event is ticket.call, its payload ticket.cancel",
        "belongs to another office",
    ];
    for e in expect {
        assert!(reasons.iter().any(|r| r.contains(e)), "{e}: {reasons:?}");
    }
    // Nothing of it applied: one ticket, still waiting.
    let central = tickets_at_pusat(&pusat).await;
    assert_eq!(central.len(), 1);
    assert_eq!(central[&ticket.id].0, TicketState::Issued.label());
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_reads_the_calls_at_once_and_can_write_nothing() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut desk = Counter::enroll(&pusat, 1).await;
    desk.sync().await.unwrap();
    let (ticket, _) = issue(&mut desk, 1, &bookings[0]).unwrap();
    desk.sync().await.unwrap();

    // A display enrolled with its own code.
    let (display, enrolled) = enroll_display(&pusat, 1).await;
    assert_eq!(enrolled.role, "display");
    let first = display.pull(0).await.unwrap();
    assert!(
        first
            .changes
            .iter()
            .all(|c| matches!(c.change, Change::Ticket(_) | Change::Office(_))),
        "a display sees no bookings, cases or officers"
    );
    assert!(
        first
            .changes
            .iter()
            .any(|c| matches!(&c.change, Change::Ticket(t) if t.id == ticket.id))
    );
    // Its credential cannot push.
    let forged = WireEvent {
        seq: 1,
        id: Uuid::now_v7(),
        kind: "ticket.call".into(),
        case_id: None,
        office: OFFICE.into(),
        officer: "x".into(),
        device_time: support::local_now(),
        payload: serde_json::json!({}),
        proof: None,
        signed: None,
        answers: None,
    };
    let refused = display.push(&[forged]).await.unwrap_err();
    assert!(format!("{refused}").contains("display"), "{refused}");

    // A long poll waiting at pusat gets counter 1's call as soon as it is pushed.
    let cursor = first.cursor;
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let page = display.pull_waiting(cursor, 20, 100).await.unwrap();
        (page, started.elapsed())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let called = std::time::Instant::now();
    call(&mut desk, 1).unwrap().unwrap();
    desk.sync().await.unwrap();
    let (page, waited) = waiting.await.unwrap();
    println!(
        "call at counter 1 → display: {:?} after the push began ({waited:?} waited)",
        called.elapsed()
    );
    let seen: HashSet<_> = page
        .changes
        .iter()
        .filter_map(|c| match &c.change {
            Change::Ticket(t) => Some((t.id, t.state, t.counter)),
            _ => None,
        })
        .collect();
    assert!(
        seen.contains(&(ticket.id, TicketState::Called, Some(1))),
        "{seen:?}"
    );
    // Woken by the commit, not by the 20-second limit.
    assert!(waited < std::time::Duration::from_secs(15), "{waited:?}");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_drops_the_tickets_of_past_days_from_the_feed() {
    let (pusat, bookings) = Pusat::start(2).await;
    let mut desk = Counter::enroll(&pusat, 1).await;
    desk.sync().await.unwrap();
    let (today, _) = issue(&mut desk, 1, &bookings[0]).unwrap();
    desk.sync().await.unwrap();
    // A ticket of three days ago, as the feed would hold it had it been kept.
    let mut old = today.clone();
    old.id = Uuid::now_v7();
    old.day = support::today() - chrono::Days::new(3);
    let db = pusat.pool.get().await.unwrap();
    let body = serde_json::to_value(Change::Ticket(old.clone())).unwrap();
    db.execute(
        "INSERT INTO changes (office, pos, kind, key, body)
         SELECT $1, last + 1000, 'ticket', $2, $3 FROM feeds WHERE office = $1",
        &[&OFFICE, &old.id.to_string(), &body],
    )
    .await
    .unwrap();
    let kept =
        |rows: Vec<tokio_postgres::Row>| -> Vec<String> { rows.iter().map(|r| r.get(0)).collect() };
    let before = kept(
        db.query("SELECT key FROM changes WHERE kind = 'ticket'", &[])
            .await
            .unwrap(),
    );
    assert_eq!(before.len(), 2);
    loket::server::feed::compact(&db).await.unwrap();
    let after = kept(
        db.query("SELECT key FROM changes WHERE kind = 'ticket'", &[])
            .await
            .unwrap(),
    );
    assert_eq!(after, [today.id.to_string()]);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_pusat_gives_each_caller_its_own_ticket() {
    let (pusat, bookings) = Pusat::start(100).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    desk.sync().await.unwrap();
    for b in &bookings {
        issue(&mut desk, 9, b).unwrap();
    }
    desk.sync().await.unwrap();
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    let day = support::today();
    // Both call 50 times, each call at the same instant as the other's, and each serves
    // its number before the next call (a counter holds one number at a time).
    let mut got: HashMap<Uuid, u32> = HashMap::new();
    for round in 0..50 {
        let (a, b) = tokio::join!(
            one.client.call_next(&one.officer, day),
            two.client.call_next(&two.officer, day)
        );
        for (n, c, t) in [(1, &mut one, a), (2, &mut two, b)] {
            let t = t.unwrap().expect("someone waits");
            assert_eq!(t.counter, Some(n));
            assert!(got.insert(t.id, n).is_none(), "{} given twice", t.label());
            let actor = c.actor();
            c.store.record_call(&actor, n, &t).unwrap();
            // The last call is left standing.
            if round < 49 {
                c.finish_call(n, t.id).await;
            }
        }
    }
    // Each still has its last call: pusat calls no second number for either.
    for c in [&one, &two] {
        let holding = c.client.call_next(&c.officer, day).await.unwrap_err();
        assert!(
            matches!(holding, loket::sync::SyncError::Holding(_)),
            "{holding}"
        );
    }
    let last = one.store.current_ticket(day, 1).unwrap();
    one.finish_call(1, last.expect("counter 1's last call").id)
        .await;
    assert!(
        one.client
            .call_next(&one.officer, day)
            .await
            .unwrap()
            .is_none()
    );
    // Their outboxes reach pusat as the same calls: no conflict, nothing refused.
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    let central = tickets_at_pusat(&pusat).await;
    let (mut done, mut called) = (0, 0);
    for (id, n) in &got {
        match central[id].0.as_str() {
            "done" => done += 1,
            "called" => called += 1,
            other => panic!("{other}"),
        }
        assert_eq!(central[id].1, Some(*n as i32));
    }
    assert_eq!((done, called), (99, 1), "counter 2's last call stands");
    let db = pusat.pool.get().await.unwrap();
    let conflicts: i64 = db
        .query_one("SELECT COUNT(*) FROM ticket_conflicts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(conflicts, 0);
    assert!(
        refusals(&pusat).await.is_empty(),
        "{:?}",
        refusals(&pusat).await
    );
    // An officer not on the roster cannot call.
    let refused = one.client.call_next("nobody", day).await.unwrap_err();
    assert!(format!("{refused}").contains("roster"), "{refused}");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_day_turns_the_waiting_into_no_shows_and_the_report_counts_the_events() {
    let (pusat, bookings) = Pusat::start(6).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    desk.sync().await.unwrap();
    for b in &bookings {
        issue(&mut desk, 9, b).unwrap();
    }
    desk.sync().await.unwrap();
    let mut one = Counter::enroll(&pusat, 1).await;
    one.sync().await.unwrap();
    let actor = one.actor();
    let served = call(&mut one, 1).unwrap().unwrap();
    for action in [TicketAction::Serve, TicketAction::Finish] {
        one.store.ticket_act(&actor, 1, served.id, action).unwrap();
    }
    // The served applicant's documents are checked (a case's first step).
    let served_booking = bookings
        .iter()
        .find(|b| Some(b.code.as_str()) == served.booking.as_deref())
        .unwrap();
    one.serve_applicant(served_booking, 0).unwrap();
    let absent = call(&mut one, 1).unwrap().unwrap();
    one.store
        .ticket_act(&actor, 1, absent.id, TicketAction::NoShow)
        .unwrap();
    // The next one is called and left standing: closing the day closes it too.
    call(&mut one, 1).unwrap().unwrap();
    one.sync().await.unwrap();

    // An officer cannot close the day, at the counter or by a hand-made event.
    let clerk = loket::store::Officer {
        username: one.officer.clone(),
        nip: String::new(),
        name: "Petugas".into(),
        role: loket::store::Role::Officer,
    };
    assert!(matches!(
        counter::close_day(&mut one.store, &actor, &clerk, 1, support::today()),
        Err(counter::CounterError::Auth(
            loket::store::AuthError::NotSupervisor
        ))
    ));
    push_ticket(
        &one,
        "ticket.close_day",
        serde_json::to_value(TicketEvent {
            ticket: served.id,
            counter: 1,
            action: TicketAction::CloseDay,
        })
        .unwrap(),
    )
    .await;
    let reasons = refusals(&pusat).await;
    assert!(
        reasons.iter().any(|r| r.contains("is for a supervisor")),
        "{reasons:?}"
    );

    // The supervisor's terminal (counter 2) closes the day.
    let mut board = Counter::enroll(&pusat, 2).await;
    board.officer = support::SUPERVISOR.to_owned();
    board.sync().await.unwrap();
    let boss = loket::store::Officer {
        username: support::SUPERVISOR.to_owned(),
        nip: String::new(),
        name: "Supervisor".into(),
        role: loket::store::Role::Supervisor,
    };
    let boss_actor = board.actor();
    let closed =
        counter::close_day(&mut board.store, &boss_actor, &boss, 2, support::today()).unwrap();
    assert_eq!(closed.len(), 4, "three waiting and one called");
    board.sync().await.unwrap();

    let central = tickets_at_pusat(&pusat).await;
    let count = |state: TicketState| central.values().filter(|(s, _)| s == state.label()).count();
    assert_eq!(count(TicketState::Issued) + count(TicketState::Called), 0);
    assert_eq!(count(TicketState::NoShow), 5);

    // pusat's report counts what the events say.
    let db = pusat.pool.get().await.unwrap();
    let events = |kind: &'static str| {
        let db = &db;
        async move {
            let n: i64 = db
                .query_one(
                    "SELECT COUNT(*) FROM events e WHERE kind = $1
                     AND NOT EXISTS (SELECT 1 FROM refused_events r WHERE r.event = e.id)",
                    &[&kind],
                )
                .await
                .unwrap()
                .get(0);
            n as usize
        }
    };
    let report = loket::server::tickets::day_report(&db, OFFICE, Some(support::today()))
        .await
        .unwrap();
    println!("{}", report.csv());
    let f = &report.figures;
    assert_eq!(f.issued, events("ticket.issue").await);
    assert_eq!(f.done, events("ticket.finish").await);
    assert_eq!(
        f.no_show,
        events("ticket.no_show").await + events("ticket.close_day").await
    );
    assert_eq!(report.closed_with_day, events("ticket.close_day").await);
    assert_eq!((f.issued, f.done, f.no_show, f.waiting), (6, 1, 5, 0));
    assert_eq!(
        report.csv().lines().count(),
        7,
        "a header and a row per ticket"
    );
    // The documents step of the served case is timed, from every counter's events.
    let documents = report
        .steps
        .iter()
        .find(|(step, _, _)| *step == loket::domain::Step::Documents)
        .unwrap();
    assert!(documents.1.is_some(), "{:?}", report.steps);
    assert!(report.html().contains("Waktu per langkah"));
    // The supervisor's terminal, having pulled everything, reports the same.
    board.sync().await.unwrap();
    let local = counter::day_report(&board.store, support::today(), support::local_now()).unwrap();
    assert_eq!(
        (
            local.figures.issued,
            local.figures.done,
            local.figures.no_show
        ),
        (f.issued, f.done, f.no_show)
    );
    assert_eq!(local.closed_with_day, report.closed_with_day);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_number_keeps_its_label_and_never_clashes_on_its_new_line() {
    let (pusat, bookings) = Pusat::start(2).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    one.sync().await.unwrap();
    let actor = one.actor();
    let rules = counter::queue_rules(&one.store);
    let (first, _) = issue(&mut one, 1, &bookings[0]).unwrap();
    let from = first.line.clone();
    let to = rules
        .lines
        .iter()
        .find(|l| l.prefix != from)
        .unwrap()
        .clone();
    let moved = one
        .store
        .ticket_act(
            &actor,
            1,
            first.id,
            TicketAction::Transfer {
                line: to.prefix.clone(),
                counter: None,
            },
        )
        .unwrap();
    assert_eq!(moved.label(), first.label(), "the slip's number stands");
    // The same number given on the new line is another ticket, at the counter and at pusat.
    let other = one
        .store
        .issue_ticket(
            &actor,
            1,
            &to,
            support::today(),
            Some(bookings[1].code.as_str()),
        )
        .unwrap();
    assert_eq!(other.number, first.number);
    assert_ne!(other.label(), moved.label());
    // And the counter's own next number on the first line is a new one.
    let (next, _) = {
        let line = rules.line(&from).unwrap().clone();
        let t = one
            .store
            .issue_ticket(&actor, 1, &line, support::today(), None)
            .unwrap();
        (t, ())
    };
    assert_eq!(next.number, first.number + 1, "{}", next.label());
    one.sync().await.unwrap();
    assert!(
        refusals(&pusat).await.is_empty(),
        "{:?}",
        refusals(&pusat).await
    );
    assert_eq!(tickets_at_pusat(&pusat).await.len(), 3);
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_learns_which_counters_are_out_of_touch_and_a_display_may_not_ask() {
    let (pusat, _) = Pusat::start(1).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    one.sync().await.unwrap();
    // Counter 2 is enrolled and never heard from again.
    let _two = Counter::enroll(&pusat, 2).await;
    {
        let db = pusat.pool.get().await.unwrap();
        db.execute("UPDATE devices SET last_seen = NULL WHERE counter = 2", &[])
            .await
            .unwrap();
    }
    let status = one.client.office_status().await.unwrap();
    let seen: Vec<(u32, bool)> = status
        .counters
        .iter()
        .map(|c| (c.counter, c.last_seen.is_some()))
        .collect();
    assert_eq!(seen, vec![(1, true), (2, false)]);
    assert_eq!((status.conflicts_today, status.refused_today), (0, 0));
    // Another office's counters are not listed; a display cannot ask at all.
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_office(&mut db, "MKS", 2).await;
    }
    let mut outsider = Counter::enroll_at(&pusat, "MKS", 7).await;
    outsider.sync().await.unwrap();
    let theirs = outsider.client.office_status().await.unwrap();
    assert_eq!(
        theirs
            .counters
            .iter()
            .map(|c| c.counter)
            .collect::<Vec<_>>(),
        vec![7]
    );
    let (display, _) = enroll_display(&pusat, 20).await;
    let refused = display.office_status().await.unwrap_err();
    assert!(format!("{refused}").contains("display"), "{refused}");
    pusat.stop().await;
}

/// pusat's caller task keeps what it knows of the office current from the office's feed:
/// a number issued, a call made offline, an officer removed — each after the task first
/// read the office — count at the next call.
/// Two numbers given out at the desk (counter 9) and pushed; counter 1 asks pusat for the
/// next call and records it: (first, second, the call), the call being the first.
async fn desk_gives_two_and_one_calls(
    desk: &mut Counter,
    one: &mut Counter,
    bookings: &[loket::domain::Booking],
) -> (
    loket::domain::queue::Ticket,
    loket::domain::queue::Ticket,
    loket::domain::queue::Ticket,
) {
    let (first, _) = issue(desk, 9, &bookings[0]).unwrap();
    let (second, _) = issue(desk, 9, &bookings[1]).unwrap();
    desk.sync().await.unwrap();
    let got = one
        .client
        .call_next(&one.officer, support::today())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.id, first.id);
    let actor = one.actor();
    one.store.record_call(&actor, 1, &got).unwrap();
    (first, second, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_s_calls_follow_what_changed_since_its_last_call() {
    let (pusat, bookings) = Pusat::start(4).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    for c in [&mut desk, &mut one, &mut two] {
        c.sync().await.unwrap();
    }
    let day = support::today();
    // Nobody waits: the task reads the office and answers none.
    assert!(
        one.client
            .call_next(&one.officer, day)
            .await
            .unwrap()
            .is_none()
    );
    // A number issued since (by a push) is the next call's.
    let (_, second, got) = desk_gives_two_and_one_calls(&mut desk, &mut one, &bookings).await;
    one.finish_call(1, got.id).await;
    // Counter 2 calls the other one offline (from what it knows) and pushes it: pusat's
    // next call must not give it again.
    two.sync().await.unwrap();
    let offline = call(&mut two, 2).unwrap().unwrap();
    assert_eq!(offline.id, second.id);
    two.sync().await.unwrap();
    assert!(
        one.client
            .call_next(&one.officer, day)
            .await
            .unwrap()
            .is_none(),
        "the ticket called offline is taken"
    );
    // An officer removed from the roster since the last call can no longer call.
    {
        let mut db = pusat.pool.get().await.unwrap();
        loket::server::admin::officer_remove(&mut db, &one.officer)
            .await
            .unwrap();
    }
    issue(&mut desk, 9, &bookings[2]).unwrap();
    desk.sync().await.unwrap();
    let refused = one.client.call_next(&one.officer, day).await.unwrap_err();
    assert!(format!("{refused}").contains("roster"), "{refused}");
    pusat.stop().await;
}

/// The caller task chooses from what it knows of the office (read at most half a second
/// before); the write itself checks the officer is still on the roster, so an officer
/// removed a moment ago cannot call even while that knowledge is fresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_removed_a_moment_ago_cannot_call() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    for c in [&mut desk, &mut one] {
        c.sync().await.unwrap();
    }
    let day = support::today();
    let (first, _) = issue(&mut desk, 9, &bookings[0]).unwrap();
    let (second, _) = issue(&mut desk, 9, &bookings[1]).unwrap();
    desk.sync().await.unwrap();
    let got = one.client.call_next(&one.officer, day).await.unwrap();
    assert_eq!(got.map(|t| t.id), Some(first.id));
    // At once: the task still has the second ticket waiting and the officer on its roster.
    {
        let mut db = pusat.pool.get().await.unwrap();
        loket::server::admin::officer_remove(&mut db, &one.officer)
            .await
            .unwrap();
    }
    let refused = one.client.call_next(&one.officer, day).await.unwrap_err();
    assert!(format!("{refused}").contains("roster"), "{refused}");
    let tickets = tickets_at_pusat(&pusat).await;
    assert_eq!(
        tickets[&second.id].0, "issued",
        "the refused call took nothing"
    );
    pusat.stop().await;
}

/// Ctrl+T at counter 1 with a counter's number: the number waits for counter 2, whose next
/// call takes it before the others waiting. The acting counter and the target are separate
/// fields: under one name pusat used to refuse the transfer ("acts as counter 2, the device
/// is counter 1"), so counter 2 never saw the number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_transferred_to_a_counter_is_that_counter_s_next_call() {
    let (pusat, bookings) = Pusat::start(3).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    for c in [&mut desk, &mut one, &mut two] {
        c.sync().await.unwrap();
    }
    let day = support::today();
    let (first, second, got) = desk_gives_two_and_one_calls(&mut desk, &mut one, &bookings).await;
    let actor = one.actor();
    let officer = loket::store::Officer {
        username: one.officer.clone(),
        nip: String::new(),
        name: "Petugas".into(),
        role: loket::store::Role::Officer,
    };
    // A counter the office does not have is refused at the keyboard (pusat told every
    // counter which it enrolled), and at pusat when pushed anyway.
    let nowhere = counter::transfer(&mut one.store, &actor, &officer, 1, &got, "99");
    assert!(
        matches!(
            &nowhere,
            Err(counter::CounterError::NoCounter { counter: 99, known }) if known == "1, 2, 9"
        ),
        "{nowhere:?}"
    );
    push_ticket(
        &two,
        "ticket.transfer",
        serde_json::to_value(TicketEvent {
            ticket: got.id,
            counter: 2,
            action: TicketAction::Transfer {
                line: got.line.clone(),
                counter: Some(99),
            },
        })
        .unwrap(),
    )
    .await;
    let reasons = refusals(&pusat).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("has no counter 99"), "{reasons:?}");
    let moved = counter::transfer(&mut one.store, &actor, &officer, 1, &got, "2").unwrap();
    assert_eq!(moved.for_counter, Some(2));
    one.sync().await.unwrap();
    assert_eq!(
        refusals(&pusat).await.len(),
        1,
        "{:?}",
        refusals(&pusat).await
    );
    let central = tickets_at_pusat(&pusat).await;
    assert_eq!(
        central[&first.id].0, "issued",
        "waiting again, for counter 2"
    );
    // Counter 2's next call is the transferred number, though the other waited longer.
    // (pusat's caller chooses from what it read of the office up to half a second before
    // — `FRESH` in server/tickets.rs — so a call within that half second of the transfer
    // may not see it yet; counter 2 calls after it.)
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let next = two
        .client
        .call_next(&two.officer, day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, first.id);
    assert_ne!(next.id, second.id);
    pusat.stop().await;
}
