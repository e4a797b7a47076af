//! Loket: the counter terminal of an Indonesian immigration office.
//!
//! `domain` holds the office's rules (pure), `store` the local SQLite with its outbox and
//! audit trail, `counter` the counter's use cases on top of them, `text` every word an
//! officer reads, `devices` the scanners and camera, `photo` the passport-photo checks, `ui`
//! the full-screen terminal, `sync` the kiosk's side of sync, `server` pusat, `demo` the
//! seeded demo office, `cli` the command-line tools, `doctor` the kiosk's self-check. The README's "For developers" has the
//! picture of the layers and the terminal's threads. Feature `kiosk` builds the terminal's
//! half, `server` pusat's; both are on by default.

pub mod checkup;
#[cfg(feature = "kiosk")]
pub mod cli;
pub mod clock;
#[cfg(feature = "kiosk")]
pub mod config;
#[cfg(feature = "kiosk")]
pub mod counter;
#[cfg(feature = "kiosk")]
pub mod demo;
#[cfg(feature = "kiosk")]
pub mod devices;
#[cfg(feature = "kiosk")]
pub mod display;
#[cfg(feature = "kiosk")]
pub mod doctor;
pub mod domain;
pub mod photo;
pub mod proof;
pub mod protocol;
pub mod secret;
#[cfg(feature = "server")]
pub mod server;
pub mod service;
pub mod store;
#[cfg(feature = "kiosk")]
pub mod sync;
#[cfg(feature = "kiosk")]
pub mod text;
#[cfg(feature = "kiosk")]
pub mod ui;
