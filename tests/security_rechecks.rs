//! pusat re-checks what a counter claims (issue 30): the fees of a decision, the receipts
//! that pay them, cancelled bookings, walk-ins. Each attacker's test acts as an enrolled
//! kiosk with its own key and a signed-in officer, pushing events signed exactly as loket
//! signs them, beside the honest flow that must still pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use loket::domain::case::{Biometrics, Decision, Interview, Payment, Purpose};
use loket::domain::fees::FeeSummary;
use loket::domain::queue::{TicketAction, TicketEvent};
use loket::domain::{Action, Booking, BookingCode, Case};
use loket::sync::{Client, SyncError};
use support::{Counter, OFFICE, Pusat, local_now, refusals};
use uuid::Uuid;

async fn case_status(pusat: &Pusat, id: Uuid) -> Option<String> {
    let db = pusat.pool.get().await.unwrap();
    db.query_opt("SELECT status FROM cases WHERE id = $1", &[&id])
        .await
        .unwrap()
        .map(|r| r.get(0))
}

/// Takes applicant 0 of the next booking through documents, interview and photo step, up
/// to the decision: the booking, the case.
fn to_decision<'a>(
    counter: &mut Counter,
    bookings: &mut impl Iterator<Item = &'a Booking>,
) -> (&'a Booking, Case) {
    let actor = counter.actor();
    let (b, case) = bookings
        .find_map(|b| Some((b, counter.serve_applicant(b, 0).ok()?)))
        .expect("a booking to serve");
    let interview = Interview {
        purpose: Some(Purpose::Tourism),
        destination: "Jepang".into(),
        occupation: "Guru".into(),
        length_of_stay: "14 hari".into(),
        emergency_contact: "Budi 0812".into(),
        chronology: "Hilang di perjalanan".into(),
        police_report_no: "LP/1/XI/2026".into(),
        ..Interview::default()
    };
    let mut case = case;
    for step in [
        Action::SaveInterview { interview },
        Action::CompleteInterview,
        Action::RecordPhotoPending {
            biometrics: Some(Biometrics::Pending),
        },
    ] {
        case = counter.store.apply(&actor, Some(case.id), &step).unwrap();
    }
    (b, case)
}

/// Single-applicant bookings of `jks` whose applicant paid nothing online, as the booking
/// system posts them again.
async fn unpaid(pusat: &Pusat, jks: &[Booking], n: usize) -> Vec<Booking> {
    let list: Vec<Booking> = jks
        .iter()
        .filter(|b| b.applicants.len() == 1)
        .take(n)
        .map(|b| {
            let mut b = b.clone();
            b.applicants[0].paid = None;
            b
        })
        .collect();
    assert_eq!(list.len(), n);
    let mut db = pusat.pool.get().await.unwrap();
    let json = serde_json::to_string(&list).unwrap();
    let imported = loket::server::admin::bookings_import(&mut db, "unpaid.json", &json, false)
        .await
        .unwrap();
    assert!(imported.refused.is_empty(), "{:?}", imported.refused);
    list
}

fn pay(by: &str, ntpn: &str, amount: i64) -> Action {
    Action::RecordPayment {
        payment: Payment {
            amount,
            ntpn: ntpn.into(),
            by: by.into(),
            at: local_now(),
        },
    }
}

