//! Sigstore bundle JSON (`Bundle::from_json`): any bytes end in Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airlock::bundle::Bundle::from_json(data);
});
