//! What loket and pusat say to each other over HTTP: shared by both binaries so the two
//! sides cannot drift apart. Every request and response carries [`HEADER`]; a side that
//! meets another version refuses with [`ErrorCode::Protocol`].

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Booking;
pub use crate::domain::intake::FieldError;

pub const VERSION: &str = "4";
pub const HEADER: &str = "loket-protocol";
/// The first loket version that speaks [`VERSION`]: what pusat tells a counter to update
/// to when it speaks another protocol.
pub const MIN_LOKET: &str = "0.4.0";
/// The most events a push may carry.
pub const MAX_BATCH: usize = 1000;
/// Photo bytes per upload request: small enough to finish over a slow link, so an upload
/// cut short resumes where it stopped.
pub const PHOTO_CHUNK: usize = 64 * 1024;

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    /// The kiosk's public key: every later request is signed with it. Ed25519 as base64url
    /// (a key kept in a file), or `p256:` and the base64url SEC1 point of an ECDSA P-256
    /// key held in the kiosk's TPM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// The request's time (Unix seconds) and its signature by the kiosk's key.
pub const TIME_HEADER: &str = "loket-time";
pub const SIGNATURE_HEADER: &str = "loket-signature";
/// How far a signed request's time may be from pusat's clock.
pub const SIGNATURE_SKEW_SECONDS: i64 = 600;

/// The SHA-256 of a signed request's body, hex, as the kiosk signed it. pusat checks the
/// body it received against it before anything reads the body.
pub const BODY_HASH_HEADER: &str = "loket-body-sha256";

/// The hex SHA-256 of `body`, as [`BODY_HASH_HEADER`] carries it.
pub fn body_sha256(body: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a kiosk signs for each request: its method, its path with the query, its time and
/// the SHA-256 of its body (protocol 2: before, the body was not signed, so whoever held a
/// signed request could have sent another body with it).
pub fn request_message(
    method: &str,
    path_and_query: &str,
    time: i64,
    nonce: &str,
    body_sha256: &str,
) -> String {
    format!("LOKET-REQUEST-3\n{method}\n{path_and_query}\n{time}\n{nonce}\n{body_sha256}")
}

/// The header with a signed request's nonce: 22 to 64 characters of base64url, new for
/// every request. pusat takes a request that changes something once per nonce.
pub const NONCE_HEADER: &str = "loket-nonce";

/// A new nonce for a signed request: 128 random bits, base64url.
pub fn new_nonce() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// Whether `nonce` is one a kiosk makes.
pub fn is_nonce(nonce: &str) -> bool {
    (22..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How a public key held in a TPM is written: this prefix and the base64url SEC1 point.
pub const P256_PREFIX: &str = "p256:";

/// A kiosk's public key, as enrollment sends it (see [`EnrollRequest::public_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePublicKey {
    /// A key kept in the kiosk's data folder, sealed with its secret.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A key that lives in the kiosk's TPM (TPM 2.0 has no Ed25519).
    P256(p256::ecdsa::VerifyingKey),
}

impl DevicePublicKey {
    pub fn parse(text: &str) -> Option<DevicePublicKey> {
        use base64::Engine;
        let decode = |t: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        };
        match text.strip_prefix(P256_PREFIX) {
            Some(point) => decode(point)
                .and_then(|b| p256::ecdsa::VerifyingKey::from_sec1_bytes(&b).ok())
                .map(DevicePublicKey::P256),
            None => decode(text)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
                .map(DevicePublicKey::Ed25519),
        }
    }

    /// Whether `signature` (base64url: 64 bytes for either kind, `r ‖ s` for P-256) signs
    /// `message` with this key.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        use base64::Engine;
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        match self {
            DevicePublicKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(&bytes)
                .is_ok_and(|s| ed25519_dalek::Verifier::verify(key, message, &s).is_ok()),
            DevicePublicKey::P256(key) => p256::ecdsa::Signature::from_slice(&bytes)
                .is_ok_and(|s| p256::ecdsa::signature::Verifier::verify(key, message, &s).is_ok()),
        }
    }

    /// Where the kiosk keeps the private half: `file` or `tpm`.
    pub fn store(&self) -> &'static str {
        match self {
            DevicePublicKey::Ed25519(_) => "file",
            DevicePublicKey::P256(_) => "tpm",
        }
    }
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: Uuid,
    pub token: String,
    pub expires_at: DateTime<chrono::Utc>,
    pub office: OfficeInfo,
    pub counter: u32,
    /// `counter`, or `display` for a waiting-room display (reads the calls only).
    #[serde(default = "counter_role")]
    pub role: String,
}

