//! airlock: an offline verifier of Sigstore supply-chain evidence for isolated networks.
//!
//! # Scope
//!
//! Sites with no internet receive software on removable media. airlock proves, with no network,
//! that an artifact was signed by the expected publisher and logged in a trusted Sigstore
//! transparency log: the Fulcio certificate chain at the verified signing time, embedded SCTs,
//! the Rekor signed entry timestamp, the RFC 9162 inclusion proof and its signed-note
//! checkpoint, RFC 3161 timestamps, the identity and OIDC issuer, or a managed key. The
//! Sigstore trust root is itself verified through TUF from a repository copy carried on USB.
//!
//! # Non-goals
//!
//! No network, ever: no module opens a socket to fetch anything, and no HTTP client is compiled
//! in. airlock signs nothing of anyone else's (only its own ledger checkpoints and exported
//! verification summaries, with its deployment key), does not talk to Fulcio, Rekor or a TSA, and
//! never trusts a time it did not verify.
//!
//! # Data flow
//!
//! ```text
//! stick ──▶ archive ──▶ oci / blobs ──▶ evidence ──▶ verify (all crypto, time passed in)
//!                                                      ──▶ policy ──▶ import ──▶ store ──▶ cli
//! bytes ──▶ bundle (parse, capped) ──┘        trust (TUF refresh, typed trusted roots) ──┘
//! ```
//!
//! An untrusted [`bundle::Bundle`] becomes a [`verify::VerifiedBundle`] only inside
//! [`verify::verify`]. Every refusal carries a stable kebab-case reason code.
//!
//! # Modules
//!
//! - [`bundle`]: untrusted bytes → typed, capped structures (Sigstore bundles, DSSE, in-toto).
//! - [`trust`]: the typed trusted root and its TUF-verified lifecycle in the data dir.
//! - [`verify`]: certificates, SCTs, transparency-log evidence, timestamps, signatures.
//! - [`policy`]: who must have signed.
//! - [`cli`]: flags, exit codes, output.
//! - [`limits`]: every cap on outside input; [`clock`]: the one reader of system time.
//! - [`input`]: opening the operator's files (regular files only, capped); [`text`]: the one
//!   escaping of outside strings shown to a person.
//! - [`archive`]: safe reading of tar, tar.gz, tar.zst and folders into staging, hashed once.
//! - [`reference`]: image names, their canonical form and where each came from.
//! - [`oci`]: OCI layouts, manifests, cosign tags and referrers; legacy signatures as bundles.
//! - [`yaml`]: the nesting cap checked before any outside YAML is parsed.
//! - [`zarf`]: Zarf packages: the definition, its checksums, where its signature is.
//! - [`evidence`]: unverified evidence found beside an artifact.
//! - [`import`]: the pipeline from a stick to a verdict per artifact, kept in `accepted/` or
//!   `quarantine/`; `reverify`.
//! - [`store`]: the verification ledger (sled): chained, HMAC'd, indexed, exportable.
//! - [`datadir`]: the data dir created owner-only, its own entries never links.
//! - [`daemon`]: the drop-folder daemon: inbox, journal, crash recovery, the control socket.
//! - [`api`]: the daemon's read-only HTTPS API (mutual TLS optional); [`metrics`]: its
//!   Prometheus metrics.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(test)]
mod layering;

pub mod api;
pub mod app;
pub mod archive;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod crypto;
pub mod daemon;
pub mod datadir;
pub mod der;
pub mod evidence;
pub mod fault;
pub mod fulcio;
pub mod import;
pub mod input;
pub mod limits;
pub mod metrics;
pub mod oci;
pub mod policy;
pub mod present;
pub mod push;
pub mod reason;
pub mod reference;
pub mod registry;
pub mod store;
pub mod text;
pub mod time;
pub mod trust;
pub mod verify;
pub mod yaml;
pub mod zarf;
