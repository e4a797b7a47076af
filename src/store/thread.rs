//! The one writer of a counter's database: a thread that owns its connection. The terminal's
//! screens (through [`crate::counter::Desk`]) and the sync worker send it work and wait for
//! the answer, one job at a time, so the two never meet as two writers: nobody waits on
//! SQLite's `busy_timeout`, only for the job ahead of theirs (the worker's jobs are one
//! batch or one page each, a few milliseconds).
//!
//! A job is a closure on the [`Store`]. One that panics is caught and answered as an error;
//! the thread and the connection go on. The thread ends, closing the database, when the
//! last handle is dropped, and that drop waits for it: a process must not exit while the
//! connection is still closing (SQLCipher frees its codec with OpenSSL, which the exit
//! handlers tear down under it: the TPM test binary died with SIGSEGV that way after its
//! tests had passed).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use super::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A handle to the store's thread. Clones share the thread.
#[derive(Clone)]
pub struct StoreThread {
    jobs: Arc<Queue>,
    writes: Arc<AtomicU64>,
}

/// The way to the thread, and the thread. Dropped with the last handle: the queue closes,
/// and the thread is waited for until the connection is closed.
struct Queue {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            // A job that dropped the last handle runs on the thread itself: it ends by
            // itself once the job returns.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl std::fmt::Debug for StoreThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreThread")
            .field("writes", &self.writes())
            .finish_non_exhaustive()
    }
}

impl StoreThread {
    /// Moves `store` onto a thread of its own.
    pub fn spawn(store: Store) -> std::io::Result<StoreThread> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let writes = Arc::new(AtomicU64::new(store.writes()));
        let counted = Arc::clone(&writes);
        let thread = std::thread::Builder::new()
            .name("store".into())
            .spawn(move || {
                let mut store = store;
                for job in queue {
                    // A job that panics answers nothing; its caller hears `Stopped`.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut store)));
                    counted.store(store.writes(), Ordering::Release);
                }
            })?;
        Ok(StoreThread {
            jobs: Arc::new(Queue {
                jobs: Some(jobs),
                thread: Some(thread),
            }),
            writes,
        })
    }

    /// Runs `f` on the store's thread and waits for its answer.
    pub fn call<R, E>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (answer, answered) = mpsc::sync_channel(1);
        let writes = Arc::clone(&self.writes);
        self.jobs
            .jobs
            .as_ref()
            .ok_or(StoreError::Stopped)?
            .send(Box::new(move |store: &mut Store| {
                let result = f(store);
                // Counted before the answer: whoever hears it sees its writes counted.
                writes.store(store.writes(), Ordering::Release);
                let _ = answer.send(result);
            }))
            .map_err(|_| E::from(StoreError::Stopped))?;
        answered.recv().map_err(|_| E::from(StoreError::Stopped))?
    }

    /// Rows written on this connection since it opened, by anyone (kept in memory: no
    /// query, no wait).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }
}

/// What reaches a store: the store itself (a command-line tool, a test) or its thread (the
/// terminal). The sync round runs on either.
pub trait StoreAccess {
    fn with<R, E>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static;
}

impl StoreAccess for Store {
    fn with<R, E>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        f(self)
    }
}

impl StoreAccess for StoreThread {
    fn with<R, E>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.call(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &std::path::Path) -> Store {
        let secret = crate::secret::KioskSecret::in_dir(&dir.join("secret")).unwrap();
        Store::open_sealed(&dir.join("loket.db"), "JKS", secret).unwrap()
    }

    #[test]
    fn jobs_from_many_threads_run_one_at_a_time_and_a_panic_stops_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let thread = StoreThread::spawn(store(dir.path())).unwrap();
        let made: Result<usize, StoreError> = thread.call(|s| {
            s.conn
                .execute("CREATE TABLE t (n INTEGER)", [])
                .map_err(StoreError::from)
        });
        made.unwrap();
        let before = thread.writes();
        // Sixteen senders write at once through one connection: no SQLITE_BUSY, no lost row.
        let senders: Vec<_> = (0..16)
            .map(|i| {
                let t = thread.clone();
                std::thread::spawn(move || {
                    t.call(move |s| {
                        s.conn
                            .execute("INSERT INTO t (n) VALUES (?1)", [i])
                            .map_err(StoreError::from)
                    })
                })
            })
            .collect();
        for s in senders {
            s.join().unwrap().unwrap();
        }
        assert_eq!(thread.writes(), before + 16);
        // Whoever hears a job's answer sees its writes counted (the terminal redraws its
        // counts by this).
        for n in 1..=200u64 {
            let wrote: Result<usize, StoreError> = thread.call(move |s| {
                s.conn
                    .execute("INSERT INTO t (n) VALUES (?1)", [n as i64])
                    .map_err(StoreError::from)
            });
            wrote.unwrap();
            assert_eq!(thread.writes(), before + 16 + n);
        }
        let panicked: Result<(), StoreError> = thread.call(|_| panic!("a bug in a job"));
        assert!(matches!(panicked, Err(StoreError::Stopped)), "{panicked:?}");
        let count: Result<i64, StoreError> = thread.call(|s| {
            s.conn
                .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                .map_err(StoreError::from)
        });
        assert_eq!(count.unwrap(), 216);
    }
}
