//! Signed-note checkpoints (C2SP signed-note + tlog-checkpoint): parsing, and finding the log's
//! own signature among witness cosignatures.
//!
//! Owns: the note grammar, the checkpoint body (origin, size, root hash), key-hint and key-name
//! matching, and the signature check with the log key. Must not touch: inclusion proofs (the
//! caller compares size and root), entry bodies, the clock.
//!
//! Which signature line is the log's (decided from the spec and the conformance data):
//! - Ed25519 logs (Rekor v2): C2SP signed-note. The key name must equal the origin (all real
//!   Rekor v2 checkpoints do: `log2025-alpha1.rekor.sigstage.dev` both as origin and as name),
//!   the key hint must be `SHA-256(name || 0x0A || 0x01 || key)[:4]`, and that full hash must
//!   start with the trusted root's checkpoint key ID (`checkpointKeyId`, else `logId`, per the
//!   protobuf-specs rule "if not set, assume log_id equals checkpoint_key_id"). In the Sigstore
//!   trusted roots the Rekor v2 `logId` is exactly that 32-byte hash, so the origin is bound to
//!   the trusted root, not only to the key.
//! - ECDSA/RSA logs (Rekor v1): the key hint is the first 4 bytes of the checkpoint key ID
//!   (= `logId` = SHA-256 of the DER SPKI, also C2SP's rule for ECDSA keys). Rekor v1's origin is
//!   `<hostname> - <tree ID>` (`rekor.sigstore.dev - 1193050959916656506`, one tree ID per shard,
//!   all shards signed by the same key) while its key name is `<hostname>`; so the name must
//!   equal the origin or be the origin without its ` - <decimal tree ID>` suffix. The name is
//!   not compared with `baseUrl`: the key already pins the log, and private deployments name
//!   their checkpoints freely.
//!
//! Lines from other keys (witness cosignatures, rotated keys) are ignored, in any position.

use crate::bundle::json::b64_decode;
use crate::bundle::HashAlgorithm;
use crate::crypto::{self, KeyKind, PublicKey, RsaPadding};
use crate::limits;

/// The signature line prefix: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a checkpoint was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub(crate) enum CheckpointError {
    #[error("checkpoint is malformed: {0}")]
    Malformed(&'static str),
    #[error("no signature from the log on checkpoint '{origin}' ({lines} signature lines): {why}")]
    NoValidSignature {
        origin: String,
        lines: usize,
        why: &'static str,
    },
}

impl CheckpointError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "checkpoint-malformed",
            Self::NoValidSignature { .. } => "checkpoint-no-valid-signature",
        }
    }
}

/// A checkpoint whose signature by the log verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint<'a> {
    pub origin: &'a str,
    pub size: u64,
    pub root_hash: Vec<u8>,
}

/// One signature line, split but not yet trusted.
struct SigLine<'a> {
    name: &'a str,
    hint: [u8; 4],
    sig: Vec<u8>,
}

/// The log key as the checkpoint check needs it.
pub(crate) struct LogKey<'a> {
    pub key: &'a PublicKey,
    pub hash: HashAlgorithm,
    pub padding: RsaPadding,
    /// `checkpointKeyId`, else `logId`, from the trusted root.
    pub key_id: &'a [u8],
}

