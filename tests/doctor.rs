//! `loket doctor`, `loket backup` and `loket restore` as a technician runs them: the real
//! binary on real data folders, each fault seeded for real — a scanner's pseudo-terminal
//! closed, a camera that is not there, a database file overwritten, an outbox with a hole,
//! a pusat that is down, presents a certificate for another name, or answers with a skewed
//! clock. (A nearly full disk is judged from statvfs's numbers, tested in src/doctor.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, Utc};
use loket::domain::Zone;
use loket::protocol::OfficeInfo;
use loket::store::{Actor, Store};
use loket::sync::Credential;
use serde_json::Value;
use uuid::Uuid;

/// A child inherits every open descriptor, a pseudo-terminal's master included: the test
/// that unplugs a scanner and the ones that spawn the binary take turns.
static SPAWN: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Doctor {
    exit: i32,
    json: Value,
}

impl Doctor {
    fn run(dir: &Path) -> Doctor {
        let out = {
            let _turn = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
            Command::new(env!("CARGO_BIN_EXE_loket"))
                .args(["doctor", "--json", "--no-camera", "--data-dir"])
                .arg(dir)
                .output()
                .unwrap()
        };
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "doctor --json printed no JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(json["exit"].as_i64(), out.status.code().map(i64::from));
        Doctor {
            exit: out.status.code().unwrap_or(-1),
            json,
        }
    }

    /// The findings of one check, as (level, message, fix).
    fn of(&self, check: &str) -> Vec<(String, String, String)> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == check)
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or("").to_owned();
                (text("level"), text("message"), text("fix"))
            })
            .collect()
    }

    fn level(&self, check: &str) -> String {
        let found = self.of(check);
        assert!(!found.is_empty(), "no {check} finding in {:#}", self.json);
        found
            .iter()
            .map(|f| f.0.clone())
            .max_by_key(|l| rank(l))
            .unwrap()
    }
}

fn rank(level: &str) -> u8 {
    match level {
        "ok" => 0,
        "warn" => 1,
        _ => 2,
    }
}

