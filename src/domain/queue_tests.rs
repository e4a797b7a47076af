use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use uuid::Uuid;

use super::*;

fn at(hhmm: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2026-11-26T{hhmm}:00+07:00")).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn ticket(line: &str, number: u32, issued: &str) -> Ticket {
    let event = TicketEvent {
        ticket: Uuid::now_v7(),
        counter: 1,
        action: TicketAction::Issue {
            day: day(),
            line: line.into(),
            number,
            booking: None,
        },
    };
    Ticket::issue(&event, at(issued)).unwrap()
}

fn act(t: &mut Ticket, counter: u32, action: TicketAction, when: &str) -> Result<(), TicketError> {
    let event = TicketEvent {
        ticket: t.id,
        counter,
        action,
    };
    t.apply(&event, "budi", at(when))
}

#[test]
fn numbers_come_from_the_issuing_counters_block() {
    assert_eq!(next_number(3, None), Some(3001));
    assert_eq!(next_number(3, Some(3011)), Some(3012));
    // Another counter's number does not move this counter's sequence.
    assert_eq!(next_number(3, Some(4007)), Some(3001));
    assert_eq!(next_number(3, Some(3999)), None, "the block is used up");
    for a in 0..60u32 {
        for b in (a + 1)..60 {
            let (x, y) = (block(a), block(b));
            assert!(
                x.end() < y.start() || y.end() < x.start(),
                "{a} and {b} overlap"
            );
        }
    }
    assert_eq!(label("A", 3012), "A-3012");
    assert_eq!(label("P", 12), "P-012");
}

#[test]
fn typed_numbers_are_read_or_refused() {
    assert_eq!(parse_label("A-3012"), Some(("A".into(), 3012)));
    assert_eq!(parse_label(" a 3012 "), Some(("A".into(), 3012)));
    assert_eq!(parse_label("PR-7"), Some(("PR".into(), 7)));
    for bad in ["", "3012", "ABC-1", "A-", "A-12x", "A-12345678", "Ä-12"] {
        assert_eq!(parse_label(bad), None, "{bad:?}");
    }
}

#[test]
fn a_ticket_walks_its_states_and_refuses_the_rest() {
    let mut t = ticket("A", 1001, "08:00");
    assert!(act(&mut t, 2, TicketAction::Serve, "08:01").is_err());
    act(&mut t, 2, TicketAction::Call, "08:10").unwrap();
    assert_eq!(
        (t.state, t.counter, t.calls),
        (TicketState::Called, Some(2), 1)
    );
    // Another counter cannot take over a called ticket.
    assert!(matches!(
        act(&mut t, 3, TicketAction::Call, "08:11"),
        Err(TicketError::Transition { .. })
    ));
    assert!(matches!(
        act(&mut t, 3, TicketAction::Serve, "08:11"),
        Err(TicketError::NotHolder { holder: 2, .. })
    ));
    act(&mut t, 2, TicketAction::Recall, "08:12").unwrap();
    assert_eq!(t.calls, 2);
    act(&mut t, 2, TicketAction::Serve, "08:13").unwrap();
    act(&mut t, 2, TicketAction::Finish, "08:25").unwrap();
    assert_eq!(t.state, TicketState::Done);
    assert!(act(&mut t, 2, TicketAction::Reactivate, "08:30").is_err());
    let before = t.clone();
    assert!(
        act(
            &mut t,
            2,
            TicketAction::Cancel { reason: "x".into() },
            "08:31"
        )
        .is_err()
    );
    assert_eq!(t, before, "a refused event changes nothing");
}

#[test]
fn a_no_show_comes_back_and_a_transfer_waits_again() {
    let mut t = ticket("A", 1001, "08:00");
    act(&mut t, 2, TicketAction::Call, "08:10").unwrap();
    act(&mut t, 2, TicketAction::NoShow, "08:15").unwrap();
    assert_eq!(t.state, TicketState::NoShow);
    act(&mut t, 4, TicketAction::Reactivate, "09:00").unwrap();
    assert_eq!((t.state, t.counter), (TicketState::Issued, None));
    assert_eq!(t.issued_at, at("08:00"), "the arrival time is kept");
    act(&mut t, 4, TicketAction::Call, "09:01").unwrap();
    act(&mut t, 4, TicketAction::Serve, "09:02").unwrap();
    assert!(matches!(
        act(
            &mut t,
            4,
            TicketAction::Transfer {
                line: "A".into(),
                counter: None,
            },
            "09:03"
        ),
        Err(TicketError::SameLine(_))
    ));
    act(
        &mut t,
        4,
        TicketAction::Transfer {
            line: "C".into(),
            counter: None,
        },
        "09:03",
    )
    .unwrap();
    assert_eq!(t.state, TicketState::Issued);
    assert_eq!(t.line, "C");
    assert_eq!(t.transferred_from.as_deref(), Some("A"));
}

