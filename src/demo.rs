//! The demo office: a realistic, deterministic day of bookings and the demo accounts.
//! The same seed and day always give the same bookings, so a demo can be reproduced.

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::domain::booking::{ADULT_AGE, WalkInReason};
use crate::domain::fees::{FeeQuery, FeeSchedule};
use crate::domain::{
    Applicant, ApplicationType, Booking, BookingCode, PassportType, Service, Sex, nik,
};
use crate::store::{Officer, Role, Store, StoreError};

/// Demo accounts: (username, NIP, name, role, PIN). Also listed in the README.
pub const ACCOUNTS: [(&str, &str, &str, Role, &str); 3] = [
    (
        "petugas1",
        "199001012015031001",
        "Rina Wulandari",
        Role::Officer,
        "111111",
    ),
    (
        "supervisor1",
        "198505052010121002",
        "Agus Setiawan",
        Role::Supervisor,
        "222222",
    ),
    (
        "teknisi1",
        "199207072018011003",
        "Dedi Kurniawan",
        Role::Technician,
        "333333",
    ),
];

/// Bookings seeded for the counter's own office on its first day.
pub const TODAY_BOOKINGS: usize = 160;
const LATER_BOOKINGS: usize = 80;
const OTHER_OFFICE: &str = "MKS";

const GIVEN_M: &[&str] = &[
    "Budi", "Agus", "Joko", "Hendra", "Rizky", "Fajar", "Dimas", "Andi", "Bayu", "Eko", "Wahyu",
    "Yusuf", "Arif", "Teguh", "Irfan", "Made", "Putu", "Ketut", "Rahmat", "Slamet",
];
const GIVEN_F: &[&str] = &[
    "Siti", "Dewi", "Sri", "Ayu", "Rina", "Putri", "Nurul", "Indah", "Fitri", "Wulan", "Ratna",
    "Lestari", "Kartika", "Nyoman", "Maya", "Rahayu", "Anisa", "Yuliana", "Dian", "Ika",
];
const FAMILY: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Nugroho",
    "Pratama",
    "Kusuma",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Halim",
    "Setiawan",
    "Gunawan",
    "Hasibuan",
    "Wibowo",
    "Rahman",
    "Sutanto",
    "Lubis",
    "Tanjung",
    "Pangaribuan",
];
/// (province, regency, district) of a few real regions: Jakarta Selatan, Bandung, Surabaya,
/// Makassar, Medan, Denpasar.
const REGIONS: &[(u8, u8, u8)] = &[
    (31, 74, 5),
    (32, 73, 2),
    (35, 78, 7),
    (73, 71, 4),
    (12, 71, 3),
    (51, 71, 1),
];

/// SplitMix64: small, fast and fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn day_seed(seed: u64, day: NaiveDate, office: &str) -> u64 {
    let mut h = seed ^ 0xC0FF_EE00_D15E_A5E5;
    for b in day.to_string().bytes().chain(office.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h
}

fn person(
    rng: &mut Rng,
    birth: NaiveDate,
    sex: Sex,
    family: &str,
    region: (u8, u8, u8),
) -> Applicant {
    let given = if sex == Sex::Female {
        rng.pick(GIVEN_F)
    } else {
        rng.pick(GIVEN_M)
    };
    let mut nik_birth = birth;
    // About one NIK in twenty carries the counter's most common error: a birth date typo.
    if rng.chance(5) {
        nik_birth = birth + Duration::days(1 + rng.below(40) as i64);
    }
    Applicant {
        name: format!("{given} {family}"),
        nik: nik::compose(region, nik_birth, sex, 1 + rng.below(9998) as u16),
        birth_date: birth,
        sex,
        migrant_worker: false,
        name_changed: rng.chance(3),
        paid: None,
    }
}

fn birth_between(rng: &mut Rng, today: NaiveDate, min_age: i64, max_age: i64) -> NaiveDate {
    let days = min_age * 365 + rng.below(((max_age - min_age) * 365).max(1) as u64) as i64;
    today - Duration::days(days + 1)
}

