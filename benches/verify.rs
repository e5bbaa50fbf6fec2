//! CPU cost of one bundle verification through the library API, beside the physical floor of the
//! signature checks it must do.
//!
//! Owns: the criterion benchmarks run by `make bench` (`cargo bench --bench verify`). Must not
//! touch: the crate's code, the network, any assertion on timings (figures are reported, never
//! asserted; `benches/commands.sh` reads criterion's estimates and prints the table).
//!
//! Benchmarks (criterion ids, `target/criterion/<group>/<name>/new/estimates.json`):
//! - `parse/bundle_v03_rekor1`, `parse/trusted_root_production`: JSON parsing alone.
//! - `verify/rekor1_v03` (happy-path-v0.3: message signature, Rekor v1 hashedrekord 0.0.1 with
//!   SET, inclusion proof and checkpoint; production root) and `verify/rekor2_tsa`
//!   (rekor2-happy-path: Rekor v2 hashedrekord 0.0.2, Ed25519 checkpoint, RFC 3161 timestamp; its
//!   own trusted_root.json): bundle parse + `Verifier::verify`, the trusted root parsed and
//!   prepared once (what `--batch` does, and what sigstore-verify's `Verifier` does).
//! - `oneshot/rekor1_v03`, `oneshot/rekor2_tsa`: bundle parse + the free `airlock::verify::verify`
//!   with an already parsed root (it prepares the root on every call).
//! - `floor/ecdsa_p384_sha384`, `floor/ecdsa_p256_sha256`, `floor/ed25519`: one aws-lc-rs verify.
//! - `floor/rekor1_signatures` = 1 P-384 (Fulcio intermediate over the leaf) + 4 P-256 (artifact
//!   signature, SCT, SET, checkpoint): the signature checks a Rekor v1 bundle cannot avoid.
//! - `floor/rekor2_tsa_signatures` = 2 P-384 (leaf certificate, TSA signer) + 2 P-256 (artifact
//!   signature, SCT) + 1 Ed25519 (checkpoint). Links between trusted-root certificates
//!   (intermediate → root) are verified once per process and are not part of either floor.

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use criterion::{criterion_group, criterion_main, Criterion};

use airlock::bundle::Bundle;
use airlock::policy::{IdentityPolicy, Matcher};
use airlock::time::Timestamp;
use airlock::trust::TrustedRoot;
use airlock::verify::{self, Artifact, SignerPolicy, Verifier};

const ARTIFACT: &[u8] = include_bytes!("../tests/data/conformance/bundle-verify/a.txt");
const BUNDLE_REKOR1: &[u8] =
    include_bytes!("../tests/data/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json");
const ROOT_PRODUCTION: &[u8] =
    include_bytes!("../tests/data/conformance/trusted-roots/public-good-production.json");
const BUNDLE_REKOR2: &[u8] = include_bytes!(
    "../tests/data/conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json"
);
const ROOT_REKOR2: &[u8] =
    include_bytes!("../tests/data/conformance/bundle-verify/rekor2-happy-path/trusted_root.json");
/// From tests/data/conformance/manifest.jsonl (both cases).
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Stops the bench with a message (benches are not library code: failing loudly is the point).
fn die(what: &str, why: impl std::fmt::Display) -> ! {
    eprintln!("bench setup failed: {what}: {why}");
    std::process::exit(2)
}

fn policy() -> SignerPolicy {
    SignerPolicy::Identity(IdentityPolicy {
        identity: Matcher::exact(IDENTITY),
        issuer: Matcher::exact(ISSUER),
    })
}

fn parse_root(bytes: &[u8], what: &str) -> TrustedRoot {
    TrustedRoot::from_json(bytes).unwrap_or_else(|e| die(what, e))
}

/// Parse + verify with a prepared verifier: the cost of one bundle in a batch.
fn parse_and_verify(
    bundle: &[u8],
    verifier: &Verifier,
    policy: &SignerPolicy,
    now: Timestamp,
) -> Result<verify::VerifiedBundle, String> {
    let b = Bundle::from_json(bundle).map_err(|e| format!("{}: {e}", e.code()))?;
    verifier
        .verify(&b, Artifact::Bytes(ARTIFACT), policy, now)
        .map_err(|e| format!("{}: {e}", e.code()))
}

/// Parse + the free `verify` function (root prepared on each call).
fn parse_and_verify_oneshot(
    bundle: &[u8],
    root: &TrustedRoot,
    policy: &SignerPolicy,
    now: Timestamp,
) -> Result<verify::VerifiedBundle, String> {
    let b = Bundle::from_json(bundle).map_err(|e| format!("{}: {e}", e.code()))?;
    verify::verify(&b, Artifact::Bytes(ARTIFACT), policy, root, now)
        .map_err(|e| format!("{}: {e}", e.code()))
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.bench_function("bundle_v03_rekor1", |b| {
        b.iter(|| Bundle::from_json(black_box(BUNDLE_REKOR1)).is_ok())
    });
    g.bench_function("trusted_root_production", |b| {
        b.iter(|| TrustedRoot::from_json(black_box(ROOT_PRODUCTION)).is_ok())
    });
    // What a prepared trust root saves per log entry and per SCT: the log key is parsed once
    // (TransparencyLog::key), where it used to be parsed for each of them.
    if let Ok(root) = TrustedRoot::from_json(ROOT_PRODUCTION) {
        if let Some(log) = root.tlogs.first() {
            let spki = log.public_key.clone();
            g.bench_function("log_key_spki_each_time", |b| {
                b.iter(|| airlock::crypto::PublicKey::from_spki_der(black_box(&spki)).is_ok())
            });
            g.bench_function("log_key_cached", |b| {
                b.iter(|| black_box(log).key().is_ok())
            });
        }
    }
    g.finish();
}

