//! The checks, one function each. Thresholds are named beside the check that uses them.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Finding, mb};
use crate::config::Config;
use crate::store::health;
use crate::sync::{Credential, SyncError};
use crate::text::Strings;
use crate::text::fill;

/// The configuration parses and every value is in range.
pub(super) fn config(dir: &Path, s: &Strings, out: &mut Vec<Finding>) -> Option<Config> {
    let files: Vec<String> = Config::files(dir)
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    let shown = if files.is_empty() {
        "(bawaan / built-in)".to_owned()
    } else {
        files.join(" + ")
    };
    let config = match Config::load(dir) {
        Ok(config) => config,
        Err(e) => {
            out.push(Finding::fail(
                "config",
                fill!(s.dr_config_bad, file = shown, why = e),
                s.dr_config_fix.to_owned(),
            ));
            return None;
        }
    };
    let problems = out_of_range(&config);
    out.push(if problems.is_empty() {
        Finding::ok("config", fill!(s.dr_config_ok, file = shown))
    } else {
        Finding::fail(
            "config",
            fill!(s.dr_config_bad, file = shown, why = problems.join("; ")),
            s.dr_config_fix.to_owned(),
        )
    });
    Some(config)
}

/// Each value outside what Loket accepts, as `key = value (range)`.
pub fn out_of_range(c: &Config) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |ok: bool, key: &str, value: &dyn std::fmt::Display, range: &str| {
        if !ok {
            bad.push(format!("{key} = {value} ({range})"));
        }
    };
    check(
        (1..=999).contains(&c.counter.number),
        "counter.number",
        &c.counter.number,
        "1–999",
    );
    check(
        (1..=120).contains(&c.counter.idle_lock_minutes),
        "counter.idle_lock_minutes",
        &c.counter.idle_lock_minutes,
        "1–120",
    );
    let lang = c.ui.language.trim().to_lowercase();
    check(
        lang == "id" || lang == "en",
        "ui.language",
        &c.ui.language,
        "id | en",
    );
    check(
        crate::domain::Zone::parse(&c.office.timezone).is_some(),
        "office.timezone",
        &c.office.timezone,
        "WIB | WITA | WIT",
    );
    check(
        c.token_key().is_ok(),
        "booking.token_key",
        &"…",
        "Ed25519 base64url",
    );
    let sc = &c.scanner;
    check(
        [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].contains(&sc.baud),
        "scanner.baud",
        &sc.baud,
        "1200–115200",
    );
    check(
        (5..=8).contains(&sc.data_bits),
        "scanner.data_bits",
        &sc.data_bits,
        "5–8",
    );
    check(
        ["none", "odd", "even"].contains(&sc.parity.as_str()),
        "scanner.parity",
        &sc.parity,
        "none | odd | even",
    );
    check(
        sc.usb.is_empty() || is_usb_id(&sc.usb),
        "scanner.usb",
        &sc.usb,
        "vvvv:pppp",
    );
    check(
        sc.hid.is_empty() || is_usb_id(&sc.hid),
        "scanner.hid",
        &sc.hid,
        "vvvv:pppp",
    );
    check(
        sc.dedup_ms <= 60_000,
        "scanner.dedup_ms",
        &sc.dedup_ms,
        "0–60000",
    );
    check(
        sc.silence_ms <= 5_000,
        "scanner.silence_ms",
        &sc.silence_ms,
        "0–5000",
    );
    let cam = &c.camera;
    check(
        (160..=4096).contains(&cam.width),
        "camera.width",
        &cam.width,
        "160–4096",
    );
    check(
        (120..=4096).contains(&cam.height),
        "camera.height",
        &cam.height,
        "120–4096",
    );
    check(
        (1..=120).contains(&cam.fps),
        "camera.fps",
        &cam.fps,
        "1–120",
    );
    check(
        ["mjpeg", "yuyv"].contains(&cam.format.to_lowercase().as_str()),
        "camera.format",
        &cam.format,
        "mjpeg | yuyv",
    );
    bad
}

fn is_usb_id(text: &str) -> bool {
    text.split_once(':').is_some_and(|(v, p)| {
        [v, p]
            .iter()
            .all(|h| h.len() == 4 && u16::from_str_radix(h, 16).is_ok())
    })
}

