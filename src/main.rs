//! `loket`: the counter terminal and its command-line tools. All logic lives in the library.

use clap::Parser;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Where warnings go: the journal when systemd runs us (or one is there to take them),
/// else stderr when it is not the officer's screen. Never the full-screen terminal: a log
/// line there would tear the picture. Log lines carry no personal data (no NIK, names or
/// photos; the code logs errors and counts only).
fn logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let journal = std::env::var_os("JOURNAL_STREAM")
        .is_some()
        .then(|| tracing_journald::layer().ok())
        .flatten();
    let stderr = (journal.is_none() && !std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(journal)
        .with(stderr)
        .try_init();
}

/// The TPM's libraries (tpm2-tss) print their own warnings to stderr, which would tear the
/// officer's screen; Loket says what went wrong itself. `TSS2_LOG` turns them off, but it
/// must be set before any thread starts and setting it needs `unsafe`, so a kiosk with a TPM
/// runs itself again once with it set (the packaged service sets it in its unit). A
/// technician who wants the libraries' logs sets `TSS2_LOG` to a level.
fn quiet_tpm_libraries() {
    if std::env::var_os("TSS2_LOG").is_some() || loket::sync::tpm::configured().is_none() {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        use std::os::unix::process::CommandExt;
        // Returns only when the run again failed; this process then goes on, logs and all.
        let _ = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("TSS2_LOG", "all+NONE")
            .exec();
    }
}

fn main() -> std::process::ExitCode {
    quiet_tpm_libraries();
    logging();
    let cli = loket::cli::Cli::parse();
    match loket::cli::run(cli) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("loket: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