fn loket(dir: &Path, args: &[&str]) -> std::process::Output {
    let _turn = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

/// A counter's data folder with a day's work in it: the demo office, three check-ins and
/// some views, in a real SQLite file.
fn worked(dir: &Path) -> Store {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = dir.join("loket.db");
    let mut store = Store::open(&path, "JKS").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let now = Zone::Wib.local(Utc::now());
    let fees = loket::domain::fees::FeeSchedule::from_toml(loket::config::FEES).unwrap();
    loket::demo::seed(&mut store, 3, now.date_naive(), &fees).unwrap();
    let actor = Actor {
        key: None,
        username: "petugas1".into(),
        now,
    };
    let bookings = store.bookings_on(now.date_naive()).unwrap();
    for (_, b) in bookings.iter().take(3) {
        loket::counter::check_in(&mut store, &actor, b, 0, "JKS").unwrap();
        store.record_view(&actor, b.code.as_str(), None).unwrap();
    }
    store
}

fn credential(dir: &Path, server: &str, ca_pem: Option<String>, expires_in: Duration) {
    Credential {
        server: server.to_owned(),
        device_id: Uuid::now_v7(),
        token: "t".repeat(43),
        expires_at: Utc::now() + expires_in,
        office: OfficeInfo {
            code: "JKS".into(),
            name: "Kantor Imigrasi Jakarta Selatan".into(),
            zone: "WIB".into(),
            config: Default::default(),
        },
        counter: 1,
        ca_pem,
    }
    .save(dir)
    .unwrap();
}

#[test]
fn a_bare_kiosk_is_told_it_is_not_enrolled_and_has_no_database() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    let d = Doctor::run(&dir);
    assert_eq!(d.exit, 2, "{:#}", d.json);
    let cred = &d.of("credential")[0];
    assert_eq!(cred.0, "fail");
    assert!(cred.2.contains("loket enroll --server"), "{cred:?}");
    assert_eq!(d.level("database"), "fail");
    assert_eq!(d.level("config"), "ok");
    // Doctor looked and changed nothing: no folder, no database made.
    assert!(!dir.exists());
    // English on request, the same findings.
    let out = loket(&dir, &["doctor", "--lang", "en", "--no-camera"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✗ The kiosk is not enrolled with pusat"),
        "{text}"
    );
    assert!(text.contains("→ Fix:"), "{text}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_sound_database_passes_and_an_outbox_with_a_hole_or_a_tampered_case_does_not() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let d = Doctor::run(&dir);
    assert_eq!(d.level("database"), "ok", "{:#}", d.json);
    assert!(d.of("outbox").is_empty() && d.of("replay").is_empty());
    assert!(
        d.of("database")[0].1.contains("3 kasus"),
        "{:?}",
        d.of("database")
    );
    assert_eq!(d.level("permissions"), "ok");
    assert_eq!(d.level("encryption"), "ok");

    // Someone "cleaned up" with sqlite3: an event gone from the middle, a case edited.
    let conn = loket::store::cipher::open(
        &dir.join("loket.db"),
        &loket::secret::KioskSecret::kiosk().unwrap(),
    )
    .unwrap();
    conn.execute_batch(
        "DROP TRIGGER outbox_no_delete; DELETE FROM outbox WHERE seq = 3;
         UPDATE cases SET state = json_set(state, '$.identity.name', 'BUKAN NAMANYA')
          WHERE rowid = (SELECT MIN(rowid) FROM cases);",
    )
    .unwrap();
    drop(conn);
    let d = Doctor::run(&dir);
    assert_eq!(d.exit, 2);
    let gap = &d.of("outbox")[0];
    assert_eq!(gap.0, "fail");
    assert!(gap.1.ends_with("setelah nomor 2 langsung 4"), "{gap:?}");
    // Two cases no longer match their events: the edited one, and the one whose event went.
    let replay = &d.of("replay")[0];
    assert_eq!(replay.0, "fail");
    assert!(replay.1.starts_with("2 kasus"), "{replay:?}");
}

#[test]
fn a_database_from_before_encryption_is_reported_then_encrypted_by_the_terminal_with_its_work() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let path = dir.join("loket.db");
    // As an older Loket left it: the same database, plain.
    let plain = dir.join("plain.db");
    {
        let secret = loket::secret::KioskSecret::kiosk().unwrap();
        let conn = loket::store::cipher::open(&path, &secret).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [plain.to_string_lossy().as_ref()],
        )
        .unwrap();
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch(&format!(
            "PRAGMA plain.user_version = {version}; DETACH DATABASE plain;"
        ))
        .unwrap();
    }
    for side in ["loket.db-wal", "loket.db-shm"] {
        let _ = std::fs::remove_file(dir.join(side));
    }
    std::fs::rename(&plain, &path).unwrap();
    let has_name = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        bytes.windows(8).any(|w| w == b"petugas1")
    };
    assert!(has_name(&path), "the plain file shows who worked");

    // Doctor reads it as it is, says so, and changes nothing.
    let d = Doctor::run(&dir);
    assert_eq!(d.level("encryption"), "warn", "{:#}", d.json);
    assert!(d.of("encryption")[0].2.contains("systemctl restart loket"));
    assert!(d.of("database")[0].1.contains("3 kasus"), "{:#}", d.json);
    assert!(has_name(&path));
    // A backup of it is encrypted already; the plain file kept aside restores later.
    let into = root.path().join("cadangan");
    let backup = loket::store::health::backup(&dir, &into, Utc::now()).unwrap();
    assert!(!loket::store::cipher::is_plain(
        &backup.dir.join("loket.db")
    ));
    assert!(!has_name(&backup.dir.join("loket.db")));
    let old_copy = root.path().join("lama.db");
    std::fs::copy(&path, &old_copy).unwrap();

    // The next start of a terminal command encrypts it in place, with everything in it.
    let out = loket(&dir, &["purge", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!has_name(&path), "the encrypted file still shows a name");
    let d = Doctor::run(&dir);
    assert_eq!(d.level("encryption"), "ok", "{:#}", d.json);
    assert_eq!(d.level("database"), "ok", "{:#}", d.json);
    assert!(d.of("database")[0].1.contains("3 kasus"), "{:#}", d.json);
    assert!(!dir.join("loket.db.encrypting").exists());

    // Both kinds of backup restore, encrypted, with the work in them.
    for from in [old_copy, backup.dir] {
        loket::store::health::restore(&dir, &from, Utc::now()).unwrap();
        assert!(!has_name(&path));
        let d = Doctor::run(&dir);
        assert_eq!(d.level("encryption"), "ok", "{:#}", d.json);
        assert!(d.of("database")[0].1.contains("3 kasus"), "{:#}", d.json);
    }
}