/// The credential: enrolled, readable, not expired, days left.
pub(super) fn credential(
    dir: &Path,
    now: DateTime<Utc>,
    s: &Strings,
    out: &mut Vec<Finding>,
) -> Option<Credential> {
    let reenroll = || s.dr_cred_reenroll_fix.to_owned();
    match Credential::load(dir) {
        Ok(None) => {
            out.push(Finding::fail(
                "credential",
                s.dr_cred_none.to_owned(),
                s.dr_cred_none_fix.to_owned(),
            ));
            None
        }
        Err(e) => {
            out.push(Finding::fail(
                "credential",
                fill!(s.dr_cred_bad, why = e),
                reenroll(),
            ));
            None
        }
        Ok(Some(c)) => {
            let days = (c.expires_at - now).num_days();
            out.push(if c.expires_at <= now {
                Finding::fail(
                    "credential",
                    fill!(s.dr_cred_expired, day = c.expires_at.format("%Y-%m-%d")),
                    reenroll(),
                )
            } else if days < RENEW_WARN_DAYS {
                Finding::warn(
                    "credential",
                    fill!(s.dr_cred_soon, days = days),
                    s.dr_cred_soon_fix.to_owned(),
                )
            } else {
                Finding::ok(
                    "credential",
                    fill!(
                        s.dr_cred_ok,
                        office = c.office.code,
                        counter = c.counter,
                        days = days
                    ),
                )
            });
            Some(c)
        }
    }
}

/// A kiosk renews a month before expiry: fewer days left means renewal keeps failing.
const RENEW_WARN_DAYS: i64 = 21;
/// A WAL this large means checkpoints are not keeping up.
const WAL_WARN_BYTES: u64 = 64 * 1024 * 1024;
/// Events older than this still waiting for pusat: sync is held up.
const BACKLOG_WARN_HOURS: i64 = 2;

/// The database: present, SQLite's checks, the outbox's sequence, cases against their
/// events, the schema, the WAL and what waits to sync.
pub(super) fn database(dir: &Path, now: DateTime<Utc>, s: &Strings, out: &mut Vec<Finding>) {
    let path = dir.join("loket.db");
    if !path.exists() {
        out.push(Finding::fail(
            "database",
            fill!(s.dr_db_missing, path = path.display()),
            s.dr_db_missing_fix.to_owned(),
        ));
        return;
    }
    let restore = || s.dr_db_restore_fix.to_owned();
    let h = match health::inspect(&path) {
        Ok(h) => h,
        Err(e) => {
            out.push(Finding::fail(
                "database",
                fill!(s.dr_db_broken, why = e),
                restore(),
            ));
            return;
        }
    };
    if !h.integrity.is_empty() {
        let said: Vec<&str> = h.integrity.iter().take(3).map(String::as_str).collect();
        out.push(Finding::fail(
            "database",
            fill!(s.dr_db_broken, why = said.join("; ")),
            restore(),
        ));
        return;
    }
    let mut sound = true;
    if h.foreign_key_faults > 0 {
        sound = false;
        out.push(Finding::fail(
            "database",
            fill!(s.dr_db_fk, rows = h.foreign_key_faults),
            restore(),
        ));
    }
    for (after, next) in &h.outbox_gaps {
        sound = false;
        out.push(Finding::fail(
            "outbox",
            fill!(s.dr_db_gap, after = after, next = next),
            s.dr_db_gap_fix.to_owned(),
        ));
    }
    if !h.mismatched_cases.is_empty() {
        sound = false;
        out.push(Finding::fail(
            "replay",
            fill!(s.dr_db_replay, cases = h.mismatched_cases.len()),
            s.dr_db_gap_fix.to_owned(),
        ));
    }
    if h.schema_behind {
        out.push(Finding::warn(
            "database",
            s.dr_db_schema.to_owned(),
            s.dr_db_schema_fix.to_owned(),
        ));
    }
    if sound {
        out.push(Finding::ok(
            "database",
            fill!(s.dr_db_ok, cases = h.cases, events = h.events),
        ));
    }
    out.push(if crate::store::cipher::is_plain(&path) {
        Finding::warn(
            "encryption",
            s.dr_db_plain.to_owned(),
            s.dr_db_plain_fix.to_owned(),
        )
    } else {
        Finding::ok("encryption", s.dr_db_sealed.to_owned())
    });
    let wal = std::fs::metadata(dir.join("loket.db-wal")).map_or(0, |m| m.len());
    out.push(if wal > WAL_WARN_BYTES {
        Finding::warn(
            "wal",
            fill!(s.dr_wal_big, mb = mb(wal)),
            s.dr_wal_fix.to_owned(),
        )
    } else {
        Finding::ok("wal", fill!(s.dr_wal_ok, mb = mb(wal)))
    });
    let hours = h
        .oldest_pending
        .map_or(0, |t| (now - t.with_timezone(&Utc)).num_hours());
    out.push(if hours >= BACKLOG_WARN_HOURS {
        Finding::warn(
            "sync",
            fill!(s.dr_sync_old, events = h.pending_events, hours = hours),
            s.dr_sync_fix.to_owned(),
        )
    } else {
        Finding::ok(
            "sync",
            fill!(
                s.dr_sync_ok,
                events = h.pending_events,
                photos = h.pending_photos
            ),
        )
    });
    out.push(retention_finding(
        h.retention_days,
        h.purged_on,
        h.cases,
        now.date_naive(),
        s,
    ));
}