fn continue_with(fee: FeeSummary) -> Action {
    Action::Decide {
        decision: Decision::Continue {
            fee,
            underpaid: None,
            flagged: None,
            waived: None,
        },
        at: local_now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_recomputes_the_fees_and_a_receipt_pays_once_in_an_office() {
    let (pusat, jks) = Pusat::start(30).await;
    let owing = unpaid(&pusat, &jks, 4).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let actor = counter.actor();
    let mut bookings = owing.iter();
    let today = support::today();

    // The honest one: the applicant shows the receipt for what is owed, the officer records
    // it, and the decision states the fees as the screen computed them.
    let (b, case) = to_decision(&mut counter, &mut bookings);
    let owed = support::fee_of(b, &case, today).difference();
    let case = counter
        .store
        .apply(
            &actor,
            Some(case.id),
            &pay(&actor.username, "0416A7C3B2E9F105", owed),
        )
        .unwrap();
    let fee = support::fee_of(b, &case, today);
    assert_eq!(fee.difference(), 0);
    counter
        .store
        .apply(&actor, Some(case.id), &continue_with(fee))
        .unwrap();
    let honest = case.id;

    // The forged ones, on bookings that owe: a summary with nothing to pay, one that says
    // the total was paid, and the honest receipt shown again for another applicant.
    let mut forged = Vec::new();
    let (_, case) = to_decision(&mut counter, &mut bookings);
    let zero = FeeSummary {
        lines: vec![],
        total: 0,
        paid: 0,
    };
    counter
        .store
        .apply(&actor, Some(case.id), &continue_with(zero))
        .unwrap();
    forged.push(case.id);
    let (b2, case) = to_decision(&mut counter, &mut bookings);
    let claimed = support::fee_of(b2, &case, today);
    let claimed = FeeSummary {
        paid: claimed.total,
        ..claimed
    };
    counter
        .store
        .apply(&actor, Some(case.id), &continue_with(claimed))
        .unwrap();
    forged.push(case.id);
    let (b3, case) = to_decision(&mut counter, &mut bookings);
    let owed3 = support::fee_of(b3, &case, today).difference();
    let again = pay(&actor.username, "0416A7C3B2E9F105", owed3);
    let case = counter.store.apply(&actor, Some(case.id), &again).unwrap();
    // The counter's own summary counts the receipt: the decision looks paid.
    let fee = support::fee_of(b3, &case, today);
    counter
        .store
        .apply(&actor, Some(case.id), &continue_with(fee))
        .unwrap();
    forged.push(case.id);
    counter.sync().await.unwrap();

    assert_eq!(case_status(&pusat, honest).await.unwrap(), "awaiting_photo");
    for id in &forged {
        assert_eq!(case_status(&pusat, *id).await.unwrap(), "open", "{id}");
    }
    let refused = refusals(&pusat).await;
    let fees = refused.iter().filter(|r| r.contains("not pusat's")).count();
    // The two forged summaries, and the decision whose receipt was refused.
    assert_eq!(fees, 3, "{refused:#?}");
    assert!(
        refused
            .iter()
            .any(|r| r.contains("NTPN 0416A7C3B2E9F105 is recorded already, on another case")),
        "{refused:#?}"
    );
    assert_eq!(refused.len(), 4, "{refused:#?}");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_booking_is_refused_at_the_counter_and_at_pusat() {
    let (pusat, jks) = Pusat::start(6).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let http = reqwest::Client::new();
    for b in &jks[..2] {
        let r = http
            .delete(format!("{}/api/v1/bookings/{}", pusat.url, b.code.as_str()))
            .bearer_auth(support::INTEGRATION_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // A counter that has not heard of the cancellation (or ignores it) checks one in: pusat
    // refuses it, and the applicant's status stays unserved.
    let forged = counter
        .check_in(&jks[0], 0, &[loket::domain::checklist::DocKind::EKtp])
        .unwrap();
    // The honest check-in of a booking still open goes through.
    let honest = counter
        .check_in(&jks[2], 0, &[loket::domain::checklist::DocKind::EKtp])
        .unwrap();
    counter.sync().await.unwrap();
    assert_eq!(case_status(&pusat, forged.id).await, None);
    assert_eq!(case_status(&pusat, honest.id).await.unwrap(), "open");
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(refused[0].contains("was cancelled"), "{refused:#?}");
    // The counter was told, in the push's answer: its status line counts it until the
    // officer looks (Ctrl+R), and a second push of the same events tells it no twice.
    assert_eq!(counter.store.sync_counts().unwrap().refused, 1);
    counter.store.unmark_pushed_from(1).unwrap();
    counter.sync().await.unwrap();
    let told = counter.store.take_refused().unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, "case.check_in");
    assert!(told[0].reason.contains("was cancelled"), "{told:?}");
    assert_eq!(counter.store.sync_counts().unwrap().refused, 0, "looked at");

    // Having synced, the counter refuses the other one itself, and says what to do.
    let actor = counter.actor();
    let err = loket::counter::check_in(&mut counter.store, &actor, &jks[1], 0, OFFICE).unwrap_err();
    assert!(
        matches!(&err, loket::counter::CounterError::Cancelled(code) if code == jks[1].code.as_str()),
        "{err:?}"
    );
    let lang = loket::text::Lang::Id;
    let said = loket::text::counter_text(&err, lang.strings(), lang);
    assert!(
        said.contains("dibatalkan") && said.contains("booking baru"),
        "{said}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_walk_ins_are_refused_kept_as_refused_and_reach_no_counter() {
    let (pusat, jks) = Pusat::start(2).await;
    let mut attacker = Counter::enroll(&pusat, 1).await;
    let mut other = Counter::enroll(&pusat, 2).await;
    attacker.sync().await.unwrap();
    let walk_in = |n: u64| support::walk_in(OFFICE, BookingCode::walk_in(n), &jks[0]);
    // The honest walk-in, registered as the counter does.
    let honest = walk_in(100);
    let actor = attacker.actor();
    attacker.store.register_walk_in(&actor, &honest).unwrap();
    attacker.sync().await.unwrap();

    // Each hostile one: (what it breaks, the field pusat names).
    let mut hostile: Vec<(serde_json::Value, &str)> = Vec::new();
    let mut add = |n: u64, field: &'static str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut v = serde_json::to_value(walk_in(n)).unwrap();
        change(&mut v);
        hostile.push((v, field));
    };
    add(1, "applicants", &|v| {
        v["applicants"] = serde_json::json!([])
    });
    add(2, "name", &|v| {
        v["applicants"][0]["name"] = "A".repeat(200_000).into()
    });
    add(3, "nik", &|v| {
        v["applicants"][0]["nik"] = "NOT-A-NIK".into()
    });
    add(4, "birth_date", &|v| {
        v["walk_in"] = "elderly".into();
        v["applicants"][0]["birth_date"] = "2999-01-01".into();
    });
    add(5, "paid", &|v| v["applicants"][0]["paid"] = (-5).into());
    add(6, "name", &|v| {
        v["applicants"][0]["name"] = "<script>x</script>=cmd|' /C calc'!A0\u{1b}[2J".into()
    });
    add(7, "name", &|v| {
        v["applicants"][0]["name"] = "SITI \u{202e}HAMIDAH".into()
    });
    add(8, "walk_in", &|v| {
        // "Elderly" for an applicant who is not.
        v["walk_in"] = "elderly".into();
        let young = support::today() - chrono::Days::new(30 * 365);
        v["applicants"][0]["birth_date"] = young.to_string().into();
    });
    let codes: Vec<String> = hostile
        .iter()
        .map(|(v, _)| v["code"].as_str().unwrap().to_owned())
        .collect();
    for (payload, _) in &hostile {
        support::push_event(&attacker, &pusat, "booking.walk_in", None, payload.clone()).await;
    }

    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), hostile.len(), "{refused:#?}");
    for ((_, field), code) in hostile.iter().zip(&codes) {
        let reason = refused
            .iter()
            .find(|r| r.starts_with(&format!("walk-in {code} refused")))
            .unwrap_or_else(|| panic!("{code} not refused: {refused:#?}"));
        assert!(reason.contains(field), "{field}: {reason}");
    }
    let db = pusat.pool.get().await.unwrap();
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM bookings WHERE code = ANY($1)",
            &[&codes],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "no hostile walk-in is stored");
    other.sync().await.unwrap();
    assert!(other.store.booking(&honest.code).unwrap().is_some());
    for code in &codes {
        let code = BookingCode::parse(code).unwrap();
        assert!(other.store.booking(&code).unwrap().is_none(), "{code:?}");
    }
    pusat.stop().await;
}

/// Every kind a counter writes, and one it does not.
const KINDS: [&str; 32] = [
    "case.check_in",
    "case.set_document",
    "case.set_identity",
    "case.set_checklist",
    "case.complete_documents",
    "case.save_interview",
    "case.complete_interview",
    "case.photo",
    "case.photo_pending",
    "case.biometrics",
    "case.billing_code",
    "case.payment",
    "case.decide",
    "case.resume",
    "case.ask_approval",
    "case.approval_returned",
    "ticket.issue",
    "ticket.call",
    "ticket.recall",
    "ticket.serve",
    "ticket.finish",
    "ticket.no_show",
    "ticket.reactivate",
    "ticket.transfer",
    "ticket.cancel",
    "ticket.reassign",
    "ticket.close_day",
    "booking.walk_in",
    "audit.view",
    "approval.answer",
    "officer.pin_failed",
    "shell.exec",
];

/// One NUL character in any field of any kind of event used to fail the push with 500:
/// neither stored nor refused, the counter resent it forever and its sync stopped. Now
/// each is stored as refused and the next push goes on; a kind pusat does not know is
/// refused too; and what a counter wrote reaches `pusat problems` shown, never obeyed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_any_field_of_any_event_is_refused_and_the_counter_s_sync_goes_on() {
    let (pusat, jks) = Pusat::start(3).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let case = counter
        .check_in(&jks[0], 0, &[loket::domain::checklist::DocKind::EKtp])
        .unwrap();
    counter.sync().await.unwrap();
    // In a text value, in a key, deep in a list: for every kind.
    let payloads = [
        serde_json::json!({ "note": "surat\u{0}hilang" }),
        serde_json::json!({ "a\u{0}": 1 }),
        serde_json::json!({ "list": [{ "x": ["ok", "\u{0}"] }] }),
    ];
    let mut pushed = 0;
    for kind in KINDS {
        for payload in &payloads {
            let id = kind.starts_with("case.").then_some(case.id);
            support::push_event(&counter, &pusat, kind, id, payload.clone()).await;
            pushed += 1;
        }
    }
    // A real act of the case with a NUL in its note; a NUL in the kind itself.
    let note = serde_json::to_value(Action::SetDocument {
        kind: loket::domain::checklist::DocKind::EKtp,
        status: loket::domain::checklist::DocStatus::Invalid,
        note: "foto\u{0}buram".into(),
    })
    .unwrap();
    support::push_event(&counter, &pusat, "case.set_document", Some(case.id), note).await;
    support::push_event(
        &counter,
        &pusat,
        "case.\u{0}decide",
        Some(case.id),
        serde_json::json!({}),
    )
    .await;
    // A kind pusat does not know, in the words of a terminal attack.
    let forged = "ticket.call\u{1b}]0;PWNED\u{7}\u{1b}[2J\nlevel=ERROR msg=\"pusat down\"";
    support::push_event(&counter, &pusat, forged, None, serde_json::json!({})).await;
    pushed += 3;

    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), pushed, "every one kept and refused");
    let nul = refused.iter().filter(|r| r.contains("NUL")).count();
    assert_eq!(nul, pushed - 1, "{refused:#?}");
    assert!(
        refused
            .iter()
            .any(|r| r.contains("kind pusat does not know"))
    );
    // The next act goes through and is applied: the device's sync is not wedged.
    let done = serde_json::to_value(Action::SetDocument {
        kind: loket::domain::checklist::DocKind::EKtp,
        status: loket::domain::checklist::DocStatus::Valid,
        note: String::new(),
    })
    .unwrap();
    support::push_event(&counter, &pusat, "case.set_document", Some(case.id), done).await;
    assert_eq!(refusals(&pusat).await.len(), pushed, "applied, not refused");

    // `pusat problems` shows the forged kind's escapes and new line, and obeys none.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pusat"))
        .args(["problems"])
        .env("DATABASE_URL", &pusat.db)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ticket.call\\u{1b}]0;PWNED"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{0}'),
        "{text:?}"
    );
    assert!(
        text.lines().all(|l| !l.starts_with("level=ERROR")),
        "no forged line: {text}"
    );
    pusat.stop().await;
}

