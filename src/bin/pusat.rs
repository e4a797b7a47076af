//! `pusat`: Loket's central service. All logic lives in the library (`loket::server`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = loket::server::cli::Cli::parse();
    match loket::server::cli::run(cli) {
        Ok(status) => std::process::ExitCode::from(status),
        Err(e) => {
            eprintln!("pusat: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
