//! The documents each applicant must show, by age, application type and purpose.
//!
//! Source: Permenkumham 8/2014 on passports (art. 4–6, documents for adults and children),
//! Permenkumham 18/2022 on replacement, and the Directorate General of Immigration's public
//! requirement list (imigrasi.go.id, "Persyaratan Paspor"): adults bring e-KTP, Kartu
//! Keluarga and one civil record; children bring both parents' KTP, KK, birth record and the
//! parents' marriage record and come with both parents; lost passports need a police report;
//! damaged ones the damaged passport; migrant workers the manpower office's recommendation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::booking::{Applicant, ApplicationType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    EKtp,
    FamilyCard,
    /// One of akta kelahiran, akta perkawinan or buku nikah, ijazah, surat baptis.
    CivilRecord,
    NameChangeDecree,
    OldPassport,
    PoliceReport,
    DamagedPassport,
    MigrantRecommendation,
    ParentsKtp,
    /// Akta kelahiran or surat baptis.
    BirthRecord,
    ParentsMarriageRecord,
    BothParentsPresent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    #[default]
    Unchecked,
    Valid,
    Missing,
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocItem {
    pub kind: DocKind,
    pub status: DocStatus,
    pub note: String,
}

/// The checklist for one applicant on the day of service.
pub fn requirements(
    applicant: &Applicant,
    application: ApplicationType,
    day: NaiveDate,
) -> Vec<DocKind> {
    use DocKind::*;
    let mut docs = if applicant.is_child_on(day) {
        vec![
            ParentsKtp,
            FamilyCard,
            BirthRecord,
            ParentsMarriageRecord,
            BothParentsPresent,
        ]
    } else {
        vec![EKtp, FamilyCard, CivilRecord]
    };
    match application {
        ApplicationType::New => {}
        ApplicationType::ReplacementExpired | ApplicationType::ReplacementFull => {
            docs.push(OldPassport)
        }
        ApplicationType::DataChange => docs.extend([OldPassport, NameChangeDecree]),
        ApplicationType::Lost => docs.push(PoliceReport),
        ApplicationType::Damaged => docs.push(DamagedPassport),
    }
    if applicant.name_changed && !docs.contains(&NameChangeDecree) {
        docs.push(NameChangeDecree);
    }
    if applicant.migrant_worker && !applicant.is_child_on(day) {
        docs.push(MigrantRecommendation);
    }
    docs
}

/// The documents of `kinds` for a person who is a child (`child`) or not: the documents
/// that depend on age (an adult's e-KTP and civil record; a child's parents' KTP, birth
/// record, parents' marriage record and both parents present) are those of the age, as
/// `requirements` lists them, and a migrant worker's recommendation stays only for an
/// adult; the documents of the application follow in their order. Unchanged when `kinds`
/// already fits the age.
pub fn for_age(kinds: &[DocKind], child: bool) -> Vec<DocKind> {
    use DocKind::*;
    const ADULT: [DocKind; 3] = [EKtp, FamilyCard, CivilRecord];
    const CHILD: [DocKind; 5] = [
        ParentsKtp,
        FamilyCard,
        BirthRecord,
        ParentsMarriageRecord,
        BothParentsPresent,
    ];
    let (wrong, base): (&[DocKind], &[DocKind]) = if child {
        (&[EKtp, CivilRecord, MigrantRecommendation], &CHILD)
    } else {
        (
            &[
                ParentsKtp,
                BirthRecord,
                ParentsMarriageRecord,
                BothParentsPresent,
            ],
            &ADULT,
        )
    };
    if !kinds.iter().any(|k| wrong.contains(k)) {
        return kinds.to_vec();
    }
    let mut out = base.to_vec();
    out.extend(
        kinds
            .iter()
            .filter(|k| !ADULT.contains(k) && !CHILD.contains(k) && !wrong.contains(k)),
    );
    out
}

pub fn fresh_checklist(kinds: &[DocKind]) -> Vec<DocItem> {
    kinds
        .iter()
        .map(|&kind| DocItem {
            kind,
            status: DocStatus::Unchecked,
            note: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::Sex;
    use DocKind::*;

    fn person(born: (i32, u32, u32)) -> Applicant {
        Applicant {
            name: "X".into(),
            nik: String::new(),
            birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
            sex: Sex::Male,
            migrant_worker: false,
            name_changed: false,
            paid: None,
        }
    }
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn adult_new() {
        assert_eq!(
            requirements(&person((1990, 1, 1)), ApplicationType::New, today()),
            vec![EKtp, FamilyCard, CivilRecord]
        );
    }

    #[test]
    fn child_renewing_brings_parents_and_old_passport() {
        let r = requirements(
            &person((2015, 1, 1)),
            ApplicationType::ReplacementExpired,
            today(),
        );
        assert_eq!(
            r,
            vec![
                ParentsKtp,
                FamilyCard,
                BirthRecord,
                ParentsMarriageRecord,
                BothParentsPresent,
                OldPassport
            ]
        );
    }

    #[test]
    fn turns_adult_on_seventeenth_birthday() {
        let p = person((2009, 11, 25));
        assert!(requirements(&p, ApplicationType::New, today()).contains(&EKtp));
        let p = person((2009, 11, 26));
        assert!(requirements(&p, ApplicationType::New, today()).contains(&ParentsKtp));
    }

    #[test]
    fn lost_damaged_migrant_and_name_change() {
        let mut p = person((1990, 1, 1));
        assert!(requirements(&p, ApplicationType::Lost, today()).contains(&PoliceReport));
        assert!(requirements(&p, ApplicationType::Damaged, today()).contains(&DamagedPassport));
        p.migrant_worker = true;
        p.name_changed = true;
        let r = requirements(&p, ApplicationType::DataChange, today());
        assert!(r.contains(&MigrantRecommendation));
        assert_eq!(r.iter().filter(|k| **k == NameChangeDecree).count(), 1);
    }
}
