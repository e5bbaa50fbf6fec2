//! airlock: an offline verifier of Sigstore supply-chain evidence for isolated networks.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod bundle;
pub mod cli;
pub mod clock;
pub mod limits;
pub mod policy;
pub mod time;
pub mod trust;
pub mod verify;