#[test]
fn a_corrupted_database_file_is_reported_with_the_way_back_from_a_backup() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    let store = worked(&dir);
    drop(store);
    let path = dir.join("loket.db");
    // Fold the WAL in first, so the damage lands in the only copy of the pages.
    loket::store::cipher::open(&path, &loket::secret::KioskSecret::kiosk().unwrap())
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let len = file.seek(SeekFrom::End(0)).unwrap();
    assert!(len > 16 * 4096, "a day's work spans pages: {len}");
    let mut noise = vec![0u8; 8 * 4096];
    let mut x = 0x9e37_79b9_u32;
    for b in &mut noise {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    file.seek(SeekFrom::Start(4096)).unwrap();
    file.write_all(&noise).unwrap();
    drop(file);
    let d = Doctor::run(&dir);
    assert_eq!(d.exit, 2);
    let db = &d.of("database")[0];
    assert_eq!(db.0, "fail", "{:#}", d.json);
    assert!(db.2.contains("loket restore"), "{db:?}");
}

#[test]
fn a_scanner_that_is_plugged_in_passes_and_one_unplugged_fails_with_its_fix() {
    use serialport::{SerialPort, TTYPort};
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let link = root.path().join("loket-scanner");
    let (master, slave) = TTYPort::pair().unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    drop(slave);
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[scanner]\nport = \"{}\"\n[camera]\ndevice = \"/dev/video97\"\n",
            link.display()
        ),
    )
    .unwrap();
    let plugged = Doctor::run(&dir);
    assert_eq!(plugged.level("scanner"), "ok", "{:#}", plugged.json);

    {
        let _turn = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
        drop(master);
    }
    let unplugged = Doctor::run(&dir);
    let scanner = &unplugged.of("scanner")[0];
    assert_eq!(scanner.0, "fail", "{scanner:?}");
    assert!(scanner.1.contains("loket-scanner"), "{scanner:?}");
    assert!(scanner.2.contains("dialout"), "{scanner:?}");
    assert_eq!(unplugged.exit, 2);

    // A keyboard-mode scanner read directly: none is plugged in here.
    std::fs::write(
        dir.join("config.toml"),
        "[scanner]\nhid = \"0c2e:0b61\"\n[camera]\ndevice = \"/dev/video97\"\n",
    )
    .unwrap();
    let hid = Doctor::run(&dir);
    let scanner = &hid.of("scanner")[0];
    assert_eq!(scanner.0, "fail", "{scanner:?}");
    assert!(scanner.1.contains("HID 0c2e:0b61"), "{scanner:?}");
    assert!(scanner.2.contains("--udev-rule"), "{scanner:?}");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[scanner]\nport = \"{}\"\n[camera]\ndevice = \"/dev/video97\"\n",
            link.display()
        ),
    )
    .unwrap();

    // No camera on this machine: the configured one is reported missing (the camera is
    // opened only without --no-camera).
    let out = loket(&dir, &["doctor", "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let camera = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "camera")
        .cloned()
        .unwrap();
    assert_eq!(camera["level"], "fail", "{camera:#}");
    assert!(camera["message"].as_str().unwrap().contains("/dev/video97"));
    assert!(camera["fix"].as_str().unwrap().contains("video"));
}

#[test]
fn configuration_out_of_range_is_named_key_by_key() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    std::fs::write(
        dir.join("config.toml"),
        "[counter]\nnumber = 0\n[scanner]\nbaud = 7\n",
    )
    .unwrap();
    let d = Doctor::run(&dir);
    let config = &d.of("config")[0];
    assert_eq!(config.0, "fail");
    assert!(config.1.contains("counter.number = 0"), "{config:?}");
    assert!(config.1.contains("scanner.baud = 7"), "{config:?}");
    std::fs::write(dir.join("config.toml"), "[counter\nnumber = 2\n").unwrap();
    let d = Doctor::run(&dir);
    assert_eq!(d.level("config"), "fail");
}

