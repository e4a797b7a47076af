use chrono::NaiveDate;
use serde_json::{Value, json};

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn office(code: &str) -> Option<OfficeRules> {
    (code == "JKS").then_some(OfficeRules {
        today: today(),
        max_applicants: 5,
    })
}

fn good() -> Value {
    json!({
        "code": BookingCode::issued(77).as_str(), "office": "JKS", "date": "2026-11-27",
        "slot": "08:30", "service": "regular", "passport": "electronic10",
        "application": "new", "billing_code": "812345678901234",
        "applicants": [{"name": "Siti Nur'aini", "nik": "3174054501900001",
                        "birth_date": "1990-01-05", "sex": "female", "paid": 950000}]
    })
}

fn refused(v: &Value) -> Vec<(String, String)> {
    read(v, "", office, false)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.rule))
        .collect()
}

fn one(field: impl Into<String>, rule: &str) -> Vec<(String, String)> {
    vec![(field.into(), rule.to_owned())]
}

#[test]
fn a_good_booking_reads_whole() {
    let b = read(&good(), "", office, false).unwrap();
    assert_eq!(b.applicants[0].name, "Siti Nur'aini");
    assert_eq!(b.slot.to_string(), "08:30:00");
    assert_eq!(b.walk_in, None);
}

#[test]
fn each_rule_names_its_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("code", json!("1J39D-7CMWR"), "check_character"),
        ("code", json!("12345"), "code_length"),
        (
            "code",
            json!(BookingCode::walk_in(5).as_str()),
            "code_reserved",
        ),
        ("office", json!("XXX"), "office_unknown"),
        ("date", json!("2026-13-45"), "date"),
        ("date", json!("2026-11-25"), "date_past"),
        ("slot", json!("25:00"), "slot"),
        ("service", json!("vip"), "choice"),
        ("billing_code", json!("123"), "billing_code"),
    ];
    for (field, value, rule) in cases {
        let mut v = good();
        v[field] = value;
        assert_eq!(refused(&v), one(field, rule), "{field}");
    }
}

#[test]
fn applicant_fields_are_named_with_their_index() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("nik", json!("12345"), "nik_length"),
        ("nik", json!("31740545019000x1"), "nik_digits"),
        ("name", json!("X@@##$$%%"), "name_character"),
        ("name", json!("A".repeat(5000)), "name_length"),
        ("name", json!("  "), "name_empty"),
        ("birth_date", json!("2030-01-01"), "birth_date_future"),
        ("paid", json!(-5), "paid_negative"),
        ("paid", json!(1.5), "type"),
        ("sex", json!(null), "required"),
    ];
    for (field, value, rule) in cases {
        let mut v = good();
        v["applicants"][0][field] = value;
        assert_eq!(
            refused(&v),
            one(format!("applicants[0].{field}"), rule),
            "{field}"
        );
    }
}

#[test]
fn a_nik_disagreeing_with_the_birth_date_is_stored() {
    let mut v = good();
    v["applicants"][0]["birth_date"] = json!("1991-02-06");
    assert!(read(&v, "", office, false).is_ok());
}

#[test]
fn applicants_are_limited_by_the_office() {
    let mut v = good();
    let person = v["applicants"][0].clone();
    v["applicants"] = json!(vec![person.clone(); 6]);
    assert_eq!(refused(&v), one("applicants", "applicants_limit"));
    let strict = |_: &str| {
        Some(OfficeRules {
            today: today(),
            max_applicants: 2,
        })
    };
    v["applicants"] = json!(vec![person; 3]);
    assert!(read(&v, "", strict, false).is_err());
    v["applicants"] = json!([]);
    assert_eq!(refused(&v), one("applicants", "applicants_none"));
}

#[test]
fn a_cancellation_may_name_a_past_day() {
    let mut v = good();
    v["date"] = json!("2026-11-01");
    assert!(read(&v, "", office, false).is_err());
    assert!(read(&v, "", office, true).is_ok());
}

#[test]
fn every_problem_is_reported_at_once_with_the_prefix() {
    let mut v = good();
    v["date"] = json!("2026-13-45");
    v["applicants"][0]["nik"] = json!("1");
    let errors = read(&v, "[3].", office, false).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["[3].date", "[3].applicants[0].nik"]);
    assert!(errors[1].pesan.contains("16 angka"), "{errors:?}");
    assert!(errors[1].message.contains("16 digits"), "{errors:?}");
}

#[test]
fn names_follow_the_passport_characters() {
    assert_eq!(name_problem("Budi Santoso"), None);
    assert_eq!(name_problem("Jean-Pierre O'Neil Jr."), None);
    assert_eq!(name_problem("-.'"), Some(Rule::NameEmpty));
    assert_eq!(name_problem("A1"), Some(Rule::NameCharacter('1')));
}
