//! The waiting room's display (`loket display`): the office's calls in block letters
//! readable across the room — "A-1001 → LOKET 3" — the last calls, the missed numbers, the
//! office's clock and its running text. It reads pusat's feed with a display credential
//! (calls only), waiting at pusat for each change (a long poll), so a call shows within a
//! moment; it rings the terminal bell and, with `--announce-cmd`, speaks each call, one
//! announcement after another. It recovers by itself when pusat or the network returns, and
//! says when it is offline.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};
use tui_big_text::{BigText, PixelSize};
use uuid::Uuid;

use crate::domain::queue::{Ticket, TicketState};
use crate::protocol::{Change, FeedEntry};

/// Calls older than this when they reach the display are not spoken.
pub const ANNOUNCE_WITHIN_SECONDS: i64 = 120;

/// What the display knows of the day's calls.
pub struct Display {
    pub office: String,
    pub day: NaiveDate,
    tickets: HashMap<Uuid, Ticket>,
    /// Since when pusat has not answered (`None`: online).
    pub offline_since: Option<DateTime<FixedOffset>>,
    pub running_text: String,
}

/// A call to announce: the number and the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub label: String,
    pub counter: u32,
}

impl Display {
    pub fn new(office: &str, day: NaiveDate) -> Display {
        Display {
            office: office.to_owned(),
            day,
            tickets: HashMap::new(),
            offline_since: None,
            running_text: String::new(),
        }
    }

    /// Takes pulled changes at `now`; returns the new calls (and calls again) to announce,
    /// oldest first. A call older than [`ANNOUNCE_WITHIN_SECONDS`] is shown, not announced:
    /// a display starting up, or back from being offline, does not read out a backlog. A
    /// new day starts empty.
    pub fn apply(&mut self, changes: &[FeedEntry], now: DateTime<FixedOffset>) -> Vec<Call> {
        let day = now.date_naive();
        if day != self.day {
            self.day = day;
            self.tickets.clear();
        }
        let mut calls = Vec::new();
        for entry in changes {
            match &entry.change {
                Change::Office(o) => {
                    self.office.clone_from(&o.name);
                    if let Some(text) = o.config.get("display_text").and_then(|t| t.as_str()) {
                        text.clone_into(&mut self.running_text);
                    }
                }
                Change::Ticket(t) if t.day == day => {
                    let before = self.tickets.get(&t.id).map_or(0, |o| o.calls);
                    let recent = t
                        .called_at
                        .is_some_and(|c| (now - c).num_seconds() <= ANNOUNCE_WITHIN_SECONDS);
                    if t.state == TicketState::Called
                        && t.calls > before
                        && recent
                        && let Some(counter) = t.counter
                    {
                        calls.push(Call {
                            label: t.label(),
                            counter,
                        });
                    }
                    self.tickets.insert(t.id, t.clone());
                }
                _ => {}
            }
        }
        calls
    }

