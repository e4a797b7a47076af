//! The background sync worker: its own thread, rounds every few seconds while online and
//! with capped, jittered exponential backoff while not. It works on the counter's database
//! through the store's thread, the one writer it shares with the terminal. It reports each
//! outcome to the UI and never deletes anything.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use tokio::sync::mpsc;

use super::{Client, Credential, RoundContext, SyncError, round};
use crate::domain::Zone;
use crate::store::{StoreAccess, StoreThread, SyncCounts};

/// Between rounds while everything works.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// The longest wait between tries while pusat cannot be reached: a counter is back within
/// half a minute of pusat (five minutes used to leave counters calling offline, and
/// clashing, for minutes after pusat was back).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a long poll waits at pusat (below pusat's limit and the HTTP timeout).
pub const LONG_POLL_SECONDS: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Before the first round has finished.
    Connecting,
    Online,
    /// The last round failed; the next try is due after `retry_in`.
    Offline {
        error: SyncError,
        retry_in: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    pub state: SyncState,
    pub counts: SyncCounts,
    pub at: DateTime<FixedOffset>,
    /// When this counter's credential expires (it renews itself a month before; the status
    /// line warns when that keeps failing).
    pub credential_expires: Option<DateTime<Utc>>,
    /// Changes from pusat applied to this counter's database in the round: the screens
    /// reload what they show when this is not zero.
    pub pulled: u64,
}

#[derive(Debug)]
pub enum SyncCommand {
    /// Run a round now (an officer finished something, or asked).
    Now,
    Stop,
}

/// The wait before retry number `attempt` (1-based): doubling from 2 s, capped at
/// [`MAX_BACKOFF`], with up to a third taken off at random so counters that lost the
/// network together do not come back together.
pub fn backoff(attempt: u32, rng: &mut impl Rng) -> Duration {
    let base = Duration::from_secs(2)
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let jitter = rng.random_range(0.0..=(1.0 / 3.0));
    base.mul_f64(1.0 - jitter)
}

pub struct Worker {
    pub commands: mpsc::UnboundedSender<SyncCommand>,
    pub thread: std::thread::JoinHandle<()>,
}

/// What the worker needs to run.
pub struct WorkerSetup {
    /// The counter's database, on its thread.
    pub store: StoreThread,
    pub data_dir: PathBuf,
    pub zone: Zone,
    pub credential: Credential,
}

impl Worker {
    /// Starts the worker; `report` is called with every status (on the worker's thread).
    pub fn spawn(
        setup: WorkerSetup,
        report: impl Fn(SyncStatus) + Send + 'static,
    ) -> std::io::Result<Worker> {
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = super::spawn_async("sync", move || run(setup, rx, report))?;
        Ok(Worker {
            commands: tx,
            thread,
        })
    }
}

async fn run(
    mut setup: WorkerSetup,
    mut commands: mpsc::UnboundedReceiver<SyncCommand>,
    report: impl Fn(SyncStatus),
) {
    let now = || setup.zone.local(Utc::now());
    let offline = |error: SyncError, retry_in| SyncState::Offline { error, retry_in };
    let mut attempt = 0u32;
    let mut client = Client::for_counter(&setup.credential, &setup.data_dir);
    loop {
        // A client that could not be made (the TPM not up yet at boot, a key file being
        // restored) or whose key stopped signing (the TPM restarted) is made again each
        // round: the kiosk syncs again as soon as its key works, without a restart.
        if client.is_err() {
            client = Client::for_counter(&setup.credential, &setup.data_dir);
        }
        if let Ok(client) = &mut client
            && let Err(e) =
                super::renew_if_due(client, &mut setup.credential, &setup.data_dir, Utc::now())
                    .await
        {
            // Sync goes on with the old credential while it lasts; the next round asks again.
            tracing::warn!(error = %e, "credential renewal failed");
        }
        let state = match &client {
            Ok(client) => {
                let cx = RoundContext {
                    data_dir: &setup.data_dir,
                    today: setup.zone.today(Utc::now()),
                    now: &now,
                    progress: &mut |_, _, _| {},
                };
                round(&mut setup.store, client, cx)
                    .await
                    .map(|r| r.pulled as u64)
            }
            Err(e) => Err(e.clone()),
        };
        if matches!(state, Err(SyncError::Key(_))) {
            client = Err(SyncError::Key("the key is opened again".into()));
        }
        let wait = match &state {
            Ok(_) => {
                attempt = 0;
                INTERVAL
            }
            Err(_) => {
                attempt = attempt.saturating_add(1);
                backoff(attempt, &mut rand::rng())
            }
        };
        let counts = setup.store.with(|s| s.sync_counts()).unwrap_or_default();
        let pulled = *state.as_ref().unwrap_or(&0);
        report(SyncStatus {
            state: match state {
                Ok(_) => SyncState::Online,
                Err(e) => offline(e, wait),
            },
            pulled,
            counts,
            at: now(),
            credential_expires: Some(setup.credential.expires_at),
        });
        // While online, a long poll waits at pusat for the office's next change, so another
        // counter's call or a cancelled booking shows here within a moment, not at the next
        // round. An error ends the wait only; the round after reports it.
        let cursor = match attempt {
            0 => setup.store.with(|s| s.pull_cursor()).ok(),
            _ => None,
        };
        let watch = async {
            match (&client, cursor) {
                (Ok(client), Some(cursor)) => {
                    match client.pull_waiting(cursor, LONG_POLL_SECONDS, 1).await {
                        Ok(page) if !page.changes.is_empty() => {}
                        _ => std::future::pending::<()>().await,
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            command = commands.recv() => match command {
                Some(SyncCommand::Now) => {}
                Some(SyncCommand::Stop) | None => return,
            },
            () = tokio::time::sleep(wait) => {}
            () = watch => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (1..=12).map(|n| backoff(n, &mut rng)).collect();
        assert!(waits[0] <= Duration::from_secs(2) && waits[0] >= Duration::from_millis(1333));
        assert!(waits[3] > Duration::from_secs(10), "{waits:?}");
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(30)),
            "{waits:?}"
        );
        assert!(waits[11] >= Duration::from_secs(20), "{waits:?}");
        let late: Vec<Duration> = (0..20).map(|_| backoff(30, &mut rng)).collect();
        assert!(late.iter().any(|w| *w != late[0]), "jitter varies the wait");
    }
}
