//! PostgreSQL: the pool, and the embedded migrations run at start.

use std::path::Path;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

mod embedded {
    refinery::embed_migrations!("assets/migrations/central");
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a PostgreSQL URL: {0}")]
    Url(tokio_postgres::Error),
    /// With every cause (a TLS failure names the certificate problem only there).
    #[error("cannot reach PostgreSQL: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] refinery::Error),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
}

fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// The TLS PostgreSQL is reached with (`sslmode=require` in DATABASE_URL): rustls, checking
/// the server's certificate against `ca_file` (PEM), or the public roots without one.
fn rustls_connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, DbError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bad = |e: &dyn std::fmt::Display| DbError::Tls(format!("{}: {e}", path.display()));
            let pem = std::fs::read(path).map_err(|e| bad(&e))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            }
            if roots.is_empty() {
                return Err(bad(&"no certificate in the file"));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    // Named explicitly: the dependency tree enables more than one crypto provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

async fn migrate_and_pool<T>(
    config: tokio_postgres::Config,
    tls: T,
    size: usize,
) -> Result<Pool, DbError>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as tokio_postgres::tls::TlsConnect<Socket>>::Future: Send,
{
    let (mut client, conn) = config
        .connect(tls.clone())
        .await
        .map_err(|e| DbError::Connect(with_causes(&e)))?;
    let task = tokio::spawn(conn);
    embedded::migrations::runner()
        .run_async(&mut client)
        .await?;
    drop(client);
    let _ = task.await;
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// Connects, brings the schema up to date, and returns a pool. With `sslmode=require` in
/// `url` the connection is TLS and the server's certificate is verified (see
/// [`rustls_connector`]); otherwise it is plain, for a database on the same host.
pub async fn connect(url: &str, size: usize, ca_file: Option<&Path>) -> Result<Pool, DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(DbError::Url)?;
    if config.get_ssl_mode() == SslMode::Require {
        migrate_and_pool(config, rustls_connector(ca_file)?, size).await
    } else {
        migrate_and_pool(config, NoTls, size).await
    }
}

/// One connection, with no migration run: for `pusat doctor`, which looks and changes
/// nothing. The connection's task runs on the current runtime.
pub async fn connect_only(
    url: &str,
    ca_file: Option<&Path>,
) -> Result<tokio_postgres::Client, DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(DbError::Url)?;
    let client = if config.get_ssl_mode() == SslMode::Require {
        let (client, conn) = config
            .connect(rustls_connector(ca_file)?)
            .await
            .map_err(|e| DbError::Connect(with_causes(&e)))?;
        tokio::spawn(conn);
        client
    } else {
        let (client, conn) = config
            .connect(NoTls)
            .await
            .map_err(|e| DbError::Connect(with_causes(&e)))?;
        tokio::spawn(conn);
        client
    };
    Ok(client)
}

/// The newest migration this program carries.
pub fn latest_migration() -> i32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0)
}

/// The newest migration applied to the database (0 when none).
pub async fn applied_migration(client: &tokio_postgres::Client) -> Result<i32, DbError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| DbError::Connect(with_causes(&e)))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i32> = client
        .query_one("SELECT MAX(version) FROM refinery_schema_history", &[])
        .await
        .map_err(|e| DbError::Connect(with_causes(&e)))?
        .get(0);
    Ok(version.unwrap_or(0))
}

/// The names of the embedded migrations, for the test that every SQL file is embedded.
pub fn migration_names() -> Vec<String> {
    let mut migrations: Vec<(i32, String)> = embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| (m.version(), m.name().to_owned()))
        .collect();
    migrations.sort();
    migrations.into_iter().map(|(_, name)| name).collect()
}

/// The channel pusat's feed commits are announced on (`pg_notify` in the committing
/// transaction: PostgreSQL delivers it at commit, to every pusat on the database).
pub const FEED_CHANNEL: &str = "loket_feed";
/// The channel a change to a device row is announced on (migration 8's trigger), with the
/// device's id.
pub const DEVICES_CHANNEL: &str = "loket_devices";

/// Who hears what the listener hears.
#[derive(Clone)]
pub struct Listeners {
    /// Offices whose feed committed.
    pub offices: tokio::sync::broadcast::Sender<String>,
    /// Devices checked lately, forgotten as they change.
    pub devices: std::sync::Arc<crate::server::auth::DeviceCache>,
}

impl Listeners {
    pub fn of(state: &crate::server::AppState) -> Listeners {
        Listeners {
            offices: state.feed_commits.clone(),
            devices: state.devices.clone(),
        }
    }
}

async fn listen_once<T>(
    config: &tokio_postgres::Config,
    tls: T,
    to: &Listeners,
) -> Result<(), DbError>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    use futures_util::StreamExt;
    let (client, mut conn) = config
        .connect(tls)
        .await
        .map_err(|e| DbError::Connect(with_causes(&e)))?;
    let heard = to.clone();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(n))
                    if n.channel() == DEVICES_CHANNEL =>
                {
                    match n.payload().parse() {
                        Ok(device) => heard.devices.forget(device),
                        Err(_) => heard.devices.forget_all(),
                    }
                }
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                    let _ = heard.offices.send(n.payload().to_owned());
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {FEED_CHANNEL}; LISTEN {DEVICES_CHANNEL}"))
        .await
        .map_err(|e| DbError::Connect(with_causes(&e)))?;
    // From here every device change is heard: devices may be kept.
    to.devices.listening(true);
    let _ = driver.await;
    to.devices.listening(false);
    drop(client);
    Err(DbError::Connect(
        "the connection listening for feed changes closed".into(),
    ))
}

/// Listens for feed commits and announces each office on `to.offices`, and for device
/// changes, which `to.devices` forgets; reconnects after a failure (long polls still end at
/// their time limit while it is down, and no device is kept).
pub fn spawn_listener(url: &str, ca_file: Option<&Path>, to: Listeners) -> Result<(), DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(DbError::Url)?;
    let tls = if config.get_ssl_mode() == SslMode::Require {
        Some(rustls_connector(ca_file)?)
    } else {
        None
    };
    tokio::spawn(async move {
        loop {
            let result = match &tls {
                Some(tls) => listen_once(&config, tls.clone(), &to).await,
                None => listen_once(&config, NoTls, &to).await,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "feed notifications: reconnecting in 2 s");
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
    Ok(())
}
