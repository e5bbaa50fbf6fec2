//! Every cap on input that comes from outside, in one place, each with the attack it stops.
//!
//! Owns: numbers. Must not touch: anything else. Parsers and verifiers read these constants; a
//! test or a fuzz target that wants a smaller cap passes its own, it never edits these.

/// Largest Sigstore bundle file accepted (bytes). Stops memory exhaustion by a huge bundle; real
/// bundles are 3–15 KiB, DSSE attestations with large SLSA provenance stay well under 1 MiB.
pub const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest `trusted_root.json` accepted (bytes). The public-good root is about 7 KiB.
pub const MAX_TRUSTED_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// Largest PEM public key file accepted for `--key` (bytes).
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Deepest JSON nesting accepted in any document. Stops stack exhaustion; bundles nest about 6 deep.
pub const MAX_JSON_DEPTH: usize = 64;

/// Most transparency-log entries in one bundle (sigstore-go uses 32 as well).
pub const MAX_TLOG_ENTRIES: usize = 32;

/// Most RFC 3161 timestamps in one bundle (sigstore-python refuses more than 32).
pub const MAX_TIMESTAMPS: usize = 32;

/// Longest certificate chain, in certificates, in a bundle or a trusted-root authority.
pub const MAX_CHAIN_LEN: usize = 10;

/// Most hashes in an inclusion proof: a tree of 2^64 leaves needs at most 64.
pub const MAX_PROOF_HASHES: usize = 64;

/// Largest signed-note checkpoint text (bytes).
pub const MAX_CHECKPOINT_BYTES: usize = 64 * 1024;

/// Most signature lines in one checkpoint (log signature plus witness cosignatures).
pub const MAX_CHECKPOINT_SIGNATURES: usize = 64;

/// Most signatures in one DSSE envelope.
pub const MAX_DSSE_SIGNATURES: usize = 16;

/// Most subjects in one in-toto statement.
pub const MAX_INTOTO_SUBJECTS: usize = 4096;

/// Most entries in each list of a trusted root (CAs, logs, TSAs).
pub const MAX_TRUSTED_ROOT_ENTRIES: usize = 256;

/// Most embedded SCTs examined in one certificate.
pub const MAX_SCTS: usize = 64;

/// Largest single DER object (certificate, timestamp response) accepted (bytes).
pub const MAX_DER_BYTES: usize = 1024 * 1024;

/// Most lines in one `--batch` file.
pub const MAX_BATCH_LINES: usize = 10_000_000;

/// Largest line in a `--batch` file (bytes).
pub const MAX_BATCH_LINE_BYTES: usize = 64 * 1024;
