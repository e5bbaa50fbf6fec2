//! Fixed, real inputs shared by the fuzz targets: conformance bundles, their trusted roots, the
//! artifact and the identity they were signed for. Parsed once per process.
//!
//! Owns: nothing of airlock; only test fixtures for `fuzz_targets/`. Must not touch: airlock's
//! code (targets call the public library API only).
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use airlock::bundle::{Bundle, Content, HashAlgorithm, SigningMaterial};
use airlock::policy::{IdentityPolicy, Matcher};
use airlock::time::Timestamp;
use airlock::trust::TrustedRoot;
use airlock::verify::tlog::{ExpectedBody, SignerMaterial};
use airlock::verify::tsa::TsaVerifier;
use airlock::verify::{SignerPolicy, Verifier};

pub const ARTIFACT: &[u8] = include_bytes!("../../tests/data/conformance/bundle-verify/a.txt");
pub const ROOT_PRODUCTION: &[u8] =
    include_bytes!("../../tests/data/conformance/trusted-roots/public-good-production.json");
const BUNDLE_REKOR1: &[u8] = include_bytes!(
    "../../tests/data/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json"
);
const BUNDLE_REKOR2: &[u8] = include_bytes!(
    "../../tests/data/conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json"
);
const ROOT_REKOR2: &[u8] = include_bytes!(
    "../../tests/data/conformance/bundle-verify/rekor2-happy-path/trusted_root.json"
);
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A real bundle that verifies against `root`, with what its tlog entry must agree with.
pub struct Case {
    pub bundle: Bundle,
    pub root: TrustedRoot,
    /// `root`, prepared once (as `--batch` does).
    pub verifier: Verifier,
    /// `root`'s timestamp authorities, prepared once.
    pub tsa: TsaVerifier,
    pub signature: Vec<u8>,
    pub leaf: Vec<u8>,
}

impl Case {
    /// What the entry body must match (the artifact's real SHA-256, the bundle's signature and
    /// leaf certificate).
    pub fn expected(&self) -> ExpectedBody<'_> {
        ExpectedBody::MessageSignature {
            signature: &self.signature,
            artifact_digest: (HashAlgorithm::Sha256, artifact_sha256()),
            signer: SignerMaterial::Certificate(&self.leaf),
        }
    }
}

/// Fixture set-up failing is a bug in the fixtures, not a finding: abort loudly.
fn fixture<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("fuzz fixture {what} unusable: {e}");
            std::process::abort()
        }
    }
}

fn case(bundle: &[u8], root: &[u8], what: &str) -> Case {
    let bundle = fixture(Bundle::from_json(bundle), what);
    let root = fixture(TrustedRoot::from_json(root), what);
    let signature = match &bundle.content {
        Content::MessageSignature(m) => m.signature.clone(),
        Content::Dsse(e) => e
            .signatures
            .first()
            .map(|s| s.sig.clone())
            .unwrap_or_default(),
    };
    let leaf = match &bundle.signing_material {
        SigningMaterial::Certificate { leaf, .. } => leaf.clone(),
        SigningMaterial::PublicKey { .. } => Vec::new(),
    };
    Case {
        bundle,
        verifier: Verifier::new(root.clone()),
        tsa: TsaVerifier::new(&root),
        root,
        signature,
        leaf,
    }
}

/// happy-path-v0.3: Rekor v1 hashedrekord with SET, inclusion proof, ECDSA checkpoint;
/// production root.
pub fn rekor1() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| case(BUNDLE_REKOR1, ROOT_PRODUCTION, "happy-path-v0.3"))
}

/// rekor2-happy-path: Rekor v2 hashedrekord 0.0.2, Ed25519 checkpoint, RFC 3161 timestamp; its
/// own (staging) root.
pub fn rekor2() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| case(BUNDLE_REKOR2, ROOT_REKOR2, "rekor2-happy-path"))
}

/// The production trusted root.
pub fn production_root() -> &'static TrustedRoot {
    &rekor1().root
}

/// The production trusted root, prepared.
pub fn production() -> &'static Verifier {
    &rekor1().verifier
}

/// SHA-256 of the conformance artifact `a.txt`.
pub fn artifact_sha256() -> &'static [u8] {
    static D: OnceLock<Vec<u8>> = OnceLock::new();
    D.get_or_init(|| airlock::crypto::sha256(ARTIFACT).to_vec())
}

/// The identity both fixture bundles were signed for.
pub fn policy() -> &'static SignerPolicy {
    static P: OnceLock<SignerPolicy> = OnceLock::new();
    P.get_or_init(|| {
        SignerPolicy::Identity(IdentityPolicy {
            identity: Matcher::exact(IDENTITY),
            issuer: Matcher::exact(ISSUER),
        })
    })
}

/// A fixed appliance clock (after every fixture's signing time).
pub fn now() -> Timestamp {
    fixture(
        airlock::time::parse_rfc3339("2026-06-01T00:00:00Z"),
        "clock",
    )
}

/// A fresh private folder for one input (in `/dev/shm` when it exists, so extraction stays in
/// memory).
pub fn scratch_dir() -> Option<tempfile::TempDir> {
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    tempfile::Builder::new()
        .prefix("airlock-fuzz-")
        .tempdir_in(base)
        .ok()
}
