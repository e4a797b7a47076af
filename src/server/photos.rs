//! Photos, addressed by SHA-256. `PUT` with `Content-Range: bytes a-b/total` appends a chunk
//! at offset `a` (a chunk at the wrong offset is refused with the right one in
//! `upload-offset`); `HEAD` tells how much has arrived. Once complete the bytes are checked
//! against the address; a mismatch is discarded. Sending a complete photo again changes
//! nothing.
//!
//! An upload belongs to the device that started it: another device can neither add to it nor
//! reset it until it has been idle for [`UPLOAD_EXPIRY_HOURS`], when it is deleted; `HEAD`
//! answers only for the asking device's own photos. A device holds at most
//! [`MAX_UNFINISHED`] bytes of unfinished uploads at a time, and completes at most
//! [`MAX_PHOTOS_PER_DAY`] photos a day.
//!
//! Chunks are kept apart until the last arrives (nothing stored is rewritten), each at
//! least [`MIN_CHUNK`] bytes but the last; the photo is then assembled once, checked against
//! its address, and kept only if it is what a counter takes: a JPEG of the passport size
//! (413×531), at most [`MAX_PHOTO`] bytes. A complete photo no case names is removed after
//! a day.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{Device, sha256_hex};
use super::repo::photos as repo;
use super::{ApiError, AppState, Result};
use crate::protocol::ErrorCode;

pub const OFFSET: &str = "upload-offset";
pub const COMPLETE: &str = "upload-complete";
/// The largest photo: a passport photo as a counter encodes it is about 100 KB.
pub const MAX_PHOTO: i64 = 1024 * 1024;
/// The smallest chunk but an upload's last (the counter sends 64 KiB chunks).
pub const MIN_CHUNK: usize = crate::protocol::PHOTO_CHUNK;
/// Bytes of unfinished uploads one device may hold at once (a few full-size photos).
pub const MAX_UNFINISHED: i64 = 4 * MAX_PHOTO;
/// Photos one device may complete in a day (a counter serves well under a hundred).
pub const MAX_PHOTOS_PER_DAY: i64 = 500;

/// Why `data` is not a passport photo as a counter takes it, if it is not: a JPEG of
/// 413×531 (read from its header; nothing else is decoded).
fn not_a_passport_photo(data: &[u8]) -> Option<String> {
    let reader = image::ImageReader::new(std::io::Cursor::new(data))
        .with_guessed_format()
        .ok()?;
    if reader.format() != Some(image::ImageFormat::Jpeg) {
        return Some("the photo is not a JPEG".into());
    }
    let (w, h) = match reader.into_dimensions() {
        Ok(d) => d,
        Err(e) => return Some(format!("the JPEG cannot be read: {e}")),
    };
    let want = (crate::photo::OUT_W, crate::photo::OUT_H);
    ((w, h) != want).then(|| {
        format!(
            "the photo is {w}×{h}; a passport photo is {}×{}",
            want.0, want.1
        )
    })
}
/// An unfinished upload idle this long is deleted; its device starts again.
pub const UPLOAD_EXPIRY_HOURS: i32 = 24;

/// Deletes unfinished uploads idle for [`UPLOAD_EXPIRY_HOURS`]; returns how many.
pub async fn expire(client: &tokio_postgres::Client) -> Result<u64> {
    repo::expire(client, UPLOAD_EXPIRY_HOURS).await
}

fn valid_hash(sha: &str) -> Result<()> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(ApiError::bad(
            "a photo is addressed by its lowercase hex SHA-256",
        ))
    }
}

fn progress(status: StatusCode, offset: i64, complete: bool) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    h.insert(OFFSET, HeaderValue::from(offset));
    h.insert(
        COMPLETE,
        HeaderValue::from_static(if complete { "true" } else { "false" }),
    );
    r
}

#[utoipa::path(head, path = "/photos/{sha256}", tag = "photos", security(("device" = [])),
    params(("sha256" = String, Path, description = "The photo's SHA-256, 64 hex digits")),
    responses(
        (status = 200, description = "How much of this device's upload has arrived (`upload-offset`, `upload-complete`)"),
        (status = 401, description = "No valid device credential"),
        (status = 404, description = "This device holds no such photo (another device's is never told)"),
    ))]
pub async fn head(
    State(state): State<AppState>,
    device: Device,
    Path(sha): Path<String>,
) -> Result<Response> {
    valid_hash(&sha)?;
    let client = state.pool.get().await?;
    // Another device's photo is answered as absent: HEAD tells nobody what others hold.
    Ok(match repo::progress_of(&**client, &sha, device.id).await? {
        Some((have, complete)) => progress(StatusCode::OK, have, complete),
        None => progress(StatusCode::NOT_FOUND, 0, false),
    })
}

