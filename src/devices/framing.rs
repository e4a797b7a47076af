//! Cutting a scanner's byte stream into scans: by terminator (CR, LF, CRLF, TAB) or, for
//! scanners that send none, by a silence between bytes. Garbage is refused with a reason;
//! a scan cut by a disconnect is refused whole, never half-processed.

use std::time::{Duration, Instant};

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Terminator {
    Cr,
    Lf,
    Crlf,
    Tab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Terminator(Terminator),
    /// No terminator: a scan ends when no byte came for this long.
    Silence(Duration),
}

#[derive(Debug, Clone)]
pub struct FramerConfig {
    pub framing: Framing,
    pub max_len: usize,
    pub strip_prefix: String,
    pub strip_suffix: String,
    /// Remove an AIM symbology identifier (`]Q1`, `]C0`, …) at the start.
    pub aim: bool,
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig {
            framing: Framing::Terminator(Terminator::Cr),
            max_len: 1024,
            strip_prefix: String::new(),
            strip_suffix: String::new(),
            aim: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Bytes that are no text: line noise, a wrong baud rate.
    Binary,
    /// More bytes than any booking code without a terminator.
    TooLong(usize),
    /// The scanner went away in the middle of a scan.
    Cut,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Scan(String),
    Refused(Refusal),
}

pub struct Framer {
    config: FramerConfig,
    buf: Vec<u8>,
    /// Bytes dropped since the buffer overflowed, until the next terminator.
    overflow: usize,
    last_byte: Option<Instant>,
}

impl Framer {
    pub fn new(config: FramerConfig) -> Framer {
        Framer {
            config,
            buf: Vec::new(),
            overflow: 0,
            last_byte: None,
        }
    }

    fn is_end(&self, b: u8) -> bool {
        match self.config.framing {
            Framing::Terminator(Terminator::Cr) => b == b'\r',
            Framing::Terminator(Terminator::Lf | Terminator::Crlf) => b == b'\n',
            Framing::Terminator(Terminator::Tab) => b == b'\t',
            Framing::Silence(_) => false,
        }
    }

    /// Feeds bytes as they arrive; returns the scans they complete.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<Frame> {
        let mut out = Vec::new();
        if let Framing::Silence(gap) = self.config.framing
            && self.last_byte.is_some_and(|t| now.duration_since(t) >= gap)
            && let Some(frame) = self.finish()
        {
            out.push(frame);
        }
        for &b in bytes {
            if self.is_end(b) {
                out.extend(self.finish());
            } else if self.buf.len() >= self.config.max_len {
                self.overflow += 1;
            } else {
                self.buf.push(b);
            }
        }
        if !bytes.is_empty() {
            self.last_byte = Some(now);
        }
        out
    }

    /// For silence framing: ends the scan when the line has been quiet long enough.
    pub fn tick(&mut self, now: Instant) -> Option<Frame> {
        match self.config.framing {
            Framing::Silence(gap)
                if self.last_byte.is_some_and(|t| now.duration_since(t) >= gap) =>
            {
                self.finish()
            }
            _ => None,
        }
    }

    /// The scanner went away: whatever was half-read is refused, not processed.
    pub fn disconnected(&mut self) -> Option<Frame> {
        let partial = !self.buf.is_empty() || self.overflow > 0;
        self.buf.clear();
        self.overflow = 0;
        self.last_byte = None;
        partial.then_some(Frame::Refused(Refusal::Cut))
    }

    fn finish(&mut self) -> Option<Frame> {
        let bytes = std::mem::take(&mut self.buf);
        let overflow = std::mem::take(&mut self.overflow);
        self.last_byte = None;
        if overflow > 0 {
            return Some(Frame::Refused(Refusal::TooLong(bytes.len() + overflow)));
        }
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return Some(Frame::Refused(Refusal::Binary)),
        };
        let mut text = text.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' ');
        if text.is_empty() {
            return None;
        }
        if text.chars().any(|c| c.is_control()) {
            return Some(Frame::Refused(Refusal::Binary));
        }
        if self.config.aim && text.len() >= 3 && text.starts_with(']') && text.is_char_boundary(3) {
            text = &text[3..];
        }
        text = text
            .strip_prefix(self.config.strip_prefix.as_str())
            .unwrap_or(text);
        text = text
            .strip_suffix(self.config.strip_suffix.as_str())
            .unwrap_or(text);
        Some(Frame::Scan(text.to_owned()))
    }
}

