//! Every route of pusat's OpenAPI document, fuzzed with hostile requests made as an
//! enrolled kiosk signs them (and as the booking system, and as nobody): paths, queries and
//! bodies carrying NUL, control and bidi characters, huge and negative numbers, wrong types,
//! valid bodies with one field made hostile. Any 5xx, a dropped connection or a pusat that
//! stops answering fails the test, with the requests that did it.
//!
//! The test command runs a bounded pass (2,000 requests, seed printed). A longer run, for a
//! person: `LOKET_FUZZ_REQUESTS=30000 LOKET_FUZZ_SEED=<any> cargo test --test fuzz_api --
//! --nocapture` (about a minute per 10,000 requests here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use support::{Counter, Pusat};

/// Strings that broke, or could break, a border somewhere.
const HOSTILE: [&str; 22] = [
    "",
    "\u{0}",
    "a\u{0}b",
    "\u{1b}]0;PWNED\u{7}\u{1b}[2J",
    "x\nlevel=ERROR msg=forged",
    "SITI \u{202e}HAMIDAH",
    "\u{2066}\u{2069}\u{200f}",
    "'; DROP TABLE events; --",
    "../../../etc/passwd",
    "%00%ff%c0%af",
    "-1",
    "0",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e309",
    "NaN",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "💥\u{fffd}\u{ffff}",
    "W0000000000",
    "01JEXXXXXXXXXXXXXXXXXXXXXX",
];

/// Field names pusat reads somewhere, so random objects reach deeper than the first check.
const FIELDS: [&str; 24] = [
    "events",
    "seq",
    "id",
    "kind",
    "case_id",
    "office",
    "officer",
    "device_time",
    "payload",
    "code",
    "date",
    "slot",
    "applicants",
    "name",
    "nik",
    "birth_date",
    "paid",
    "day",
    "counter",
    "ticket",
    "action",
    "public_key",
    "walk_in",
    "signed",
];

/// A small deterministic generator (xorshift), so a failing seed can be run again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len())]
    }
    fn chance(&mut self, in_n: usize) -> bool {
        self.below(in_n) == 0
    }
}

fn hostile_string(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "A".repeat(rng.below(20_000)),
        1 => (0..rng.below(40))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        _ => rng.pick(&HOSTILE).to_string(),
    }
}