/// The states pusat holds for `tickets`, in id order.
async fn ticket_states(db: &deadpool_postgres::Client, tickets: &[Uuid]) -> Vec<String> {
    db.query(
        "SELECT state FROM tickets WHERE id = ANY($1) ORDER BY id",
        &[&tickets],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn ticket_event(ticket: Uuid, counter: u32, action: TicketAction) -> serde_json::Value {
    serde_json::to_value(TicketEvent {
        ticket,
        counter,
        action,
    })
    .unwrap()
}

/// The queue goes by pusat's clock, not a counter's: a number issued last but stamped
/// 06:00 waits its turn. And only the counter holding a number, or a supervisor, marks it
/// absent or cancels it: another counter cannot empty its neighbour's queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_goes_by_pusat_s_clock_and_only_the_holder_empties_a_number() {
    let (pusat, jks) = Pusat::start(6).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    let mut three = Counter::enroll(&pusat, 3).await;
    for c in [&mut one, &mut two, &mut three] {
        c.sync().await.unwrap();
    }
    let today = support::today();
    let actor = one.actor();
    let (first, _) = loket::counter::issue_ticket(&mut one.store, &actor, 1, &jks[0]).unwrap();
    let (second, _) = loket::counter::issue_ticket(&mut one.store, &actor, 1, &jks[1]).unwrap();
    one.sync().await.unwrap();

    // Counter 2 issues a number last, its clock saying three hours ago (06:00 when the
    // office opened at nine, in the attack reproduced).
    let dawn = local_now() - chrono::Duration::hours(3);
    let jumper = Uuid::now_v7();
    let issue = TicketAction::Issue {
        day: today,
        line: "A".into(),
        number: *loket::domain::queue::block(2).start(),
        booking: Some(jks[2].code.as_str().to_owned()),
    };
    support::push_event_at(
        &two,
        &pusat,
        "ticket.issue",
        None,
        ticket_event(jumper, 2, issue),
        dawn,
    )
    .await;
    let called = three
        .client
        .call_next(&three.officer, today)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        called.id, first.id,
        "the first number issued is called first"
    );
    assert!(refusals(&pusat).await.is_empty());

    // Counter 1 calls the second; counter 2 marks it absent, and cancels counter 3's.
    let held = one
        .client
        .call_next(&one.officer, today)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.id, second.id);
    for (ticket, action, kind) in [
        (second.id, TicketAction::NoShow, "ticket.no_show"),
        (
            first.id,
            TicketAction::Cancel { reason: "-".into() },
            "ticket.cancel",
        ),
    ] {
        support::push_event(&two, &pusat, kind, None, ticket_event(ticket, 2, action)).await;
    }
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused
            .iter()
            .all(|r| r.contains("only the counter holding it")),
        "{refused:#?}"
    );
    let db = pusat.pool.get().await.unwrap();
    let states = ticket_states(&db, &[first.id, second.id]).await;
    assert_eq!(
        states,
        ["called", "called"],
        "both still called where they are"
    );

    // The holder marks its own absent; a supervisor may cancel anyone's.
    support::push_event(
        &one,
        &pusat,
        "ticket.no_show",
        None,
        ticket_event(second.id, 1, TicketAction::NoShow),
    )
    .await;
    let boss = two.signed_in(support::SUPERVISOR, support::SUPERVISOR_PIN);
    let cancel = ticket_event(
        first.id,
        2,
        TicketAction::Cancel {
            reason: "salah antre".into(),
        },
    );
    let mut event = loket::protocol::WireEvent {
        seq: 0,
        id: Uuid::now_v7(),
        kind: "ticket.cancel".into(),
        case_id: None,
        office: OFFICE.into(),
        officer: support::SUPERVISOR.into(),
        device_time: local_now(),
        payload: cancel,
        proof: None,
        signed: None,
        answers: None,
    };
    event.seq = support::stored_through(&pusat, two.credential.device_id).await + 1;
    two.client
        .push(&[support::signed(event, &boss)])
        .await
        .unwrap();
    assert_eq!(refusals(&pusat).await.len(), 2);
    let states = ticket_states(&db, &[first.id, second.id]).await;
    assert_eq!(states, ["cancelled", "no_show"]);
    pusat.stop().await;
}

