//! The trust root: the typed Sigstore trusted root, and (being built) its TUF-verified lifecycle.
//!
//! Owns: what airlock trusts and why. Must not touch: the network, bundles, the ledger.

pub mod trusted_root;

pub use trusted_root::{CertificateAuthority, TransparencyLog, TrustedRoot, TrustedRootError};
