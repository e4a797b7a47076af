//! The kiosk's own secret: 32 random bytes made on the kiosk, kept outside the data folder,
//! never sent anywhere. What it seals in the data folder — the officers' PIN hashes in the
//! database and the kiosk's signing key (`device.key`) — is of no use anywhere else: a
//! copied data folder or a stolen backup gives neither an offline search of the PINs nor a
//! kiosk that pusat accepts.
//!
//! Where it lives: `$LOKET_SECRET_DIR` (the packaged service: `/etc/loket/secret`, made by
//! the package), else `$XDG_CONFIG_HOME/loket`, else `~/.config/loket`; the file
//! `kiosk.secret`, mode 0600 in a 0700 folder, made on first use when missing.
//!
//! Sealing is ChaCha20-Poly1305 with a key derived for each purpose (HKDF-SHA256, the
//! RustCrypto `hkdf` crate), a random nonce per seal and what the sealed value belongs to (an
//! officer's username) as associated data, so a sealed value moved to another row does not
//! open either. What loket 0.2 sealed with its first derivation (SHA-256 of the secret and
//! the purpose) still opens, and is sealed again the new way when next written; a database
//! keyed the first way is rekeyed the first time a terminal opens it.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

pub const FILE: &str = "kiosk.secret";
/// The environment variable that names the folder.
pub const DIR_ENV: &str = "LOKET_SECRET_DIR";
/// What a sealed value starts with.
const SEALED: &str = "sealed2:";
/// What a value sealed with the first derivation (loket 0.2) starts with.
const SEALED_V1: &str = "sealed1:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "rahasia kiosk {path} tidak dapat dibaca atau dibuat: {source} / the kiosk secret cannot be read or made"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "rahasia kiosk {0} rusak (bukan 32 bita); pulihkan dari cadangan teknisi atau daftarkan ulang kiosk / the kiosk secret is damaged"
    )]
    Damaged(PathBuf),
}

/// The secret itself; never in `Debug` output.
#[derive(Clone)]
pub struct KioskSecret([u8; 32]);

impl std::fmt::Debug for KioskSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KioskSecret(..)")
    }
}

/// What a secret seals; each has its own key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    PinHash,
    DeviceKey,
    /// The key of the database file (SQLCipher), see [`crate::store::cipher`].
    Database,
    /// A photo waiting in the data folder to be uploaded.
    Photo,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::PinHash => b"loket pin hash v1",
            Purpose::DeviceKey => b"loket device key v1",
            Purpose::Database => b"loket database key v1",
            Purpose::Photo => b"loket photo v1",
        }
    }
}

/// Which derivation of the purpose keys: HKDF now, the first one to open what loket 0.2
/// sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Derivation {
    Hkdf,
    First,
}

/// The folder the kiosk's secret is kept in (see the module's documentation).
/// Writes `path` whole, readable by its owner only (0600, whatever the umask), through a
/// temporary file beside it, so a reader never sees half: reports, exports and the like
/// carry applicants' names and numbers.
pub fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("loket");
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".config/loket")
}

/// Whether `text` is a sealed value (else it predates sealing).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(SEALED) || text.starts_with(SEALED_V1)
}

impl KioskSecret {
    /// This kiosk's secret, made when there is none yet.
    pub fn kiosk() -> Result<KioskSecret, SecretError> {
        KioskSecret::in_dir(&dir())
    }

