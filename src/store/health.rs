//! What a technician needs to know of a counter's database without changing it: SQLite's
//! own integrity checks, the outbox's gapless sequence, every case against the replay of its
//! events, the WAL's size and the oldest event still waiting. And the nightly backup: an
//! online copy through SQLite's backup API (officers keep working while it runs), the photos
//! not yet uploaded beside it, verified by opening the copy, the last seven kept.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::{Result, StoreError};
use crate::domain::Case;
use crate::domain::case::Action;
use crate::secret::KioskSecret;

/// The database of a counter, as [`inspect`] found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// `PRAGMA integrity_check`'s complaints (empty when it said "ok").
    pub integrity: Vec<String>,
    /// Rows whose foreign key points at nothing.
    pub foreign_key_faults: u64,
    /// Sequence numbers missing from the outbox, as (after, before) pairs.
    pub outbox_gaps: Vec<(i64, i64)>,
    /// Cases whose stored state differs from the replay of their events (or cannot be
    /// replayed).
    pub mismatched_cases: Vec<Uuid>,
    pub cases: u64,
    pub events: u64,
    pub pending_events: u64,
    /// Device time of the oldest event not yet confirmed by pusat.
    pub oldest_pending: Option<DateTime<FixedOffset>>,
    pub pending_photos: u64,
    /// The schema is older than this program's (it is brought up to date on the next start).
    pub schema_behind: bool,
    /// The days the office keeps closed cases and past bookings.
    pub retention_days: u32,
    /// The day the last retention purge ran (`None`: never).
    pub purged_on: Option<chrono::NaiveDate>,
}

impl Health {
    pub fn is_sound(&self) -> bool {
        self.integrity.is_empty()
            && self.foreign_key_faults == 0
            && self.outbox_gaps.is_empty()
            && self.mismatched_cases.is_empty()
    }
}

