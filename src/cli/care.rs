//! The technician's care of a kiosk: `loket doctor`, `loket backup`, `loket restore`.

use super::*;
use crate::store::health;

pub(super) fn doctor(
    dir: &Path,
    json: bool,
    lang: Option<&str>,
    camera: bool,
) -> Result<u8, CliError> {
    let lang = crate::doctor::language(dir, lang);
    let report = crate::doctor::examine(&crate::doctor::Options {
        data_dir: dir.to_path_buf(),
        lang,
        camera,
        service: true,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render(lang));
    }
    Ok(report.exit)
}

/// `loket purge`: the retention purge, now, or only counted with `dry_run`.
pub(super) fn purge(
    mut o: Opened,
    before: Option<NaiveDate>,
    dry_run: bool,
) -> Result<(), CliError> {
    let now = o.office.zone.local(SystemClock.now());
    let days = o.store.retention_days();
    let before =
        before.unwrap_or_else(|| day_or_today(&o, None) - chrono::Days::new(u64::from(days)));
    let actor = crate::store::Actor {
        key: None,
        username: "loket purge".into(),
        now,
    };
    let purged = if dry_run {
        o.store.purge_dry_run(&actor, before)
    } else {
        o.store.purge(&actor, before)
    }
    .map_err(store_err(&o.dir))?;
    let (id, en) = if dry_run {
        ("akan dihapus", "would go")
    } else {
        ("dihapus", "removed")
    };
    println!(
        "Sebelum {before} (retensi kantor {days} hari), {id} / before {before} (office retention {days} days), {en}: {} kasus / cases, {} booking / bookings, {} isi peristiwa / event payloads",
        purged.cases, purged.bookings, purged.events
    );
    println!(
        "Yang belum ada di pusat tidak pernah dihapus; jejak audit tetap / nothing pusat lacks is ever removed; the audit trail stays"
    );
    Ok(())
}

pub(super) fn backup(dir: &Path, to: Option<&Path>, list: bool) -> Result<(), CliError> {
    let into = to.map_or_else(|| health::backup_dir(dir), Path::to_path_buf);
    if list {
        let found = health::backups(&into);
        if found.is_empty() {
            println!("Belum ada cadangan di {} / no backups yet", into.display());
        }
        for b in found {
            println!(
                "{}\t{}\t{} foto / photos",
                b.at.format("%Y-%m-%d %H:%M:%S UTC"),
                b.dir.display(),
                b.photos
            );
        }
        return Ok(());
    }
    let done = health::backup(dir, &into, chrono::Utc::now())
        .map_err(|e| CliError::Backup(e.to_string()))?;
    println!(
        "Cadangan diperiksa dan tersimpan / backup verified and written: {} ({} peristiwa / events, {} foto / photos)",
        done.dir.display(),
        done.events,
        done.photos
    );
    Ok(())
}

pub(super) fn restore(dir: &Path, from: Option<&Path>, latest: bool) -> Result<(), CliError> {
    let from = match (from, latest) {
        (Some(from), _) => from.to_path_buf(),
        (None, _) => health::backups(&health::backup_dir(dir))
            .into_iter()
            .next()
            .map(|b| b.dir)
            .ok_or_else(|| {
                CliError::Backup(format!(
                    "tidak ada cadangan di {} / no backup found",
                    health::backup_dir(dir).display()
                ))
            })?,
    };
    // Held through the restore: a terminal starting meanwhile is refused.
    let _lock = lock(dir)?;
    let done = health::restore(dir, &from, chrono::Utc::now())
        .map_err(|e| CliError::Backup(e.to_string()))?;
    println!(
        "Dipulihkan dari / restored from {} ({} peristiwa / events, {} foto / photos)",
        from.display(),
        done.events,
        done.photos
    );
    if let Some(kept) = done.kept {
        println!(
            "Basis data sebelumnya disimpan di / the previous database is kept at {}",
            kept.display()
        );
    }
    println!(
        "Jalankan `loket doctor`, lalu `loket sync --once`: yang sudah di pusat ditarik lagi / run `loket doctor`, then `loket sync --once`"
    );
    Ok(())
}
