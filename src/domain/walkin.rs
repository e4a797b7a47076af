//! Who may be served without a booking. The Directorate General of Immigration serves
//! walk-ins for the elderly (60 and over, UU 13/1998 on the welfare of the elderly), people
//! with disabilities, children under five, and lost or damaged passports (which need an
//! examination record rather than an online slot).

use chrono::NaiveDate;

use super::booking::{ApplicationType, WalkInReason, age_on};

pub const ELDERLY_AGE: u32 = 60;
pub const SMALL_CHILD_AGE: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkInRefusal {
    /// Claimed elderly but younger than 60 (the age is given).
    NotElderly(u32),
    /// Claimed small child but five or older.
    NotSmallChild(u32),
    /// Claimed lost/damaged but the application is of another type.
    NotLostOrDamaged,
    /// Birth date after today.
    BornInFuture,
}

pub fn check(
    reason: WalkInReason,
    birth_date: NaiveDate,
    application: ApplicationType,
    today: NaiveDate,
) -> Result<(), WalkInRefusal> {
    if birth_date > today {
        return Err(WalkInRefusal::BornInFuture);
    }
    let age = age_on(birth_date, today);
    match reason {
        WalkInReason::Elderly if age < ELDERLY_AGE => Err(WalkInRefusal::NotElderly(age)),
        WalkInReason::ChildUnderFive if age >= SMALL_CHILD_AGE => {
            Err(WalkInRefusal::NotSmallChild(age))
        }
        WalkInReason::LostOrDamaged
            if !matches!(
                application,
                ApplicationType::Lost | ApplicationType::Damaged
            ) =>
        {
            Err(WalkInRefusal::NotLostOrDamaged)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_limits() {
        let today = d(2026, 11, 25);
        let new = ApplicationType::New;
        assert_eq!(
            check(WalkInReason::Elderly, d(1966, 11, 25), new, today),
            Ok(())
        );
        assert_eq!(
            check(WalkInReason::Elderly, d(1966, 11, 26), new, today),
            Err(WalkInRefusal::NotElderly(59))
        );
        assert_eq!(
            check(WalkInReason::ChildUnderFive, d(2021, 11, 26), new, today),
            Ok(())
        );
        assert_eq!(
            check(WalkInReason::ChildUnderFive, d(2021, 11, 25), new, today),
            Err(WalkInRefusal::NotSmallChild(5))
        );
        assert_eq!(
            check(WalkInReason::Disability, d(1990, 1, 1), new, today),
            Ok(())
        );
        assert_eq!(
            check(WalkInReason::LostOrDamaged, d(1990, 1, 1), new, today),
            Err(WalkInRefusal::NotLostOrDamaged)
        );
        assert_eq!(
            check(
                WalkInReason::LostOrDamaged,
                d(1990, 1, 1),
                ApplicationType::Damaged,
                today
            ),
            Ok(())
        );
        assert_eq!(
            check(WalkInReason::Disability, d(2027, 1, 1), new, today),
            Err(WalkInRefusal::BornInFuture)
        );
    }
}