/// Parses `text` and returns its body once a signature line from the log verifies.
pub(crate) fn verify<'a>(
    text: &'a str,
    log: &LogKey<'_>,
) -> Result<Checkpoint<'a>, CheckpointError> {
    // signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control
    // characters (those below U+0020) other than newline."
    if text.len() > limits::MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::Malformed(
            "larger than the checkpoint size limit",
        ));
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(CheckpointError::Malformed("contains a control character"));
    }
    // signed-note: "A signed note consists of a text ending in newline (U+000A), followed by a
    // blank line (only a newline), followed by one or more signature lines". A checkpoint's
    // text has no empty line (tlog-checkpoint: lines are non-empty), so its first blank line is
    // also the last, and any further blank line is refused below as a bad signature line.
    let sep = text.find("\n\n").ok_or(CheckpointError::Malformed(
        "no blank line before the signatures",
    ))?;
    let (note, sig_block) = (
        text.get(..sep + 1).unwrap_or_default(),
        text.get(sep + 2..).unwrap_or_default(),
    );
    let body = parse_body(note)?;
    let lines = parse_signatures(sig_block)?;

    let raw_ed25519 = match log.key.kind() {
        KeyKind::Ed25519 => Some(ed25519_raw(log.key)?),
        _ => None,
    };
    let mut verified = false;
    for line in &lines {
        let known = match raw_ed25519 {
            Some(raw) => is_log_line_ed25519(line, body.origin, raw, log.key_id),
            None => is_log_line_pkix(line, body.origin, log.key_id),
        };
        if !known {
            // signed-note: "Verifiers MUST ignore signatures from unknown keys, even if they
            // share a name or ID (but not both) with a known key."
            continue;
        }
        // signed-note: "If the key name and ID match a known key, verifiers MUST verify the
        // signature. If a signature from a known key fails to verify, clients SHOULD reject the
        // whole note."
        if log
            .key
            .verify(log.hash, log.padding, note.as_bytes(), &line.sig)
            .is_err()
        {
            return Err(CheckpointError::NoValidSignature {
                origin: body.origin.to_string(),
                lines: lines.len(),
                why: "the log's signature line does not verify",
            });
        }
        verified = true;
    }
    // signed-note: "If no signature from a known key verifies successfully, clients MUST
    // reject the note."
    if !verified {
        return Err(CheckpointError::NoValidSignature {
            origin: body.origin.to_string(),
            lines: lines.len(),
            why: "no line carries the log's key name and key hint",
        });
    }
    Ok(body)
}

/// tlog-checkpoint "Note text": origin, tree size, root hash, then optional extension lines.
fn parse_body(note: &str) -> Result<Checkpoint<'_>, CheckpointError> {
    // `note` ends with the newline that precedes the blank line.
    let mut lines = note.strip_suffix('\n').unwrap_or(note).split('\n');
    // 1. "The origin MUST be non-empty".
    let origin = lines
        .next()
        .filter(|o| !o.is_empty())
        .ok_or(CheckpointError::Malformed("missing origin line"))?;
    // 2. "the ASCII decimal representation of the number of leaves in the tree, with no leading
    //    zeroes (unless the tree is empty, in which case the tree size is `0`)."
    let size_line = lines
        .next()
        .ok_or(CheckpointError::Malformed("missing tree size line"))?;
    let size = parse_decimal(size_line).ok_or(CheckpointError::Malformed(
        "tree size line is not a decimal number",
    ))?;
    // 3. "the base64 encoding of the root of the [RFC 6962] Merkle hash tree".
    let root_line = lines
        .next()
        .ok_or(CheckpointError::Malformed("missing root hash line"))?;
    let root_hash = b64_decode(root_line)
        .map_err(|_| CheckpointError::Malformed("root hash line is not base64"))?;
    if root_hash.len() != super::merkle::HASH_LEN {
        return Err(CheckpointError::Malformed(
            "root hash is not a SHA-256 hash",
        ));
    }
    // 4. "Extension lines, if any, MUST be non-empty." (They are otherwise opaque.)
    if lines.any(str::is_empty) {
        return Err(CheckpointError::Malformed("empty extension line"));
    }
    Ok(Checkpoint {
        origin,
        size,
        root_hash,
    })
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// signed-note: each signature line is "em dash (U+2014), space (U+0020), key name, space,
/// base64-encoded signature, newline", and the signature is "the base64 encoding of 4+n bytes.
/// The first four bytes in the signature are the uint32 key ID stored in big-endian order."
fn parse_signatures(block: &str) -> Result<Vec<SigLine<'_>>, CheckpointError> {
    if block.is_empty() {
        return Ok(Vec::new());
    }
    let block = block.strip_suffix('\n').ok_or(CheckpointError::Malformed(
        "signature line not ended by a newline",
    ))?;
    let mut out = Vec::new();
    for line in block.split('\n') {
        // signed-note: "Verifiers SHOULD apply a maximum limit to the number of signatures in a
        // note ... but MUST accept at least up to 16 signatures."
        if out.len() >= limits::MAX_CHECKPOINT_SIGNATURES {
            return Err(CheckpointError::Malformed("too many signature lines"));
        }
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(CheckpointError::Malformed(
                "signature line does not start with an em dash",
            ))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(CheckpointError::Malformed("signature line has no key name"))?;
        // signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or
        // plus (U+002B) characters."
        if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
            return Err(CheckpointError::Malformed(
                "invalid key name in a signature line",
            ));
        }
        if b64.is_empty() || b64.contains(' ') {
            return Err(CheckpointError::Malformed(
                "invalid signature in a signature line",
            ));
        }
        let raw =
            b64_decode(b64).map_err(|_| CheckpointError::Malformed("signature is not base64"))?;
        let (hint, sig) = match raw.split_first_chunk::<4>() {
            Some((h, s)) if !s.is_empty() => (*h, s.to_vec()),
            _ => return Err(CheckpointError::Malformed("signature shorter than 5 bytes")),
        };
        out.push(SigLine { name, hint, sig });
    }
    Ok(out)
}