/// After this many days without a purge, cases may be kept past the office's retention.
const PURGE_WARN_DAYS: i64 = 7;

/// The retention in force and when it last ran. A purge runs once a day after a sync round
/// reached pusat: a counter that has not synced for days keeps what it should have purged.
pub fn retention_finding(
    days: u32,
    purged_on: Option<chrono::NaiveDate>,
    cases: u64,
    today: chrono::NaiveDate,
    s: &Strings,
) -> Finding {
    match purged_on {
        Some(on) if (today - on).num_days() >= PURGE_WARN_DAYS => Finding::warn(
            "retention",
            fill!(
                s.dr_retention_late,
                days = days,
                on = on,
                ago = (today - on).num_days()
            ),
            s.dr_retention_fix.to_owned(),
        ),
        Some(on) => Finding::ok("retention", fill!(s.dr_retention_ok, days = days, on = on)),
        None if cases == 0 => Finding::ok("retention", fill!(s.dr_retention_new, days = days)),
        None => Finding::warn(
            "retention",
            fill!(s.dr_retention_never, days = days),
            s.dr_retention_fix.to_owned(),
        ),
    }
}

/// The data folder is the service user's alone: 0700, the database 0600, owned by whoever
/// runs Loket (the `loket` user on a kiosk).
pub(super) fn permissions(dir: &Path, s: &Strings, out: &mut Vec<Finding>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let me = rustix::process::geteuid().as_raw();
    if !dir.is_dir() {
        out.push(Finding::fail(
            "permissions",
            fill!(s.dr_perm_bad, what = format!("{} ?", dir.display())),
            s.dr_db_missing_fix.to_owned(),
        ));
        return;
    }
    let mut wrong = Vec::new();
    for (path, mode) in [(dir.to_path_buf(), 0o700), (dir.join("loket.db"), 0o600)] {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let actual = meta.permissions().mode() & 0o777;
        if actual & !mode != 0 {
            wrong.push(format!("{} {actual:o} ({mode:o})", path.display()));
        }
        // Root (a technician who forgot `runuser -u loket`) reads everything: the owner is
        // then whoever owns the folder, and only the modes are checked.
        if me != 0 && meta.uid() != me {
            wrong.push(format!("{} uid {} ({me})", path.display(), meta.uid()));
        }
    }
    let user = std::env::var("USER").unwrap_or_else(|_| me.to_string());
    out.push(if wrong.is_empty() {
        Finding::ok(
            "permissions",
            fill!(s.dr_perm_ok, dir = dir.display(), user = user),
        )
    } else {
        Finding::fail(
            "permissions",
            fill!(s.dr_perm_bad, what = wrong.join("; ")),
            fill!(s.dr_perm_fix, dir = dir.display()),
        )
    });
}

