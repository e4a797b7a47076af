//! The `loket` command line: the counter terminal (`run`, `demo`) and the tools for scripts
//! and supervisors (`bookings list`, `cases export`). Every command honours `--data-dir`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::config::{self, Config};
use crate::domain::Office;
use crate::domain::fees::FeeSchedule;
use crate::store::{QueueStatus, Store};
use crate::text::Lang;
use crate::ui::{App, AppSetup};

mod care;
mod photo;
mod report;
mod scan;
mod sync;
mod terminal;

#[derive(Debug, Parser)]
#[command(
    name = "loket",
    version,
    about = "Loket: terminal loket kantor imigrasi / immigration counter terminal"
)]
pub struct Cli {
    /// Folder for the database and config.toml (default: ~/.local/share/loket; for
    /// `loket demo`, ~/.local/share/loket-demo).
    #[arg(long, global = true, env = "LOKET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the counter terminal on a demo office, seeding it on first start.
    Demo {
        /// Seed for the demo bookings (used when the data directory is new).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Open the counter terminal on this counter's data.
    Run,
    /// The supervisor's board alone, full screen: only a supervisor signs in.
    Board,
    /// Reports for supervisors.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Read booking codes from a scanner: the technician's test. Accepted codes go to
    /// stdout one a line, refusals with their reason to stderr.
    Scan {
        /// Serial port of the scanner (default: the configured one).
        #[arg(long, conflicts_with = "camera")]
        serial: Option<String>,
        /// Read from a camera instead: its index or /dev/video path.
        #[arg(long)]
        camera: Option<String>,
        /// The scanner's speed in baud (default: the configured one, else 9600).
        #[arg(long)]
        baud: Option<u32>,
        /// Exit after this many accepted codes (with --detect: raw scans to watch, 3).
        #[arg(long)]
        count: Option<usize>,
        /// List the serial ports and cameras plugged in, with their USB ids; with --serial,
        /// watch a few raw scans and tell which `terminator` setting the scanner needs.
        #[arg(long, conflicts_with = "camera")]
        detect: bool,
        /// Write the udev rule that names the scanner with this USB id (vvvv:pppp, from
        /// --detect or lsusb) /dev/loket-scanner.
        #[arg(long, value_name = "VVVV:PPPP", conflicts_with_all = ["camera", "detect"])]
        udev_rule: Option<String>,
        /// Where --udev-rule writes (default /etc/udev/rules.d).
        #[arg(long, default_value = "/etc/udev/rules.d")]
        rules_dir: PathBuf,
    },
    /// Enroll this counter with pusat using a one-time code from `pusat enroll-code`.
    Enroll {
        /// pusat's address, e.g. https://pusat.example.go.id
        #[arg(long)]
        server: String,
        /// The one-time code from `pusat enroll-code`, e.g. 7K3M-Q9TX-2BHD.
        #[arg(long)]
        code: String,
        /// A certificate authority (PEM) to trust for pusat, when its certificate is not
        /// from a public one.
        #[arg(long)]
        ca_file: Option<PathBuf>,
    },
    /// The waiting room's display: the office's calls in block letters, full screen, for a
    /// TV. Enroll it first with a display code (`pusat enroll-code --display`).
    Display {
        /// Speak each call with this command and its words, the text as the last argument
        /// (e.g. "espeak-ng -v id"); calls are spoken one after another.
        #[arg(long)]
        announce_cmd: Option<String>,
    },
    /// Sync with pusat: push events, pull the office's changes, upload photos.
    Sync {
        /// Run one round, print what moved, and exit (else keep syncing until Ctrl+C).
        #[arg(long)]
        once: bool,
    },
    /// Read QR codes in pictures, through the same pipeline as the camera.
    Qr {
        #[command(subcommand)]
        command: QrCommand,
    },
    /// Passport photos.
    Photo {
        #[command(subcommand)]
        command: PhotoCommand,
    },
    /// Bookings held by this counter.
    Bookings {
        #[command(subcommand)]
        command: BookingsCommand,
    },
    /// Cases worked at this counter.
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// Check this kiosk: configuration, database, disk, camera, scanner, printer, pusat, clock,
    /// credential, sync, backups and the service, each with its fix. Exits 0 when the kiosk
    /// can serve, 1 when it can with warnings, 2 when it cannot.
    Doctor {
        /// Print JSON, for fleet tools.
        #[arg(long)]
        json: bool,
        /// Language of the report: id or en (default: the configured one).
        #[arg(long)]
        lang: Option<String>,
        /// Skip opening the camera (it takes a few seconds, and the terminal may hold it).
        #[arg(long)]
        no_camera: bool,
    },
    /// Copy the database (online, while the terminal works) and the photos not yet uploaded
    /// into a dated folder, verify the copy, keep the last seven.
    Backup {
        /// Where the backups go (default: backups/ in the data folder).
        #[arg(long)]
        to: Option<PathBuf>,
        /// List the backups instead of making one.
        #[arg(long)]
        list: bool,
    },
    /// Remove now what the office no longer keeps (UU PDP): closed cases and past bookings
    /// older than the retention, but only what pusat already holds (every event pushed,
    /// every photo uploaded). The audit trail stays. It also runs by itself once a day after
    /// a sync reaches pusat.
    Purge {
        /// Remove what is older than this day, YYYY-MM-DD (default: the office's retention,
        /// counted back from today).
        #[arg(long, value_parser = parse_day)]
        before: Option<NaiveDate>,
        /// Only say what would go.
        #[arg(long)]
        dry_run: bool,
    },
    /// Put a backup back as this counter's database (refused while the terminal runs). The
    /// database it replaces is kept beside it.
    Restore {
        /// A backup folder (or its loket.db).
        #[arg(required_unless_present = "latest", conflicts_with = "latest")]
        from: Option<PathBuf>,
        /// The newest backup in the data folder's backups/.
        #[arg(long)]
        latest: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Run the quality checks on an image file: exit 0 when all pass, 1 when any fails,
    /// 2 when the file cannot be read. Technicians use it to tune a kiosk's lighting.
    Check { file: PathBuf },
    /// Take one picture with a camera (index or /dev/video path) and save it.
    Capture {
        /// The camera: its index (0) or /dev/video path.
        #[arg(long)]
        camera: String,
        /// Where to save the picture (JPEG or PNG by its extension).
        #[arg(long)]
        out: PathBuf,
    },
    /// Record a photo file for a case waiting for its photo ("menunggu foto"): the same
    /// checks as the camera's; a photo that fails one needs --reason. The officer's PIN is
    /// asked (or read from standard input when it is not a terminal).
    Import {
        /// The booking code.
        #[arg(long)]
        booking: String,
        /// Which applicant on the booking, from 1.
        #[arg(long, default_value_t = 1)]
        applicant: usize,
        /// The officer recording it: username or NIP.
        #[arg(long)]
        officer: String,
        /// Why a photo that failed a check is kept anyway.
        #[arg(long)]
        reason: Option<String>,
        /// The picture (JPEG or PNG).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Print `FILE<TAB>TEXT` for each code read, `FILE<TAB>-` when none; exit 2 when a file
    /// cannot be read.
    Decode {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BookingsCommand {
    /// List a day's bookings: code, applicants, status.
    List(DayArgs),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The queue's day report from the tickets this terminal holds (its own and the
    /// office's as synced): an HTML page for A4 and a CSV with a row per ticket. Without
    /// --html or --csv, a summary to standard output.
    Day(DayReportArgs),
}

#[derive(Debug, Args)]
pub struct DayReportArgs {
    /// The day, YYYY-MM-DD (default: today at the office).
    #[arg(long, value_parser = parse_day)]
    pub day: Option<NaiveDate>,
    /// Write the HTML report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write the CSV (one row per ticket, every timestamp) here.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Export a day's cases: a table, or with --json each case's steps, results, decision,
    /// timestamps and officers.
    Export(DayArgs),
}

#[derive(Debug, Args)]
pub struct DayArgs {
    /// The day, YYYY-MM-DD (default: today at the office).
    #[arg(long, value_parser = parse_day)]
    pub day: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        format!("tanggal ditulis YYYY-MM-DD, mis. 2026-11-27 / the day is YYYY-MM-DD, e.g. 2026-11-27 (got {text:?})")
    })
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("tidak dapat membuat folder data {path}: {source} / cannot create the data folder")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(
        "basis data {path}: {} / database error: {source}",
        crate::text::store_text(.source, crate::text::Lang::Id.strings())
    )]
    Store {
        path: PathBuf,
        source: crate::store::StoreError,
    },
    #[error("tabel tarif bawaan rusak: {0} / built-in fee table is damaged")]
    Fees(#[from] crate::domain::fees::FeeError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The reader of our output went away (`| head`): not an error, nothing to say.
    #[error("")]
    Closed,
    #[error(transparent)]
    Credential(#[from] crate::sync::CredentialError),
    #[error("sinkron gagal: {0} / sync failed")]
    Sync(String),
    #[error(
        "tidak ada pemindai: beri --serial PATH atau atur [scanner] di config.toml / no scanner configured"
    )]
    NoScanner,
    #[error(
        "loket sedang berjalan memakai {0}: hentikan dulu (`systemctl stop loket`) lalu ulangi / a terminal is running on {0}: stop it first"
    )]
    InUse(PathBuf),
    #[error("{0}")]
    Device(String),
    #[error("cadangan / backup: {0}")]
    Backup(String),
    #[error(
        "{0} milik loket yang terdaftar di pusat: demo tidak boleh menanam data contoh di sana; pakai --data-dir lain / {0} belongs to an enrolled counter: run the demo in another --data-dir"
    )]
    DemoOnEnrolled(PathBuf),
}

