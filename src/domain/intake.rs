//! A booking arriving from outside — the booking system's API or an import file — read field
//! by field, so that every refusal names the field and the rule an integrator can act on.
//! The rules are the ones the counter applies when it serves a booking: what pusat stores,
//! a counter can serve.
//!
//! Limits (documented in the README's import section and the API description):
//! - `code`: a booking code with its check character (see `booking_code`), never in the
//!   walk-in range (first character `W`, reserved for codes counters make);
//! - `office`: an office pusat knows; `date`: a calendar date, not before the office's today
//!   for a new booking or a reschedule (a cancellation may name a past day);
//! - `applicants`: 1 to the office's limit (5, M-Paspor's, unless the office sets
//!   `max_applicants` lower);
//! - `name`: 1–[`MAX_NAME`] characters of a passport name: letters, space, apostrophe,
//!   hyphen and dot (ICAO 9303 writes names in letters; the counter types the same set);
//! - `nik`: 16 digits (a NIK that merely disagrees with the birth date is stored: the counter
//!   explains the disagreement to the officer);
//! - `birth_date`: not after the office's today; `paid`: absent or 0 to [`MAX_PAID`];
//! - `billing_code`: empty or the 15 digits of a SIMPONI billing code.

use chrono::{NaiveDate, NaiveTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::booking::{Applicant, Booking, MAX_APPLICANTS};
use super::booking_code::{BookingCode, CodeError};
use super::nik::{self, NikError};

/// The longest name accepted, in characters.
pub const MAX_NAME: usize = 100;
/// The highest payment accepted for one applicant, in rupiah (ten times the dearest fee).
pub const MAX_PAID: i64 = 50_000_000;

/// What pusat knows of the office a booking names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeRules {
    /// The office's today, in its own time zone.
    pub today: NaiveDate,
    pub max_applicants: usize,
}

