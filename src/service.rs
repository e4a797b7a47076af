//! Talking to systemd when run as a service (`Type=notify`): "ready" once serving, and the
//! watchdog's ping from the event loop, so a hung screen is restarted (drafts survive the
//! kill). Outside systemd (no `NOTIFY_SOCKET`) every call does nothing.

use std::time::{Duration, Instant};

/// Tells systemd the service is up.
pub fn ready() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
}

/// Tells systemd the service is stopping on purpose.
pub fn stopping() {
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
}

/// The watchdog's pings: at half the interval systemd gave (`WatchdogSec=`), never more
/// often.
#[derive(Debug)]
pub struct Watchdog {
    every: Option<Duration>,
    last: Option<Instant>,
}

impl Watchdog {
    /// The watchdog systemd asked for, if any.
    pub fn from_env() -> Watchdog {
        let mut usec = 0;
        let every = sd_notify::watchdog_enabled(false, &mut usec)
            .then(|| Duration::from_micros(usec) / 2)
            .filter(|d| !d.is_zero());
        Watchdog { every, last: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.every.is_some()
    }

    /// Pings when half the interval has passed since the last ping. Called from the loop
    /// that must not hang: if it hangs, the pings stop and systemd restarts the service.
    pub fn ping(&mut self) {
        let Some(every) = self.every else { return };
        let now = Instant::now();
        if self
            .last
            .is_none_or(|last| now.duration_since(last) >= every)
        {
            self.last = Some(now);
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        }
    }
}