/// Opens `path` read-only: a missing file is not created, nothing is migrated or written.
/// Keyed with this kiosk's secret (see [`super::cipher`]).
pub fn open_read_only(path: &Path) -> Result<Connection> {
    let conn = super::cipher::open_read_only(path, &KioskSecret::kiosk()?)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Reads the database at `path` and checks it, changing nothing.
pub fn inspect(path: &Path) -> Result<Health> {
    let conn = open_read_only(path)?;
    inspect_conn(&conn)
}

fn inspect_conn(conn: &Connection) -> Result<Health> {
    let mut health = Health::default();
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let said: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if said != ["ok"] {
        health.integrity = said;
        // The rest reads tables SQLite just called damaged: stop here.
        return Ok(health);
    }
    health.foreign_key_faults = conn
        .prepare("PRAGMA foreign_key_check")?
        .query_map([], |_| Ok(()))?
        .count() as u64;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = i64::try_from(MIGRATION_COUNT).unwrap_or(i64::MAX);
    health.schema_behind = version < latest;
    if version == 0 {
        // A new, empty file: nothing else to read.
        return Ok(health);
    }
    let mut gaps = conn.prepare(
        "SELECT seq, next FROM (SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS next FROM outbox)
         WHERE next IS NOT NULL AND next != seq + 1",
    )?;
    health.outbox_gaps = gaps
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let first: Option<i64> = conn.query_row("SELECT MIN(seq) FROM outbox", [], |r| r.get(0))?;
    if let Some(first) = first.filter(|f| *f > 1) {
        health.outbox_gaps.insert(0, (0, first));
    }
    health.events = count(conn, "SELECT COUNT(*) FROM outbox")?;
    health.pending_events = count(conn, "SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL")?;
    health.oldest_pending = conn
        .query_row(
            "SELECT device_time FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
    health.pending_photos = count(
        conn,
        "SELECT COUNT(*) FROM photos WHERE uploaded_at IS NULL",
    )?;
    health.cases = count(conn, "SELECT COUNT(*) FROM cases")?;
    let config: Option<String> = conn
        .query_row("SELECT config FROM offices LIMIT 1", [], |r| r.get(0))
        .optional()?;
    health.retention_days = super::retention::retention_of(config.as_deref());
    // An older schema has no such column yet: never purged, as far as this file says.
    health.purged_on = conn
        .query_row("SELECT purged_on FROM sync_state WHERE id = 1", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .ok()
        .flatten()
        .and_then(|d| d.parse().ok());
    health.mismatched_cases = mismatched_cases(conn)?;
    Ok(health)
}

const MIGRATION_COUNT: usize = super::MIGRATION_LIST.len();

fn count(conn: &Connection, sql: &str) -> Result<u64> {
    Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
}

/// Every case whose stored state is not what its events replay to.
fn mismatched_cases(conn: &Connection) -> Result<Vec<Uuid>> {
    let mut cases = conn.prepare("SELECT id, state FROM cases ORDER BY id")?;
    let mut events = conn.prepare(
        "SELECT payload FROM outbox WHERE case_id = ?1 AND kind LIKE 'case.%' ORDER BY seq",
    )?;
    let mut wrong = Vec::new();
    let rows: Vec<(String, String)> = cases
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, state) in rows {
        let payloads: Vec<String> = events
            .query_map([&id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let actions: std::result::Result<Vec<Action>, _> = payloads
            .iter()
            .map(|p| serde_json::from_str::<Action>(p))
            .collect();
        let stored = serde_json::from_str::<Case>(&state).ok();
        let replayed = actions.ok().and_then(|a| Case::replay(a.iter()).ok());
        if stored.is_none() || stored != replayed {
            wrong.push(Uuid::parse_str(&id).unwrap_or_default());
        }
    }
    Ok(wrong)
}

/// The folder nightly backups go to, inside the data folder.
pub fn backup_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// Backups kept: a week of nightly ones.
pub const KEEP_BACKUPS: usize = 7;

/// One backup, as [`backup`] wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The backup's folder: `loket.db` and `photos/` (those not yet uploaded).
    pub dir: PathBuf,
    pub events: u64,
    pub photos: u64,
    pub at: DateTime<Utc>,
}

const BACKUP_PREFIX: &str = "loket-";
const BACKUP_STAMP: &str = "%Y%m%dT%H%M%SZ";

/// Copies the database (online, while others write) and the photos not yet uploaded into a
/// new folder under `into`, checks the copy, and keeps only the newest [`KEEP_BACKUPS`].
pub fn backup(data_dir: &Path, into: &Path, now: DateTime<Utc>) -> Result<Backup> {
    let db = data_dir.join("loket.db");
    if !db.exists() {
        return Err(StoreError::Io(format!("{} does not exist", db.display())));
    }
    let source = open_read_only(&db)?;
    let name = format!("{BACKUP_PREFIX}{}", now.format(BACKUP_STAMP));
    let dir = into.join(&name);
    let partial = into.join(format!(".{name}.partial"));
    // What a backup killed halfway left (never counted as a backup: only renamed folders are).
    if let Ok(entries) = std::fs::read_dir(into) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&format!(".{BACKUP_PREFIX}")) && n.ends_with(".partial") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    std::fs::create_dir_all(&partial).map_err(io)?;
    private_dir(into)?;
    private_dir(&partial)?;
    let copy_path = partial.join("loket.db");
    // The copy is encrypted as the database is, with the same key: it opens only where
    // this kiosk's secret is (carry the secret with a backup moved to another machine).
    let secret = KioskSecret::kiosk()?;
    // One consistent snapshot (WAL lets writers go on meanwhile).
    super::cipher::copy_into(&source, &db, &copy_path, &secret)?;
    // The copy stands alone: one file, no WAL beside it.
    {
        let copy = super::cipher::open(&copy_path, &secret)?;
        copy.pragma_update(None, "journal_mode", "DELETE")?;
    }
    let pending: Vec<String> = {
        let conn = open_read_only(&copy_path)?;
        let mut stmt = conn.prepare("SELECT sha256 FROM photos WHERE uploaded_at IS NULL")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut photos = 0;
    for sha in &pending {
        let files = super::photo_files(data_dir, sha);
        for from in &files {
            let to = partial
                .join("photos")
                .join(from.file_name().unwrap_or_default());
            std::fs::create_dir_all(partial.join("photos")).map_err(io)?;
            std::fs::copy(from, &to).map_err(io)?;
        }
        if !files.is_empty() {
            photos += 1;
        }
    }
    let health = inspect(&copy_path)?;
    if !health.integrity.is_empty() {
        return Err(StoreError::Corrupt);
    }
    sync_tree(&partial)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir).map_err(io)?;
    sync_dir(into)?;
    rotate(into, KEEP_BACKUPS)?;
    Ok(Backup {
        dir,
        events: health.events,
        photos,
        at: now,
    })
}

/// The backups in `into`, newest first.
pub fn backups(into: &Path) -> Vec<Backup> {
    let Ok(entries) = std::fs::read_dir(into) else {
        return Vec::new();
    };
    let mut found: Vec<Backup> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix(BACKUP_PREFIX)?;
            let at = chrono::NaiveDateTime::parse_from_str(stamp, BACKUP_STAMP).ok()?;
            let dir = e.path();
            dir.join("loket.db").exists().then(|| Backup {
                photos: std::fs::read_dir(dir.join("photos"))
                    .map(|d| d.count() as u64)
                    .unwrap_or(0),
                dir,
                events: 0,
                at: at.and_utc(),
            })
        })
        .collect();
    found.sort_by_key(|b| std::cmp::Reverse(b.at));
    found
}

