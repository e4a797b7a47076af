//! The database file is encrypted at rest (SQLCipher: AES-256 per page, each page with its
//! HMAC), keyed from the kiosk's secret ([`crate::secret`]), which never sits in the data
//! folder. A copy of `loket.db` (a backup carried away, a disk pulled from a kiosk) is noise
//! without the secret: not a name, NIK, PIN hash or photo hash can be read from it.
//!
//! Every connection to a data folder's database goes through [`open`] (or
//! [`open_read_only`]): the key is given before the first read. A database written before
//! encryption (plain SQLite) is encrypted in place the first time a terminal opens it for
//! writing ([`encrypt_in_place`]); read-only tools read it as it is until then.
//!
//! Losing the secret loses the database: a backup restored on another machine needs the
//! secret file carried with it (see the README's kiosk section). What pusat already holds
//! comes back by enrolling again; only work not yet synced depends on the secret.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{Result, StoreError};
use crate::secret::KioskSecret;

/// The first 16 bytes of a plain SQLite file; an encrypted one begins with random salt.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Gives `conn` the database key of `secret`; nothing is read before this.
pub fn key(conn: &Connection, secret: &KioskSecret) -> Result<()> {
    key_with(conn, &secret.database_key())
}

fn key_with(conn: &Connection, key: &str) -> Result<()> {
    // SQLCipher would write a failed page check to stderr, over the officer's screen: the
    // error it returns says enough.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The key is hex digits only, so writing it into the statement is safe; a bound
    // parameter is not accepted by PRAGMA.
    conn.execute_batch(&format!("PRAGMA key = \"{key}\";"))?;
    Ok(())
}

/// A connection to `path` keyed the way loket 0.2 keyed it (its first key derivation), if
/// that opens it.
fn open_first_way(path: &Path, secret: &KioskSecret, flags: OpenFlags) -> Option<Connection> {
    let conn = Connection::open_with_flags(path, flags).ok()?;
    key_with(&conn, &secret.first_database_key()).ok()?;
    readable(&conn).ok()?;
    Some(conn)
}

/// Whether the file at `path` is a plain (unencrypted) SQLite database.
pub fn is_plain(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == PLAIN_HEADER)
}

/// Whether the key given to `conn` opens its database (SQLCipher checks on first read).
fn readable(conn: &Connection) -> Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(StoreError::from)
}

/// Opens (creating if needed) the database at `path` with the key of `secret`. A plain
/// database is encrypted first; one encrypted with another kiosk's secret is refused
/// ([`StoreError::OtherKiosk`]).
pub fn open(path: &Path, secret: &KioskSecret) -> Result<Connection> {
    if is_plain(path) {
        encrypt_in_place(path, secret)?;
    }
    let conn = Connection::open(path)?;
    key(&conn, secret)?;
    match readable(&conn) {
        Err(StoreError::Corrupt) => {
            // Keyed by loket 0.2: given the current key, once.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let old = open_first_way(path, secret, flags).ok_or(StoreError::OtherKiosk)?;
            drop(conn);
            let key = secret.database_key();
            old.execute_batch(&format!("PRAGMA rekey = \"{}\";", key.as_str()))?;
            drop(old);
            let conn = Connection::open(path)?;
            super::cipher::key(&conn, secret)?;
            readable(&conn)?;
            Ok(conn)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(conn),
    }
}

/// Opens the database at `path` read-only with the key of `secret` (a plain one, not yet
/// encrypted by a terminal, as it is): a missing file is not created, nothing is written.
pub fn open_read_only(path: &Path, secret: &KioskSecret) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    if !is_plain(path) {
        key(&conn, secret)?;
        if let Err(StoreError::Corrupt) = readable(&conn) {
            // Keyed by loket 0.2 and not yet opened by a terminal since: read it so.
            return open_first_way(path, secret, flags).ok_or(StoreError::OtherKiosk);
        }
    }
    Ok(conn)
}

/// Copies the database of `source` (plain or keyed) into a new encrypted file at `to`,
/// keyed with `secret`: schema, rows and the schema version (which SQLCipher's export
/// leaves behind). `to` must not exist.
pub fn export(source: &Connection, to: &Path, secret: &KioskSecret) -> Result<()> {
    let version: i64 = source.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let key = secret.database_key();
    source.execute(
        "ATTACH DATABASE ?1 AS sealed KEY ?2",
        [to.to_string_lossy().as_ref(), key.as_str()],
    )?;
    let copied = source
        .query_row("SELECT sqlcipher_export('sealed')", [], |_| Ok(()))
        .and_then(|()| source.execute_batch(&format!("PRAGMA sealed.user_version = {version};")));
    let detached = source.execute_batch("DETACH DATABASE sealed;");
    copied?;
    detached?;
    Ok(())
}

/// A consistent copy of the database `source` (opened from `source_path`, read-only is
/// enough) as a new encrypted file at `to`, keyed with `secret`. An encrypted source is
/// copied page by page in one step (SQLite's online backup: one snapshot while others
/// write). A plain one, from before encryption, is first copied so as a plain file beside
/// `to` (removed after), since SQLCipher copies from plain to encrypted only by export,
/// which needs a connection that may write.
pub fn copy_into(
    source: &Connection,
    source_path: &Path,
    to: &Path,
    secret: &KioskSecret,
) -> Result<()> {
    let _ = std::fs::remove_file(to);
    if !is_plain(source_path) {
        let mut copy = open(to, secret)?;
        rusqlite::backup::Backup::new(source, &mut copy)?.step(-1)?;
        return Ok(());
    }
    let staged = side(to, ".plain");
    let _ = std::fs::remove_file(&staged);
    let done = (|| {
        let mut plain = Connection::open(&staged)?;
        rusqlite::backup::Backup::new(source, &mut plain)?.step(-1)?;
        export(&plain, to, secret)
    })();
    let _ = std::fs::remove_file(&staged);
    done
}

