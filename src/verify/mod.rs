//! All cryptographic verification of a Sigstore bundle, offline.
//!
//! Owns: turning an untrusted [`Bundle`](crate::bundle::Bundle) into a [`VerifiedBundle`].
//! Must not touch: the disk, the clock (time is passed in), the ledger, the network.

pub mod cert;
pub mod crypto;
pub mod tlog;
pub mod tsa;
