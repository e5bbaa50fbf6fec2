//! The USB medium as a tarball (`trust::medium::stage_archive`): gzip and tar framing, entry
//! names, sizes and counts from the input, unpacked into a fresh private folder each run.
//! Any bytes end in Ok or Err, never a panic, and nothing is written outside that folder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(work) = airlock_fuzz::scratch_dir() else {
        return;
    };
    let _ = airlock::trust::medium::stage_archive(data, Path::new("fuzz.tar.gz"), work.path());
});
