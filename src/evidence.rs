//! Evidence found beside an artifact, still untrusted: what `oci` and the blob finder hand to
//! the import pipeline, and what the verifier checks.
//!
//! Owns: the shape of unverified evidence and where it was found. Must not touch: crypto, the
//! trust root, files. Nothing here is trusted: every item is verified, or reported as broken.

use crate::bundle::dsse::Envelope;
use crate::bundle::proof::ProofRecord;
use crate::bundle::Bundle;

/// One piece of evidence about one subject digest.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Where it was found, for reports ("layout blobs/sha256/ab… (.sig tag, layer 0)").
    pub origin: String,
    pub material: Material,
    /// The bytes it was read from (a bundle file, a layer and its annotations), kept in the
    /// ledger by digest so that the decision can be read back later.
    pub raw: Vec<RawPart>,
}

/// Bytes evidence was read from.
#[derive(Debug, Clone)]
pub struct RawPart {
    /// `bundle`, `layer`, `annotations`, `record`, `envelope`.
    pub label: &'static str,
    pub bytes: Vec<u8>,
}

impl RawPart {
    /// `sha256:<hex>` of the bytes: how the ledger names them.
    pub fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(crate::crypto::sha256(&self.bytes)))
    }
}

/// What the evidence is.
#[derive(Debug, Clone)]
pub enum Material {
    /// A Sigstore bundle (new-format OCI referrer, `.sigstore.json` beside a blob, a line of a
    /// `gh attestation download` file). Verified against the subject's digest.
    Bundle(Box<Bundle>),
    /// A legacy cosign signature (`.sig` layer): the simple-signing payload, and the same
    /// signature as the verifier's own bundle type (v0.1 semantics: SET required).
    LegacySignature {
        bundle: Box<Bundle>,
        payload: Vec<u8>,
        /// `critical.image.docker-manifest-digest` of the payload, as written.
        claimed_digest: String,
        /// `critical.identity.docker-reference`, reported and matched against image globs.
        docker_reference: Option<String>,
    },
    /// A legacy cosign attestation (`.att` layer): a DSSE envelope as a v0.1 bundle.
    LegacyAttestation(Box<Bundle>),
    /// An HMAC proof record (`{"body", "signature"}`).
    Proof(Box<ProofRecord>),
    /// A DSSE envelope signed with an HMAC key (its statement may carry a proof record).
    HmacEnvelope(Box<Envelope>),
    /// A PEP 740 attestation (`NAME.publish.attestation`, a PyPI provenance object) as a bundle:
    /// its one subject must name the distribution file (`subject-name-mismatch`), and the
    /// publisher its provenance object names must be the certificate's.
    Pep740 {
        bundle: Box<Bundle>,
        publisher: Option<crate::bundle::pep740::Publisher>,
    },
    /// A bundle of npm's attestations document (SLSA provenance, or the registry's publish
    /// attestation), with the predicate type the registry lists for it.
    Npm {
        bundle: Box<Bundle>,
        predicate_type: String,
    },
    /// Evidence that could not even be read: reported with its reason, never trusted.
    Broken { code: &'static str, message: String },
}

impl Material {
    /// A short name of the kind, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Bundle(_) => "sigstore-bundle",
            Self::LegacySignature { .. } => "cosign-signature",
            Self::LegacyAttestation(_) => "cosign-attestation",
            Self::Proof(_) => "proof-record",
            Self::HmacEnvelope(_) => "hmac-dsse-envelope",
            Self::Pep740 { .. } => "pep740-attestation",
            Self::Npm { .. } => "npm-attestation",
            Self::Broken { .. } => "unreadable",
        }
    }
}
