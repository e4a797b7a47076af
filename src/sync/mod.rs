//! Sync with pusat: the device credential from enrollment, the HTTP client, one sync round
//! (push the outbox in order, pull the office's changes, upload photos) and the background
//! worker that runs rounds with backoff and reports to the UI.

mod client;
pub mod credential;
mod key;
mod renew;
mod round;
mod worker;

pub use client::{Client, Probe, SyncError};
pub use credential::{Credential, CredentialError};
pub use key::DeviceKey;
pub use renew::{RENEW_BEFORE, renew_if_due};
pub use round::{Phase, RoundContext, RoundReport, round};
pub use worker::{
    LONG_POLL_SECONDS, SyncCommand, SyncState, SyncStatus, Worker, WorkerSetup, backoff,
};
