//! A supervisor approves from the board what a counter asked (the supervisor is not at the
//! counter): counters are real SQLite files, pusat runs on a real PostgreSQL. The honest
//! path ends in the case decided with the supervisor named, as a PIN at the counter would;
//! beside it the attacker's answers — an officer who is no supervisor, the asker answering
//! themselves, another office, a request that does not wait, an answer given twice — each
//! refused by pusat with the reason, the case untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use loket::counter::{self, CounterError};
use loket::domain::case::{Asked, CaseStatus};
use loket::domain::checklist::{DocKind, DocStatus};
use loket::domain::{Action, Step};
use loket::protocol::{ApprovalAnswer, WireEvent};
use loket::store::{AuthError, Officer, Role};
use support::{Counter, Pusat, SUPERVISOR};
use uuid::Uuid;

async fn refusals(pusat: &Pusat) -> Vec<String> {
    let db = pusat.pool.get().await.unwrap();
    db.query("SELECT reason FROM refused_events ORDER BY at, seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Pushes `answer` by hand as event `seq` of `c`, as `officer` (a device never synced
/// otherwise, so its sequence is the test's), proven with `key` (that officer's, when
/// they typed their PIN at `c`).
async fn push_answer(
    c: &Counter,
    seq: i64,
    officer: &str,
    answer: &ApprovalAnswer,
    key: Option<&loket::proof::ProofKey>,
) {
    let mut event = WireEvent {
        seq,
        id: Uuid::now_v7(),
        kind: "approval.answer".into(),
        case_id: Some(answer.case_id),
        office: c.credential.office.code.clone(),
        officer: officer.into(),
        device_time: support::local_now(),
        payload: serde_json::to_value(answer).unwrap(),
        proof: None,
        signed: None,
        answers: None,
    };
    event.signed = key.map(|k| k.sign_event(&event.facts()));
    c.client.push(&[event]).await.unwrap();
}

fn supervisor(username: &str) -> Officer {
    Officer {
        username: username.into(),
        nip: String::new(),
        name: "Supervisor".into(),
        role: Role::Supervisor,
    }
}

/// Checks in applicant `n` of `b` at `c` with the e-KTP found invalid: the documents step
/// needs a supervisor.
fn case_needing_override(c: &mut Counter, b: &loket::domain::Booking, n: usize) -> Uuid {
    let actor = c.actor();
    let case = c
        .check_in(b, n, &[DocKind::EKtp, DocKind::FamilyCard])
        .unwrap();
    for (kind, status, note) in [
        (DocKind::EKtp, DocStatus::Invalid, "laminasi rusak"),
        (DocKind::FamilyCard, DocStatus::Valid, ""),
    ] {
        let set = Action::SetDocument {
            kind,
            status,
            note: note.into(),
        };
        c.store.apply(&actor, Some(case.id), &set).unwrap();
    }
    case.id
}

async fn case_at_pusat(pusat: &Pusat, id: Uuid) -> loket::domain::Case {
    let db = pusat.pool.get().await.unwrap();
    let state: serde_json::Value = db
        .query_one("SELECT state FROM cases WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    serde_json::from_value(state).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_approves_what_a_counter_asked_and_refuses_every_forged_answer() {
    let (pusat, bookings) = Pusat::start(4).await;
    {
        let mut db = pusat.pool.get().await.unwrap();
        support::add_office(&mut db, "MKS", 2).await;
    }
    let mut one = Counter::enroll(&pusat, 1).await;
    let mut board = Counter::enroll(&pusat, 2).await;
    let attacker = Counter::enroll(&pusat, 3).await;
    let elsewhere = Counter::enroll_at(&pusat, "MKS", 1).await;
    one.sync().await.unwrap();
    board.sync().await.unwrap();
    board.officer = SUPERVISOR.into();

    // Counter 1 asks the board to let the documents pass; the case waits.
    let asked = case_needing_override(&mut one, &bookings[0], 0);
    let actor = one.actor();
    let case = counter::ask_approval(
        &mut one.store,
        &actor,
        asked,
        Asked::Documents { problems: vec![] },
    )
    .unwrap();
    let request = case.awaiting.as_ref().unwrap().id;
    assert_eq!(case.current_step(), Some(Step::Documents));
    // Asking twice is refused: one request waits at a time.
    let twice = counter::ask_approval(
        &mut one.store,
        &actor,
        asked,
        Asked::Documents { problems: vec![] },
    );
    assert!(
        matches!(
            twice,
            Err(counter::CounterError::Store(
                loket::store::StoreError::Case(loket::domain::case::CaseError::AlreadyAwaiting)
            ))
        ),
        "{twice:?}"
    );
    one.sync().await.unwrap();
    board.sync().await.unwrap();
    let waiting = board.store.awaiting_approvals().unwrap();
    assert_eq!(waiting.len(), 1, "the board lists the request");
    assert_eq!(
        (waiting[0].case_id, waiting[0].counter, waiting[0].ask.id),
        (asked, Some(1), request)
    );

    // At the board: an officer cannot answer, nor the officer who asked.
    let board_actor = board.actor();
    let clerk = Officer {
        role: Role::Officer,
        ..supervisor(support::OFFICER)
    };
    assert!(matches!(
        counter::answer_approval(
            &mut board.store,
            &board_actor,
            &clerk,
            &waiting[0],
            true,
            ""
        ),
        Err(CounterError::Auth(AuthError::NotSupervisor))
    ));
    assert!(matches!(
        counter::answer_approval(
            &mut board.store,
            &board_actor,
            &supervisor(support::OFFICER),
            &waiting[0],
            true,
            ""
        ),
        Err(CounterError::SelfApproval)
    ));
    // Sending back needs a note.
    assert!(matches!(
        counter::answer_approval(
            &mut board.store,
            &board_actor,
            &supervisor(SUPERVISOR),
            &waiting[0],
            false,
            " "
        ),
        Err(CounterError::NoteNeeded)
    ));

    // The attacker's answers, pushed by hand: each refused with its reason.
    let forged = |supervisor: &str, request: Uuid| ApprovalAnswer {
        request,
        case_id: asked,
        granted: true,
        supervisor: supervisor.into(),
        note: String::new(),
        at: support::local_now(),
        asked: Some(Asked::Documents { problems: vec![] }),
    };
    // Each signed by whom it names, as if they had typed their PIN at the attacker's kiosk:
    // what is refused is the answer itself.
    let officer_key = support::key_of(&pusat, support::OFFICER).await;
    let supervisor_key = support::key_of(&pusat, SUPERVISOR).await;
    let mks_key = support::key_of(&pusat, "supervisor1_mks").await;
    push_answer(
        &attacker,
        1,
        support::OFFICER,
        &forged(support::OFFICER, request),
        Some(&officer_key),
    )
    .await;
    push_answer(
        &attacker,
        2,
        SUPERVISOR,
        &forged(SUPERVISOR, Uuid::now_v7()),
        Some(&supervisor_key),
    )
    .await;
    push_answer(
        &attacker,
        3,
        support::OFFICER,
        &forged(SUPERVISOR, request),
        Some(&officer_key),
    )
    .await;
    push_answer(
        &elsewhere,
        1,
        "supervisor1_mks",
        &forged("supervisor1_mks", request),
        Some(&mks_key),
    )
    .await;
    // Naming the supervisor without their PIN: nothing proves they were there.
    push_answer(&attacker, 4, SUPERVISOR, &forged(SUPERVISOR, request), None).await;
    // A proof made for another answer (a grant copied onto a rejection's request).
    let mut copied = WireEvent {
        seq: 5,
        id: Uuid::now_v7(),
        kind: "approval.answer".into(),
        case_id: Some(asked),
        office: support::OFFICE.into(),
        officer: SUPERVISOR.into(),
        device_time: support::local_now(),
        payload: serde_json::to_value(forged(SUPERVISOR, Uuid::now_v7())).unwrap(),
        proof: None,
        signed: None,
        answers: None,
    };
    copied.signed = Some(supervisor_key.sign_event(&copied.facts()));
    copied.payload = serde_json::to_value(forged(SUPERVISOR, request)).unwrap();
    attacker.client.push(&[copied]).await.unwrap();
    // The answer grants another act than the one asked.
    let mut other_act = forged(SUPERVISOR, request);
    other_act.asked = Some(Asked::Reject {
        reason: "dokumen palsu".into(),
    });
    push_answer(&attacker, 6, SUPERVISOR, &other_act, Some(&supervisor_key)).await;
    let reasons = refusals(&pusat).await;
    assert_eq!(reasons.len(), 7, "{reasons:?}");
    assert!(
        reasons[0].contains("not an active supervisor"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("waits for no request"), "{reasons:?}");
    assert!(reasons[2].contains("the event's officer"), "{reasons:?}");
    assert!(reasons[3].contains("another office"), "{reasons:?}");
    assert!(reasons[4].contains("no proof that"), "{reasons:?}");
    assert!(
        reasons[5].contains("presence does not match"),
        "{reasons:?}"
    );
    assert!(
        reasons[6].contains("does not name what was asked"),
        "{reasons:?}"
    );
    one.sync().await.unwrap();
    assert!(
        counter::apply_approval_answers(&mut one.store, support::local_now())
            .unwrap()
            .is_empty(),
        "no forged answer reaches the counter"
    );
    assert!(case_at_pusat(&pusat, asked).await.awaiting.is_some());

    // The honest answer: the supervisor approves on the board.
    let answer = counter::answer_approval(
        &mut board.store,
        &board_actor,
        &supervisor(SUPERVISOR),
        &waiting[0],
        true,
        "",
    )
    .unwrap();
    assert!(board.store.awaiting_approvals().unwrap().is_empty());
    board.sync().await.unwrap();
    one.sync().await.unwrap();
    let applied = counter::apply_approval_answers(&mut one.store, support::local_now()).unwrap();
    assert_eq!(applied.len(), 1);
    let case = applied[0].case.as_ref().unwrap();
    assert_eq!(case.documents_override.as_deref(), Some(SUPERVISOR));
    assert_eq!(case.status, CaseStatus::Open(Step::Interview));
    assert!(case.awaiting.is_none());
    // Applied once: a second pass finds nothing.
    assert!(
        counter::apply_approval_answers(&mut one.store, support::local_now())
            .unwrap()
            .is_empty()
    );
    one.sync().await.unwrap();
    let at_pusat = case_at_pusat(&pusat, asked).await;
    assert_eq!(at_pusat.documents_override.as_deref(), Some(SUPERVISOR));
    assert_eq!(at_pusat.status, CaseStatus::Open(Step::Interview));
    // The same answer again (a replayed event) is refused: one answer per request.
    push_answer(&attacker, 7, SUPERVISOR, &answer, Some(&supervisor_key)).await;
    let reasons = refusals(&pusat).await;
    assert_eq!(reasons.len(), 8, "{reasons:?}");
    assert!(
        reasons[7].contains("answered already") || reasons[7].contains("waits for no request"),
        "{reasons:?}"
    );

    // Four eyes at pusat: a supervisor who asked at a counter cannot answer on a board.
    let own = case_needing_override(&mut one, &bookings[1], 0);
    let as_supervisor = one.signed_in(SUPERVISOR, support::SUPERVISOR_PIN);
    let case = counter::ask_approval(
        &mut one.store,
        &as_supervisor,
        own,
        Asked::Documents { problems: vec![] },
    )
    .unwrap();
    one.sync().await.unwrap();
    let mut self_answer = forged(SUPERVISOR, case.awaiting.unwrap().id);
    self_answer.case_id = own;
    push_answer(
        &attacker,
        8,
        SUPERVISOR,
        &self_answer,
        Some(&supervisor_key),
    )
    .await;
    let reasons = refusals(&pusat).await;
    assert!(reasons[8].contains("their own request"), "{reasons:?}");

    // Sent back with a note: the case is the officer's again, and says why.
    let rejecting = case_needing_override(&mut one, &bookings[2], 0);
    let case = counter::ask_approval(
        &mut one.store,
        &actor,
        rejecting,
        Asked::Reject {
            reason: "dokumen palsu".into(),
        },
    )
    .unwrap();
    assert!(case.awaiting.is_some());
    one.sync().await.unwrap();
    board.sync().await.unwrap();
    let waiting = board.store.awaiting_approvals().unwrap();
    let to_return = waiting.iter().find(|w| w.case_id == rejecting).unwrap();
    counter::answer_approval(
        &mut board.store,
        &board_actor,
        &supervisor(SUPERVISOR),
        to_return,
        false,
        "periksa ulang dengan alat UV",
    )
    .unwrap();
    board.sync().await.unwrap();
    one.sync().await.unwrap();
    let applied = counter::apply_approval_answers(&mut one.store, support::local_now()).unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].answer.note, "periksa ulang dengan alat UV");
    let case = applied[0].case.as_ref().unwrap();
    assert!(case.awaiting.is_none() && case.decision.is_none());
    one.sync().await.unwrap();
    assert!(case_at_pusat(&pusat, rejecting).await.awaiting.is_none());
    assert_eq!(
        refusals(&pusat).await.len(),
        9,
        "the honest path is never refused"
    );

    // The counter that holds a case cannot answer its request, even with the supervisor's
    // PIN typed there: its own screen says so, and pusat refuses the answer if it is sent.
    let held = case_needing_override(&mut one, &bookings[3], 0);
    counter::ask_approval(
        &mut one.store,
        &actor,
        held,
        Asked::Documents { problems: vec![] },
    )
    .unwrap();
    one.sync().await.unwrap();
    let at_one = one.signed_in(SUPERVISOR, support::SUPERVISOR_PIN);
    let own_waiting = one.store.awaiting_approvals().unwrap();
    let own_waiting = own_waiting.iter().find(|w| w.case_id == held).unwrap();
    assert!(matches!(
        counter::answer_approval(
            &mut one.store,
            &at_one,
            &supervisor(SUPERVISOR),
            own_waiting,
            true,
            ""
        ),
        Err(CounterError::AnswerHere)
    ));
    let own = ApprovalAnswer {
        request: own_waiting.ask.id,
        case_id: held,
        ..forged(SUPERVISOR, own_waiting.ask.id)
    };
    one.store.answer_approval(&at_one, &own).unwrap();
    one.sync().await.unwrap();
    let reasons = refusals(&pusat).await;
    assert_eq!(reasons.len(), 10, "{reasons:?}");
    assert!(reasons[9].contains("holds its case"), "{reasons:?}");
    assert!(case_at_pusat(&pusat, held).await.awaiting.is_some());
    pusat.stop().await;
}