#[test]
fn calling_takes_priority_by_ratio_then_the_oldest() {
    let rules = QueueRules::default();
    let mut tickets = vec![
        ticket("A", 1001, "08:00"),
        ticket("A", 1002, "08:01"),
        ticket("A", 1003, "08:02"),
        ticket("P", 1001, "08:05"),
        ticket("P", 1002, "08:06"),
    ];
    let mut order = Vec::new();
    let mut now = at("08:10");
    while let Some(next) = pick_next(&tickets, &rules, now, 1) {
        let id = next.id;
        let t = tickets.iter_mut().find(|t| t.id == id).unwrap();
        order.push(t.label());
        let event = TicketEvent {
            ticket: id,
            counter: 1,
            action: TicketAction::Call,
        };
        t.apply(&event, "budi", now).unwrap();
        now += Duration::minutes(1);
    }
    assert_eq!(
        order,
        ["P-1001", "A-1001", "A-1002", "P-1002", "A-1003"],
        "1 priority : 2 regular"
    );
}

#[test]
fn a_ticket_past_its_target_goes_first() {
    let mut rules = QueueRules::default();
    rules.lines[0].target_minutes = 30;
    let tickets = vec![ticket("P", 1001, "08:20"), ticket("A", 1001, "08:00")];
    // 08:25: nobody is late; priority first.
    assert_eq!(
        pick_next(&tickets, &rules, at("08:25"), 1).unwrap().label(),
        "P-1001"
    );
    // 09:05: A-1001 waited 65 minutes, over its 30-minute target: before the priority.
    assert_eq!(
        pick_next(&tickets, &rules, at("09:05"), 1).unwrap().label(),
        "A-1001"
    );
    rules.lines[0].target_minutes = 120;
    assert_eq!(
        pick_next(&tickets, &rules, at("09:05"), 1).unwrap().label(),
        "P-1001"
    );
    assert!(pick_next(&[], &rules, at("09:05"), 1).is_none());
}

#[test]
fn office_settings_are_checked() {
    let ok = serde_json::json!({"queue": {"lines": [
        {"prefix": "R", "name": "Reguler", "target_minutes": 45, "quota": 200},
        {"prefix": "PR", "name": "Prioritas", "priority": true}
    ], "regular_per_priority": 3}});
    let rules = QueueRules::from_office_config(&ok).unwrap();
    assert_eq!(rules.lines[0].quota, Some(200));
    assert_eq!(rules.lines[1].target_minutes, 60);
    assert_eq!(rules.regular_per_priority, 3);
    assert_eq!(
        QueueRules::from_office_config(&serde_json::json!({})).unwrap(),
        QueueRules::default()
    );
    for bad in [
        serde_json::json!({"queue": {"lines": []}}),
        serde_json::json!({"queue": {"lines": [{"prefix": "a", "name": "x"}]}}),
        serde_json::json!({"queue": {"lines": [{"prefix": "A", "name": " "}]}}),
        serde_json::json!({"queue": {"lines": [{"prefix": "A", "name": "x"}, {"prefix": "A", "name": "y"}]}}),
        serde_json::json!({"queue": {"lines": "A"}}),
    ] {
        assert!(QueueRules::from_office_config(&bad).is_err(), "{bad}");
    }
}

