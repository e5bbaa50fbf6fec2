//! The one crypto backend (aws-lc-rs, ring's API plus prehashed verification and a FIPS option).
//!
//! Owns: public-key parsing from SPKI/PEM, signature verification over messages or digests,
//! and hashing. Must not touch: anything Sigstore-specific, files, the clock. Every other module
//! reaches crypto only through this one.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self as sig, VerificationAlgorithm};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::bundle::HashAlgorithm;

/// Why a key could not be used or a signature did not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    #[error("public key is not a valid SubjectPublicKeyInfo: {0}")]
    BadKey(String),
    #[error("unsupported public key algorithm {0}")]
    UnsupportedKey(String),
    #[error("{key} cannot verify a {hash} signature")]
    UnsupportedCombination {
        key: &'static str,
        hash: &'static str,
    },
    #[error("signature does not verify")]
    BadSignature,
}

/// Key families the verifier supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeyKind {
    EcP256,
    EcP384,
    EcP521,
    Ed25519,
    Rsa,
}

impl KeyKind {
    /// Whether this is an ECDSA key (any curve).
    pub fn is_ecdsa(self) -> bool {
        matches!(self, Self::EcP256 | Self::EcP384 | Self::EcP521)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::EcP256 => "ECDSA P-256",
            Self::EcP384 => "ECDSA P-384",
            Self::EcP521 => "ECDSA P-521",
            Self::Ed25519 => "Ed25519",
            Self::Rsa => "RSA",
        }
    }
}

