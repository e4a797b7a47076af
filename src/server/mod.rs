//! pusat, the central service: an axum HTTP API over PostgreSQL. Counters enroll, push their
//! events, pull their office's changes and upload photos; the booking system posts bookings;
//! the office's other channels ask for an application's stage.

pub mod admin;
mod approvals;
mod auth;
mod bookings;
mod border;
pub mod cli;
pub mod db;
pub mod doctor;
mod error;
pub mod feed;
pub mod import;
pub mod ingest;
mod metrics;
pub mod openapi;
pub mod photos;
mod pins;
mod project;
mod repo;
pub mod status;
pub mod tickets;
mod trust;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use deadpool_postgres::Pool;

pub use auth::{MIN_INTEGRATION_KEY, Role};
pub use error::{ApiError, ApiJson, Result};
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
    /// Offices whose feed just committed (from PostgreSQL's notifications): wakes long
    /// polls.
    pub feed_commits: tokio::sync::broadcast::Sender<String>,
    /// Long polls waiting now, at most `feed::MAX_WAITING`.
    pub waiters: Arc<tokio::sync::Semaphore>,
    /// Long polls waiting now per device, at most `feed::MAX_WAITING_PER_DEVICE` each.
    pub device_polls: Arc<feed::DevicePolls>,
    /// Connections one client may hold open at once ([`MAX_CONNECTIONS_PER_CLIENT`]; more
    /// behind a reverse proxy, where every client is the proxy).
    pub connections_per_client: usize,
    /// `POST /queue/call`s being made now, per office.
    pub calls: Arc<tickets::CallDesk>,
    /// Devices checked lately (kept only while `db::spawn_listener` hears their changes).
    pub devices: Arc<auth::DeviceCache>,
    /// Signed requests with a body being read and handled now, at most [`MAX_BODY_READS`]:
    /// the body is read before the route's concurrency limit, so this bounds the memory
    /// bodies take (a few hundred MiB at worst) even from a known device gone rogue.
    pub body_reads: Arc<tokio::sync::Semaphore>,
}

/// Signed requests with a body read at once (see [`AppState::body_reads`]); more wait.
pub const MAX_BODY_READS: usize = 128;

impl AppState {
    pub fn new(pool: Pool, integration_key: Option<&str>) -> AppState {
        AppState {
            pool,
            // A short key (the CLI refuses to start with one) is no key: bookings are refused.
            integration_key: integration_key
                .filter(|k| k.len() >= auth::MIN_INTEGRATION_KEY)
                .map(|k| auth::sha256(k.as_bytes())),
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(status::RateLimiter::default()),
            trusted_proxies: Arc::new(Vec::new()),
            feed_commits: tokio::sync::broadcast::channel(1024).0,
            waiters: Arc::new(tokio::sync::Semaphore::new(feed::MAX_WAITING)),
            device_polls: Arc::default(),
            connections_per_client: MAX_CONNECTIONS_PER_CLIENT,
            calls: Arc::default(),
            devices: Arc::default(),
            body_reads: Arc::new(tokio::sync::Semaphore::new(MAX_BODY_READS)),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let (router, _) = api().with_state(state.clone()).split_for_parts();
    router.layer(axum::middleware::from_fn_with_state(
        state,
        auth::body_as_signed,
    ))
}

/// The largest request body pusat reads (a push of [`protocol::MAX_BATCH`] events, a photo
/// chunk, a batch of bookings).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The routes with their documentation: each handler carries its `#[utoipa::path]`, so the
/// OpenAPI document ([`openapi::document`]) is made from the very routes served.
fn api() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;
    // Requests that work are limited to MAX_IN_FLIGHT at once; the change feed is not, since
    // its long polls mostly wait (every counter and display of the country holds one), and
    // they have their own bound (`feed::MAX_WAITING`).
    let api = OpenApiRouter::new()
        .routes(routes!(auth::enroll))
        .routes(routes!(auth::renew))
        .routes(routes!(auth::device))
        .routes(routes!(ingest::push))
        .routes(routes!(tickets::call))
        .routes(routes!(tickets::office_status))
        .routes(routes!(photos::put, photos::head, photos::get))
        .routes(routes!(bookings::post))
        .routes(routes!(bookings::cancel))
        .routes(routes!(status::status))
        .routes(routes!(openapi::serve))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_IN_FLIGHT,
        ))
        .routes(routes!(feed::pull))
        .layer(axum::middleware::from_fn(protocol_version))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY));
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", api)
        .routes(routes!(healthz))
}

/// `/metrics` names every device, office and counter: it is served on its own listener
/// (`--metrics-listen`, for the monitoring network), never beside the public API.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::render))
        .route("/healthz", get(healthz))
        .with_state(state)
}

