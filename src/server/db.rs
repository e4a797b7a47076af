//! PostgreSQL: the pool, and the embedded migrations run at start.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("assets/migrations/central");
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a PostgreSQL URL: {0}")]
    Url(tokio_postgres::Error),
    #[error("cannot reach PostgreSQL: {0}")]
    Connect(tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] refinery::Error),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// Connects, brings the schema up to date, and returns a pool.
pub async fn connect(url: &str, size: usize) -> Result<Pool, DbError> {
    let config: tokio_postgres::Config = url.parse().map_err(DbError::Url)?;
    let (mut client, conn) = config.connect(NoTls).await.map_err(DbError::Connect)?;
    let task = tokio::spawn(conn);
    embedded::migrations::runner()
        .run_async(&mut client)
        .await?;
    drop(client);
    let _ = task.await;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
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
