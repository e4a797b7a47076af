//! Device credentials: a one-time enrollment code is exchanged for a random token; the
//! server keeps only SHA-256 hashes of both. Every counter request names its token in
//! `Authorization: Bearer`, checked by the [`Device`] extractor.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ApiError, AppState, Result, repo};
use crate::protocol::{EnrollRequest, EnrollResponse, ErrorCode, OfficeInfo, RenewResponse};

/// How long a device credential is valid before the counter must be enrolled again.
pub const CREDENTIAL_DAYS: i64 = 365;

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub use crate::domain::format::sha256_hex;

/// An enrollment code as typed: Crockford letters, dashes and spaces ignored, any case.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// A new enrollment code: 60 random bits in Crockford base 32, as `XXXX-XXXX-XXXX`.
pub fn new_enroll_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[(*b & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "lkd_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The counter a request comes from.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: Uuid,
    pub office: String,
    pub counter: i32,
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// How long a renewal's retired token is merely refused (another process of the same kiosk
/// may not have picked up the new one yet) before presenting it revokes the device.
pub const RETIRED_GRACE_MINUTES: i64 = 60;
/// The longest a device may go on renewing without enrolling again.
pub const MAX_LIFETIME_DAYS: i64 = 3 * 365;

/// What an enrolled device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Counter,
    /// A waiting-room display: reads the office's calls and nothing else.
    Display,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "counter" => Some(Role::Counter),
            "display" => Some(Role::Display),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Counter => "counter",
            Role::Display => "display",
        }
    }
}

/// A device that reads the office's feed: a counter, or a display (which reads the calls
/// only; see `feed::pull`).
#[derive(Debug, Clone)]
pub struct Reader {
    pub id: Uuid,
    pub office: String,
    pub role: Role,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Reader> {
        let (device, role) = authenticate(parts, state).await?;
        Ok(Reader {
            id: device.id,
            office: device.office,
            role,
        })
    }
}

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiError;

    /// A counter; a display's credential is refused here (it may only read calls).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Device> {
        match authenticate(parts, state).await? {
            (device, Role::Counter) => Ok(device),
            (_, Role::Display) => Err(ApiError::Client(
                ErrorCode::Forbidden,
                "a display's credential may only read the office's calls".into(),
            )),
        }
    }
}

/// A device as pusat last read it, with when.
#[derive(Clone)]
pub struct KnownDevice {
    pub device: Device,
    pub role: Role,
    pub public_key: Option<String>,
    pub expires: DateTime<Utc>,
}

/// The devices this pusat checked lately, so a busy counter's requests (fifty counters
/// pressing F6 at once) do not each read `devices` again. Sound because every change to a
/// device row but its `last_seen` is announced by PostgreSQL at commit (the
/// `device_changed` trigger, migration 8), whoever made it, and the listener (see
/// `db::spawn_listener`) forgets that device here as it arrives. While the listener is not
/// connected nothing is kept, so a revocation is never missed; an entry is in any case
/// read again after [`DeviceCache::KEEP`]. What the cache holds is public (ids, office,
/// public key, expiry): a request must still prove its token and, with a key, its
/// signature.
#[derive(Default)]
pub struct DeviceCache {
    listening: std::sync::atomic::AtomicBool,
    /// Counts what was forgotten: a row read before a change was heard is not kept after
    /// it (see [`DeviceCache::keep`]).
    forgotten: std::sync::atomic::AtomicU64,
    known: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, KnownDevice)>>,
}

impl DeviceCache {
    /// How long an entry is used before the row is read again: a bound for the rare case
    /// of a listener whose connection died unnoticed, not the way changes are learnt. A
    /// counter's long poll comes every 20 s, so at 30 s most of its requests (a call among
    /// them) are answered without a read of `devices`.
    pub const KEEP: std::time::Duration = std::time::Duration::from_secs(30);
    /// At most this many entries (a country's counters of one pusat fit many times over).
    const MAX: usize = 20_000;

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, (std::time::Instant, KnownDevice)>,
    > {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, token_hash: &str) -> Option<KnownDevice> {
        if !self.listening.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        let known = self.lock();
        let (at, device) = known.get(token_hash)?;
        (at.elapsed() < Self::KEEP).then(|| device.clone())
    }

