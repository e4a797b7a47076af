//! Officers and their PINs. PINs are stored as argon2id hashes; five wrong PINs in a row
//! lock the account for a while, so a PIN cannot be guessed at an unattended counter.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Duration, FixedOffset};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError};
use crate::protocol::{PinContext, PinFailed};
use crate::secret::Purpose;

pub const MAX_FAILED_PINS: u32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    Supervisor,
    Technician,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Technician => "technician",
        }
    }
    fn parse(s: &str) -> Role {
        match s {
            "supervisor" => Role::Supervisor,
            "technician" => Role::Technician,
            _ => Role::Officer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub username: String,
    pub nip: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown user")]
    UnknownUser,
    #[error("wrong PIN; {remaining} attempts left")]
    WrongPin { remaining: u32 },
    #[error("account locked until {until}")]
    Locked { until: DateTime<FixedOffset> },
    #[error("this user is not a supervisor")]
    NotSupervisor,
    /// Nothing typed as the PIN: asked again, never counted as a wrong try.
    #[error("no PIN given")]
    EmptyPin,
    /// The PIN hash was sealed by another kiosk's secret: the database was copied here, or
    /// the kiosk's secret was replaced.
    #[error("this PIN was stored by another kiosk")]
    SealedElsewhere,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Store(e.into())
    }
}

/// Argon2id at 64 MiB and three passes (OWASP's password storage guidance lists
/// m=47 MiB, t=1 as a floor): a PIN has few possibilities, so each guess must cost. Hashes
/// made with the earlier default still verify (the parameters travel in the hash).
fn pin_hasher() -> Argon2<'static> {
    let params = argon2::Params::new(64 * 1024, 3, 1, None).unwrap_or_default();
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub fn hash_pin(pin: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    pin_hasher()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StoreError::Hash)
}

fn pin_matches(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

/// A sign-in under way: the officer the login names and their PIN hash. Checking the PIN
/// against it is the slow part and needs no database, so it can run on another thread.
pub struct PinAttempt {
    officer: Officer,
    hash: String,
    /// The officer's proof salt from pusat's roster (none: not from pusat).
    approval_salt: Option<String>,
    /// The officer's proof key, once made from the PIN that matched (see
    /// [`PinAttempt::check`]).
    key: Option<crate::proof::ProofKey>,
}

impl std::fmt::Debug for PinAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinAttempt")
            .field("officer", &self.officer.username)
            .finish_non_exhaustive()
    }
}

impl PinAttempt {
    /// Whether `pin` is this officer's PIN (argon2id: deliberately slow).
    pub fn matches(&self, pin: &str) -> bool {
        pin_matches(pin, &self.hash)
    }
    pub fn officer(&self) -> &Officer {
        &self.officer
    }
    /// Whether `pin` is this officer's PIN, and when it is, their proof key made from it
    /// (two Argon2id runs: on the work thread). None without a proof salt from pusat.
    pub fn check(&mut self, pin: &str) -> bool {
        let matched = self.matches(pin);
        if matched {
            self.key = self
                .approval_salt
                .as_deref()
                .and_then(|salt| crate::proof::ProofKey::derive(pin, salt));
        }
        matched
    }
    /// The proof key [`PinAttempt::check`] made.
    pub fn key(&self) -> Option<&crate::proof::ProofKey> {
        self.key.as_ref()
    }
}

impl Store {
    /// `hash` sealed for `username` with this kiosk's secret, as the database keeps it.
    pub(super) fn seal_pin_hash(&self, username: &str, hash: &str) -> String {
        if hash.is_empty() {
            return String::new();
        }
        self.secret
            .seal(Purpose::PinHash, username, hash.as_bytes())
    }

