//! The bundle's leaf certificate, DER (`verify::cert::parse_leaf`): SANs, Fulcio extensions,
//! SCT list, key. Any bytes end in Ok or Err.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airlock::verify::cert::parse_leaf(data);
});
