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

fn main() -> std::process::ExitCode {
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
