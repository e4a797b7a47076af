//! What makes an officer's PIN too easy to guess. A counter holds the roster's PIN hashes
//! to sign officers in offline, so a PIN must resist a search of the likely ones first:
//! repeated or running digits, and the officer's birth date, which the NIP carries in its
//! first eight digits (PP 11/2017 on civil servants: NIP = birth date YYYYMMDD, appointment
//! YYYYMM, sex, serial).

use serde::Serialize;

pub const MIN_LEN: usize = 6;
/// A supervisor's PIN: long enough that searching it from what one kiosk holds (an
/// Argon2id hash at 64 MiB, three passes: about 14 guesses a second on 2 cores, see
/// `benches/proof.rs`) takes decades, not 20 hours. Their approvals are what a stolen kiosk would forge.
pub const SUPERVISOR_MIN_LEN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PinWeakness {
    /// Fewer than six digits, or something other than digits.
    Format,
    /// One digit, or a short group, repeated (111111, 121212, 123123).
    Repeated,
    /// Digits running up or down (123456, 987654).
    Sequence,
    /// Made from the officer's birth date as the NIP gives it.
    BirthDate,
    /// A supervisor's PIN under [`SUPERVISOR_MIN_LEN`] digits.
    SupervisorLength,
}

impl PinWeakness {
    pub fn english(self) -> &'static str {
        match self {
            PinWeakness::Format => "a PIN is at least 6 digits",
            PinWeakness::Repeated => "a PIN may not repeat one digit or a short group",
            PinWeakness::Sequence => "a PIN may not be a run of digits such as 123456",
            PinWeakness::BirthDate => "a PIN may not be made from the officer's birth date",
            PinWeakness::SupervisorLength => {
                "a supervisor's PIN is at least 10 digits: their approvals must withstand a search of a stolen kiosk"
            }
        }
    }
}

/// Why `pin` is too weak for an officer of `role` (`officer`, `supervisor`,
/// `technician`) with `nip`, if it is.
pub fn weakness_for(pin: &str, nip: &str, role: &str) -> Option<PinWeakness> {
    weakness(pin, nip).or_else(|| {
        (role == "supervisor" && pin.len() < SUPERVISOR_MIN_LEN)
            .then_some(PinWeakness::SupervisorLength)
    })
}

/// Why `pin` is too weak for the officer with `nip`, if it is.
pub fn weakness(pin: &str, nip: &str) -> Option<PinWeakness> {
    let digits: Vec<u8> = pin.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if digits.len() < MIN_LEN || digits.iter().any(|d| *d > 9) {
        return Some(PinWeakness::Format);
    }
    let repeated = (1..=3).any(|period| {
        digits.len().is_multiple_of(period)
            && digits
                .iter()
                .enumerate()
                .all(|(i, d)| *d == digits[i % period])
    });
    if repeated {
        return Some(PinWeakness::Repeated);
    }
    let steps: Vec<i8> = digits
        .windows(2)
        .map(|w| (w[1] as i8 - w[0] as i8).rem_euclid(10))
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == 9) {
        return Some(PinWeakness::Sequence);
    }
    if birth_date_forms(nip).iter().any(|form| form.contains(pin)) {
        return Some(PinWeakness::BirthDate);
    }
    None
}

/// The birth date in the NIP written as people write it: YYYYMMDD, DDMMYYYY, MMDDYYYY,
/// and their two-digit-year forms.
fn birth_date_forms(nip: &str) -> Vec<String> {
    let nip: String = nip.chars().filter(char::is_ascii_digit).collect();
    if nip.len() < 8 {
        return Vec::new();
    }
    let (y, m, d) = (&nip[0..4], &nip[4..6], &nip[6..8]);
    let yy = &y[2..];
    vec![
        format!("{y}{m}{d}"),
        format!("{d}{m}{y}"),
        format!("{m}{d}{y}"),
        format!("{d}{m}{yy}"),
        format!("{yy}{m}{d}"),
        format!("{m}{d}{yy}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIP: &str = "198801312010012001";

    #[test]
    fn likely_pins_are_refused_with_their_reason() {
        let cases = [
            ("12345", PinWeakness::Format),
            ("12a456", PinWeakness::Format),
            ("111111", PinWeakness::Repeated),
            ("121212", PinWeakness::Repeated),
            ("123123", PinWeakness::Repeated),
            ("123456", PinWeakness::Sequence),
            ("654321", PinWeakness::Sequence),
            ("890123", PinWeakness::Sequence),
            ("310188", PinWeakness::BirthDate),
            ("880131", PinWeakness::BirthDate),
            ("31011988", PinWeakness::BirthDate),
            ("013119", PinWeakness::BirthDate),
        ];
        for (pin, why) in cases {
            assert_eq!(weakness(pin, NIP), Some(why), "{pin}");
        }
    }

    #[test]
    fn a_supervisor_s_pin_is_ten_digits_or_more() {
        assert_eq!(
            weakness_for("482913", NIP, "supervisor"),
            Some(PinWeakness::SupervisorLength)
        );
        assert_eq!(weakness_for("482913", NIP, "officer"), None);
        assert_eq!(weakness_for("4829137065", NIP, "supervisor"), None);
        assert_eq!(
            weakness_for("1111111111", NIP, "supervisor"),
            Some(PinWeakness::Repeated)
        );
    }

    #[test]
    fn ordinary_pins_pass() {
        for pin in ["482913", "705162", "39184027"] {
            assert_eq!(weakness(pin, NIP), None, "{pin}");
        }
    }
}
