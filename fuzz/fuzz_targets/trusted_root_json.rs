//! Sigstore trusted_root.json (`TrustedRoot::from_json`): any bytes end in Ok or Err.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airlock::trust::TrustedRoot::from_json(data);
});
