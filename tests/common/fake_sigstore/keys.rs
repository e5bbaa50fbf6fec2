//! Signing keys of the fake Sigstore, derived deterministically from a label so every run mints
//! the same keys (ECDSA signatures still use a random nonce; Ed25519 ones are deterministic).

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING,
};
use base64::Engine;

use super::der;

pub const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
pub const OID_P256: &str = "1.2.840.10045.3.1.7";
pub const OID_P384: &str = "1.3.132.0.34";
pub const OID_ED25519: &str = "1.3.101.112";
pub const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
pub const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";

/// Which key family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    P256,
    P384,
    Ed25519,
}

/// A private key that can sign, with its public half.
pub enum Signer {
    Ec(Alg, EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Signer({:?}, {})",
            self.alg(),
            hex::encode(&self.spki_der()[..8])
        )
    }
}

impl Signer {
    /// A key derived from `label` (same label, same key, every run).
    pub fn derive(alg: Alg, label: &str) -> Signer {
        match alg {
            Alg::P256 | Alg::P384 => {
                let (sig_alg, curve, dalg) = if alg == Alg::P256 {
                    (&ECDSA_P256_SHA256_ASN1_SIGNING, OID_P256, &digest::SHA256)
                } else {
                    (&ECDSA_P384_SHA384_ASN1_SIGNING, OID_P384, &digest::SHA384)
                };
                // Hash-derived scalars are below the group order with overwhelming probability;
                // bump a counter in the label until the key is accepted.
                for n in 0u32.. {
                    let seed = digest::digest(dalg, format!("{label}#{n}").as_bytes());
                    // RFC 5915 ECPrivateKey without the public key; AWS-LC recomputes it.
                    let ec_priv = der::seq(&[
                        &der::int(1),
                        &der::octets(seed.as_ref()),
                        &der::ctx(0, &der::oid(curve)),
                    ]);
                    if let Ok(kp) = EcdsaKeyPair::from_private_key_der(sig_alg, &ec_priv) {
                        return Signer::Ec(alg, kp);
                    }
                }
                unreachable!()
            }
            Alg::Ed25519 => {
                let seed = digest::digest(&digest::SHA256, label.as_bytes());
                Signer::Ed(Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).unwrap())
            }
        }
    }

    pub fn alg(&self) -> Alg {
        match self {
            Signer::Ec(a, _) => *a,
            Signer::Ed(_) => Alg::Ed25519,
        }
    }

    /// Raw public key: the uncompressed EC point, or the 32-byte Ed25519 key.
    pub fn public_raw(&self) -> Vec<u8> {
        match self {
            Signer::Ec(_, k) => k.public_key().as_ref().to_vec(),
            Signer::Ed(k) => k.public_key().as_ref().to_vec(),
        }
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        let algid = match self.alg() {
            Alg::P256 => der::seq(&[&der::oid(OID_EC_PUBLIC_KEY), &der::oid(OID_P256)]),
            Alg::P384 => der::seq(&[&der::oid(OID_EC_PUBLIC_KEY), &der::oid(OID_P384)]),
            Alg::Ed25519 => der::alg(OID_ED25519),
        };
        der::seq(&[&algid, &der::bits(&self.public_raw())])
    }

    /// PEM `PUBLIC KEY`.
    pub fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki_der())
    }

    /// Signs `msg` (ECDSA with the curve's hash, DER signature; or Ed25519).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Signer::Ec(_, k) => k.sign(&SystemRandom::new(), msg).unwrap().as_ref().to_vec(),
            Signer::Ed(k) => k.sign(msg).as_ref().to_vec(),
        }
    }

    /// The X.509 AlgorithmIdentifier of signatures this key makes.
    pub fn sig_alg_der(&self) -> Vec<u8> {
        match self.alg() {
            Alg::P256 => der::alg(OID_ECDSA_SHA256),
            Alg::P384 => der::alg(OID_ECDSA_SHA384),
            Alg::Ed25519 => der::alg(OID_ED25519),
        }
    }

    /// The trusted root's `keyDetails` for this key.
    pub fn key_details(&self) -> &'static str {
        match self.alg() {
            Alg::P256 => "PKIX_ECDSA_P256_SHA_256",
            Alg::P384 => "PKIX_ECDSA_P384_SHA_384",
            Alg::Ed25519 => "PKIX_ED25519",
        }
    }

    /// SHA-256 of the SPKI DER: the log ID of CT logs and Rekor v1 logs.
    pub fn spki_sha256(&self) -> [u8; 32] {
        sha256(&self.spki_der())
    }
}

pub fn sha256(b: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, b);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

pub fn sha1(b: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, b)
        .as_ref()
        .to_vec()
}

pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// PEM with 64-column lines and a trailing newline, as Go's encoding/pem writes it.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b = b64(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}