#[test]
fn figures_count_waits_service_and_idle_counters() {
    let rules = QueueRules::default();
    let mut a = ticket("A", 1001, "08:00");
    act(&mut a, 1, TicketAction::Call, "08:20").unwrap();
    act(&mut a, 1, TicketAction::Serve, "08:21").unwrap();
    act(&mut a, 1, TicketAction::Finish, "08:31").unwrap();
    let mut b = ticket("A", 1002, "08:05");
    act(&mut b, 2, TicketAction::Call, "09:30").unwrap();
    let mut c = ticket("A", 1003, "08:10");
    act(&mut c, 1, TicketAction::Call, "08:40").unwrap();
    act(&mut c, 1, TicketAction::NoShow, "08:45").unwrap();
    let d = ticket("P", 1001, "09:00");
    let f = figures(&[a, b, c, d], &rules, at("10:30"));
    let line_a = &f.lines[0];
    assert_eq!(
        (line_a.issued, line_a.waiting, line_a.done, line_a.no_show),
        (3, 0, 1, 1)
    );
    // Waits until called: 20, 85 and 30 minutes.
    assert_eq!(line_a.median_wait, Some(30));
    assert_eq!(line_a.p90_wait, Some(85));
    assert_eq!(line_a.within_target, Some(66));
    let line_p = &f.lines[2];
    assert_eq!((line_p.waiting, line_p.oldest_wait), (1, Some(90)));
    assert_eq!(f.per_hour[1], 1, "one done in the 08:00 hour");
    assert_eq!(f.median_service, Some(10));
    assert_eq!(f.counters.len(), 2);
    assert_eq!(f.counters[0].served, 1);
    assert_eq!(
        f.counters[1].current,
        Some(("A-1002".into(), TicketState::Called))
    );
    assert!(f.alerts.contains(&Alert::WaitOverTarget {
        line: "P".into(),
        minutes: 90,
        target: 60
    }));
    assert!(
        f.alerts
            .iter()
            .any(|a| matches!(a, Alert::IdleCounter { counter: 1, .. })),
        "{:?}",
        f.alerts
    );
    assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
}

#[test]
fn a_transfer_to_a_counter_is_called_there_first() {
    let mut early = ticket("A", 1001, "08:00");
    let mut moved = ticket("B", 1002, "08:30");
    act(&mut moved, 2, TicketAction::Call, "08:31").unwrap();
    act(
        &mut moved,
        2,
        TicketAction::Transfer {
            line: "B".into(),
            counter: Some(5),
        },
        "08:32",
    )
    .unwrap();
    assert_eq!(
        (moved.state, moved.for_counter),
        (TicketState::Issued, Some(5))
    );
    let tickets = vec![early.clone(), moved.clone()];
    let rules = QueueRules::default();
    assert_eq!(
        pick_next(&tickets, &rules, at("08:40"), 5).unwrap().id,
        moved.id
    );
    assert_eq!(
        pick_next(&tickets, &rules, at("08:40"), 3).unwrap().id,
        early.id,
        "another counter leaves it to counter 5"
    );
    act(&mut early, 3, TicketAction::Call, "08:41").unwrap();
    assert!(pick_next(&[early, moved], &rules, at("08:42"), 3).is_none());
}

#[test]
fn closing_the_day_makes_the_unserved_no_shows_with_the_reason() {
    let mut waiting = ticket("A", 1001, "08:00");
    act(&mut waiting, 9, TicketAction::CloseDay, "16:00").unwrap();
    assert_eq!(waiting.state, TicketState::NoShow);
    assert_eq!(waiting.reason.as_deref(), Some(DAY_CLOSED));
    assert_eq!(waiting.closed_at, Some(at("16:00")));
    let mut serving = ticket("A", 1002, "08:00");
    act(&mut serving, 2, TicketAction::Call, "08:10").unwrap();
    act(&mut serving, 2, TicketAction::Serve, "08:11").unwrap();
    assert!(
        act(&mut serving, 9, TicketAction::CloseDay, "16:00").is_err(),
        "one being served is finished, not closed"
    );
    // A supervisor releases a ticket another counter holds back to its line.
    act(
        &mut serving,
        9,
        TicketAction::Reassign {
            line: "A".into(),
            counter: None,
        },
        "16:01",
    )
    .unwrap();
    assert_eq!(
        (serving.state, serving.counter),
        (TicketState::Issued, None)
    );
    assert!(TicketAction::CloseDay.supervisor_only());
    assert!(!TicketAction::NoShow.supervisor_only());
}

/// The acting counter and the target counter of a transfer or reassignment are two fields
/// of the payload: as pushed (through a JSON value, as pusat reads it) each keeps its own.
#[test]
fn a_transfer_keeps_the_acting_counter_and_its_target_apart() {
    for action in [
        TicketAction::Transfer {
            line: "A".into(),
            counter: Some(2),
        },
        TicketAction::Reassign {
            line: "A".into(),
            counter: Some(7),
        },
    ] {
        let event = TicketEvent {
            ticket: uuid::Uuid::nil(),
            counter: 1,
            action,
        };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(text.matches("\"counter\"").count(), 1, "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let back: TicketEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.counter, 1);
    }
}
