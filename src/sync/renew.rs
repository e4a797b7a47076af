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
/// one in `data_dir` and switches `client` to it. `Ok(false)` when not yet due.
pub async fn renew_if_due(
    client: &mut Client,
    credential: &mut Credential,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<bool, SyncError> {
    if credential.expires_at - now > RENEW_BEFORE {
        return Ok(false);
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
    renewed
        .save(data_dir)
        .map_err(|e| SyncError::Store(e.to_string()))?;
    client.set_token(&renewed.token);
    *credential = renewed;
    Ok(true)
}
