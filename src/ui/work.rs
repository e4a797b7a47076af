//! The work thread: everything slower than a frame that needs no database — checking a PIN
//! (argon2id, a fifth of a second on purpose), checking and cropping a captured photo,
//! encoding and writing the JPEG, encoding a preview in the terminal's picture protocol.
//!
//! A screen hands a job over and shows that it is waiting ("memeriksa…"); the answer comes
//! back to the event loop as `Event::Work` and the screen finishes the action there, with
//! the store, on the UI thread. Jobs run one after another in the order given.
//!
//! Without an event loop (the screen tests, the benchmarks' setup) jobs run at once and
//! their answers wait in a queue the application drains after each event, so a test sees
//! the same sequence of states, only without the wait.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::mpsc;

use uuid::Uuid;

use crate::store::PinAttempt;

/// What a PIN was typed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinFor {
    SignIn,
    Unlock,
    /// A supervisor's approval in a dialog of the case `Uuid`.
    Approval(Uuid),
}

/// A finished job.
pub enum Done {
    Pin {
        purpose: PinFor,
        attempt: PinAttempt,
        matched: bool,
    },
    /// A captured frame, checked and cropped, for the photo step of `case`.
    Capture {
        case: Uuid,
        capture: crate::photo::Capture,
    },
    /// The accepted photo encoded and written to disk (or why not), ready to record.
    Stored {
        case: Uuid,
        stored: Result<crate::store::StoredPhoto, String>,
        failed_checks: Vec<String>,
        reason: Option<String>,
        /// The fingerprints as recorded with the photo.
        biometrics: Option<crate::domain::case::Biometrics>,
    },
    /// `loket doctor`'s report, in Bahasa Indonesia and in English, for the technician.
    Doctor {
        id: Box<crate::checkup::Report>,
        en: Box<crate::checkup::Report>,
    },
    /// pusat's answer to "call the next number".
    Called(CallAnswer),
    /// What pusat knows of the office's terminals, for the board's alerts.
    OfficeStatus(Result<crate::protocol::OfficeStatus, String>),
    /// A queue slip went to the printer, or why not.
    /// A deferral slip sent to the printer (or why it was not).
    SlipPrinted {
        booking: String,
        result: Result<(), String>,
    },
    Printed {
        label: String,
        result: Result<(), String>,
    },
    /// A preview frame in the terminal's picture protocol, for the photo step of `case`.
    Picture {
        case: Uuid,
        picture: Option<(ratatui_image::protocol::Protocol, ratatui::layout::Rect)>,
    },
}

impl std::fmt::Debug for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Done::Pin {
                purpose, matched, ..
            } => write!(f, "Done::Pin({purpose:?}, matched: {matched})"),
            Done::Capture { case, .. } => write!(f, "Done::Capture({case})"),
            Done::Stored { case, stored, .. } => {
                write!(f, "Done::Stored({case}, ok: {})", stored.is_ok())
            }
            Done::Picture { case, .. } => write!(f, "Done::Picture({case})"),
            Done::Doctor { id, .. } => write!(f, "Done::Doctor(exit {})", id.exit),
            Done::Called(answer) => write!(f, "Done::Called({answer:?})"),
            Done::OfficeStatus(status) => write!(f, "Done::OfficeStatus(ok: {})", status.is_ok()),
            Done::SlipPrinted { booking, result } => {
                write!(f, "Done::SlipPrinted({booking}, ok: {})", result.is_ok())
            }
            Done::Printed { label, result } => {
                write!(f, "Done::Printed({label}, ok: {})", result.is_ok())
            }
        }
    }
}

type Job = Box<dyn FnOnce() -> Done + Send>;

pub struct Work {
    /// Answers of jobs run on the caller's thread, not yet handled.
    done: RefCell<VecDeque<Done>>,
    /// The work thread, once started.
    thread: Option<mpsc::Sender<Job>>,
}

impl Default for Work {
    fn default() -> Self {
        Work::inline()
    }
}

impl Work {
    /// Runs each job at once, on the caller's thread.
    pub fn inline() -> Work {
        Work {
            done: RefCell::default(),
            thread: None,
        }
    }

