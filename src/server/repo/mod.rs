//! pusat's SQL, one small module per area, behind functions that say what they do. A
//! handler checks who asks and what the protocol allows, then calls these; it holds no SQL
//! of its own. Each function takes the connection or transaction it runs on, so a handler
//! decides what is one transaction.
//!
//! Moved so far: photos. The other areas (devices and enrollment, bookings, the feed,
//! ingest, tickets, status) still keep their SQL beside their handlers.

pub mod photos;
