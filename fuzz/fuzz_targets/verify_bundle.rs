//! The whole verifier (`Bundle::from_json` then `verify::Verifier::verify`) on fuzzed bundle bytes, for the
//! conformance artifact's SHA-256 and identity, against the production root and the Rekor v2
//! staging root (each prepared once, as `--batch` does). Any bytes end in Ok or Err, never a
//! panic.
#![no_main]

use airlock::bundle::HashAlgorithm;
use airlock::verify::Artifact;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = airlock::bundle::Bundle::from_json(data) else {
        return;
    };
    let artifact = Artifact::Digest(HashAlgorithm::Sha256, airlock_fuzz::artifact_sha256());
    let policy = airlock_fuzz::policy();
    let now = airlock_fuzz::now();
    for v in [airlock_fuzz::production(), &airlock_fuzz::rekor2().verifier] {
        let _ = v.verify(&bundle, artifact, policy, now);
    }
});