/// Why a field was refused; [`Rule::code`] is the machine code of the API's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Required,
    /// Of the wrong kind: the words name what was expected.
    Type(&'static str),
    CodeLength(usize),
    CodeCharacter(char),
    CheckCharacter,
    CodeReserved,
    OfficeUnknown,
    Date,
    DatePast(NaiveDate),
    Slot,
    Choice(&'static str),
    ApplicantsNone,
    ApplicantsLimit(usize),
    NameEmpty,
    NameLength(usize),
    NameCharacter(char),
    NikLength(usize),
    NikDigits,
    BirthDateFuture,
    PaidNegative,
    PaidLimit,
    BillingCode,
    Flag,
    /// A walk-in's code is one a counter makes: first character `W`.
    WalkInCode,
    /// A walk-in is one applicant.
    WalkInOne,
    /// A walk-in is registered on the day it is served: not after the office's tomorrow,
    /// nor more than [`WALK_IN_DAYS`] before its today (a counter offline that long).
    WalkInDate,
    /// The reason does not fit the applicant (an "elderly" applicant of 30, a "lost"
    /// reason on a new passport).
    WalkInReason(super::walkin::WalkInRefusal),
}

/// How long before its push a walk-in may have been registered (a counter offline).
pub const WALK_IN_DAYS: i64 = 30;

impl Rule {
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Type(_) => "type",
            Rule::CodeLength(_) => "code_length",
            Rule::CodeCharacter(_) => "code_character",
            Rule::CheckCharacter => "check_character",
            Rule::CodeReserved => "code_reserved",
            Rule::OfficeUnknown => "office_unknown",
            Rule::Date => "date",
            Rule::DatePast(_) => "date_past",
            Rule::Slot => "slot",
            Rule::Choice(_) => "choice",
            Rule::ApplicantsNone => "applicants_none",
            Rule::ApplicantsLimit(_) => "applicants_limit",
            Rule::NameEmpty => "name_empty",
            Rule::NameLength(_) => "name_length",
            Rule::NameCharacter(_) => "name_character",
            Rule::NikLength(_) => "nik_length",
            Rule::NikDigits => "nik_digits",
            Rule::BirthDateFuture => "birth_date_future",
            Rule::PaidNegative => "paid_negative",
            Rule::PaidLimit => "paid_limit",
            Rule::BillingCode => "billing_code",
            Rule::Flag => "flag",
            Rule::WalkInCode => "walk_in_code",
            Rule::WalkInOne => "walk_in_one",
            Rule::WalkInDate => "walk_in_date",
            Rule::WalkInReason(_) => "walk_in_reason",
        }
    }

    pub fn english(&self) -> String {
        match self {
            Rule::Required => "is required".into(),
            Rule::Type(what) => format!("must be {what}"),
            Rule::CodeLength(n) => format!("a booking code has 10 characters, not {n}"),
            Rule::CodeCharacter(c) => format!("{c:?} is not a booking-code character"),
            Rule::CheckCharacter => "the check character does not match (mistyped code)".into(),
            Rule::CodeReserved => "codes starting with W are reserved for walk-ins".into(),
            Rule::OfficeUnknown => "no such office at pusat".into(),
            Rule::Date => "must be a calendar date YYYY-MM-DD".into(),
            Rule::DatePast(today) => format!("is before the office's today ({today})"),
            Rule::Slot => "must be a time HH:MM or HH:MM:SS".into(),
            Rule::Choice(values) => format!("must be one of: {values}"),
            Rule::ApplicantsNone => "a booking needs at least one applicant".into(),
            Rule::ApplicantsLimit(max) => format!("at most {max} applicants on one booking"),
            Rule::NameEmpty => "is empty".into(),
            Rule::NameLength(n) => format!("is {n} characters long; at most {MAX_NAME}"),
            Rule::NameCharacter(c) => {
                format!("{c:?} is not allowed in a passport name (letters, space, ' - . only)")
            }
            Rule::NikLength(n) => format!("a NIK has 16 digits, not {n}"),
            Rule::NikDigits => "a NIK holds digits only".into(),
            Rule::BirthDateFuture => "is after today".into(),
            Rule::PaidNegative => "cannot be negative".into(),
            Rule::PaidLimit => format!("is above the limit of {MAX_PAID}"),
            Rule::BillingCode => "a SIMPONI billing code has 15 digits".into(),
            Rule::Flag => "must be true or false (CSV: 1/0, true/false, yes/no, ya/tidak)".into(),
            Rule::WalkInCode => "a walk-in's code starts with W".into(),
            Rule::WalkInOne => "a walk-in is one applicant".into(),
            Rule::WalkInDate => format!(
                "a walk-in is dated the day it is served (today, or up to {WALK_IN_DAYS} days back)"
            ),
            Rule::WalkInReason(why) => {
                use super::walkin::WalkInRefusal as W;
                match why {
                    W::NotElderly(age) => {
                        format!("\"elderly\" needs 60 or over; the applicant is {age}")
                    }
                    W::NotSmallChild(age) => {
                        format!("\"child under five\" does not fit an applicant of {age}")
                    }
                    W::NotLostOrDamaged => {
                        "\"lost or damaged\" needs a lost or damaged passport application".into()
                    }
                    W::BornInFuture => "the birth date is after the day".into(),
                }
            }
        }
    }

    pub fn indonesian(&self) -> String {
        match self {
            Rule::Required => "wajib diisi".into(),
            Rule::Type(what) => format!("harus berupa {}", type_id(what)),
            Rule::CodeLength(n) => format!("kode booking terdiri dari 10 karakter, bukan {n}"),
            Rule::CodeCharacter(c) => format!("{c:?} bukan karakter kode booking"),
            Rule::CheckCharacter => "karakter pemeriksa tidak cocok (kode salah ketik)".into(),
            Rule::CodeReserved => "kode berawalan W khusus untuk pemohon tanpa booking".into(),
            Rule::OfficeUnknown => "kantor tidak dikenal di pusat".into(),
            Rule::Date => "harus tanggal kalender YYYY-MM-DD".into(),
            Rule::DatePast(today) => format!("sebelum hari ini di kantor tersebut ({today})"),
            Rule::Slot => "harus jam HH:MM atau HH:MM:SS".into(),
            Rule::Choice(values) => format!("harus salah satu dari: {values}"),
            Rule::ApplicantsNone => "booking harus memiliki paling sedikit satu pemohon".into(),
            Rule::ApplicantsLimit(max) => format!("paling banyak {max} pemohon per booking"),
            Rule::NameEmpty => "kosong".into(),
            Rule::NameLength(n) => format!("panjangnya {n} karakter; paling banyak {MAX_NAME}"),
            Rule::NameCharacter(c) => {
                format!("{c:?} tidak boleh ada di nama paspor (hanya huruf, spasi, ' - .)")
            }
            Rule::NikLength(n) => format!("NIK terdiri dari 16 angka, bukan {n}"),
            Rule::NikDigits => "NIK hanya berisi angka".into(),
            Rule::BirthDateFuture => "setelah hari ini".into(),
            Rule::PaidNegative => "tidak boleh negatif".into(),
            Rule::PaidLimit => format!("melebihi batas {MAX_PAID}"),
            Rule::BillingCode => "kode billing SIMPONI terdiri dari 15 angka".into(),
            Rule::Flag => "harus true atau false (CSV: 1/0, true/false, yes/no, ya/tidak)".into(),
            Rule::WalkInCode => "kode pemohon tanpa booking berawalan W".into(),
            Rule::WalkInOne => "pemohon tanpa booking hanya satu orang".into(),
            Rule::WalkInDate => format!(
                "pemohon tanpa booking bertanggal hari dilayani (hari ini, atau sampai {WALK_IN_DAYS} hari lalu)"
            ),
            Rule::WalkInReason(why) => {
                use super::walkin::WalkInRefusal as W;
                match why {
                    W::NotElderly(age) => {
                        format!("\"lansia\" harus berusia 60 atau lebih; pemohon berusia {age}")
                    }
                    W::NotSmallChild(age) => {
                        format!("\"anak di bawah lima tahun\" tidak sesuai untuk usia {age}")
                    }
                    W::NotLostOrDamaged => {
                        "\"hilang atau rusak\" hanya untuk permohonan paspor hilang atau rusak"
                            .into()
                    }
                    W::BornInFuture => "tanggal lahir setelah hari tersebut".into(),
                }
            }
        }
    }
}