    /// Seals PIN hashes stored before sealing (or put back by hand), and seals again those
    /// loket 0.2 sealed with its first key derivation: at every open.
    pub(super) fn seal_plain_pin_hashes(&self) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT username, pin_hash FROM officers WHERE pin_hash NOT LIKE 'sealed2:%' AND pin_hash <> ''",
        )?;
        let plain: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (username, stored) in plain {
            let hash = if crate::secret::is_sealed(&stored) {
                // Sealed by another kiosk's secret: left as it is (the sign-in says so).
                let Some(hash) = self
                    .secret
                    .open(Purpose::PinHash, &username, &stored)
                    .and_then(|h| String::from_utf8(h).ok())
                else {
                    continue;
                };
                hash
            } else {
                stored
            };
            self.conn.execute(
                "UPDATE officers SET pin_hash = ?2 WHERE username = ?1",
                params![username, self.seal_pin_hash(&username, &hash)],
            )?;
        }
        Ok(())
    }

    pub fn put_officer(&self, officer: &Officer, pin_hash: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO officers (username, nip, name, role, pin_hash) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (username) DO UPDATE SET nip = excluded.nip, name = excluded.name,
                 role = excluded.role, pin_hash = excluded.pin_hash",
            params![
                officer.username,
                officer.nip,
                officer.name,
                officer.role.as_str(),
                self.seal_pin_hash(&officer.username, pin_hash)
            ],
        )?;
        Ok(())
    }

    /// Whether `username` is still on this counter's roster (pusat may take them off).
    pub fn officer_on_roster(&self, username: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM officers WHERE username = ?1)",
            [username],
            |r| r.get(0),
        )?)
    }

    pub fn officer_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM officers", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Checks a username (or NIP) and PIN, counting failures and locking after too many.
    /// The three steps below, at once: the terminal runs the middle one (argon2, a fifth of
    /// a second on purpose) on its work thread instead.
    pub fn authenticate(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Officer, AuthError> {
        let attempt = self.pin_attempt(login, pin, now)?;
        let matched = attempt.matches(pin);
        self.pin_outcome(attempt, matched, now)
    }

    /// A sign-in, at once: the officer, and the actor their events are written and proven
    /// as (the proof key made from `pin`).
    pub fn sign_in(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<super::Actor, AuthError> {
        let mut attempt = self.pin_attempt(login, pin, now)?;
        let matched = attempt.check(pin);
        let key = attempt.key.take();
        let officer = self.pin_outcome(attempt, matched, now)?;
        Ok(super::Actor {
            username: officer.username,
            now,
            key,
        })
    }

    /// First step of a sign-in: who `login` names and whether they may try now. An empty
    /// PIN is refused here and never counted.
    pub fn pin_attempt(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<PinAttempt, AuthError> {
        if pin.is_empty() {
            return Err(AuthError::EmptyPin);
        }
        let row = self
            .conn
            .query_row(
                "SELECT username, nip, name, role, pin_hash, locked_until, approval_salt
                 FROM officers WHERE username = ?1 OR nip = ?1",
                [login.trim()],
                |r| {
                    Ok((
                        Officer {
                            username: r.get(0)?,
                            nip: r.get(1)?,
                            name: r.get(2)?,
                            role: Role::parse(&r.get::<_, String>(3)?),
                        },
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((officer, stored, locked_until, approval_salt)) = row else {
            return Err(AuthError::UnknownUser);
        };
        let hash = if crate::secret::is_sealed(&stored) {
            self.secret
                .open(Purpose::PinHash, &officer.username, &stored)
                .and_then(|h| String::from_utf8(h).ok())
                .ok_or(AuthError::SealedElsewhere)?
        } else {
            stored
        };
        if let Some(until) = locked_until.and_then(|u| DateTime::parse_from_rfc3339(&u).ok())
            && until > now
        {
            // In the office's time, as the officer reads it (pusat's locks come in UTC).
            return Err(AuthError::Locked {
                until: until.with_timezone(now.offset()),
            });
        }
        Ok(PinAttempt {
            officer,
            hash,
            approval_salt,
            key: None,
        })
    }

    /// Last step: records whether the PIN matched. Failures are counted in the database at
    /// this moment, so two checks that ran side by side both count.
    pub fn pin_outcome(
        &self,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<Officer, AuthError> {
        let officer = attempt.officer;
        if matched {
            self.conn.execute(
                "UPDATE officers SET failed_attempts = 0, locked_until = NULL WHERE username = ?1",
                [&officer.username],
            )?;
            return Ok(officer);
        }
        self.pin_failed(&officer.username, PinContext::SignIn, now)?;
        let failed: u32 = self.conn.query_row(
            "UPDATE officers SET failed_attempts = failed_attempts + 1 WHERE username = ?1
             RETURNING failed_attempts",
            [&officer.username],
            |r| r.get(0),
        )?;
        Err(after_failures(failed, now, |until| {
            self.conn.execute(
                "UPDATE officers SET failed_attempts = 0, locked_until = ?2 WHERE username = ?1",
                params![officer.username, until],
            )
        })?)
    }

    /// First step of a supervisor's approval asked by `asker`: as a sign-in's, and refused
    /// while too many wrong PINs in this officer's approval dialogs lock it.
    pub fn approval_pin_attempt(
        &self,
        asker: &str,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<PinAttempt, AuthError> {
        let attempt = self.pin_attempt(login, pin, now)?;
        let locked: Option<String> = self
            .conn
            .query_row(
                "SELECT locked_until FROM approval_tries WHERE asker = ?1 AND approver = ?2",
                params![asker, attempt.officer.username],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if let Some(until) = locked.and_then(|u| DateTime::parse_from_rfc3339(&u).ok())
            && until > now
        {
            return Err(AuthError::Locked {
                until: until.with_timezone(now.offset()),
            });
        }
        Ok(attempt)
    }

    /// Last step of an approval: a wrong PIN counts against `asker`'s approvals by this
    /// supervisor, not against the supervisor's sign-in (which an officer could otherwise
    /// lock by mistyping, or on purpose).
    pub fn approval_pin_outcome(
        &self,
        asker: &str,
        attempt: PinAttempt,
        matched: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<Officer, AuthError> {
        let officer = attempt.officer;
        if matched {
            self.conn.execute(
                "DELETE FROM approval_tries WHERE asker = ?1 AND approver = ?2",
                params![asker, officer.username],
            )?;
            return Ok(officer);
        }
        self.pin_failed(&officer.username, PinContext::Approval, now)?;
        let failed: u32 = self.conn.query_row(
            "INSERT INTO approval_tries (asker, approver, failed) VALUES (?1, ?2, 1)
             ON CONFLICT (asker, approver) DO UPDATE SET failed = failed + 1
             RETURNING failed",
            params![asker, officer.username],
            |r| r.get(0),
        )?;
        Err(after_failures(failed, now, |until| {
            self.conn.execute(
                "UPDATE approval_tries SET failed = 0, locked_until = ?3
                 WHERE asker = ?1 AND approver = ?2",
                params![asker, officer.username, until],
            )
        })?)
    }

    /// Tells pusat of a wrong PIN for `username` (an `officer.pin_failed` event): pusat
    /// counts them across the office's counters and locks the officer everywhere when
    /// they add up. Never the PIN itself.
    fn pin_failed(
        &self,
        username: &str,
        context: PinContext,
        now: DateTime<FixedOffset>,
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let actor = super::Actor {
            key: None,
            username: username.to_owned(),
            now,
        };
        let payload = serde_json::to_value(PinFailed {
            username: username.to_owned(),
            context,
        })?;
        super::append_event(
            &tx,
            &self.office,
            &actor,
            "officer.pin_failed",
            None,
            &payload,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A supervisor's approval at this terminal: their username (or NIP) and PIN.
    pub fn approve_as_supervisor(
        &self,
        login: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Officer, AuthError> {
        let officer = self.authenticate(login, pin, now)?;
        if officer.role != Role::Supervisor {
            return Err(AuthError::NotSupervisor);
        }
        Ok(officer)
    }
}

/// What `failed` wrong PINs in a row come to: at the limit a lockout from `now` (`lock`
/// writes its end and clears the count), else the tries left. The same rule for sign-ins
/// and for approval dialogs.
fn after_failures(
    failed: u32,
    now: DateTime<FixedOffset>,
    lock: impl FnOnce(String) -> rusqlite::Result<usize>,
) -> Result<AuthError, AuthError> {
    if failed < MAX_FAILED_PINS {
        return Ok(AuthError::WrongPin {
            remaining: MAX_FAILED_PINS - failed,
        });
    }
    let until = now + Duration::minutes(LOCKOUT_MINUTES);
    lock(until.to_rfc3339())?;
    Ok(AuthError::Locked { until })
}

/// An active officer of pusat's roster, as the counter keeps them: the PIN hash sealed with
/// this kiosk's secret. A new PIN (pusat gave another hash) lifts a lock, this counter's or
/// pusat's; pusat's lock, when the entry carries one, holds until its end.
pub(super) fn put_from_roster(
    tx: &rusqlite::Transaction<'_>,
    secret: &crate::secret::KioskSecret,
    o: &crate::protocol::RosterEntry,
) -> Result<()> {
    let stored: Option<String> = tx
        .query_row(
            "SELECT pin_hash FROM officers WHERE username = ?1",
            [&o.username],
            |r| r.get(0),
        )
        .optional()?;
    let same_pin = stored.is_some_and(|s| {
        let plain = if crate::secret::is_sealed(&s) {
            secret
                .open(Purpose::PinHash, &o.username, &s)
                .and_then(|h| String::from_utf8(h).ok())
        } else {
            Some(s)
        };
        plain.as_deref() == Some(o.pin_hash.as_str())
    });
    let sealed = if o.pin_hash.is_empty() {
        String::new()
    } else {
        secret.seal(Purpose::PinHash, &o.username, o.pin_hash.as_bytes())
    };
    tx.execute(
        "INSERT INTO officers (username, nip, name, role, pin_hash, approval_salt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?7)
         ON CONFLICT (username) DO UPDATE SET nip = excluded.nip, name = excluded.name,
             role = excluded.role, pin_hash = excluded.pin_hash,
             approval_salt = excluded.approval_salt,
             failed_attempts = CASE WHEN ?6 THEN officers.failed_attempts ELSE 0 END,
             locked_until = CASE WHEN ?6 THEN officers.locked_until END",
        params![
            o.username,
            o.nip,
            o.name,
            o.role,
            sealed,
            same_pin,
            o.approval_salt
        ],
    )?;
    if let Some(until) = o.locked_until {
        lock_from_pusat(tx, &o.username, until)?;
    }
    Ok(())
}

/// Applies pusat's lock of an officer (too many wrong PINs across the office): the later of
/// the local lock and pusat's holds.
fn lock_from_pusat(
    tx: &rusqlite::Transaction<'_>,
    username: &str,
    until: DateTime<chrono::Utc>,
) -> Result<()> {
    let local: Option<String> = tx
        .query_row(
            "SELECT locked_until FROM officers WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let later = local
        .and_then(|l| DateTime::parse_from_rfc3339(&l).ok())
        .is_some_and(|l| l >= until);
    if !later {
        tx.execute(
            "UPDATE officers SET locked_until = ?2 WHERE username = ?1",
            // Shown as the kiosk's local time ("terkunci sampai 14:05").
            params![username, until.with_timezone(&chrono::Local).to_rfc3339()],
        )?;
    }
    Ok(())
}