/// The 32-byte Ed25519 key of a log key.
///
/// RFC 8410 §4: for Ed25519 "the public key is ... the subjectPublicKey BIT STRING" of 32
/// octets; signed-note key IDs hash exactly those 32 bytes.
fn ed25519_raw(key: &PublicKey) -> Result<&[u8; 32], CheckpointError> {
    if key.kind() != KeyKind::Ed25519 {
        return Err(CheckpointError::Malformed("log key is not an Ed25519 key"));
    }
    <&[u8; 32]>::try_from(key.raw_key())
        .map_err(|_| CheckpointError::Malformed("log key is not a 32-byte Ed25519 public key"))
}

/// signed-note "Ed25519 signatures": "key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte
/// Ed25519 public key)[:4]", and tlog-checkpoint: "The log's key name in its signature line
/// SHOULD match the origin line."
fn is_log_line_ed25519(line: &SigLine<'_>, origin: &str, raw: &[u8; 32], key_id: &[u8]) -> bool {
    if line.name != origin {
        return false;
    }
    let full = ed25519_key_id(line.name, raw);
    if full.get(..4) != Some(&line.hint[..]) {
        return false;
    }
    // Bind the name to the trusted root: the expected key ID must be a prefix of the full hash.
    key_id.len() >= 4 && full.get(..key_id.len()).is_some_and(|p| p == key_id)
}

/// The full SHA-256 behind a C2SP Ed25519 key ID.
pub(crate) fn ed25519_key_id(name: &str, raw: &[u8; 32]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(name.len() + 2 + raw.len());
    buf.extend_from_slice(name.as_bytes());
    buf.push(0x0A);
    buf.push(0x01);
    buf.extend_from_slice(raw);
    crypto::sha256(&buf)
}

/// Rekor v1 (and C2SP ECDSA, type 0x02): "the key ID for these signatures is the truncated
/// SHA-256 hash of the DER encoded public key in SPKI format" — the log ID's first 4 bytes.
fn is_log_line_pkix(line: &SigLine<'_>, origin: &str, key_id: &[u8]) -> bool {
    name_fits_origin(line.name, origin) && key_id.get(..4) == Some(&line.hint[..])
}

