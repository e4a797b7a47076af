//! The device credential, kept in the data directory as `credential.json`, readable by its
//! owner only (mode 0600). The token never appears in `Debug` output or logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::OfficeInfo;

pub const FILE: &str = "credential.json";

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    /// pusat's base URL, e.g. `https://pusat.imigrasi.go.id`.
    pub server: String,
    pub device_id: Uuid,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub office: OfficeInfo,
    pub counter: u32,
    /// A certificate authority (PEM) to trust for pusat besides the public ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .field("token", &"<secret>")
            .field("expires_at", &self.expires_at)
            .field("office", &self.office.code)
            .field("counter", &self.counter)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is damaged: {message}; enroll this counter again")]
    Damaged { path: PathBuf, message: String },
    #[error("the kiosk's key in its TPM cannot be used: {0}")]
    Tpm(String),
}

impl Credential {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    /// The stored credential; `None` when this counter was never enrolled.
    pub fn load(data_dir: &Path) -> Result<Option<Credential>, CredentialError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CredentialError::Io { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CredentialError::Damaged {
                path,
                message: e.to_string(),
            })
    }

    /// Writes the credential durably with mode 0600 (replacing an earlier one atomically).
    pub fn save(&self, data_dir: &Path) -> Result<(), CredentialError> {
        let path = Self::path(data_dir);
        let tmp = path.with_extension("json.tmp");
        let io = |source| CredentialError::Io {
            path: path.clone(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| CredentialError::Damaged {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_private(&path, &tmp, &text).map_err(io)
    }
}

/// Writes `bytes` to `path` durably with mode 0600, through `tmp` and a rename, so a crash
/// leaves the old file or the new one, never half of one. Shared by the credential and the
/// kiosk's key.
pub(super) fn write_private(path: &Path, tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(tmp, path)
}