fn rotate(into: &Path, keep: usize) -> Result<()> {
    for old in backups(into).into_iter().skip(keep) {
        std::fs::remove_dir_all(&old.dir).map_err(io)?;
    }
    Ok(())
}

/// Puts a backup (its folder, or its `loket.db`) back as the data folder's database. The
/// current database is kept beside it as `loket.db.before-restore-<time>`, never deleted.
/// The caller makes sure no terminal runs (see [`super::DataLock`]).
pub fn restore(data_dir: &Path, from: &Path, now: DateTime<Utc>) -> Result<RestoreOutcome> {
    let (db, photos) = if from.is_dir() {
        (from.join("loket.db"), Some(from.join("photos")))
    } else {
        (from.to_path_buf(), None)
    };
    let health = inspect(&db)?;
    if !health.integrity.is_empty() {
        return Err(StoreError::Corrupt);
    }
    let target = data_dir.join("loket.db");
    let staged = data_dir.join("loket.db.restoring");
    {
        // A backup from before encryption is restored encrypted.
        let source = open_read_only(&db)?;
        super::cipher::copy_into(&source, &db, &staged, &KioskSecret::kiosk()?)?;
    }
    // A kill at any point leaves a database in place: the current one is folded into one
    // file and linked to its kept name first, its WAL moved aside with it, and the restored
    // copy then takes its place in one rename.
    let kept = if target.exists() {
        let kept = data_dir.join(format!(
            "loket.db.before-restore-{}",
            now.format(BACKUP_STAMP)
        ));
        if let Ok(old) = KioskSecret::kiosk()
            .map_err(StoreError::from)
            .and_then(|secret| super::cipher::open(&target, &secret))
        {
            // Best effort: a damaged database (often why one restores) keeps its WAL beside
            // the kept copy instead.
            let _ = old.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        if std::fs::hard_link(&target, &kept).is_err() {
            std::fs::copy(&target, &kept).map_err(io)?;
        }
        for side in ["-wal", "-shm"] {
            let mut from = target.clone().into_os_string();
            from.push(side);
            let mut to = kept.clone().into_os_string();
            to.push(side);
            if Path::new(&from).exists() {
                std::fs::rename(&from, &to).map_err(io)?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&staged, &target).map_err(io)?;
    set_mode(&target, 0o600)?;
    let mut restored_photos = 0;
    if let Some(photos) = photos.filter(|p| p.is_dir()) {
        for entry in std::fs::read_dir(&photos).map_err(io)?.flatten() {
            let to = data_dir.join("photos").join(entry.file_name());
            if !to.exists() {
                std::fs::create_dir_all(data_dir.join("photos")).map_err(io)?;
                std::fs::copy(entry.path(), &to).map_err(io)?;
                restored_photos += 1;
            }
        }
    }
    sync_dir(data_dir)?;
    Ok(RestoreOutcome {
        kept,
        events: health.events,
        photos: restored_photos,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOutcome {
    /// Where the database that was replaced now lies.
    pub kept: Option<PathBuf>,
    pub events: u64,
    pub photos: u64,
}

fn io(e: std::io::Error) -> StoreError {
    if e.raw_os_error() == Some(28) {
        StoreError::DiskFull
    } else {
        StoreError::Io(e.to_string())
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)
}

fn private_dir(path: &Path) -> Result<()> {
    set_mode(path, 0o700)
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io)
}

fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(io)?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
        }
    }
    sync_dir(dir)
}

/// The data folder's lock: a running terminal (or sync) holds it, so a restore cannot pull
/// the database from under it. Released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DataLock {
    _file: std::fs::File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the data folder is in use by another Loket process")]
    Busy,
    #[error("cannot lock the data folder: {0}")]
    Io(#[from] std::io::Error),
}

impl DataLock {
    /// Takes the lock, or says it is held.
    pub fn take(data_dir: &Path) -> std::result::Result<DataLock, LockError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join("loket.lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(DataLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_refuses_a_second_taker_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::take(dir.path()).unwrap();
        assert!(matches!(DataLock::take(dir.path()), Err(LockError::Busy)));
        drop(first);
        assert!(DataLock::take(dir.path()).is_ok());
    }
}
