//! The border where bookings enter pusat: the booking system's API and `pusat bookings
//! import`, tried as an integrator would, against a real PostgreSQL. Each refusal names the
//! field and the rule in the API's one error shape; an import keeps every good row and
//! reports every bad one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use serde_json::{Value, json};
use support::{Counter, INTEGRATION_KEY, OFFICE, Pusat};

fn tomorrow() -> String {
    (support::today() + chrono::Duration::days(1)).to_string()
}

fn booking(code: &str) -> Value {
    json!({
        "code": code, "office": OFFICE, "date": tomorrow(), "slot": "09:00",
        "service": "regular", "passport": "electronic10", "application": "new",
        "billing_code": "812345678901234",
        "applicants": [{"name": "Siti Aminah", "nik": "3174054501900001",
                        "birth_date": "1990-01-05", "sex": "female", "paid": 950000,
                        "migrant_worker": false, "name_changed": false}]
    })
}

fn code(n: u64) -> String {
    loket::domain::BookingCode::issued(n).as_str().to_owned()
}

async fn post(pusat: &Pusat, key: Option<&str>, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/bookings", pusat.url))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let answer = req.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn post_json(pusat: &Pusat, body: &Value) -> (u16, Value) {
    post(pusat, Some(INTEGRATION_KEY), body.to_string()).await
}

/// The one field and rule a 422 names.
fn refusal(answer: &(u16, Value)) -> (u16, String, String) {
    let (status, body) = answer;
    assert_eq!(body["error"], "invalid", "{body}");
    assert_eq!(body["fields"].as_array().map(Vec::len), Some(1), "{body}");
    let f = &body["fields"][0];
    assert!(f["pesan"].as_str().is_some_and(|p| !p.is_empty()), "{body}");
    (
        *status,
        f["field"].as_str().unwrap().to_owned(),
        f["rule"].as_str().unwrap().to_owned(),
    )
}