/// A signed request taken off the wire and sent again within its ten minutes: a call used
/// to call another number each time, and a renewal gave a second token that locked the
/// real kiosk out. Each request that changes something is now taken once (its nonce), and a
/// renewal asked again answers the token it gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_request_is_taken_once_and_a_renewal_answers_one_token() {
    let (pusat, jks) = Pusat::start(4).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    desk.sync().await.unwrap();
    let actor = desk.actor();
    for b in &jks {
        loket::counter::issue_ticket(&mut desk.store, &actor, 9, b).unwrap();
    }
    desk.sync().await.unwrap();
    let mut one = Counter::enroll(&pusat, 1).await;
    one.sync().await.unwrap();

    // The call, as the kiosk signed it, and the same bytes again.
    let body = serde_json::to_vec(&loket::protocol::CallRequest {
        officer: one.officer.clone(),
        day: support::today(),
    })
    .unwrap();
    let captured = one
        .signed_with(
            &pusat.url,
            reqwest::Method::POST,
            "/api/v1/queue/call",
            &body,
        )
        .header("content-type", "application/json")
        .header(loket::protocol::HEADER, loket::protocol::VERSION)
        .body(body.clone())
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let again = captured.try_clone().unwrap();
    let first = http.execute(captured).await.unwrap();
    assert_eq!(first.status(), 200, "{:?}", first.text().await);
    let replayed = http.execute(again).await.unwrap();
    assert_eq!(replayed.status(), 401);
    let said: serde_json::Value = replayed.json().await.unwrap();
    assert!(
        said["message"].as_str().unwrap().contains("sent already"),
        "{said}"
    );
    let db = pusat.pool.get().await.unwrap();
    let called: i64 = db
        .query_one("SELECT count(*) FROM tickets WHERE state = 'called'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(called, 1, "one call, not two");

    // A renewal captured and sent again is refused; asked again by the kiosk, it answers
    // the same token, which then works.
    let renew = one
        .signed(&pusat.url, reqwest::Method::POST, "/api/v1/renew")
        .header(loket::protocol::HEADER, loket::protocol::VERSION)
        .build()
        .unwrap();
    let again = renew.try_clone().unwrap();
    let first: loket::protocol::RenewResponse =
        http.execute(renew).await.unwrap().json().await.unwrap();
    assert_eq!(http.execute(again).await.unwrap().status(), 401);
    let second = one.client.renew().await.unwrap();
    assert_eq!(second.token, first.token, "the pending token, not another");
    let renewed = Client::new(&pusat.url, &first.token, None)
        .unwrap()
        .signed(one.key.clone());
    renewed.pull(0).await.unwrap();
    // Once used, a renewal gives a new one.
    let third = renewed.renew().await.unwrap();
    assert_ne!(third.token, first.token);
    pusat.stop().await;
}

