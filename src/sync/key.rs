//! The kiosk's own key: an Ed25519 key pair made at enrollment. pusat keeps the public half
//! with the device, and every request carries a signature over its method, path and time,
//! so a copied `credential.json` alone cannot act as the kiosk. The secret half is kept in
//! `device.key` (mode 0600), sealed with the kiosk's secret ([`crate::secret`], kept outside
//! the data folder), and never leaves the kiosk; it never appears in `Debug` output.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};

use super::CredentialError;
use crate::secret::{KioskSecret, Purpose};

pub const FILE: &str = "device.key";

#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    pub fn generate() -> DeviceKey {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        DeviceKey(SigningKey::from_bytes(&secret))
    }

    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    /// The public half, base64url: what pusat keeps.
    pub fn public(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.verifying_key().as_bytes())
    }

    /// The signature of one request (see [`crate::protocol::request_message`]).
    pub fn sign(&self, method: &str, path: &str, time: i64) -> String {
        let message = crate::protocol::request_message(method, path, time);
        URL_SAFE_NO_PAD.encode(self.0.sign(message.as_bytes()).to_bytes())
    }

    /// The kiosk's key, `None` when it has none (enrolled before keys existed).
    pub fn load(data_dir: &Path) -> Result<Option<DeviceKey>, CredentialError> {
        Self::load_sealed(data_dir, &KioskSecret::kiosk().map_err(secret_error)?)
    }

    /// As [`DeviceKey::load`], opened with `secret`. A key kept in plain (written before
    /// sealing) is sealed in place.
    pub fn load_sealed(
        data_dir: &Path,
        secret: &KioskSecret,
    ) -> Result<Option<DeviceKey>, CredentialError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CredentialError::Io { path, source }),
        };
        let damaged = |message: &str| CredentialError::Damaged {
            path: path.clone(),
            message: message.to_owned(),
        };
        let text = text.trim();
        let bytes = if crate::secret::is_sealed(text) {
            secret
                .open(Purpose::DeviceKey, FILE, text)
                .ok_or_else(|| damaged("sealed by another kiosk's secret (copied here?)"))?
        } else {
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| damaged("not base64url"))?
        };
        let secret_key: [u8; 32] = bytes.try_into().map_err(|_| damaged("not a 32-byte key"))?;
        let key = DeviceKey(SigningKey::from_bytes(&secret_key));
        if !crate::secret::is_sealed(text) {
            key.save_sealed(data_dir, secret)?;
        }
        Ok(Some(key))
    }

    /// Writes the key sealed with this kiosk's secret, durably with mode 0600, replacing an
    /// earlier one atomically.
    pub fn save(&self, data_dir: &Path) -> Result<(), CredentialError> {
        self.save_sealed(data_dir, &KioskSecret::kiosk().map_err(secret_error)?)
    }

    pub fn save_sealed(
        &self,
        data_dir: &Path,
        secret: &KioskSecret,
    ) -> Result<(), CredentialError> {
        let path = Self::path(data_dir);
        let tmp = path.with_extension("key.tmp");
        let sealed = secret.seal(Purpose::DeviceKey, FILE, &self.0.to_bytes());
        super::credential::write_private(&path, &tmp, sealed.as_bytes())
            .map_err(|source| CredentialError::Io { path, source })
    }
}

fn secret_error(e: crate::secret::SecretError) -> CredentialError {
    match e {
        crate::secret::SecretError::Io { path, source } => CredentialError::Io { path, source },
        crate::secret::SecretError::Damaged(path) => CredentialError::Damaged {
            path,
            message: "the kiosk secret is not 32 bytes".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_key_loads_the_same_and_stays_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert!(DeviceKey::load(dir.path()).unwrap().is_none());
        let key = DeviceKey::generate();
        key.save(dir.path()).unwrap();
        let back = DeviceKey::load(dir.path()).unwrap().unwrap();
        assert_eq!(back.public(), key.public());
        assert_eq!(back.sign("GET", "/x", 5), key.sign("GET", "/x", 5));
        let mode = std::fs::metadata(DeviceKey::path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode(key.0.to_bytes())));
    }

    #[test]
    fn a_key_on_disk_is_sealed_and_opens_on_no_other_kiosk() {
        let dir = tempfile::tempdir().unwrap();
        let here = crate::secret::KioskSecret::in_dir(&dir.path().join("here")).unwrap();
        let there = crate::secret::KioskSecret::in_dir(&dir.path().join("there")).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let key = DeviceKey::generate();
        // A key written in plain before sealing is sealed at its next load.
        std::fs::write(
            DeviceKey::path(&data),
            URL_SAFE_NO_PAD.encode(key.0.to_bytes()),
        )
        .unwrap();
        let back = DeviceKey::load_sealed(&data, &here).unwrap().unwrap();
        assert_eq!(back.public(), key.public());
        let on_disk = std::fs::read_to_string(DeviceKey::path(&data)).unwrap();
        assert!(crate::secret::is_sealed(&on_disk), "{on_disk}");
        assert!(!on_disk.contains(&URL_SAFE_NO_PAD.encode(key.0.to_bytes())));
        assert_eq!(
            DeviceKey::load_sealed(&data, &here)
                .unwrap()
                .unwrap()
                .public(),
            key.public()
        );
        let err = DeviceKey::load_sealed(&data, &there).unwrap_err();
        assert!(err.to_string().contains("another kiosk"), "{err}");
    }
}