    /// To call before reading a device row that may then be kept.
    fn before_reading(&self) -> u64 {
        self.forgotten.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Keeps `device` as read after [`DeviceCache::before_reading`] returned `read_after`;
    /// unless something was forgotten since (the row read may be older than that change).
    fn keep(&self, token_hash: String, device: KnownDevice, read_after: u64) {
        if !self.listening.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut known = self.lock();
        if self.forgotten.load(std::sync::atomic::Ordering::Acquire) != read_after {
            return;
        }
        if known.len() >= Self::MAX {
            known.retain(|_, (at, _)| at.elapsed() < Self::KEEP);
            if known.len() >= Self::MAX {
                known.clear();
            }
        }
        known.insert(token_hash, (std::time::Instant::now(), device));
    }

    /// A device changed: its next request reads it again.
    pub fn forget(&self, device: Uuid) {
        let mut known = self.lock();
        self.forgotten
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        known.retain(|_, (_, d)| d.device.id != device);
    }

    /// Forgets every device.
    pub fn forget_all(&self) {
        let mut known = self.lock();
        self.forgotten
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        known.clear();
    }

    /// Whether changes are being heard. Either way everything is forgotten: changes may
    /// have been missed while nobody listened, by rows read then as much as by entries.
    pub fn listening(&self, on: bool) {
        self.listening
            .store(on, std::sync::atomic::Ordering::Release);
        self.forget_all();
    }
}

/// How stale `devices.last_seen` may be: the board warns of a counter unseen for five
/// minutes, so a minute is fine; a cold request then seldom writes the row.
const SEEN_EVERY_SECONDS: f64 = 60.0;

/// The device a request was authenticated as, kept with the request: the body check and
/// the handler both ask, and the request's nonce is taken once.
#[derive(Clone)]
struct Authenticated(Device, Role);

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<(Device, Role)> {
    if let Some(Authenticated(device, role)) = parts.extensions.get::<Authenticated>() {
        return Ok((device.clone(), *role));
    }
    let (device, role) = authenticate_request(parts, state).await?;
    parts.extensions.insert(Authenticated(device.clone(), role));
    Ok((device, role))
}

async fn authenticate_request(parts: &mut Parts, state: &AppState) -> Result<(Device, Role)> {
    {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Client(ErrorCode::Unauthorized, "no device credential".into())
        })?;
        let hash = sha256_hex(token.as_bytes());
        if let Some(known) = state.devices.get(&hash) {
            // Checked lately, and unchanged since (see `DeviceCache`): only what depends on
            // this request or on the clock is checked again.
            if known.expires <= Utc::now() {
                return Err(ApiError::Client(
                    ErrorCode::Expired,
                    "this device's credential has expired".into(),
                ));
            }
            if let Some(key) = &known.public_key {
                let nonce = verify_signature(parts, key)?;
                once(state, &parts.method, known.device.id, &nonce).await?;
            }
            return Ok((known.device, known.role));
        }
        let read_after = state.devices.before_reading();
        let client = state.pool.get().await?;
        let Some(row) = repo::devices::holder(&**client, &hash, SEEN_EVERY_SECONDS).await? else {
            return Err(retired(&client, &hash, &state.devices).await?);
        };
        if row.revoked_at.is_some() {
            return Err(ApiError::Client(
                ErrorCode::Revoked,
                "this device was revoked".into(),
            ));
        }
        let expires = row.expires_at;
        if expires <= Utc::now() {
            return Err(ApiError::Client(
                ErrorCode::Expired,
                "this device's credential has expired".into(),
            ));
        }
        let public_key = row.public_key;
        match &public_key {
            Some(key) => {
                let nonce = verify_signature(parts, key)?;
                once(state, &parts.method, row.id, &nonce).await?;
            }
            // Enrolled before a key was required: its token alone is not enough.
            None => {
                return Err(ApiError::Client(
                    ErrorCode::Unauthorized,
                    "this device was enrolled without a key: enroll it again (loket enroll)".into(),
                ));
            }
        }
        let device = Device {
            id: row.id,
            office: row.office,
            counter: row.counter,
        };
        // The first (signed) use of a renewed token retires the old one (see `renew`).
        let first_use_of_next = row.first_use_of_next;
        let role = Role::parse(&row.role).unwrap_or(Role::Display);
        // `last_seen` is written at most every few seconds: a write per request made every
        // busy counter's requests queue behind each other on the device rows.
        let seen_lately = row.seen_lately;
        let known = KnownDevice {
            device: device.clone(),
            role,
            public_key,
            expires,
        };
        if seen_lately && !first_use_of_next {
            state.devices.keep(hash, known, read_after);
            return Ok((device, role));
        }
        repo::devices::seen(&**client, device.id, &hash, first_use_of_next).await?;
        // The first use of a renewed token changed the row: this process forgets the old
        // token now (the notification would come milliseconds later, and the old token
        // presented in between must already be refused); what is cached otherwise is what
        // the next request reads.
        if first_use_of_next {
            state.devices.forget(device.id);
        } else {
            state.devices.keep(hash, known, read_after);
        }
        Ok((device, role))
    }
}