/// The kiosk's secret ([`crate::secret`]): outside the data folder, the kiosk's alone, and
/// the one that sealed this data folder's device key.
pub(super) fn secret(dir: &Path, s: &Strings) -> Finding {
    secret_in(dir, &crate::secret::dir(), s)
}

/// [`secret`] with the secret's folder given.
pub fn secret_in(dir: &Path, folder: &Path, s: &Strings) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    let folder = folder.to_path_buf();
    let file = folder.join(crate::secret::FILE);
    let fix = || fill!(s.dr_secret_fix, folder = folder.display());
    if folder.starts_with(dir) {
        return Finding::warn(
            "secret",
            fill!(s.dr_secret_inside, folder = folder.display()),
            fix(),
        );
    }
    let Ok(meta) = std::fs::metadata(&file) else {
        let sealed_key = std::fs::read_to_string(crate::sync::DeviceKey::path(dir))
            .is_ok_and(|k| crate::secret::is_sealed(k.trim()));
        return if sealed_key {
            Finding::fail(
                "secret",
                fill!(s.dr_secret_lost, file = file.display()),
                s.dr_cred_reenroll_fix.to_owned(),
            )
        } else {
            Finding::ok("secret", fill!(s.dr_secret_new, file = file.display()))
        };
    };
    let mode = meta.permissions().mode() & 0o777;
    let folder_mode = std::fs::metadata(&folder).map_or(0, |m| m.permissions().mode() & 0o777);
    if mode & 0o077 != 0 || folder_mode & 0o077 != 0 {
        return Finding::fail(
            "secret",
            fill!(
                s.dr_secret_open,
                modes = format!(
                    "{} {mode:o}, {} {folder_mode:o}",
                    file.display(),
                    folder.display()
                )
            ),
            fix(),
        );
    }
    let opened = crate::secret::KioskSecret::in_dir(&folder)
        .map_err(|e| e.to_string())
        .and_then(|k| crate::sync::DeviceKey::kept_in(dir, &k).map_err(|e| e.to_string()));
    match opened {
        Err(e) => Finding::fail(
            "secret",
            fill!(s.dr_secret_other, why = e),
            s.dr_cred_reenroll_fix.to_owned(),
        ),
        Ok(_) => Finding::ok("secret", fill!(s.dr_secret_ok, file = file.display())),
    }
}

/// Where the device key is kept, and whether it signs: in the TPM (ok), in a sealed file
/// on a kiosk without one (ok), in a file though a TPM is there (warn: enroll again), or in
/// a TPM that cannot use it (fail). `None` without a key, or when the secret does not open
/// it (the secret's finding says so).
pub(super) fn device_key(dir: &Path, s: &Strings) -> Option<Finding> {
    use crate::sync::{CredentialError, DeviceKey};
    let secret = crate::secret::KioskSecret::in_dir(&crate::secret::dir()).ok()?;
    let tpm = crate::sync::tpm::configured();
    match DeviceKey::load_sealed(dir, &secret) {
        Ok(None) => None,
        Ok(Some(DeviceKey::Tpm(key))) => {
            Some(Finding::ok("key", fill!(s.dr_key_tpm, tpm = key.tcti())))
        }
        Ok(Some(DeviceKey::File(_))) => Some(match tpm {
            Some(tcti) => Finding::warn(
                "key",
                fill!(s.dr_key_file_tpm_here, tcti = tcti),
                s.dr_key_file_tpm_here_fix.to_owned(),
            ),
            None => Finding::ok("key", s.dr_key_file.to_owned()),
        }),
        Err(CredentialError::Tpm(why)) => Some(Finding::fail(
            "key",
            fill!(s.dr_key_tpm_fails, why = why),
            fill!(
                s.dr_key_tpm_fails_fix,
                device = crate::sync::tpm::DEVICE,
                variable = crate::sync::tpm::ENV
            ),
        )),
        Err(_) => None,
    }
}

/// Under this much free space the kiosk warns, under the second it cannot serve: a day's
/// photos are a few hundred megabytes.
pub const DISK_WARN_BYTES: u64 = 2 * 1024 * 1024 * 1024;
pub const DISK_FAIL_BYTES: u64 = 512 * 1024 * 1024;

