//! The `pusat` command line: `serve` runs the service; the rest are the administrator's
//! commands. Every command runs the migrations first.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::admin;
use crate::domain::format::shown;
use crate::protocol::OfficeInfo;

#[derive(Debug, Parser)]
#[command(name = "pusat", version, about = "Loket's central service")]
pub struct Cli {
    /// PostgreSQL connection URL; add `sslmode=require` for TLS to a database on another host.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, default_value = "")]
    pub database_url: String,
    /// The CA (PEM) that signed PostgreSQL's certificate, with `sslmode=require`
    /// (default: the public roots).
    #[arg(long, env = "PGSSLROOTCERT", global = true)]
    pub db_ca_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on; without TLS only loopback addresses are allowed.
        #[arg(long, env = "PUSAT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, env = "PUSAT_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "PUSAT_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A file holding the booking system's key for POST /api/v1/bookings (at least 32
        /// bytes; readable by pusat's user only). Or set PUSAT_INTEGRATION_KEY. Never on the
        /// command line, which every local user reads in `ps`.
        #[arg(long, env = "PUSAT_INTEGRATION_KEY_FILE")]
        integration_key_file: Option<PathBuf>,
        /// Refused: a key on the command line is visible in `ps` (see above).
        #[arg(long, hide = true)]
        integration_key: Option<String>,
        /// Reverse proxies (addresses or networks, e.g. 10.0.0.0/8) whose X-Forwarded-For
        /// header names the client, for the status endpoint's rate limit.
        #[arg(long, env = "PUSAT_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxy: Vec<super::status::Network>,
        /// Connections one client address (an IPv6 /64) may hold open at once; raise it
        /// behind a reverse proxy, whose one address carries every kiosk.
        #[arg(long, env = "PUSAT_MAX_CONNECTIONS_PER_CLIENT", default_value_t = super::MAX_CONNECTIONS_PER_CLIENT)]
        max_connections_per_client: usize,
        /// Where to serve /metrics (Prometheus), e.g. 127.0.0.1:9090; off when unset. It
        /// names every device, so keep it on the monitoring network.
        #[arg(long, env = "PUSAT_METRICS_LISTEN")]
        metrics_listen: Option<SocketAddr>,
    },
    /// Print pusat's API as an OpenAPI 3.1 document (JSON), as served at
    /// /api/v1/openapi.json: for the booking system, the status channel and monitoring.
    Openapi,
    /// Offices.
    Office {
        #[command(subcommand)]
        command: OfficeCommand,
    },
    /// Reports for regional heads: an office's queue day from pusat's tickets, the same
    /// figures the office's board and `loket report day` show.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Officers and their PINs.
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// Print a one-time code that enrolls one counter.
    EnrollCode {
        #[arg(long)]
        office: String,
        #[arg(long)]
        counter: u32,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        hours: i64,
        /// The code enrolls a waiting-room display (`loket display`), numbered --counter,
        /// whose credential can read the office's calls and nothing else.
        #[arg(long)]
        display: bool,
    },
    /// Check the server: database reachable, schema current (no migration runs), TLS files
    /// and certificate expiry, free disk, counters silent for a day, events waiting for a
    /// person. Exits 0 fine, 1 with warnings, 2 when pusat cannot serve.
    Doctor {
        /// Print JSON, for monitoring.
        #[arg(long)]
        json: bool,
        #[arg(long, env = "PUSAT_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "PUSAT_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// pusat's folder, for the free-disk check.
        #[arg(long, default_value = "/var/lib/pusat")]
        state_dir: PathBuf,
    },
    /// What needs a person: events pusat refused to apply (a counter wrote what it may
    /// not) and cases whose events it could not all fold in.
    Problems {
        #[arg(long)]
        office: Option<String>,
        /// One JSON object per line, for tools.
        #[arg(long)]
        json: bool,
    },
    /// Enrolled counters.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The change feed the counters pull.
    Feed {
        #[command(subcommand)]
        command: FeedCommand,
    },
    /// Bookings from the booking system.
    Bookings {
        #[command(subcommand)]
        command: BookingsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OfficeCommand {
    /// Add an office, or update one.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// WIB, WITA or WIT.
        #[arg(long)]
        zone: String,
        /// The booking service's Ed25519 public key for signed booking tokens.
        #[arg(long)]
        token_key: Option<String>,
    },
    /// Change an office's queue settings or display text; other settings stay. The
    /// counters and displays take the change at their next pull.
    Set {
        /// The office's code, e.g. JKS.
        #[arg(long)]
        code: String,
        /// A JSON file with the queue's settings: {"lines": [{"prefix": "A", "name":
        /// "Reguler", "priority": false, "target_minutes": 45, "quota": 200}, ...],
        /// "regular_per_priority": 2}. Checked before it is stored.
        #[arg(long)]
        queue: Option<std::path::PathBuf>,
        /// The running text of the waiting room's display.
        #[arg(long)]
        display_text: Option<String>,
        /// How many days the office's counters keep closed cases and past bookings once
        /// pusat has them (1 to 3650; default 30).
        #[arg(long)]
        retention_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The queue's day report of an office: HTML for A4 and CSV (a row per ticket); a
    /// summary to standard output.
    Day {
        /// The office's code, e.g. JKS.
        #[arg(long)]
        office: String,
        /// The day, YYYY-MM-DD (default: today at the office).
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Write the HTML report here.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Write the CSV (one row per ticket, every timestamp) here.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OfficerCommand {
    /// Add an officer, or replace one's details and PIN.
    Add {
        #[arg(long)]
        office: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        nip: String,
        #[arg(long)]
        name: String,
        /// officer, supervisor or technician.
        #[arg(long, default_value = "officer")]
        role: String,
        /// At least 6 digits.
        #[arg(long, env = "PUSAT_OFFICER_PIN", hide_env_values = true)]
        pin: String,
    },
    /// Take an officer off the roster (someone who left or moved on): their PIN stops
    /// working at the counters, their past work stays.
    Remove {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Drop superseded changes and bookings long past (`serve` does this every hour).
    Compact,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    List,
    /// Refuse this device's credential from now on (its events stay).
    Revoke {
        id: uuid::Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum BookingsCommand {
    /// Import bookings from a CSV or JSON file: good rows are stored, each bad row is
    /// reported with its line, field and reason; exit 1 when any row was refused.
    Import {
        file: PathBuf,
        /// Check the file and report, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0} baris ditolak / {0} rows refused")]
    Refused(usize),
    #[error(transparent)]
    Db(#[from] super::db::DbError),
    #[error(transparent)]
    Api(#[from] super::ApiError),
    #[error("{0}")]
    Other(String),
}

/// Runs one command; the tokio runtime lives here. The exit status: 0, or `pusat doctor`'s.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(e.to_string()))?;
    runtime.block_on(run_async(cli))
}

async fn run_async(cli: Cli) -> Result<u8, CliError> {
    if let Command::Openapi = cli.command {
        let doc = super::openapi::document()
            .to_pretty_json()
            .map_err(|e| CliError::Other(e.to_string()))?;
        println!("{doc}");
        return Ok(0);
    }
    if cli.database_url.is_empty() {
        return Err(CliError::Other(
            "DATABASE_URL is not set: give --database-url postgres://... or set DATABASE_URL"
                .into(),
        ));
    }
    if let Command::Doctor {
        json,
        tls_cert,
        tls_key,
        state_dir,
    } = &cli.command
    {
        let report = super::doctor::examine(&super::doctor::Options {
            database_url: cli.database_url.clone(),
            db_ca_file: cli.db_ca_file.clone(),
            tls: tls_cert.clone().zip(tls_key.clone()),
            state_dir: state_dir.clone(),
        })
        .await;
        if *json {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Other(e.to_string()))?;
            println!("{text}");
        } else {
            print!(
                "{}",
                report.render_with(
                    "Pemeriksaan pusat / pusat check",
                    "Perbaiki / Fix",
                    [
                        "pusat siap melayani / pusat can serve.",
                        "pusat dapat melayani, dengan peringatan di atas / can serve, with the warnings above.",
                        "pusat BELUM dapat melayani: perbaiki yang bertanda ✗ / CANNOT serve: fix what is marked ✗.",
                    ],
                )
            );
        }
        return Ok(report.exit);
    }
    let integration_key = match &cli.command {
        Command::Serve {
            integration_key: Some(_),
            ..
        } => {
            return Err(CliError::Other(
                "--integration-key is refused: every local user reads the command line (ps). Put the key in PUSAT_INTEGRATION_KEY (the unit's environment file) or in a file named by --integration-key-file".into(),
            ));
        }
        Command::Serve {
            integration_key_file,
            ..
        } => integration_key(integration_key_file.as_deref())?,
        _ => None,
    };
    if let Some(key) = &integration_key
        && key.len() < super::MIN_INTEGRATION_KEY
    {
        return Err(CliError::Other(format!(
            "the integration key is {} bytes; use at least {} random bytes (e.g. openssl rand -base64 48), or leave it unset to refuse every booking post",
            key.len(),
            super::MIN_INTEGRATION_KEY
        )));
    }
    let pool = super::db::connect(&cli.database_url, 16, cli.db_ca_file.as_deref()).await?;
    let mut client = pool.get().await.map_err(super::ApiError::from)?;
    match cli.command {
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            trusted_proxy,
            metrics_listen,
            max_connections_per_client,
            ..
        } => {
            drop(client);
            let files = super::raise_open_files();
            tracing::info!(open_files = ?files, "open-files limit");
            super::feed::spawn_compaction(pool.clone());
            let mut state = super::AppState::new(pool, integration_key.as_deref());
            state.trusted_proxies = std::sync::Arc::new(trusted_proxy);
            state.connections_per_client = max_connections_per_client.max(1);
            super::db::spawn_listener(
                &cli.database_url,
                cli.db_ca_file.as_deref(),
                super::db::Listeners::of(&state),
            )?;
            if let Some(addr) = metrics_listen {
                let io =
                    |e: std::io::Error| CliError::Other(format!("--metrics-listen {addr}: {e}"));
                let listener = tokio::net::TcpListener::bind(addr).await.map_err(io)?;
                println!(
                    "pusat metrics on http://{}/metrics",
                    listener.local_addr().map_err(io)?
                );
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = super::serve_metrics(listener, state, shutdown_signal()).await {
                        tracing::error!(error = %e, "metrics listener stopped");
                    }
                });
            }
            serve(state, listen, tls_cert.zip(tls_key)).await?;
        }
        Command::Office {
            command:
                OfficeCommand::Add {
                    code,
                    name,
                    zone,
                    token_key,
                },
        } => {
            let mut config = serde_json::Map::new();
            if let Some(key) = token_key {
                config.insert("token_key".into(), key.into());
            }
            let office = OfficeInfo {
                code,
                name,
                zone,
                config,
            };
            admin::office_add(&mut client, &office).await?;
            println!("office {} saved", office.code);
        }
        Command::Office {
            command:
                OfficeCommand::Set {
                    code,
                    queue,
                    display_text,
                    retention_days,
                },
        } => {
            let queue = match queue {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| CliError::Other(format!("{}: {e}", path.display())))?;
                    Some(serde_json::from_str(&text).map_err(|e| {
                        CliError::Other(format!("{}: not JSON: {e}", path.display()))
                    })?)
                }
                None => None,
            };
            let settings = admin::OfficeSettings {
                queue,
                display_text: display_text.as_deref(),
                retention_days,
            };
            let info = admin::office_set(&mut client, &code, &settings).await?;
            println!("office {} settings saved", info.code);
        }
        Command::Officer {
            command:
                OfficerCommand::Add {
                    office,
                    username,
                    nip,
                    name,
                    role,
                    pin,
                },
        } => {
            let officer = admin::NewOfficer {
                office: &office,
                username: &username,
                nip: &nip,
                name: &name,
                role: &role,
                pin: &pin,
            };
            admin::officer_add(&mut client, &officer).await?;
            println!("officer {username} saved");
        }
        Command::Officer {
            command: OfficerCommand::Remove { username },
        } => {
            admin::officer_remove(&mut client, &username).await?;
            println!("officer {username} removed");
        }
        Command::EnrollCode {
            office,
            counter,
            hours,
            display,
        } => {
            let role = if display {
                super::auth::Role::Display
            } else {
                super::auth::Role::Counter
            };
            let (code, expires) =
                admin::enroll_code_for(&client, &office, counter, hours, role).await?;
            println!("{code}");
            eprintln!(
                "one-time code for {office} {} {counter}, valid until {expires}",
                role.label()
            );
        }
        Command::Report {
            command:
                ReportCommand::Day {
                    office,
                    day,
                    html,
                    csv,
                },
        } => {
            let report = super::tickets::day_report(&client, &office, day).await?;
            let write = |path: &PathBuf, text: String| {
                crate::secret::write_owner_only(path, text.as_bytes())
                    .map_err(|e| CliError::Other(format!("{}: {e}", path.display())))
            };
            if let Some(path) = &html {
                write(path, report.html())?;
            }
            if let Some(path) = &csv {
                write(path, report.csv())?;
            }
            println!("{}", report.summary());
        }
        Command::Feed {
            command: FeedCommand::Compact,
        } => {
            let removed = super::feed::compact(&client).await?;
            println!("feed compacted: {removed} changes removed");
        }
        Command::Problems { office, json } => {
            let list = admin::problems(&client, office.as_deref()).await?;
            for p in &list {
                if json {
                    let line =
                        serde_json::to_string(p).map_err(|e| CliError::Other(e.to_string()))?;
                    println!("{line}");
                } else {
                    println!(
                        "{}  {:<6} counter {:<3} {:<8} {:<28} {}",
                        p.at.format("%Y-%m-%d %H:%M:%S"),
                        shown(&p.office),
                        p.counter,
                        shown(p.kind),
                        shown(&p.subject),
                        shown(&p.reason)
                    );
                }
            }
            if !json {
                println!("{} masalah / {} problems", list.len(), list.len());
            }
        }
        Command::Device {
            command: DeviceCommand::List,
        } => {
            println!(
                "ID                                    OFFICE COUNTER LAST SEQ  LAST SEEN                 STATE"
            );
            for d in admin::device_list(&client).await? {
                let state = if d.revoked_at.is_some() {
                    "revoked"
                } else if d.expires_at <= chrono::Utc::now() {
                    "expired"
                } else {
                    "active"
                };
                let seen = d.last_seen.map_or("never".into(), |t| t.to_rfc3339());
                println!(
                    "{} {:<6} {:>7} {:>8}  {:<25} {state}",
                    d.id, d.office, d.counter, d.last_seq, seen
                );
            }
        }
        Command::Device {
            command: DeviceCommand::Revoke { id },
        } => {
            admin::device_revoke(&client, id).await?;
            println!("device {id} revoked");
        }
        Command::Bookings {
            command: BookingsCommand::Import { file, dry_run },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Other(format!("{}: {e}", file.display())))?;
            let name = file.to_string_lossy();
            let done = admin::bookings_import(&mut client, &name, &text, dry_run).await?;
            for refusal in &done.refused {
                eprintln!("{refusal}");
            }
            if dry_run {
                println!(
                    "{} booking lolos pemeriksaan, tidak disimpan (--dry-run) / {} bookings pass, nothing stored",
                    done.good, done.good
                );
            } else {
                println!(
                    "{} booking diimpor / {} bookings imported",
                    done.stored, done.stored
                );
            }
            if !done.refused.is_empty() {
                return Err(CliError::Refused(done.refused.len()));
            }
        }
        // Answered before connecting (above): they must not migrate.
        Command::Doctor { .. } | Command::Openapi => {}
    }
    Ok(0)
}

async fn serve(
    state: super::AppState,
    listen: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
) -> Result<(), CliError> {
    if tls.is_none() && !listen.ip().is_loopback() {
        return Err(CliError::Other(format!(
            "without --tls-cert and --tls-key pusat listens on loopback only, not {listen}"
        )));
    }
    let io = |e: std::io::Error| CliError::Other(e.to_string());
    let listener = std::net::TcpListener::bind(listen).map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Tests and scripts read this line to learn the port when listening on port 0.
    println!("pusat listening on {scheme}://{addr}");
    tracing::info!(%addr, scheme, "listening");
    // Under systemd (Type=notify): the socket is bound, requests are accepted from now on.
    crate::service::ready();
    match tls {
        Some((cert, key)) => {
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            super::serve_tls(listener, state, &cert, &key, handle)
                .await
                .map_err(io)
        }
        None => {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
            super::serve(listener, state, shutdown_signal())
                .await
                .map_err(io)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// The booking system's key: the file's first line when a file is named, else
/// `PUSAT_INTEGRATION_KEY`; none when neither is set.
fn integration_key(file: Option<&std::path::Path>) -> Result<Option<String>, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Other(format!(
                "cannot read the integration key file {}: {e}",
                path.display()
            ))
        })?;
        let key = text.lines().next().unwrap_or("").trim().to_owned();
        return Ok(Some(key));
    }
    Ok(std::env::var("PUSAT_INTEGRATION_KEY").ok())
}
