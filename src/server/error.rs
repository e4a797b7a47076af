//! The server's one error type: each maps to a status code and a machine-readable code the
//! counter turns into words for the officer. Internal failures are logged here, once, and
//! answered without their details.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::{ErrorBody, ErrorCode, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Client(ErrorCode, String),
    #[error("sequence gap: expected {0}")]
    Gap(i64),
    /// A call refused: the counter still has this number (its label) called or being
    /// served at pusat. A counter holds one number at a time.
    #[error(
        "counter {counter} still has {held} called or being served: finish it, mark it absent or transfer it before calling another"
    )]
    Holding { counter: u32, held: String },
    /// A body that could not be read, or fields that break the rules: 400 or 422 with each
    /// field named.
    #[error("{1}")]
    Fields(ErrorCode, String, Vec<FieldError>),
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::Client(ErrorCode::BadRequest, message.into())
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::Client(ErrorCode::NotFound, message.into())
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::Client(code, _) => *code,
            ApiError::Gap(_) => ErrorCode::Gap,
            ApiError::Holding { .. } => ErrorCode::Conflict,
            ApiError::Fields(code, _, _) => *code,
            ApiError::Db(e) if retryable(e) => ErrorCode::Unavailable,
            ApiError::Pool(_) => ErrorCode::Unavailable,
            ApiError::Db(_) | ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// Conflicts between concurrent transactions: the client's retry succeeds.
fn retryable(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.code().is_some_and(|c| {
        [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::UNIQUE_VIOLATION,
        ]
        .contains(c)
    })
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized | ErrorCode::Revoked | ErrorCode::Expired => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::EnrollCode | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Gap | ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Protocol => StatusCode::UPGRADE_REQUIRED,
        ErrorCode::TooMany => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Digest | ErrorCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = match &self {
            ApiError::Client(_, m) | ApiError::Fields(_, m, _) => m.clone(),
            ApiError::Gap(n) => format!("sequence gap: send from {n}"),
            ApiError::Holding { .. } => self.to_string(),
            other => {
                tracing::error!(error = %other, "request failed");
                "internal error; try again later".to_owned()
            }
        };
        let (expected, held, fields) = match self {
            ApiError::Gap(n) => (Some(n), None, Vec::new()),
            ApiError::Holding { held, .. } => (None, Some(held), Vec::new()),
            ApiError::Fields(_, _, fields) => (None, None, fields),
            _ => (None, None, Vec::new()),
        };
        let body = ErrorBody {
            error: code,
            message,
            expected,
            held,
            fields,
        };
        (status_of(code), axum::Json(body)).into_response()
    }
}

impl ApiError {
    /// Fields that break the rules: 422, each named.
    pub fn invalid(fields: Vec<FieldError>) -> ApiError {
        let message = match fields.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields break the rules; see fields", many.len()),
        };
        ApiError::Fields(ErrorCode::Invalid, message, fields)
    }

    /// A body that is not JSON: 400, with the line and column where reading stopped.
    pub fn malformed(e: &serde_json::Error) -> ApiError {
        let at = format!("line {} column {}", e.line(), e.column());
        let field = FieldError {
            field: "(body)".into(),
            rule: "json".into(),
            message: format!("malformed JSON at {at}: {e}"),
            pesan: format!(
                "JSON tidak valid pada baris {} kolom {}",
                e.line(),
                e.column()
            ),
        };
        ApiError::Fields(
            ErrorCode::BadRequest,
            format!("malformed JSON at {at}"),
            vec![field],
        )
    }
}

/// A JSON body read after every other extractor (so authentication comes first), whose
/// refusals use the API's one error shape rather than axum's plain text.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::Client(ErrorCode::BadRequest, e.body_text()))?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::malformed(&e))?;
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            ApiError::Fields(
                ErrorCode::Invalid,
                format!("the body does not fit: {e}"),
                vec![FieldError {
                    field: "(body)".into(),
                    rule: "shape".into(),
                    message: e.to_string(),
                    pesan: format!("isi permintaan tidak sesuai: {e}"),
                }],
            )
        })
    }
}