/// The two bundles every verification benchmark times, with their trusted roots.
fn cases() -> [(&'static str, &'static [u8], TrustedRoot); 2] {
    [
        (
            "rekor1_v03",
            BUNDLE_REKOR1,
            parse_root(ROOT_PRODUCTION, "production root"),
        ),
        (
            "rekor2_tsa",
            BUNDLE_REKOR2,
            parse_root(ROOT_REKOR2, "rekor2-happy-path root"),
        ),
    ]
}

fn bench_verify(c: &mut Criterion) {
    let now = airlock::clock::now();
    let policy = policy();
    let cases = cases();
    let mut g = c.benchmark_group("verify");
    for (name, bundle, root) in &cases {
        let verifier = Verifier::new(root.clone());
        // Timing a rejection would measure an early exit, not a verification: refuse to.
        match parse_and_verify(bundle, &verifier, &policy, now) {
            Ok(_) => {
                g.bench_function(*name, |b| {
                    b.iter(|| parse_and_verify(black_box(bundle), &verifier, &policy, now).is_ok())
                });
            }
            Err(e) => eprintln!("verify/{name}: SKIPPED, the bundle does not verify ({e})"),
        }
    }
    g.finish();
}

fn bench_oneshot(c: &mut Criterion) {
    let now = airlock::clock::now();
    let policy = policy();
    let cases = cases();
    let mut g = c.benchmark_group("oneshot");
    for (name, bundle, root) in &cases {
        match parse_and_verify_oneshot(bundle, root, &policy, now) {
            Ok(_) => {
                g.bench_function(*name, |b| {
                    b.iter(|| {
                        parse_and_verify_oneshot(black_box(bundle), root, &policy, now).is_ok()
                    })
                });
            }
            Err(e) => eprintln!("oneshot/{name}: SKIPPED, the bundle does not verify ({e})"),
        }
    }
    g.finish();
}

/// A signed message and the public key that verifies it.
struct Signed {
    alg: &'static dyn sig::VerificationAlgorithm,
    public: Vec<u8>,
    msg: Vec<u8>,
    sig: Vec<u8>,
}

impl Signed {
    fn verify(&self) -> bool {
        UnparsedPublicKey::new(self.alg, black_box(&self.public))
            .verify(black_box(&self.msg), black_box(&self.sig))
            .is_ok()
    }
}

fn ecdsa(
    signing: &'static sig::EcdsaSigningAlgorithm,
    verifying: &'static sig::EcdsaVerificationAlgorithm,
    msg_len: usize,
) -> Signed {
    let rng = SystemRandom::new();
    let kp = sig::EcdsaKeyPair::generate(signing).unwrap_or_else(|e| die("ecdsa keygen", e));
    // Messages of the size real ones have (a TBSCertificate is ~700 bytes, a SET payload ~1 KB).
    let msg = vec![0x5a; msg_len];
    let s = kp.sign(&rng, &msg).unwrap_or_else(|e| die("ecdsa sign", e));
    let out = Signed {
        alg: verifying,
        public: kp.public_key().as_ref().to_vec(),
        msg,
        sig: s.as_ref().to_vec(),
    };
    if !out.verify() {
        die("ecdsa", "own signature does not verify");
    }
    out
}

fn ed25519(msg_len: usize) -> Signed {
    let kp = Ed25519KeyPair::generate().unwrap_or_else(|e| die("ed25519 keygen", e));
    let msg = vec![0x5a; msg_len];
    let s = kp.sign(&msg);
    let out = Signed {
        alg: &sig::ED25519,
        public: kp.public_key().as_ref().to_vec(),
        msg,
        sig: s.as_ref().to_vec(),
    };
    if !out.verify() {
        die("ed25519", "own signature does not verify");
    }
    out
}

fn bench_floor(c: &mut Criterion) {
    let p384 = ecdsa(
        &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        &sig::ECDSA_P384_SHA384_ASN1,
        700,
    );
    let p256 = ecdsa(
        &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        &sig::ECDSA_P256_SHA256_ASN1,
        700,
    );
    let ed = ed25519(200);
    let mut g = c.benchmark_group("floor");
    g.bench_function("ecdsa_p384_sha384", |b| b.iter(|| p384.verify()));
    g.bench_function("ecdsa_p256_sha256", |b| b.iter(|| p256.verify()));
    g.bench_function("ed25519", |b| b.iter(|| ed.verify()));
    g.bench_function("rekor1_signatures", |b| {
        b.iter(|| p384.verify() & p256.verify() & p256.verify() & p256.verify() & p256.verify())
    });
    g.bench_function("rekor2_tsa_signatures", |b| {
        b.iter(|| p384.verify() & p384.verify() & p256.verify() & p256.verify() & ed.verify())
    });
    g.finish();
}

// The verifications and their floors run next to each other: a shared VM's speed drifts over
// minutes, and the ratio between the two is the figure that matters.
criterion_group!(
    benches,
    bench_verify,
    bench_floor,
    bench_oneshot,
    bench_parse
);
criterion_main!(benches);