#[test]
fn a_pusat_that_cannot_be_reached_is_a_warning_the_kiosk_can_work_through() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    credential(
        &dir,
        &format!("http://127.0.0.1:{port}"),
        None,
        Duration::days(200),
    );
    let d = Doctor::run(&dir);
    let pusat = &d.of("pusat")[0];
    assert_eq!(pusat.0, "warn", "{:#}", d.json);
    assert!(pusat.2.contains("luring"), "{pusat:?}");
    assert_eq!(d.level("clock"), "warn");
    assert_eq!(d.level("credential"), "ok");
    // A credential about to run out says so.
    credential(
        &dir,
        &format!("http://127.0.0.1:{port}"),
        None,
        Duration::days(5),
    );
    let d = Doctor::run(&dir);
    assert_eq!(d.level("credential"), "warn");
    credential(
        &dir,
        &format!("http://127.0.0.1:{port}"),
        None,
        -Duration::days(1),
    );
    let d = Doctor::run(&dir);
    assert_eq!(d.level("credential"), "fail");
}

/// A pusat-shaped server on loopback whose clock is `skew` off: it answers `/device` with
/// its time in the body and in `Date`.
fn skewed_pusat(skew: Duration) -> String {
    skewed_pusat_counted(skew).0
}

/// As [`skewed_pusat`], with the number of requests it answered.
fn skewed_pusat_counted(
    skew: Duration,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let then = Utc::now() + skew;
            let body = serde_json::json!({
                "device_id": Uuid::now_v7(),
                "office": "JKS",
                "counter": 1,
                "expires_at": Utc::now() + Duration::days(100),
                "server_time": then,
            })
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nDate: {}\r\nloket-protocol: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                then.format("%a, %d %b %Y %H:%M:%S GMT"),
                loket::protocol::VERSION,
                body.len()
            );
        }
    });
    (url, asked)
}

#[test]
fn a_kiosk_clock_off_pusat_s_warns_from_thirty_seconds_and_fails_from_two_minutes() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    for (skew, level) in [(0, "ok"), (45, "warn"), (-600, "fail")] {
        let url = skewed_pusat(Duration::seconds(skew));
        credential(&dir, &url, None, Duration::days(200));
        let d = Doctor::run(&dir);
        assert_eq!(d.level("pusat"), "ok", "{:#}", d.json);
        let clock = &d.of("clock")[0];
        assert_eq!(clock.0, level, "skew {skew}: {clock:?}");
        if level != "ok" {
            assert!(clock.2.contains("timedatectl set-ntp true"), "{clock:?}");
            // Measured over a real round trip: a second either side on a busy machine.
            let said = clock
                .1
                .split_once(" detik")
                .and_then(|(before, _)| before.rsplit(' ').next())
                .and_then(|n| n.parse::<i64>().ok());
            assert!(
                said.is_some_and(|n| (n - skew.abs()).abs() <= 1),
                "{clock:?}"
            );
        }
    }
}

#[test]
fn a_certificate_for_another_name_is_a_failure_not_offline() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    // Issued by the CA the kiosk trusts, but for another host.
    let leaf = CertificateParams::new(vec!["pusat-lain.example".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let (cert_pem, key_pem) = (leaf.pem(), key.serialize_pem());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
                cert_pem.into_bytes(),
                key_pem.into_bytes(),
            )
            .await
            .unwrap();
            let app = axum::Router::new().route("/{*rest}", axum::routing::get(|| async { "" }));
            axum_server::from_tcp_rustls(listener, tls)
                .unwrap()
                .serve(app.into_make_service())
                .await
                .unwrap();
        });
    });
    credential(&dir, &url, Some(ca.pem()), Duration::days(200));
    let d = Doctor::run(&dir);
    let pusat = &d.of("pusat")[0];
    assert_eq!(pusat.0, "fail", "{:#}", d.json);
    assert!(pusat.2.contains("--ca-file"), "{pusat:?}");
    assert_eq!(d.exit, 2);
}