fn type_id(what: &str) -> &str {
    match what {
        "an object" => "objek",
        "a list" => "daftar",
        "a string" => "teks",
        "a whole number of rupiah" => "bilangan bulat rupiah",
        _ => what,
    }
}

/// One refused field: where (`applicants[1].nik`), the rule, and its words in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
    pub message: String,
    pub pesan: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &Rule) -> FieldError {
        FieldError {
            field: field.into(),
            rule: rule.code().to_owned(),
            message: rule.english(),
            pesan: rule.indonesian(),
        }
    }
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn fail(&mut self, field: &str, rule: Rule) {
        let path = format!("{}{field}", self.prefix);
        self.errors.push(FieldError::new(path, &rule));
    }

    fn text(&mut self, field: &str) -> Option<&str> {
        match self.map.get(field) {
            None | Some(Value::Null) => {
                self.fail(field, Rule::Required);
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(field, Rule::Type("a string"));
                None
            }
        }
    }

    /// A value of one of a fixed set of words (service, passport, application, sex).
    fn choice<T: DeserializeOwned>(&mut self, field: &str, values: &'static str) -> Option<T> {
        let v = self.map.get(field).cloned();
        match v {
            None | Some(Value::Null) => {
                self.fail(field, Rule::Required);
                None
            }
            Some(v) => serde_json::from_value(v)
                .map_err(|_| self.fail(field, Rule::Choice(values)))
                .ok(),
        }
    }

    fn flag(&mut self, field: &str) -> bool {
        match self.map.get(field) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(field, Rule::Flag);
                false
            }
        }
    }
}

fn read_code(r: &mut Reader<'_>, walk_in: bool) -> Option<BookingCode> {
    let raw = r.text("code")?.to_owned();
    match BookingCode::parse(&raw) {
        Ok(code) if code.is_walk_in() && !walk_in => {
            r.fail("code", Rule::CodeReserved);
            None
        }
        Ok(code) if !code.is_walk_in() && walk_in => {
            r.fail("code", Rule::WalkInCode);
            None
        }
        Ok(code) => Some(code),
        Err(e) => {
            let rule = match e {
                CodeError::Empty => Rule::Required,
                CodeError::Length(n) => Rule::CodeLength(n),
                CodeError::Character(c) => Rule::CodeCharacter(c),
                CodeError::Checksum => Rule::CheckCharacter,
            };
            r.fail("code", rule);
            None
        }
    }
}

