//! Sync with pusat: the device credential from enrollment, the HTTP client, one sync round
//! (push the outbox in order, pull the office's changes, upload photos) and the background
//! worker that runs rounds with backoff and reports to the UI.

mod client;
pub mod credential;
mod key;
mod renew;
mod round;
pub mod tpm;
mod worker;

pub use client::{Client, Probe, SyncError};
pub use credential::{Credential, CredentialError};
pub use key::{DeviceKey, KeyStore};
pub use renew::{RENEW_BEFORE, renew_if_due};
pub use round::{APPLY_CHUNK, Phase, RoundContext, RoundReport, push_outbox, round};
pub use worker::{
    LONG_POLL_SECONDS, SyncCommand, SyncState, SyncStatus, Worker, WorkerSetup, backoff,
};

/// Runs the future `task` makes on a current-thread tokio runtime of its own, in a thread
/// named `name` (the sync worker's, the display's feed). A runtime that cannot be built
/// ends the thread at once; its caller sees its channel close.
pub fn spawn_async<F>(
    name: &str,
    task: impl FnOnce() -> F + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: std::future::Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(task());
        })
}
