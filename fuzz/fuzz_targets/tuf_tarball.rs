//! The USB medium as a tarball (`trust::medium::stage_archive`): gzip and tar framing, entry
//! names, sizes and counts from the input, unpacked into a fresh private folder each run.
//! Any bytes end in Ok or Err, never a panic, and nothing is written outside that folder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // /dev/shm keeps the per-input extraction in memory when it exists.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let Ok(work) = tempfile::Builder::new()
        .prefix("airlock-fuzz-")
        .tempdir_in(base)
    else {
        return;
    };
    let _ = airlock::trust::medium::stage_archive(data, Path::new("fuzz.tar.gz"), work.path());
});
