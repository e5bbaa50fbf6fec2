pub mod fake_sigstore;
pub mod tuf_repo;
