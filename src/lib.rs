//! Loket: the counter terminal of an Indonesian immigration office.
//!
//! `domain` holds the office's rules (pure), `store` the local SQLite with its outbox and
//! audit trail, `devices` the scanners and camera, `photo` the passport-photo checks, `ui`
//! the full-screen terminal, `demo` the seeded demo office, `cli` the command-line tools.
//! See DESIGN.md in the shared folder for the whole picture.

pub mod cli;
pub mod clock;
pub mod config;
pub mod counter;
pub mod demo;
pub mod devices;
pub mod domain;
pub mod photo;
pub mod protocol;
pub mod server;
pub mod store;
pub mod sync;
pub mod text;
pub mod ui;
