//! The kiosk's own key, made at enrollment. pusat keeps the public half with the device, and
//! every request carries a signature over its method, path and time, so a copied
//! `credential.json` alone cannot act as the kiosk.
//!
//! Where the kiosk has a TPM, the key lives there ([`super::tpm`], ECDSA P-256): `device.key`
//! then keeps only the TPM's wrapped blob, which no other machine can use. Otherwise it is an
//! Ed25519 key kept in `device.key` (mode 0600). Either way the file is sealed with the
//! kiosk's secret ([`crate::secret`], kept outside the data folder), the private half never
//! leaves the kiosk, and it never appears in `Debug` output.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};

use super::CredentialError;
use super::tpm::TpmKey;
use crate::secret::{KioskSecret, Purpose};

pub const FILE: &str = "device.key";
/// What a sealed `device.key` starts with when the key lives in a TPM.
const TPM_MARK: &[u8] = b"tpm1\n";

#[derive(Clone)]
pub enum DeviceKey {
    /// Ed25519, kept in the data folder.
    File(SigningKey),
    /// ECDSA P-256, held by the kiosk's TPM.
    Tpm(TpmKey),
}

/// Where a kiosk's key is kept, for the technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStore {
    File,
    Tpm,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceKey::File(_) => f
                .debug_struct("DeviceKey")
                .field("public", &self.public())
                .finish_non_exhaustive(),
            DeviceKey::Tpm(key) => f.debug_tuple("DeviceKey").field(key).finish(),
        }
    }
}

impl DeviceKey {
    /// A new Ed25519 key, for a kiosk without a TPM.
    pub fn generate() -> DeviceKey {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rng(), secret.as_mut());
        DeviceKey::File(SigningKey::from_bytes(&secret))
    }

    /// A new key in the TPM reached at `tcti` (see [`super::tpm::configured`]).
    pub fn generate_in_tpm(tcti: &str) -> Result<DeviceKey, CredentialError> {
        TpmKey::create(tcti).map(DeviceKey::Tpm).map_err(tpm_error)
    }

    /// The key for a new enrollment: in the kiosk's TPM when it has one, else in a file.
    /// A TPM that is there but fails is an error, not a quiet fall back to a file: the
    /// technician decides (`LOKET_TPM=off` enrolls with a file key).
    pub fn for_enrollment() -> Result<DeviceKey, CredentialError> {
        match super::tpm::configured() {
            Some(tcti) => Self::generate_in_tpm(&tcti),
            None => Ok(Self::generate()),
        }
    }

    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    pub fn store(&self) -> KeyStore {
        match self {
            DeviceKey::File(_) => KeyStore::File,
            DeviceKey::Tpm(_) => KeyStore::Tpm,
        }
    }

    /// The public half, as pusat keeps it: base64url Ed25519, or `p256:` and the point.
    pub fn public(&self) -> String {
        match self {
            DeviceKey::File(key) => URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            DeviceKey::Tpm(key) => key.public().to_owned(),
        }
    }

    /// The signature of one request with `body` (see [`crate::protocol::request_message`]),
    /// base64url.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        time: i64,
        nonce: &str,
        body: &[u8],
    ) -> Result<String, CredentialError> {
        let hash = crate::protocol::body_sha256(body);
        let message = crate::protocol::request_message(method, path, time, nonce, &hash);
        let signature = match self {
            DeviceKey::File(key) => key.sign(message.as_bytes()).to_bytes(),
            DeviceKey::Tpm(key) => key.sign(message.as_bytes()).map_err(tpm_error)?,
        };
        Ok(URL_SAFE_NO_PAD.encode(signature))
    }

    /// The kiosk's key, `None` when it has none (enrolled before keys existed).
    pub fn load(data_dir: &Path) -> Result<Option<DeviceKey>, CredentialError> {
        Self::load_sealed(data_dir, &KioskSecret::kiosk().map_err(secret_error)?)
    }

    /// As [`DeviceKey::load`], opened with `secret`. A key kept in plain (written before
    /// sealing) is sealed in place. A TPM key is opened in the TPM its file names, or the one
    /// `$LOKET_TPM` names when set.
    pub fn load_sealed(
        data_dir: &Path,
        secret: &KioskSecret,
    ) -> Result<Option<DeviceKey>, CredentialError> {
        let tcti = std::env::var(super::tpm::ENV)
            .ok()
            .filter(|t| !t.trim().is_empty() && !t.eq_ignore_ascii_case("off"));
        Self::load_from(data_dir, secret, tcti.as_deref())
    }

    /// As [`DeviceKey::load_sealed`], a TPM key opened in the TPM at `tcti` when given.
    pub fn load_from(
        data_dir: &Path,
        secret: &KioskSecret,
        tcti: Option<&str>,
    ) -> Result<Option<DeviceKey>, CredentialError> {
        let Some((bytes, was_sealed)) = Self::unseal(data_dir, secret)? else {
            return Ok(None);
        };
        if let Some(stored) = bytes.strip_prefix(TPM_MARK) {
            return TpmKey::open(stored, tcti)
                .map(|k| Some(DeviceKey::Tpm(k)))
                .map_err(tpm_error);
        }
        let secret_key: [u8; 32] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| CredentialError::Damaged {
                    path: Self::path(data_dir),
                    message: "not a 32-byte key".into(),
                })?;
        let key = DeviceKey::File(SigningKey::from_bytes(&secret_key));
        if !was_sealed {
            key.save_sealed(data_dir, secret)?;
        }
        Ok(Some(key))
    }

    /// Where the key in `data_dir` is kept, read with `secret` without using the TPM:
    /// `None` when there is no key.
    pub fn kept_in(
        data_dir: &Path,
        secret: &KioskSecret,
    ) -> Result<Option<KeyStore>, CredentialError> {
        Ok(Self::unseal(data_dir, secret)?.map(|(bytes, _)| {
            if bytes.starts_with(TPM_MARK) {
                KeyStore::Tpm
            } else {
                KeyStore::File
            }
        }))
    }

    /// The file's content opened with `secret`, and whether it was sealed.
    #[allow(clippy::type_complexity)]
    fn unseal(
        data_dir: &Path,
        secret: &KioskSecret,
    ) -> Result<Option<(zeroize::Zeroizing<Vec<u8>>, bool)>, CredentialError> {
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
        let sealed = crate::secret::is_sealed(text);
        let bytes = zeroize::Zeroizing::new(if sealed {
            secret
                .open(Purpose::DeviceKey, FILE, text)
                .ok_or_else(|| damaged("sealed by another kiosk's secret (copied here?)"))?
        } else {
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| damaged("not base64url"))?
        });
        Ok(Some((bytes, sealed)))
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
        let plain = zeroize::Zeroizing::new(match self {
            DeviceKey::File(key) => key.to_bytes().to_vec(),
            DeviceKey::Tpm(key) => [TPM_MARK, key.stored()].concat(),
        });
        let sealed = secret.seal(Purpose::DeviceKey, FILE, &plain);
        super::credential::write_private(&path, &tmp, sealed.as_bytes())
            .map_err(|source| CredentialError::Io { path, source })
    }
}

