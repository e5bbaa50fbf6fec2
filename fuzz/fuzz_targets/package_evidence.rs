//! The readers of package evidence (PEP 740 attestation and provenance objects, npm's attestations
//! document) and of Python distribution file names: any bytes end in converted bundles or a
//! refusal with a reason code, never a panic.
#![no_main]

use airlock::bundle::pep740;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = pep740::read(data) {
        for c in list {
            let _ = c.bundle.map(|b| b.version);
        }
    }
    if let Ok(list) = pep740::read_npm(data) {
        for a in list {
            let _ = a.bundle.map(|b| b.version);
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = pep740::parse_dist_name(s);
    }
});