/// The answer to a token pusat does not hold now: a retired one presented after the grace
/// period was copied, and its device is revoked.
async fn retired(
    client: &deadpool_postgres::Client,
    hash: &str,
    devices: &DeviceCache,
) -> Result<ApiError> {
    let row = repo::devices::retired(&***client, hash, RETIRED_GRACE_MINUTES as i32).await?;
    Ok(match row {
        Some((device, true)) => {
            repo::devices::revoke(&***client, device).await?;
            // Its notification reaches the other pusat processes; this one forgets now.
            devices.forget(device);
            tracing::warn!(%device, "a retired token was presented again: device revoked");
            ApiError::Client(
                ErrorCode::Revoked,
                "a retired credential was used again; this device is revoked".into(),
            )
        }
        _ => ApiError::Client(ErrorCode::Unauthorized, "unknown device credential".into()),
    })
}

/// A signed request that may change something (any method but GET and HEAD) is taken once:
/// its nonce is remembered for twice the allowed skew, as long as its signature could be
/// accepted, so one taken off the wire and sent again (a call that would call another
/// number, a renewal) is refused. Reads may be repeated: they change nothing.
async fn once(
    state: &AppState,
    method: &axum::http::Method,
    device: Uuid,
    nonce: &str,
) -> Result<()> {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return Ok(());
    }
    let client = state.pool.get().await?;
    let keep = 2 * crate::protocol::SIGNATURE_SKEW_SECONDS;
    if repo::devices::nonce_fresh(&**client, device, nonce, keep as f64).await? {
        Ok(())
    } else {
        tracing::warn!(%device, "a signed request was sent again (replayed): refused");
        Err(ApiError::Client(
            ErrorCode::Unauthorized,
            "this signed request was sent already: each request is taken once".into(),
        ))
    }
}

/// Checks that the request was signed by the device's key, recently; its nonce.
fn verify_signature(parts: &Parts, public_key: &str) -> Result<String> {
    let refused = |why: &str| {
        ApiError::Client(
            ErrorCode::Unauthorized,
            format!("{why}: this credential only works from the kiosk that enrolled"),
        )
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let time: i64 = header(crate::protocol::TIME_HEADER)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| refused("the request is not signed"))?;
    if (Utc::now().timestamp() - time).abs() > crate::protocol::SIGNATURE_SKEW_SECONDS {
        return Err(refused("the request's time is too far from pusat's clock"));
    }
    let signature = header(crate::protocol::SIGNATURE_HEADER)
        .ok_or_else(|| refused("the request is not signed"))?;
    let nonce = header(crate::protocol::NONCE_HEADER)
        .filter(|n| crate::protocol::is_nonce(n))
        .ok_or_else(|| refused("the request carries no nonce (loket older than 0.4)"))?;
    let key = crate::protocol::DevicePublicKey::parse(public_key)
        .ok_or_else(|| ApiError::Internal("a stored device key is damaged".into()))?;
    // Nested routers see their own path; the signature covers the one the client sent.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    // The body's hash as the kiosk signed it; `body_as_signed` has checked the body
    // against it before this runs.
    let empty = crate::protocol::body_sha256(b"");
    let body = header(crate::protocol::BODY_HASH_HEADER).unwrap_or(&empty);
    let message = crate::protocol::request_message(parts.method.as_str(), path, time, nonce, body);
    if key.verifies(message.as_bytes(), signature) {
        Ok(nonce.to_owned())
    } else {
        Err(refused(
            "the request's signature does not match the device's key",
        ))
    }
}