/// The same code scanned twice within `window` counts once (a trigger held down, a code
/// read again as the phone moves).
pub struct Deduper {
    window: Duration,
    last: Option<(String, Instant)>,
}

impl Deduper {
    pub fn new(window: Duration) -> Deduper {
        Deduper { window, last: None }
    }

    pub fn accept(&mut self, code: &str, now: Instant) -> bool {
        let repeat = self
            .last
            .as_ref()
            .is_some_and(|(c, t)| c == code && now.duration_since(*t) < self.window);
        if !repeat {
            self.last = Some((code.to_owned(), now));
        }
        !repeat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framer(framing: Framing) -> Framer {
        Framer::new(FramerConfig {
            framing,
            max_len: 32,
            ..FramerConfig::default()
        })
    }
    fn scan(s: &str) -> Frame {
        Frame::Scan(s.to_owned())
    }

    #[test]
    fn each_terminator() {
        let t0 = Instant::now();
        for (term, bytes) in [
            (Terminator::Cr, &b"ABC\rDEF\r"[..]),
            (Terminator::Lf, b"ABC\nDEF\n"),
            (Terminator::Crlf, b"ABC\r\nDEF\r\n"),
            (Terminator::Tab, b"ABC\tDEF\t"),
        ] {
            let mut f = framer(Framing::Terminator(term));
            assert_eq!(
                f.push(bytes, t0),
                vec![scan("ABC"), scan("DEF")],
                "{term:?}"
            );
        }
    }

    #[test]
    fn split_writes_join() {
        let t0 = Instant::now();
        let mut f = framer(Framing::Terminator(Terminator::Cr));
        assert!(f.push(b"AB", t0).is_empty());
        assert!(f.push(b"CD", t0).is_empty());
        assert_eq!(f.push(b"E\rF", t0), vec![scan("ABCDE")]);
    }

    #[test]
    fn silence_ends_a_scan() {
        let t0 = Instant::now();
        let gap = Duration::from_millis(50);
        let mut f = framer(Framing::Silence(gap));
        assert!(f.push(b"ABC", t0).is_empty());
        assert!(f.push(b"DE", t0 + Duration::from_millis(20)).is_empty());
        assert_eq!(f.tick(t0 + Duration::from_millis(40)), None);
        assert_eq!(f.tick(t0 + Duration::from_millis(80)), Some(scan("ABCDE")));
        assert!(f.push(b"X", t0 + Duration::from_millis(200)).is_empty());
        assert_eq!(
            f.push(b"Y", t0 + Duration::from_millis(300)),
            vec![scan("X")]
        );
    }

    #[test]
    fn garbage_overlong_and_cut() {
        let t0 = Instant::now();
        let mut f = framer(Framing::Terminator(Terminator::Cr));
        assert_eq!(
            f.push(b"\xff\xfe\x00\r", t0),
            vec![Frame::Refused(Refusal::Binary)]
        );
        assert_eq!(
            f.push(b"A\x07B\r", t0),
            vec![Frame::Refused(Refusal::Binary)]
        );
        let long = vec![b'A'; 40];
        assert_eq!(f.push(&long, t0), vec![]);
        assert_eq!(
            f.push(b"\rOK\r", t0),
            vec![Frame::Refused(Refusal::TooLong(40)), scan("OK")]
        );
        f.push(b"HALF", t0);
        assert_eq!(f.disconnected(), Some(Frame::Refused(Refusal::Cut)));
        assert_eq!(f.disconnected(), None);
        assert_eq!(f.push(b"\r\r", t0), vec![]);
    }

    #[test]
    fn aim_identifier_prefix_and_suffix_are_stripped() {
        let t0 = Instant::now();
        let mut f = Framer::new(FramerConfig {
            strip_prefix: "#".into(),
            strip_suffix: "!".into(),
            ..FramerConfig::default()
        });
        assert_eq!(
            f.push(b"]Q1#ABC!\r]C0XYZ\r", t0),
            vec![scan("ABC"), scan("XYZ")]
        );
    }

    #[test]
    fn same_code_within_window_counts_once() {
        let t0 = Instant::now();
        let mut d = Deduper::new(Duration::from_secs(2));
        assert!(d.accept("A", t0));
        assert!(!d.accept("A", t0 + Duration::from_secs(1)));
        assert!(d.accept("B", t0 + Duration::from_secs(1)));
        assert!(d.accept("A", t0 + Duration::from_secs(1)));
        assert!(d.accept("A", t0 + Duration::from_secs(4)));
    }
}
