//! Booking codes: ten characters of Crockford base 32, the last a Luhn mod 32 check
//! character, so a mistyped or garbled code is told apart from an unknown one. Shown as
//! `XXXXX-XXXXX`; read leniently (case, spaces, hyphens, O for 0, I and L for 1).

use std::fmt;

use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BookingCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    Empty,
    Length(usize),
    Character(char),
    Checksum,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Luhn mod N (N = 32) over the data characters; returns the check value.
fn check_value(data: &[u8]) -> Option<u32> {
    let mut sum = 0;
    let mut factor = 2;
    for &c in data.iter().rev() {
        let mut addend = factor * value(c)?;
        factor = if factor == 2 { 1 } else { 2 };
        addend = addend / 32 + addend % 32;
        sum += addend;
    }
    Some((32 - sum % 32) % 32)
}

impl BookingCode {
    /// Reads what an officer typed or a scanner sent.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let mut norm = Vec::with_capacity(LEN);
        for c in raw.trim().chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || value(c as u8).is_none() {
                return Err(CodeError::Character(c));
            }
            norm.push(c as u8);
        }
        match norm.len() {
            0 => return Err(CodeError::Empty),
            LEN => {}
            n => return Err(CodeError::Length(n)),
        }
        let expected = check_value(&norm[..LEN - 1]).ok_or(CodeError::Checksum)?;
        if value(norm[LEN - 1]) != Some(expected) {
            return Err(CodeError::Checksum);
        }
        Ok(Self(String::from_utf8_lossy(&norm).into_owned()))
    }

    /// Makes a code from nine data characters' worth of number (demo data, walk-ins).
    pub fn from_number(mut n: u64) -> Self {
        let mut data = [b'0'; LEN - 1];
        for slot in data.iter_mut().rev() {
            *slot = ALPHABET[(n % 32) as usize];
            n /= 32;
        }
        let check = check_value(&data).unwrap_or(0);
        let mut code = data.to_vec();
        code.push(ALPHABET[check as usize]);
        Self(String::from_utf8_lossy(&code).into_owned())
    }

    /// A code for a booking the booking system issues: never in the walk-in range.
    pub fn issued(n: u64) -> Self {
        let n = n & ((1 << 45) - 1);
        if n >> 40 == WALK_IN_PREFIX {
            Self::from_number(n ^ (1 << 40))
        } else {
            Self::from_number(n)
        }
    }

    /// A code a counter makes for a walk-in: `W` and 40 random bits. The booking system
    /// never issues a code starting with `W` (pusat refuses one), so a walk-in can never take
    /// an imported booking's code.
    pub fn walk_in(random: u64) -> Self {
        Self::from_number((WALK_IN_PREFIX << 40) | (random & ((1 << 40) - 1)))
    }

    pub fn is_walk_in(&self) -> bool {
        self.0.as_bytes().first() == Some(&ALPHABET[WALK_IN_PREFIX as usize])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first character of walk-in codes: `W`.
const WALK_IN_PREFIX: u64 = 28;

impl fmt::Display for BookingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.0.split_at(self.0.len() / 2);
        write!(f, "{a}-{b}")
    }
}

impl TryFrom<String> for BookingCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).map_err(|e| format!("{e:?}"))
    }
}

impl From<BookingCode> for String {
    fn from(c: BookingCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn walk_in_and_issued_codes_never_meet(n in any::<u64>()) {
            let walk_in = BookingCode::walk_in(n);
            prop_assert!(walk_in.is_walk_in());
            prop_assert!(walk_in.as_str().starts_with('W'));
            prop_assert_eq!(BookingCode::parse(walk_in.as_str()), Ok(walk_in.clone()));
            prop_assert!(!BookingCode::issued(n).is_walk_in());
        }
    }

    #[test]
    fn round_trips_and_reads_leniently() {
        let code = BookingCode::from_number(123_456_789);
        let shown = code.to_string();
        assert_eq!(shown.len(), 11);
        assert_eq!(BookingCode::parse(&shown), Ok(code.clone()));
        assert_eq!(BookingCode::parse(&shown.to_lowercase()), Ok(code.clone()));
        assert_eq!(
            BookingCode::parse(&format!("  {} ", code.as_str())),
            Ok(code)
        );
    }

    #[test]
    fn tells_why_a_code_is_refused() {
        assert_eq!(BookingCode::parse(""), Err(CodeError::Empty));
        assert_eq!(BookingCode::parse("ABC"), Err(CodeError::Length(3)));
        assert_eq!(
            BookingCode::parse("ABCDE-FGHU1"),
            Err(CodeError::Character('U'))
        );
        assert_eq!(
            BookingCode::parse("ÄBCDEFGH12"),
            Err(CodeError::Character('Ä'))
        );
    }

    proptest! {
        #[test]
        fn every_single_character_change_is_caught(n in 0u64..(1 << 45), pos in 0usize..LEN, d in 1usize..32) {
            let code = BookingCode::from_number(n);
            let mut bytes = code.as_str().as_bytes().to_vec();
            let v = value(bytes[pos]).unwrap() as usize;
            bytes[pos] = ALPHABET[(v + d) % 32];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(BookingCode::parse(&changed), Err(CodeError::Checksum));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = BookingCode::parse(&s);
        }
    }
}