/// `bytes a-b/total` → (a, total); no header means the whole photo in one piece.
fn range(headers: &HeaderMap, len: usize) -> Result<(i64, i64)> {
    let Some(v) = headers.get(axum::http::header::CONTENT_RANGE) else {
        return Ok((0, len as i64));
    };
    let text = v.to_str().map_err(|_| ApiError::bad("bad Content-Range"))?;
    let parse = || -> Option<(i64, i64, i64)> {
        let rest = text.strip_prefix("bytes ")?;
        let (span, total) = rest.split_once('/')?;
        let (a, b) = span.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()?, total.parse().ok()?))
    };
    let (a, b, total) = parse().ok_or_else(|| ApiError::bad("bad Content-Range"))?;
    if b - a + 1 != len as i64 || b >= total {
        return Err(ApiError::bad("Content-Range does not match the body"));
    }
    if total > MAX_PHOTO {
        return Err(ApiError::bad(format!(
            "a photo is at most {MAX_PHOTO} bytes"
        )));
    }
    if len < MIN_CHUNK && b + 1 != total {
        return Err(ApiError::bad(format!(
            "a chunk is at least {MIN_CHUNK} bytes, but the last"
        )));
    }
    Ok((a, total))
}

/// `GET` answers as `HEAD` does (for clients and proxies that cannot send `HEAD`).
#[utoipa::path(get, path = "/photos/{sha256}", tag = "photos", security(("device" = [])),
    params(("sha256" = String, Path, description = "The photo's SHA-256, 64 hex digits")),
    responses(
        (status = 200, description = "As HEAD: how much of this device's upload has arrived"),
        (status = 401, description = "No valid device credential"),
        (status = 404, description = "This device holds no such photo"),
    ))]
pub async fn get(state: State<AppState>, device: Device, sha: Path<String>) -> Result<Response> {
    head(state, device, sha).await
}

#[utoipa::path(put, path = "/photos/{sha256}", tag = "photos", security(("device" = [])),
    params(
        ("sha256" = String, Path, description = "The photo's SHA-256, 64 hex digits"),
        ("content-range" = String, Header, description = "bytes a-b/total of this chunk"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "One chunk of the photo"),
    responses(
        (status = 200, description = "Chunk stored; `upload-offset` says how much has arrived"),
        (status = 400, description = "Bad address or range, a photo over 1 MiB, or a chunk under 64 KiB that is not the last", body = crate::protocol::ErrorBody),
        (status = 401, description = "No valid device credential", body = crate::protocol::ErrorBody),
        (status = 409, description = "Wrong offset (the right one in `upload-offset`), or another device's upload", body = crate::protocol::ErrorBody),
        (status = 422, description = "Complete, but its bytes do not match the address (`digest`), or are not a JPEG passport photo of 413×531 (`invalid`); discarded", body = crate::protocol::ErrorBody),
        (status = 429, description = "Over the device's unfinished bytes or its photos of the day", body = crate::protocol::ErrorBody),
    ))]
pub async fn put(
    State(state): State<AppState>,
    device: Device,
    Path(sha): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    valid_hash(&sha)?;
    let (start, total) = range(&headers, body.len())?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let held = repo::unfinished_bytes(&*tx, device.id, &sha).await?;
    let begun = repo::begin(&*tx, &sha, total, device.id).await?;
    let repo::Upload {
        have,
        complete,
        size,
        owner,
        stale,
    } = repo::lock(&*tx, &sha, UPLOAD_EXPIRY_HOURS).await?;
    if complete {
        return Ok(progress(StatusCode::OK, have, true));
    }
    if begun && repo::completed_today(&*tx, device.id).await? >= MAX_PHOTOS_PER_DAY {
        return Err(ApiError::Client(
            ErrorCode::TooMany,
            format!(
                "this device completed {MAX_PHOTOS_PER_DAY} photos today; no more until tomorrow"
            ),
        ));
    }
    if begun && held + total > MAX_UNFINISHED {
        return Err(ApiError::Client(
            ErrorCode::TooMany,
            format!(
                "this device already holds {held} bytes of unfinished uploads; finish them first"
            ),
        ));
    }
    if owner != Some(device.id) {
        if !stale {
            return Err(ApiError::Client(
                ErrorCode::Forbidden,
                "another device is uploading this photo".into(),
            ));
        }
        // The other device's upload lay idle past its expiry: this one starts it afresh.
        repo::take_over(&*tx, &sha, device.id, total).await?;
        tx.commit().await?;
        return Ok(progress(StatusCode::CONFLICT, 0, false));
    }
    if size != total {
        // A different size than the upload began with: start over with this one.
        repo::restart(&*tx, &sha, total).await?;
        tx.commit().await?;
        return Ok(progress(StatusCode::CONFLICT, 0, false));
    }
    if start != have {
        tx.commit().await?;
        return Ok(progress(StatusCode::CONFLICT, have, false));
    }
    let now = have + body.len() as i64;
    let Some(data) = repo::append(&*tx, &sha, start, &body).await? else {
        tx.commit().await?;
        return Ok(progress(StatusCode::ACCEPTED, now, false));
    };
    if sha256_hex(&data) != sha {
        repo::discard(&*tx, &sha).await?;
        tx.commit().await?;
        return Err(ApiError::Client(
            ErrorCode::Digest,
            "the photo's bytes do not match its SHA-256; send it again".into(),
        ));
    }
    if let Some(why) = not_a_passport_photo(&data) {
        repo::discard(&*tx, &sha).await?;
        tx.commit().await?;
        return Err(ApiError::Client(
            ErrorCode::Invalid,
            format!("{why}: pusat keeps passport photos only"),
        ));
    }
    repo::complete(&*tx, &sha, &data).await?;
    tx.commit().await?;
    state.metrics.photo(total as u64);
    Ok(progress(StatusCode::CREATED, total, true))
}
