//! The data: the database's soundness, the sync backlog and retention, the disk, the
//! backups.

use super::*;

/// The database: present, SQLite's checks, the outbox's sequence, cases against their
/// events, the schema, the WAL and what waits to sync.
pub(in crate::doctor) fn database(
    dir: &Path,
    now: DateTime<Utc>,
    s: &Strings,
    out: &mut Vec<Finding>,
) {
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

/// A WAL this large means checkpoints are not keeping up.
const WAL_WARN_BYTES: u64 = 64 * 1024 * 1024;

/// Events older than this still waiting for pusat: sync is held up.
const BACKLOG_WARN_HOURS: i64 = 2;

/// Under this much free space the kiosk warns, under the second it cannot serve: a day's
/// photos are a few hundred megabytes.
pub const DISK_WARN_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub const DISK_FAIL_BYTES: u64 = 512 * 1024 * 1024;

pub(in crate::doctor) fn disk(dir: &Path, s: &Strings) -> Finding {
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

/// A backup older than this was missed (the timer runs nightly).
const BACKUP_WARN_HOURS: i64 = 48;

pub(in crate::doctor) fn backup(dir: &Path, now: DateTime<Utc>, s: &Strings) -> Finding {
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