/// One booking's applicants: a single adult, or a family with children.
fn applicants(rng: &mut Rng, today: NaiveDate, count: usize) -> Vec<Applicant> {
    let family = *rng.pick(FAMILY);
    let region = *rng.pick(REGIONS);
    let first_sex = if rng.chance(50) {
        Sex::Female
    } else {
        Sex::Male
    };
    let first_birth = birth_between(rng, today, 20, 75);
    let mut list = vec![person(rng, first_birth, first_sex, family, region)];
    for i in 1..count {
        let sex = if rng.chance(50) {
            Sex::Female
        } else {
            Sex::Male
        };
        let birth = if i == 1 && rng.chance(60) {
            birth_between(rng, today, 20, 70)
        } else {
            birth_between(rng, today, 0, ADULT_AGE as i64 + 3)
        };
        list.push(person(rng, birth, sex, family, region));
    }
    list
}

fn booking(
    rng: &mut Rng,
    fees: &FeeSchedule,
    office: &str,
    day: NaiveDate,
    slot: NaiveTime,
) -> Booking {
    let count = match rng.below(100) {
        0..55 => 1,
        55..75 => 2,
        75..87 => 3,
        87..95 => 4,
        _ => 5,
    };
    let application = match rng.below(100) {
        0..30 => ApplicationType::New,
        30..62 => ApplicationType::ReplacementExpired,
        62..72 => ApplicationType::ReplacementFull,
        72..82 => ApplicationType::Lost,
        82..90 => ApplicationType::Damaged,
        _ => ApplicationType::DataChange,
    };
    let service = if rng.chance(15) {
        Service::Express
    } else {
        Service::Regular
    };
    let passport = *rng.pick(&PassportType::ALL);
    let mut people = applicants(rng, day, count);
    for a in &mut people {
        a.migrant_worker = count == 1 && !a.is_child_on(day) && rng.chance(8);
        let q = FeeQuery {
            passport,
            service,
            application,
            force_majeure: false,
            paid: None,
            day,
        };
        let due = fees.summary(&q).map(|s| s.total).unwrap_or(0);
        a.paid = match rng.below(100) {
            0..85 => Some(due),
            85..93 => None,
            // Paid a wrong amount: the express surcharge forgotten, or the old tariff.
            _ => Some(due - 300_000),
        };
    }
    Booking {
        code: BookingCode::issued(rng.below(1 << 45)),
        office: office.to_owned(),
        date: day,
        slot,
        service,
        passport,
        application,
        billing_code: format!("8{:014}", rng.below(100_000_000_000_000)),
        applicants: people,
        walk_in: None,
    }
}

/// Generates one office-day of bookings, with slots from 08:00 every two minutes.
pub fn day_bookings(
    seed: u64,
    office: &str,
    day: NaiveDate,
    count: usize,
    fees: &FeeSchedule,
) -> Vec<Booking> {
    draw(Rng(day_seed(seed, day, office)), office, day, count, fees)
}

/// One office-day of bookings dated `day`, drawn from `seed` alone: every day gets the same
/// draw (ages are kept in days before `day`, codes and names do not change). Tests use it,
/// so what they are given does not depend on the date they run on; the demo office uses
/// [`day_bookings`], whose days differ.
pub fn bookings_drawn(
    seed: u64,
    office: &str,
    day: NaiveDate,
    count: usize,
    fees: &FeeSchedule,
) -> Vec<Booking> {
    draw(Rng(seed ^ 0x005E_ED0F_D4A7), office, day, count, fees)
}

fn draw(
    mut rng: Rng,
    office: &str,
    day: NaiveDate,
    count: usize,
    fees: &FeeSchedule,
) -> Vec<Booking> {
    let start = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN);
    (0..count)
        .map(|i| {
            let slot = start + Duration::minutes(2 * i as i64);
            let mut b = booking(&mut rng, fees, office, day, slot);
            // A few walk-ins already registered at the information desk.
            if i % 40 == 39 {
                b.walk_in = Some(WalkInReason::Elderly);
                b.applicants.truncate(1);
                let born = birth_between(&mut rng, day, 61, 80);
                let a = &mut b.applicants[0];
                a.birth_date = born;
                a.nik = nik::compose(REGIONS[0], born, a.sex, 1 + rng.below(9998) as u16);
            }
            b
        })
        .collect()
}

