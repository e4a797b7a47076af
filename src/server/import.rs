//! `pusat bookings import`: a CSV (one row per applicant) or JSON file read with the API's
//! rules. Every good booking is kept, every bad row reported with its line, field and reason;
//! one bad row never costs the rest of the file.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::domain::Booking;
use crate::domain::intake::{self, FieldError, OfficeRules, Rule};

/// Where a refusal sits in the file: a CSV line (the header is line 1) or a JSON item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Line(usize),
    Item(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub place: Place,
    pub error: FieldError,
}

impl std::fmt::Display for Refusal {
    /// `baris 3, nik: NIK terdiri dari 16 angka, bukan 5 / line 3, nik: a NIK has 16 digits…`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (id, en) = match self.place {
            Place::Line(n) => (format!("baris {n}"), format!("line {n}")),
            Place::Item(n) => (format!("butir {n}"), format!("item {n}")),
        };
        let e = &self.error;
        write!(
            f,
            "{id}, {}: {} / {en}, {}: {} [{}]",
            e.field, e.pesan, e.field, e.message, e.rule
        )
    }
}

/// What a file held: the bookings to store (with their cancelled flag) and the refusals.
#[derive(Debug, Default)]
pub struct Import {
    pub bookings: Vec<(Booking, bool)>,
    pub refused: Vec<Refusal>,
}

/// Reads an import file. `Err` only when the file as a whole cannot be read (not JSON, or a
/// CSV without the columns it needs).
pub fn read(
    name: &str,
    text: &str,
    office: impl Fn(&str) -> Option<OfficeRules>,
) -> Result<Import, String> {
    if name.ends_with(".json") || text.trim_start().starts_with('[') {
        read_json(text, office)
    } else {
        read_csv(text, office)
    }
}

fn read_json(text: &str, office: impl Fn(&str) -> Option<OfficeRules>) -> Result<Import, String> {
    let items: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        format!(
            "JSON tidak valid pada baris {} kolom {} / malformed JSON at line {} column {}: {e}",
            e.line(),
            e.column(),
            e.line(),
            e.column()
        )
    })?;
    let mut out = Import::default();
    for (i, item) in items.iter().enumerate() {
        // `{"booking": …, "cancelled": true}` or a plain booking.
        let (booking, cancelled) = match item.get("booking") {
            Some(b) => (b, item.get("cancelled") == Some(&Value::Bool(true))),
            None => (item, false),
        };
        match intake::read(booking, "", &office, cancelled) {
            Ok(b) => out.bookings.push((b, cancelled)),
            Err(errors) => out.refused.extend(errors.into_iter().map(|error| Refusal {
                place: Place::Item(i + 1),
                error,
            })),
        }
    }
    Ok(out)
}

const COLUMNS: [&str; 16] = [
    "code",
    "office",
    "date",
    "slot",
    "service",
    "passport",
    "application",
    "billing_code",
    "name",
    "nik",
    "birth_date",
    "sex",
    "migrant_worker",
    "name_changed",
    "paid",
    "cancelled",
];

/// One booking gathered from consecutive rows with the same code.
struct Group {
    value: Map<String, Value>,
    applicants: Vec<Value>,
    lines: Vec<usize>,
    cancelled: Result<bool, ()>,
}

fn flag(raw: &str) -> Value {
    match raw.to_lowercase().as_str() {
        "" | "0" | "false" | "no" | "tidak" => Value::Bool(false),
        "1" | "true" | "yes" | "ya" => Value::Bool(true),
        _ => Value::String(raw.to_owned()),
    }
}

fn read_csv(text: &str, office: impl Fn(&str) -> Option<OfficeRules>) -> Result<Import, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let required = &COLUMNS[..COLUMNS.len() - 4];
    if let Some(missing) = required.iter().find(|c| !index.contains_key(*c)) {
        return Err(format!(
            "kolom {missing} tidak ada di baris judul / the header row lacks column {missing}"
        ));
    }
    let mut out = Import::default();
    let mut groups: Vec<Group> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let error = FieldError {
                    field: "(row)".into(),
                    rule: "csv".into(),
                    message: format!("the row cannot be read: {e}"),
                    pesan: "baris tidak dapat dibaca (jumlah kolom tidak sesuai?)".into(),
                };
                out.refused.push(Refusal {
                    place: Place::Line(line),
                    error,
                });
                continue;
            }
        };
        let field = |name: &str| index.get(name).and_then(|&p| record.get(p)).unwrap_or("");
        let paid = field("paid");
        let applicant = json!({
            "name": field("name"), "nik": field("nik"), "birth_date": field("birth_date"),
            "sex": field("sex"), "migrant_worker": flag(field("migrant_worker")),
            "name_changed": flag(field("name_changed")),
            "paid": if paid.is_empty() { Value::Null } else {
                paid.parse::<i64>().map_or_else(|_| Value::String(paid.into()), Value::from)
            },
        });
        let code = field("code");
        if let Some(g) = groups
            .last_mut()
            .filter(|g| g.value.get("code").and_then(Value::as_str) == Some(code))
        {
            g.applicants.push(applicant);
            g.lines.push(line);
            continue;
        }
        let mut value = Map::new();
        for c in &COLUMNS[..8] {
            value.insert((*c).into(), Value::String(field(c).into()));
        }
        let cancelled = match flag(field("cancelled")) {
            Value::Bool(b) => Ok(b),
            _ => Err(()),
        };
        groups.push(Group {
            value,
            applicants: vec![applicant],
            lines: vec![line],
            cancelled,
        });
    }
    for mut g in groups {
        let first = g.lines[0];
        let Ok(cancelled) = g.cancelled else {
            out.refused.push(Refusal {
                place: Place::Line(first),
                error: FieldError::new("cancelled", &Rule::Flag),
            });
            continue;
        };
        g.value
            .insert("applicants".into(), Value::Array(g.applicants));
        match intake::read(&Value::Object(g.value), "", &office, cancelled) {
            Ok(b) => out.bookings.push((b, cancelled)),
            Err(errors) => refuse_rows(&mut out, &g.lines, errors),
        }
    }
    out.refused.sort_by_key(|r| match r.place {
        Place::Line(n) | Place::Item(n) => n,
    });
    Ok(out)
}

/// Puts each refusal on the line it comes from; the booking's other rows are refused with
/// it, and say so.
fn refuse_rows(out: &mut Import, lines: &[usize], errors: Vec<FieldError>) {
    let mut bad: Vec<usize> = Vec::new();
    for mut error in errors {
        let (line, field) = match error
            .field
            .strip_prefix("applicants[")
            .and_then(|rest| rest.split_once("]."))
            .and_then(|(i, f)| Some((lines.get(i.parse::<usize>().ok()?)?, f)))
        {
            Some((line, f)) => (*line, f.to_owned()),
            None => (lines[0], error.field.clone()),
        };
        error.field = field;
        bad.push(line);
        out.refused.push(Refusal {
            place: Place::Line(line),
            error,
        });
    }
    let first_bad = bad.iter().min().copied().unwrap_or(lines[0]);
    for &line in lines.iter().filter(|l| !bad.contains(l)) {
        let error = FieldError {
            field: "code".into(),
            rule: "booking_refused".into(),
            message: format!("not imported: this booking's line {first_bad} was refused"),
            pesan: format!("tidak diimpor: baris {first_bad} dari booking yang sama ditolak"),
        };
        out.refused.push(Refusal {
            place: Place::Line(line),
            error,
        });
    }
}