    /// Calls newest first: tickets called, served or done, by their last call.
    fn calls(&self) -> Vec<&Ticket> {
        let mut called: Vec<&Ticket> = self
            .tickets
            .values()
            .filter(|t| {
                t.called_at.is_some()
                    && matches!(
                        t.state,
                        TicketState::Called | TicketState::Serving | TicketState::Done
                    )
            })
            .collect();
        called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
        called
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, now: DateTime<FixedOffset>) {
        let big = area.height >= 30 && area.width >= 120;
        let [header, main, lists, footer] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(if big { 17 } else { 9 }),
            Constraint::Min(2),
            Constraint::Length(1),
        ]));
        let status = match self.offline_since {
            Some(t) => format!(
                "  ⚠ Luring sejak {} — nomor terakhir yang diketahui / offline",
                t.format("%H:%M")
            ),
            None => String::new(),
        };
        Paragraph::new(Line::styled(
            format!(
                "{} · {}{status}",
                self.office,
                now.format("%d/%m/%Y %H:%M:%S")
            ),
            Style::new().fg(Color::Black).bg(Color::Cyan),
        ))
        .render(header, buf);
        let calls = self.calls();
        match calls.first() {
            Some(t) => {
                let counter = t.counter.unwrap_or_default();
                let size = if big {
                    PixelSize::Full
                } else {
                    PixelSize::Quadrant
                };
                let [number, to, caption] = main.layout(&Layout::vertical([
                    Constraint::Length(if big { 8 } else { 4 }),
                    Constraint::Length(if big { 8 } else { 4 }),
                    Constraint::Length(1),
                ]));
                // The call in letters too: for a screen reader, and for the eye that does
                // not read block digits.
                Paragraph::new(Line::styled(
                    format!("Nomor {} silakan ke Loket {counter}", t.label()),
                    Style::new().add_modifier(Modifier::BOLD),
                ))
                .centered()
                .render(caption, buf);
                BigText::builder()
                    .pixel_size(size)
                    .style(Style::new().fg(Color::Yellow))
                    .lines(vec![Line::from(t.label())])
                    .centered()
                    .build()
                    .render(number, buf);
                BigText::builder()
                    .pixel_size(size)
                    .lines(vec![Line::from(format!("LOKET {counter}"))])
                    .centered()
                    .build()
                    .render(to, buf);
            }
            None => Paragraph::new(Line::styled(
                "Belum ada panggilan · No calls yet",
                Style::new().add_modifier(Modifier::BOLD),
            ))
            .centered()
            .render(main, buf),
        }
        let [last, missed] = lists.layout(&Layout::horizontal([
            Constraint::Percentage(60),
            Constraint::Percentage(40),
        ]));
        let mut lines = vec![Line::styled(
            "Panggilan terakhir · Last calls",
            Style::new().add_modifier(Modifier::BOLD),
        )];
        lines.extend(calls.iter().skip(1).take(8).map(|t| {
            Line::from(format!(
                "{:<8} → Loket {}",
                t.label(),
                t.counter.unwrap_or_default()
            ))
        }));
        Paragraph::new(lines).render(last, buf);
        let mut absent: Vec<&Ticket> = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::NoShow)
            .collect();
        absent.sort_by_key(|t| std::cmp::Reverse(t.closed_at));
        let mut lines = vec![Line::styled(
            "Nomor terlewat · Missed",
            Style::new().add_modifier(Modifier::BOLD),
        )];
        lines.push(Line::from(
            absent
                .iter()
                .take(24)
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join("  "),
        ));
        lines.push(Line::styled(
            "Lapor ke petugas informasi · Ask at the information desk",
            Style::new().fg(Color::DarkGray),
        ));
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(missed, buf);
        if !self.running_text.is_empty() {
            // The running text moves one character a second.
            let chars: Vec<char> = format!("{}   ", self.running_text).chars().collect();
            let start = (now.timestamp().unsigned_abs() as usize) % chars.len().max(1);
            let shown: String = chars
                .iter()
                .cycle()
                .skip(start)
                .take(footer.width as usize)
                .collect();
            Paragraph::new(Line::from(shown)).render(footer, buf);
        }
    }
}

const DIGITS: [&str; 10] = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
];

/// A number in Indonesian words (0–999).
pub fn words(n: u32) -> String {
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10 => "sepuluh".into(),
        11 => "sebelas".into(),
        12..=19 => format!("{} belas", DIGITS[(n - 10) as usize]),
        20..=99 => {
            let tens = format!("{} puluh", DIGITS[(n / 10) as usize]);
            if n.is_multiple_of(10) {
                tens
            } else {
                format!("{tens} {}", DIGITS[(n % 10) as usize])
            }
        }
        100..=199 if n == 100 => "seratus".into(),
        100..=199 => format!("seratus {}", words(n - 100)),
        200..=999 if n.is_multiple_of(100) => format!("{} ratus", DIGITS[(n / 100) as usize]),
        200..=999 => format!("{} ratus {}", DIGITS[(n / 100) as usize], words(n % 100)),
        _ => n.to_string(),
    }
}