/// A line's quota holds at pusat too: a counter that pushes numbers past it (its own count
/// skipped, or two counters at once) has the extra ones refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_keeps_a_line_s_quota_whoever_gives_the_numbers_out() {
    let (pusat, _) = Pusat::start(1).await;
    let db = pusat.pool.get().await.unwrap();
    let queue = serde_json::json!({
        "lines": [
            { "prefix": "A", "name": "Reguler", "quota": 3 },
            { "prefix": "P", "name": "Prioritas", "priority": true },
        ]
    });
    db.execute(
        "UPDATE offices SET config = config || jsonb_build_object('queue', $2::jsonb) WHERE code = $1",
        &[&OFFICE, &queue],
    )
    .await
    .unwrap();
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    let today = support::today();
    let numbers = [(&one, 1u32), (&two, 2), (&one, 1), (&two, 2), (&two, 2)];
    for (i, (counter, n)) in numbers.into_iter().enumerate() {
        let number = *loket::domain::queue::block(n).start() + i as u32;
        let issue = TicketAction::Issue {
            day: today,
            line: "A".into(),
            number,
            booking: None,
        };
        support::push_event(
            counter,
            &pusat,
            "ticket.issue",
            None,
            ticket_event(Uuid::now_v7(), n, issue),
        )
        .await;
    }
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused.iter().all(|r| r.contains("reached its quota of 3")),
        "{refused:#?}"
    );
    let given: i64 = db
        .query_one("SELECT count(*) FROM tickets WHERE line = 'A'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(given, 3);
    pusat.stop().await;
}