    /// The secret kept in `dir`, made when there is none yet. Two processes making it at
    /// once agree on one: the file appears whole (a hard link of a written file) or not at
    /// all, and the loser reads the winner's.
    pub fn in_dir(dir: &Path) -> Result<KioskSecret, SecretError> {
        let path = dir.join(FILE);
        let io = |source| SecretError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => return Self::from_bytes(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        std::fs::create_dir_all(dir).map_err(io)?;
        private(dir, 0o700).map_err(io)?;
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        let tmp = dir.join(format!(".{FILE}.{:016x}", rand::random::<u64>()));
        write_private(&tmp, &secret).map_err(io)?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(KioskSecret(secret)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes = std::fs::read(&path).map_err(io)?;
                Self::from_bytes(&path, &bytes)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_bytes(path: &Path, bytes: &[u8]) -> Result<KioskSecret, SecretError> {
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretError::Damaged(path.to_path_buf()))?;
        Ok(KioskSecret(secret))
    }

    /// The key of `purpose`: each purpose its own, none revealing the secret or another.
    fn derive(&self, purpose: Purpose, how: Derivation) -> zeroize::Zeroizing<[u8; 32]> {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        match how {
            Derivation::Hkdf => {
                // 32 bytes is far below HKDF-SHA256's limit (255 × 32): this cannot fail.
                let _ = hkdf::Hkdf::<Sha256>::new(Some(b"loket kiosk secret"), &self.0)
                    .expand(purpose.label(), key.as_mut());
            }
            Derivation::First => {
                let mut h = Sha256::new();
                h.update(self.0);
                h.update(purpose.label());
                key.copy_from_slice(&h.finalize());
            }
        }
        key
    }

    fn cipher(&self, purpose: Purpose, how: Derivation) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(self.derive(purpose, how).as_ref()))
    }

    /// The database file's raw key in SQLCipher's notation (`x'…'`, 64 hex digits): a
    /// raw key skips SQLCipher's passphrase stretching, which a random 256-bit key does not
    /// need, so opening the database stays instant.
    pub fn database_key(&self) -> zeroize::Zeroizing<String> {
        self.database_key_of(Derivation::Hkdf)
    }

    /// The key loket 0.2 gave the database: a database still keyed so is rekeyed when a
    /// terminal opens it ([`crate::store::cipher`]).
    pub fn first_database_key(&self) -> zeroize::Zeroizing<String> {
        self.database_key_of(Derivation::First)
    }

    fn database_key_of(&self, how: Derivation) -> zeroize::Zeroizing<String> {
        use std::fmt::Write;
        let mut out = zeroize::Zeroizing::new(String::with_capacity(67));
        out.push_str("x'");
        for b in self.derive(Purpose::Database, how).iter() {
            let _ = write!(out, "{b:02X}");
        }
        out.push('\'');
        out
    }

    /// `plain` sealed for `purpose`, bound to `owner` (e.g. a username): text to store.
    pub fn seal(&self, purpose: Purpose, owner: &str, plain: &[u8]) -> String {
        format!(
            "{SEALED}{}",
            URL_SAFE_NO_PAD.encode(self.seal_bytes(purpose, owner, plain))
        )
    }

    /// As [`KioskSecret::seal`], as bytes (the nonce, then the ciphertext with its tag).
    pub fn seal_bytes(&self, purpose: Purpose, owner: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
        let payload = Payload {
            msg: plain,
            aad: owner.as_bytes(),
        };
        // Encryption into a Vec fails only past ChaCha20's 256 GiB per message.
        let sealed = self
            .cipher(purpose, Derivation::Hkdf)
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    /// What [`KioskSecret::seal`] sealed; `None` when it was sealed by another kiosk's
    /// secret, for another owner or purpose, or was changed.
    pub fn open(&self, purpose: Purpose, owner: &str, sealed: &str) -> Option<Vec<u8>> {
        let (body, how) = match sealed.strip_prefix(SEALED) {
            Some(body) => (body, Derivation::Hkdf),
            None => (sealed.strip_prefix(SEALED_V1)?, Derivation::First),
        };
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        self.open_with(purpose, owner, &bytes, how)
    }

    /// What [`KioskSecret::seal_bytes`] sealed (see [`KioskSecret::open`]), or loket 0.2
    /// sealed (the authentication tag tells which key opens it).
    pub fn open_bytes(&self, purpose: Purpose, owner: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        self.open_with(purpose, owner, bytes, Derivation::Hkdf)
            .or_else(|| self.open_with(purpose, owner, bytes, Derivation::First))
    }

    /// Whether `sealed` was sealed the way loket 0.2 did (to be sealed again).
    pub fn sealed_the_first_way(sealed: &str) -> bool {
        sealed.starts_with(SEALED_V1)
    }

    fn open_with(
        &self,
        purpose: Purpose,
        owner: &str,
        bytes: &[u8],
        how: Derivation,
    ) -> Option<Vec<u8>> {
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let payload = Payload {
            msg: body,
            aad: owner.as_bytes(),
        };
        self.cipher(purpose, how)
            .decrypt(Nonce::from_slice(nonce), payload)
            .ok()
    }
}

fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_and_exports_are_the_owner_s_alone_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("antrean.csv");
        // A file left readable by everyone (a report written before this rule) too.
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_owner_only(&path, b"KODE,NAMA\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"KODE,NAMA\n");
    }