/// What is spoken for a call: the number digit by digit, the counter as a number —
/// "Nomor antrean A, satu nol nol dua, silakan ke loket tiga".
pub fn announcement(call: &Call) -> String {
    let (prefix, digits) = call.label.split_once('-').unwrap_or(("", &call.label));
    let spoken: Vec<&str> = digits
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| DIGITS[d as usize]))
        .collect();
    format!(
        "Nomor antrean {prefix}, {}, silakan ke loket {}",
        spoken.join(" "),
        words(call.counter)
    )
}

enum Message {
    Input(crossterm::event::Event),
    Pulled(Vec<FeedEntry>),
    Offline,
    Tick,
}

/// Speaks announcements one after another with `command` (its words, then the text as the
/// last argument), so two calls never talk over each other.
fn announcer(command: Option<String>) -> std::sync::mpsc::Sender<String> {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for text in rx {
            let Some(command) = &command else { continue };
            let mut parts = command.split_whitespace();
            let Some(program) = parts.next() else {
                continue;
            };
            let spoken = std::process::Command::new(program)
                .args(parts)
                .arg(&text)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            if let Err(e) = spoken {
                tracing::warn!(error = %e, "announcement failed");
            }
        }
    });
    tx
}

/// Runs the display full screen until Ctrl+C.
pub fn run(
    client: crate::sync::Client,
    office: &str,
    zone: crate::domain::Zone,
    announce_cmd: Option<String>,
) -> std::io::Result<()> {
    use crossterm::event::{Event, KeyCode, KeyModifiers};
    let (tx, rx) = std::sync::mpsc::channel::<Message>();
    let feed = tx.clone();
    crate::sync::spawn_async("feed", move || async move {
        let mut cursor = 0;
        let mut attempt = 0u32;
        loop {
            match client
                .pull_waiting(cursor, crate::sync::LONG_POLL_SECONDS, 1000)
                .await
            {
                Ok(page) => {
                    attempt = 0;
                    cursor = page.cursor;
                    if feed.send(Message::Pulled(page.changes)).is_err() {
                        return;
                    }
                }
                Err(_) => {
                    attempt = attempt.saturating_add(1);
                    if feed.send(Message::Offline).is_err() {
                        return;
                    }
                    let wait = crate::sync::backoff(attempt, &mut rand::rng())
                        .min(std::time::Duration::from_secs(30));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    })?;
    let input = tx.clone();
    std::thread::spawn(move || {
        while let Ok(event) = crossterm::event::read() {
            if input.send(Message::Input(event)).is_err() {
                return;
            }
        }
    });
    std::thread::spawn(move || {
        while tx.send(Message::Tick).is_ok() {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
    let speak = announcer(announce_cmd);
    let now = || zone.local(chrono::Utc::now());
    let mut display = Display::new(office, now().date_naive());
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| display.render(f.area(), f.buffer_mut(), now()))?;
            match rx.recv() {
                Ok(Message::Input(Event::Key(k)))
                    if k.code == KeyCode::Char('c')
                        && k.modifiers.contains(KeyModifiers::CONTROL) =>
                {
                    return Ok(());
                }
                Ok(Message::Pulled(changes)) => {
                    display.offline_since = None;
                    for call in display.apply(&changes, now()) {
                        // The terminal bell, then the spoken call (queued).
                        crossterm::execute!(std::io::stdout(), crossterm::style::Print("\x07"))?;
                        let _ = speak.send(announcement(&call));
                    }
                }
                Ok(Message::Offline) => {
                    display.offline_since.get_or_insert_with(now);
                }
                Ok(_) => {}
                Err(_) => return Ok(()),
            }
        }
    })();
    ratatui::restore();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_spoken_in_indonesian() {
        assert_eq!(words(3), "tiga");
        assert_eq!(words(11), "sebelas");
        assert_eq!(words(17), "tujuh belas");
        assert_eq!(words(40), "empat puluh");
        assert_eq!(words(112), "seratus dua belas");
        assert_eq!(words(305), "tiga ratus lima");
        let call = Call {
            label: "A-1002".into(),
            counter: 3,
        };
        assert_eq!(
            announcement(&call),
            "Nomor antrean A, satu nol nol dua, silakan ke loket tiga"
        );
    }
}