/// A signed request's body is the one its signature covers: the device is authenticated
/// first (its signature covers [`crate::protocol::BODY_HASH_HEADER`]; absent, the body must
/// be empty), so nobody unknown makes pusat read a body; then the body is read, before any
/// handler, and its SHA-256 compared with the header. So a signed request taken off the
/// wire cannot be sent again with another body within the signature's minutes.
pub async fn body_as_signed(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !req
        .headers()
        .contains_key(crate::protocol::SIGNATURE_HEADER)
    {
        return next.run(req).await;
    }
    let claimed = req
        .headers()
        .get(crate::protocol::BODY_HASH_HEADER)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let (mut parts, body) = req.into_parts();
    if let Err(refused) = authenticate(&mut parts, &state).await {
        return refused.into_response();
    }
    // Held while the body is read and handled; a GET (a long poll) carries none and takes
    // no turn.
    let _turn = match parts.method {
        axum::http::Method::GET | axum::http::Method::HEAD => None,
        _ => state.body_reads.clone().acquire_owned().await.ok(),
    };
    let Ok(bytes) = axum::body::to_bytes(body, super::MAX_BODY).await else {
        return ApiError::bad(format!(
            "the body is larger than {} MiB or was cut off",
            super::MAX_BODY >> 20
        ))
        .into_response();
    };
    let actual = crate::protocol::body_sha256(&bytes);
    if claimed.unwrap_or_else(|| crate::protocol::body_sha256(b"")) != actual {
        tracing::warn!("a signed request came with a body its signature does not cover");
        return ApiError::Client(
            ErrorCode::Unauthorized,
            "the request's body is not the one its signature covers".into(),
        )
        .into_response();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// The booking system, proven by its integration key. As an extractor it runs before the
/// body is read, so an unauthenticated request learns nothing about what it sent.
pub struct Integration;

impl FromRequestParts<AppState> for Integration {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Integration> {
        // Comparing hashes keeps the comparison's time independent of the key's bytes.
        match (state.integration_key, bearer(parts)) {
            (Some(want), Some(given)) if !given.is_empty() && sha256(given.as_bytes()) == want => {
                Ok(Integration)
            }
            _ => Err(ApiError::Client(
                ErrorCode::Unauthorized,
                "a valid integration key is needed".into(),
            )),
        }
    }
}

/// The shortest integration key pusat accepts: 32 bytes, so it cannot be guessed.
pub const MIN_INTEGRATION_KEY: usize = 32;

fn valid_public_key(key: &str) -> Result<String> {
    crate::protocol::DevicePublicKey::parse(key)
        .map(|_| key.to_owned())
        .ok_or_else(|| {
            ApiError::bad(
                "public_key is neither an Ed25519 key (base64url) nor a P-256 key (p256:base64url SEC1)",
            )
        })
}

/// Exchanges a one-time enrollment code for a device credential.
#[utoipa::path(post, path = "/enroll", tag = "device",
    request_body = crate::protocol::EnrollRequest,
    responses(
        (status = 200, description = "The device's credential", body = crate::protocol::EnrollResponse),
        (status = 400, description = "Malformed request or public key", body = crate::protocol::ErrorBody),
        (status = 403, description = "Code unknown, used or expired (`enroll_code`)", body = crate::protocol::ErrorBody),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    super::ApiJson(req): super::ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>> {
    let code_hash = sha256_hex(normalize_code(&req.code).as_bytes());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let refused = || {
        ApiError::Client(
            ErrorCode::EnrollCode,
            "the enrollment code is unknown, used or expired".into(),
        )
    };
    let row = repo::devices::lock_enroll_code(&*tx, &code_hash)
        .await?
        .ok_or_else(refused)?;
    let device_id = Uuid::now_v7();
    let token = new_token();
    let expires_at = Utc::now() + chrono::Duration::days(CREDENTIAL_DAYS);
    let (office, counter, role) = (row.office, row.counter, row.role);
    // A device is its key: a credential without one would be a bearer token anyone who
    // copies it can use.
    let public_key = match &req.public_key {
        Some(k) => Some(valid_public_key(k)?),
        None => {
            return Err(ApiError::bad(
                "public_key is required: a device enrolls with the key it signs every request with (update loket)",
            ));
        }
    };
    let new = repo::devices::NewDevice {
        id: device_id,
        office: &office,
        counter,
        token_hash: sha256_hex(token.as_bytes()),
        expires_at,
        public_key,
        role: &role,
    };
    repo::devices::enroll(&*tx, &code_hash, &new).await?;
    // The office's counters, as its terminals know them (a transfer names one of them):
    // written into the office's settings and sent through its feed.
    let mut config = row.config;
    if role == Role::Counter.label() {
        let counters: Vec<i32> = repo::devices::counters_seen(&*tx, &office)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let patch = serde_json::json!({ crate::domain::queue::COUNTERS_KEY: counters });
        if let Some(info) = repo::offices::patch_config(&*tx, &office, &patch).await? {
            config = serde_json::Value::Object(info.config.clone());
            super::feed::append(&tx, &office, &[crate::protocol::Change::Office(info)]).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(%device_id, %office, counter, "device enrolled");
    Ok(Json(EnrollResponse {
        device_id,
        token,
        expires_at,
        office: OfficeInfo {
            code: office,
            name: row.office_name,
            zone: row.zone,
            config: config.as_object().cloned().unwrap_or_default(),
        },
        counter: counter as u32,
        role,
    }))
}

/// The asking device as pusat knows it, and pusat's clock: for `loket doctor`.
#[utoipa::path(get, path = "/device", tag = "device", security(("device" = [])),
    responses(
        (status = 200, description = "The device as pusat knows it, and pusat's clock", body = crate::protocol::DeviceInfo),
        (status = 401, description = "No valid device credential (`unauthorized`, `revoked`, `expired`)", body = crate::protocol::ErrorBody),
    ))]
pub async fn device(
    State(state): State<AppState>,
    device: Device,
) -> Result<Json<crate::protocol::DeviceInfo>> {
    let client = state.pool.get().await?;
    let (_, expires_at) = repo::devices::dates(&**client, device.id).await?;
    Ok(Json(crate::protocol::DeviceInfo {
        device_id: device.id,
        office: device.office,
        counter: u32::try_from(device.counter).unwrap_or(0),
        expires_at,
        server_time: Utc::now(),
    }))
}

/// A new token for a device whose credential is still valid, valid for another
/// `CREDENTIAL_DAYS`. The old token keeps working until the device first uses the new one, so
/// an answer lost on the way (the device then simply asks again) never locks it out.
#[utoipa::path(post, path = "/renew", tag = "device", security(("device" = [])),
    responses(
        (status = 200, description = "The next token; the old one works until the next is first used", body = crate::protocol::RenewResponse),
        (status = 401, description = "No valid device credential, or past the hard maximum lifetime", body = crate::protocol::ErrorBody),
    ))]
pub async fn renew(State(state): State<AppState>, device: Device) -> Result<Json<RenewResponse>> {
    let client = state.pool.get().await?;
    // Asked again before the new token was used (the answer was lost on the way): the same
    // token. A second token would make the first, perhaps already saved, useless.
    if let Some((token, expires_at)) = repo::devices::pending_renewal(&**client, device.id).await? {
        return Ok(Json(RenewResponse { token, expires_at }));
    }
    let token = new_token();
    let (enrolled, _) = repo::devices::dates(&**client, device.id).await?;
    // Renewal never carries a credential past its hard maximum lifetime.
    let expires_at = (Utc::now() + chrono::Duration::days(CREDENTIAL_DAYS))
        .min(enrolled + chrono::Duration::days(MAX_LIFETIME_DAYS));
    repo::devices::renew(
        &**client,
        device.id,
        &token,
        &sha256_hex(token.as_bytes()),
        expires_at,
    )
    .await?;
    // Its notification reaches every pusat process; this one forgets at once.
    state.devices.forget(device.id);
    tracing::info!(device_id = %device.id, "device credential renewed");
    Ok(Json(RenewResponse { token, expires_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_survive_how_people_type_them() {
        let code = new_enroll_code();
        assert_eq!(code.len(), 14);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalize_code(&typed), code.replace('-', ""));
        assert_eq!(normalize_code("o1l-I"), "0111");
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.len() > 40);
    }
}
