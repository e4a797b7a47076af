//! A booking as the online queue system (M-Paspor, antrian.imigrasi.go.id) issues it: one
//! office, one arrival day, one service and passport type, up to five applicants.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::booking_code::BookingCode;

/// Up to five applicants share one booking (M-Paspor's limit).
pub const MAX_APPLICANTS: usize = 5;
/// Below this age an applicant follows the child checklist (UU 6/2011: a child is under 17
/// and unmarried).
pub const ADULT_AGE: u32 = 17;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    New,
    ReplacementExpired,
    ReplacementFull,
    Lost,
    Damaged,
    DataChange,
}

impl ApplicationType {
    pub const ALL: [ApplicationType; 6] = [
        Self::New,
        Self::ReplacementExpired,
        Self::ReplacementFull,
        Self::Lost,
        Self::Damaged,
        Self::DataChange,
    ];
    /// Lost and damaged passports need a formal examination record (BAP) at the interview.
    pub fn needs_examination(self) -> bool {
        matches!(self, Self::Lost | Self::Damaged)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Regular,
    Express,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassportType {
    /// Paspor biasa, 48 pages.
    Ordinary,
    /// E-paspor valid 5 years.
    Electronic5,
    /// E-paspor valid 10 years.
    Electronic10,
}

impl PassportType {
    pub const ALL: [PassportType; 3] = [Self::Ordinary, Self::Electronic5, Self::Electronic10];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub name: String,
    pub nik: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Travelling as a migrant worker (PMI): needs the manpower office's recommendation.
    pub migrant_worker: bool,
    /// Name differs from the old passport or civil records: needs the change decree.
    pub name_changed: bool,
    /// What this applicant paid through SIMPONI, if anything yet.
    pub paid: Option<i64>,
}

impl Applicant {
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        age_on(self.birth_date, day)
    }
    pub fn is_child_on(&self, day: NaiveDate) -> bool {
        self.age_on(day) < ADULT_AGE
    }
}

/// Full years between `born` and `day` (0 when `day` is before `born`).
pub fn age_on(born: NaiveDate, day: NaiveDate) -> u32 {
    let mut years = day.year() - born.year();
    if (day.month(), day.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Why someone is served without a booking (Surat Edaran Dirjen Imigrasi on walk-in service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkInReason {
    Elderly,
    Disability,
    ChildUnderFive,
    LostOrDamaged,
}

impl WalkInReason {
    pub const ALL: [WalkInReason; 4] = [
        Self::Elderly,
        Self::Disability,
        Self::ChildUnderFive,
        Self::LostOrDamaged,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub code: BookingCode,
    pub office: String,
    pub date: NaiveDate,
    pub slot: NaiveTime,
    pub service: Service,
    pub passport: PassportType,
    pub application: ApplicationType,
    /// The 15-digit SIMPONI billing code.
    pub billing_code: String,
    pub applicants: Vec<Applicant>,
    pub walk_in: Option<WalkInReason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_full_years() {
        let born = NaiveDate::from_ymd_opt(2009, 11, 26).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(age_on(born, day), 16);
        assert_eq!(age_on(born, day.succ_opt().unwrap()), 17);
        assert_eq!(age_on(day, born), 0);
    }
}
