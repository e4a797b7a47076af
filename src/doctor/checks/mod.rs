//! The checks, one function each. Thresholds are named beside the check that uses them.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Finding, mb};
use crate::config::Config;
use crate::store::health;
use crate::sync::{Credential, SyncError};
use crate::text::Strings;
use crate::text::fill;

mod data;
mod devices;
mod pusat;
mod service;
mod setup;

pub use data::*;
pub(in crate::doctor) use devices::*;
pub use pusat::*;
pub(in crate::doctor) use service::*;
pub use setup::*;
