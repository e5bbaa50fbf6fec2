//! A fake Sigstore, in memory, for tests: a Fulcio-like CA (P-384 root and intermediate, P-256
//! leaves with Fulcio extensions and an embedded SCT), a CT log, a Rekor v1 log (ECDSA P-256,
//! SETs, RFC 9162 Merkle tree, signed-note checkpoints), a Rekor v2 log (Ed25519, hashedrekord
//! 0.0.2), witnesses and RFC 3161 timestamp authorities. It mints bundles v0.1 / v0.2 / v0.3 in
//! the real protobuf-JSON formats and the matching `trusted_root.json`, with a knob to break each
//! piece so every check of the verifier can be seen to fail.
//!
//! Owns: test-only minting. Must not touch: the verifier (it never calls airlock's library, so
//! a bug there cannot hide a bug here), the network, `/work/shared`.
//!
//! Use: `let m = fake().mint(&Spec::v03());` then `assert_verified(&m)` or tweak `Spec` fields
//! (see [`Breaks`]) and `assert_rejected(&m, "reason-code")`.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod der;
pub mod keys;
pub mod merkle;
pub mod run;
pub mod tsa;
pub mod x509;

use std::sync::OnceLock;

use serde_json::{json, Value};

pub use keys::{b64, sha256, unb64, Alg, Signer};
pub use run::{assert_rejected, assert_verified, verify, Input, Policy, Run};
pub use x509::San;

// ---- fixed facts of the fake instance ----

/// 2025-06-01T12:00:00Z: when the default leaf certificate starts being valid.
pub const T0: i64 = 1_748_779_200;
/// 2024-01-01T00:00:00Z: when the fake CAs, logs and TSAs start.
pub const EPOCH: i64 = 1_704_067_200;
pub const YEAR: i64 = 365 * 24 * 3600;
pub const DAY: i64 = 24 * 3600;

pub const IDENTITY: &str =
    "https://github.com/fake-org/fake-repo/.github/workflows/release.yml@refs/heads/main";
pub const OIDC_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// cosign v3's predicate type for an image signature as a statement.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

pub const FULCIO_URI: &str = "https://fulcio.fake-sigstore.test";
pub const FULCIO_EXPIRED_URI: &str = "https://fulcio-expired.fake-sigstore.test";
pub const FULCIO_ORG: &str = "fake-sigstore.test";
pub const CT_URL: &str = "https://ctfe.fake-sigstore.test/2025";
pub const REKOR_V1_HOST: &str = "rekor.fake-sigstore.test";
pub const REKOR_V1_TREE_ID: u64 = 4_815_162_342_108_801;
pub const REKOR_V2_HOST: &str = "log2025-1.rekor.fake-sigstore.test";
pub const WITNESS_NAME: &str = "witness.fake-sigstore.test";
pub const TSA_URI: &str = "https://timestamp.fake-sigstore.test/api/v1/timestamp";
pub const TSA_SHORT_URI: &str = "https://tsa-short.fake-sigstore.test/api/v1/timestamp";
pub const TSA_NO_EKU_URI: &str = "https://tsa-no-eku.fake-sigstore.test/api/v1/timestamp";

pub const MT_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
pub const MT_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
pub const MT_V03: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
pub const MT_V03_NEW: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The Rekor v1 checkpoint origin: host, " - ", tree ID (as rekor.sigstore.dev writes it).
pub fn rekor_v1_origin() -> String {
    format!("{REKOR_V1_HOST} - {REKOR_V1_TREE_ID}")
}

/// C2SP signed-note key ID: SHA-256(name || 0x0A || type || public key), type 0x01 = Ed25519,
/// 0x04 = timestamped Ed25519 cosignature.
pub fn note_key_id(name: &str, key_type: u8, public: &[u8]) -> [u8; 32] {
    let mut v = name.as_bytes().to_vec();
    v.push(0x0a);
    v.push(key_type);
    v.extend_from_slice(public);
    sha256(&v)
}

// ---- authorities ----

/// A Fulcio-like CA: root and intermediate (both P-384).
pub struct Ca {
    pub root_key: Signer,
    pub root_cert: Vec<u8>,
    pub root_name: Vec<u8>,
    pub inter_key: Signer,
    pub inter_cert: Vec<u8>,
    pub inter_name: Vec<u8>,
}

impl Ca {
    fn new(label: &str, not_before: i64, not_after: i64) -> Ca {
        Ca::with_intermediate_validity(label, not_before, not_after, not_before, not_after)
    }

    fn with_intermediate_validity(
        label: &str,
        not_before: i64,
        not_after: i64,
        inter_not_before: i64,
        inter_not_after: i64,
    ) -> Ca {
        let root_key = Signer::derive(Alg::P384, &format!("{label}/root"));
        let inter_key = Signer::derive(Alg::P384, &format!("{label}/intermediate"));
        let root_name = x509::name(FULCIO_ORG, "fake-sigstore");
        let inter_name = x509::name(FULCIO_ORG, "fake-sigstore-intermediate");
        let root_cert = x509::Tbs {
            serial: serial_for(&format!("{label}/root")),
            sig_alg: root_key.sig_alg_der(),
            issuer: root_name.clone(),
            not_before,
            not_after,
            subject: root_name.clone(),
            spki: root_key.spki_der(),
            exts: vec![
                x509::key_usage(&[5, 6]),
                x509::basic_constraints(true, Some(1)),
                x509::subject_key_id(&root_key.spki_der()),
            ],
        }
        .sign(&root_key);
        let inter_cert = x509::Tbs {
            serial: serial_for(&format!("{label}/intermediate")),
            sig_alg: root_key.sig_alg_der(),
            issuer: root_name.clone(),
            not_before: inter_not_before,
            not_after: inter_not_after,
            subject: inter_name.clone(),
            spki: inter_key.spki_der(),
            exts: vec![
                x509::key_usage(&[5, 6]),
                x509::ext_key_usage(&[x509::OID_CODE_SIGNING], false),
                x509::basic_constraints(true, Some(0)),
                x509::subject_key_id(&inter_key.spki_der()),
                x509::authority_key_id(&root_key.spki_der()),
            ],
        }
        .sign(&root_key);
        Ca {
            root_key,
            root_cert,
            root_name,
            inter_key,
            inter_cert,
            inter_name,
        }
    }
}

/// An RFC 3161 timestamp authority: a self-signed root and a timeStamping leaf.
pub struct Tsa {
    pub root_key: Signer,
    pub root_cert: Vec<u8>,
    pub root_name: Vec<u8>,
    pub key: Signer,
    pub cert: Vec<u8>,
    pub name: Vec<u8>,
    pub serial: Vec<u8>,
    pub uri: &'static str,
    pub leaf_not_before: i64,
    pub leaf_not_after: i64,
}