/// RSA padding; ignored for EC and Ed25519 keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaPadding {
    Pkcs1,
    Pss,
}

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: KeyKind,
    /// The whole DER SubjectPublicKeyInfo.
    spki: Vec<u8>,
    /// The BIT STRING contents (EC point, raw Ed25519 key, or PKCS#1 RSAPublicKey).
    key: Vec<u8>,
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_ED25519: &str = "1.3.101.112";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let (rest, spki) =
            SubjectPublicKeyInfo::from_der(der).map_err(|e| CryptoError::BadKey(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CryptoError::BadKey("trailing bytes after the key".into()));
        }
        Self::from_parsed(&spki, der)
    }

    /// Builds a key from an already parsed SPKI (as x509-parser gives for certificates).
    pub fn from_parsed(spki: &SubjectPublicKeyInfo<'_>, der: &[u8]) -> Result<Self, CryptoError> {
        let alg = spki.algorithm.algorithm.to_id_string();
        let kind = match alg.as_str() {
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    OID_P256 => KeyKind::EcP256,
                    OID_P384 => KeyKind::EcP384,
                    OID_P521 => KeyKind::EcP521,
                    other => return Err(CryptoError::UnsupportedKey(format!("EC curve {other}"))),
                }
            }
            OID_ED25519 => KeyKind::Ed25519,
            OID_RSA => KeyKind::Rsa,
            other => return Err(CryptoError::UnsupportedKey(other.to_string())),
        };
        Ok(PublicKey {
            kind,
            spki: der.to_vec(),
            key: spki.subject_public_key.data.to_vec(),
        })
    }

    /// Parses a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| !l.starts_with("-----BEGIN PUBLIC KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END PUBLIC KEY-----"))
            .collect();
        if body.is_empty() {
            return Err(CryptoError::BadKey("no PEM PUBLIC KEY block".into()));
        }
        let der = crate::bundle::json::b64_decode(&body)
            .map_err(|_| CryptoError::BadKey("PEM body is not base64".into()))?;
        Self::from_spki_der(&der)
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The whole DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The SubjectPublicKeyInfo's `subjectPublicKey` BIT STRING contents: the 32-byte raw key
    /// for Ed25519 (RFC 8410 §4), the uncompressed EC point for ECDSA (RFC 5480 §2.2), the DER
    /// `RSAPublicKey` for RSA (RFC 3279 §2.3.1).
    pub fn raw_key(&self) -> &[u8] {
        &self.key
    }

    fn algorithm(
        &self,
        hash: HashAlgorithm,
        padding: RsaPadding,
    ) -> Result<&'static dyn VerificationAlgorithm, CryptoError> {
        use HashAlgorithm::*;
        let alg: &'static dyn VerificationAlgorithm = match (self.kind, hash, padding) {
            (KeyKind::EcP256, Sha256, _) => &sig::ECDSA_P256_SHA256_ASN1,
            (KeyKind::EcP256, Sha384, _) => &sig::ECDSA_P256_SHA384_ASN1,
            (KeyKind::EcP256, Sha512, _) => &sig::ECDSA_P256_SHA512_ASN1,
            (KeyKind::EcP384, Sha256, _) => &sig::ECDSA_P384_SHA256_ASN1,
            (KeyKind::EcP384, Sha384, _) => &sig::ECDSA_P384_SHA384_ASN1,
            (KeyKind::EcP384, Sha512, _) => &sig::ECDSA_P384_SHA512_ASN1,
            (KeyKind::EcP521, Sha256, _) => &sig::ECDSA_P521_SHA256_ASN1,
            (KeyKind::EcP521, Sha384, _) => &sig::ECDSA_P521_SHA384_ASN1,
            (KeyKind::EcP521, Sha512, _) => &sig::ECDSA_P521_SHA512_ASN1,
            (KeyKind::Ed25519, _, _) => &sig::ED25519,
            (KeyKind::Rsa, Sha256, RsaPadding::Pkcs1) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa, Sha384, RsaPadding::Pkcs1) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa, Sha512, RsaPadding::Pkcs1) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (KeyKind::Rsa, Sha256, RsaPadding::Pss) => &sig::RSA_PSS_2048_8192_SHA256,
            (KeyKind::Rsa, Sha384, RsaPadding::Pss) => &sig::RSA_PSS_2048_8192_SHA384,
            (KeyKind::Rsa, Sha512, RsaPadding::Pss) => &sig::RSA_PSS_2048_8192_SHA512,
        };
        Ok(alg)
    }

    /// Verifies `signature` over `message` (Ed25519 ignores `hash`: it hashes internally).
    pub fn verify(
        &self,
        hash: HashAlgorithm,
        padding: RsaPadding,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let alg = self.algorithm(hash, padding)?;
        sig::UnparsedPublicKey::new(alg, &self.key)
            .verify(message, signature)
            .map_err(|_| CryptoError::BadSignature)
    }

    /// Verifies `signature` over a precomputed `digest` (for `sha256:` inputs and large files).
    /// Ed25519 signs the message itself, so it cannot verify a digest.
    pub fn verify_prehashed(
        &self,
        hash: HashAlgorithm,
        padding: RsaPadding,
        digest_bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if self.kind == KeyKind::Ed25519 {
            return Err(CryptoError::UnsupportedCombination {
                key: "Ed25519",
                hash: "prehashed",
            });
        }
        let alg = self.algorithm(hash, padding)?;
        let d = digest::Digest::import_less_safe(digest_bytes, digest_alg(hash))
            .map_err(|_| CryptoError::BadSignature)?;
        sig::UnparsedPublicKey::new(alg, &self.key)
            .verify_digest(&d, signature)
            .map_err(|_| CryptoError::BadSignature)
    }
}

fn digest_alg(hash: HashAlgorithm) -> &'static digest::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
        HashAlgorithm::Sha512 => &digest::SHA512,
    }
}

/// Hashes `data` with `hash`.
pub fn hash(hash: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_alg(hash), data).as_ref().to_vec()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// SHA-1 of a DER certificate, for its one legacy use: the ESSCertID of an RFC 3161
/// `signingCertificate` attribute names the TSA certificate by this hash (RFC 2634 §5.4.1:
/// "Hash ::= OCTET STRING -- SHA1 hash of entire certificate"). Never for signatures or for
/// anything else; every other hash in the verifier is SHA-2.
pub fn sha1_of_certificate_for_ess_cert_id(cert_der: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der).as_ref());
    out
}

/// A streaming hasher, for artifacts read in chunks.
pub struct Hasher(digest::Context);