fn read_date(r: &mut Reader<'_>, field: &str) -> Option<NaiveDate> {
    let raw = r.text(field)?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            r.fail(field, Rule::Date);
            None
        }
    }
}

fn read_slot(r: &mut Reader<'_>) -> Option<NaiveTime> {
    let raw = r.text("slot")?;
    NaiveTime::parse_from_str(raw, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M"))
        .map_err(|_| r.fail("slot", Rule::Slot))
        .ok()
}

/// The passport-name rule the counter applies too: what is wrong with `name`, if anything.
pub fn name_problem(name: &str) -> Option<Rule> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Some(Rule::NameEmpty);
    }
    let n = trimmed.chars().count();
    if n > MAX_NAME {
        return Some(Rule::NameLength(n));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| !(c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.')))
    {
        return Some(Rule::NameCharacter(c));
    }
    if !trimmed.chars().any(char::is_alphabetic) {
        return Some(Rule::NameEmpty);
    }
    None
}

fn read_applicant(
    v: &Value,
    prefix: String,
    today: Option<NaiveDate>,
) -> Result<Applicant, Vec<FieldError>> {
    let Some(map) = v.as_object() else {
        return Err(vec![FieldError::new(
            prefix.trim_end_matches('.'),
            &Rule::Type("an object"),
        )]);
    };
    let mut r = Reader {
        map,
        prefix,
        errors: Vec::new(),
    };
    let name = r.text("name").map(str::to_owned);
    if let Some(rule) = name.as_deref().and_then(name_problem) {
        r.fail("name", rule);
    }
    let nik = r.text("nik").map(str::to_owned);
    match nik.as_deref().map(nik::parse) {
        Some(Err(NikError::Length(n))) => r.fail("nik", Rule::NikLength(n)),
        Some(Err(NikError::NotDigits)) => r.fail("nik", Rule::NikDigits),
        _ => {}
    }
    let birth_date = read_date(&mut r, "birth_date");
    if let (Some(born), Some(today)) = (birth_date, today)
        && born > today
    {
        r.fail("birth_date", Rule::BirthDateFuture);
    }
    let sex = r.choice("sex", "male, female");
    let migrant_worker = r.flag("migrant_worker");
    let name_changed = r.flag("name_changed");
    let paid = match map.get("paid") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(p) if p < 0 => {
                r.fail("paid", Rule::PaidNegative);
                None
            }
            Some(p) if p > MAX_PAID => {
                r.fail("paid", Rule::PaidLimit);
                None
            }
            Some(p) => Some(p),
            None => {
                r.fail("paid", Rule::Type("a whole number of rupiah"));
                None
            }
        },
    };
    match (name, nik, birth_date, sex, r.errors.is_empty()) {
        (Some(name), Some(nik), Some(birth_date), Some(sex), true) => Ok(Applicant {
            name: name.trim().to_owned(),
            nik,
            birth_date,
            sex,
            migrant_worker,
            name_changed,
            paid,
        }),
        _ => Err(r.errors),
    }
}

/// Reads one incoming booking. `prefix` is put before every field's name (`[3].` for the
/// fourth of a list); `office` tells what pusat knows of an office code; a cancellation
/// (`cancelling`) may name a day already past.
pub fn read(
    v: &Value,
    prefix: &str,
    office: impl Fn(&str) -> Option<OfficeRules>,
    cancelling: bool,
) -> Result<Booking, Vec<FieldError>> {
    let mode = if cancelling {
        Mode::Cancelling
    } else {
        Mode::Booking
    };
    read_as(v, prefix, office, mode)
}

/// Reads a walk-in a counter registered: the rules of [`read`] (a name of letters, a NIK
/// of 16 digits, no birth date after the day, no negative payment), and a walk-in's own:
/// a `W` code, one applicant, dated the day it was served, with a reason that fits the
/// applicant on that day ([`super::walkin::check`]).
pub fn read_walk_in(
    v: &Value,
    office: impl Fn(&str) -> Option<OfficeRules>,
) -> Result<Booking, Vec<FieldError>> {
    read_as(v, "", office, Mode::WalkIn)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Booking,
    Cancelling,
    WalkIn,
}

