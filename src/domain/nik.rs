//! Nomor Induk Kependudukan (NIK), the 16-digit population number on the e-KTP.
//!
//! Layout (Permendagri 72/2019 on Kemendagri region codes; UU 24/2013 on Adminduk):
//! digits 1–2 province, 3–4 regency/city, 5–6 district, 7–12 birth date as DDMMYY with 40
//! added to the day for women, 13–16 a serial from 0001. A NIK whose birth date disagrees
//! with the applicant's is the most common data-entry error at the counter, so [`check`]
//! explains each disagreement rather than only saying "invalid".

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::booking::Sex;

/// Province codes in use (Kemendagri), including the Papua provinces formed in 2022.
pub const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NikError {
    /// Not 16 characters long (the count is of what was typed).
    Length(usize),
    /// Holds something other than digits 0–9.
    NotDigits,
    /// Digits 1–2 are no province code.
    Province(u8),
    /// Regency or district code is 00.
    Region,
    /// Digits 7–12 are no calendar date, even after taking 40 off the day.
    BirthDate,
    /// Digits 13–16 are 0000.
    Serial,
}

/// What a valid NIK says about its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NikInfo {
    pub province: u8,
    pub regency: u8,
    pub district: u8,
    pub day: u32,
    pub month: u32,
    /// The two-digit year: a NIK does not carry the century.
    pub year2: u32,
    pub sex: Sex,
    pub serial: u16,
}

impl NikInfo {
    /// The birth date, taking the century that puts it on or before `today`.
    pub fn birth_date(&self, today: NaiveDate) -> Option<NaiveDate> {
        let this_century = today.year() - today.year().rem_euclid(100);
        let candidate = this_century + self.year2 as i32;
        let year = if NaiveDate::from_ymd_opt(candidate, self.month, self.day)
            .is_some_and(|d| d <= today)
        {
            candidate
        } else {
            candidate - 100
        };
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

pub fn parse(raw: &str) -> Result<NikInfo, NikError> {
    let nik: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let len = nik.chars().count();
    if len != 16 {
        return Err(NikError::Length(len));
    }
    if !nik.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NikError::NotDigits);
    }
    let d = |from: usize, to: usize| -> u32 {
        nik.as_bytes()[from..to]
            .iter()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let province = d(0, 2) as u8;
    if !PROVINCES.contains(&province) {
        return Err(NikError::Province(province));
    }
    let (regency, district) = (d(2, 4) as u8, d(4, 6) as u8);
    if regency == 0 || district == 0 {
        return Err(NikError::Region);
    }
    let (raw_day, month, year2) = (d(6, 8), d(8, 10), d(10, 12));
    let (day, sex) = if raw_day > 40 {
        (raw_day - 40, Sex::Female)
    } else {
        (raw_day, Sex::Male)
    };
    // 29 February must exist in some year with these two digits: 2000 is a leap year, so
    // checking against 2000+yy, then 1900+yy accepts exactly the possible dates.
    let plausible = NaiveDate::from_ymd_opt(2000 + year2 as i32, month, day).is_some()
        || NaiveDate::from_ymd_opt(1900 + year2 as i32, month, day).is_some();
    if !plausible {
        return Err(NikError::BirthDate);
    }
    let serial = d(12, 16) as u16;
    if serial == 0 {
        return Err(NikError::Serial);
    }
    Ok(NikInfo {
        province,
        regency,
        district,
        day,
        month,
        year2,
        sex,
        serial,
    })
}

/// One way a well-formed NIK disagrees with what the documents say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NikMismatch {
    /// Digits 7–12 give another birth date (day, month and two-digit year as in the NIK).
    BirthDate {
        nik: (u32, u32, u32),
        stated: NaiveDate,
    },
    /// The day carries (or lacks) the +40 of a woman.
    Sex { nik: Sex, stated: Sex },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NikCheck {
    Valid,
    Invalid(NikError),
    Mismatch(Vec<NikMismatch>),
}

impl NikCheck {
    pub fn is_valid(&self) -> bool {
        matches!(self, NikCheck::Valid)
    }
}

/// Checks a NIK's form, then its birth date and sex against the documents.
pub fn check(raw: &str, birth_date: NaiveDate, sex: Sex) -> NikCheck {
    let info = match parse(raw) {
        Ok(info) => info,
        Err(e) => return NikCheck::Invalid(e),
    };
    let mut mismatches = Vec::new();
    let stated_y2 = birth_date.year().rem_euclid(100) as u32;
    if (info.day, info.month, info.year2) != (birth_date.day(), birth_date.month(), stated_y2) {
        mismatches.push(NikMismatch::BirthDate {
            nik: (info.day, info.month, info.year2),
            stated: birth_date,
        });
    }
    if info.sex != sex {
        mismatches.push(NikMismatch::Sex {
            nik: info.sex,
            stated: sex,
        });
    }
    if mismatches.is_empty() {
        NikCheck::Valid
    } else {
        NikCheck::Mismatch(mismatches)
    }
}

/// Builds a NIK for the given region, birth date, sex and serial (demo data and tests).
pub fn compose(region: (u8, u8, u8), birth_date: NaiveDate, sex: Sex, serial: u16) -> String {
    let day = birth_date.day() + if sex == Sex::Female { 40 } else { 0 };
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}{:04}",
        region.0,
        region.1,
        region.2,
        day,
        birth_date.month(),
        birth_date.year().rem_euclid(100),
        serial
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn woman_has_forty_added_to_day() {
        let info = parse("3174054507900001").unwrap();
        assert_eq!((info.day, info.month, info.year2), (5, 7, 90));
        assert_eq!(info.sex, Sex::Female);
        assert_eq!(info.birth_date(date(2026, 11, 25)), Some(date(1990, 7, 5)));
    }