pub(super) fn disk(dir: &Path, s: &Strings) -> Finding {
    let at = if dir.exists() {
        dir
    } else {
        dir.parent().unwrap_or(Path::new("/"))
    };
    match rustix::fs::statvfs(at) {
        Ok(st) => disk_finding(
            st.f_bavail.saturating_mul(st.f_frsize),
            st.f_blocks.saturating_mul(st.f_frsize),
            s,
        ),
        Err(e) => Finding::warn(
            "disk",
            fill!(s.dr_disk_unknown, why = e),
            s.dr_disk_fix.to_owned(),
        ),
    }
}

/// The disk finding for `free` of `total` bytes.
pub fn disk_finding(free: u64, total: u64, s: &Strings) -> Finding {
    let text = |t| fill!(t, free = mb(free), total = mb(total));
    if free < DISK_FAIL_BYTES {
        Finding::fail("disk", text(s.dr_disk_low), s.dr_disk_fix.to_owned())
    } else if free < DISK_WARN_BYTES {
        Finding::warn("disk", text(s.dr_disk_low), s.dr_disk_fix.to_owned())
    } else {
        Finding::ok("disk", text(s.dr_disk_ok))
    }
}

/// The scanner's port exists and opens for this user; a keyboard-mode scanner read directly
/// (`hid`) is plugged in and readable.
pub(super) fn scanner(config: &crate::devices::serial::SerialConfig, s: &Strings) -> Finding {
    if !config.is_configured() && config.hid_configured() {
        let shown = format!("HID {}", config.hid);
        let found = crate::devices::serial::parse_usb(&config.hid)
            .and_then(|(v, p)| crate::devices::hid::locate(v, p));
        return match found {
            Some(path) => Finding::ok("scanner", fill!(s.dr_scan_ok, device = path)),
            None => Finding::fail(
                "scanner",
                fill!(s.dr_scan_bad, device = shown, why = s.dr_not_found),
                s.dr_scan_hid_fix.to_owned(),
            ),
        };
    }
    if !config.is_configured() {
        return Finding::warn(
            "scanner",
            s.dr_scan_none.to_owned(),
            s.dr_scan_none_fix.to_owned(),
        );
    }
    let shown = if config.port.is_empty() {
        format!("USB {}", config.usb)
    } else {
        config.port.clone()
    };
    if !config.port.is_empty() && !Path::new(&config.port).exists() {
        return Finding::fail(
            "scanner",
            fill!(s.dr_scan_bad, device = shown, why = s.dr_not_found),
            s.dr_scan_fix.to_owned(),
        );
    }
    match config
        .resolve()
        .and_then(|path| config.open(&path).map(|_| path))
    {
        Ok(path) => Finding::ok("scanner", fill!(s.dr_scan_ok, device = path)),
        // The running terminal holds the port (opened exclusively): it is there and in use.
        Err(e) if is_busy(&e) => Finding::ok("scanner", fill!(s.dr_scan_busy, device = shown)),
        Err(e) => Finding::fail(
            "scanner",
            fill!(s.dr_scan_bad, device = shown, why = e),
            s.dr_scan_fix.to_owned(),
        ),
    }
}

/// The queue-ticket printer's device exists and opens for writing (nothing is printed).
pub(super) fn printer(config: &crate::devices::printer::PrinterConfig, s: &Strings) -> Finding {
    use std::os::unix::fs::OpenOptionsExt;
    if !config.is_configured() {
        return Finding::ok("printer", s.dr_printer_none.to_owned());
    }
    let port = config.port.trim();
    let opened = std::fs::OpenOptions::new()
        .write(true)
        // A serial port must not wait for its carrier line here.
        .custom_flags(0o4000)
        .open(port);
    match opened {
        Ok(_) => Finding::ok("printer", fill!(s.dr_printer_ok, port = port)),
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                s.dr_not_found.to_owned()
            } else {
                e.to_string()
            };
            Finding::fail(
                "printer",
                fill!(s.dr_printer_bad, port = port, why = why),
                s.dr_printer_fix.to_owned(),
            )
        }
    }
}

/// How long the camera may take to give its first frame.
const CAMERA_WAIT: Duration = Duration::from_secs(8);

