pub mod fake_sigstore;
pub mod oci;
pub mod tuf_repo;
