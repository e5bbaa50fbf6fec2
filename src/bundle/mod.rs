//! Untrusted bytes → typed, capped structures: Sigstore bundles, DSSE envelopes, in-toto
//! statements.
//!
//! Owns: parsing and structural rules. Must not touch: signatures, trust, the clock, the store.
//! Everything produced here is still untrusted; only `verify` turns it into verified facts.

pub mod dsse;
pub mod error;
pub mod json;
pub mod pep740;
pub mod predicate;
pub mod proof;
pub mod sigstore;

pub use dsse::{Envelope, Statement};
pub use sigstore::{Bundle, BundleError, BundleVersion, Content, HashAlgorithm, SigningMaterial};