    #[test]
    fn what_loket_0_2_sealed_still_opens_and_new_seals_use_hkdf() {
        let secret = KioskSecret([7u8; 32]);
        // Sealed as loket 0.2 did: its first derivation, its prefix.
        let nonce = [1u8; 12];
        let old = secret
            .cipher(Purpose::PinHash, Derivation::First)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: b"hash",
                    aad: b"petugas1",
                },
            )
            .unwrap();
        let mut bytes = nonce.to_vec();
        bytes.extend(old);
        let text = format!("{SEALED_V1}{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert!(is_sealed(&text) && KioskSecret::sealed_the_first_way(&text));
        assert_eq!(
            secret.open(Purpose::PinHash, "petugas1", &text).unwrap(),
            b"hash"
        );
        assert_eq!(
            secret
                .open_bytes(Purpose::PinHash, "petugas1", &bytes)
                .unwrap(),
            b"hash"
        );
        let new = secret.seal(Purpose::PinHash, "petugas1", b"hash");
        assert!(new.starts_with(SEALED) && !KioskSecret::sealed_the_first_way(&new));
        // The two derivations give different keys; HKDF's is what seals now.
        assert_ne!(
            *secret.derive(Purpose::PinHash, Derivation::Hkdf),
            *secret.derive(Purpose::PinHash, Derivation::First)
        );
        let hkdf_bytes = URL_SAFE_NO_PAD.decode(&new[SEALED.len()..]).unwrap();
        assert!(
            secret
                .open_with(Purpose::PinHash, "petugas1", &hkdf_bytes, Derivation::First)
                .is_none()
        );
        assert_ne!(secret.database_key(), secret.first_database_key());
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_secret_owner_and_purpose() {
        let here = tempfile::tempdir().unwrap();
        let there = tempfile::tempdir().unwrap();
        let a = KioskSecret::in_dir(here.path()).unwrap();
        let again = KioskSecret::in_dir(here.path()).unwrap();
        let b = KioskSecret::in_dir(there.path()).unwrap();
        let sealed = a.seal(Purpose::PinHash, "petugas1", b"$argon2id$v=19$...");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("argon2"));
        assert_eq!(
            again.open(Purpose::PinHash, "petugas1", &sealed).as_deref(),
            Some(&b"$argon2id$v=19$..."[..]),
            "the same kiosk reads its secret back"
        );
        assert_eq!(b.open(Purpose::PinHash, "petugas1", &sealed), None);
        assert_eq!(a.open(Purpose::PinHash, "supervisor1", &sealed), None);
        assert_eq!(a.open(Purpose::DeviceKey, "petugas1", &sealed), None);
        assert_eq!(
            a.open(Purpose::PinHash, "petugas1", "$argon2id$v=19$..."),
            None
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(a.open(Purpose::PinHash, "petugas1", &tampered), None);
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.0)));
    }

    #[test]
    fn the_secret_file_is_the_kiosk_s_alone_and_a_damaged_one_is_said() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("secret");
        KioskSecret::in_dir(&folder).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join(FILE)), 0o600);
        std::fs::write(folder.join(FILE), b"short").unwrap();
        let err = KioskSecret::in_dir(&folder).unwrap_err();
        assert!(err.to_string().contains("rusak"), "{err}");
    }

    #[test]
    fn processes_making_the_secret_at_once_agree_on_one() {
        let dir = tempfile::tempdir().unwrap();
        let made: Vec<KioskSecret> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| KioskSecret::in_dir(dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(made.iter().all(|k| k.0 == made[0].0));
    }
}
