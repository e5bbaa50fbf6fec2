//! What a registry and an operator's auth file hand `airlock push`: a `WWW-Authenticate`
//! challenge, a Docker `config.json`, a `--to` value, and a manifest or referrers index the
//! registry answers (read as the push reads them). Any bytes end in a value or a refusal,
//! never a panic.
#![no_main]

use airlock::registry::{auth, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = auth::params(&text);
    let _ = auth::parse_config(data, "registry.site:5000");
    let _ = Target::parse(&text);
    let _ = serde_json::from_slice::<airlock::oci::ImageIndex>(data);
    let _ = serde_json::from_slice::<airlock::oci::ImageManifest>(data);
});
