//! TUF metadata as read from a medium: the four top-level roles and delegated targets roles,
//! their canonical form, and the threshold of signatures over it.
//!
//! Owns: the metadata shapes (TUF specification §4), the OLPC canonical JSON the signatures are
//! over, key decoding (Ed25519, ECDSA P-256/P-384, RSA-PSS) and the threshold rule. Hash
//! algorithms are the repository's choice: a target or metafile lists any it likes, and airlock
//! checks the ones it supports (SHA-256, SHA-512). Must not touch: files, the clock, the store.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::bundle::HashAlgorithm;
use crate::crypto::{self, PublicKey, RsaPadding};
use crate::time::Timestamp;

/// A metadata file: what is signed, as the raw JSON value (its canonical form is what the
/// signatures cover, unknown fields included), and the signatures.
#[derive(Debug, Clone)]
pub struct Signed<T> {
    pub signed: T,
    pub raw_signed: Value,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    pub keyid: String,
    pub sig: String,
}

#[derive(Deserialize)]
struct Envelope {
    signed: Value,
    signatures: Vec<Signature>,
}

/// Most signatures read from one metadata file.
const MAX_SIGNATURES: usize = 1024;

/// Parses a metadata file of `role` (`_type` must say it).
pub fn parse<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    role: &str,
    expected_type: &str,
) -> Result<Signed<T>, String> {
    let env: Envelope =
        crate::bundle::json::parse(bytes, bytes.len() as u64, crate::limits::MAX_JSON_DEPTH)
            .map_err(|e| e.to_string())?;
    if env.signatures.len() > MAX_SIGNATURES {
        return Err(format!("more than {MAX_SIGNATURES} signatures"));
    }
    let ty = env
        .signed
        .get("_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    // TUF §4.2: "_type: the role type, [root|timestamp|snapshot|targets]".
    if !ty.eq_ignore_ascii_case(expected_type) {
        return Err(format!(
            "its _type is '{}', not '{expected_type}' ({role})",
            crate::text::escape(ty)
        ));
    }
    let signed: T = serde_json::from_value(env.signed.clone()).map_err(|e| e.to_string())?;
    Ok(Signed {
        signed,
        raw_signed: env.signed,
        signatures: env.signatures,
    })
}

fn version_nonzero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v == 0 {
        return Err(serde::de::Error::custom("version 0: versions start at 1"));
    }
    Ok(v)
}

/// Root metadata (TUF §4.3).
#[derive(Debug, Clone, Deserialize)]
pub struct Root {
    #[serde(default)]
    pub consistent_snapshot: bool,
    #[serde(deserialize_with = "version_nonzero")]
    pub version: u64,
    pub expires: Timestamp,
    pub keys: BTreeMap<String, Key>,
    pub roles: BTreeMap<String, RoleKeys>,
}

/// A key as metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Key {
    pub keytype: String,
    pub scheme: String,
    pub keyval: KeyVal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyVal {
    pub public: String,
}

/// The keys and threshold of a role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleKeys {
    pub keyids: Vec<String>,
    pub threshold: u64,
}

/// A metafile entry of timestamp or snapshot metadata (TUF §4.4, §4.6).
#[derive(Debug, Clone, Deserialize)]
pub struct MetaFile {
    #[serde(deserialize_with = "version_nonzero")]
    pub version: u64,
    #[serde(default)]
    pub length: Option<u64>,
    #[serde(default)]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// Timestamp metadata (TUF §4.6).
#[derive(Debug, Clone, Deserialize)]
pub struct Timestamp_ {
    #[serde(deserialize_with = "version_nonzero")]
    pub version: u64,
    pub expires: Timestamp,
    pub meta: BTreeMap<String, MetaFile>,
}

/// Snapshot metadata (TUF §4.4).
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    #[serde(deserialize_with = "version_nonzero")]
    pub version: u64,
    pub expires: Timestamp,
    pub meta: BTreeMap<String, MetaFile>,
}

