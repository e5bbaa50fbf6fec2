//! Fault injection for the crash tests: `AIRLOCK_CRASH_AT=POINT` aborts the process at a named
//! step as a power cut would.
//!
//! Compiled only with the `fault-injection` cargo feature, which `make test` enables; a build
//! without it (the release binary) has no such switch: [`point`] is then empty and the
//! variable's name is not in the binary.
//!
//! Owns: the named points. Must not touch: anything else.

/// Aborts here when the crash tests ask for `name`.
#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    if std::env::var("AIRLOCK_CRASH_AT").is_ok_and(|p| p == name) {
        std::process::abort();
    }
}

/// Without the `fault-injection` feature: nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}
