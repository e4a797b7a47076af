//! pusat, the central service: an axum HTTP API over PostgreSQL. Counters enroll, push their
//! events, pull their office's changes and upload photos; the booking system posts bookings;
//! the office's other channels ask for an application's stage.

pub mod admin;
mod auth;
mod bookings;
pub mod cli;
pub mod db;
mod error;
pub mod feed;
pub mod ingest;
mod metrics;
mod photos;
mod project;
pub mod status;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use deadpool_postgres::Pool;

pub use error::{ApiError, Result};
pub use metrics::Metrics;

use crate::protocol::{self, ErrorCode};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// SHA-256 of the booking system's integration key; `None` refuses every booking post.
    pub integration_key: Option<[u8; 32]>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<status::RateLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for rate limits).
    pub trusted_proxies: Arc<Vec<status::Network>>,
}

impl AppState {
    pub fn new(pool: Pool, integration_key: Option<&str>) -> AppState {
        AppState {
            pool,
            integration_key: integration_key.map(|k| auth::sha256(k.as_bytes())),
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(status::RateLimiter::default()),
            trusted_proxies: Arc::new(Vec::new()),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/enroll", post(auth::enroll))
        .route("/renew", post(auth::renew))
        .route("/events", post(ingest::push))
        .route("/changes", get(feed::pull))
        .route(
            "/photos/{sha256}",
            put(photos::put).head(photos::head).get(photos::head),
        )
        .route("/bookings", post(bookings::post))
        .route("/bookings/{code}", axum::routing::delete(bookings::cancel))
        .route("/status/{code}", get(status::status))
        .layer(axum::middleware::from_fn(protocol_version))
        .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .with_state(state)
}

/// Refuses a client that speaks another protocol version, and names ours on every answer.
async fn protocol_version(req: Request, next: Next) -> Response {
    let theirs = req.headers().get(protocol::HEADER).cloned();
    let mut response = match theirs {
        Some(v) if v.as_bytes() != protocol::VERSION.as_bytes() => ApiError::Client(
            ErrorCode::Protocol,
            format!(
                "protocol {} is not supported; this server speaks {}",
                String::from_utf8_lossy(v.as_bytes()),
                protocol::VERSION
            ),
        )
        .into_response(),
        _ => next.run(req).await,
    };
    response.headers_mut().insert(
        protocol::HEADER,
        HeaderValue::from_static(protocol::VERSION),
    );
    response
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str> {
    let client = state.pool.get().await?;
    client.simple_query("SELECT 1").await?;
    Ok("ok\n")
}

/// Serves plain HTTP on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves HTTPS (rustls) on `listener` until `handle` is told to shut down.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    state: AppState,
    cert: &std::path::Path,
    key: &std::path::Path,
    handle: axum_server::Handle<SocketAddr>,
) -> std::io::Result<()> {
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    axum_server::from_tcp_rustls(listener, tls)?
        .handle(handle)
        .serve(router(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
}
