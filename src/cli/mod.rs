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

mod sync;

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
        /// Exit after this many accepted codes.
        #[arg(long)]
        count: Option<usize>,
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
    #[error("basis data {path}: {source} / database error")]
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
    let mut config = Config::load(&dir)?;
    let mut office = config.office()?;
    let credential = crate::sync::Credential::load(&dir)?;
    if let Some(c) = &credential {
        // Enrolled: pusat says which office and counter this is.
        office.code.clone_from(&c.office.code);
        office.name.clone_from(&c.office.name);
        office.zone = crate::domain::Zone::parse(&c.office.zone).unwrap_or(office.zone);
        config.counter.number = c.counter;
    }
    let path = dir.join("loket.db");
    let store = Store::open(&path, &office.code).map_err(|source| CliError::Store {
        path: path.clone(),
        source,
    })?;
    private(&path, 0o600).map_err(|source| CliError::DataDir {
        path: path.clone(),
        source,
    })?;
    if credential.is_some() {
        let pulled = store.office_info(&office.code).map_err(store_err(&dir))?;
        if let Some((pulled, settings)) = pulled {
            office = pulled;
            let key = settings.get("token_key").and_then(|k| k.as_str());
            if let (Some(key), true) = (key, config.booking.token_key.is_empty()) {
                config.booking.token_key = key.to_owned();
            }
        }
    }
    Ok(Opened {
        dir,
        config,
        office,
        store,
        credential,
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
        return Ok(qr_decode(files));
    }
    if let Command::Photo { command } = &cli.command {
        return Ok(match command {
            PhotoCommand::Check { file } => photo_check(file),
            PhotoCommand::Capture { camera, out } => photo_capture(camera, out),
        });
    }
    let demo = matches!(cli.command, Command::Demo { .. });
    let dir = match cli.data_dir {
        Some(dir) => dir,
        // The demo plants known PINs and fake bookings: never in a real counter's folder.
        None if demo => config::default_demo_dir(),
        None => config::default_data_dir(),
    };
    if demo && dir.join(crate::sync::credential::FILE).exists() {
        return Err(CliError::DemoOnEnrolled(dir));
    }
    let opened = open(dir)?;
    let result = match cli.command {
        Command::Demo { seed } => terminal(opened, Some(seed)),
        Command::Run => terminal(opened, None),
        Command::Scan {
            camera: Some(camera),
            count,
            ..
        } => scan_camera(&opened, camera, count),
        Command::Scan {
            serial,
            baud,
            count,
            camera: None,
        } => scan(&opened, serial, baud, count),
        Command::Bookings {
            command: BookingsCommand::List(args),
        } => list_bookings(&opened, &args),
        Command::Cases {
            command: CasesCommand::Export(args),
        } => export_cases(&opened, &args),
        Command::Enroll {
            server,
            code,
            ca_file,
        } => sync::enroll(opened, &server, &code, ca_file.as_deref()),
        Command::Sync { once } => sync::run(opened, once),
        Command::Qr { .. } | Command::Photo { .. } => Ok(()),
    };
    match result {
        Ok(()) | Err(CliError::Closed) => Ok(0),
        Err(e) => Err(e),
    }
}

fn terminal(mut o: Opened, seed: Option<u64>) -> Result<(), CliError> {
    let clock = SystemClock;
    let now = o.office.zone.local(clock.now());
    let fees = FeeSchedule::from_toml(config::FEES)?;
    let dir = o.dir.clone();
    let err = store_err(&dir);
    o.store.upsert_office(&o.office).map_err(&err)?;
    o.store
        .ensure_device(now, o.config.counter.number)
        .map_err(&err)?;
    let mut demo_hint = None;
    if let Some(seed) = seed {
        let seeded =
            crate::demo::seed(&mut o.store, seed, now.date_naive(), &fees).map_err(&err)?;
        let accounts: Vec<String> = crate::demo::ACCOUNTS
            .iter()
            .map(|(u, _, _, _, pin)| format!("{u}/{pin}"))
            .collect();
        let accounts = accounts.join(" · ");
        if seeded.bookings > 0 || seeded.officers > 0 {
            println!(
                "Demo: {} booking dibuat di {} / bookings created",
                seeded.bookings,
                o.dir.display()
            );
            println!("Akun demo / demo accounts: {accounts}");
        }
        demo_hint = Some(format!("Demo: {accounts}"));
    }
    let token_key = o.config.token_key()?;
    let sync = o
        .credential
        .clone()
        .map(|credential| crate::sync::WorkerSetup {
            db_path: o.dir.join("loket.db"),
            data_dir: o.dir.clone(),
            office: o.office.code.clone(),
            zone: o.office.zone,
            credential,
        });
    let app = App::new(AppSetup {
        token_key,
        store: o.store,
        clock: Box::new(clock),
        config: o.config,
        office: o.office,
        fees,
        data_dir: o.dir,
        demo_hint,
        sync,
    });
    crate::ui::run(app)?;
    Ok(())
}