/// One photo is one applicant's: the counter refuses a picture already recorded for
/// another applicant, and pusat refuses it from a counter that records it anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_photo_is_one_applicant_s_at_the_counter_and_at_pusat() {
    let (pusat, jks) = Pusat::start(6).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let jpeg = support::passport_jpeg(1);
    let first = counter.serve_to_photo(&jks[0], &jpeg).unwrap();
    // The honest counter: the same picture for the next applicant is refused, in words.
    let next = counter.serve_to_photo_step(&jks[1]).unwrap();
    let stored = loket::store::StoredPhoto {
        sha256: loket::domain::format::sha256_hex(&jpeg),
        bytes: jpeg.len() as u64,
    };
    let actor = counter.actor();
    let biometrics = Some(loket::domain::case::Biometrics::Pending);
    let refused = loket::counter::record_photo(
        &mut counter.store,
        &actor,
        next.id,
        &stored,
        vec![],
        None,
        biometrics,
    )
    .unwrap_err();
    assert!(
        matches!(&refused, loket::counter::CounterError::PhotoReused(b) if b == jks[0].code.as_str()),
        "{refused:?}"
    );
    let lang = loket::text::Lang::Id;
    let said = loket::text::counter_text(&refused, lang.strings(), lang);
    assert!(said.contains("satu foto untuk satu pemohon"), "{said}");
    // A counter that records it anyway (its store written directly): pusat refuses it.
    let copied = counter.serve_to_photo(&jks[2], &jpeg).unwrap();
    counter.sync().await.unwrap();
    let refused = refusals(&pusat).await;
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(
        refused[0].contains(&format!(
            "this photo is recorded already, on case {}",
            first.id
        )),
        "{refused:#?}"
    );
    let db = pusat.pool.get().await.unwrap();
    let photo = |id: Uuid| {
        let db = &db;
        async move {
            db.query_one(
                "SELECT state->'photo'->'taken'->>'sha256' FROM cases WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap()
            .get::<_, Option<String>>(0)
        }
    };
    assert_eq!(photo(first.id).await, Some(stored.sha256.clone()));
    assert_eq!(photo(copied.id).await, None, "the copy is not on the case");
    pusat.stop().await;
}