/// A target entry (TUF §4.5): any hash algorithms the repository chose.
#[derive(Debug, Clone, Deserialize)]
pub struct TargetFile {
    pub length: u64,
    pub hashes: BTreeMap<String, String>,
}

/// Targets metadata, top-level or delegated (TUF §4.5).
#[derive(Debug, Clone, Deserialize)]
pub struct Targets {
    #[serde(deserialize_with = "version_nonzero")]
    pub version: u64,
    pub expires: Timestamp,
    #[serde(default)]
    pub targets: BTreeMap<String, TargetFile>,
    #[serde(default)]
    pub delegations: Option<Delegations>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Delegations {
    #[serde(default)]
    pub keys: BTreeMap<String, Key>,
    #[serde(default)]
    pub roles: Vec<DelegatedRole>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DelegatedRole {
    pub name: String,
    pub keyids: Vec<String>,
    pub threshold: u64,
    #[serde(default)]
    pub terminating: bool,
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    #[serde(default)]
    pub path_hash_prefixes: Option<Vec<String>>,
}

impl DelegatedRole {
    /// TUF §4.5: whether this delegation may vouch for `target` (its `paths` patterns, or its
    /// `path_hash_prefixes` of the target name's SHA-256).
    pub fn covers(&self, target: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let h = hex::encode(crypto::sha256(target.as_bytes()));
            return prefixes
                .iter()
                .any(|p| h.starts_with(&p.to_ascii_lowercase()));
        }
        false
    }
}

/// A shell-style pattern, segment by segment (`*` and `?` never cross a `/`), as python-tuf
/// matches delegated paths.
pub fn path_matches(pattern: &str, target: &str) -> bool {
    let ps: Vec<&str> = pattern.split('/').collect();
    let ts: Vec<&str> = target.split('/').collect();
    ps.len() == ts.len()
        && ps
            .iter()
            .zip(&ts)
            .all(|(p, t)| glob(p.as_bytes(), t.as_bytes()))
}

fn glob(p: &[u8], t: &[u8]) -> bool {
    // Iterative wildcard match with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// OLPC canonical JSON (what TUF signatures cover, as securesystemslib and tough write it): keys
/// sorted, no insignificant white space, only `"` and `\` escaped in strings, integers only.
pub fn canonical(v: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write_canonical(v, &mut out)?;
    Ok(out)
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(format!(
                    "the number {n} is not an integer (canonical JSON has none)"
                ));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(x, out)?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            // serde_json's map (no `preserve_order`) is sorted by key bytes: code-point order.
            out.push(b'{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_canonical(x, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A key usable for checking signatures, with its verification parameters.
struct Usable {
    key: PublicKey,
    hash: HashAlgorithm,
    padding: RsaPadding,
}

fn decode_key(k: &Key) -> Result<Usable, String> {
    let public = k.keyval.public.trim();
    let from_pem_or_hex = |spki_prefix: &[u8]| -> Result<PublicKey, String> {
        if public.starts_with("-----BEGIN") {
            PublicKey::from_pem(public).map_err(|e| e.to_string())
        } else {
            let raw =
                hex::decode(public).map_err(|_| "the key is neither PEM nor hex".to_string())?;
            let mut der = spki_prefix.to_vec();
            der.extend_from_slice(&raw);
            PublicKey::from_spki_der(&der).map_err(|e| e.to_string())
        }
    };
    // SubjectPublicKeyInfo headers for raw keys written as hex.
    const ED25519_SPKI: &[u8] = &[
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    const P256_SPKI: &[u8] = &[
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let (key, hash, padding) = match (k.keytype.as_str(), k.scheme.as_str()) {
        ("ed25519", "ed25519") => (
            from_pem_or_hex(ED25519_SPKI)?,
            HashAlgorithm::Sha256,
            RsaPadding::Pkcs1,
        ),
        ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => (
            from_pem_or_hex(P256_SPKI)?,
            HashAlgorithm::Sha256,
            RsaPadding::Pkcs1,
        ),
        ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => (
            PublicKey::from_pem(public).map_err(|e| e.to_string())?,
            HashAlgorithm::Sha384,
            RsaPadding::Pkcs1,
        ),
        ("rsa", "rsassa-pss-sha256") => (
            PublicKey::from_pem(public).map_err(|e| e.to_string())?,
            HashAlgorithm::Sha256,
            RsaPadding::Pss,
        ),
        (t, s) => {
            return Err(format!(
                "key type {} with scheme {} is not supported",
                crate::text::escape(t),
                crate::text::escape(s)
            ))
        }
    };
    Ok(Usable { key, hash, padding })
}

/// TUF §5.3.4 and peers: the metadata must carry valid signatures by at least `threshold` of the
/// role's keys. Each key counts once, however many key ids or signatures name it.
pub fn check_threshold<T>(
    m: &Signed<T>,
    role: &RoleKeys,
    keys: &BTreeMap<String, Key>,
) -> Result<(), String> {
    if role.threshold == 0 {
        return Err("the role's threshold is 0".into());
    }
    let message = canonical(&m.raw_signed)?;
    let mut counted: BTreeSet<Vec<u8>> = BTreeSet::new();
    for s in &m.signatures {
        if !role.keyids.contains(&s.keyid) {
            continue;
        }
        let Some(k) = keys.get(&s.keyid) else {
            continue;
        };
        let Ok(u) = decode_key(k) else {
            continue;
        };
        if counted.contains(u.key.spki_der()) {
            continue;
        }
        let Ok(sig) = hex::decode(&s.sig) else {
            continue;
        };
        if u.key.verify(u.hash, u.padding, &message, &sig).is_ok() {
            counted.insert(u.key.spki_der().to_vec());
        }
    }
    let have = counted.len() as u64;
    if have < role.threshold {
        return Err(format!(
            "{have} valid signature(s) by distinct keys of the role, threshold {}",
            role.threshold
        ));
    }
    Ok(())
}

/// The hashes of a target or metafile that airlock can check, each as (algorithm, hex).
pub fn supported_hashes(hashes: &BTreeMap<String, String>) -> Vec<(HashAlgorithm, &str)> {
    hashes
        .iter()
        .filter_map(|(alg, h)| match alg.as_str() {
            "sha256" => Some((HashAlgorithm::Sha256, h.as_str())),
            "sha512" => Some((HashAlgorithm::Sha512, h.as_str())),
            _ => None,
        })
        .collect()
}

/// Checks `bytes` against every supported hash listed; `Err((calculated, expected))` on the
/// first mismatch. At least one must be supported (the caller says so when none is).
pub fn check_hashes(
    bytes: &[u8],
    hashes: &[(HashAlgorithm, &str)],
) -> Result<(), (String, String)> {
    for (alg, expected) in hashes {
        let got = hex::encode(crypto::hash(*alg, bytes));
        if !got.eq_ignore_ascii_case(expected) {
            return Err((
                format!("{} {got}", alg.name()),
                format!("{} {expected}", alg.name()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_escapes_only_quote_and_backslash() {
        let v: Value =
            serde_json::from_str(r#"{"b": 1, "a": ["x\"y\\z", true, null], "c": "\n"}"#).unwrap();
        assert_eq!(
            canonical(&v).unwrap(),
            b"{\"a\":[\"x\\\"y\\\\z\",true,null],\"b\":1,\"c\":\"\n\"}".to_vec()
        );
        assert!(canonical(&serde_json::json!({"f": 1.5})).is_err());
    }

    #[test]
    fn delegated_paths_match_segment_by_segment() {
        assert!(path_matches("registry-*.json", "registry-keys.json"));
        assert!(!path_matches("registry-*.json", "trusted_root.json"));
        assert!(
            !path_matches("*", "a/b.json"),
            "a star never crosses a slash"
        );
        assert!(path_matches("*/*", "a/b.json"));
        assert!(path_matches("targets/?.txt", "targets/a.txt"));
        let mut t = b"a".repeat(5000);
        t.push(b'b');
        assert!(!glob(&b"*a".repeat(50), &t), "no blow-up");
    }
}
