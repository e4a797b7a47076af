//! The kiosk as installed: its configuration, the data folder's permissions, the kiosk
//! secret and the device key.

use super::*;

/// The configuration parses and every value is in range.
pub(in crate::doctor) fn config(dir: &Path, s: &Strings, out: &mut Vec<Finding>) -> Option<Config> {
    let files: Vec<String> = Config::files(dir)
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    let shown = if files.is_empty() {
        s.dr_config_builtin.to_owned()
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

/// The data folder is the service user's alone: 0700, the database 0600, owned by whoever
/// runs Loket (the `loket` user on a kiosk).
pub(in crate::doctor) fn permissions(dir: &Path, s: &Strings, out: &mut Vec<Finding>) {
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
pub(in crate::doctor) fn secret(dir: &Path, s: &Strings) -> Finding {
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
pub(in crate::doctor) fn device_key(dir: &Path, s: &Strings) -> Option<Finding> {
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