impl Tsa {
    /// A TSA with its own self-signed root; `eku: false` leaves out the timeStamping EKU;
    /// `under_fulcio` issues the leaf from the trusted Fulcio intermediate instead (a CA that
    /// is trusted, but not for timestamps).
    fn new(
        label: &str,
        uri: &'static str,
        leaf_not_before: i64,
        leaf_not_after: i64,
        eku: bool,
        under_fulcio: bool,
    ) -> Tsa {
        let (root_key, root_name) = if under_fulcio {
            (
                Signer::derive(Alg::P384, "fulcio/intermediate"),
                x509::name(FULCIO_ORG, "fake-sigstore-intermediate"),
            )
        } else {
            (
                Signer::derive(Alg::P384, &format!("{label}/root")),
                x509::name(FULCIO_ORG, "fake-sigstore-tsa-root"),
            )
        };
        let key = Signer::derive(Alg::P256, &format!("{label}/leaf"));
        let name = x509::name(FULCIO_ORG, "fake-sigstore-tsa");
        let root_cert = if under_fulcio {
            Ca::new("fulcio", EPOCH, EPOCH + 10 * YEAR).inter_cert
        } else {
            x509::Tbs {
                serial: serial_for(&format!("{label}/root")),
                sig_alg: root_key.sig_alg_der(),
                issuer: root_name.clone(),
                not_before: EPOCH,
                not_after: EPOCH + 10 * YEAR,
                subject: root_name.clone(),
                spki: root_key.spki_der(),
                exts: vec![
                    x509::key_usage(&[5, 6]),
                    x509::basic_constraints(true, Some(0)),
                    x509::subject_key_id(&root_key.spki_der()),
                ],
            }
            .sign(&root_key)
        };
        let serial = serial_for(&format!("{label}/leaf"));
        let mut exts = vec![
            x509::key_usage(&[0]),
            x509::subject_key_id(&key.spki_der()),
            x509::authority_key_id(&root_key.spki_der()),
        ];
        if eku {
            exts.push(x509::ext_key_usage(&[x509::OID_TIME_STAMPING], true));
        }
        let cert = x509::Tbs {
            serial: serial.clone(),
            sig_alg: root_key.sig_alg_der(),
            issuer: root_name.clone(),
            not_before: leaf_not_before,
            not_after: leaf_not_after,
            subject: name.clone(),
            spki: key.spki_der(),
            exts,
        }
        .sign(&root_key);
        Tsa {
            root_key,
            root_cert,
            root_name,
            key,
            cert,
            name,
            serial,
            uri,
            leaf_not_before,
            leaf_not_after,
        }
    }

    fn signer(&self) -> tsa::TsaSigner<'_> {
        tsa::TsaSigner {
            key: &self.key,
            cert: &self.cert,
            cert_issuer_name: &self.root_name,
            cert_serial: &self.serial,
            subject_name: &self.name,
        }
    }
}

/// Every key and certificate of the fake instance, minted once per test binary.
pub struct Instance {
    pub fulcio: Ca,
    /// A CA with the same names as `fulcio` but other keys, absent from the trusted root.
    pub rogue_fulcio: Ca,
    /// A second trusted CA (its own keys) whose intermediate certificate expired before T0.
    pub expired_fulcio: Ca,
    pub ctlog: Signer,
    pub rogue_ctlog: Signer,
    pub rekor_v1: Signer,
    pub rogue_rekor_v1: Signer,
    pub rekor_v2: Signer,
    pub rogue_rekor_v2: Signer,
    pub witness: Signer,
    /// The long-lived TSA.
    pub tsa: Tsa,
    /// A TSA whose leaf certificate expired on T0 + 30 days (valid at signing time).
    pub tsa_short: Tsa,
    /// A TSA in the trusted root whose leaf lacks the timeStamping EKU.
    pub tsa_no_eku: Tsa,
    /// A TSA with the same names as `tsa` but other keys, absent from the trusted root.
    pub rogue_tsa: Tsa,
    /// A TSA leaf issued by the trusted Fulcio intermediate (trusted for code signing only).
    pub fulcio_tsa: Tsa,
    pub leaf_key: Signer,
    pub other_leaf_key: Signer,
    pub managed_key: Signer,
    pub other_managed_key: Signer,
}

static INSTANCE: OnceLock<Instance> = OnceLock::new();

/// The fake Sigstore instance (keys minted on first use).
pub fn fake() -> &'static Instance {
    INSTANCE.get_or_init(|| Instance {
        fulcio: Ca::new("fulcio", EPOCH, EPOCH + 10 * YEAR),
        rogue_fulcio: Ca::new("rogue-fulcio", EPOCH, EPOCH + 10 * YEAR),
        expired_fulcio: Ca::with_intermediate_validity(
            "expired-fulcio",
            EPOCH,
            EPOCH + 10 * YEAR,
            EPOCH,
            T0 - DAY,
        ),
        ctlog: Signer::derive(Alg::P256, "ctlog"),
        rogue_ctlog: Signer::derive(Alg::P256, "rogue-ctlog"),
        rekor_v1: Signer::derive(Alg::P256, "rekor-v1"),
        rogue_rekor_v1: Signer::derive(Alg::P256, "rogue-rekor-v1"),
        rekor_v2: Signer::derive(Alg::Ed25519, "rekor-v2"),
        rogue_rekor_v2: Signer::derive(Alg::Ed25519, "rogue-rekor-v2"),
        witness: Signer::derive(Alg::Ed25519, "witness"),
        tsa: Tsa::new("tsa", TSA_URI, EPOCH, EPOCH + 9 * YEAR, true, false),
        tsa_short: Tsa::new(
            "tsa-short",
            TSA_SHORT_URI,
            EPOCH,
            T0 + 30 * DAY,
            true,
            false,
        ),
        tsa_no_eku: Tsa::new(
            "tsa-no-eku",
            TSA_NO_EKU_URI,
            EPOCH,
            EPOCH + 9 * YEAR,
            false,
            false,
        ),
        rogue_tsa: Tsa::new("rogue-tsa", TSA_URI, EPOCH, EPOCH + 9 * YEAR, true, false),
        fulcio_tsa: Tsa::new("fulcio-tsa", TSA_URI, EPOCH, EPOCH + 9 * YEAR, true, true),
        leaf_key: Signer::derive(Alg::P256, "leaf"),
        other_leaf_key: Signer::derive(Alg::P256, "other-leaf"),
        managed_key: Signer::derive(Alg::P256, "managed"),
        other_managed_key: Signer::derive(Alg::P256, "other-managed"),
    })
}

fn serial_for(label: &str) -> Vec<u8> {
    let mut s = sha256(label.as_bytes())[..16].to_vec();
    s[0] &= 0x7f;
    s
}

// ---- what to mint ----