fn read_as(
    v: &Value,
    prefix: &str,
    office: impl Fn(&str) -> Option<OfficeRules>,
    mode: Mode,
) -> Result<Booking, Vec<FieldError>> {
    let cancelling = mode == Mode::Cancelling;
    let walk_in = mode == Mode::WalkIn;
    let Some(map) = v.as_object() else {
        let field = if prefix.is_empty() {
            "(body)"
        } else {
            prefix.trim_end_matches('.')
        };
        return Err(vec![FieldError::new(field, &Rule::Type("an object"))]);
    };
    let mut r = Reader {
        map,
        prefix: prefix.to_owned(),
        errors: Vec::new(),
    };
    let code = read_code(&mut r, walk_in);
    let office_code = r.text("office").map(str::to_owned);
    let rules = office_code.as_deref().and_then(&office);
    if office_code.is_some() && rules.is_none() {
        r.fail("office", Rule::OfficeUnknown);
    }
    let date = read_date(&mut r, "date");
    match (date, rules) {
        (Some(date), Some(rules)) if walk_in => {
            let days = (rules.today - date).num_days();
            if !(-1..=WALK_IN_DAYS).contains(&days) {
                r.fail("date", Rule::WalkInDate);
            }
        }
        (Some(date), Some(rules)) if !cancelling && date < rules.today => {
            r.fail("date", Rule::DatePast(rules.today));
        }
        _ => {}
    }
    let slot = read_slot(&mut r);
    let service = r.choice("service", "regular, express");
    let passport = r.choice("passport", "ordinary, electronic5, electronic10");
    let application = r.choice(
        "application",
        "new, replacement_expired, replacement_full, lost, damaged, data_change",
    );
    let billing_code = match map.get("billing_code") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => {
            r.fail("billing_code", Rule::Type("a string"));
            String::new()
        }
    };
    let simponi = billing_code.len() == 15 && billing_code.bytes().all(|b| b.is_ascii_digit());
    if !billing_code.is_empty() && !simponi {
        r.fail("billing_code", Rule::BillingCode);
    }
    let max = rules.map_or(MAX_APPLICANTS, |o| o.max_applicants.min(MAX_APPLICANTS));
    let mut applicants = Vec::new();
    match map.get("applicants") {
        None | Some(Value::Null) => r.fail("applicants", Rule::ApplicantsNone),
        Some(Value::Array(list)) if list.is_empty() => r.fail("applicants", Rule::ApplicantsNone),
        Some(Value::Array(list)) if list.len() > max => {
            r.fail("applicants", Rule::ApplicantsLimit(max))
        }
        Some(Value::Array(list)) if walk_in && list.len() != 1 => {
            r.fail("applicants", Rule::WalkInOne)
        }
        Some(Value::Array(list)) => {
            // A walk-in's applicant is measured on the day they were served.
            let today = match (walk_in, date) {
                (true, Some(date)) => Some(date),
                _ => rules.map(|o| o.today),
            };
            for (i, a) in list.iter().enumerate() {
                match read_applicant(a, format!("{prefix}applicants[{i}]."), today) {
                    Ok(a) => applicants.push(a),
                    Err(e) => r.errors.extend(e),
                }
            }
        }
        Some(_) => r.fail("applicants", Rule::Type("a list")),
    }
    let reason = if walk_in {
        r.choice::<super::booking::WalkInReason>(
            "walk_in",
            "elderly, disability, child_under_five, lost_or_damaged",
        )
    } else {
        None
    };
    if let (Some(reason), Some(applicant), Some(date), Some(application)) =
        (reason, applicants.first(), date, application)
        && let Err(why) = super::walkin::check(reason, applicant.birth_date, application, date)
    {
        r.fail("walk_in", Rule::WalkInReason(why));
    }
    match (
        code,
        office_code,
        date,
        slot,
        service,
        passport,
        application,
    ) {
        (
            Some(code),
            Some(office),
            Some(date),
            Some(slot),
            Some(service),
            Some(passport),
            Some(application),
        ) if r.errors.is_empty() => Ok(Booking {
            code,
            office,
            date,
            slot,
            service,
            passport,
            application,
            billing_code,
            applicants,
            walk_in: reason,
        }),
        _ => Err(r.errors),
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