/// The camera opens and gives a frame (on a thread: a hung driver must not hang doctor).
pub(super) fn camera(config: &crate::devices::camera::CameraConfig, s: &Strings) -> Finding {
    use crate::devices::camera::{FrameSource, Nokhwa};
    if !config.is_configured() {
        return Finding::warn(
            "camera",
            s.dr_cam_none.to_owned(),
            s.dr_cam_none_fix.to_owned(),
        );
    }
    let device = config.device.trim().to_owned();
    if device.starts_with('/') && !Path::new(&device).exists() {
        return Finding::fail(
            "camera",
            fill!(s.dr_cam_bad, device = device, why = s.dr_not_found),
            s.dr_cam_fix.to_owned(),
        );
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = config.clone();
    let _ = std::thread::Builder::new()
        .name("doctor-camera".into())
        .spawn(move || {
            let frame = Nokhwa::open(&wanted).and_then(|(_, mut camera)| camera.frame());
            let _ = tx.send(frame.map(|f| (f.width(), f.height())));
        });
    let bad = |why: String| {
        Finding::fail(
            "camera",
            fill!(s.dr_cam_bad, device = device, why = why),
            s.dr_cam_fix.to_owned(),
        )
    };
    match rx.recv_timeout(CAMERA_WAIT) {
        Ok(Ok((w, h))) => Finding::ok(
            "camera",
            fill!(s.dr_cam_ok, device = device, width = w, height = h),
        ),
        Ok(Err(e)) if is_busy(&e) => Finding::ok("camera", fill!(s.dr_cam_busy, device = device)),
        Ok(Err(e)) => bad(e),
        Err(_) => bad(format!("> {} s", CAMERA_WAIT.as_secs())),
    }
}

/// Clock skew against pusat: a warning from this far, a failure from the second.
pub const SKEW_WARN: TimeDelta = TimeDelta::seconds(30);
pub const SKEW_FAIL: TimeDelta = TimeDelta::seconds(120);

pub fn clock_finding(skew: Option<TimeDelta>, s: &Strings) -> Finding {
    let Some(skew) = skew else {
        return Finding::warn(
            "clock",
            s.dr_clock_unknown.to_owned(),
            s.dr_pusat_down_fix.to_owned(),
        );
    };
    let off = skew.abs();
    let seconds = (off.num_milliseconds() + 500) / 1000;
    if off >= SKEW_FAIL {
        Finding::fail(
            "clock",
            fill!(s.dr_clock_off, seconds = seconds),
            s.dr_clock_fix.to_owned(),
        )
    } else if off >= SKEW_WARN {
        Finding::warn(
            "clock",
            fill!(s.dr_clock_off, seconds = seconds),
            s.dr_clock_fix.to_owned(),
        )
    } else {
        Finding::ok("clock", fill!(s.dr_clock_ok, seconds = seconds))
    }
}

/// Asks pusat once (the findings are then written in each language from the answer).
pub(super) fn probe(dir: &Path, credential: &Credential) -> Result<crate::sync::Probe, SyncError> {
    crate::sync::Client::for_counter(credential, dir).and_then(|client| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SyncError::Store(e.to_string()))?;
        Ok(runtime.block_on(client.probe()))
    })
}

/// pusat: reachable, its certificate valid for its name, our protocol accepted, this kiosk
/// known and not revoked, and the clocks close.
pub(super) fn pusat(
    credential: &Credential,
    probe: &Result<crate::sync::Probe, SyncError>,
    s: &Strings,
    out: &mut Vec<Finding>,
) {
    let server = credential.server.clone();
    let probe = match probe {
        Ok(p) => p,
        Err(e) => {
            out.push(pusat_error(&server, e, s));
            return;
        }
    };
    let skew = probe.skew(Utc::now());
    match &probe.answer {
        Ok(info) => {
            if info.office != credential.office.code || info.counter != credential.counter {
                out.push(Finding::fail(
                    "pusat",
                    fill!(
                        s.dr_pusat_other,
                        office = info.office,
                        counter = info.counter,
                        our_office = credential.office.code,
                        our_counter = credential.counter
                    ),
                    s.dr_cred_reenroll_fix.to_owned(),
                ));
            } else {
                out.push(Finding::ok(
                    "pusat",
                    fill!(
                        s.dr_pusat_ok,
                        server = server,
                        protocol = crate::protocol::VERSION,
                        ms = probe.round_trip.num_milliseconds()
                    ),
                ));
            }
        }
        Err(e) => out.push(pusat_error(&server, e, s)),
    }
    out.push(clock_finding(skew, s));
}

