//! The office's rules: pure code, no I/O and no clock reads. Callers pass `today`, `now` and
//! configuration in, so every rule here is tested exhaustively and shared by both binaries.

pub mod booking;
pub mod booking_code;
pub mod case;
pub mod checklist;
pub mod day_report;
pub mod fees;
pub mod format;
pub mod intake;
pub mod nik;
pub mod office;
pub mod payload;
pub mod pin;
pub mod queue;
pub mod walkin;

pub use booking::{Applicant, ApplicationType, Booking, PassportType, Service, Sex};
pub use booking_code::BookingCode;
pub use case::{Action, Case, CaseError, CaseStatus, Step};
pub use office::{Office, Zone};
