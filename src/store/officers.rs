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
}

impl Store {
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
                pin_hash
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
                "SELECT username, nip, name, role, pin_hash, locked_until
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
                    ))
                },
            )
            .optional()?;
        let Some((officer, hash, locked_until)) = row else {
            return Err(AuthError::UnknownUser);
        };
        if let Some(until) = locked_until.and_then(|u| DateTime::parse_from_rfc3339(&u).ok())
            && until > now
        {
            return Err(AuthError::Locked { until });
        }
        Ok(PinAttempt { officer, hash })
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
            return Err(AuthError::Locked { until });
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
