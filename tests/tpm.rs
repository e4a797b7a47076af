//! The device key held in the kiosk's TPM (issue 11, finding 4): a software TPM (swtpm) per
//! machine, a real pusat on PostgreSQL, and the real `loket` binary. The attacker's steps sit
//! beside the honest ones: the data folder, the kiosk secret and the credential copied to
//! another machine, whose TPM cannot use the key, and keys of the thief's own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;
#[path = "common/tpm.rs"]
mod tpm;

use std::path::Path;
use std::process::{Command, Output};

use loket::secret::KioskSecret;
use loket::sync::{Client, CredentialError, DeviceKey, KeyStore, SyncError};
use support::Pusat;
use tpm::SoftTpm;

/// Made first in each test, so dropped last: waits until no `tpm` thread holds a TSS
/// context (a key's clone can outlive the test's runtime in a blocking task), so the
/// process never exits while one is closing: the TSS and OpenSSL libraries tear down at
/// exit, under such a thread, and the binary died with SIGSEGV after its tests passed.
/// (Tests run side by side: each waits for all, so the last one to end waits for the rest.)
struct TpmThreadsEnded;

impl Drop for TpmThreadsEnded {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while loket::sync::tpm::threads_alive() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn stored_key(pusat: &Pusat, device: uuid::Uuid) -> String {
    let db = pusat.pool.get().await.unwrap();
    db.query_one("SELECT public_key FROM devices WHERE id = $1", &[&device])
        .await
        .unwrap()
        .get(0)
}

#[test]
fn a_key_in_the_tpm_signs_for_its_kiosk_and_no_other_tpm_can_use_it() {
    let _ended = TpmThreadsEnded;
    let rt = runtime();
    let (pusat, _) = rt.block_on(Pusat::start(0));
    let here = SoftTpm::start();
    let there = SoftTpm::start();

    let key = DeviceKey::generate_in_tpm(&here.tcti).unwrap();
    assert_eq!(key.store(), KeyStore::Tpm);
    let public = key.public();
    assert!(public.starts_with("p256:"), "{public}");
    let code = rt.block_on(pusat.enroll_code(2));
    let enrolled = rt
        .block_on(Client::enroll(&pusat.url, &code, None, &key))
        .unwrap();
    assert_eq!(rt.block_on(stored_key(&pusat, enrolled.device_id)), public);

    // Kept sealed in the data folder, and opened again from it in the same TPM.
    let root = tempfile::tempdir().unwrap();
    let secret = KioskSecret::in_dir(&root.path().join("secret")).unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    key.save_sealed(&data, &secret).unwrap();
    drop(key);
    assert_eq!(
        DeviceKey::kept_in(&data, &secret).unwrap(),
        Some(KeyStore::Tpm)
    );
    let back = DeviceKey::load_from(&data, &secret, None).unwrap().unwrap();
    assert_eq!(back.public(), public);
    let client = Client::new(&pusat.url, &enrolled.token, None)
        .unwrap()
        .signed(back);
    rt.block_on(client.pull(0)).unwrap();

    // The thief has the folder, the secret and the credential on another machine: its TPM
    // refuses the key's blob, so nothing can be signed with it.
    let err = DeviceKey::load_from(&data, &secret, Some(&there.tcti)).unwrap_err();
    assert!(matches!(err, CredentialError::Tpm(_)), "{err:?}");
    assert!(err.to_string().contains("another TPM"), "{err}");
    // Keys of the thief's own, in its TPM or in a file, sign nothing pusat takes from this
    // device.
    for forged in [
        DeviceKey::generate_in_tpm(&there.tcti).unwrap(),
        DeviceKey::generate(),
    ] {
        let thief = Client::new(&pusat.url, &enrolled.token, None)
            .unwrap()
            .signed(forged);
        let refused = rt.block_on(thief.pull(0));
        assert!(
            matches!(refused, Err(SyncError::Unauthorized)),
            "{refused:?}"
        );
    }
    // The refusals did not evict the kiosk.
    rt.block_on(client.pull(0)).unwrap();
    // A TPM that went away: the signature fails before anything is sent, and says so.
    drop(here);
    let gone = rt.block_on(client.pull(0)).unwrap_err();
    assert!(matches!(gone, SyncError::Key(_)), "{gone:?}");
}

fn loket(data: &Path, secret: &Path, tpm: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(args)
        .env("LOKET_DATA_DIR", data)
        .env(loket::secret::DIR_ENV, secret)
        .env(loket::sync::tpm::ENV, tpm)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
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

/// `loket doctor --json`'s finding about the device key: (level, message, fix).
fn key_finding(data: &Path, secret: &Path, tpm: &str) -> (String, String, String) {
    let out = loket(data, secret, tpm, &["doctor", "--json", "--no-camera"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "key")
        .unwrap_or_else(|| panic!("no key finding in {json:#}"));
    let text = |k: &str| finding[k].as_str().unwrap_or("").to_owned();
    (text("level"), text("message"), text("fix"))
}

fn copy_dir(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn loket_enroll_makes_the_key_in_the_tpm_and_doctor_says_where_the_key_is() {
    let _ended = TpmThreadsEnded;
    let rt = runtime();
    let (pusat, _) = rt.block_on(Pusat::start(3));
    let here = SoftTpm::start();
    let there = SoftTpm::start();
    let root = tempfile::tempdir().unwrap();
    let (data, secret) = (root.path().join("data"), root.path().join("secret"));

    let code = rt.block_on(pusat.enroll_code(2));
    let enroll = ["enroll", "--server", &pusat.url, "--code", &code];
    let enrolled = ok(&loket(&data, &secret, &here.tcti, &enroll));
    assert!(enrolled.contains("Kunci perangkat di TPM"), "{enrolled}");
    ok(&loket(&data, &secret, &here.tcti, &["sync", "--once"]));
    let (level, message, _) = key_finding(&data, &secret, &here.tcti);
    assert_eq!(level, "ok", "{message}");
    assert!(message.contains("TPM"), "{message}");

    // The whole kiosk copied to a machine whose TPM is another: sync cannot sign, and says
    // so in Indonesian; doctor names the key and what to do.
    let (stolen, stolen_secret) = (
        root.path().join("stolen"),
        root.path().join("stolen-secret"),
    );
    copy_dir(&data, &stolen);
    copy_dir(&secret, &stolen_secret);
    let refused = loket(&stolen, &stolen_secret, &there.tcti, &["sync", "--once"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("kunci perangkat"), "{said}");
    // The TPM libraries' own warnings are off: they would tear the officer's screen.
    assert!(
        !said.contains("ERROR:esys") && !said.contains("WARNING:"),
        "{said}"
    );
    let (level, message, fix) = key_finding(&stolen, &stolen_secret, &there.tcti);
    assert_eq!(level, "fail", "{message}");
    assert!(fix.contains("daftarkan ulang"), "{fix}");
    // The kiosk itself goes on.
    ok(&loket(&data, &secret, &here.tcti, &["sync", "--once"]));

    // A kiosk without a TPM enrolls with a key in a sealed file; doctor says that too, and
    // warns when a TPM is there but the key is not in it.
    let (plain, plain_secret) = (root.path().join("plain"), root.path().join("plain-secret"));
    let code = rt.block_on(pusat.enroll_code(3));
    let enroll = ["enroll", "--server", &pusat.url, "--code", &code];
    let enrolled = ok(&loket(&plain, &plain_secret, "off", &enroll));
    assert!(enrolled.contains("berkas"), "{enrolled}");
    assert_eq!(key_finding(&plain, &plain_secret, "off").0, "ok");
    let (level, message, fix) = key_finding(&plain, &plain_secret, &here.tcti);
    assert_eq!(level, "warn", "{message}");
    assert!(fix.contains("loket enroll"), "{fix}");
    let device: uuid::Uuid = {
        let text = std::fs::read_to_string(plain.join("credential.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["device_id"].as_str().unwrap().parse().unwrap()
    };
    assert!(!rt.block_on(stored_key(&pusat, device)).starts_with("p256:"));
}

/// The terminal's sync worker on a kiosk whose TPM stops answering and comes back (a TPM
/// reset, a resource manager restarted): sync says the key cannot sign, and goes on by
/// itself once the TPM is back, without the terminal being restarted.
#[test]
fn the_sync_worker_signs_again_once_the_tpm_is_back() {
    let _ended = TpmThreadsEnded;
    use loket::sync::{SyncCommand, SyncState, SyncStatus, Worker, WorkerSetup};
    let rt = runtime();
    let (pusat, _) = rt.block_on(Pusat::start(0));
    let mut tpm = SoftTpm::start();
    let key = DeviceKey::generate_in_tpm(&tpm.tcti).unwrap();
    let code = rt.block_on(pusat.enroll_code(2));
    let enrolled = rt
        .block_on(Client::enroll(&pusat.url, &code, None, &key))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    key.save(dir.path()).unwrap();
    drop(key);
    let mut store =
        loket::store::Store::open(&dir.path().join("loket.db"), support::OFFICE).unwrap();
    store
        .enroll(
            enrolled.device_id,
            &enrolled.office,
            enrolled.counter,
            support::local_now(),
        )
        .unwrap();
    let credential = loket::sync::Credential {
        server: pusat.url.clone(),
        device_id: enrolled.device_id,
        token: enrolled.token.clone(),
        expires_at: enrolled.expires_at,
        office: enrolled.office.clone(),
        counter: enrolled.counter,
        ca_pem: None,
    };
    let (tx, reports) = std::sync::mpsc::channel::<SyncStatus>();
    let worker = Worker::spawn(
        WorkerSetup {
            store: loket::store::StoreThread::spawn(store).unwrap(),
            data_dir: dir.path().to_owned(),
            zone: loket::domain::Zone::Wib,
            credential,
        },
        move |status| {
            let _ = tx.send(status);
        },
    )
    .unwrap();
    let until = |want: &dyn Fn(&SyncState) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let status = reports
                .recv_timeout(left)
                .expect("no such sync status in time");
            if want(&status.state) {
                return;
            }
            let _ = worker.commands.send(SyncCommand::Now);
        }
    };
    until(&|s| *s == SyncState::Online);
    tpm.stop();
    let _ = worker.commands.send(SyncCommand::Now);
    until(&|s| {
        matches!(
            s,
            SyncState::Offline {
                error: SyncError::Key(_),
                ..
            }
        )
    });
    tpm.restart();
    let _ = worker.commands.send(SyncCommand::Now);
    until(&|s| *s == SyncState::Online);
    let _ = worker.commands.send(SyncCommand::Stop);
    // The worker ends, and with its key the tpm thread, before the test (and the process).
    worker.thread.join().unwrap();
}