/// Bundle media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    V01,
    V02,
    V03,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json`
    V03New,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::V01 => MT_V01,
            MediaType::V02 => MT_V02,
            MediaType::V03 => MT_V03,
            MediaType::V03New => MT_V03_NEW,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    MessageSignature,
    /// A DSSE envelope carrying an in-toto statement whose subject is the artifact.
    Dsse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Material {
    /// v0.3 `certificate`.
    Certificate,
    /// v0.1 / v0.2 `x509CertificateChain` with the leaf and the listed extra certificates.
    Chain(ChainExtra),
    /// A managed key (`publicKey` hint); the verifier is given the key with `--key`.
    PublicKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainExtra {
    LeafOnly,
    WithIntermediate,
    WithIntermediateAndRoot,
    /// The trusted intermediate, then the rogue CA's (self-signed) root, absent from the root.
    WithIntermediateAndRogueRoot,
    /// The rogue CA's intermediate, absent from the trusted root, after the trusted one.
    WithRogueIntermediate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rekor {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaChoice {
    Trusted,
    /// Same names as the trusted CA, other keys.
    Rogue,
    /// A trusted CA whose intermediate certificate expired before T0.
    ExpiredIntermediate,
}

/// How the leaf's embedded SCT is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctMode {
    Valid,
    /// A valid SCT with non-empty CtExtensions (as static-CT logs emit).
    ValidWithExtensions,
    Absent,
    /// Signed by a CT log that is not in the trusted root.
    UntrustedLog,
    /// Signed over a TBS that differs from the certificate's.
    OverOtherTbs,
    /// issuer_key_hash names another issuer key.
    WrongIssuerKeyHash,
    /// The signature bytes are damaged.
    CorruptSignature,
    /// Signed by the Rekor v1 key: a key the trusted root holds, but as a tlog, not a CT log.
    SignedByRekorKey,
}

/// The leaf certificate.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub sans: Vec<San>,
    /// 1.3.6.1.4.1.57264.1.8 (DER UTF8String).
    pub oidc_issuer: Option<String>,
    /// 1.3.6.1.4.1.57264.1.1 (raw string, legacy).
    pub oidc_issuer_legacy: Option<String>,
    pub not_before: i64,
    pub not_after: i64,
    /// Extended key usages (empty: no EKU extension at all).
    pub eku: Vec<&'static str>,
    pub ca: CaChoice,
    pub sct: SctMode,
    /// Sign with `other_leaf_key` instead of `leaf_key`.
    pub other_key: bool,
    /// KeyUsage bits (0 = digitalSignature); empty: no KeyUsage extension.
    pub key_usage: Vec<u8>,
    /// Extensions appended before the SCT list.
    pub extra_exts: Vec<x509::Ext>,
}

impl Default for LeafSpec {
    fn default() -> Self {
        LeafSpec {
            sans: vec![San::Uri(IDENTITY.to_string())],
            oidc_issuer: Some(OIDC_ISSUER.to_string()),
            oidc_issuer_legacy: Some(OIDC_ISSUER.to_string()),
            not_before: T0,
            not_after: T0 + 600,
            eku: vec![x509::OID_CODE_SIGNING],
            ca: CaChoice::Trusted,
            sct: SctMode::Valid,
            other_key: false,
            key_usage: vec![0],
            extra_exts: Vec::new(),
        }
    }
}

/// A validity window in the trusted root (`end: None` = open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidFor {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl ValidFor {
    pub const fn from(start: i64) -> ValidFor {
        ValidFor {
            start: Some(start),
            end: None,
        }
    }
    pub const fn between(start: i64, end: i64) -> ValidFor {
        ValidFor {
            start: Some(start),
            end: Some(end),
        }
    }
}

/// The trusted root to write.
#[derive(Debug, Clone)]
pub struct RootSpec {
    pub ca: ValidFor,
    pub rekor_v1: ValidFor,
    pub rekor_v2: ValidFor,
    pub ctlog: ValidFor,
    pub tsa: ValidFor,
    pub tsa_short: ValidFor,
    pub tsa_no_eku: ValidFor,
    pub include_ca: bool,
    pub include_ctlog: bool,
    pub include_tsas: bool,
    pub include_rekor_v1: bool,
    pub include_rekor_v2: bool,
}

impl Default for RootSpec {
    fn default() -> Self {
        RootSpec {
            ca: ValidFor::from(EPOCH),
            rekor_v1: ValidFor::from(EPOCH),
            rekor_v2: ValidFor::from(EPOCH),
            ctlog: ValidFor::from(EPOCH),
            tsa: ValidFor::from(EPOCH),
            tsa_short: ValidFor::from(EPOCH),
            tsa_no_eku: ValidFor::from(EPOCH),
            include_ca: true,
            include_ctlog: true,
            include_tsas: true,
            include_rekor_v1: true,
            include_rekor_v2: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyBreak {
    None,
    /// The logged entry names another artifact digest.
    OtherDigest,
    /// The logged entry carries another (valid) signature by the same key.
    OtherSignature,
    /// The logged entry names another certificate (or managed key).
    OtherSigner,
    /// The logged entry names another certificate for the same key (another identity).
    OtherCertificateSameKey,
    /// The logged entry names the certificate's bare public key instead of the certificate.
    KeyInsteadOfCertificate,
    /// DSSE on Rekor v1: the logged payloadHash is of another payload.
    OtherPayloadHash,
    /// The entry's kindVersion says `dsse` while the body is a hashedrekord (or vice versa).
    KindMismatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetBreak {
    None,
    Missing,
    /// Signed by a key that is not the log's.
    OtherKey,
    /// The SET signs an integrated time off by this many seconds from the one the entry states.
    OverOtherTime(i64),
    /// The SET signs another log index.
    OverOtherIndex(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofBreak {
    None,
    Missing,
    /// Flip one bit of proof hash `i`.
    FlipHash(usize),
    /// Drop the last proof hash.
    DropHash,
    /// Append a spurious hash.
    ExtraHash,
    /// The proof's logIndex differs from the entry's by this much (Rekor v2: both must agree).
    IndexMismatch(i64),
    /// treeSize = logIndex (the checkpoint signs that size too).
    TreeSizeAtIndex,
    /// rootHash is not the tree's (the checkpoint signs that wrong root too).
    WrongRootSigned,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointBreak {
    None,
    Missing,
    /// Signed by a key the trusted root does not hold, under the log's name and key hint.
    OtherKey,
    /// Right signature, wrong key hint.
    WrongKeyHint,
    /// Signature line names another key.
    WrongKeyName,
    /// Origin line differs from the log's.
    WrongOrigin,
    /// The checkpoint commits to another root hash than the proof's.
    OtherRoot,
    /// The checkpoint commits to another tree size than the proof's.
    OtherSize,
    /// Only a witness cosignature, no log signature.
    WitnessOnly,
    /// Log signature plus an unknown witness's cosignature (must verify).
    WithUnknownWitness,
    /// Unknown witness cosignature first, log signature second (must verify).
    LogSignatureSecond,
    /// An extra signature line under the log's name by an unknown key (must verify).
    ExtraSignatureSameName,
    /// No signature lines at all.
    Unsigned,
    /// The log signature bytes are damaged.
    CorruptSignature,
    /// A Rekor v1 note with a `Timestamp:` extension line (must verify).
    WithTimestampLine,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsseBreak {
    None,
    /// The statement's subject names another digest.
    SubjectOtherDigest,
    /// The envelope signature signs another payload.
    SignatureOverOtherPayload,
    /// The envelope carries a payload other than the logged one (log, signature, timestamps all
    /// made over the original).
    SwapPayloadAfterLogging,
    /// The payload type is not in-toto.
    PayloadTypeNotInToto,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsaChoice {
    Main,
    /// The TSA whose leaf expires at T0 + 30 days.
    ShortLived,
    /// Same names as the trusted TSA, other keys, not in the trusted root.
    Rogue,
    /// A TSA in the trusted root whose leaf lacks the timeStamping EKU.
    NoTimestampingEku,
    /// A timeStamping leaf issued by the trusted Fulcio intermediate.
    IssuedByFulcio,
}

#[derive(Debug, Clone)]
pub struct TsaSpec {
    pub which: TsaChoice,
    /// None: the bundle's signing time.
    pub gen_time: Option<i64>,
    pub embed_certs: bool,
    /// messageImprint over these bytes instead of the signature.
    pub imprint_over: Option<Vec<u8>>,
    pub message_digest_override: Option<Vec<u8>>,
    pub corrupt_signature: bool,
    pub status: u64,
    pub omit_signing_certificate: bool,
    /// Write the RFC 2634 signingCertificate (SHA-1) instead of signingCertificateV2.
    pub signing_certificate_v1: bool,
    pub wrong_signing_certificate_hash: bool,
    /// TSTInfo.tsa names another authority.
    pub wrong_tsa_name: bool,
}

impl Default for TsaSpec {
    fn default() -> Self {
        TsaSpec {
            which: TsaChoice::Main,
            gen_time: None,
            embed_certs: true,
            imprint_over: None,
            message_digest_override: None,
            corrupt_signature: false,
            status: 0,
            omit_signing_certificate: false,
            signing_certificate_v1: false,
            wrong_signing_certificate_hash: false,
            wrong_tsa_name: false,
        }
    }
}

/// Every knob that breaks one piece on purpose (all off by default).
#[derive(Debug, Clone)]
pub struct Breaks {
    /// The artifact signature signs these bytes instead of the artifact.
    pub signature_over: Option<Vec<u8>>,
    /// The bundle's messageDigest claims this digest.
    pub message_digest_claim: Option<Vec<u8>>,
    pub body: BodyBreak,
    pub set: SetBreak,
    pub proof: ProofBreak,
    pub checkpoint: CheckpointBreak,
    pub dsse: DsseBreak,
    /// The entry names this log ID instead of the log's.
    pub entry_log_id: Option<Vec<u8>>,
    /// Sign the log entry (SET, checkpoint) with the rogue log key (for Rekor v1, both).
    pub rogue_log: bool,
}

impl Default for Breaks {
    fn default() -> Self {
        Breaks {
            signature_over: None,
            message_digest_claim: None,
            body: BodyBreak::None,
            set: SetBreak::None,
            proof: ProofBreak::None,
            checkpoint: CheckpointBreak::None,
            dsse: DsseBreak::None,
            entry_log_id: None,
            rogue_log: false,
        }
    }
}

/// Everything about one bundle to mint.
#[derive(Debug, Clone)]
pub struct Spec {
    pub media_type: MediaType,
    pub content: ContentKind,
    pub material: Material,
    pub rekor: Rekor,
    pub artifact: Vec<u8>,
    pub leaf: LeafSpec,
    /// Integrated time (Rekor v1) and default TSA time.
    pub signed_at: i64,
    /// RFC 3161 timestamps to attach, one per entry.
    pub timestamps: Vec<TsaSpec>,
    /// Tree size and the entry's index in it.
    pub tree_size: u64,
    pub tree_index: u64,
    /// Rekor v1 sharding: the entry's global logIndex is tree_index + this.
    pub shard_offset: u64,
    pub root: RootSpec,
    pub brk: Breaks,
    /// Log DSSE content on Rekor v1 as a legacy `intoto` 0.0.2 entry instead of `dsse` 0.0.1.
    pub intoto: bool,
    /// The DSSE payload (an in-toto statement) to sign instead of the default SLSA statement
    /// about `artifact`: for attestations of other types and subjects (OCI manifests).
    pub statement: Option<Vec<u8>>,
}

impl Spec {
    /// A v0.3 message-signature bundle on Rekor v1 (SET + proof + checkpoint), no timestamp.
    pub fn v03() -> Spec {
        Spec {
            media_type: MediaType::V03,
            content: ContentKind::MessageSignature,
            material: Material::Certificate,
            rekor: Rekor::V1,
            artifact: b"fake sigstore artifact\n".to_vec(),
            leaf: LeafSpec::default(),
            signed_at: T0 + 60,
            timestamps: Vec::new(),
            tree_size: 37,
            tree_index: 29,
            shard_offset: 0,
            root: RootSpec::default(),
            brk: Breaks::default(),
            intoto: false,
            statement: None,
        }
    }

    /// A v0.2 DSSE bundle logged as a legacy Rekor v1 `intoto` 0.0.2 entry (as cosign did).
    pub fn intoto() -> Spec {
        Spec {
            intoto: true,
            ..Spec::v02().dsse()
        }
    }

    pub fn v01() -> Spec {
        Spec {
            media_type: MediaType::V01,
            material: Material::Chain(ChainExtra::LeafOnly),
            ..Spec::v03()
        }
    }

    pub fn v02() -> Spec {
        Spec {
            media_type: MediaType::V02,
            material: Material::Chain(ChainExtra::LeafOnly),
            ..Spec::v03()
        }
    }

    /// A v0.3 bundle on Rekor v2 (hashedrekord 0.0.2, proof + checkpoint) with one timestamp.
    pub fn v2() -> Spec {
        Spec {
            rekor: Rekor::V2,
            timestamps: vec![TsaSpec::default()],
            ..Spec::v03()
        }
    }

    pub fn dsse(mut self) -> Spec {
        self.content = ContentKind::Dsse;
        self
    }

    pub fn managed_key(mut self) -> Spec {
        self.material = Material::PublicKey;
        self
    }

    pub fn with_timestamp(mut self) -> Spec {
        self.timestamps.push(TsaSpec::default());
        self
    }

    pub fn media(mut self, mt: MediaType) -> Spec {
        self.media_type = mt;
        self
    }

    /// The first timestamp's spec (adds one if there is none).
    pub fn tsa(&mut self) -> &mut TsaSpec {
        if self.timestamps.is_empty() {
            self.timestamps.push(TsaSpec::default());
        }
        &mut self.timestamps[0]
    }
}

// ---- what was minted ----

/// A minted bundle and everything needed to verify it.
#[derive(Debug, Clone)]
pub struct Minted {
    pub bundle: Value,
    pub trusted_root: Value,
    /// The artifact file (for DSSE, the statement's subject).
    pub artifact: Vec<u8>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// PEM of the managed key, for `--key`.
    pub key_pem: Option<String>,
    pub leaf_der: Option<Vec<u8>>,
    /// The canonicalized body the log holds.
    pub body: Vec<u8>,
    /// The log's tree (leaf hashes) and the entry's index in it.
    pub tree: merkle::Tree,
    pub tree_index: u64,
}

impl Minted {
    pub fn artifact_digest(&self) -> String {
        format!("sha256:{}", hex::encode(sha256(&self.artifact)))
    }

    /// The first tlog entry, for tampering after minting.
    pub fn entry_mut(&mut self) -> &mut Value {
        &mut self.bundle["verificationMaterial"]["tlogEntries"][0]
    }

    pub fn entry(&self) -> &Value {
        &self.bundle["verificationMaterial"]["tlogEntries"][0]
    }
}

// ---- minting ----

fn pem_cert(der: &[u8]) -> String {
    keys::pem("CERTIFICATE", der)
}

fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

fn valid_for_json(v: ValidFor) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(s) = v.start {
        o.insert("start".into(), json!(rfc3339(s)));
    }
    if let Some(e) = v.end {
        o.insert("end".into(), json!(rfc3339(e)));
    }
    Value::Object(o)
}

fn flip(b: &mut [u8], i: usize) {
    let n = b.len();
    b[i % n] ^= 0x01;
}

/// RFC 6962 §3.2: the SCT over a precertificate entry.
pub fn make_sct(
    log: &Signer,
    timestamp_ms: u64,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
    extensions: &[u8],
    corrupt: bool,
) -> Vec<u8> {
    let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&[0, 1]); // precert_entry
    signed.extend_from_slice(issuer_key_hash);
    let n = precert_tbs.len() as u32;
    signed.extend_from_slice(&n.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    signed.extend_from_slice(extensions);
    let mut sig = log.sign(&signed);
    if corrupt {
        let n = sig.len();
        sig[n - 2] ^= 0x01;
    }
    let mut sct = vec![0u8];
    sct.extend_from_slice(&log.spki_sha256());
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    sct.extend_from_slice(extensions);
    sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
    sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
    sct.extend_from_slice(&sig);
    sct
}

/// SignedCertificateTimestampList (RFC 6962 §3.3) of one SCT.
pub fn sct_list(scts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for s in scts {
        body.extend_from_slice(&(s.len() as u16).to_be_bytes());
        body.extend_from_slice(s);
    }
    let mut out = (body.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

impl Instance {
    fn ca(&self, c: CaChoice) -> &Ca {
        match c {
            CaChoice::Trusted => &self.fulcio,
            CaChoice::Rogue => &self.rogue_fulcio,
            CaChoice::ExpiredIntermediate => &self.expired_fulcio,
        }
    }

    fn tsa_of(&self, c: &TsaChoice) -> &Tsa {
        match c {
            TsaChoice::Main => &self.tsa,
            TsaChoice::ShortLived => &self.tsa_short,
            TsaChoice::Rogue => &self.rogue_tsa,
            TsaChoice::NoTimestampingEku => &self.tsa_no_eku,
            TsaChoice::IssuedByFulcio => &self.fulcio_tsa,
        }
    }

    /// Issues a Fulcio-like leaf certificate with an embedded SCT (RFC 6962 §3.3).
    pub fn issue_leaf(&self, spec: &LeafSpec) -> Vec<u8> {
        let ca = self.ca(spec.ca);
        let key = if spec.other_key {
            &self.other_leaf_key
        } else {
            &self.leaf_key
        };
        let mut exts = Vec::new();
        if !spec.key_usage.is_empty() {
            exts.push(x509::key_usage(&spec.key_usage));
        }
        if !spec.eku.is_empty() {
            exts.push(x509::ext_key_usage(&spec.eku, false));
        }
        exts.push(x509::subject_key_id(&key.spki_der()));
        exts.push(x509::authority_key_id(&ca.inter_key.spki_der()));
        exts.push(x509::subject_alt_name(&spec.sans));
        if let Some(iss) = &spec.oidc_issuer_legacy {
            exts.push(x509::Ext::new(
                x509::OID_FULCIO_ISSUER_V1,
                false,
                iss.as_bytes().to_vec(),
            ));
        }
        if let Some(iss) = &spec.oidc_issuer {
            exts.push(x509::Ext::new(
                x509::OID_FULCIO_ISSUER_V2,
                false,
                der::utf8(iss),
            ));
        }
        exts.extend(spec.extra_exts.iter().cloned());
        let mut tbs = x509::Tbs {
            // Derived from the spec: the same leaf spec mints the same TBS every run.
            serial: serial_for(&format!("leaf {spec:?}")),
            sig_alg: ca.inter_key.sig_alg_der(),
            issuer: ca.inter_name.clone(),
            not_before: spec.not_before,
            not_after: spec.not_after,
            subject: der::seq(&[]),
            spki: key.spki_der(),
            exts,
        };
        if spec.sct != SctMode::Absent {
            // RFC 6962 §3.2: the precert TBS is the final TBS without the SCT list extension;
            // issuer_key_hash is SHA-256 of the issuer's SubjectPublicKeyInfo.
            let mut precert = tbs.to_der();
            let mut ikh = sha256(&ca.inter_key.spki_der());
            let mut log = &self.ctlog;
            let mut ext_bytes: Vec<u8> = Vec::new();
            match spec.sct {
                SctMode::UntrustedLog => log = &self.rogue_ctlog,
                SctMode::SignedByRekorKey => log = &self.rekor_v1,
                SctMode::OverOtherTbs => {
                    let mut other = tbs.clone();
                    other.not_after += 1;
                    precert = other.to_der();
                }
                SctMode::WrongIssuerKeyHash => ikh = sha256(&self.fulcio.root_key.spki_der()),
                SctMode::ValidWithExtensions => {
                    // A static-CT leaf_index extension: type 0, length 5, 40-bit index.
                    ext_bytes = vec![0, 0, 5, 0, 0, 0, 0x12, 0x34];
                }
                _ => {}
            }
            let ts_ms = (spec.not_before as u64) * 1000 + 250;
            let sct = make_sct(
                log,
                ts_ms,
                &ikh,
                &precert,
                &ext_bytes,
                spec.sct == SctMode::CorruptSignature,
            );
            tbs.exts.push(x509::Ext::new(
                x509::OID_SCT_LIST,
                false,
                der::octets(&sct_list(&[sct])),
            ));
        }
        tbs.sign(&ca.inter_key)
    }

    /// The trusted root of this instance.
    pub fn trusted_root(&self, r: &RootSpec) -> Value {
        let mut tlogs = Vec::new();
        if r.include_rekor_v1 {
            tlogs.push(json!({
                "baseUrl": format!("https://{REKOR_V1_HOST}"),
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.rekor_v1.spki_der()),
                    "keyDetails": self.rekor_v1.key_details(),
                    "validFor": valid_for_json(r.rekor_v1),
                },
                "logId": {"keyId": b64(&self.rekor_v1.spki_sha256())},
            }));
        }
        if r.include_rekor_v2 {
            tlogs.push(json!({
                "baseUrl": format!("https://{REKOR_V2_HOST}"),
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.rekor_v2.spki_der()),
                    "keyDetails": self.rekor_v2.key_details(),
                    "validFor": valid_for_json(r.rekor_v2),
                },
                "logId": {"keyId": b64(&self.rekor_v2_log_id())},
            }));
        }
        let mut cas = Vec::new();
        if r.include_ca {
            for (ca, uri, v) in [
                (&self.fulcio, FULCIO_URI, r.ca),
                (
                    &self.expired_fulcio,
                    FULCIO_EXPIRED_URI,
                    ValidFor::from(EPOCH),
                ),
            ] {
                cas.push(json!({
                    "subject": {"organization": FULCIO_ORG, "commonName": "fake-sigstore"},
                    "uri": uri,
                    "certChain": {"certificates": [
                        {"rawBytes": b64(&ca.inter_cert)},
                        {"rawBytes": b64(&ca.root_cert)},
                    ]},
                    "validFor": valid_for_json(v),
                }));
            }
        }
        let mut ctlogs = Vec::new();
        if r.include_ctlog {
            ctlogs.push(json!({
                "baseUrl": CT_URL,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.ctlog.spki_der()),
                    "keyDetails": self.ctlog.key_details(),
                    "validFor": valid_for_json(r.ctlog),
                },
                "logId": {"keyId": b64(&self.ctlog.spki_sha256())},
            }));
        }
        let mut tsas = Vec::new();
        if r.include_tsas {
            for (t, v) in [
                (&self.tsa, r.tsa),
                (&self.tsa_short, r.tsa_short),
                (&self.tsa_no_eku, r.tsa_no_eku),
            ] {
                tsas.push(json!({
                    "subject": {"organization": FULCIO_ORG, "commonName": "fake-sigstore-tsa"},
                    "uri": t.uri,
                    "certChain": {"certificates": [
                        {"rawBytes": b64(&t.cert)},
                        {"rawBytes": b64(&t.root_cert)},
                    ]},
                    "validFor": valid_for_json(v),
                }));
            }
        }
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": tlogs,
            "certificateAuthorities": cas,
            "ctlogs": ctlogs,
            "timestampAuthorities": tsas,
        })
    }

    /// Rekor v2 log ID: the C2SP signed-note key ID of the Ed25519 key under the log's origin.
    pub fn rekor_v2_log_id(&self) -> [u8; 32] {
        note_key_id(REKOR_V2_HOST, 0x01, &self.rekor_v2.public_raw())
    }

    /// Mints a bundle per `spec`.
    pub fn mint(&self, spec: &Spec) -> Minted {
        let brk = &spec.brk;
        let managed = spec.material == Material::PublicKey;
        let signer = if managed {
            &self.managed_key
        } else if spec.leaf.other_key {
            &self.other_leaf_key
        } else {
            &self.leaf_key
        };
        let leaf = if managed {
            None
        } else {
            Some(self.issue_leaf(&spec.leaf))
        };
        let artifact_digest = sha256(&spec.artifact);

        // -- content --
        let mut content_json = serde_json::Map::new();
        // What the log and the TSA see: (digest logged, signature, payload for DSSE).
        let signature: Vec<u8>;
        let mut logged_digest: [u8; 32];
        let mut dsse_payload: Vec<u8> = Vec::new();
        let mut dsse_payload_type = INTOTO_PAYLOAD_TYPE.to_string();
        match spec.content {
            ContentKind::MessageSignature => {
                let signed = brk.signature_over.clone().unwrap_or(spec.artifact.clone());
                signature = signer.sign(&signed);
                logged_digest = artifact_digest;
                let claim = brk
                    .message_digest_claim
                    .clone()
                    .unwrap_or(artifact_digest.to_vec());
                content_json.insert(
                    "messageSignature".into(),
                    json!({
                        "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&claim)},
                        "signature": b64(&signature),
                    }),
                );
            }
            ContentKind::Dsse => {
                let subject_digest = if brk.dsse == DsseBreak::SubjectOtherDigest {
                    sha256(b"some other artifact")
                } else {
                    artifact_digest
                };
                dsse_payload = match &spec.statement {
                    Some(st) if brk.dsse != DsseBreak::SubjectOtherDigest => st.clone(),
                    _ => intoto_statement(&subject_digest),
                };
                if brk.dsse == DsseBreak::PayloadTypeNotInToto {
                    dsse_payload_type = "application/json".into();
                }
                let signed_payload = if brk.dsse == DsseBreak::SignatureOverOtherPayload {
                    intoto_statement(&sha256(b"yet another artifact"))
                } else {
                    dsse_payload.clone()
                };
                let pae_signed = pae(&dsse_payload_type, &signed_payload);
                signature = signer.sign(&pae_signed);
                logged_digest = sha256(&pae(&dsse_payload_type, &dsse_payload));
            }
        }

        // -- log entry body --
        let signer_pem = match &leaf {
            Some(l) => pem_cert(l),
            None => signer.public_pem(),
        };
        let mut body_signature = signature.clone();
        let mut body_signer_pem = signer_pem.clone();
        let mut body_leaf = leaf.clone();
        let mut body_key_spki = signer.spki_der();
        match brk.body {
            BodyBreak::OtherDigest => logged_digest = sha256(b"some other artifact"),
            BodyBreak::OtherCertificateSameKey => {
                let other = self.issue_leaf(&LeafSpec {
                    sans: vec![San::Uri("https://github.com/evil-org/evil-repo".into())],
                    ..spec.leaf.clone()
                });
                body_signer_pem = pem_cert(&other);
                body_leaf = Some(other);
            }
            BodyBreak::KeyInsteadOfCertificate => {
                body_signer_pem = signer.public_pem();
                body_leaf = None;
            }
            BodyBreak::OtherSignature => body_signature = signer.sign(b"some other message"),
            BodyBreak::OtherSigner => {
                if managed {
                    body_signer_pem = self.other_managed_key.public_pem();
                    body_key_spki = self.other_managed_key.spki_der();
                } else {
                    let other = self.issue_leaf(&LeafSpec {
                        other_key: true,
                        ..spec.leaf.clone()
                    });
                    body_signer_pem = pem_cert(&other);
                    body_leaf = Some(other);
                }
            }
            _ => {}
        }
        let envelope_json = |payload: &[u8], ptype: &str, sig: &[u8]| -> Value {
            json!({
                "payload": b64(payload),
                "payloadType": ptype,
                "signatures": [{"sig": b64(sig)}],
            })
        };
        let (kind, version, body) = match (spec.rekor, spec.content) {
            (Rekor::V1, ContentKind::MessageSignature) => (
                "hashedrekord",
                "0.0.1",
                json!({
                    "apiVersion": "0.0.1",
                    "kind": "hashedrekord",
                    "spec": {
                        "data": {"hash": {"algorithm": "sha256", "value": hex::encode(logged_digest)}},
                        "signature": {
                            "content": b64(&body_signature),
                            "publicKey": {"content": b64(body_signer_pem.as_bytes())},
                        },
                    },
                }),
            ),
            (Rekor::V1, ContentKind::Dsse) if spec.intoto => {
                // Rekor's intoto 0.0.2 stores payload and sig base64-encoded twice.
                let mut payload_hash = sha256(&dsse_payload);
                if brk.body == BodyBreak::OtherPayloadHash || brk.body == BodyBreak::OtherDigest {
                    payload_hash = sha256(b"some other payload");
                }
                let submitted = json!({
                    "payload": b64(&dsse_payload),
                    "payloadType": dsse_payload_type,
                    "signatures": [{"keyid": "", "sig": b64(&body_signature)}],
                });
                (
                    "intoto",
                    "0.0.2",
                    json!({
                        "apiVersion": "0.0.2",
                        "kind": "intoto",
                        "spec": {"content": {
                            "envelope": {
                                "payload": b64(b64(&dsse_payload).as_bytes()),
                                "payloadType": dsse_payload_type,
                                "signatures": [{
                                    "publicKey": b64(body_signer_pem.as_bytes()),
                                    "sig": b64(b64(&body_signature).as_bytes()),
                                }],
                            },
                            "hash": {
                                "algorithm": "sha256",
                                "value": hex::encode(sha256(serde_json::to_string(&submitted).unwrap().as_bytes())),
                            },
                            "payloadHash": {"algorithm": "sha256", "value": hex::encode(payload_hash)},
                        }},
                    }),
                )
            }
            (Rekor::V1, ContentKind::Dsse) => {
                let env = envelope_json(&dsse_payload, &dsse_payload_type, &body_signature);
                let mut payload_hash = sha256(&dsse_payload);
                if brk.body == BodyBreak::OtherPayloadHash || brk.body == BodyBreak::OtherDigest {
                    payload_hash = sha256(b"some other payload");
                }
                (
                    "dsse",
                    "0.0.1",
                    json!({
                        "apiVersion": "0.0.1",
                        "kind": "dsse",
                        "spec": {
                            "envelopeHash": {
                                "algorithm": "sha256",
                                "value": hex::encode(sha256(serde_json::to_string(&env).unwrap().as_bytes())),
                            },
                            "payloadHash": {"algorithm": "sha256", "value": hex::encode(payload_hash)},
                            "signatures": [{
                                "signature": b64(&body_signature),
                                "verifier": b64(body_signer_pem.as_bytes()),
                            }],
                        },
                    }),
                )
            }
            (Rekor::V2, _) => {
                let verifier = match &body_leaf {
                    Some(l) if !managed => json!({
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "x509Certificate": {"rawBytes": b64(l)},
                    }),
                    _ => json!({
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "publicKey": {"rawBytes": b64(&body_key_spki)},
                    }),
                };
                (
                    "hashedrekord",
                    "0.0.2",
                    json!({
                        "apiVersion": "0.0.2",
                        "kind": "hashedrekord",
                        "spec": {"hashedRekordV002": {
                            "data": {"algorithm": "SHA2_256", "digest": b64(&logged_digest)},
                            "signature": {"content": b64(&body_signature), "verifier": verifier},
                        }},
                    }),
                )
            }
        };
        let body = serde_json::to_vec(&body).unwrap();
        let (kind, version) = if brk.body == BodyBreak::KindMismatch {
            if kind == "dsse" {
                ("hashedrekord", "0.0.1")
            } else {
                ("dsse", "0.0.1")
            }
        } else {
            (kind, version)
        };

        // -- the log --
        let tree = merkle::Tree::with_entry(
            match spec.rekor {
                Rekor::V1 => "rekor-v1",
                Rekor::V2 => "rekor-v2",
            },
            spec.tree_size as usize,
            spec.tree_index as usize,
            &body,
        );
        let mut root = tree.root();
        let mut proof = tree.path(spec.tree_index as usize);
        let mut proof_index = spec.tree_index as i64;
        let mut tree_size = spec.tree_size;
        let entry_index: u64 = match spec.rekor {
            Rekor::V1 => spec.tree_index + spec.shard_offset,
            Rekor::V2 => spec.tree_index,
        };
        match brk.proof {
            ProofBreak::FlipHash(i) => {
                let n = proof.len();
                flip(&mut proof[i % n], 7)
            }
            ProofBreak::DropHash => {
                proof.pop();
            }
            ProofBreak::ExtraHash => proof.push(sha256(b"extra")),
            ProofBreak::IndexMismatch(d) => proof_index += d,
            ProofBreak::TreeSizeAtIndex => tree_size = spec.tree_index,
            ProofBreak::WrongRootSigned => flip(&mut root, 3),
            _ => {}
        }
        let (log_key, log_id) = match (spec.rekor, brk.rogue_log) {
            (Rekor::V1, false) => (&self.rekor_v1, self.rekor_v1.spki_sha256()),
            (Rekor::V1, true) => (&self.rogue_rekor_v1, self.rekor_v1.spki_sha256()),
            (Rekor::V2, false) => (&self.rekor_v2, self.rekor_v2_log_id()),
            (Rekor::V2, true) => (&self.rogue_rekor_v2, self.rekor_v2_log_id()),
        };
        let log_id_named = brk.entry_log_id.clone().unwrap_or(log_id.to_vec());

        // checkpoint
        let checkpoint = self.checkpoint(spec, log_key, &log_id, tree_size, &root);

        let mut entry = serde_json::Map::new();
        entry.insert("logIndex".into(), json!(entry_index.to_string()));
        entry.insert("logId".into(), json!({"keyId": b64(&log_id_named)}));
        entry.insert(
            "kindVersion".into(),
            json!({"kind": kind, "version": version}),
        );
        if spec.rekor == Rekor::V1 {
            entry.insert("integratedTime".into(), json!(spec.signed_at.to_string()));
            if brk.set != SetBreak::Missing {
                let (mut t, mut idx) = (spec.signed_at, entry_index as i64);
                let mut key = log_key;
                match brk.set {
                    SetBreak::OverOtherTime(d) => t += d,
                    SetBreak::OverOtherIndex(d) => idx += d,
                    SetBreak::OtherKey => key = &self.rogue_rekor_v1,
                    _ => {}
                }
                let set = key.sign(&set_payload(&body, t, &log_id, idx));
                entry.insert(
                    "inclusionPromise".into(),
                    json!({"signedEntryTimestamp": b64(&set)}),
                );
            }
        }
        if brk.proof != ProofBreak::Missing {
            let mut p = json!({
                "logIndex": proof_index.to_string(),
                "rootHash": b64(&root),
                "treeSize": tree_size.to_string(),
                "hashes": proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
            });
            if let Some(cp) = checkpoint {
                p["checkpoint"] = json!({"envelope": cp});
            }
            entry.insert("inclusionProof".into(), p);
        }
        entry.insert("canonicalizedBody".into(), json!(b64(&body)));

        // -- timestamps --
        let mut stamps = Vec::new();
        for (n, t) in spec.timestamps.iter().enumerate() {
            let tsa = self.tsa_of(&t.which);
            let mut s = tsa::StampSpec::new(
                t.imprint_over.as_deref().unwrap_or(&signature),
                t.gen_time.unwrap_or(spec.signed_at),
            );
            s.serial += n as u64;
            s.nonce += n as u64;
            if t.embed_certs {
                s.embed = vec![tsa.cert.clone()];
            }
            s.message_digest_override = t.message_digest_override.clone();
            s.corrupt_signature = t.corrupt_signature;
            s.status = t.status;
            s.omit_signing_certificate = t.omit_signing_certificate;
            s.signing_certificate_v1 = t.signing_certificate_v1;
            if t.wrong_tsa_name {
                s.tsa_name_override = Some(x509::name("evil.test", "evil-tsa"));
            }
            if t.wrong_signing_certificate_hash {
                s.signing_certificate_hash_override = Some(if t.signing_certificate_v1 {
                    keys::sha1(&tsa.root_cert)
                } else {
                    sha256(&tsa.root_cert).to_vec()
                });
            }
            stamps.push(json!({"signedTimestamp": b64(&tsa::response(&tsa.signer(), &s))}));
        }

        // -- the bundle --
        let mut vm = serde_json::Map::new();
        match (&spec.material, &leaf) {
            (Material::PublicKey, _) => {
                vm.insert(
                    "publicKey".into(),
                    json!({"hint": b64(&signer.spki_sha256())}),
                );
            }
            (Material::Certificate, Some(l)) => {
                vm.insert("certificate".into(), json!({"rawBytes": b64(l)}));
            }
            (Material::Chain(extra), Some(l)) => {
                let ca = self.ca(spec.leaf.ca);
                let mut certs = vec![json!({"rawBytes": b64(l)})];
                if *extra != ChainExtra::LeafOnly {
                    certs.push(json!({"rawBytes": b64(&ca.inter_cert)}));
                }
                match extra {
                    ChainExtra::WithIntermediateAndRoot => {
                        certs.push(json!({"rawBytes": b64(&ca.root_cert)}));
                    }
                    ChainExtra::WithIntermediateAndRogueRoot => {
                        certs.push(json!({"rawBytes": b64(&self.rogue_fulcio.root_cert)}));
                    }
                    ChainExtra::WithRogueIntermediate => {
                        certs.push(json!({"rawBytes": b64(&self.rogue_fulcio.inter_cert)}));
                    }
                    _ => {}
                }
                vm.insert(
                    "x509CertificateChain".into(),
                    json!({"certificates": certs}),
                );
            }
            _ => unreachable!(),
        }
        vm.insert("tlogEntries".into(), json!([Value::Object(entry)]));
        if !stamps.is_empty() {
            vm.insert(
                "timestampVerificationData".into(),
                json!({"rfc3161Timestamps": stamps}),
            );
        }
        let mut bundle = serde_json::Map::new();
        bundle.insert("mediaType".into(), json!(spec.media_type.as_str()));
        bundle.insert("verificationMaterial".into(), Value::Object(vm));
        for (k, v) in content_json {
            bundle.insert(k, v);
        }
        if spec.content == ContentKind::Dsse {
            let shown_payload = if brk.dsse == DsseBreak::SwapPayloadAfterLogging {
                intoto_statement(&artifact_digest)
                    .into_iter()
                    .chain(b" ".iter().copied())
                    .collect()
            } else {
                dsse_payload.clone()
            };
            let mut env = envelope_json(&shown_payload, &dsse_payload_type, &signature);
            if spec.intoto {
                // cosign's intoto bundles carry an empty keyid.
                env["signatures"][0]["keyid"] = json!("");
            }
            bundle.insert("dsseEnvelope".into(), env);
        }

        Minted {
            bundle: Value::Object(bundle),
            trusted_root: self.trusted_root(&spec.root),
            artifact: spec.artifact.clone(),
            identity: if managed {
                None
            } else {
                Some(spec.leaf.sans[0].value().to_string())
            },
            issuer: if managed {
                None
            } else {
                Some(
                    spec.leaf
                        .oidc_issuer
                        .clone()
                        .or(spec.leaf.oidc_issuer_legacy.clone())
                        .unwrap_or_default(),
                )
            },
            key_pem: if managed {
                Some(self.managed_key.public_pem())
            } else {
                None
            },
            leaf_der: leaf,
            body,
            tree,
            tree_index: spec.tree_index,
        }
    }

    /// A signed-note checkpoint (C2SP tlog-checkpoint) for the log of `spec`, broken per
    /// `spec.brk.checkpoint`; None when the checkpoint is to be left out.
    fn checkpoint(
        &self,
        spec: &Spec,
        log_key: &Signer,
        log_id: &[u8; 32],
        size: u64,
        root: &[u8; 32],
    ) -> Option<String> {
        let brk = &spec.brk.checkpoint;
        if *brk == CheckpointBreak::Missing {
            return None;
        }
        let (mut origin, key_name) = match spec.rekor {
            Rekor::V1 => (rekor_v1_origin(), REKOR_V1_HOST.to_string()),
            Rekor::V2 => (REKOR_V2_HOST.to_string(), REKOR_V2_HOST.to_string()),
        };
        if *brk == CheckpointBreak::WrongOrigin {
            origin = match spec.rekor {
                Rekor::V1 => format!("rekor.evil.test - {REKOR_V1_TREE_ID}"),
                Rekor::V2 => "log2025-1.rekor.evil.test".to_string(),
            };
        }
        let (mut size, mut root) = (size, *root);
        match brk {
            CheckpointBreak::OtherRoot => flip(&mut root, 0),
            CheckpointBreak::OtherSize => size += 1,
            _ => {}
        }
        let mut text = format!("{origin}\n{size}\n{}\n", b64(&root));
        if *brk == CheckpointBreak::WithTimestampLine {
            text.push_str(&format!("Timestamp: {}000000000\n", spec.signed_at));
        }
        // Key hint: Rekor v1 (ECDSA) uses the first 4 bytes of the log ID; Ed25519 logs use the
        // C2SP key ID, which for Rekor v2 is the log ID as well.
        let key = if *brk == CheckpointBreak::OtherKey {
            match spec.rekor {
                Rekor::V1 => &self.rogue_rekor_v1,
                Rekor::V2 => &self.rogue_rekor_v2,
            }
        } else {
            log_key
        };
        let mut hint = log_id[..4].to_vec();
        if *brk == CheckpointBreak::WrongKeyHint {
            flip(&mut hint, 0);
        }
        let mut sig = key.sign(text.as_bytes());
        if *brk == CheckpointBreak::CorruptSignature {
            let n = sig.len();
            sig[n - 3] ^= 0x01;
        }
        let name = if *brk == CheckpointBreak::WrongKeyName {
            "rekor.evil.test".to_string()
        } else {
            key_name.clone()
        };
        let log_line = format!("\u{2014} {name} {}\n", b64(&[hint, sig].concat()));
        let witness_line = {
            let ts = (spec.signed_at + 5) as u64;
            let msg = format!("cosignature/v1\ntime {ts}\n{text}");
            let wsig = self.witness.sign(msg.as_bytes());
            let whint = note_key_id(WITNESS_NAME, 0x04, &self.witness.public_raw());
            let mut blob = whint[..4].to_vec();
            blob.extend_from_slice(&ts.to_be_bytes());
            blob.extend_from_slice(&wsig);
            format!("\u{2014} {WITNESS_NAME} {}\n", b64(&blob))
        };
        let same_name_line = {
            let other = Signer::derive(Alg::P256, "same-name-other-key");
            let osig = other.sign(text.as_bytes());
            let ohint = other.spki_sha256()[..4].to_vec();
            format!("\u{2014} {key_name} {}\n", b64(&[ohint, osig].concat()))
        };
        let sigs = match brk {
            CheckpointBreak::WitnessOnly => witness_line,
            CheckpointBreak::WithUnknownWitness => format!("{log_line}{witness_line}"),
            CheckpointBreak::LogSignatureSecond => format!("{witness_line}{log_line}"),
            CheckpointBreak::ExtraSignatureSameName => format!("{same_name_line}{log_line}"),
            CheckpointBreak::Unsigned => String::new(),
            _ => log_line,
        };
        Some(format!("{text}\n{sigs}"))
    }
}

/// The SET payload Rekor v1 signs (canonical JSON, keys sorted).
pub fn set_payload(body: &[u8], integrated_time: i64, log_id: &[u8], log_index: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "body": b64(body),
        "integratedTime": integrated_time,
        "logID": hex::encode(log_id),
        "logIndex": log_index,
    }))
    .unwrap()
}

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    v.extend_from_slice(payload);
    v
}

/// An in-toto v1 statement about one sha256 subject, of any predicate type.
pub fn statement(
    subject_name: &str,
    subject_sha256_hex: &str,
    predicate_type: &str,
    predicate: Value,
) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": subject_name, "digest": {"sha256": subject_sha256_hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap()
}

/// An in-toto v1 statement with one subject.
pub fn intoto_statement(subject_sha256: &[u8; 32]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.bin", "digest": {"sha256": hex::encode(subject_sha256)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {"buildType": "https://fake-sigstore.test/build/v1"},
            "runDetails": {"builder": {"id": "https://fake-sigstore.test/builder"}},
        },
    }))
    .unwrap()
}