fn backup_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("backups"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn a_backup_taken_while_officers_work_restores_to_a_database_that_passes_doctor() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    let mut store = worked(&dir);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let working = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let now = Zone::Wib.local(Utc::now());
            let actor = Actor {
                key: None,
                username: "petugas1".into(),
                now,
            };
            let bookings = store.bookings_on(now.date_naive()).unwrap();
            let mut written = 0;
            for (_, b) in bookings.iter().skip(3).cycle() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if b.applicants.len() > 1 {
                    let _ = loket::counter::check_in(&mut store, &actor, b, 1, "JKS");
                }
                store.record_view(&actor, b.code.as_str(), None).unwrap();
                written += 1;
            }
            written
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let out = loket(&dir, &["backup"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = working.join().unwrap();
    assert!(written > 0, "officers worked during the backup");
    let made = backup_dirs(&dir);
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].join("loket.db").exists());

    // The kiosk's disk died: a new data folder, the backup restored into it.
    let new = root.path().join("new");
    std::fs::create_dir_all(&new).unwrap();
    let out = loket(&new, &["restore", made[0].to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = Doctor::run(&new);
    assert_eq!(d.level("database"), "ok", "{:#}", d.json);
    assert!(d.of("outbox").is_empty() && d.of("replay").is_empty());
    let events = loket::store::health::inspect(&new.join("loket.db"))
        .unwrap()
        .events;
    assert!(events >= 6, "the day's work came back: {events} events");

    // Restoring over an existing database keeps the one it replaces.
    let out = loket(&dir, &["restore", "--latest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("loket.db.before-restore-")
        })
        .collect();
    assert!(!kept.is_empty());
}

#[test]
fn backups_rotate_to_the_last_seven() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let into = dir.join("backups");
    let start = Utc::now() - Duration::days(10);
    for day in 0..9 {
        loket::store::health::backup(&dir, &into, start + Duration::days(day)).unwrap();
    }
    // A backup killed halfway leaves a partial folder: not a backup, and swept by the next.
    let partial = into.join(".loket-20000101T000000Z.partial");
    std::fs::create_dir_all(partial.join("photos")).unwrap();
    loket::store::health::backup(&dir, &into, start + Duration::days(9)).unwrap();
    assert!(!partial.exists());
    let kept = loket::store::health::backups(&into);
    assert_eq!(kept.len(), 7);
    assert_eq!(
        kept[0].at.date_naive(),
        (start + Duration::days(9)).date_naive()
    );
    // The newest is a day old; without it the newest is two days old: past the doctor's
    // patience.
    std::fs::remove_dir_all(&kept[0].dir).unwrap();
    let d = Doctor::run(&dir);
    assert_eq!(d.level("backup"), "warn", "{:#}", d.json);
}

#[test]
fn restore_is_refused_while_the_terminal_runs() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let out = loket(&dir, &["backup"]);
    assert!(out.status.success());
    let socket = root.path().join("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .output()
            .expect("tmux must be installed: deploy/test.sh installs it")
    };
    let command = format!(
        "{} --data-dir {} run",
        env!("CARGO_BIN_EXE_loket"),
        dir.display()
    );
    {
        let _turn = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
        tmux(&["new-session", "-d", "-x", "100", "-y", "30", &command]);
    }
    // Wait until the terminal holds the data folder.
    let held = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        matches!(
            loket::store::DataLock::take(&dir),
            Err(loket::store::LockError::Busy)
        )
    });
    let out = loket(&dir, &["restore", "--latest"]);
    tmux(&["kill-server"]);
    assert!(held, "the terminal never took the data folder's lock");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("systemctl stop loket"), "{said}");
}

#[test]
fn both_languages_of_the_technicians_screen_come_from_one_question_to_pusat() {
    use loket::text::Lang;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("loket");
    drop(worked(&dir));
    let (url, asked) = skewed_pusat_counted(Duration::seconds(45));
    credential(&dir, &url, None, Duration::days(200));
    let options = loket::doctor::Options {
        data_dir: dir.clone(),
        lang: Lang::Id,
        camera: false,
        service: false,
    };
    let reports = loket::doctor::examine_in(&options, &[Lang::Id, Lang::En]);
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    let clock = |r: &loket::checkup::Report| r.find("clock")[0].message.clone();
    // The skew is measured over a real round trip (halfway through it), so on a busy
    // machine it can read a second either side of the 45 s pusat was given.
    let seconds = |message: &str, before: &str, after: &str| {
        message
            .strip_prefix(before)
            .and_then(|rest| rest.split_once(after))
            .and_then(|(n, _)| n.parse::<i64>().ok())
    };
    let (id, en) = (clock(&reports[0]), clock(&reports[1]));
    assert!(
        matches!(seconds(&id, "Jam kios berbeda ", " detik"), Some(44..=46)),
        "{id}"
    );
    assert!(
        matches!(
            seconds(&en, "The kiosk's clock is ", " s off"),
            Some(44..=46)
        ),
        "{en}"
    );
    assert_eq!(
        seconds(&id, "Jam kios berbeda ", " detik"),
        seconds(&en, "The kiosk's clock is ", " s off"),
        "both languages say the one skew measured"
    );
}
