//! The ClusterImagePolicy reader (`policy::cip::PolicySet::parse`): any bytes as a policy file
//! end in a validated policy or a refusal naming the file, never a panic.
#![no_main]

use airlock::policy::cip::PolicySet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loader = |_: &str| -> Result<Vec<u8>, String> { Ok(b"0123456789abcdef0123456789abcdef".to_vec()) };
    if let Ok(p) = PolicySet::parse("fuzz.yaml", data, &loader) {
        for cip in &p.policies {
            let _ = cip.matches(&["ghcr.io/acme/app:v1".to_string()]);
        }
    }
});
