//! Renewing the device credential before it expires, so that a counter does not stop syncing
//! on its enrollment's anniversary and wait for a technician with a new code.
//!
//! The new credential is written to disk before the new token is first used: pusat keeps the
//! old token valid until then, so a crash or a lost answer anywhere leaves a token that works.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::{Client, Credential, SyncError};

/// How long before expiry a counter asks for a new credential.
pub const RENEW_BEFORE: Duration = Duration::days(30);

/// Renews the credential when it expires within [`RENEW_BEFORE`] of `now`: saves the new
/// one in `data_dir` and switches `client` to it. `Ok(false)` when nothing changed.
///
/// Two processes of one counter may sync (the terminal's worker and a technician's
/// `loket sync`). The file in `data_dir` is the truth: a longer-lasting credential of the
/// same device found there was renewed by the other one and is taken over, and renewal
/// itself runs under a lock, so one renewal never retires the token the other just got.
pub async fn renew_if_due(
    client: &mut Client,
    credential: &mut Credential,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<bool, SyncError> {
    if adopt_from_disk(client, credential, data_dir) {
        return Ok(true);
    }
    if credential.expires_at - now > RENEW_BEFORE {
        return Ok(false);
    }
    let store_error = |e: &dyn std::fmt::Display| SyncError::Store(e.to_string());
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("credential.lock"))
        .map_err(|e| store_error(&e))?;
    if lock.try_lock().is_err() {
        // The other process is renewing right now; its result is adopted next round.
        return Ok(false);
    }
    // It may have finished between the first look and the lock.
    if adopt_from_disk(client, credential, data_dir) {
        return Ok(true);
    }
    let fresh = client.renew().await?;
    if fresh.expires_at <= credential.expires_at || fresh.token.is_empty() {
        return Err(SyncError::Nonsense(
            "the renewed credential is no better than the old one".into(),
        ));
    }
    let renewed = Credential {
        token: fresh.token,
        expires_at: fresh.expires_at,
        ..credential.clone()
    };
    renewed.save(data_dir).map_err(|e| store_error(&e))?;
    client.set_token(&renewed.token);
    *credential = renewed;
    Ok(true)
}

/// Takes over the credential on disk when it is this device's, with another token that
/// lasts longer.
fn adopt_from_disk(client: &mut Client, credential: &mut Credential, data_dir: &Path) -> bool {
    match Credential::load(data_dir) {
        Ok(Some(on_disk))
            if on_disk.device_id == credential.device_id
                && on_disk.token != credential.token
                && on_disk.expires_at > credential.expires_at =>
        {
            client.set_token(&on_disk.token);
            *credential = on_disk;
            true
        }
        _ => false,
    }
}
