//! Photos: the JPEG is sealed with the kiosk secret (ChaCha20-Poly1305, bound to its hash)
//! and written to `photos/<sha256>.sealed`, flushed to disk first; then one transaction
//! records the case action, its outbox event, the audit row and the pending upload. A crash
//! between the two leaves an unreferenced file, never a reference to a missing one. A copy
//! of the data folder shows no face without the secret; a photo from before sealing
//! (`<sha256>.jpg`) is still read and uploaded.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::params;
use uuid::Uuid;

use super::{Actor, Result, Store, StoreError};
use crate::domain::{Action, Case};

fn io(e: std::io::Error) -> StoreError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        StoreError::DiskFull
    } else {
        StoreError::Io(e.to_string())
    }
}

/// Where a photo with this hash is kept, sealed.
pub fn photo_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("photos").join(format!("{sha256}.sealed"))
}

/// Where a photo written before sealing was kept, as plain JPEG.
fn plain_photo_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("photos").join(format!("{sha256}.jpg"))
}

/// The files of the photo with this hash that exist (sealed, or plain from before).
pub fn photo_files(data_dir: &Path, sha256: &str) -> Vec<PathBuf> {
    [
        photo_path(data_dir, sha256),
        plain_photo_path(data_dir, sha256),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect()
}

/// The JPEG of the photo with this hash: `None` when no file holds it, an error when the
/// file cannot be read or was sealed by another kiosk's secret (or changed).
pub fn read_photo(data_dir: &Path, sha256: &str) -> Result<Option<Vec<u8>>> {
    match std::fs::read(photo_path(data_dir, sha256)) {
        Ok(sealed) => {
            let secret = crate::secret::KioskSecret::kiosk()?;
            return secret
                .open_bytes(crate::secret::Purpose::Photo, sha256, &sealed)
                .map(Some)
                .ok_or_else(|| {
                    StoreError::Io(format!("photo {sha256} is sealed by another kiosk"))
                });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    match std::fs::read(plain_photo_path(data_dir, sha256)) {
        Ok(jpeg) => Ok(Some(jpeg)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(e)),
    }
}

/// Removes the photo with this hash (both kinds of file); one already gone is no error.
pub fn remove_photo(data_dir: &Path, sha256: &str) -> std::io::Result<()> {
    for path in [
        photo_path(data_dir, sha256),
        plain_photo_path(data_dir, sha256),
    ] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::Io("no folder".into()))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok(())
}

/// A photo written to the photo folder under its hash, not yet recorded on its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub sha256: String,
    pub bytes: u64,
}

/// Encodes a crop as JPEG and writes it durably under its hash: the slow half of keeping a
/// photo, which needs no database (the terminal runs it on its work thread).
pub fn write_photo(data_dir: &Path, crop: &image::RgbImage) -> Result<StoredPhoto> {
    let (jpeg, sha256) =
        crate::photo::encode_jpeg(crop).map_err(|e| StoreError::Io(e.to_string()))?;
    write_jpeg(data_dir, &sha256, &jpeg)?;
    Ok(StoredPhoto {
        sha256,
        bytes: jpeg.len() as u64,
    })
}

fn write_jpeg(data_dir: &Path, sha256: &str, jpeg: &[u8]) -> Result<()> {
    let secret = crate::secret::KioskSecret::kiosk()?;
    let sealed = secret.seal_bytes(crate::secret::Purpose::Photo, sha256, jpeg);
    write_durably(&photo_path(data_dir, sha256), &sealed)
}

impl Store {
    /// Keeps a photo for a case: `action` must be the case's `RecordPhoto` for `jpeg`.
    pub fn record_photo(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        data_dir: &Path,
        jpeg: &[u8],
        action: &Action,
    ) -> Result<Case> {
        let Action::RecordPhoto { sha256, .. } = action else {
            return Err(StoreError::Io("not a photo action".into()));
        };
        write_jpeg(data_dir, sha256, jpeg)?;
        let stored = StoredPhoto {
            sha256: sha256.clone(),
            bytes: jpeg.len() as u64,
        };
        self.record_written_photo(actor, case_id, &stored, action)
    }

    /// The booking of another case (not `except`) that holds the photo with this hash.
    pub fn case_with_photo(&self, sha256: &str, except: Uuid) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT booking FROM cases
                 WHERE json_extract(state, '$.photo.taken.sha256') = ?1 AND id <> ?2
                 LIMIT 1",
                params![sha256, except.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a photo already written by `write_photo`: the case action and the upload
    /// waiting for it, in one transaction.
    pub fn record_written_photo(
        &mut self,
        actor: &Actor,
        case_id: Uuid,
        stored: &StoredPhoto,
        action: &Action,
    ) -> Result<Case> {
        match action {
            Action::RecordPhoto { sha256, .. } if *sha256 == stored.sha256 => {}
            _ => return Err(StoreError::Io("not this photo's action".into())),
        }
        let (hash, now) = (stored.sha256.clone(), actor.now.to_rfc3339());
        let bytes = stored.bytes as i64;
        self.apply_with(
            actor,
            Some(case_id),
            action,
            super::Proven::Officer,
            |tx, case| {
                tx.execute(
                "INSERT INTO photos (sha256, case_id, bytes, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sha256) DO NOTHING",
                params![hash, case.id.to_string(), bytes, now],
            )?;
                Ok(())
            },
        )
    }

    /// Photos not yet uploaded to the central service.
    pub fn pending_photos(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM photos WHERE uploaded_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}
