//! `pusat doctor`: the server's side of a technician's check. The database reachable and its
//! schema current, the TLS files readable with a certificate not about to expire, free disk,
//! counters silent for over a day, events waiting for a person, supervisors whose PIN
//! predates the 10-digit rule. It looks and changes
//! nothing: no migration runs. Messages are in Bahasa Indonesia, then English.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::checkup::{Finding, Report};

pub struct Options {
    pub database_url: String,
    pub db_ca_file: Option<PathBuf>,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where pusat keeps its files (for the free-disk check).
    pub state_dir: PathBuf,
}

/// A certificate with fewer days left than this is a warning.
pub const CERT_WARN_DAYS: i64 = 30;
/// A counter not heard from for this long is named.
pub const SILENT_HOURS: i64 = 24;
const DISK_WARN_BYTES: u64 = 5 * 1024 * 1024 * 1024;
const DISK_FAIL_BYTES: u64 = 1024 * 1024 * 1024;

pub async fn examine(o: &Options) -> Report {
    let now = Utc::now();
    let mut findings = Vec::new();
    match super::db::connect_only(&o.database_url, o.db_ca_file.as_deref()).await {
        Ok(client) => {
            findings.push(Finding::ok(
                "database",
                "PostgreSQL terjangkau / reachable".into(),
            ));
            findings.push(migrations(&client).await);
            findings.extend(devices(&client, now).await);
            findings.push(problems(&client).await);
            findings.push(supervisor_pins(&client).await);
        }
        Err(e) => findings.push(Finding::fail(
            "database",
            format!("PostgreSQL tidak terjangkau / cannot be reached: {e}"),
            "Cek DATABASE_URL di /etc/pusat/pusat.env dan `systemctl status postgresql` / check DATABASE_URL and PostgreSQL".into(),
        )),
    }
    findings.push(match &o.tls {
        Some((cert, key)) => tls(cert, key, now).await,
        None => Finding::ok(
            "tls",
            "TLS tidak diatur di pusat (hanya loopback, di balik proxy TLS) / no TLS here: loopback only, behind a TLS proxy".into(),
        ),
    });
    findings.push(disk(&o.state_dir));
    Report::new("pusat".into(), now, findings)
}

async fn migrations(client: &tokio_postgres::Client) -> Finding {
    let latest = super::db::latest_migration();
    match super::db::applied_migration(client).await {
        Ok(applied) if applied == latest => Finding::ok(
            "migrations",
            format!("Skema basis data terbaru (migrasi {applied}) / schema current"),
        ),
        Ok(applied) if applied < latest => Finding::warn(
            "migrations",
            format!("Skema basis data di migrasi {applied}, program ini membawa {latest} / schema behind"),
            "`systemctl restart pusat` menjalankan migrasi saat mulai (cadangkan PostgreSQL dulu) / a restart migrates (back up first)".into(),
        ),
        Ok(applied) => Finding::fail(
            "migrations",
            format!("Basis data di migrasi {applied}, lebih baru dari program ini ({latest}) / the database is newer than this program"),
            "Perbarui paket pusat (`apt install --only-upgrade pusat`) / update pusat".into(),
        ),
        Err(e) => Finding::fail(
            "migrations",
            format!("Riwayat migrasi tidak terbaca / migration history unreadable: {e}"),
            "Cek hak pengguna basis data / check the database user's rights".into(),
        ),
    }
}