fn hostile_value(rng: &mut Rng, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    match rng.below(if depth > 3 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => serde_json::json!(*rng.pick(&[i64::MIN, -1, 0, 1, i64::MAX])),
        3 => serde_json::json!(*rng.pick(&[-0.5, 1e300, f64::MIN_POSITIVE])),
        4 => Value::String(hostile_string(rng)),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| hostile_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(5) {
                let key = if rng.chance(4) {
                    hostile_string(rng)
                } else {
                    rng.pick(&FIELDS).to_string()
                };
                map.insert(key, hostile_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// `valid` with one field somewhere in it replaced by a hostile value.
fn mutate(rng: &mut Rng, valid: &serde_json::Value) -> serde_json::Value {
    let mut v = valid.clone();
    replace_one(rng, &mut v, 0);
    v
}

fn replace_one(rng: &mut Rng, at: &mut serde_json::Value, depth: usize) {
    let go_deeper = depth < 5 && !rng.chance(4);
    match at {
        serde_json::Value::Object(map) if go_deeper && !map.is_empty() => {
            let key = map.keys().nth(rng.below(map.len())).cloned().unwrap();
            if let Some(next) = map.get_mut(&key) {
                return replace_one(rng, next, depth + 1);
            }
        }
        serde_json::Value::Array(list) if go_deeper && !list.is_empty() => {
            let i = rng.below(list.len());
            return replace_one(rng, &mut list[i], depth + 1);
        }
        // A text kept as it is but for one character that should never be there.
        serde_json::Value::String(text) if rng.chance(2) => {
            let cut = text
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(text.chars().count() + 1));
            let bad = *rng.pick(&['\u{0}', '\u{1b}', '\u{202e}', '\n', '\u{7f}']);
            text.insert(cut.unwrap_or(text.len()), bad);
            return;
        }
        _ => {}
    }
    *at = hostile_value(rng, 2);
}

fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A valid body for `path`, for the mutations to start from.
fn valid_body(
    path: &str,
    counter: &Counter,
    booking: &loket::domain::Booking,
    seq: i64,
) -> serde_json::Value {
    let day = support::today();
    match path {
        "/api/v1/events" => serde_json::json!({ "events": [{
            "seq": seq, "id": uuid::Uuid::now_v7(), "kind": "case.set_document",
            "case_id": uuid::Uuid::now_v7(), "office": support::OFFICE,
            "officer": counter.officer, "device_time": support::local_now(),
            "payload": { "kind": "e_ktp", "status": "valid", "note": "" },
        }]}),
        "/api/v1/bookings" => serde_json::to_value(booking).unwrap(),
        "/api/v1/queue/call" => serde_json::json!({ "officer": counter.officer, "day": day }),
        "/api/v1/enroll" => serde_json::json!({ "code": "ABCD-EFGH-JKLM", "public_key": "x" }),
        _ => serde_json::json!({}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_hostile_requests_without_a_server_error() {
    let requests: usize = std::env::var("LOKET_FUZZ_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = std::env::var("LOKET_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_261_207);
    println!("fuzzing {requests} requests, seed {seed} (LOKET_FUZZ_SEED to repeat)");
    let mut rng = Rng(seed.max(1));
    let (pusat, jks) = Pusat::start(3).await;
    let mut counter = Counter::enroll(&pusat, 1).await;
    counter.sync().await.unwrap();
    let doc = serde_json::to_value(loket::server::openapi::document()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let auth = op["security"]
                .as_array()
                .and_then(|s| s.first())
                .and_then(|s| s.as_object())
                .and_then(|s| s.keys().next().cloned());
            routes.push((method.to_uppercase(), path.clone(), auth));
        }
    }
    assert!(routes.len() >= 15, "{routes:?}");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::new();
    for n in 0..requests {
        let (method, template, auth) = rng.pick(&routes).clone();
        // Path parameters: hostile, or one that exists.
        let mut path = template.clone();
        while let Some(start) = path.find('{') {
            let end = path[start..].find('}').unwrap() + start;
            let value = match rng.below(3) {
                0 => jks[0].code.as_str().to_owned(),
                1 => "a".repeat(64),
                _ => hostile_string(&mut rng),
            };
            path.replace_range(start..=end, &encode(&value));
        }
        if template == "/api/v1/changes" {
            // Hostile, but never a long poll: `wait` stays short.
            let after = encode(&hostile_string(&mut rng));
            let waits = ["0", "-1", "x", "\u{0}", "1"];
            let wait = encode(waits[rng.below(waits.len())]);
            path = format!("{path}?after={after}&limit={after}&wait={wait}");
        }
        let body: Vec<u8> = match rng.below(4) {
            _ if matches!(method.as_str(), "GET" | "HEAD" | "DELETE") => Vec::new(),
            0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
            1 => serde_json::to_vec(&hostile_value(&mut rng, 0)).unwrap(),
            _ => {
                // The device's next sequence number, so that a pushed event reaches the
                // projections rather than stopping at the gap check.
                let seq = if template == "/api/v1/events" {
                    support::stored_through(&pusat, counter.credential.device_id).await + 1
                } else {
                    1
                };
                let valid = valid_body(&template, &counter, &jks[0], seq);
                serde_json::to_vec(&mutate(&mut rng, &valid)).unwrap()
            }
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let builder = match auth.as_deref() {
            Some("device") if !rng.chance(10) => {
                counter.signed_with(&pusat.url, method.clone(), &path, &body)
            }
            Some("integration") if !rng.chance(10) => http
                .request(method.clone(), format!("{}{path}", pusat.url))
                .bearer_auth(support::INTEGRATION_KEY),
            _ => http.request(method.clone(), format!("{}{path}", pusat.url)),
        };
        let builder = builder
            .header(loket::protocol::HEADER, loket::protocol::VERSION)
            .header("content-type", "application/json")
            .header(
                "content-range",
                format!("bytes 0-{}/{}", body.len().max(1) - 1, body.len()),
            );
        let what = format!(
            "#{n} {method} {path} ({} bytes: {:?})",
            body.len(),
            String::from_utf8_lossy(&body[..body.len().min(120)])
        );
        match builder.body(body).send().await {
            Ok(answer) => {
                let status = answer.status().as_u16();
                *statuses.entry(status).or_insert(0) += 1;
                if status >= 500 {
                    let text = answer.text().await.unwrap_or_default();
                    failures.push(format!("{status} for {what}: {text}"));
                }
            }
            Err(e) => failures.push(format!("no answer for {what}: {e}")),
        }
    }
    println!("statuses: {statuses:?}");
    let health = http
        .get(format!("{}/healthz", pusat.url))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success(), "pusat stopped answering");
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed (seed {seed}):\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    // The fuzzing reached past the borders, not only into refusals.
    assert!(statuses.keys().any(|s| *s == 200), "{statuses:?}");
    pusat.stop().await;
}
