//! The import medium reader (`archive::stage_reader`): tar, gzip and zstd framing, entry names,
//! types, sizes, PAX and GNU headers from the input, into a fresh private folder each run. Any
//! bytes end in Ok or Err, never a panic, and every file written lies inside that folder.
#![no_main]

use std::path::Path;

use airlock::archive::{self, ArchiveLimits, Select};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(work) = airlock_fuzz::scratch_dir() else {
        return;
    };
    let limits = ArchiveLimits {
        max_entries: 256,
        max_files: 256,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_stream_bytes: 8 << 20,
        ..ArchiveLimits::IMPORT
    };
    let reader = std::io::BufReader::new(data);
    if let Ok(staged) = archive::stage_reader(reader, Path::new("fuzz.tar"), work.path(), &limits, Select::ALL) {
        for f in &staged.files {
            let p = work.path().join(&f.path);
            let canon = std::fs::canonicalize(&p).unwrap_or(p);
            assert!(canon.starts_with(std::fs::canonicalize(work.path()).unwrap_or_default()));
        }
    }
});
