//! airlock's own TUF metadata reader (`trust::tuf::meta`): any bytes as root, timestamp, snapshot
//! or targets metadata end in parsed metadata or a refusal, never a panic; the canonical form and
//! the threshold check of whatever parses, and delegated path patterns, never panic or hang.
#![no_main]

use airlock::trust::tuf::meta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = meta::parse::<meta::Root>(data, "root", "root") {
        let _ = meta::canonical(&r.raw_signed);
        if let Some(role) = r.signed.roles.get("root") {
            let _ = meta::check_threshold(&r, role, &r.signed.keys);
        }
    }
    if let Ok(t) = meta::parse::<meta::Timestamp_>(data, "timestamp", "timestamp") {
        let _ = meta::canonical(&t.raw_signed);
    }
    if let Ok(s) = meta::parse::<meta::Snapshot>(data, "snapshot", "snapshot") {
        let _ = meta::canonical(&s.raw_signed);
    }
    if let Ok(t) = meta::parse::<meta::Targets>(data, "targets", "targets") {
        for f in t.signed.targets.values() {
            let _ = meta::check_hashes(data, &meta::supported_hashes(&f.hashes));
        }
        if let Some(d) = &t.signed.delegations {
            for r in &d.roles {
                let _ = r.covers("trusted_root.json");
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some((p, t)) = s.split_once('\n') {
            let _ = meta::path_matches(p, t);
        }
    }
});