impl Hasher {
    pub fn new(hash: HashAlgorithm) -> Self {
        Hasher(digest::Context::new(digest_alg(hash)))
    }
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data)
    }
    pub fn finish(self) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

/// The appliance's own ECDSA P-256 signing key (the ledger's deployment key): it signs chain
/// checkpoints and exported verification summaries. Verification of outside signatures never
/// uses it.
pub struct SigningKey(aws_lc_rs::signature::EcdsaKeyPair);

impl SigningKey {
    /// A new key, as PKCS#8 DER (to be stored owner-only by the caller).
    pub fn generate_pkcs8() -> Result<Vec<u8>, CryptoError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        )
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| CryptoError::BadKey("cannot generate a P-256 key".into()))
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<Self, CryptoError> {
        aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            der,
        )
        .map(SigningKey)
        .map_err(|e| CryptoError::BadKey(format!("not a P-256 PKCS#8 key: {e}")))
    }

    /// ECDSA P-256 SHA-256, ASN.1 DER signature.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.0
            .sign(&rng, data)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| CryptoError::BadKey("signing failed".into()))
    }

    /// The DER SubjectPublicKeyInfo of the public key (RFC 5480 §2: id-ecPublicKey, prime256v1).
    pub fn public_spki_der(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        // SEQUENCE { SEQUENCE { OID 1.2.840.10045.2.1, OID 1.2.840.10045.3.1.7 }, BIT STRING }
        const PREFIX: [u8; 26] = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        let mut out = PREFIX.to_vec();
        out.extend_from_slice(self.0.public_key().as_ref());
        out
    }

    /// The public key as a PEM `PUBLIC KEY` block.
    pub fn public_pem(&self) -> String {
        let b64 = crate::bundle::json::b64_encode(&self.public_spki_der());
        let mut s = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(&String::from_utf8_lossy(chunk));
            s.push('\n');
        }
        s.push_str("-----END PUBLIC KEY-----\n");
        s
    }
}

/// HMAC-SHA256 of `data` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::hmac::sign(&k, data).as_ref());
    out
}

/// Whether `tag` is the HMAC-SHA256 of `data` under `key`, compared in constant time.
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::verify(&k, data, tag).is_ok()
}

/// Constant-time equality for digests and hashes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    fn p256() -> (EcdsaKeyPair, PublicKey) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .unwrap_or_else(|e| panic!("{e}"));
        // Wrap the raw point in an SPKI.
        let point = kp.public_key().as_ref().to_vec();
        let mut spki =
            hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap_or_default();
        spki.extend_from_slice(&point);
        let pk = PublicKey::from_spki_der(&spki).unwrap_or_else(|e| panic!("{e}"));
        (kp, pk)
    }

    #[test]
    fn ess_cert_id_sha1_is_sha1() {
        // FIPS 180-4 test vector: SHA-1("abc").
        assert_eq!(
            hex::encode(sha1_of_certificate_for_ess_cert_id(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn prehashed_verification_accepts_the_digest_of_the_signed_message() {
        let (kp, pk) = p256();
        let rng = SystemRandom::new();
        let s = kp.sign(&rng, b"artifact").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pk.kind(), KeyKind::EcP256);
        assert!(pk
            .verify(
                HashAlgorithm::Sha256,
                RsaPadding::Pkcs1,
                b"artifact",
                s.as_ref()
            )
            .is_ok());
        let d = sha256(b"artifact");
        assert!(pk
            .verify_prehashed(HashAlgorithm::Sha256, RsaPadding::Pkcs1, &d, s.as_ref())
            .is_ok());
        // The raw key is the EC point that follows the SPKI header.
        assert_eq!(pk.raw_key().len(), 65);
        assert_eq!(pk.spki_der().get(26..), Some(pk.raw_key()));
        let other = sha256(b"artifacT");
        assert_eq!(
            pk.verify_prehashed(HashAlgorithm::Sha256, RsaPadding::Pkcs1, &other, s.as_ref()),
            Err(CryptoError::BadSignature)
        );
    }
}
