//! `loket enroll` and `loket sync`.

use chrono::Utc;

use super::{CliError, Opened, store_err};
use crate::sync::{Client, Credential, Phase, RoundContext, RoundReport, SyncError};
use crate::text::{Lang, sync_error_text};

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Terminal)
}

fn failed(e: &SyncError) -> CliError {
    let id = sync_error_text(Lang::Id.strings(), e);
    let en = sync_error_text(Lang::En.strings(), e);
    CliError::Sync(format!("{id} / {en}"))
}

/// Exchanges the code for a credential, keeps it (0600) and pulls the office's roster,
/// configuration and bookings.
pub(super) fn enroll(
    mut o: Opened,
    server: &str,
    code: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let ca_pem = match ca_file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            CliError::Sync(format!(
                "berkas CA {} tidak terbaca: {e} / cannot read the CA file",
                path.display()
            ))
        })?),
        None => None,
    };
    let rt = runtime()?;
    // A new key for each enrollment: pusat binds the credential to it. It is made in the
    // kiosk's TPM when there is one.
    let key = crate::sync::DeviceKey::for_enrollment().map_err(|e| {
        CliError::Sync(format!(
            "kunci perangkat tidak dapat dibuat di TPM: {e}; periksa TPM (izin {dev}: grup tss), atau daftarkan dengan {env}=off untuk kunci dalam berkas / the device key cannot be made in the TPM; check it, or enroll with {env}=off for a key in a file",
            dev = crate::sync::tpm::DEVICE,
            env = crate::sync::tpm::ENV,
        ))
    })?;
    let response = rt
        .block_on(Client::enroll(server, code, ca_pem.as_deref(), &key))
        .map_err(|e| failed(&e))?;
    let zone = crate::domain::Zone::parse(&response.office.zone).unwrap_or(o.office.zone);
    let others = o
        .store
        .events_of_other_offices(&response.office.code)
        .map_err(store_err(&o.dir))?;
    if others > 0 {
        return Err(CliError::Sync(format!(
            "folder data ini berisi {others} peristiwa kantor lain; daftarkan dengan --data-dir baru dan kode baru / this data folder holds another office's events; enroll with a new --data-dir and a new code"
        )));
    }
    let credential = Credential {
        server: server.trim_end_matches('/').to_owned(),
        device_id: response.device_id,
        token: response.token.clone(),
        expires_at: response.expires_at,
        office: response.office.clone(),
        counter: response.counter,
        ca_pem,
    };
    drop(o.store);
    let path = o.dir.join("loket.db");
    let mut store =
        crate::store::Store::open(&path, &credential.office.code).map_err(store_err(&o.dir))?;
    store
        .enroll(
            credential.device_id,
            &credential.office,
            credential.counter,
            zone.local(Utc::now()),
        )
        .map_err(store_err(&o.dir))?;
    key.save(&o.dir)?;
    credential.save(&o.dir)?;
    println!(
        "Terdaftar / enrolled: {} loket {} · perangkat {}",
        credential.office.name, credential.counter, credential.device_id
    );
    match &key {
        crate::sync::DeviceKey::Tpm(k) => println!(
            "Kunci perangkat di TPM ({}) / device key held in the TPM",
            k.tcti()
        ),
        crate::sync::DeviceKey::File(_) => println!(
            "Kunci perangkat dalam berkas tersegel (tidak ada TPM) / device key in a sealed file (no TPM)"
        ),
    }
    o.store = store;
    o.office.code.clone_from(&credential.office.code);
    o.office.zone = zone;
    o.credential = Some(credential);
    match one_round(&mut o, &rt) {
        Ok(report) => print_report(&report),
        Err(e) => eprintln!(
            "Terdaftar, tetapi sinkron pertama gagal (akan dicoba lagi): {} / enrolled, first sync failed",
            sync_error_text(Lang::Id.strings(), &e)
        ),
    }
    Ok(())
}

