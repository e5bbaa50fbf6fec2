//! The one place that reads the system clock.
//!
//! Owns: `now()`. Everything else receives time as a parameter, so tests inject it.

use crate::time::Timestamp;

/// The appliance's current time.
pub fn now() -> Timestamp {
    Timestamp::now()
}