fn pusat_error(server: &str, e: &SyncError, s: &Strings) -> Finding {
    let reenroll = || s.dr_cred_reenroll_fix.to_owned();
    match e {
        SyncError::Offline(why) | SyncError::Unavailable(why) => Finding::warn(
            "pusat",
            fill!(s.dr_pusat_down, server = server, why = why),
            s.dr_pusat_down_fix.to_owned(),
        ),
        SyncError::Certificate(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_cert, server = server, why = why),
            s.dr_pusat_cert_fix.to_owned(),
        ),
        SyncError::Protocol(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_protocol, why = why),
            s.dr_pusat_protocol_fix.to_owned(),
        ),
        SyncError::Revoked => Finding::fail("pusat", s.dr_cred_revoked.to_owned(), reenroll()),
        SyncError::Expired | SyncError::Unauthorized | SyncError::EnrollCode => {
            Finding::fail("pusat", fill!(s.dr_pusat_refused, why = e), reenroll())
        }
        SyncError::Nonsense(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_nonsense, why = why),
            s.dr_pusat_nonsense_fix.to_owned(),
        ),
        other => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_refused, why = other),
            s.dr_pusat_down_fix.to_owned(),
        ),
    }
}

/// A backup older than this was missed (the timer runs nightly).
const BACKUP_WARN_HOURS: i64 = 48;

pub(super) fn backup(dir: &Path, now: DateTime<Utc>, s: &Strings) -> Finding {
    let found = health::backups(&health::backup_dir(dir));
    let Some(last) = found.first() else {
        return Finding::warn(
            "backup",
            s.dr_backup_none.to_owned(),
            s.dr_backup_fix.to_owned(),
        );
    };
    let hours = (now - last.at).num_hours();
    let when = last.at.format("%Y-%m-%d %H:%M UTC");
    if hours >= BACKUP_WARN_HOURS {
        Finding::warn(
            "backup",
            fill!(s.dr_backup_old, hours = hours, when = when),
            s.dr_backup_fix.to_owned(),
        )
    } else {
        Finding::ok(
            "backup",
            fill!(s.dr_backup_ok, when = when, photos = last.photos),
        )
    }
}

/// loket.service under systemd, with its watchdog.
pub(super) fn service(s: &Strings) -> Finding {
    let shown = std::process::Command::new("systemctl")
        .args([
            "show",
            "loket.service",
            "--property=ActiveState,SubState,WatchdogUSec,LoadState",
        ])
        .output();
    let output = match shown {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let why = stderr.lines().next().unwrap_or("").trim().to_owned();
            return Finding::warn(
                "service",
                fill!(s.dr_unit_none, why = why),
                s.dr_unit_none_fix.to_owned(),
            );
        }
        Err(e) => {
            return Finding::warn(
                "service",
                fill!(s.dr_unit_none, why = e),
                s.dr_unit_none_fix.to_owned(),
            );
        }
    };
    let get = |key: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or("")
            .to_owned()
    };
    if get("LoadState") == "not-found" {
        return Finding::warn(
            "service",
            fill!(s.dr_unit_none, why = "loket.service not-found"),
            s.dr_unit_none_fix.to_owned(),
        );
    }
    let active = get("ActiveState");
    if active == "active" {
        Finding::ok(
            "service",
            fill!(s.dr_unit_ok, watchdog = get("WatchdogUSec")),
        )
    } else {
        Finding::warn(
            "service",
            fill!(
                s.dr_unit_down,
                state = format!("{active}/{}", get("SubState"))
            ),
            s.dr_unit_down_fix.to_owned(),
        )
    }
}

/// A device error that means another program (the running terminal) holds it.
fn is_busy(error: &str) -> bool {
    let e = error.to_lowercase();
    e.contains("busy") || e.contains("ebusy")
}
