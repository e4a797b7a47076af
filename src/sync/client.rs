//! The HTTP client for pusat. Every answer is checked for the protocol version and parsed
//! strictly: a server that answers nonsense is reported as such, never trusted.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::protocol::{
    self, EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, PullResponse, PushRequest,
    PushResponse, RenewResponse, WireEvent,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("pusat cannot be reached: {0}")]
    Offline(String),
    #[error("this counter's credential was revoked")]
    Revoked,
    #[error("this counter's credential has expired")]
    Expired,
    #[error("pusat does not know this counter's credential")]
    Unauthorized,
    #[error("the enrollment code is unknown, used or expired")]
    EnrollCode,
    #[error("pusat speaks another protocol version: {0}")]
    Protocol(String),
    #[error("pusat answered something that is not Loket's protocol: {0}")]
    Nonsense(String),
    #[error("pusat is unavailable: {0}")]
    Unavailable(String),
    #[error("pusat refused: {0}")]
    Refused(String),
    /// A call refused: pusat holds this counter to a number (its label) still called or
    /// being served there.
    #[error("pusat still has {0} called or being served at this counter")]
    Holding(String),
    #[error("pusat expects events from {0}")]
    Gap(i64),
    #[error("local database: {0}")]
    Store(String),
    #[error("the certificate authority for pusat is not usable: {0}")]
    Certificate(String),
    #[error("pusat's address {0} is not https: only a loopback pusat may be plain http")]
    Insecure(String),
    #[error("{0}")]
    Key(String),
}

impl From<crate::store::StoreError> for SyncError {
    fn from(e: crate::store::StoreError) -> Self {
        SyncError::Store(e.to_string())
    }
}

impl SyncError {
    /// Errors a retry will not mend by itself: a person must act.
    pub fn needs_person(&self) -> bool {
        matches!(
            self,
            SyncError::Revoked
                | SyncError::Expired
                | SyncError::Unauthorized
                | SyncError::Protocol(_)
                | SyncError::EnrollCode
                | SyncError::Certificate(_)
                | SyncError::Insecure(_)
        )
    }
}

fn transport(e: reqwest::Error) -> SyncError {
    // A certificate pusat presents that this counter does not trust is not "offline":
    // retrying will not help, a technician must.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        if err.to_string().to_lowercase().contains("certificate") {
            return SyncError::Certificate(err.to_string());
        }
        source = err.source();
    }
    if e.is_decode() {
        SyncError::Nonsense(e.to_string())
    } else {
        SyncError::Offline(e.without_url().to_string())
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Signs every request, proving this is the kiosk that enrolled.
    key: Option<super::DeviceKey>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Refuses an address that would send the credential and personal data in the clear:
/// plain http is only for a pusat on this machine's loopback.
pub fn check_address(base: &str) -> Result<(), SyncError> {
    let insecure = || SyncError::Insecure(base.to_owned());
    let url = reqwest::Url::parse(base).map_err(|_| insecure())?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or("");
            let loopback = host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(insecure()) }
        }
        _ => Err(insecure()),
    }
}

/// The HTTP client; `ca_pem` is a certificate authority to trust besides the public ones
/// (an agency's own CA for pusat).
fn http(ca_pem: Option<&str>) -> Result<reqwest::Client, SyncError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    if let Some(pem) = ca_pem {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| SyncError::Certificate(e.to_string()))?;
        builder = builder.add_root_certificate(ca);
    }
    builder
        .build()
        .map_err(|e| SyncError::Certificate(e.to_string()))
}

