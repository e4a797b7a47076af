//! The waiting-room display drawn from pulled calls, at a small terminal and a TV's size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, FixedOffset, NaiveDate};
use insta::assert_snapshot;
use loket::display::{Call, Display};
use loket::domain::queue::{Ticket, TicketAction, TicketEvent};
use loket::protocol::{Change, FeedEntry};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use uuid::Uuid;

fn at(hhmm: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2026-11-26T{hhmm}:00+07:00")).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn ticket(line: &str, number: u32, steps: &[(u32, TicketAction, &str)]) -> Ticket {
    let id = Uuid::now_v7();
    let issue = TicketEvent {
        ticket: id,
        counter: 9,
        action: TicketAction::Issue {
            day: day(),
            line: line.into(),
            number,
            booking: None,
        },
    };
    let mut t = Ticket::issue(&issue, at("08:00")).unwrap();
    for (counter, action, when) in steps {
        let e = TicketEvent {
            ticket: id,
            counter: *counter,
            action: action.clone(),
        };
        t.apply(&e, "budi", at(when)).unwrap();
    }
    t
}

fn entries(tickets: &[Ticket]) -> Vec<FeedEntry> {
    tickets
        .iter()
        .enumerate()
        .map(|(i, t)| FeedEntry {
            pos: i as i64 + 1,
            change: Change::Ticket(t.clone()),
        })
        .collect()
}

fn draw(d: &Display, w: u16, h: u16) -> String {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    d.render(buf.area, &mut buf, at("09:15"));
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_display_shows_the_newest_call_big_and_announces_each_once() {
    let mut d = Display::new("Kantor Imigrasi Jakarta Selatan", day());
    let served = ticket(
        "A",
        9001,
        &[
            (1, TicketAction::Call, "08:30"),
            (1, TicketAction::Serve, "08:31"),
        ],
    );
    let absent = ticket(
        "A",
        9002,
        &[
            (2, TicketAction::Call, "08:40"),
            (2, TicketAction::NoShow, "08:45"),
        ],
    );
    let called = ticket("P", 9001, &[(3, TicketAction::Call, "09:10")]);
    let calls = d.apply(
        &entries(&[served.clone(), absent, called.clone()]),
        at("09:11"),
    );
    assert_eq!(
        calls,
        [Call {
            label: "P-9001".into(),
            counter: 3
        }],
        "only a ticket waiting for its applicant is announced: not one served, not a no-show"
    );
    // The same state pulled again announces nothing; a recall announces again.
    assert!(
        d.apply(&entries(std::slice::from_ref(&called)), at("09:11"))
            .is_empty()
    );
    let mut again = called.clone();
    again
        .apply(
            &TicketEvent {
                ticket: again.id,
                counter: 3,
                action: TicketAction::Recall,
            },
            "budi",
            at("09:12"),
        )
        .unwrap();
    assert_eq!(d.apply(&entries(&[again]), at("09:12")).len(), 1);
    // A call pulled long after it was made (the display starting up, or back online) is
    // shown, not read out.
    let late = ticket("B", 9001, &[(4, TicketAction::Call, "09:00")]);
    assert!(d.apply(&entries(&[late]), at("09:13")).is_empty());
    let small = draw(&d, 80, 24);
    assert!(small.contains("A-9001"), "{small}");
    assert!(small.contains("A-9002"), "the missed list: {small}");
    assert_snapshot!("display_80x24", small);
    d.offline_since = Some(at("09:05"));
    let tv = draw(&d, 200, 60);
    assert!(tv.contains("Luring sejak 09:05"), "{tv}");
    assert_snapshot!("display_200x60", tv);
}

#[test]
fn a_tiny_screen_draws_without_failing() {
    let mut d = Display::new("Kantor Imigrasi Jakarta Selatan", day());
    let called = ticket("P", 9001, &[(3, TicketAction::Call, "09:10")]);
    d.apply(&entries(&[called]), at("09:11"));
    for (w, h) in [(1, 1), (10, 3), (30, 8), (79, 23)] {
        let screen = draw(&d, w, h);
        assert_eq!(screen.lines().count(), h as usize);
    }
}