fn one_round(o: &mut Opened, rt: &tokio::runtime::Runtime) -> Result<RoundReport, SyncError> {
    let Some(credential) = &mut o.credential else {
        return Err(SyncError::Unauthorized);
    };
    let mut client = Client::for_counter(credential, &o.dir)?;
    match rt.block_on(crate::sync::renew_if_due(
        &mut client,
        credential,
        &o.dir,
        Utc::now(),
    )) {
        Ok(true) => println!(
            "Kredensial diperbarui sampai {} / credential renewed",
            credential.expires_at.format("%Y-%m-%d")
        ),
        Ok(false) => {}
        // Sync goes on with the old credential while it lasts.
        Err(e) => eprintln!(
            "Kredensial (berakhir {}) belum bisa diperbarui: {} / renewal failed",
            credential.expires_at.format("%Y-%m-%d"),
            sync_error_text(Lang::Id.strings(), &e)
        ),
    }
    let zone = o.office.zone;
    let now = move || zone.local(Utc::now());
    let pending = o.store.pending_events().unwrap_or(0);
    // A progress bar only for a backlog worth watching (and only on a terminal).
    let bar = (pending > 200).then(|| {
        let bar = indicatif::ProgressBar::new(pending);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |phase: Phase, done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_message(match phase {
                Phase::Push => "kirim/push",
                Phase::Pull => "terima/pull",
                Phase::Photos => "foto/photos",
            });
            if total > 0 {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    };
    let cx = RoundContext {
        data_dir: &o.dir,
        today: zone.today(Utc::now()),
        now: &now,
        progress: &mut progress,
    };
    let result = rt.block_on(crate::sync::round(&mut o.store, &client, cx));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn print_report(r: &RoundReport) {
    println!(
        "Terkirim / pushed: {} peristiwa (+{} sudah ada di pusat) · diterima / pulled: {} perubahan · foto / photos: {}",
        r.pushed, r.duplicates, r.pulled, r.photos
    );
    if r.photos_missing > 0 {
        eprintln!(
            "{} foto tidak ditemukan di folder data; tetap menunggu / photo files missing, still pending",
            r.photos_missing
        );
    }
}

/// One round (`--once`), or rounds until Ctrl+C with the worker's backoff.
pub(super) fn run(mut o: Opened, once: bool) -> Result<(), CliError> {
    let Some(credential) = o.credential.clone() else {
        return Err(CliError::Sync(
            "loket ini belum terdaftar; jalankan `loket enroll --server URL --code KODE` / not enrolled"
                .into(),
        ));
    };
    if once {
        let rt = runtime()?;
        let report = one_round(&mut o, &rt).map_err(|e| failed(&e))?;
        print_report(&report);
        let counts = o.store.sync_counts().map_err(store_err(&o.dir))?;
        println!(
            "Menunggu / waiting: {} peristiwa, {} foto",
            counts.events, counts.photos
        );
        return Ok(());
    }
    let setup = crate::sync::WorkerSetup {
        store: crate::store::StoreThread::spawn(o.store)?,
        data_dir: o.dir.clone(),
        zone: o.office.zone,
        credential,
    };
    let worker = crate::sync::Worker::spawn(setup, |status| {
        let s = Lang::Id.strings();
        let state = match &status.state {
            crate::sync::SyncState::Online => s.sync_online.to_owned(),
            crate::sync::SyncState::Connecting => s.sync_connecting.to_owned(),
            crate::sync::SyncState::Offline { error, retry_in } => crate::text::fill!(
                s.sync_offline,
                why = sync_error_text(s, error),
                seconds = retry_in.as_secs().max(1)
            ),
        };
        println!(
            "{} {state} · {} peristiwa, {} foto menunggu",
            status.at.format("%H:%M:%S"),
            status.counts.events,
            status.counts.photos
        );
    })?;
    let _ = worker.thread.join();
    Ok(())
}
