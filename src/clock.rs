//! The one place that reads the system clock.
//!
//! Owns: `now()`. Everything else receives time as a parameter, so tests inject it.

use crate::time::Timestamp;

/// The appliance's current time.
#[allow(clippy::disallowed_methods)] // the one sanctioned reader of the system clock
pub fn now() -> Timestamp {
    Timestamp::now()
}
