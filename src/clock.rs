//! The one place that reads the clock, so screens and tests can be given a fixed time.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send {
    /// The time of day, for what is recorded and shown.
    fn now(&self) -> DateTime<Utc>;
    /// The monotonic time, for how far apart things happened (keys of a wedge scan).
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests, snapshots): its time of day and its
/// monotonic time both. Clones share the time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<(DateTime<Utc>, Instant)>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new((at, Instant::now()))))
    }
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.0 += by;
        t.1 += by.to_std().unwrap_or_default();
    }
    fn read(&self) -> (DateTime<Utc>, Instant) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.read().0
    }
    fn instant(&self) -> Instant {
        self.read().1
    }
}
