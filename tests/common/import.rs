//! Bookings written as the import CSV (one row per applicant), for the import tests and the
//! import benchmark.
#![allow(dead_code)] // each user takes its own part

use loket::domain::Booking;

pub const HEADER: &str = "code,office,date,slot,service,passport,application,billing_code,name,nik,birth_date,sex,migrant_worker,name_changed,paid,cancelled";

fn word<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The CSV of `bookings`, header first; each row's line number is its index + 2.
pub fn csv_rows(bookings: &[Booking]) -> Vec<String> {
    let mut rows = vec![HEADER.to_owned()];
    for b in bookings {
        for a in &b.applicants {
            rows.push(format!(
                "{},{},{},{},{},{},{},{},\"{}\",{},{},{},{},{},{},0",
                b.code.as_str(),
                b.office,
                b.date,
                b.slot.format("%H:%M"),
                word(b.service),
                word(b.passport),
                word(b.application),
                b.billing_code,
                a.name.replace('"', "\"\""),
                a.nik,
                a.birth_date,
                word(a.sex),
                u8::from(a.migrant_worker),
                u8::from(a.name_changed),
                a.paid.map(|p| p.to_string()).unwrap_or_default(),
            ));
        }
    }
    rows
}
