//! Hardware turned into events. Device threads never touch the screen or the database:
//! they send what they read, and the event loop decides what it means.

pub mod camera;
pub mod detect;
pub mod framing;
pub mod hid;
pub mod printer;
pub mod qr;
pub mod serial;
