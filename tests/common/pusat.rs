//! The real `pusat` binary serving a test database, for the tests that treat it as a
//! process (killed mid-push, run as the README says).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// Starts `pusat serve --listen 127.0.0.1:0 ARGS…` over `db`; returns it and the URL it
/// printed.
pub fn serve(db: &str, args: &[&std::ffi::OsStr]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pusat"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.contains("://127.0.0.1:"), "{line}");
    (child, url)
}
