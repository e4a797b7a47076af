//! How money and dates are written at an Indonesian counter: Rp1.000.000 (dot thousands
//! separator, no space, no decimals; PUEBI/KBBI usage), 25 November 2026 or 25/11/2026.

use chrono::{Datelike, NaiveDate};

const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Rupiah with dot separators: `Rp1.000.000`, `-Rp50.000`.
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    if amount < 0 {
        out.push('-');
    }
    out.push_str("Rp");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A rupiah amount as an officer types it from a receipt: digits, with dots, commas or
/// spaces between groups of three, and `Rp` before them if typed; `None` for anything else.
/// A letter is never dropped: `65O000` (a letter O) is refused, not read as 65.000.
pub fn parse_rupiah(typed: &str) -> Option<i64> {
    let text = typed.trim();
    let text = text
        .strip_prefix("Rp")
        .or_else(|| text.strip_prefix("rp"))
        .or_else(|| text.strip_prefix("RP"))
        .unwrap_or(text)
        .trim_start_matches(['.', ' '])
        .trim();
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b' '))
    {
        return None;
    }
    // Separators only between groups of three digits (a decimal ",00" is not a rupiah).
    let groups: Vec<&str> = text.split(['.', ',', ' ']).collect();
    let grouped = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped {
        return None;
    }
    groups.concat().parse().ok()
}

/// `25 November 2026` (Indonesian month names when `indonesian`).
pub fn date_long(day: NaiveDate, indonesian: bool) -> String {
    let names = if indonesian { &BULAN } else { &MONTHS };
    format!(
        "{} {} {}",
        day.day(),
        names[day.month0() as usize],
        day.year()
    )
}

/// `25/11/2026`.
pub fn date_short(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// Reads `25/11/2026`, `25-11-2026` or `2026-11-25`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// SHA-256 of `bytes` as lowercase hex: how photos are addressed, and how pusat keeps
/// credentials and enrollment codes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rupiah_examples() {
        assert_eq!(rupiah(0), "Rp0");
        assert_eq!(rupiah(500), "Rp500");
        assert_eq!(rupiah(1_000), "Rp1.000");
        assert_eq!(rupiah(350_000), "Rp350.000");
        assert_eq!(rupiah(1_000_000), "Rp1.000.000");
        assert_eq!(rupiah(-50_000), "-Rp50.000");
        assert_eq!(rupiah(i64::MIN), "-Rp9.223.372.036.854.775.808");
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(date_long(d, true), "25 November 2026");
        assert_eq!(
            date_long(NaiveDate::from_ymd_opt(2026, 8, 5).unwrap(), true),
            "5 Agustus 2026"
        );
        assert_eq!(
            date_long(NaiveDate::from_ymd_opt(2026, 8, 5).unwrap(), false),
            "5 August 2026"
        );
        assert_eq!(date_short(d), "25/11/2026");
        assert_eq!(parse_date("25/11/2026"), Some(d));
        assert_eq!(parse_date("2026-11-25"), Some(d));
        assert_eq!(parse_date("31/02/2026"), None);
    }

    proptest! {
        #[test]
        fn rupiah_reads_back(n in any::<i64>()) {
            let s = rupiah(n);
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert_eq!(digits, n.unsigned_abs().to_string());
            prop_assert!(!s.contains(".."));
            // Every group after the first has exactly three digits.
            let body = s.trim_start_matches('-').trim_start_matches("Rp");
            for group in body.split('.').skip(1) {
                prop_assert_eq!(group.len(), 3);
            }
        }
    }
}

/// Whether `c` reorders or hides text on a terminal: the bidirectional controls (an override
/// such as U+202E shows a name backwards) and the invisible marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe to print on an administrator's terminal or in a log line: control characters
/// (escape sequences, new lines, NUL) and bidirectional controls are shown as `\u{…}`, so a
/// counter's text can neither drive the terminal nor forge a line.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod shown_tests {
    use super::shown;

    #[test]
    fn escapes_and_bidi_controls_are_shown_not_obeyed() {
        assert_eq!(shown("SITI HAMIDAH"), "SITI HAMIDAH");
        assert_eq!(
            shown("\u{1b}]0;PWNED\u{7}\u{1b}[2J\nlevel=ERROR"),
            "\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J\\u{a}level=ERROR"
        );
        assert_eq!(shown("A\u{202e}B\u{0}"), "A\\u{202e}B\\u{0}");
    }
}

#[cfg(test)]
mod rupiah_tests {
    use super::parse_rupiah;

    #[test]
    fn amounts_are_read_as_typed_and_letters_are_never_dropped() {
        for (typed, amount) in [
            ("650000", 650_000),
            ("650.000", 650_000),
            ("Rp650.000", 650_000),
            ("Rp 1.950.000", 1_950_000),
            ("1,950,000", 1_950_000),
            (" 350 000 ", 350_000),
        ] {
            assert_eq!(parse_rupiah(typed), Some(amount), "{typed}");
        }
        for typed in [
            "65O000", "650.00O", "", "Rp", "650,00", "6.50.000", "-5", "1e6", "٦٥٠",
        ] {
            assert_eq!(parse_rupiah(typed), None, "{typed}");
        }
    }
}
