//! Loket: the counter terminal of an Indonesian immigration office.
//!
//! `domain` holds the office's rules (pure), `store` the local SQLite with its outbox and
//! audit trail, `devices` the scanners and camera, `photo` the passport-photo checks, `ui`
//! the full-screen terminal, `demo` the seeded demo office, `cli` the command-line tools.
//! See DESIGN.md in the shared folder for the whole picture.

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
pub mod domain;
pub mod photo;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
#[cfg(feature = "kiosk")]
pub mod sync;
#[cfg(feature = "kiosk")]
pub mod text;
#[cfg(feature = "kiosk")]
pub mod ui;
