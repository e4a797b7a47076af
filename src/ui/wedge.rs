//! Keyboard-wedge scanners type a booking code into whatever has the focus, faster than any
//! person types, and press Enter. In a case form that would mark documents ("1", "3") or
//! fill the interview. Plain characters are therefore held for a moment: a run that
//! arrives at scanner speed and ends in Enter, shaped like a scan, goes to the scan path as
//! a serial scanner's does; anything else reaches the screen as typed, in order.
//!
//! The cost is that a typed character shows after the gap (30 ms by default), well below
//! what a person notices; `[scanner] wedge_gap_ms = 0` turns the detection off.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the terminal does with a key it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Feed {
    /// Held: it may be part of a scan.
    Held,
    /// These keys reach the screen now, in order.
    Keys(Vec<KeyEvent>),
    /// A scanner typed this and Enter: the held keys and the Enter never reach the screen.
    Scan(String),
}

pub struct Wedge {
    gap: Duration,
    held: Vec<KeyEvent>,
    last: Option<Instant>,
}

/// The shortest run taken for a scan (a booking code has 10 characters).
const MIN_SCAN: usize = 8;

impl Wedge {
    pub fn new(gap: Duration) -> Wedge {
        Wedge {
            gap,
            held: Vec::new(),
            last: None,
        }
    }

    /// When the held keys must be let through if nothing else comes.
    pub fn due(&self) -> Option<Instant> {
        self.last
            .filter(|_| !self.held.is_empty())
            .map(|t| t + self.gap)
    }

    /// The held keys, once their moment has passed at `now` (else none).
    pub fn expire(&mut self, now: Instant) -> Vec<KeyEvent> {
        match self.due() {
            Some(due) if now >= due => self.release(),
            _ => Vec::new(),
        }
    }

    /// Every held key, now (what is typed next is not a scan).
    pub fn flush(&mut self) -> Vec<KeyEvent> {
        self.release()
    }

    fn release(&mut self) -> Vec<KeyEvent> {
        self.last = None;
        std::mem::take(&mut self.held)
    }

    /// A key pressed at `at`; `is_scan` says whether a run of text is shaped like a scan.
    pub fn key(&mut self, key: KeyEvent, at: Instant, is_scan: impl Fn(&str) -> bool) -> Feed {
        if self.gap.is_zero() || key.kind == KeyEventKind::Release {
            return Feed::Keys(vec![key]);
        }
        let fast = self
            .last
            .is_some_and(|t| at.saturating_duration_since(t) <= self.gap);
        let plain = key.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match key.code {
            KeyCode::Char(_) if plain => {
                let mut out = Vec::new();
                if !fast {
                    // A pause: what was held was typed by a person.
                    out = self.release();
                }
                self.held.push(key);
                self.last = Some(at);
                if out.is_empty() {
                    Feed::Held
                } else {
                    Feed::Keys(out)
                }
            }
            KeyCode::Enter if fast && self.held.len() >= MIN_SCAN => {
                let text: String = self
                    .held
                    .iter()
                    .filter_map(|k| match k.code {
                        KeyCode::Char(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                if is_scan(&text) {
                    self.release();
                    Feed::Scan(text)
                } else {
                    let mut out = self.release();
                    out.push(key);
                    Feed::Keys(out)
                }
            }
            _ => {
                let mut out = self.release();
                out.push(key);
                Feed::Keys(out)
            }
        }
    }
}

/// Whether text typed at scanner speed is a scan: a booking code, a link or token holding
/// one (even one to refuse: forged, expired, another office's), or a code read wrong. A
/// person's words, a PIN or a NIK are not.
pub fn is_scan(text: &str, ctx: &crate::domain::payload::ScanContext<'_>) -> bool {
    use crate::domain::payload::{PayloadError, parse};
    match parse(text, ctx) {
        Ok(_) => true,
        Err(PayloadError::Empty | PayloadError::TooLong(_) | PayloadError::Binary) => false,
        // A code of the right length and letters whose check character is wrong: a
        // misread, refused as a scan rather than typed into a form. Other garbled text
        // (a username, a name) is a person's.
        Err(PayloadError::Garbled(e)) => e == crate::domain::booking_code::CodeError::Checksum,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: char) -> KeyEvent {
        KeyEvent::from(KeyCode::Char(c))
    }

    fn enter() -> KeyEvent {
        KeyEvent::from(KeyCode::Enter)
    }

    /// Feeds `text` then Enter, a key every `every`; what reached the screen, and the scan.
    fn feed(text: &str, every: Duration) -> (Vec<KeyEvent>, Option<String>) {
        let mut w = Wedge::new(Duration::from_millis(30));
        let t0 = Instant::now();
        let mut shown = Vec::new();
        let mut scan = None;
        let keys = text.chars().map(ch).chain([enter()]);
        for (i, key) in keys.enumerate() {
            let at = t0 + every * i as u32;
            shown.extend(w.expire(at));
            match w.key(key, at, |t| t.len() == 10) {
                Feed::Held => {}
                Feed::Keys(k) => shown.extend(k),
                Feed::Scan(s) => scan = Some(s),
            }
        }
        (shown, scan)
    }

    #[test]
    fn a_code_at_scanner_speed_is_a_scan_and_nothing_reaches_the_form() {
        let (shown, scan) = feed("1J39D7CMWQ", Duration::from_millis(3));
        assert_eq!(scan.as_deref(), Some("1J39D7CMWQ"));
        assert!(shown.is_empty(), "{shown:?}");
    }

    #[test]
    fn the_same_code_typed_by_a_person_reaches_the_form_in_order() {
        let (shown, scan) = feed("1J39D7CMWQ", Duration::from_millis(120));
        assert_eq!(scan, None);
        let typed: String = shown
            .iter()
            .filter_map(|k| match k.code {
                KeyCode::Char(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(typed, "1J39D7CMWQ");
        assert_eq!(shown.last(), Some(&enter()));
    }

    #[test]
    fn fast_text_that_is_not_a_scan_is_typed_as_it_came() {
        let (shown, scan) = feed("Budi Santoso", Duration::from_millis(2));
        assert_eq!(scan, None);
        assert_eq!(shown.len(), "Budi Santoso".len() + 1);
        // A short fast run (a PIN) is never a scan.
        let (shown, scan) = feed("1111", Duration::from_millis(2));
        assert_eq!((shown.len(), scan), (5, None));
    }

    #[test]
    fn a_held_key_is_let_through_after_the_gap() {
        let mut w = Wedge::new(Duration::from_millis(30));
        let t0 = Instant::now();
        assert_eq!(w.key(ch('a'), t0, |_| true), Feed::Held);
        assert_eq!(w.due(), Some(t0 + Duration::from_millis(30)));
        assert!(w.expire(t0 + Duration::from_millis(10)).is_empty());
        assert_eq!(w.expire(t0 + Duration::from_millis(30)), vec![ch('a')]);
        assert_eq!(w.due(), None);
        // Ctrl and function keys are never held.
        let f8 = KeyEvent::from(KeyCode::F(8));
        assert_eq!(w.key(f8, t0, |_| true), Feed::Keys(vec![f8]));
    }

    #[test]
    fn off_when_the_gap_is_zero() {
        let mut w = Wedge::new(Duration::ZERO);
        assert_eq!(
            w.key(ch('a'), Instant::now(), |_| true),
            Feed::Keys(vec![ch('a')])
        );
    }
}