/// The key name is the origin, or (Rekor v1) the origin is `<name> - <decimal tree ID>`.
fn name_fits_origin(name: &str, origin: &str) -> bool {
    if name == origin {
        return true;
    }
    origin
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(" - "))
        .is_some_and(|tree| !tree.is_empty() && tree.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    };

    /// The DER SPKI header of every Ed25519 public key (RFC 8410 §4); the 32-byte key follows.
    const ED25519_SPKI_PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];

    /// A signed-note signature line: em dash, key name, base64 of key hint and signature.
    fn sig_line(name: &str, hint: &[u8], sig: &[u8]) -> String {
        let mut raw = hint.to_vec();
        raw.extend_from_slice(sig);
        format!(
            "\u{2014} {name} {}\n",
            crate::bundle::json::b64_encode(&raw)
        )
    }

    pub(crate) struct EdLog {
        pub kp: Ed25519KeyPair,
        pub key: PublicKey,
        pub name: String,
        pub key_id: [u8; 32],
    }

    pub(crate) fn ed_log(name: &str) -> EdLog {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|e| panic!("{e}"));
        let kp = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap_or_else(|e| panic!("{e}"));
        let mut spki = ED25519_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(kp.public_key().as_ref());
        let key = PublicKey::from_spki_der(&spki).unwrap_or_else(|e| panic!("{e}"));
        let raw: [u8; 32] = kp.public_key().as_ref().try_into().unwrap_or([0; 32]);
        let key_id = ed25519_key_id(name, &raw);
        EdLog {
            kp,
            key,
            name: name.to_string(),
            key_id,
        }
    }

    impl EdLog {
        pub(crate) fn sign_line(&self, note: &str) -> String {
            self.line_as(&self.name, &self.key_id[..4], note)
        }
        pub(crate) fn line_as(&self, name: &str, hint: &[u8], note: &str) -> String {
            sig_line(name, hint, self.kp.sign(note.as_bytes()).as_ref())
        }
        pub(crate) fn log_key(&self) -> LogKey<'_> {
            LogKey {
                key: &self.key,
                hash: HashAlgorithm::Sha256,
                padding: RsaPadding::Pkcs1,
                key_id: &self.key_id,
            }
        }
    }

    pub(crate) struct EcLog {
        pub kp: EcdsaKeyPair,
        pub key: PublicKey,
        pub log_id: [u8; 32],
    }

    pub(crate) fn ec_log() -> EcLog {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut spki =
            hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap_or_default();
        spki.extend_from_slice(kp.public_key().as_ref());
        let key = PublicKey::from_spki_der(&spki).unwrap_or_else(|e| panic!("{e}"));
        let log_id = crypto::sha256(&spki);
        EcLog { kp, key, log_id }
    }

    impl EcLog {
        pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
            self.kp
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .unwrap_or_default()
        }
        pub(crate) fn line(&self, name: &str, hint: &[u8], note: &str) -> String {
            sig_line(name, hint, &self.sign(note.as_bytes()))
        }
        pub(crate) fn log_key(&self) -> LogKey<'_> {
            LogKey {
                key: &self.key,
                hash: HashAlgorithm::Sha256,
                padding: RsaPadding::Pkcs1,
                key_id: &self.log_id,
            }
        }
    }

    const ROOT_B64: &str = "rs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=";

    fn note(origin: &str) -> String {
        format!("{origin}\n736\n{ROOT_B64}\n")
    }

    fn code(r: Result<Checkpoint<'_>, CheckpointError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn ed25519_checkpoint_signed_by_the_log_verifies() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        let text = format!("{n}\n{}", log.sign_line(&n));
        let cp = verify(&text, &log.log_key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((cp.origin, cp.size), ("log.example/v2", 736));
        assert_eq!(cp.root_hash, b64_decode(ROOT_B64).unwrap_or_default());
    }

    #[test]
    fn witness_cosignatures_before_and_after_the_log_line_are_tolerated() {
        let log = ed_log("log.example/v2");
        let witness = ed_log("witness.example");
        let n = note(&log.name);
        let text = format!(
            "{n}\n{}{}{}",
            witness.sign_line(&n),
            log.sign_line(&n),
            witness.line_as("witness.example/w2", &[1, 2, 3, 4], &n)
        );
        assert_eq!(code(verify(&text, &log.log_key())), "ok");
    }

    #[test]
    fn checkpoint_with_a_wrong_key_hint_is_refused() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        let mut hint = log.key_id[..4].to_vec();
        hint[0] ^= 0x04;
        let text = format!("{n}\n{}", log.line_as(&log.name, &hint, &n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn ed25519_key_id_is_computed_over_the_raw_key_not_the_spki() {
        let log = ed_log("log.example/v2");
        let raw = ed25519_raw(&log.key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&raw[..], log.kp.public_key().as_ref());
        assert_eq!(ed25519_key_id(&log.name, raw), log.key_id);
    }

    #[test]
    fn ecdsa_log_key_is_not_read_as_an_ed25519_key() {
        let key = ec_log().key;
        assert_eq!(
            ed25519_raw(&key).map_err(|e| e.code()),
            Err("checkpoint-malformed")
        );
    }

    #[test]
    fn checkpoint_for_another_origin_signed_by_the_same_key_is_refused() {
        // The log key signs a note whose origin (and key name) is another log's.
        let log = ed_log("log.example/v2");
        let other = "log.example/other";
        let n = note(other);
        let raw = ed25519_raw(&log.key).unwrap_or_else(|e| panic!("{e}"));
        let other_id = ed25519_key_id(other, raw);
        let text = format!("{n}\n{}", log.line_as(other, &other_id[..4], &n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn checkpoint_with_a_forged_signature_from_the_log_key_is_refused() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        let forged = format!("{}\n{}\n{}\n", log.name, 737, ROOT_B64);
        // A valid signature over another note, pasted under this one.
        let text = format!("{n}\n{}", log.sign_line(&forged));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn a_failing_log_line_rejects_the_note_even_next_to_a_valid_one() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        let bad = log.sign_line("something else\n");
        let text = format!("{n}\n{}{bad}", log.sign_line(&n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn checkpoint_without_any_signature_line_is_refused() {
        let log = ed_log("log.example/v2");
        let text = format!("{}\n", note(&log.name));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn checkpoint_with_only_witness_lines_is_refused() {
        let log = ed_log("log.example/v2");
        let witness = ed_log("witness.example");
        let n = note(&log.name);
        let text = format!("{n}\n{}", witness.sign_line(&n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn checkpoint_missing_origin_size_or_root_is_malformed() {
        let log = ed_log("log.example/v2");
        for n in [
            format!("736\n{ROOT_B64}\n"),
            format!("{}\n{ROOT_B64}\n", log.name),
            format!("{}\n736\n", log.name),
            format!("{}\n0736\n{ROOT_B64}\n", log.name),
            format!("{}\n736\nnot*base64\n", log.name),
            format!("{}\n736\nAAAA\n", log.name),
        ] {
            let text = format!("{n}\n{}", log.sign_line(&n));
            assert_eq!(
                code(verify(&text, &log.log_key())),
                "checkpoint-malformed",
                "{n}"
            );
        }
    }

    #[test]
    fn malformed_signature_lines_are_refused() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        for sigs in [
            "- log.example/v2 AAAAAAAA\n".to_string(),
            "\u{2014} log.example/v2 AAAA\n".to_string(),
            "\u{2014} log.example/v2 !!!!\n".to_string(),
            "\u{2014} log.example/v2\n".to_string(),
            format!("{}\n{}", log.sign_line(&n), log.sign_line(&n)),
            log.sign_line(&n).trim_end().to_string(),
        ] {
            let text = format!("{n}\n{sigs}");
            assert_eq!(
                code(verify(&text, &log.log_key())),
                "checkpoint-malformed",
                "{sigs:?}"
            );
        }
        assert_eq!(
            code(verify("no blank line\n", &log.log_key())),
            "checkpoint-malformed"
        );
        let ctl = format!("{}\r\n736\n{ROOT_B64}\n\n{}", log.name, log.sign_line(&n));
        assert_eq!(code(verify(&ctl, &log.log_key())), "checkpoint-malformed");
    }

    #[test]
    fn too_many_signature_lines_are_refused() {
        let log = ed_log("log.example/v2");
        let n = note(&log.name);
        let line = log.line_as("w.example", &[9, 9, 9, 9], &n);
        let text = format!(
            "{n}\n{}",
            line.repeat(limits::MAX_CHECKPOINT_SIGNATURES + 1)
        );
        assert_eq!(code(verify(&text, &log.log_key())), "checkpoint-malformed");
    }

    #[test]
    fn rekor_v1_checkpoint_with_tree_id_origin_verifies() {
        let log = ec_log();
        let n = format!("rekor.example - 1193050959916656506\n736\n{ROOT_B64}\nTimestamp: 1\n");
        let text = format!("{n}\n{}", log.line("rekor.example", &log.log_id[..4], &n));
        assert_eq!(code(verify(&text, &log.log_key())), "ok");
        // A name that is not the origin's host part is another key.
        let text = format!("{n}\n{}", log.line("evil.example", &log.log_id[..4], &n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
        // A wrong key hint is another key.
        let text = format!("{n}\n{}", log.line("rekor.example", &[0, 0, 0, 0], &n));
        assert_eq!(
            code(verify(&text, &log.log_key())),
            "checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn name_fits_origin_accepts_only_the_rekor_v1_tree_suffix() {
        assert!(name_fits_origin("a.example", "a.example"));
        assert!(name_fits_origin("a.example", "a.example - 42"));
        assert!(!name_fits_origin("a.example", "a.example - "));
        assert!(!name_fits_origin("a.example", "a.example - 4x"));
        assert!(!name_fits_origin("a.example", "a.example.evil - 42"));
        assert!(!name_fits_origin("a.ex", "a.example - 42"));
    }
}