fn day_or_today(o: &Opened, day: Option<NaiveDate>) -> NaiveDate {
    day.unwrap_or_else(|| o.office.zone.today(SystemClock.now()))
}

#[derive(Serialize)]
struct BookingLine {
    code: String,
    office: String,
    day: NaiveDate,
    slot: String,
    applicants: usize,
    decided: usize,
    status: QueueStatus,
    walk_in: bool,
}

fn list_bookings(o: &Opened, args: &DayArgs) -> Result<(), CliError> {
    let day = day_or_today(o, args.day);
    let rows = o.store.bookings_on(day).map_err(store_err(&o.dir))?;
    let lines: Vec<BookingLine> = rows
        .iter()
        .map(|(r, b)| BookingLine {
            code: r.code.to_string(),
            office: b.office.clone(),
            day: r.day,
            slot: r.slot.format("%H:%M").to_string(),
            applicants: r.applicants,
            decided: r.decided,
            status: r.status(),
            walk_in: r.walk_in,
        })
        .collect();
    let mut out = Output::new();
    if args.json {
        return out.line(&serde_json::to_string_pretty(&lines)?);
    }
    let s = Lang::parse(&o.config.ui.language).strings();
    out.line(&format!(
        "{:<11}  {:<6}  {:<5}  {:>10}  STATUS",
        "KODE", "KANTOR", "JAM", "PEMOHON"
    ))?;
    for l in &lines {
        out.line(&format!(
            "{:<11}  {:<6}  {:<5}  {:>10}  {}",
            l.code,
            l.office,
            l.slot,
            format!("{}/{}", l.decided, l.applicants),
            crate::text::queue_status(s, l.status)
        ))?;
    }
    Ok(())
}

/// Standard output that ends quietly when its reader goes away (`loket … | head`).
struct Output(std::io::StdoutLock<'static>);

impl Output {
    fn new() -> Output {
        Output(std::io::stdout().lock())
    }

    fn line(&mut self, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        writeln!(self.0, "{text}").map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::Closed,
            _ => CliError::Terminal(e),
        })
    }
}

fn export_cases(o: &Opened, args: &DayArgs) -> Result<(), CliError> {
    let day = day_or_today(o, args.day);
    let cases = o.store.export_cases(day).map_err(store_err(&o.dir))?;
    let mut out = Output::new();
    if args.json {
        return out.line(&serde_json::to_string_pretty(&cases)?);
    }
    let s = Lang::parse(&o.config.ui.language).strings();
    out.line(&format!(
        "{:<11}  {:>7}  {:<16}  {:>9}  STATUS",
        "KODE", "PEMOHON", "CHECK-IN", "PERISTIWA"
    ))?;
    for c in &cases {
        out.line(&format!(
            "{:<11}  {:>7}  {:<16}  {:>9}  {}",
            c.case.booking.to_string(),
            c.case.applicant + 1,
            c.case.checked_in_at.format("%d/%m/%Y %H:%M"),
            c.history.len(),
            crate::text::case_label(s, Some(&c.case))
        ))?;
    }
    Ok(())
}

fn scan(
    o: &Opened,
    serial: Option<String>,
    baud: Option<u32>,
    count: Option<usize>,
) -> Result<(), CliError> {
    use crate::devices::serial::{self, ScannerEvent};
    use crate::text::{fill, scan::refusal_text};

    let mut config = o.config.scanner.clone();
    if let Some(port) = serial {
        config.port = port;
    }
    if let Some(baud) = baud {
        config.baud = baud;
    }
    if !config.is_configured() {
        return Err(CliError::NoScanner);
    }
    let key = o.config.token_key()?;
    let s = Lang::parse(&o.config.ui.language).strings();
    let (tx, rx) = std::sync::mpsc::channel();
    serial::spawn(config, move |e| tx.send(e).is_ok());
    let mut accepted = 0;
    while count.is_none_or(|n| accepted < n) {
        let Ok(event) = rx.recv() else { break };
        match event {
            ScannerEvent::Connected(port) => eprintln!("{}", fill(s.scanner_connected, &[&port])),
            ScannerEvent::Disconnected(why) => eprintln!("{}", fill(s.scanner_lost, &[&why])),
            ScannerEvent::Refused(r) => eprintln!("{}: {}", s.scan_refused, refusal_text(&r, s)),
            ScannerEvent::Scan(text) => {
                accepted += usize::from(print_scan(o, key.as_ref(), &text));
            }
        }
    }
    Ok(())
}

