//! The README's commands end to end, as real processes: pusat's administrator commands, a
//! booking import from CSV, `pusat serve` over TLS with the agency's own CA, `loket enroll`,
//! `loket sync --once`, and a revoked device.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/pusat.rs"]
mod pusat_bin;

use std::path::Path;
use std::process::{Command, Output};

use loket::domain::Zone;

fn pusat(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pusat"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("PUSAT_OFFICER_PIN", "4829137065")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn loket(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(args)
        .env("LOKET_DATA_DIR", dir)
        .output()
        .unwrap()
}

/// Office JKS, as the README's first administrator command adds it.
fn add_office(db: &str) {
    ok(&pusat(
        db,
        &[
            "office",
            "add",
            "--code",
            "JKS",
            "--name",
            "Kantor Imigrasi Jakarta Selatan",
            "--zone",
            "WIB",
        ],
    ));
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Today's demo bookings as the booking system's CSV export: one row per applicant.
fn bookings_csv(path: &Path) -> Vec<loket::domain::Booking> {
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    let today = Zone::Wib.today(chrono::Utc::now());
    let list = loket::demo::bookings_drawn(3, "JKS", today, 6, &fees);
    let mut csv = String::from(
        "code,office,date,slot,service,passport,application,billing_code,name,nik,birth_date,sex,migrant_worker,name_changed,paid,cancelled\n",
    );
    for (i, b) in list.iter().enumerate() {
        for a in &b.applicants {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},\"{}\",{},{},{},{},{},{},{}\n",
                b.code.as_str(),
                b.office,
                b.date,
                b.slot.format("%H:%M"),
                label(&b.service),
                label(&b.passport),
                label(&b.application),
                b.billing_code,
                a.name,
                a.nik,
                a.birth_date,
                label(&a.sex),
                a.migrant_worker,
                a.name_changed,
                a.paid.map(|p| p.to_string()).unwrap_or_default(),
                i == 5,
            ));
        }
    }
    std::fs::write(path, csv).unwrap();
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_commands_enroll_and_sync_a_counter_over_tls() {
    let db = pg::database().await;
    let work = tempfile::tempdir().unwrap();
    let counter = tempfile::tempdir().unwrap();
    add_office(&db);
    ok(&pusat(
        &db,
        &[
            "officer",
            "add",
            "--office",
            "JKS",
            "--username",
            "rina",
            "--nip",
            "198801012010012001",
            "--name",
            "Rina Wulandari",
            "--role",
            "supervisor",
        ],
    ));
    let csv = work.path().join("bookings.csv");
    let list = bookings_csv(&csv);
    assert!(ok(&pusat(&db, &["bookings", "import", csv.to_str().unwrap()])).contains("6 bookings"));
    let code = ok(&pusat(
        &db,
        &["enroll-code", "--office", "JKS", "--counter", "4"],
    ));
    let code = code.trim().to_owned();

    // Without TLS, pusat refuses to listen beyond loopback.
    let open = pusat(&db, &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!open.status.success());
    assert!(String::from_utf8_lossy(&open.stderr).contains("loopback"));

    pg::certificates(work.path());
    let (mut server, url) = pusat_bin::serve(
        &db,
        &[
            // As behind a reverse proxy on this machine.
            "--trusted-proxy".as_ref(),
            "10.9.0.0/16,127.0.0.1".as_ref(),
            "--tls-cert".as_ref(),
            work.path().join("cert.pem").as_os_str(),
            "--tls-key".as_ref(),
            work.path().join("key.pem").as_os_str(),
        ],
    );
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    // Without the agency's CA the counter does not trust pusat, and says so.
    let untrusted = loket(
        counter.path(),
        &["enroll", "--server", &url, "--code", &code],
    );
    assert!(!untrusted.status.success());
    assert!(
        String::from_utf8_lossy(&untrusted.stderr).contains("sertifikat"),
        "{untrusted:?}"
    );

    let ca = work.path().join("ca.pem");
    let enroll = |dir: &Path| {
        let args = ["enroll", "--server", &url, "--code", &code, "--ca-file"];
        loket(dir, &[&args[..], &[ca.to_str().unwrap()]].concat())
    };
    let enrolled = ok(&enroll(counter.path()));
    assert!(enrolled.contains("loket 4"), "{enrolled}");

    // The public status endpoint limits each client, named by the trusted proxy, on its own.
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let status = |from: &'static str| {
        let request = http
            .get(format!("{url}/api/v1/status/{}", list[0].code.as_str()))
            .header("x-forwarded-for", from);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let mut busy = Vec::new();
    for _ in 0..25 {
        busy.push(status("203.0.113.7").await);
    }
    assert!(busy.contains(&200) && busy.contains(&429), "{busy:?}");
    assert_eq!(
        status("198.51.100.4, 10.9.0.1").await,
        200,
        "another client"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(counter.path().join("credential.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // The code was for one use only.
    let again = enroll(tempfile::tempdir().unwrap().path());
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("kode pendaftaran"));

    // The imported bookings arrived, the cancelled one marked so.
    let listed = ok(&loket(counter.path(), &["bookings", "list", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    // (Codes print grouped, as the applicant's booking slip shows them.)
    let codes: Vec<String> = rows
        .iter()
        .map(|r| r["code"].as_str().unwrap().replace('-', ""))
        .collect();
    let imported: Vec<String> = list
        .iter()
        .map(|b| b.code.as_str().replace('-', ""))
        .collect();
    assert_eq!(codes.len(), 6, "{listed}");
    assert!(imported.iter().all(|c| codes.contains(c)), "{listed}");
    let cancelled: Vec<String> = rows
        .iter()
        .filter(|r| r["status"] == "cancelled")
        .map(|r| r["code"].as_str().unwrap().replace('-', ""))
        .collect();
    assert_eq!(cancelled, vec![imported[5].clone()], "{listed}");
    let synced = ok(&loket(counter.path(), &["sync", "--once"]));
    assert!(
        synced.contains("Menunggu / waiting: 0 peristiwa"),
        "{synced}"
    );
    // The technician's check of the enrolled kiosk: pusat over TLS with the agency's CA,
    // the protocol, the clock and the credential all pass.
    let doctor = |dir: &Path| -> serde_json::Value {
        let out = loket(dir, &["doctor", "--json", "--no-camera"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let level = |report: &serde_json::Value, check: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == check)
            .map(|f| format!("{} {}", f["level"].as_str().unwrap(), f["message"]))
            .collect()
    };
    let healthy = doctor(counter.path());
    for check in ["pusat", "clock", "credential", "database", "sync"] {
        let found = level(&healthy, check);
        assert!(
            found.iter().all(|l| l.starts_with("ok ")),
            "{check}: {found:?}"
        );
        assert!(!found.is_empty(), "{check} missing: {healthy:#}");
    }

    // Eleven months on: `sync` renews the credential itself and keeps it on disk.
    let credential = counter.path().join("credential.json");
    let mut stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&credential).unwrap()).unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::days(10);
    stored["expires_at"] = serde_json::json!(soon);
    std::fs::write(&credential, stored.to_string()).unwrap();
    let (client, connection) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute("UPDATE devices SET expires_at = $1", &[&soon])
        .await
        .unwrap();
    let renewed = ok(&loket(counter.path(), &["sync", "--once"]));
    assert!(
        renewed.contains("Kredensial diperbarui sampai"),
        "{renewed}"
    );
    let now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&credential).unwrap()).unwrap();
    assert_ne!(now["token"], stored["token"]);
    let synced = ok(&loket(counter.path(), &["sync", "--once"]));
    assert!(!synced.contains("Kredensial"), "renewed once: {synced}");

    let compacted = ok(&pusat(&db, &["feed", "compact"]));
    assert!(compacted.starts_with("feed compacted: "), "{compacted}");
    let synced = ok(&loket(counter.path(), &["sync", "--once"]));
    assert!(synced.contains("Menunggu / waiting: 0"), "{synced}");

    let devices = ok(&pusat(&db, &["device", "list"]));
    let device = devices.lines().find(|l| l.contains("active")).unwrap();
    let id = device.split_whitespace().next().unwrap();
    ok(&pusat(&db, &["device", "revoke", id]));
    let refused = loket(counter.path(), &["sync", "--once"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("dicabut"),
        "{refused:?}"
    );
    let revoked = doctor(counter.path());
    assert_eq!(revoked["exit"], 2, "{revoked:#}");
    let pusat_said = level(&revoked, "pusat");
    assert_eq!(
        pusat_said,
        vec!["fail \"Pusat mencabut kios ini\"".to_owned()]
    );
    server.kill().unwrap();
    let _ = server.wait();
}

/// `pusat doctor` on a real database: fine when it is, and each fault named when seeded —
/// a schema behind the program (and doctor not migrating it), a counter silent for two
/// days, a certificate about to expire, a database that cannot be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pusat_doctor_names_what_needs_a_person_and_changes_nothing() {
    let db = pg::database().await;
    let work = tempfile::tempdir().unwrap();
    add_office(&db);
    let code = ok(&pusat(
        &db,
        &["enroll-code", "--office", "JKS", "--counter", "2"],
    ));
    pg::certificates(work.path());
    let cert = work.path().join("cert.pem");
    let key = work.path().join("key.pem");
    let doctor = |db: &str, extra: &[&str]| -> (i32, serde_json::Value) {
        let state = work.path().display().to_string();
        let mut args = vec!["doctor", "--json", "--state-dir", &state];
        args.extend_from_slice(extra);
        let out = pusat(db, &args);
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), json)
    };
    let level = |report: &serde_json::Value, check: &str| -> String {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .unwrap_or_else(|| panic!("no {check}: {report:#}"));
        format!(
            "{} {}",
            f["level"].as_str().unwrap(),
            f["message"].as_str().unwrap()
        )
    };
    let tls = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];

    // A counter enrolls and syncs: everything is fine.
    let (mut server, url) = pusat_bin::serve(&db, &[]);
    let counter = tempfile::tempdir().unwrap();
    ok(&loket(
        counter.path(),
        &["enroll", "--server", &url, "--code", code.trim()],
    ));
    ok(&loket(counter.path(), &["sync", "--once"]));
    server.kill().unwrap();
    let _ = server.wait();
    ok(&pusat(
        &db,
        &[
            "officer",
            "add",
            "--office",
            "JKS",
            "--username",
            "kepala",
            "--nip",
            "198001012005011071",
            "--name",
            "Kepala",
            "--role",
            "supervisor",
        ],
    ));
    let (status, healthy) = doctor(&db, &tls);
    assert_eq!(status, 0, "{healthy:#}");
    assert!(level(&healthy, "tls").starts_with("ok Sertifikat berlaku sampai"));
    assert!(level(&healthy, "devices").starts_with("ok 1 loket aktif"));
    assert!(level(&healthy, "supervisor_pins").starts_with("ok "));

    // The counter goes quiet for two days; the schema falls a migration behind.
    let (client, connection) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "UPDATE devices SET last_seen = now() - interval '2 days';
             UPDATE officers SET pin_rules = NULL WHERE username = 'kepala';
             DELETE FROM refinery_schema_history
              WHERE version = (SELECT MAX(version) FROM refinery_schema_history);",
        )
        .await
        .unwrap();
    let (status, faulty) = doctor(&db, &tls);
    assert_eq!(status, 1, "{faulty:#}");
    let silent = level(&faulty, "devices");
    assert!(
        silent.starts_with("warn 1 loket tidak terdengar") && silent.contains("JKS loket 2"),
        "{silent}"
    );
    assert!(level(&faulty, "migrations").starts_with("warn Skema basis data di migrasi"));
    // A supervisor whose PIN was set before the 10-digit rule (as after an upgrade).
    let old_pin = level(&faulty, "supervisor_pins");
    assert!(
        old_pin.starts_with("warn 1 supervisor") && old_pin.contains("JKS kepala"),
        "{old_pin}"
    );
    // Doctor looked only: the schema is still behind.
    let (_, again) = doctor(&db, &tls);
    assert!(level(&again, "migrations").starts_with("warn "));

    // A certificate with ten days left.
    {
        use rcgen::{CertificateParams, KeyPair};
        let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_after = rcgen::date_time_ymd(
            chrono::Datelike::year(&soon),
            chrono::Datelike::month(&soon) as u8,
            chrono::Datelike::day(&soon) as u8,
        );
        let key_pair = KeyPair::generate().unwrap();
        let short = params.self_signed(&key_pair).unwrap();
        std::fs::write(work.path().join("soon.pem"), short.pem()).unwrap();
        std::fs::write(work.path().join("soon.key"), key_pair.serialize_pem()).unwrap();
    }
    let soon = work.path().join("soon.pem");
    let soon_key = work.path().join("soon.key");
    let (_, expiring) = doctor(
        &db,
        &[
            "--tls-cert",
            soon.to_str().unwrap(),
            "--tls-key",
            soon_key.to_str().unwrap(),
        ],
    );
    let tls_said = level(&expiring, "tls");
    assert!(
        tls_said.starts_with("warn Sertifikat habis") && tls_said.contains("hari lagi"),
        "{tls_said}"
    );

    // A database nobody answers for.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, down) = doctor(&format!("postgres://postgres@127.0.0.1:{closed}/x"), &[]);
    assert_eq!(status, 2, "{down:#}");
    assert!(level(&down, "database").starts_with("fail PostgreSQL tidak terjangkau"));
}