async fn count(pusat: &Pusat) -> i64 {
    let db = pusat.pool.get().await.unwrap();
    db.query_one("SELECT COUNT(*) FROM bookings", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_field_is_named_with_its_rule() {
    let (pusat, _) = Pusat::start(1).await;
    let before = count(&pusat).await;
    let good = post_json(&pusat, &booking(&code(1))).await;
    assert_eq!(good, (200, json!({"stored": 1})));

    let mut bad_check = booking("x");
    let right = code(2);
    let last = right.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    bad_check["code"] = json!(format!("{}{wrong}", &right[..9]));
    let mut six = booking(&code(3));
    let one = six["applicants"][0].clone();
    six["applicants"] = json!(vec![one; 6]);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("check character", bad_check, "code", "check_character"),
        (
            "date 2026-13-45",
            json!({"date": "2026-13-45"}),
            "date",
            "date",
        ),
        (
            "NIK of 5 digits",
            json!({"nik": "31740"}),
            "applicants[0].nik",
            "nik_length",
        ),
        ("6 applicants", six, "applicants", "applicants_limit"),
        (
            "a past day",
            json!({"date": "2020-01-01"}),
            "date",
            "date_past",
        ),
        (
            "5,000 characters",
            json!({"name": "A".repeat(5000)}),
            "applicants[0].name",
            "name_length",
        ),
        (
            "X@@##$$%%",
            json!({"name": "X@@##$$%%"}),
            "applicants[0].name",
            "name_character",
        ),
        (
            "paid -5",
            json!({"paid": -5}),
            "applicants[0].paid",
            "paid_negative",
        ),
        (
            "unknown office",
            json!({"office": "ZZZ"}),
            "office",
            "office_unknown",
        ),
        (
            "a walk-in code",
            json!({"code": loket::domain::BookingCode::walk_in(1).as_str()}),
            "code",
            "code_reserved",
        ),
    ];
    for (what, change, field, rule) in cases {
        let body = if change.get("code").is_some() && change.get("office").is_some() {
            change
        } else {
            let mut b = booking(&code(4));
            for (k, v) in change.as_object().unwrap() {
                if ["nik", "name", "paid"].contains(&k.as_str()) {
                    b["applicants"][0][k] = v.clone();
                } else {
                    b[k] = v.clone();
                }
            }
            b
        };
        let answer = post_json(&pusat, &body).await;
        assert_eq!(
            refusal(&answer),
            (422, field.to_owned(), rule.to_owned()),
            "{what}: {answer:?}"
        );
    }
    // In a list, each refusal names its item; nothing of a refused list is stored.
    let list = json!([booking(&code(5)), {"code": code(6)}]);
    let (status, body) = post_json(&pusat, &list).await;
    assert_eq!(status, 422);
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["field"].as_str().unwrap().starts_with("[1].")),
        "{body}"
    );
    assert_eq!(count(&pusat).await, before + 1, "only the good booking");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_comes_before_the_body_and_bad_json_names_its_place() {
    let (pusat, _) = Pusat::start(1).await;
    // No key, and a body that is not even JSON: 401, nothing about the body.
    for key in [None, Some(""), Some("wrong-key-wrong-key-wrong-key-wrong")] {
        let (status, body) = post(&pusat, key, "{not json").await;
        assert_eq!(status, 401, "{key:?}");
        assert_eq!(body["error"], "unauthorized");
    }
    let (status, body) = post(
        &pusat,
        Some(INTEGRATION_KEY),
        "{\n \"code\": \"1J39D\",\n oops}",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request");
    assert_eq!(body["fields"][0]["rule"], "json");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("line 3 column 2"),
        "{body}"
    );
    // Cancelling needs the key too, and names a bad code.
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/bookings/ABC", pusat.url);
    assert_eq!(client.delete(&url).send().await.unwrap().status(), 401);
    let answer = client
        .delete(&url)
        .bearer_auth(INTEGRATION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "code");
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_reaches_the_counter_with_the_day_it_had() {
    let (pusat, _) = Pusat::start(1).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    let c = code(40);
    assert_eq!(post_json(&pusat, &booking(&c)).await.0, 200);
    counter.sync().await.unwrap();
    let mut moved = booking(&c);
    let later = support::today() + chrono::Duration::days(3);
    moved["date"] = json!(later.to_string());
    assert_eq!(post_json(&pusat, &moved).await.0, 200);
    let feed = serde_json::to_value(counter.client.pull(0).await.unwrap()).unwrap();
    let change = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|ch| ch["body"]["booking"]["code"] == json!(c))
        .cloned()
        .unwrap();
    assert_eq!(
        change["body"]["previous"],
        json!({"office": OFFICE, "date": tomorrow()}),
        "{change}"
    );
    counter.sync().await.unwrap();
    let shown = counter
        .store
        .booking(&loket::domain::BookingCode::parse(&c).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(shown.date, later);
    let moved_from = counter.store.rescheduled_from(&c).unwrap();
    assert_eq!(moved_from.map(|d| d.to_string()), Some(tomorrow()));
    // A cancellation of a booking whose day is past is taken.
    let db = pusat.pool.get().await.unwrap();
    let mut past = booking(&code(41));
    past["date"] = json!("2020-01-01");
    past["slot"] = json!("09:00:00");
    db.execute(
        "INSERT INTO bookings (code, office, day, body, source) VALUES ($1, $2, '2020-01-01', $3, 'test')",
        &[&code(41), &OFFICE, &past],
    )
    .await
    .unwrap();
    let answer = reqwest::Client::new()
        .delete(format!("{}/api/v1/bookings/{}", pusat.url, code(41)))
        .bearer_auth(INTEGRATION_KEY)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    assert_eq!(status, 200, "{}", answer.text().await.unwrap());
    pusat.stop().await;
}

#[path = "common/import.rs"]
mod import;

fn pusat_import(pusat: &Pusat, file: &std::path::Path, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pusat"))
        .args(["bookings", "import"])
        .arg(file)
        .args(extra)
        .env("DATABASE_URL", &pusat.db)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_keeps_the_good_rows_and_names_each_bad_one() {
    let (pusat, _) = Pusat::start(1).await;
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let day = support::today() + chrono::Duration::days(1);
    let bookings: Vec<_> = loket::demo::bookings_drawn(5, OFFICE, day, 40, &fees)
        .into_iter()
        .filter(|b| b.applicants.len() == 1)
        .take(5)
        .collect();
    assert_eq!(bookings.len(), 5);
    let mut rows = import::csv_rows(&bookings);
    // Line 3: a NIK of 11 digits; line 5: an impossible date; line 6: one column too few.
    let nik = &bookings[1].applicants[0].nik;
    rows[2] = rows[2].replace(nik.as_str(), &nik[..11]);
    rows[4] = rows[4].replace(&day.to_string(), "2026-13-45");
    let cut = rows[5].rfind(',').unwrap();
    rows[5].truncate(cut);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("day.csv");
    std::fs::write(&file, rows.join("\n")).unwrap();
    let before = count(&pusat).await;

    let dry = pusat_import(&pusat, &file, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(1));
    assert_eq!(count(&pusat).await, before, "a dry run stores nothing");

    let out = pusat_import(&pusat, &file, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        said.contains("2 booking diimpor / 2 bookings imported"),
        "{said}"
    );
    assert!(
        err.contains("baris 3, nik: NIK terdiri dari 16 angka, bukan 11"),
        "{err}"
    );
    assert!(
        err.contains("line 3, nik: a NIK has 16 digits, not 11 [nik_length]"),
        "{err}"
    );
    assert!(err.contains("baris 5, date:"), "{err}");
    assert!(err.contains("line 6, (row)"), "{err}");
    assert!(err.contains("3 baris ditolak / 3 rows refused"), "{err}");
    assert_eq!(count(&pusat).await, before + 2);
    // JSON too: the refused item is named, the rest stored.
    let mut list = serde_json::to_value(&bookings).unwrap();
    for (i, b) in list.as_array_mut().unwrap().iter_mut().enumerate() {
        b["code"] = json!(code(9000 + i as u64));
    }
    list[2]["applicants"][0]["paid"] = json!(-5);
    let file = dir.path().join("day.json");
    std::fs::write(&file, list.to_string()).unwrap();
    let out = pusat_import(&pusat, &file, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("butir 3, applicants[0].paid: tidak boleh negatif"),
        "{err}"
    );
    pusat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_refuses_its_csv_row_and_keeps_the_others() {
    let (pusat, _) = Pusat::start(1).await;
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let day = support::today() + chrono::Duration::days(1);
    let singles: Vec<_> = loket::demo::bookings_drawn(9, OFFICE, day, 40, &fees)
        .into_iter()
        .filter(|b| b.applicants.len() == 1)
        .take(8)
        .collect();
    let mut rows = import::csv_rows(&singles);
    let col = |row: &str, i: usize| row.split(',').nth(i).unwrap().to_owned();
    let set = |row: &mut String, i: usize, to: &str| {
        let mut cells: Vec<String> = row.split(',').map(str::to_owned).collect();
        cells[i] = to.to_owned();
        *row = cells.join(",");
    };
    // One bad row per rule; line n is rows[n - 1].
    let code = col(&rows[1], 0);
    let wrong = if code.ends_with('0') { "1" } else { "0" };
    set(&mut rows[1], 0, &format!("{}{wrong}", &code[..9]));
    set(&mut rows[2], 2, "2026-13-45");
    set(&mut rows[3], 9, "31740");
    set(&mut rows[4], 2, "2020-01-01");
    set(&mut rows[5], 8, &"A".repeat(5000));
    set(&mut rows[6], 14, "-5");
    // A booking of 6 applicants: six rows with one code.
    let six = rows[7].clone();
    for _ in 0..5 {
        rows.insert(8, six.clone());
    }
    let text = rows.join("\n");
    let mut db = pusat.pool.get().await.unwrap();
    let done = loket::server::admin::bookings_import(&mut db, "day.csv", &text, false)
        .await
        .unwrap();
    let got: Vec<(String, String, String)> = done
        .refused
        .iter()
        .map(|r| {
            (
                format!("{:?}", r.place),
                r.error.field.clone(),
                r.error.rule.clone(),
            )
        })
        .collect();
    let want = [
        ("Line(2)", "code", "check_character"),
        ("Line(3)", "date", "date"),
        ("Line(4)", "nik", "nik_length"),
        ("Line(5)", "date", "date_past"),
        ("Line(6)", "name", "name_length"),
        ("Line(7)", "paid", "paid_negative"),
        ("Line(8)", "applicants", "applicants_limit"),
    ];
    for (place, field, rule) in want {
        assert!(
            got.contains(&(place.into(), field.into(), rule.into())),
            "{place} {field} {rule}: {got:?}"
        );
    }
    // The one good booking (line 14, after the six) is stored.
    assert_eq!(done.stored, 1, "{got:?}");
    pusat.stop().await;
}