/// Encrypts the plain database at `path` where it stands. A crash at any point leaves
/// either the plain database or the encrypted one in place, never neither: the plain one
/// is folded into one file (its WAL checkpointed) before the encrypted copy, written and
/// synced beside it, takes its name in one rename.
pub fn encrypt_in_place(path: &Path, secret: &KioskSecret) -> Result<()> {
    let sealed = side(path, ".encrypting");
    let _ = std::fs::remove_file(&sealed);
    {
        let plain = Connection::open(path)?;
        plain.busy_timeout(std::time::Duration::from_secs(5))?;
        // Everything must be in the main file before the WAL is removed below: a reader
        // holding the WAL (doctor mid-check) makes the checkpoint partial, and then this
        // waits for another start rather than risk the WAL's pages.
        let (busy, left): (i64, i64) =
            plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if busy != 0 || left > 0 {
            return Err(StoreError::Busy);
        }
        export(&plain, &sealed, secret)?;
    }
    // The encrypted copy must stand whole on the disk before it replaces anything.
    std::fs::File::open(&sealed)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::Io(format!("{}: {e}", sealed.display())))?;
    // The plain WAL is empty after the checkpoint; it must not be read with the new file.
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(side(path, ext));
    }
    std::fs::rename(&sealed, path)
        .map_err(|e| StoreError::Io(format!("{}: {e}", path.display())))?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// `path` with `ext` appended (`loket.db` → `loket.db-wal`).
fn side(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(dir: &Path) -> KioskSecret {
        KioskSecret::in_dir(dir).unwrap()
    }

    #[test]
    fn a_database_loket_0_2_keyed_is_read_and_rekeyed_when_a_terminal_opens_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.db");
        let mine = secret(&dir.path().join("mine"));
        {
            let conn = Connection::open(&path).unwrap();
            key_with(&conn, &mine.first_database_key()).unwrap();
            conn.execute_batch("CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('Siti Rahayu');")
                .unwrap();
        }
        let count = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&open_read_only(&path, &mine).unwrap()), 1);
        assert_eq!(count(&open(&path, &mine).unwrap()), 1);
        // Rekeyed: the current key alone opens it now, the first one no more.
        let now = Connection::open(&path).unwrap();
        key(&now, &mine).unwrap();
        assert_eq!(count(&now), 1);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY;
        assert!(open_first_way(&path, &mine, flags).is_none());
        let theirs = secret(&dir.path().join("theirs"));
        assert!(matches!(open(&path, &theirs), Err(StoreError::OtherKiosk)));
    }

    #[test]
    fn a_new_database_is_encrypted_and_opens_only_with_its_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.db");
        let mine = secret(&dir.path().join("mine"));
        {
            let conn = open(&path, &mine).unwrap();
            conn.execute_batch("CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('Siti Rahayu');")
                .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(!is_plain(&path));
        assert!(!bytes.windows(11).any(|w| w == b"Siti Rahayu"));
        let n: i64 = open_read_only(&path, &mine)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let theirs = secret(&dir.path().join("theirs"));
        assert!(matches!(open(&path, &theirs), Err(StoreError::OtherKiosk)));
        assert!(matches!(
            open_read_only(&path, &theirs),
            Err(StoreError::OtherKiosk)
        ));
        // Plain SQLite cannot read it either.
        let plain = Connection::open(&path).unwrap();
        assert!(
            plain
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .is_err()
        );
    }

    #[test]
    fn a_plain_database_is_encrypted_in_place_with_its_rows_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.db");
        {
            let plain = Connection::open(&path).unwrap();
            plain
                .execute_batch(
                    "PRAGMA journal_mode = WAL; CREATE TABLE t (name TEXT);
                     INSERT INTO t VALUES ('Siti Rahayu'); PRAGMA user_version = 11;",
                )
                .unwrap();
        }
        assert!(is_plain(&path));
        let mine = secret(&dir.path().join("mine"));
        // Read-only tools read it as it is, changing nothing.
        open_read_only(&path, &mine).unwrap();
        assert!(is_plain(&path));
        let conn = open(&path, &mine).unwrap();
        assert!(!is_plain(&path));
        let (n, version): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM t), (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((n, version), (1, 11));
        assert!(!side(&path, ".encrypting").exists());
    }

    #[test]
    fn a_plain_database_another_reader_holds_is_left_plain_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('Siti Rahayu');",
            )
            .unwrap();
        // A reader mid-transaction pins the WAL: its pages cannot all reach the main file.
        let reader = Connection::open(&path).unwrap();
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM t;")
            .unwrap();
        writer
            .execute("INSERT INTO t VALUES ('Budi Santoso')", [])
            .unwrap();
        let mine = secret(&dir.path().join("mine"));
        assert!(matches!(
            encrypt_in_place(&path, &mine),
            Err(StoreError::Busy)
        ));
        assert!(is_plain(&path));
        reader.execute_batch("COMMIT;").unwrap();
        drop(reader);
        let n: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        drop(writer);
        let n: i64 = open(&path, &mine)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        assert!(!is_plain(&path));
    }
}
