//! What a scan can carry: a bare booking code, a URL that holds one, or a signed booking
//! token `LKT1.<payload>.<signature>` (both base64url without padding). The token's payload
//! is JSON `{"code", "office", "date", "applicants"}`; the signature is Ed25519 over the
//! ASCII bytes `LKT1.<payload>`, by the booking service, verified here offline with its
//! public key from the configuration.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::booking_code::{BookingCode, CodeError};

const PREFIX: &str = "LKT1.";
/// Longer than any code, URL or token a booking QR holds: more is noise or another QR.
pub const MAX_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPayload {
    pub code: BookingCode,
    pub office: String,
    pub date: NaiveDate,
    pub applicants: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    Code(BookingCode),
    /// A token whose signature, date and office were checked.
    Token(TokenPayload),
}

impl Scanned {
    pub fn code(&self) -> &BookingCode {
        match self {
            Scanned::Code(c) => c,
            Scanned::Token(t) => &t.code,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("nothing was scanned")]
    Empty,
    #[error("{0} characters: too long for a booking code")]
    TooLong(usize),
    #[error("control or binary characters: not a booking code")]
    Binary,
    #[error("garbled booking code: {0:?}")]
    Garbled(CodeError),
    #[error("a web address without a booking code")]
    UrlWithoutCode,
    #[error("the booking token is cut off or malformed")]
    TokenMalformed,
    #[error("the booking token's signature is not valid (forged or altered)")]
    TokenForged,
    #[error("no public key for booking tokens is configured")]
    NoKey,
    #[error("the booking token was for {0}, which has passed")]
    TokenExpired(NaiveDate),
    #[error("the booking token is for office {0}")]
    TokenOtherOffice(String),
}

/// Where and when a scan is read: what a token must match.
pub struct ScanContext<'a> {
    pub key: Option<&'a VerifyingKey>,
    pub office: &'a str,
    pub today: NaiveDate,
}

/// Reads one scanned or typed line.
pub fn parse(raw: &str, ctx: &ScanContext<'_>) -> Result<Scanned, PayloadError> {
    let text = raw.trim_matches(|c: char| c.is_whitespace());
    let len = text.chars().count();
    if len == 0 {
        return Err(PayloadError::Empty);
    }
    if len > MAX_LEN {
        return Err(PayloadError::TooLong(len));
    }
    if text.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
        return Err(PayloadError::Binary);
    }
    if text.starts_with(PREFIX) {
        return verify_token(text, ctx).map(Scanned::Token);
    }
    if let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    {
        return from_url(rest, ctx);
    }
    BookingCode::parse(text)
        .map(Scanned::Code)
        .map_err(PayloadError::Garbled)
}

/// A code in a query parameter (`kode`, `code`, `booking`, `kode_booking`), a token in
/// `t` or `token`, or a code as the last path segment.
fn from_url(rest: &str, ctx: &ScanContext<'_>) -> Result<Scanned, PayloadError> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    for pair in query.split(['&', '#']) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key.to_ascii_lowercase().as_str() {
            "t" | "token" if value.starts_with(PREFIX) => {
                return verify_token(value, ctx).map(Scanned::Token);
            }
            "kode" | "code" | "booking" | "kode_booking" => {
                return BookingCode::parse(value)
                    .map(Scanned::Code)
                    .map_err(PayloadError::Garbled);
            }
            _ => {}
        }
    }
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    match path.contains('/') {
        true => BookingCode::parse(last)
            .map(Scanned::Code)
            .map_err(|_| PayloadError::UrlWithoutCode),
        false => Err(PayloadError::UrlWithoutCode),
    }
}

fn verify_token(token: &str, ctx: &ScanContext<'_>) -> Result<TokenPayload, PayloadError> {
    let mut parts = token.split('.');
    let (Some("LKT1"), Some(payload_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PayloadError::TokenMalformed);
    };
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| PayloadError::TokenMalformed)?;
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(PayloadError::TokenMalformed)?;
    let key = ctx.key.ok_or(PayloadError::NoKey)?;
    let signed = &token[..PREFIX.len() + payload_b64.len()];
    key.verify(signed.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| PayloadError::TokenForged)?;
    let payload: TokenPayload =
        serde_json::from_slice(&payload).map_err(|_| PayloadError::TokenMalformed)?;
    if payload.date < ctx.today {
        return Err(PayloadError::TokenExpired(payload.date));
    }
    if payload.office != ctx.office {
        return Err(PayloadError::TokenOtherOffice(payload.office));
    }
    Ok(payload)
}

/// Signs a token as the booking service does (demo data, tests).
pub fn sign(payload: &TokenPayload, key: &SigningKey) -> String {
    let body = serde_json::to_vec(payload).unwrap_or_default();
    let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(body));
    let sig = key.sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Reads a public key written as base64url (32 bytes), as the configuration holds it.
pub fn verifying_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
