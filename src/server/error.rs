//! The server's one error type: each maps to a status code and a machine-readable code the
//! counter turns into words for the officer. Internal failures are logged here, once, and
//! answered without their details.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Client(ErrorCode, String),
    #[error("sequence gap: expected {0}")]
    Gap(i64),
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
        ErrorCode::Digest => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = match &self {
            ApiError::Client(_, m) => m.clone(),
            ApiError::Gap(n) => format!("sequence gap: send from {n}"),
            other => {
                tracing::error!(error = %other, "request failed");
                "internal error; try again later".to_owned()
            }
        };
        let expected = match self {
            ApiError::Gap(n) => Some(n),
            _ => None,
        };
        let body = ErrorBody {
            error: code,
            message,
            expected,
        };
        (status_of(code), axum::Json(body)).into_response()
    }
}