    /// Starts the work thread; `answer` receives each finished job on it. The thread ends
    /// when this `Work` is dropped or `answer` returns false.
    pub fn spawn(answer: impl Fn(Done) -> bool + Send + 'static) -> std::io::Result<Work> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("loket-work".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    // A job that panics (a decoder bug) loses its answer, not the thread.
                    let Ok(done) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                    else {
                        tracing::error!("a background job panicked");
                        continue;
                    };
                    if !answer(done) {
                        break;
                    }
                }
            })?;
        Ok(Work {
            done: RefCell::default(),
            thread: Some(tx),
        })
    }

    pub fn submit(&self, job: impl FnOnce() -> Done + Send + 'static) {
        let job: Job = match &self.thread {
            Some(tx) => match tx.send(Box::new(job)) {
                Ok(()) => return,
                // The thread is gone (it ended with the loop): run the job here instead.
                Err(mpsc::SendError(job)) => job,
            },
            None => Box::new(job),
        };
        let answer = job();
        self.done.borrow_mut().push_back(answer);
    }

    /// An answer of a job that ran on the caller's thread, not yet handled.
    pub fn take_done(&self) -> Option<Done> {
        self.done.borrow_mut().pop_front()
    }
}

/// How long F6 waits for pusat before this counter calls from what it knows.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Asks pusat, with this counter's credential in `data_dir`, to give it the next ticket
/// (`Err` when the counter is not enrolled or pusat does not answer in [`CALL_TIMEOUT`]).
///
/// What the outbox holds goes first: the number this counter just finished (or marked
/// absent, or transferred) is in it, and pusat calls only for a counter with empty hands.
pub fn ask_pusat_to_call(
    data_dir: &std::path::Path,
    mut store: crate::store::StoreThread,
    at: chrono::DateTime<chrono::FixedOffset>,
    officer: &str,
    day: chrono::NaiveDate,
) -> CallAnswer {
    let answer = ask(data_dir, |client| async move {
        crate::sync::push_outbox(&mut store, &client, &move || at).await?;
        client.call_next(officer, day).await
    });
    match answer {
        Ok(ticket) => CallAnswer::Pusat(ticket.map(Box::new)),
        Err(Asked::Sync(
            e @ (crate::sync::SyncError::Holding(_) | crate::sync::SyncError::Refused(_)),
        )) => CallAnswer::Refused(e),
        Err(other) => CallAnswer::Unreached(other.to_string()),
    }
}

/// pusat's answer to "call the next number".
#[derive(Debug)]
pub enum CallAnswer {
    /// pusat called this ticket for this counter; `None`: nobody waits.
    Pusat(Option<Box<crate::domain::queue::Ticket>>),
    /// pusat refused to call (the counter still has a number there, an officer off the
    /// roster): nothing is called, and the officer is told why.
    Refused(crate::sync::SyncError),
    /// pusat was not reached, or could not answer: the counter calls from what it knows.
    Unreached(String),
}

/// Asks pusat what it knows of the office's terminals, for the board.
pub fn ask_office_status(
    data_dir: &std::path::Path,
) -> Result<crate::protocol::OfficeStatus, String> {
    ask_pusat(
        data_dir,
        |client| async move { client.office_status().await },
    )
}

/// One request to pusat with this counter's credential, on this (the work) thread, given
/// up after [`CALL_TIMEOUT`].
fn ask_pusat<T, F, Fut>(data_dir: &std::path::Path, f: F) -> Result<T, String>
where
    F: FnOnce(crate::sync::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::sync::SyncError>>,
{
    ask(data_dir, f).map_err(|e| e.to_string())
}

/// Why a request to pusat has no answer: pusat's own, or none reached it.
enum Asked {
    Sync(crate::sync::SyncError),
    NotSent(String),
}

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Asked::Sync(e) => e.fmt(f),
            Asked::NotSent(why) => f.write_str(why),
        }
    }
}

/// [`ask_pusat`], telling pusat's refusals from a request that never got an answer.
fn ask<T, F, Fut>(data_dir: &std::path::Path, f: F) -> Result<T, Asked>
where
    F: FnOnce(crate::sync::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::sync::SyncError>>,
{
    let not_sent = |e: &dyn std::fmt::Display| Asked::NotSent(e.to_string());
    let credential = crate::sync::Credential::load(data_dir)
        .map_err(|e| not_sent(&e))?
        .ok_or_else(|| Asked::NotSent("not enrolled".into()))?;
    let client =
        crate::sync::Client::for_counter(&credential, data_dir).map_err(|e| not_sent(&e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| not_sent(&e))?;
    runtime.block_on(async {
        match tokio::time::timeout(CALL_TIMEOUT, f(client)).await {
            Ok(answer) => answer.map_err(Asked::Sync),
            Err(_) => Err(Asked::NotSent("pusat did not answer in time".into())),
        }
    })
}
