//! The factory trust: the pinned Sigstore public-good TUF root and a captured repository state,
//! embedded in the binary so that an appliance needs nothing else on first use.
//!
//! Owns: the bytes under `trust-root/` (see `trust-root/README.md` for their provenance) and the
//! capture instant at which the captured state is judged. Must not touch: files, the clock.

use crate::time::{parse_rfc3339, Timestamp};

/// Sigstore public-good TUF `root.json` pinned at build time (root version 15).
pub const ROOT_JSON: &[u8] = include_bytes!("../../trust-root/root.json");

/// The public-good TUF repository as published on 2026-08-21 (root 15, timestamp 762), packed.
pub const STATE_TAR_GZ: &[u8] =
    include_bytes!("../../trust-root/sigstore-public-good-2026-08-21_root15.tar.gz");

/// Name of the captured state, for messages and the `source` of the factory install.
pub const STATE_NAME: &str = "sigstore-public-good-2026-08-21_root15";

/// The `source` recorded for the factory install.
pub const SOURCE: &str = "factory:sigstore-public-good-2026-08-21_root15";

/// The Sigstore *staging* instance's trusted root, used only for `verify-bundle --staging`
/// (never installed, never a default; see trust-root/README.md).
pub const STAGING_TRUSTED_ROOT: &[u8] =
    include_bytes!("../../trust-root/staging/trusted_root.json");

/// The `source` named for the staging root.
pub const STAGING_SOURCE: &str = "staging (shipped with airlock)";

const CAPTURED_AT: &str = include_str!("../../trust-root/captured-at.txt");

/// The instant the factory state was captured: the expiry of its metadata is judged there.
pub fn captured_at() -> Result<Timestamp, String> {
    parse_rfc3339(CAPTURED_AT.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_instant_lies_inside_the_captured_timestamp_validity() {
        let t = captured_at().unwrap();
        // timestamp v762 of 2026-08-21 expires 2026-08-28T19:25:56Z, signed 7 days before.
        assert!(t > "2026-08-21T19:25:56Z".parse::<Timestamp>().unwrap());
        assert!(t < "2026-08-28T19:25:56Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn pinned_root_is_version_12_or_later() {
        assert!(crate::trust::tuf::root_version(ROOT_JSON).unwrap() >= 12);
    }
}
