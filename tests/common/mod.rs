pub mod cmd;
pub mod fake_sigstore;
pub mod oci;
pub mod tuf_repo;

/// Copies the folder `from` into `to` (created), recursively; panics on any error (tests only).
#[allow(dead_code)] // not every test binary copies folders
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    tuf_repo::copy_dir(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}