fn tpm_error(e: super::tpm::TpmError) -> CredentialError {
    CredentialError::Tpm(e.to_string())
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
        assert_eq!(
            back.sign("GET", "/x", 5, "n0nce-n0nce-n0nce-n0nce", b"")
                .unwrap(),
            key.sign("GET", "/x", 5, "n0nce-n0nce-n0nce-n0nce", b"")
                .unwrap()
        );
        let mode = std::fs::metadata(DeviceKey::path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let DeviceKey::File(secret) = &key else {
            panic!()
        };
        assert!(!format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode(secret.to_bytes())));
    }

    #[test]
    fn a_key_on_disk_is_sealed_and_opens_on_no_other_kiosk() {
        let dir = tempfile::tempdir().unwrap();
        let here = crate::secret::KioskSecret::in_dir(&dir.path().join("here")).unwrap();
        let there = crate::secret::KioskSecret::in_dir(&dir.path().join("there")).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let key = DeviceKey::generate();
        let DeviceKey::File(secret) = &key else {
            panic!()
        };
        // A key written in plain before sealing is sealed at its next load.
        std::fs::write(
            DeviceKey::path(&data),
            URL_SAFE_NO_PAD.encode(secret.to_bytes()),
        )
        .unwrap();
        let back = DeviceKey::load_sealed(&data, &here).unwrap().unwrap();
        assert_eq!(back.public(), key.public());
        let on_disk = std::fs::read_to_string(DeviceKey::path(&data)).unwrap();
        assert!(crate::secret::is_sealed(&on_disk), "{on_disk}");
        assert!(!on_disk.contains(&URL_SAFE_NO_PAD.encode(secret.to_bytes())));
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