fn counter_role() -> String {
    "counter".into()
}

/// What pusat knows of the asking device (`GET /device`): what `loket doctor` compares
/// with the kiosk's own view, and pusat's clock.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    pub office: String,
    pub counter: u32,
    pub expires_at: DateTime<chrono::Utc>,
    pub server_time: DateTime<chrono::Utc>,
}

/// A renewed device credential (`POST /renew`).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewResponse {
    pub token: String,
    pub expires_at: DateTime<chrono::Utc>,
}

impl std::fmt::Debug for RenewResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewResponse")
            .field("token", &"<secret>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("device_id", &self.device_id)
            .field("token", &"<secret>")
            .field("office", &self.office.code)
            .field("counter", &self.counter)
            .finish()
    }
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeInfo {
    pub code: String,
    pub name: String,
    /// WIB, WITA or WIT.
    pub zone: String,
    /// Settings the office pushes to its counters (e.g. `token_key`).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub config: serde_json::Map<String, serde_json::Value>,
}

/// `POST /queue/call`: an online counter asks pusat for the next ticket of the office, which
/// pusat chooses and gives it under a lock, so counters calling at the same instant get
/// different tickets. The counter then records the call in its outbox (`ticket.call`), which
/// pusat takes as the same call when it is pushed.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallRequest {
    /// Who calls: an active officer of the device's office.
    pub officer: String,
    /// The office day, by the counter's clock (pusat refuses one far from its own).
    pub day: NaiveDate,
}

/// `GET /office/status`: what pusat knows of the office's terminals, for the board's
/// alerts (a counter out of touch, calls that clashed).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeStatus {
    pub counters: Vec<CounterSeen>,
    /// Calls of today that lost to another counter's call of the same ticket.
    pub conflicts_today: u32,
    /// Events of today pusat refused (a counter wrote what it may not).
    pub refused_today: u32,
    /// Officers pusat locked office-wide for wrong PINs, still locked: when, until when,
    /// and the counters whose wrong PINs counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locked: Vec<OfficerLocked>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerLocked {
    pub username: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub until: chrono::DateTime<chrono::Utc>,
    pub counters: Vec<u32>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterSeen {
    pub counter: u32,
    /// When pusat last heard from it; `None`: never since enrolment.
    pub last_seen: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallResponse {
    /// The ticket now called by this counter; `None` when nobody waits.
    pub ticket: Option<crate::domain::queue::Ticket>,
}

/// One outbox event as it travels.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    pub seq: i64,
    pub id: Uuid,
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub office: String,
    pub officer: String,
    pub device_time: DateTime<FixedOffset>,
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub payload: serde_json::Value,
    /// For an action a supervisor approved by PIN at the counter: the proof of their
    /// approval of this one act, made from the PIN typed (see [`crate::proof`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The officer's proof of this event, made from the PIN they signed in with (see
    /// [`crate::proof`]). Absent only on `officer.pin_failed` and on an act a board answer
    /// grants (`answers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
    /// For the act a supervisor's answer on the board grants or sends back: the request it
    /// answers (the answer itself carries the supervisor's proof).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<Uuid>,
}

impl WireEvent {
    /// What the event's proofs cover.
    pub fn facts(&self) -> crate::proof::EventFacts<'_> {
        crate::proof::EventFacts {
            id: self.id,
            kind: &self.kind,
            case_id: self.case_id,
            office: &self.office,
            officer: &self.officer,
            device_time: self.device_time,
            payload: &self.payload,
        }
    }
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub events: Vec<WireEvent>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The device's highest sequence number the server holds.
    pub stored_through: i64,
    pub inserted: usize,
    pub duplicates: usize,
    /// The events of this push pusat refused (kept, not applied), so the counter can tell
    /// its officer what was refused and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedEvent>,
}

/// One of a device's own events that pusat refused.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEvent {
    pub seq: i64,
    pub kind: String,
    /// Why, in pusat's words (English).
    pub reason: String,
}

/// A pulled change, in feed order.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub pos: i64,
    #[serde(flatten)]
    pub change: Change,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "body")]
pub enum Change {
    Office(OfficeInfo),
    Officer(RosterEntry),
    Booking(BookingChange),
    Case(CaseSummary),
    /// A queue ticket as pusat holds it (no personal data: a booking code at most).
    Ticket(crate::domain::queue::Ticket),
    /// A supervisor's answer, from the board, to a counter's request for approval.
    Approval(ApprovalAnswer),
}