/// What seeding did, for the message printed on first start.
#[derive(Debug, Default)]
pub struct Seeded {
    pub bookings: usize,
    pub officers: usize,
}

/// Seeds the demo office: accounts when none exist, and bookings for yesterday, today and
/// the next three days where a day holds none yet (so a demo started on a later day has a
/// queue too), plus a few at another office.
pub fn seed(
    store: &mut Store,
    seed: u64,
    today: NaiveDate,
    fees: &FeeSchedule,
) -> Result<Seeded, StoreError> {
    let mut done = Seeded::default();
    if store.officer_count()? == 0 {
        for (username, nip, name, role, pin) in ACCOUNTS {
            let officer = Officer {
                username: username.into(),
                nip: nip.into(),
                name: name.into(),
                role,
            };
            store.put_officer(&officer, &crate::store::hash_pin(pin)?)?;
            done.officers += 1;
        }
    }
    let office = store.office().to_owned();
    for offset in -1..=3 {
        let day = today + Duration::days(offset);
        if !store.queue(day)?.is_empty() {
            continue;
        }
        let count = if offset == 0 {
            TODAY_BOOKINGS
        } else if offset < 0 {
            20
        } else {
            LATER_BOOKINGS
        };
        let mut bookings = day_bookings(seed, &office, day, count, fees);
        if offset == 0 {
            bookings.extend(day_bookings(seed, OTHER_OFFICE, day, 10, fees));
        }
        done.bookings += bookings.len();
        store.put_bookings(&bookings)?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn fees() -> FeeSchedule {
        FeeSchedule::from_toml(crate::config::FEES).unwrap()
    }
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn same_seed_same_day() {
        let a = day_bookings(7, "JKS", today(), 50, &fees());
        assert_eq!(a, day_bookings(7, "JKS", today(), 50, &fees()));
        assert_ne!(a, day_bookings(8, "JKS", today(), 50, &fees()));
    }

    #[test]
    fn a_day_covers_every_kind_of_case() {
        let day = day_bookings(1, "JKS", today(), TODAY_BOOKINGS, &fees());
        let apps: HashSet<_> = day.iter().map(|b| b.application).collect();
        assert_eq!(apps.len(), ApplicationType::ALL.len());
        let passports: HashSet<_> = day.iter().map(|b| b.passport).collect();
        assert_eq!(passports.len(), 3);
        assert!(day.iter().any(|b| b.service == Service::Express));
        let sizes: HashSet<_> = day.iter().map(|b| b.applicants.len()).collect();
        assert_eq!(sizes, (1..=5).collect());
        let people: Vec<_> = day.iter().flat_map(|b| &b.applicants).collect();
        assert!(people.iter().any(|a| a.is_child_on(today())));
        assert!(people.iter().any(|a| a.paid.is_none()));
        assert!(
            people
                .iter()
                .any(|a| !nik::check(&a.nik, a.birth_date, a.sex).is_valid())
        );
        assert!(people.iter().any(|a| a.migrant_worker));
        let codes: HashSet<_> = day.iter().map(|b| &b.code).collect();
        assert_eq!(codes.len(), day.len());
    }

    #[test]
    fn seeding_twice_adds_nothing() {
        let mut store = Store::open_in_memory("JKS").unwrap();
        let first = seed(&mut store, 1, today(), &fees()).unwrap();
        assert_eq!(first.officers, 3);
        assert_eq!(
            first.bookings,
            20 + TODAY_BOOKINGS + 10 + 3 * LATER_BOOKINGS
        );
        let again = seed(&mut store, 1, today(), &fees()).unwrap();
        assert_eq!((again.bookings, again.officers), (0, 0));
        assert_eq!(store.queue(today()).unwrap().len(), TODAY_BOOKINGS);
    }
}