    #[test]
    fn century_is_the_one_before_today() {
        let info = parse("3174051503200001").unwrap();
        assert_eq!(info.birth_date(date(2026, 11, 25)), Some(date(2020, 3, 15)));
        let info = parse("3174051512300001").unwrap();
        assert_eq!(
            info.birth_date(date(2026, 11, 25)),
            Some(date(1930, 12, 15))
        );
    }

    #[test]
    fn rejects_each_malformed_part() {
        assert_eq!(parse("317405"), Err(NikError::Length(6)));
        assert_eq!(parse("31740515032000A1"), Err(NikError::NotDigits));
        assert_eq!(parse("2074051503200001"), Err(NikError::Province(20)));
        assert_eq!(parse("3100051503200001"), Err(NikError::Region));
        assert_eq!(parse("3174053203200001"), Err(NikError::BirthDate));
        assert_eq!(parse("3174057203200001"), Err(NikError::BirthDate));
        assert_eq!(parse("3174051513200001"), Err(NikError::BirthDate));
        assert_eq!(parse("3174051503200000"), Err(NikError::Serial));
        // 29 February 2000 exists; 29 February 2001 and 1901 do not.
        assert!(parse("3174052902000001").is_ok());
        assert_eq!(parse("3174052902010001"), Err(NikError::BirthDate));
    }

    #[test]
    fn spaces_are_ignored() {
        assert!(parse("3174 0515 0320 0001").is_ok());
    }

    #[test]
    fn explains_date_and_sex_mismatch() {
        let c = check("3174051503900001", date(1990, 3, 16), Sex::Female);
        match c {
            NikCheck::Mismatch(m) => {
                assert_eq!(m.len(), 2);
                assert!(matches!(
                    m[0],
                    NikMismatch::BirthDate {
                        nik: (15, 3, 90),
                        ..
                    }
                ));
                assert!(matches!(
                    m[1],
                    NikMismatch::Sex {
                        nik: Sex::Male,
                        stated: Sex::Female
                    }
                ));
            }
            other => panic!("expected mismatch, got {other:?}"),
        }
        assert_eq!(
            check("3174051503900001", date(1990, 3, 15), Sex::Male),
            NikCheck::Valid
        );
    }

    proptest! {
        #[test]
        fn composed_nik_checks_valid(
            days in 0i64..40_000, female: bool, serial in 1u16..=9999, p in 0usize..PROVINCES.len()
        ) {
            let born = date(1920, 1, 1) + chrono::Duration::days(days);
            let sex = if female { Sex::Female } else { Sex::Male };
            let nik = compose((PROVINCES[p], 1, 1), born, sex, serial);
            prop_assert_eq!(check(&nik, born, sex), NikCheck::Valid);
            let info = parse(&nik).unwrap();
            prop_assert_eq!(info.birth_date(date(2026, 11, 25)).map(|d| d.month()), Some(born.month()));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn one_digit_changed_in_date_is_caught(days in 0i64..30_000, pos in 6usize..12, delta in 1u8..10) {
            let born = date(1940, 1, 1) + chrono::Duration::days(days);
            let nik = compose((31, 74, 5), born, Sex::Male, 1);
            let mut bytes = nik.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(!check(&changed, born, Sex::Male).is_valid());
        }
    }
}