/// A supervisor's answer to a request for approval (`approval.answer` event, from the
/// board's device): pushed by the board, checked and sent on by pusat, applied by the
/// counter that holds the case.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalAnswer {
    pub request: Uuid,
    pub case_id: Uuid,
    pub granted: bool,
    /// The supervisor who answers: the event's officer, an active supervisor of the
    /// office, not the officer who asked.
    pub supervisor: String,
    /// Why (required when the request goes back).
    pub note: String,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    /// What the request asked, as the supervisor read it on the board: the answer's proof
    /// covers it, so an answer grants only that act. Required since protocol 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub asked: Option<crate::domain::case::Asked>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub username: String,
    pub nip: String,
    pub name: String,
    pub role: String,
    pub pin_hash: String,
    pub active: bool,
    /// Set when pusat locked the officer after too many wrong PINs across the office's
    /// counters: every counter refuses their PIN until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The salt a supervisor's approvals are proven with (see
    /// [`crate::store::approval_key`]); the key itself never leaves pusat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_salt: Option<String>,
}

/// `officer.pin_failed`: a wrong PIN typed at a counter for an officer on its roster (the
/// event's officer), at sign-in or in a supervisor's approval dialog. Never the PIN.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinFailed {
    pub username: String,
    pub context: PinContext,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinContext {
    SignIn,
    Approval,
}

impl PinContext {
    pub fn label(self) -> &'static str {
        match self {
            PinContext::SignIn => "sign_in",
            PinContext::Approval => "approval",
        }
    }
}

impl std::fmt::Debug for RosterEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterEntry")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingChange {
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub booking: Booking,
    pub cancelled: bool,
    /// Set when the booking system moved the booking to another day or office: where it was,
    /// so counters show "dijadwalkan ulang".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// A rescheduled booking's earlier office and day.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub office: String,
    pub date: NaiveDate,
}

/// Where another counter's case stands (no personal data beyond the booking's).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub case_id: Uuid,
    pub booking: String,
    pub applicant: usize,
    pub device: Uuid,
    pub counter: u32,
    pub status: String,
    /// Set when this case lost its claim: the case that serves the applicant.
    pub lost_to: Option<ClaimWinner>,
    /// A request for a supervisor's approval waiting on the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub awaiting: Option<crate::domain::case::ApprovalAsk>,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimWinner {
    /// pusat's own record of the winning case; never sent to counters (the feed names the
    /// winning counter only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub counter: u32,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<FeedEntry>,
    /// Where the next pull starts.
    pub cursor: i64,
    pub more: bool,
}

/// The answer of the public status endpoint: the stage only.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub booking: String,
    pub day: NaiveDate,
    pub stage: Stage,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Booked,
    Cancelled,
    InProgress,
    Approved,
    Deferred,
    Rejected,
    /// Continued, but the photo or fingerprints are still to be taken: the applicant is
    /// asked back for them.
    AwaitingPhoto,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Revoked,
    Expired,
    EnrollCode,
    Forbidden,
    NotFound,
    Gap,
    Conflict,
    Protocol,
    TooMany,
    Digest,
    /// The body was read but a field breaks a rule: `fields` names each.
    Invalid,
    Unavailable,
    Internal,
}

#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    /// For [`ErrorCode::Gap`]: the sequence number the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<i64>,
    /// For a call refused with [`ErrorCode::Conflict`] because the counter still has a
    /// number called or being served at pusat: that number (`A-1001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// For [`ErrorCode::Invalid`] and malformed bodies: each field refused and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "server", schema(value_type = Vec<Object>))]
    pub fields: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_key_is_one_of_two_kinds_and_verifies_only_its_own_signatures() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::ecdsa::signature::Signer;
        let p256_key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let point = p256_key.verifying_key().to_encoded_point(false);
        let public = format!("{P256_PREFIX}{}", URL_SAFE_NO_PAD.encode(point.as_bytes()));
        let key = DevicePublicKey::parse(&public).unwrap();
        assert_eq!(key.store(), "tpm");
        let signature: p256::ecdsa::Signature = p256_key.sign(b"GET /x");
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        assert!(key.verifies(b"GET /x", &signature));
        assert!(!key.verifies(b"GET /y", &signature));
        assert!(!key.verifies(b"GET /x", "not base64!"));
        // Neither kind's bytes pass for the other, and garbage is no key.
        let ed = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let ed_public = URL_SAFE_NO_PAD.encode(ed.verifying_key().as_bytes());
        assert_eq!(DevicePublicKey::parse(&ed_public).unwrap().store(), "file");
        assert!(DevicePublicKey::parse(&format!("{P256_PREFIX}{ed_public}")).is_none());
        assert!(DevicePublicKey::parse("p256:AAAA").is_none());
        assert!(DevicePublicKey::parse("").is_none());
    }
}
