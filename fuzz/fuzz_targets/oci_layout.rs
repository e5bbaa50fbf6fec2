//! The OCI layout reader and the cosign finder (`oci::read_layout`, `oci::find`): a layout whose
//! `index.json` and one manifest blob come from the input, written into a fresh folder each run.
//! Any bytes end in Ok or Err, never a panic; a cycle or a missing blob is an Err.
#![no_main]

use airlock::archive::StagedFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(work) = airlock_fuzz::scratch_dir() else {
        return;
    };
    // The input is split at the first NUL: index.json, then a blob.
    let (index, blob) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let digest = airlock::crypto::sha256(blob);
    let hex = hex::encode(digest);
    let root = work.path();
    if std::fs::create_dir_all(root.join("blobs/sha256")).is_err() {
        return;
    }
    let _ = std::fs::write(root.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#);
    let _ = std::fs::write(root.join("index.json"), index);
    let _ = std::fs::write(root.join(format!("blobs/sha256/{hex}")), blob);
    let files = vec![StagedFile { path: format!("blobs/sha256/{hex}"), size: blob.len() as u64, sha256: digest }];
    if let Ok(layout) = airlock::oci::read_layout(root, "", &files, "fuzz.tar") {
        let _ = airlock::oci::find(&layout, root);
    }
});
