//! The counter's local SQLite store. WAL with `synchronous = FULL`: a committed action
//! survives a power cut. Every officer action is one transaction writing the new state, an
//! outbox event (for sync) and an audit row (append-only, enforced by triggers).

mod approvals;
mod bookings;
mod cases;
pub mod cipher;
pub mod health;
mod officers;
mod photos;
mod retention;
mod sync;
mod thread;
mod tickets;

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

pub use approvals::Awaiting;
pub use bookings::{QueueRow, QueueStatus};
pub use cases::{CaseExport, EventRecord};
pub use health::{DataLock, Health, LockError};
pub use officers::{
    AuthError, LOCKOUT_MINUTES, MAX_FAILED_PINS, Officer, PinAttempt, Role, hash_pin,
};
pub use photos::{StoredPhoto, photo_files, photo_path, read_photo, remove_photo, write_photo};
pub use retention::{DEFAULT_RETENTION_DAYS, Purged, TOMBSTONE};
pub use sync::{PendingPhoto, ServedElsewhere, SyncCounts};
pub use thread::{StoreAccess, StoreThread};
pub use tickets::LostCall;

const MIGRATION_LIST: &[M<'static>] = &[
    M::up(include_str!("../../assets/migrations/local/0001_init.sql")),
    M::up(include_str!(
        "../../assets/migrations/local/0002_drafts.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0003_photos.sql"
    )),
    M::up(include_str!("../../assets/migrations/local/0004_sync.sql")),
    M::up(include_str!(
        "../../assets/migrations/local/0005_rescheduled.sql"
    )),
    M::up(include_str!("../../assets/migrations/local/0006_queue.sql")),
    M::up(include_str!(
        "../../assets/migrations/local/0007_approvals.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0008_approval_tries.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0009_retention.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0010_awaiting_photo.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0011_approval_proofs.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0012_event_proofs.sql"
    )),
    M::up(include_str!(
        "../../assets/migrations/local/0013_refused.sql"
    )),
];
pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the disk is full")]
    DiskFull,
    #[error("the database is busy or locked by another program")]
    Busy,
    #[error("the database file is damaged or not a Loket database")]
    Corrupt,
    #[error(
        "basis data ini terkunci dengan rahasia kios lain, atau rusak: pasang kembali rahasia kios ini \
         (LOKET_SECRET_DIR) atau pulihkan cadangan kios ini; jangan hapus apa pun / \
         the database is locked with another kiosk's secret, or damaged"
    )]
    OtherKiosk,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data could not be read: {0}")]
    Data(#[from] serde_json::Error),
    #[error(transparent)]
    Case(#[from] crate::domain::CaseError),
    #[error("this applicant already has a case")]
    CaseExists,
    #[error("no such case")]
    NoSuchCase,
    #[error(transparent)]
    Ticket(#[from] crate::domain::queue::TicketError),
    #[error("no such ticket")]
    NoSuchTicket,
    #[error("this counter has given out every number of line {0} today")]
    NumbersUsedUp(String),
    #[error("line {line} reached its quota of {quota} today")]
    Quota { line: String, quota: u32 },
    #[error("could not hash the PIN")]
    Hash,
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    #[error("file error: {0}")]
    Io(String),
    /// The thread that owns the database stopped (a bug in a job): the terminal must start
    /// again; what was committed is safe.
    #[error("the database's thread has stopped")]
    Stopped,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DiskFull) => StoreError::DiskFull,
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy,
            Some(DatabaseCorrupt | NotADatabase) => StoreError::Corrupt,
            _ => StoreError::Sqlite(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who does an action, and when by the device's clock (with its offset).
#[derive(Debug, Clone)]
pub struct Actor {
    pub username: String,
    pub now: DateTime<FixedOffset>,
    /// The officer's proof key, made from the PIN they signed in with: every event they
    /// write carries its proof (see [`crate::proof`]). `None` where nobody signed in
    /// (pusat then refuses an event that names an officer).
    pub key: Option<crate::proof::ProofKey>,
}

/// A supervisor who approved an act by typing their PIN at this counter: their proof key,
/// made from that PIN, proves the approval of that one act (see [`crate::proof`]).
#[derive(Debug, Clone)]
pub struct Approver {
    pub username: String,
    pub key: crate::proof::ProofKey,
}

/// How far a write must reach before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// On the disk (fsync): survives a power cut. Every action is written so.
    Synced,
    /// In the operating system's cache: survives the program being killed, not a power
    /// cut; the next synced write takes it to the disk too. For drafts between keystrokes.
    Cached,
}

pub struct Store {
    conn: Connection,
    office: String,
    /// Seals the officers' PIN hashes: a copied database opens nowhere else.
    secret: crate::secret::KioskSecret,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// Its PIN hashes are sealed with this kiosk's secret ([`crate::secret`]).
    pub fn open(path: &Path, office: &str) -> Result<Store> {
        Self::open_sealed(path, office, crate::secret::KioskSecret::kiosk()?)
    }

    /// As [`Store::open`], sealing with `secret` (a test plays another kiosk with it).
    pub fn open_sealed(
        path: &Path,
        office: &str,
        secret: crate::secret::KioskSecret,
    ) -> Result<Store> {
        let conn = cipher::open(path, &secret)?;
        Self::setup(conn, office, secret)
    }

    /// A database in memory, with this kiosk's secret.
    pub fn open_in_memory(office: &str) -> Result<Store> {
        Self::setup(
            Connection::open_in_memory()?,
            office,
            crate::secret::KioskSecret::kiosk()?,
        )
    }

    fn setup(
        mut conn: Connection,
        office: &str,
        secret: crate::secret::KioskSecret,
    ) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(2))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        MIGRATIONS.to_latest(&mut conn)?;
        let store = Store {
            conn,
            office: office.to_owned(),
            secret,
        };
        store.seal_plain_pin_hashes()?;
        Ok(store)
    }

    pub fn office(&self) -> &str {
        &self.office
    }

    /// Gives this counter its device id on first use; returns it.
    pub fn ensure_device(&self, now: DateTime<FixedOffset>, counter: u32) -> Result<String> {
        self.conn.execute(
            "INSERT INTO device (id, device_id, office, counter, created_at) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
            params![Uuid::now_v7().to_string(), self.office, counter, now.to_rfc3339()],
        )?;
        self.device_id()
    }

    pub fn device_id(&self) -> Result<String> {
        let id: Option<String> = self
            .conn
            .query_row("SELECT device_id FROM device WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(id.unwrap_or_default())
    }

    pub fn upsert_office(&self, office: &crate::domain::Office) -> Result<()> {
        self.conn.execute(
            "INSERT INTO offices (code, name, zone) VALUES (?1, ?2, ?3)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, zone = excluded.zone",
            params![office.code, office.name, office.zone.label()],
        )?;
        Ok(())
    }

    /// Rows this connection has changed since it opened: a counter kept in memory, so a
    /// caller can tell without a query whether anything was written since it last looked.
    pub fn writes(&self) -> u64 {
        self.conn.total_changes()
    }

    pub fn pending_events(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE pushed_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Size of the database file in bytes (for the technician's screen).
    pub fn size_bytes(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Records that an officer looked at a booking or case: audit row plus outbox event.
    pub fn record_view(
        &mut self,
        actor: &Actor,
        booking: &str,
        case_id: Option<Uuid>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let detail = serde_json::json!({ "booking": booking });
        append_event(&tx, &self.office, actor, "audit.view", case_id, &detail)?;
        append_audit(&tx, actor, "view", Some(booking), case_id, "")?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps what is typed into a case step but not yet committed.
    pub fn put_draft(
        &self,
        case_id: Uuid,
        step: &str,
        body: &serde_json::Value,
        now: DateTime<FixedOffset>,
        durability: Durability,
    ) -> Result<()> {
        if durability == Durability::Cached {
            // WAL with synchronous=NORMAL: the commit is in the log, not yet fsynced.
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        let written = self.conn.execute(
            "INSERT INTO drafts (case_id, step, body, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (case_id) DO UPDATE SET step = excluded.step, body = excluded.body,
                 updated_at = excluded.updated_at",
            params![
                case_id.to_string(),
                step,
                body.to_string(),
                now.to_rfc3339()
            ],
        );
        if durability == Durability::Cached {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        written?;
        Ok(())
    }

    /// The draft of a case's step, if one was left.
    pub fn draft(&self, case_id: Uuid, step: &str) -> Result<Option<serde_json::Value>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM drafts WHERE case_id = ?1 AND step = ?2",
                params![case_id.to_string(), step],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    pub fn clear_draft(&self, case_id: Uuid) -> Result<()> {
        self.conn.execute(
            "DELETE FROM drafts WHERE case_id = ?1",
            [case_id.to_string()],
        )?;
        Ok(())
    }

    /// The audit trail of one booking, oldest first: (time, officer, action, detail).
    pub fn audit_for_booking(
        &self,
        booking: &str,
    ) -> Result<Vec<(String, String, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, officer, action, detail FROM audit WHERE booking = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([booking], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Appends one event to the outbox with the next per-device sequence number.
fn append_event(
    tx: &Transaction<'_>,
    office: &str,
    actor: &Actor,
    kind: &str,
    case_id: Option<Uuid>,
    payload: &serde_json::Value,
) -> Result<i64> {
    append_proven(tx, office, actor, kind, case_id, payload, &Proven::Officer)
}

/// What proves an event besides its officer's own proof.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Proven<'a> {
    /// The officer's proof alone.
    Officer,
    /// And a supervisor's approval of the act, their PIN typed here.
    Approved(Option<&'a Approver>),
    /// The act a supervisor granted (or sent back) on the board: request `0`'s answer.
    Answer(Uuid),
}

/// Appends an event with its proofs: the officer's (when signed in with their PIN), and a
/// supervisor's approval of the act or the board answer it carries out.
fn append_proven(
    tx: &Transaction<'_>,
    office: &str,
    actor: &Actor,
    kind: &str,
    case_id: Option<Uuid>,
    payload: &serde_json::Value,
    proven: &Proven<'_>,
) -> Result<i64> {
    let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", [], |r| {
        r.get(0)
    })?;
    let id = Uuid::now_v7();
    let facts = crate::proof::EventFacts {
        id,
        kind,
        case_id,
        office,
        officer: &actor.username,
        device_time: actor.now,
        payload,
    };
    let signed = actor.key.as_ref().map(|k| k.sign_event(&facts));
    let answers = match proven {
        Proven::Answer(request) => Some(request.to_string()),
        _ => None,
    };
    tx.execute(
        "INSERT INTO outbox (seq, id, kind, case_id, office, officer, device_time, payload,
                             signed, answers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            seq,
            id.to_string(),
            kind,
            case_id.map(|c| c.to_string()),
            office,
            actor.username,
            actor.now.to_rfc3339(),
            payload.to_string(),
            signed,
            answers
        ],
    )?;
    if let Proven::Approved(Some(approver)) = proven {
        tx.execute(
            "INSERT INTO approval_proofs (seq, proof) VALUES (?1, ?2)",
            params![seq, approver.key.approve(&facts, &approver.username)],
        )?;
    }
    Ok(seq)
}

fn append_audit(
    tx: &Transaction<'_>,
    actor: &Actor,
    action: &str,
    booking: Option<&str>,
    case_id: Option<Uuid>,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, officer, action, booking, case_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![actor.now.to_rfc3339(), actor.username, action, booking, case_id.map(|c| c.to_string()), detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