struct Opened {
    dir: PathBuf,
    config: Config,
    office: Office,
    store: Store,
    /// Set once this counter is enrolled with pusat.
    credential: Option<crate::sync::Credential>,
}

fn open(dir: PathBuf) -> Result<Opened, CliError> {
    std::fs::create_dir_all(&dir).map_err(|source| CliError::DataDir {
        path: dir.clone(),
        source,
    })?;
    private(&dir, 0o700).map_err(|source| CliError::DataDir {
        path: dir.clone(),
        source,
    })?;
    let credential = crate::sync::Credential::load(&dir)?;
    let config = Config::load(&dir)?;
    // The database is named after the office the credential says, before pusat's word.
    let (_, first) = config::resolve(config.clone(), credential.as_ref(), None)?;
    let path = dir.join("loket.db");
    let store = Store::open(&path, &first.code).map_err(|source| CliError::Store {
        path: path.clone(),
        source,
    })?;
    private(&path, 0o600).map_err(|source| CliError::DataDir {
        path: path.clone(),
        source,
    })?;
    let pulled = match &credential {
        Some(_) => store.office_info(&first.code).map_err(store_err(&dir))?,
        None => None,
    };
    let (config, office) = config::resolve(config, credential.as_ref(), pulled)?;
    Ok(Opened {
        dir,
        config,
        office,
        store,
        credential,
    })
}