/// Turns an answer into `T`, or into the error it names.
async fn answer<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, SyncError> {
    let status = resp.status();
    let version = resp
        .headers()
        .get(protocol::HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let bytes = resp.bytes().await.map_err(transport)?;
    if status.is_success() {
        match version.as_deref() {
            Some(protocol::VERSION) => {}
            Some(other) => return Err(SyncError::Protocol(other.to_owned())),
            None => {
                return Err(SyncError::Nonsense(format!(
                    "HTTP {status} without {}",
                    protocol::HEADER
                )));
            }
        }
        return serde_json::from_slice(&bytes).map_err(|e| SyncError::Nonsense(e.to_string()));
    }
    let Ok(body) = serde_json::from_slice::<ErrorBody>(&bytes) else {
        return Err(if status.is_server_error() {
            SyncError::Unavailable(format!("HTTP {status}"))
        } else {
            SyncError::Nonsense(format!("HTTP {status}"))
        });
    };
    if let (ErrorCode::Conflict, Some(held)) = (body.error, body.held) {
        return Err(SyncError::Holding(held));
    }
    Err(match body.error {
        ErrorCode::Revoked => SyncError::Revoked,
        ErrorCode::Expired => SyncError::Expired,
        ErrorCode::Unauthorized => SyncError::Unauthorized,
        ErrorCode::EnrollCode => SyncError::EnrollCode,
        ErrorCode::Protocol => SyncError::Protocol(body.message),
        ErrorCode::Gap => match body.expected {
            Some(n) => SyncError::Gap(n),
            None => SyncError::Nonsense("gap without the expected sequence".into()),
        },
        ErrorCode::Unavailable | ErrorCode::Internal | ErrorCode::TooMany => {
            SyncError::Unavailable(body.message)
        }
        _ => SyncError::Refused(body.message),
    })
}

impl Client {
    pub fn new(base: &str, token: &str, ca_pem: Option<&str>) -> Result<Client, SyncError> {
        check_address(base)?;
        Ok(Client {
            http: http(ca_pem)?,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            key: None,
        })
    }

    /// The client signing its requests with `key`.
    pub fn signed(mut self, key: super::DeviceKey) -> Client {
        self.key = Some(key);
        self
    }

    /// The client of an enrolled counter: its credential, and its key from `data_dir`.
    pub fn for_counter(
        credential: &super::Credential,
        data_dir: &std::path::Path,
    ) -> Result<Client, SyncError> {
        let client = Client::new(
            &credential.server,
            &credential.token,
            credential.ca_pem.as_deref(),
        )?;
        match super::DeviceKey::load(data_dir) {
            Ok(Some(key)) => Ok(client.signed(key)),
            Ok(None) => Ok(client),
            Err(super::CredentialError::Tpm(why)) => Err(SyncError::Key(why)),
            Err(e) => Err(SyncError::Store(e.to_string())),
        }
    }

    /// Exchanges a one-time code for this counter's credential.
    pub async fn enroll(
        base: &str,
        code: &str,
        ca_pem: Option<&str>,
        key: &super::DeviceKey,
    ) -> Result<EnrollResponse, SyncError> {
        check_address(base)?;
        let url = format!("{}/api/v1/enroll", base.trim_end_matches('/'));
        let resp = http(ca_pem)?
            .post(url)
            .header(protocol::HEADER, protocol::VERSION)
            .json(&EnrollRequest {
                code: code.to_owned(),
                public_key: Some(key.public()),
            })
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    /// A request to pusat without a body, signed by the kiosk's key.
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, SyncError> {
        self.request_with(method, path, Vec::new())
    }

    /// A request to pusat carrying `value` as JSON, signed with its body.
    fn request_json(
        &self,
        method: reqwest::Method,
        path: &str,
        value: &impl serde::Serialize,
    ) -> Result<reqwest::RequestBuilder, SyncError> {
        let body = serde_json::to_vec(value).map_err(|e| SyncError::Nonsense(e.to_string()))?;
        Ok(self
            .request_with(method, path, body)?
            .header(reqwest::header::CONTENT_TYPE, "application/json"))
    }

    /// A request to pusat carrying `body`, signed by the kiosk's key together with the
    /// body's SHA-256 (so the signed request cannot carry another body). A key in a TPM that
    /// does not answer fails here, before anything is sent.
    fn request_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::RequestBuilder, SyncError> {
        let full = format!("/api/v1{path}");
        let mut builder = self
            .http
            .request(method.clone(), format!("{}{full}", self.base))
            .header(protocol::HEADER, protocol::VERSION)
            .bearer_auth(&self.token);
        if let Some(key) = &self.key {
            let time = chrono::Utc::now().timestamp();
            let nonce = protocol::new_nonce();
            let signature = key
                .sign(method.as_str(), &full, time, &nonce, &body)
                .map_err(|e| SyncError::Key(e.to_string()))?;
            builder = builder
                .header(protocol::TIME_HEADER, time)
                .header(protocol::NONCE_HEADER, nonce)
                .header(protocol::BODY_HASH_HEADER, protocol::body_sha256(&body))
                .header(protocol::SIGNATURE_HEADER, signature);
        }
        if !body.is_empty() {
            builder = builder.body(body);
        }
        Ok(builder)
    }

    /// Asks pusat for a new token (see `sync::renew`).
    pub async fn renew(&self) -> Result<RenewResponse, SyncError> {
        let resp = self
            .request(reqwest::Method::POST, "/renew")?
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    /// Asks pusat who this counter is (`GET /device`), for `loket doctor`. pusat's clock is
    /// read from the answer's `Date` even when the answer is a refusal: a kiosk whose clock
    /// is far off fails its signature check, and the skew is then the reason to show.
    pub async fn probe(&self) -> Probe {
        let sent = chrono::Utc::now();
        // A pusat that accepts and then says nothing must not hold a technician (or the
        // terminal's work thread, for the technician's screen) for the sync timeout.
        let request = match self.request(reqwest::Method::GET, "/device") {
            Ok(request) => request,
            Err(e) => {
                return Probe {
                    answer: Err(e),
                    server_date: None,
                    round_trip: chrono::Duration::zero(),
                };
            }
        };
        let resp = match request.timeout(PROBE_TIMEOUT).send().await {
            Ok(resp) => resp,
            Err(e) => {
                return Probe {
                    answer: Err(transport(e)),
                    server_date: None,
                    round_trip: chrono::Utc::now() - sent,
                };
            }
        };
        let round_trip = chrono::Utc::now() - sent;
        let server_date = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        Probe {
            answer: answer(resp).await,
            server_date,
            round_trip,
        }
    }

    /// Uses another token from now on.
    pub fn set_token(&mut self, token: &str) {
        token.clone_into(&mut self.token);
    }

    pub async fn push(&self, events: &[WireEvent]) -> Result<PushResponse, SyncError> {
        let body = PushRequest {
            events: events.to_vec(),
        };
        let resp = self
            .request_json(reqwest::Method::POST, "/events", &body)?
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    pub async fn pull(&self, after: i64) -> Result<PullResponse, SyncError> {
        let resp = self
            .request(reqwest::Method::GET, &format!("/changes?after={after}"))?
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    /// Asks pusat for the next ticket of the office, given to this counter (see
    /// `protocol::CallRequest`); `None` when nobody waits.
    pub async fn call_next(
        &self,
        officer: &str,
        day: chrono::NaiveDate,
    ) -> Result<Option<crate::domain::queue::Ticket>, SyncError> {
        let resp = self
            .request_json(
                reqwest::Method::POST,
                "/queue/call",
                &crate::protocol::CallRequest {
                    officer: officer.to_owned(),
                    day,
                },
            )?
            .send()
            .await
            .map_err(transport)?;
        let answer: crate::protocol::CallResponse = answer(resp).await?;
        Ok(answer.ticket)
    }

    /// What pusat knows of the office's terminals (`GET /office/status`), for the board.
    pub async fn office_status(&self) -> Result<crate::protocol::OfficeStatus, SyncError> {
        let resp = self
            .request(reqwest::Method::GET, "/office/status")?
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    /// A long poll: the changes after `after`, waiting up to `wait` seconds at pusat for
    /// the first one (at most `limit` of them).
    pub async fn pull_waiting(
        &self,
        after: i64,
        wait: u64,
        limit: usize,
    ) -> Result<PullResponse, SyncError> {
        let resp = self
            .request(
                reqwest::Method::GET,
                &format!("/changes?after={after}&wait={wait}&limit={limit}"),
            )?
            .send()
            .await
            .map_err(transport)?;
        answer(resp).await
    }

    /// Uploads a photo, resuming where an earlier attempt stopped.
    pub async fn upload_photo(&self, sha256: &str, bytes: &[u8]) -> Result<(), SyncError> {
        let path = format!("/photos/{sha256}");
        let mut offset = self.photo_offset(&path).await?;
        let total = bytes.len();
        let mut rounds = 0;
        while offset < total {
            rounds += 1;
            if rounds > 4 * (total / protocol::PHOTO_CHUNK + 2) {
                return Err(SyncError::Nonsense("photo upload does not advance".into()));
            }
            let end = (offset + protocol::PHOTO_CHUNK).min(total);
            let resp = self
                .request_with(reqwest::Method::PUT, &path, bytes[offset..end].to_vec())?
                .header(
                    reqwest::header::CONTENT_RANGE,
                    format!("bytes {offset}-{}/{total}", end - 1),
                )
                .send()
                .await
                .map_err(transport)?;
            match resp.status() {
                StatusCode::OK
                | StatusCode::CREATED
                | StatusCode::ACCEPTED
                | StatusCode::CONFLICT => {
                    let (next, complete) = progress(&resp)?;
                    if complete {
                        return Ok(());
                    }
                    offset = next;
                }
                _ => return answer::<serde_json::Value>(resp).await.map(|_| ()),
            }
        }
        Ok(())
    }

    async fn photo_offset(&self, path: &str) -> Result<usize, SyncError> {
        let resp = self
            .request(reqwest::Method::HEAD, path)?
            .send()
            .await
            .map_err(transport)?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(0),
            StatusCode::OK => Ok(progress(&resp)?.0),
            _ => answer::<serde_json::Value>(resp).await.map(|_| 0),
        }
    }
}

/// The longest [`Client::probe`] waits for pusat's answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(8);

/// What [`Client::probe`] found.
#[derive(Debug, Clone)]
pub struct Probe {
    pub answer: Result<protocol::DeviceInfo, SyncError>,
    /// pusat's `Date` header, when it answered at all.
    pub server_date: Option<chrono::DateTime<chrono::Utc>>,
    pub round_trip: chrono::TimeDelta,
}

impl Probe {
    /// pusat's clock minus ours: from the answer's own time when there is one (to the
    /// millisecond, halfway through the round trip), else from its `Date` header.
    pub fn skew(&self, received: chrono::DateTime<chrono::Utc>) -> Option<chrono::TimeDelta> {
        let half = self.round_trip / 2;
        match (&self.answer, self.server_date) {
            (Ok(info), _) => Some(info.server_time - (received - half)),
            (Err(_), Some(date)) => Some(date - (received - half)),
            (Err(_), None) => None,
        }
    }
}

fn progress(resp: &reqwest::Response) -> Result<(usize, bool), SyncError> {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let offset = header("upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| SyncError::Nonsense("photo answer without upload-offset".into()))?;
    Ok((offset, header("upload-complete").as_deref() == Some("true")))
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_only() {
        for ok in [
            "https://pusat.example",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_address(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://pusat.example",
            "http://10.0.0.5:8080",
            "ftp://x",
            "pusat",
        ] {
            assert!(
                matches!(check_address(bad), Err(SyncError::Insecure(_))),
                "{bad}"
            );
        }
    }
}
