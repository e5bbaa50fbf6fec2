//! Signed-note checkpoints. The parser is private to `verify::tlog`, so it is reached through the
//! public `verify_entry`: a real entry whose SET, body and inclusion proof verify, with the
//! checkpoint text replaced by the input (Rekor v1 ECDSA log and Rekor v2 Ed25519 log).
#![no_main]

use airlock::verify::tlog::verify_entry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for case in [airlock_fuzz::rekor1(), airlock_fuzz::rekor2()] {
        let Some(entry) = case.bundle.tlog_entries.first() else {
            continue;
        };
        let mut entry = entry.clone();
        if let Some(p) = entry.inclusion_proof.as_mut() {
            p.checkpoint = Some(text.clone());
        }
        let _ = verify_entry(&entry, case.bundle.version, &case.expected(), &case.root);
    }
});
