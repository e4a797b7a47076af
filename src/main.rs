//! `loket`: the counter terminal and its command-line tools. All logic lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = loket::cli::Cli::parse();
    match loket::cli::run(cli) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("loket: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