/// Serves `/metrics` on `listener` until `shutdown` resolves.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, metrics_router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Refuses a client that speaks another protocol version, and names ours on every answer.
async fn protocol_version(req: Request, next: Next) -> Response {
    let theirs = req.headers().get(protocol::HEADER).cloned();
    let mut response = match theirs {
        Some(v) if v.as_bytes() != protocol::VERSION.as_bytes() => ApiError::Client(
            ErrorCode::Protocol,
            format!(
                "perbarui loket ke versi ≥ {min} / update loket to version ≥ {min} (pusat speaks protocol {ours}, this counter {theirs})",
                min = protocol::MIN_LOKET,
                ours = protocol::VERSION,
                theirs = String::from_utf8_lossy(v.as_bytes()),
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

#[utoipa::path(get, path = "/healthz", tag = "public",
    responses(
        (status = 200, description = "pusat and its database answer", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = protocol::ErrorBody),
    ))]
async fn healthz(State(state): State<AppState>) -> Result<&'static str> {
    let client = state.pool.get().await?;
    client.simple_query("SELECT 1").await?;
    Ok("ok\n")
}

/// How long a client may take to send a request's headers, and to be answered: a client
/// that trickles bytes (slowloris) is cut off rather than holding a connection.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Requests served at once; more wait for a free slot.
pub const MAX_IN_FLIGHT: usize = 512;

/// Raises the soft limit on open files to the hard one (the unit sets 65,536): every
/// connection is a file, and at the default 1,024 a thousand idle connections made the
/// other kiosks wait. Answers the limit now in force (`None`: unlimited).
pub fn raise_open_files() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "the open-files limit could not be raised");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// The router with the limits every listener gets.
fn app(state: AppState) -> Router {
    router(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                // The path may carry a booking code: spans name the method and route only.
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or("?", |p| p.as_str())
                        .to_owned();
                    tracing::info_span!("request", method = %req.method(), %route)
                }),
        )
}

fn limit<A>(server: &mut axum_server::Server<SocketAddr, A>) {
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_READ_TIMEOUT);
}

/// Drops a plain connection that sends nothing within [`HEADER_READ_TIMEOUT`]: hyper's
/// header timer starts only once the first bytes arrive. (Over TLS the handshake timeout
/// does this.)
#[derive(Clone, Copy)]
struct FirstByteWithin;

impl<S: Send + 'static> axum_server::accept::Accept<tokio::net::TcpStream, S> for FirstByteWithin {
    type Stream = tokio::net::TcpStream;
    type Service = S;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<(Self::Stream, S)>> + Send>,
    >;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        Box::pin(async move {
            let mut first = [0u8; 1];
            tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first))
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
            Ok((stream, service))
        })
    }
}

/// Connections one client (an IPv4 address, or an IPv6 /64) may hold open at once; beyond
/// them a new connection is closed at once. 1,100 idle connections from one machine used to
/// take the file descriptors other kiosks needed. (Behind a reverse proxy every client is
/// the proxy: give it a higher limit there, or none.)
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 64;

/// Open connections per client.
#[derive(Default)]
pub struct Connections(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

impl Connections {
    /// One more for `ip`, unless it holds `max` already.
    pub fn open(self: &Arc<Self>, ip: std::net::IpAddr, max: usize) -> Option<Connection> {
        let key = status::client_key(ip);
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = held.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Connection {
            connections: Arc::clone(self),
            key,
        })
    }
}

/// One open connection, counted until dropped.
pub struct Connection {
    connections: Arc<Connections>,
    key: std::net::IpAddr,
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut held = self
            .connections
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// A stream that holds its connection's count while it is open.
pub struct Counted<T> {
    inner: T,
    _open: Connection,
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counted<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Counts each client's connections before `A` accepts one, and closes one beyond
/// [`MAX_CONNECTIONS_PER_CLIENT`] at once.
#[derive(Clone)]
pub struct PerClient<A> {
    inner: A,
    connections: Arc<Connections>,
    max: usize,
}

impl<A> PerClient<A> {
    pub fn new(inner: A, max: usize) -> PerClient<A> {
        PerClient {
            inner,
            connections: Arc::default(),
            max,
        }
    }
}

impl<A, S> axum_server::accept::Accept<tokio::net::TcpStream, S> for PerClient<A>
where
    A: axum_server::accept::Accept<tokio::net::TcpStream, S> + Clone + Send + Sync + 'static,
    A::Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    A::Future: Send + 'static,
    S: Send + 'static,
{
    type Stream = Counted<A::Stream>;
    type Service = A::Service;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<(Self::Stream, A::Service)>> + Send>,
    >;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        let open = stream
            .peer_addr()
            .ok()
            .and_then(|peer| self.connections.open(peer.ip(), self.max));
        let inner = self.inner.clone();
        Box::pin(async move {
            let Some(open) = open else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "too many connections from this client",
                ));
            };
            let (stream, service) = inner.accept(stream, service).await?;
            Ok((
                Counted {
                    inner: stream,
                    _open: open,
                },
                service,
            ))
        })
    }
}

/// Serves plain HTTP on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stop = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stop.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    let per_client = state.connections_per_client;
    let mut server = axum_server::from_tcp(listener.into_std()?)?
        .acceptor(PerClient::new(FirstByteWithin, per_client))
        .handle(handle);
    limit(&mut server);
    server
        .serve(app(state).into_make_service_with_connect_info::<SocketAddr>())
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
    let per_client = state.connections_per_client;
    let mut server = axum_server::from_tcp_rustls(listener, tls)?
        .map(|tls| PerClient::new(tls, per_client))
        .handle(handle);
    limit(&mut server);
    server
        .serve(app(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
}

#[cfg(test)]
mod limit_tests {
    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_one() {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let before = getrlimit(Resource::Nofile);
        // As systemd's default leaves it: soft 1,024 under a higher hard limit.
        if before.maximum.is_none_or(|hard| hard > 1024) {
            let low = rustix::process::Rlimit {
                current: Some(1024),
                maximum: before.maximum,
            };
            setrlimit(Resource::Nofile, low).unwrap();
        }
        let now = super::raise_open_files();
        assert_eq!(now, before.maximum);
        assert_eq!(getrlimit(Resource::Nofile).current, before.maximum);
    }
}
