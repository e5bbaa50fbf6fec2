//! Zarf's package definition and checksums (`zarf.yaml`, `checksums.txt`), and image references
//! as layouts write them: any bytes end in a parsed value or a refusal, never a panic or a hang
//! (deep YAML nesting is refused before parsing).
#![no_main]

use airlock::archive::StagedFile;
use airlock::zarf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (yaml, sums) = data.split_at(split);
    if let Ok(def) = zarf::parse_definition(yaml, "fuzz") {
        let files = vec![
            StagedFile { path: "checksums.txt".into(), size: sums.len() as u64, sha256: [0; 32] },
            StagedFile { path: "components/a.tar".into(), size: 1, sha256: [1; 32] },
        ];
        let map = zarf::package_files("", &files);
        let _ = zarf::verify_integrity("fuzz", &def, sums, &map);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(r) = airlock::reference::parse(s) {
            let _ = r.canonical();
        }
        let _ = airlock::reference::glob_forms(s);
    }
});
