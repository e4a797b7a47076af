//! pusat's SQL, one small module per area, behind functions that say what they do. A
//! handler checks who asks and what the protocol allows, then calls these; it holds no SQL
//! of its own. Each function takes the connection or transaction it runs on, so a handler
//! decides what is one transaction.

pub mod approvals;
pub mod bookings;
pub mod cases;
pub mod devices;
pub mod events;
pub mod feed;
pub mod officers;
pub mod offices;
pub mod payments;
pub mod photos;
pub mod tickets;