/// A counter holds one number at a time: pusat calls no second number for a counter that
/// still has one called or being served, whether it asks pusat to call, pushes a call it
/// made itself, or sends two calls at once; once the number is served and finished (and
/// pushed), it calls again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_holds_one_number_at_a_time() {
    let (pusat, jks) = Pusat::start(6).await;
    let mut desk = Counter::enroll(&pusat, 9).await;
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut two = Counter::enroll(&pusat, 2).await;
    let three = Counter::enroll(&pusat, 3).await;
    for c in [&mut desk, &mut one, &mut two] {
        c.sync().await.unwrap();
    }
    let today = support::today();
    let actor = desk.actor();
    for b in &jks {
        loket::counter::issue_ticket(&mut desk.store, &actor, 9, b).unwrap();
    }
    desk.sync().await.unwrap();
    let holding = |e: SyncError, label: &str| {
        assert!(
            matches!(&e, SyncError::Holding(held) if held == label),
            "{e} (expected to hold {label})"
        );
    };

    // The honest counter: a call, a second one refused until the first is finished.
    let first = two.client.call_next(&two.officer, today).await.unwrap();
    let first = first.expect("someone waits");
    let actor = two.actor();
    two.store.record_call(&actor, 2, &first).unwrap();
    holding(
        two.client.call_next(&two.officer, today).await.unwrap_err(),
        &first.label(),
    );
    two.finish_call(2, first.id).await;
    let next = two.client.call_next(&two.officer, today).await.unwrap();
    assert!(next.is_some_and(|t| t.id != first.id), "called again");

    // The attacker's counter: one call from pusat, then a call of its own pushed as an
    // event for another waiting number: a clash, and the number still waits.
    let mine = one.client.call_next(&one.officer, today).await.unwrap();
    let mine = mine.expect("someone waits");
    let db = pusat.pool.get().await.unwrap();
    let waiting: Uuid = db
        .query_one(
            "SELECT id FROM tickets WHERE state = 'issued' ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    support::push_event(
        &one,
        &pusat,
        "ticket.call",
        None,
        ticket_event(waiting, 1, TicketAction::Call),
    )
    .await;
    assert_eq!(ticket_states(&db, &[waiting]).await, ["issued"]);
    assert_eq!(ticket_states(&db, &[mine.id]).await, ["called"]);
    let clash: String = db
        .query_one(
            "SELECT reason FROM ticket_conflicts WHERE ticket = $1",
            &[&waiting],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        clash.contains(&format!("counter 1 still has {}", mine.label())),
        "{clash}"
    );
    holding(
        one.client.call_next(&one.officer, today).await.unwrap_err(),
        &mine.label(),
    );

    // Two calls at once from a counter holding nothing: one number, one refusal.
    let (a, b) = tokio::join!(
        three.client.call_next(&three.officer, today),
        three.client.call_next(&three.officer, today)
    );
    let (given, refused) = match (a, b) {
        (Ok(Some(t)), Err(e)) | (Err(e), Ok(Some(t))) => (t, e),
        other => panic!("one call each way: {other:?}"),
    };
    holding(refused, &given.label());
    let called_by_three: i64 = db
        .query_one(
            "SELECT count(*) FROM tickets WHERE counter = 3 AND state = 'called'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(called_by_three, 1);
    assert!(refusals(&pusat).await.is_empty(), "clashes, not refusals");
    pusat.stop().await;
}