/// Counters enrolled and not revoked that pusat has not heard from for a day.
async fn devices(client: &tokio_postgres::Client, now: DateTime<Utc>) -> Vec<Finding> {
    let Ok(list) = super::admin::device_list(client).await else {
        return vec![Finding::fail(
            "devices",
            "Daftar perangkat tidak terbaca / the device list cannot be read".into(),
            "Cek skema basis data / check the schema".into(),
        )];
    };
    let active: Vec<_> = list
        .iter()
        .filter(|d| d.revoked_at.is_none() && d.expires_at > now)
        .collect();
    let silent: Vec<String> = active
        .iter()
        .filter(|d| (now - d.last_seen.unwrap_or(d.enrolled_at)).num_hours() >= SILENT_HOURS)
        .map(|d| {
            let seen = d.last_seen.map_or_else(
                || "belum pernah / never".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            format!("{} loket {} ({seen})", d.office, d.counter)
        })
        .collect();
    if silent.is_empty() {
        vec![Finding::ok(
            "devices",
            format!(
                "{} loket aktif, semua terdengar dalam {SILENT_HOURS} jam / active counters all heard from",
                active.len()
            ),
        )]
    } else {
        vec![Finding::warn(
            "devices",
            format!(
                "{} loket tidak terdengar lebih dari {SILENT_HOURS} jam / silent for over a day: {}",
                silent.len(),
                silent.join(", ")
            ),
            "Jalankan `loket doctor` di kios itu; kios yang tidak dipakai lagi dicabut dengan `pusat device revoke ID` / run doctor on that kiosk, revoke kiosks no longer used".into(),
        )]
    }
}

async fn problems(client: &tokio_postgres::Client) -> Finding {
    match super::admin::problems(client, None).await {
        Ok(list) if list.is_empty() => Finding::ok(
            "problems",
            "Tidak ada peristiwa yang menunggu orang / nothing waits for a person".into(),
        ),
        Ok(list) => Finding::warn(
            "problems",
            format!(
                "{} peristiwa ditolak atau kasus tak terlipat menunggu orang / need a person",
                list.len()
            ),
            "Lihat `pusat problems` / see `pusat problems`".into(),
        ),
        Err(e) => Finding::warn(
            "problems",
            format!("Masalah tidak terbaca / problems unreadable: {e}"),
            "Cek skema basis data / check the schema".into(),
        ),
    }
}

/// Supervisors whose PIN predates the 10-digit rule: a stolen kiosk's search finds such a
/// PIN in hours, and with it their approvals.
async fn supervisor_pins(client: &tokio_postgres::Client) -> Finding {
    match super::repo::officers::supervisors_with_old_pins(client).await {
        Ok(old) if old.is_empty() => Finding::ok(
            "supervisor_pins",
            "PIN setiap supervisor memenuhi aturan 10 digit / every supervisor's PIN meets the 10-digit rule".into(),
        ),
        Ok(old) => Finding::warn(
            "supervisor_pins",
            format!(
                "{} supervisor dengan PIN dari sebelum aturan 10 digit: {} / supervisors with a PIN from before the 10-digit rule",
                old.len(),
                old.join(", ")
            ),
            "Beri PIN baru 10 digit atau lebih: `pusat officer add` / give each a new PIN of 10 digits or more".into(),
        ),
        Err(e) => Finding::warn(
            "supervisor_pins",
            format!("PIN supervisor tidak terbaca / unreadable: {e}"),
            "Cek skema basis data / check the schema".into(),
        ),
    }
}

async fn tls(cert: &Path, key: &Path, now: DateTime<Utc>) -> Finding {
    let fix = "Pasang sertifikat dan kunci yang sah, dapat dibaca pengguna pusat (PUSAT_TLS_CERT, PUSAT_TLS_KEY) / install a valid certificate and key readable by pusat";
    let pem = match std::fs::read(cert) {
        Ok(pem) => pem,
        Err(e) => {
            return Finding::fail("tls", format!("{}: {e}", cert.display()), fix.into());
        }
    };
    if let Err(e) = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await {
        return Finding::fail(
            "tls",
            format!("Sertifikat atau kunci tidak dapat dipakai / cannot be used: {e}"),
            fix.into(),
        );
    }
    let not_after = {
        use x509_cert::der::DecodePem;
        x509_cert::Certificate::from_pem(&pem)
            .map(|c| DateTime::<Utc>::from(c.tbs_certificate.validity.not_after.to_system_time()))
    };
    let Ok(not_after) = not_after else {
        return Finding::fail(
            "tls",
            format!(
                "{} bukan sertifikat PEM / not a PEM certificate",
                cert.display()
            ),
            fix.into(),
        );
    };
    let days = (not_after - now).num_days();
    let when = not_after.format("%Y-%m-%d");
    let renew = "Perbarui sertifikat sebelum habis; kios menolak pusat dengan sertifikat kedaluwarsa / renew it: kiosks refuse an expired certificate";
    if not_after <= now {
        Finding::fail(
            "tls",
            format!("Sertifikat kedaluwarsa sejak {when} / expired"),
            renew.into(),
        )
    } else if days < CERT_WARN_DAYS {
        Finding::warn(
            "tls",
            format!("Sertifikat habis {when}, {days} hari lagi / expires in {days} days"),
            renew.into(),
        )
    } else {
        Finding::ok(
            "tls",
            format!("Sertifikat berlaku sampai {when} ({days} hari) / valid for {days} days"),
        )
    }
}

fn disk(dir: &Path) -> Finding {
    let at = if dir.exists() { dir } else { Path::new("/") };
    match rustix::fs::statvfs(at) {
        Ok(st) => {
            let free = st.f_bavail.saturating_mul(st.f_frsize);
            let mb = free / (1024 * 1024);
            let text = format!("Ruang disk di {}: {mb} MB bebas / free", at.display());
            let fix = "Kosongkan ruang atau perbesar disk (PostgreSQL dan lognya tumbuh setiap hari) / free space or enlarge the disk";
            if free < DISK_FAIL_BYTES {
                Finding::fail("disk", text, fix.into())
            } else if free < DISK_WARN_BYTES {
                Finding::warn("disk", text, fix.into())
            } else {
                Finding::ok("disk", text)
            }
        }
        Err(e) => Finding::warn(
            "disk",
            format!("Ruang disk tidak terbaca / unreadable: {e}"),
            "Cek folder pusat / check pusat's folder".into(),
        ),
    }
}