fn qr_decode(files: &[PathBuf]) -> u8 {
    let mut status = 0;
    for file in files {
        match crate::devices::qr::read_file(file) {
            Ok(texts) if texts.is_empty() => println!("{}\t-", file.display()),
            Ok(texts) => {
                for text in texts {
                    // One line a code: line breaks inside a code's text are shown escaped.
                    println!(
                        "{}\t{}",
                        file.display(),
                        text.replace('\n', "\\n").replace('\r', "\\r")
                    );
                }
            }
            Err(e) => {
                eprintln!(
                    "{}: tidak dapat dibaca / cannot be read: {e}",
                    file.display()
                );
                status = 2;
            }
        }
    }
    status
}

fn scan_camera(o: &Opened, device: String, count: Option<usize>) -> Result<(), CliError> {
    use crate::devices::camera::{self, CameraConfig, CameraEvent};
    use crate::text::fill;

    let config = CameraConfig {
        device,
        ..o.config.camera.clone()
    };
    let key = o.config.token_key()?;
    let s = Lang::parse(&o.config.ui.language).strings();
    let wanted = std::sync::Arc::new(camera::Wanted::default());
    wanted
        .code
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel();
    camera::spawn(config, wanted, move |e| tx.send(e).is_ok());
    let mut accepted = 0;
    while count.is_none_or(|n| accepted < n) {
        let Ok(event) = rx.recv() else { break };
        match event {
            CameraEvent::Opened(name) => eprintln!("{}", fill(s.camera_opened, &[&name])),
            CameraEvent::Failed(why) => eprintln!("{}", fill(s.camera_failed, &[&why])),
            CameraEvent::Frame(_) => {}
            CameraEvent::Scan(text) => {
                accepted += usize::from(print_scan(o, key.as_ref(), &text));
            }
        }
    }
    Ok(())
}

fn photo_check(file: &Path) -> u8 {
    use crate::photo::Outcome;
    let s = crate::text::Lang::Id.strings();
    let img = match image::open(file) {
        Ok(img) => img.to_rgb8(),
        Err(e) => {
            eprintln!(
                "{}: tidak dapat dibaca / cannot be read: {e}",
                file.display()
            );
            return 2;
        }
    };
    let results = crate::photo::check_image(&img);
    let mut failed = false;
    for r in &results {
        let name = crate::text::scan::photo_check_name(r.check, s);
        match &r.outcome {
            Outcome::Pass => println!("LULUS  {name}"),
            Outcome::Fail(why) => {
                failed = true;
                println!(
                    "GAGAL  {name}: {} — {}",
                    crate::text::scan::photo_measure(why, s),
                    crate::text::scan::photo_check_advice(r.check, s)
                );
            }
        }
    }
    u8::from(failed)
}

/// Prints an accepted scan's booking code on stdout, or why it is refused on stderr.
fn print_scan(o: &Opened, key: Option<&ed25519_dalek::VerifyingKey>, text: &str) -> bool {
    use crate::domain::payload::{self, ScanContext};
    let s = crate::text::Lang::parse(&o.config.ui.language).strings();
    let ctx = ScanContext {
        key,
        office: &o.office.code,
        today: day_or_today(o, None),
    };
    match payload::parse(text, &ctx) {
        Ok(scanned) => {
            println!("{}", scanned.code().as_str());
            true
        }
        Err(e) => {
            let why = crate::text::scan::payload_error_text(text, &e, s);
            eprintln!("{} {text:?}: {why}", s.scan_refused);
            false
        }
    }
}

fn photo_capture(device: &str, out: &Path) -> u8 {
    use crate::devices::camera::{CameraConfig, FrameSource, Nokhwa};
    let config = CameraConfig {
        device: device.to_owned(),
        ..CameraConfig::default()
    };
    let frame = Nokhwa::open(&config).and_then(|(_, mut camera)| camera.frame());
    match frame.map(|f| f.save(out).map_err(|e| e.to_string())) {
        Ok(Ok(())) => {
            println!("{}", out.display());
            0
        }
        Ok(Err(e)) | Err(e) => {
            eprintln!("kamera {device}: {e} / camera {device}: {e}");
            2
        }
    }
}