/// Photo uploads cannot flood pusat's database: a photo is a JPEG of passport size within
/// 1 MiB, chunks are at least 64 KiB but the last and never rewrite what is stored, a
/// device completes a bounded number a day, and a photo no case names goes after a day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_uploads_are_passport_photos_in_bounded_chunks_and_quotas() {
    use support::chunk;
    let (pusat, jks) = Pusat::start(2).await;
    let mut kiosk = Counter::enroll(&pusat, 1).await;
    kiosk.sync().await.unwrap();
    let whole = |bytes: &[u8]| {
        let sha = loket::domain::format::sha256_hex(bytes);
        let n = bytes.len() as i64;
        (sha, (0, n - 1, n))
    };
    // An HTML page, a JPEG of another size, and a photo over the limit.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let (sha, range) = whole(&html);
    assert_eq!(chunk(&pusat, &kiosk, &sha, range, &html).await.0, 422);
    let mut wide = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut wide)
        .encode_image(&image::RgbImage::new(800, 600))
        .unwrap();
    let (sha, range) = whole(&wide);
    assert_eq!(chunk(&pusat, &kiosk, &sha, range, &wide).await.0, 422);
    let huge = vec![0xffu8; 64 * 1024];
    let sha = loket::domain::format::sha256_hex(&huge);
    let over = loket::server::photos::MAX_PHOTO + 1;
    assert_eq!(
        chunk(&pusat, &kiosk, &sha, (0, 65_535, over), &huge)
            .await
            .0,
        400
    );
    // After a first chunk, one-byte chunks are refused: each used to rewrite the photo.
    let photo = support::passport_jpeg(3);
    let (sha, _) = whole(&photo);
    let n = photo.len() as i64;
    let first = loket::protocol::PHOTO_CHUNK;
    assert_eq!(
        chunk(
            &pusat,
            &kiosk,
            &sha,
            (0, first as i64 - 1, n),
            &photo[..first]
        )
        .await
        .0,
        202
    );
    let one = first as i64;
    assert_eq!(
        chunk(&pusat, &kiosk, &sha, (one, one, n), &photo[first..=first])
            .await
            .0,
        400
    );
    let db = pusat.pool.get().await.unwrap();
    let stored: i64 = db
        .query_one(
            "SELECT length(data)::bigint FROM photos WHERE sha256 = $1",
            &[&sha],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored, 0,
        "chunks wait apart; the photo is written once, complete"
    );
    // The rest in one chunk completes it.
    assert_eq!(
        chunk(&pusat, &kiosk, &sha, (one, n - 1, n), &photo[first..])
            .await
            .0,
        201
    );
    let (kept, complete): (Vec<u8>, bool) = db
        .query_one(
            "SELECT data, complete FROM photos WHERE sha256 = $1",
            &[&sha],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert!(complete && kept == photo);
    let chunks: i64 = db
        .query_one("SELECT count(*) FROM photo_chunks", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(chunks, 0, "the chunks go once the photo is whole");
    let refused: i64 = db
        .query_one(
            "SELECT count(*) FROM photos WHERE complete AND sha256 <> $1",
            &[&sha],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(refused, 0, "nothing refused was kept");

    // A device's photos of the day are bounded.
    db.execute(
        "INSERT INTO photos (sha256, size, complete, device)
         SELECT md5(i::text) || md5(i::text), 1, true, $1 FROM generate_series(1, $2) AS i",
        &[
            &kiosk.credential.device_id,
            &(loket::server::photos::MAX_PHOTOS_PER_DAY as i32),
        ],
    )
    .await
    .unwrap();
    let next = support::passport_jpeg(4);
    let (next_sha, range) = whole(&next);
    assert_eq!(chunk(&pusat, &kiosk, &next_sha, range, &next).await.0, 429);

    // A photo a case names stays; one no case names goes after a day.
    let case = kiosk.serve_to_photo(&jks[0], &photo).unwrap();
    kiosk.sync().await.unwrap();
    assert!(case.photo != loket::domain::case::PhotoState::NotTaken);
    db.execute(
        "UPDATE photos SET updated_at = now() - interval '2 days'",
        &[],
    )
    .await
    .unwrap();
    let removed = loket::server::photos::expire(&db).await.unwrap();
    // The day's photos no case names, and the two refused uploads (emptied, unfinished).
    assert_eq!(
        removed,
        loket::server::photos::MAX_PHOTOS_PER_DAY as u64 + 2
    );
    let left: Vec<String> = db
        .query("SELECT sha256 FROM photos", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, [sha]);
    pusat.stop().await;
}

/// One device cannot hold the connections other kiosks wait for with long polls: beyond
/// its share, its pulls answer at once instead of waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_device_holds_at_most_its_share_of_long_polls() {
    let (pusat, _) = Pusat::start(1).await;
    let mut kiosk = Counter::enroll(&pusat, 1).await;
    kiosk.sync().await.unwrap();
    let mut cursor = 0;
    loop {
        let page = kiosk.client.pull(cursor).await.unwrap();
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    let share = loket::server::feed::MAX_WAITING_PER_DEVICE;
    let waiting: Vec<_> = (0..share)
        .map(|_| {
            let client = kiosk.client.clone();
            tokio::spawn(async move { client.pull_waiting(cursor, 25, 100).await })
        })
        .collect();
    // Given a moment to start waiting (nothing changes in the office meanwhile).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let beyond = kiosk.client.pull_waiting(cursor, 25, 100).await.unwrap();
    assert!(beyond.changes.is_empty());
    assert!(
        waiting.iter().all(|w| !w.is_finished()),
        "the device's share still waits; the one beyond it was answered at once"
    );
    for w in waiting {
        w.abort();
    }
    pusat.stop().await;
}

/// One client address cannot take the connections every kiosk needs: beyond its share of
/// open connections, pusat closes a new one at once; another address is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_share_of_connections() {
    use tokio::io::AsyncReadExt;
    let (pusat, _) = Pusat::start(0).await;
    // pusat as `pusat serve` runs it: the production limit, on its own listener.
    let state = loket::server::AppState::new(pusat.pool.clone(), None);
    let share = state.connections_per_client;
    assert_eq!(share, loket::server::MAX_CONNECTIONS_PER_CLIENT);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(loket::server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    // The attacker's idle connections, from 127.0.0.1, up to the share.
    let mut idle = Vec::new();
    for _ in 0..share {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // One more is closed by pusat at once: it reads the end of the stream, not a wait.
    let mut beyond = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), beyond.read(&mut buf))
        .await
        .expect("closed by pusat, not left waiting");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Another address (loopback's 127.0.0.2) is served meanwhile.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let health = other
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    // Once the attacker lets go, its address is served again.
    drop(idle);
    let mut served = false;
    for _ in 0..50 {
        if reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(served);
    let _ = stop.send(());
    let _ = server.await;
    pusat.stop().await;
}

/// The public status API says what is wrong with a code in words, not in a type's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_code_is_explained_in_words() {
    let (pusat, _) = Pusat::start(0).await;
    let answer = reqwest::get(format!("{}/api/v1/status/XXXXX", pusat.url))
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("10 characters, not 5"), "{message}");
    assert!(!message.contains("Length("), "{message}");
    pusat.stop().await;
}