/// The data folder's lock, held by a running terminal and by a restore.
fn lock(dir: &Path) -> Result<crate::store::DataLock, CliError> {
    crate::store::DataLock::take(dir).map_err(|e| match e {
        crate::store::LockError::Busy => CliError::InUse(dir.to_path_buf()),
        crate::store::LockError::Io(e) => CliError::Terminal(e),
    })
}

/// Personal data stays with the service user: the data folder 0700, the database 0600.
fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

fn store_err(dir: &Path) -> impl Fn(crate::store::StoreError) -> CliError + '_ {
    move |source| CliError::Store {
        path: dir.join("loket.db"),
        source,
    }
}

/// What `loket` exits with: 0, or 2 when some input file could not be read.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    if let Command::Qr {
        command: QrCommand::Decode { files },
    } = &cli.command
    {
        return Ok(scan::qr_decode(files));
    }
    if let Command::Photo { command } = &cli.command {
        return Ok(match command {
            PhotoCommand::Check { file } => photo::check(file),
            PhotoCommand::Capture { camera, out } => photo::capture(camera, out),
            PhotoCommand::Import { .. } => return photo_import(cli),
        });
    }
    // The technician's tools look at a data folder without opening (and so migrating) it.
    let dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(config::default_data_dir);
    match &cli.command {
        Command::Doctor {
            json,
            lang,
            no_camera,
        } => return care::doctor(&dir, *json, lang.as_deref(), !*no_camera),
        Command::Backup { to, list } => {
            return care::backup(&dir, to.as_deref(), *list).map(|()| 0);
        }
        Command::Scan {
            udev_rule: Some(id),
            rules_dir,
            ..
        } => return scan::udev_rule(id, rules_dir),
        Command::Scan {
            detect: true,
            serial,
            baud,
            count,
            ..
        } => return scan::detect(&dir, serial.clone(), *baud, *count),
        Command::Restore { from, latest } => {
            return care::restore(&dir, from.as_deref(), *latest).map(|()| 0);
        }
        _ => {}
    }
    let demo = matches!(cli.command, Command::Demo { .. });
    let dir = match cli.data_dir {
        // The demo plants known PINs and fake bookings: never in a real counter's folder.
        None if demo => config::default_demo_dir(),
        _ => dir,
    };
    if demo && dir.join(crate::sync::credential::FILE).exists() {
        return Err(CliError::DemoOnEnrolled(dir));
    }
    let opened = open(dir)?;
    let result = match cli.command {
        Command::Demo { seed } => terminal::run(opened, Some(seed), false),
        Command::Run => terminal::run(opened, None, false),
        Command::Board => terminal::run(opened, None, true),
        Command::Report {
            command: ReportCommand::Day(args),
        } => report::day_report(&opened, &args),
        Command::Scan {
            camera: Some(camera),
            count,
            ..
        } => scan::camera(&opened, camera, count),
        Command::Scan {
            serial,
            baud,
            count,
            camera: None,
            ..
        } => scan::serial(&opened, serial, baud, count),
        Command::Bookings {
            command: BookingsCommand::List(args),
        } => report::list_bookings(&opened, &args),
        Command::Cases {
            command: CasesCommand::Export(args),
        } => report::export_cases(&opened, &args),
        Command::Enroll {
            server,
            code,
            ca_file,
        } => sync::enroll(opened, &server, &code, ca_file.as_deref()),
        Command::Sync { once } => sync::run(opened, once),
        Command::Purge { before, dry_run } => care::purge(opened, before, dry_run),
        Command::Display { announce_cmd } => {
            let Some(credential) = opened.credential.clone() else {
                return Err(CliError::Sync(
                    "layar ini belum terdaftar; jalankan `loket enroll --server URL --code KODE` dengan kode layar / not enrolled"
                        .into(),
                ));
            };
            let client = crate::sync::Client::for_counter(&credential, &opened.dir)
                .map_err(|e| CliError::Sync(e.to_string()))?;
            crate::display::run(
                client,
                &opened.office.name,
                opened.office.zone,
                announce_cmd,
            )
            .map_err(|e| CliError::Sync(e.to_string()))
        }
        Command::Qr { .. }
        | Command::Photo { .. }
        | Command::Doctor { .. }
        | Command::Backup { .. }
        | Command::Restore { .. } => Ok(()),
    };
    match result {
        Ok(()) | Err(CliError::Closed) => Ok(0),
        Err(e) => Err(e),
    }
}

fn photo_import(cli: Cli) -> Result<u8, CliError> {
    let Command::Photo {
        command:
            PhotoCommand::Import {
                booking,
                applicant,
                officer,
                reason,
                file,
            },
    } = cli.command
    else {
        return Ok(2);
    };
    let dir = cli.data_dir.unwrap_or_else(config::default_data_dir);
    let mut opened = open(dir)?;
    let import = photo::Import {
        booking: &booking,
        applicant,
        officer: &officer,
        reason,
        file: &file,
    };
    photo::import(&mut opened, import)
}

fn day_or_today(o: &Opened, day: Option<NaiveDate>) -> NaiveDate {
    day.unwrap_or_else(|| o.office.zone.today(SystemClock.now()))
}
