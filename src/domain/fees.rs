//! Fees from a schedule with effective dates (assets/fees.toml). Amounts are data; the rules
//! here are only which items apply: the passport itself, the express surcharge, and the fine
//! for a lost or damaged passport, waived when the loss came through force majeure
//! (PP 28/2019: "hilang atau rusak karena bencana alam" is charged Rp0).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::booking::{ApplicationType, Booking, PassportType, Service};
use super::case::Case;

/// The published schedule (assets/fees.toml), the one counters and pusat both apply.
pub const PUBLISHED: &str = include_str!("../../assets/fees.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeItem {
    OrdinaryPassport,
    #[serde(rename = "electronic_passport_5y")]
    ElectronicPassport5y,
    #[serde(rename = "electronic_passport_10y")]
    ElectronicPassport10y,
    ExpressService,
    LostFine,
    DamagedFine,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    item: FeeItem,
    amount: i64,
    effective_from: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    fee: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct FeeSchedule {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FeeError {
    #[error("fee schedule is not valid TOML: {0}")]
    Format(String),
    #[error("no fee for {item:?} on {day}")]
    Missing { item: FeeItem, day: NaiveDate },
}

/// What one applicant owes, item by item, against what was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSummary {
    pub lines: Vec<(FeeItem, i64)>,
    pub total: i64,
    pub paid: i64,
}

impl FeeSummary {
    /// Positive: still to pay; negative: paid too much.
    pub fn difference(&self) -> i64 {
        self.total - self.paid
    }
}

pub struct FeeQuery {
    pub passport: PassportType,
    pub service: Service,
    pub application: ApplicationType,
    pub force_majeure: bool,
    pub paid: Option<i64>,
    pub day: NaiveDate,
}

impl FeeQuery {
    /// What `case` of `booking` owes on `day`: the booking's passport, service and
    /// application, the force majeure its interview found, and what was paid, by the
    /// booking system and at the counter. The counter's screen and pusat's re-check both
    /// ask this.
    pub fn for_case(booking: &Booking, case: &Case, day: NaiveDate) -> FeeQuery {
        let booked = booking.applicants.get(case.applicant).and_then(|a| a.paid);
        let paid = match (booked, case.paid_at_counter()) {
            (booked, 0) => booked,
            (booked, counter) => Some(booked.unwrap_or(0) + counter),
        };
        FeeQuery {
            passport: booking.passport,
            service: booking.service,
            application: booking.application,
            force_majeure: case.interview.force_majeure,
            paid,
            day,
        }
    }
}

impl FeeSchedule {
    /// The published schedule.
    pub fn published() -> Result<Self, FeeError> {
        Self::from_toml(PUBLISHED)
    }

    pub fn from_toml(text: &str) -> Result<Self, FeeError> {
        let file: File = toml::from_str(text).map_err(|e| FeeError::Format(e.to_string()))?;
        Ok(Self { entries: file.fee })
    }

    /// The amount in force on `day`: the entry with the latest effective date not after it.
    pub fn amount(&self, item: FeeItem, day: NaiveDate) -> Result<i64, FeeError> {
        self.entries
            .iter()
            .filter(|e| e.item == item && e.effective_from <= day)
            .max_by_key(|e| e.effective_from)
            .map(|e| e.amount)
            .ok_or(FeeError::Missing { item, day })
    }

    pub fn summary(&self, q: &FeeQuery) -> Result<FeeSummary, FeeError> {
        let passport = match q.passport {
            PassportType::Ordinary => FeeItem::OrdinaryPassport,
            PassportType::Electronic5 => FeeItem::ElectronicPassport5y,
            PassportType::Electronic10 => FeeItem::ElectronicPassport10y,
        };
        let mut lines = vec![(passport, self.amount(passport, q.day)?)];
        if q.service == Service::Express {
            lines.push((
                FeeItem::ExpressService,
                self.amount(FeeItem::ExpressService, q.day)?,
            ));
        }
        let fine = match q.application {
            ApplicationType::Lost => Some(FeeItem::LostFine),
            ApplicationType::Damaged => Some(FeeItem::DamagedFine),
            _ => None,
        };
        if let Some(fine) = fine {
            let amount = if q.force_majeure {
                0
            } else {
                self.amount(fine, q.day)?
            };
            lines.push((fine, amount));
        }
        let total = lines.iter().map(|(_, a)| a).sum();
        Ok(FeeSummary {
            lines,
            total,
            paid: q.paid.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> FeeSchedule {
        FeeSchedule::from_toml(include_str!("../../assets/fees.toml")).unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn published_amounts() {
        let s = schedule();
        let d = day("2026-11-25");
        assert_eq!(s.amount(FeeItem::OrdinaryPassport, d), Ok(350_000));
        assert_eq!(s.amount(FeeItem::ElectronicPassport5y, d), Ok(650_000));
        assert_eq!(s.amount(FeeItem::ElectronicPassport10y, d), Ok(950_000));
        assert_eq!(s.amount(FeeItem::ExpressService, d), Ok(1_000_000));
        assert_eq!(s.amount(FeeItem::LostFine, d), Ok(1_000_000));
        assert_eq!(s.amount(FeeItem::DamagedFine, d), Ok(500_000));
    }

    #[test]
    fn effective_dates_choose_the_tariff() {
        let s = FeeSchedule::from_toml(
            r#"
            [[fee]]
            item = "ordinary_passport"
            amount = 300000
            effective_from = "2010-01-01"
            [[fee]]
            item = "ordinary_passport"
            amount = 350000
            effective_from = "2019-06-01"
            "#,
        )
        .unwrap();
        assert_eq!(
            s.amount(FeeItem::OrdinaryPassport, day("2019-05-31")),
            Ok(300_000)
        );
        assert_eq!(
            s.amount(FeeItem::OrdinaryPassport, day("2019-06-01")),
            Ok(350_000)
        );
        assert!(
            s.amount(FeeItem::OrdinaryPassport, day("2009-12-31"))
                .is_err()
        );
        assert!(
            s.amount(FeeItem::ExpressService, day("2020-01-01"))
                .is_err()
        );
    }

    #[test]
    fn lost_express_e_passport_with_and_without_force_majeure() {
        let s = schedule();
        let mut q = FeeQuery {
            passport: PassportType::Electronic10,
            service: Service::Express,
            application: ApplicationType::Lost,
            force_majeure: false,
            paid: Some(1_950_000),
            day: day("2026-11-25"),
        };
        let sum = s.summary(&q).unwrap();
        assert_eq!(sum.total, 2_950_000);
        assert_eq!(sum.difference(), 1_000_000);
        q.force_majeure = true;
        let sum = s.summary(&q).unwrap();
        assert_eq!(sum.total, 1_950_000);
        assert_eq!(sum.difference(), 0);
        assert_eq!(sum.lines.len(), 3);
    }

    #[test]
    fn rejects_garbage() {
        assert!(FeeSchedule::from_toml("fee = 3").is_err());
    }
}
