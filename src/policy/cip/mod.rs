//! The operator's policy: Sigstore policy-controller's `ClusterImagePolicy`, read unchanged from a
//! real one (YAML, several documents), into typed, validated rules.
//!
//! In three steps: `raw` (the YAML shape of `ClusterImagePolicy`, policy.sigstore.dev
//! v1alpha1/v1beta1, as written) → this module (validated, typed rules: predicate-type short
//! names, which fields apply offline) → `glob` (image globs, compiled).
//!
//! Owns: validation and the typed rules. Must not touch: the
//! disk (HMAC key files are read by the caller and handed in), the clock, crypto beyond parsing a
//! PEM key.
//!
//! Semantics follow policy-controller's README: "An image is admitted after it has been
//! validated against all ClusterImagePolicy that matched the digest of the image and that there
//! was at least one valid signature or attestation obtained from the authorities provided in
//! each of the matched ClusterImagePolicy. So each ClusterImagePolicy that matches is AND for
//! admission, and within each ClusterImagePolicy authorities are OR."

use crate::crypto::PublicKey;
use crate::policy::Matcher;

mod glob;
mod raw;

#[cfg(test)]
use glob::resolved_docker_name;
pub use glob::Glob;
use raw::*;

/// Why a policy file is unusable. Every variant names the file and, where known, the line and
/// the field.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CipError {
    #[error("{file}: {why}")]
    File { file: String, why: String },
    #[error("{file}:{line}: {field}: {why}")]
    At {
        file: String,
        line: usize,
        field: String,
        why: String,
    },
    #[error("{file}: document {doc}: {field}: {why}")]
    Field {
        file: String,
        doc: usize,
        field: String,
        why: String,
    },
}

impl CipError {
    pub fn code(&self) -> &'static str {
        "policy-invalid"
    }
}

/// `mode`: policy-controller's "enforce" (default) or "warn" (record a failure, do not reject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    Enforce,
    Warn,
}

/// One keyless identity: both the OIDC issuer and the certificate subject must match.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: Matcher,
    pub subject: Matcher,
}

/// A secret HMAC key (an airlock extension of `authorities[].key`), never printed.
#[derive(Clone)]
pub struct HmacKey {
    /// The key file as the policy names it.
    pub file: String,
    /// `sha256:<hex>` of the key, for reports (it does not reveal the key).
    pub id: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HmacKey({}, {})", self.file, self.id)
    }
}

/// What an authority trusts.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Fulcio certificates from the trust root whose identity matches one of these.
    Keyless { identities: Vec<Identity> },
    /// A static public key (`key.data`).
    Key { key: PublicKey, key_id: String },
    /// An HMAC-SHA256 key (`key.hmacKeyFile`).
    Hmac(HmacKey),
    /// `static.action: pass` (true) or `fail` (false).
    Static { pass: bool, message: String },
    /// A key airlock cannot use offline (`kms`, `secretRef`): never satisfied.
    Unusable { why: String },
}

/// An attestation an authority requires.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredAttestation {
    pub name: String,
    /// The predicate type URI (cosign short names resolved).
    pub predicate_type: String,
    /// A CUE/Rego policy over the attestation, which airlock does not evaluate: an authority
    /// that carries one is never satisfied (fail closed), and the result says why.
    pub unevaluated_policy: Option<String>,
}

/// One `authorities[]` entry.
#[derive(Debug, Clone)]
pub struct Authority {
    pub name: String,
    pub trust: Trust,
    pub attestations: Vec<RequiredAttestation>,
    /// Fields present that airlock does not use offline (`source`, `ctlog`, `keyless.url`, ...).
    pub not_applicable: Vec<String>,
}

/// One `ClusterImagePolicy` document.
#[derive(Debug, Clone)]
pub struct ClusterImagePolicy {
    pub name: String,
    pub images: Vec<Glob>,
    pub authorities: Vec<Authority>,
    pub mode: Mode,
    /// A spec-level CUE/Rego policy, not evaluated offline: the policy is never satisfied.
    pub unevaluated_policy: Option<String>,
    pub not_applicable: Vec<String>,
}

impl ClusterImagePolicy {
    /// Whether any of the policy's globs matches one of `names`.
    pub fn matches(&self, names: &[String]) -> bool {
        self.images
            .iter()
            .any(|g| names.iter().any(|n| g.matches(n)) || (names.is_empty() && g.matches("")))
    }
}

/// Every policy of one policy file.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// The file as given, for messages.
    pub file: String,
    /// `sha256:<hex>` of the file's bytes.
    pub digest: String,
    /// The file's bytes (kept in the ledger by digest: what a decision was made under).
    pub text: Vec<u8>,
    pub policies: Vec<ClusterImagePolicy>,
}

/// cosign's predicate short names (cmd/cosign/cli/options/predicate.go).
pub fn predicate_type_uri(t: &str) -> Option<&'static str> {
    Some(match t {
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "link" => "https://in-toto.io/Link/v1",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        _ => return None,
    })
}

/// Reads HMAC key files named by the policy: given the name as written, returns the key bytes.
pub type KeyLoader<'a> = &'a dyn Fn(&str) -> Result<Vec<u8>, String>;

impl PolicySet {
    /// Parses and validates every document of a policy file. The first error names the file,
    /// the line (when the YAML reader knows it) and the field.
    pub fn parse(file: &str, bytes: &[u8], load_key: KeyLoader<'_>) -> Result<PolicySet, CipError> {
        let whole = |why: String| CipError::File {
            file: file.to_string(),
            why,
        };
        if bytes.len() as u64 > crate::limits::MAX_POLICY_BYTES {
            return Err(whole(format!(
                "the policy is over the {}-byte limit",
                crate::limits::MAX_POLICY_BYTES
            )));
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| whole("the policy is not UTF-8".into()))?;
        if crate::yaml::too_deep(text) {
            return Err(whole(format!(
                "the policy nests more than {} levels deep",
                crate::yaml::MAX_YAML_DEPTH
            )));
        }
        let digest = format!("sha256:{}", hex::encode(crate::crypto::sha256(bytes)));
        let mut policies = Vec::new();
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let n = i + 1;
            if n > crate::limits::MAX_POLICY_DOCUMENTS {
                return Err(whole(format!(
                    "more than {} policy documents",
                    crate::limits::MAX_POLICY_DOCUMENTS
                )));
            }
            let raw: Option<RawDoc> = match serde_path_to_error::deserialize(doc) {
                Ok(r) => r,
                Err(e) => {
                    let field = e.path().to_string();
                    let inner = e.into_inner();
                    let line = inner.location().map(|l| l.line());
                    let why = inner.to_string();
                    // serde_yaml's message ends with its own "at line N column M".
                    let why = why.split(" at line ").next().unwrap_or(&why).to_string();
                    return Err(match line {
                        Some(line) => CipError::At {
                            file: file.to_string(),
                            line,
                            field: if field == "." {
                                "(document)".into()
                            } else {
                                field
                            },
                            why,
                        },
                        None => CipError::Field {
                            file: file.to_string(),
                            doc: n,
                            field,
                            why,
                        },
                    });
                }
            };
            let Some(raw) = raw else { continue }; // an empty document (a trailing ---)
            policies.push(convert(file, n, raw, load_key)?);
            let globs: usize = policies
                .iter()
                .map(|p: &ClusterImagePolicy| p.images.len())
                .sum();
            if globs > crate::limits::MAX_POLICY_GLOBS {
                return Err(whole(format!(
                    "more than {} image globs in all",
                    crate::limits::MAX_POLICY_GLOBS
                )));
            }
        }
        if policies.is_empty() {
            return Err(whole("no ClusterImagePolicy in the file".into()));
        }
        Ok(PolicySet {
            file: file.to_string(),
            digest,
            text: bytes.to_vec(),
            policies,
        })
    }
}

fn convert(
    file: &str,
    doc: usize,
    raw: RawDoc,
    load_key: KeyLoader<'_>,
) -> Result<ClusterImagePolicy, CipError> {
    let err = |field: &str, why: String| CipError::Field {
        file: file.to_string(),
        doc,
        field: field.to_string(),
        why,
    };
    match raw.kind.as_deref() {
        Some("ClusterImagePolicy" | "ImagePolicy") => {}
        Some(k) => {
            return Err(err(
                "kind",
                format!("\"{}\" is not a ClusterImagePolicy", crate::text::escape(k)),
            ))
        }
        None => return Err(err("kind", "missing (expected ClusterImagePolicy)".into())),
    }
    match raw.api_version.as_deref() {
        Some("policy.sigstore.dev/v1beta1" | "policy.sigstore.dev/v1alpha1") => {}
        Some(v) => {
            return Err(err(
                "apiVersion",
                format!(
                    "\"{}\" is not policy.sigstore.dev/v1beta1 or v1alpha1",
                    crate::text::escape(v)
                ),
            ))
        }
        None => return Err(err("apiVersion", "missing".into())),
    }
    let name = raw
        .metadata
        .name
        .unwrap_or_else(|| format!("document-{doc}"));
    let spec = raw.spec.ok_or_else(|| err("spec", "missing".into()))?;
    let mut not_applicable = Vec::new();
    if spec.match_.is_some() {
        not_applicable.push("spec.match (Kubernetes resources)".to_string());
    }
    if spec.images.is_empty() {
        return Err(err(
            "spec.images",
            "at least one image glob is required".into(),
        ));
    }
    if spec.images.len() > crate::limits::MAX_POLICY_GLOBS {
        return Err(err(
            "spec.images",
            format!("more than {} image globs", crate::limits::MAX_POLICY_GLOBS),
        ));
    }
    let mut images = Vec::new();
    for (i, im) in spec.images.iter().enumerate() {
        let field = format!("spec.images[{i}].glob");
        if im.regex.is_some() {
            return Err(err(
                &format!("spec.images[{i}].regex"),
                "regex image patterns are not supported; use glob".into(),
            ));
        }
        let g = im
            .glob
            .as_deref()
            .ok_or_else(|| err(&field, "missing".into()))?;
        images.push(Glob::compile(g).map_err(|why| err(&field, why))?);
    }
    let mode = match spec.mode.as_deref() {
        None | Some("enforce") => Mode::Enforce,
        Some("warn") => Mode::Warn,
        Some(m) => {
            return Err(err(
                "spec.mode",
                format!("\"{}\" is neither enforce nor warn", crate::text::escape(m)),
            ))
        }
    };
    if spec.authorities.is_empty() {
        return Err(err(
            "spec.authorities",
            "at least one authority is required".into(),
        ));
    }
    let mut authorities = Vec::new();
    for (i, a) in spec.authorities.into_iter().enumerate() {
        authorities.push(convert_authority(
            a,
            &format!("spec.authorities[{i}]"),
            &err,
            load_key,
        )?);
    }
    let unevaluated_policy = spec.policy.map(|p| {
        format!(
            "spec.policy ({})",
            p.type_.unwrap_or_else(|| "unknown type".into())
        )
    });
    Ok(ClusterImagePolicy {
        name,
        images,
        authorities,
        mode,
        unevaluated_policy,
        not_applicable,
    })
}

fn matcher(
    exact: Option<String>,
    re: Option<String>,
    field: &str,
    err: &dyn Fn(&str, String) -> CipError,
) -> Result<Matcher, CipError> {
    match (exact, re) {
        (Some(e), None) => Ok(Matcher::exact(e)),
        (None, Some(r)) => {
            Matcher::regex(&r).map_err(|e| err(&format!("{field}RegExp"), e.to_string()))
        }
        (Some(_), Some(_)) => Err(err(
            field,
            format!("give {field} or {field}RegExp, not both"),
        )),
        (None, None) => Err(err(field, format!("{field} or {field}RegExp is required"))),
    }
}

fn convert_authority(
    a: RawAuthority,
    at: &str,
    err: &dyn Fn(&str, String) -> CipError,
    load_key: KeyLoader<'_>,
) -> Result<Authority, CipError> {
    let name = a.name.clone().unwrap_or_else(|| at.to_string());
    let mut not_applicable = Vec::new();
    for (present, what) in [
        (
            a.source.is_some() || a.sources.is_some(),
            "source (signatures are read from the tarball)",
        ),
        (a.ctlog.is_some(), "ctlog (the trust root names the logs)"),
        (
            a.rfc3161_timestamp.is_some(),
            "rfc3161timestamp (the trust root names the TSAs)",
        ),
        (
            a.signature_format.is_some(),
            "signatureFormat (every format is read)",
        ),
    ] {
        if present {
            not_applicable.push(format!("{at}.{what}"));
        }
    }
    let kinds = [a.key.is_some(), a.keyless.is_some(), a.static_.is_some()];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(err(
            at,
            "exactly one of key, keyless or static is required".into(),
        ));
    }
    let trust = if let Some(k) = a.key {
        convert_key(k, &format!("{at}.key"), err, load_key, &mut not_applicable)?
    } else if let Some(kl) = a.keyless {
        if kl.url.is_some() {
            not_applicable.push(format!(
                "{at}.keyless.url (Fulcio is not contacted; the trust root names the CAs)"
            ));
        }
        if kl.trust_root_ref.is_some() {
            not_applicable.push(format!(
                "{at}.keyless.trustRootRef (the installed trust root is used)"
            ));
        }
        if kl.ca_cert.is_some() {
            return Err(err(
                &format!("{at}.keyless.ca-cert"),
                "a custom CA is not supported: install it in a trusted root (airlock trust import)"
                    .into(),
            ));
        }
        if kl.insecure_ignore_sct == Some(true) {
            return Err(err(
                &format!("{at}.keyless.insecureIgnoreSCT"),
                "SCT checks cannot be switched off".into(),
            ));
        }
        if kl.identities.is_empty() {
            return Err(err(
                &format!("{at}.keyless.identities"),
                "at least one identity is required".into(),
            ));
        }
        let mut identities = Vec::new();
        for (j, id) in kl.identities.into_iter().enumerate() {
            let f = format!("{at}.keyless.identities[{j}]");
            identities.push(Identity {
                issuer: matcher(id.issuer, id.issuer_reg_exp, &format!("{f}.issuer"), err)?,
                subject: matcher(id.subject, id.subject_reg_exp, &format!("{f}.subject"), err)?,
            });
        }
        Trust::Keyless { identities }
    } else if let Some(s) = a.static_ {
        let pass = match s.action.as_deref() {
            Some("pass") => true,
            Some("fail") => false,
            _ => {
                return Err(err(
                    &format!("{at}.static.action"),
                    "must be pass or fail".into(),
                ))
            }
        };
        Trust::Static {
            pass,
            message: s.message.unwrap_or_default(),
        }
    } else {
        return Err(err(
            at,
            "exactly one of key, keyless or static is required".into(),
        ));
    };
    let mut attestations = Vec::new();
    for (j, att) in a.attestations.into_iter().enumerate() {
        let f = format!("{at}.attestations[{j}]");
        let pt = att
            .predicate_type
            .ok_or_else(|| err(&format!("{f}.predicateType"), "missing".into()))?;
        let uri = match predicate_type_uri(&pt) {
            Some(u) => u.to_string(),
            None if pt.contains("://") => pt,
            None => {
                return Err(err(
                    &format!("{f}.predicateType"),
                    format!(
                        "\"{}\" is neither a URI nor a cosign short name",
                        crate::text::escape(&pt)
                    ),
                ))
            }
        };
        attestations.push(RequiredAttestation {
            name: att.name.unwrap_or_else(|| f.clone()),
            predicate_type: uri,
            unevaluated_policy: att.policy.map(|p| {
                format!(
                    "{f}.policy ({})",
                    p.type_.unwrap_or_else(|| "unknown type".into())
                )
            }),
        });
    }
    Ok(Authority {
        name,
        trust,
        attestations,
        not_applicable,
    })
}

fn convert_key(
    k: RawKey,
    at: &str,
    err: &dyn Fn(&str, String) -> CipError,
    load_key: KeyLoader<'_>,
    not_applicable: &mut Vec<String>,
) -> Result<Trust, CipError> {
    if let Some(h) = k.hash_algorithm.as_deref() {
        if h != "sha256" {
            return Err(err(
                &format!("{at}.hashAlgorithm"),
                format!(
                    "\"{}\" is not supported (sha256 only)",
                    crate::text::escape(h)
                ),
            ));
        }
    }
    let given = [
        k.data.is_some(),
        k.secret_ref.is_some(),
        k.kms.is_some(),
        k.hmac_key_file.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(err(
            at,
            "exactly one of data, secretRef, kms or hmacKeyFile is required".into(),
        ));
    }
    if let Some(pem) = k.data {
        let key =
            PublicKey::from_pem(&pem).map_err(|e| err(&format!("{at}.data"), e.to_string()))?;
        let key_id = format!(
            "sha256:{}",
            hex::encode(crate::crypto::sha256(key.spki_der()))
        );
        return Ok(Trust::Key { key, key_id });
    }
    if let Some(f) = k.hmac_key_file {
        let secret = load_key(&f).map_err(|why| err(&format!("{at}.hmacKeyFile"), why))?;
        if secret.len() < 16 {
            return Err(err(
                &format!("{at}.hmacKeyFile"),
                "the key is shorter than 16 bytes".into(),
            ));
        }
        let id = format!("sha256:{}", hex::encode(crate::crypto::sha256(&secret)));
        return Ok(Trust::Hmac(HmacKey {
            file: f,
            id,
            secret,
        }));
    }
    let why = if k.kms.is_some() {
        "a KMS key cannot be reached offline"
    } else {
        "a Kubernetes secretRef cannot be read outside the cluster"
    };
    not_applicable.push(format!("{at} ({why}; the authority is never satisfied)"));
    Ok(Trust::Unusable {
        why: why.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_keys(_: &str) -> Result<Vec<u8>, String> {
        Err("no key files in this test".into())
    }

    fn parse(y: &str) -> Result<PolicySet, CipError> {
        PolicySet::parse("policy.yaml", y.as_bytes(), &no_keys)
    }

    const REAL: &str = r#"
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: image-policy
  annotations:
    note: copied from a cluster
spec:
  images:
  - glob: "ghcr.io/acme/**"
  authorities:
  - name: keyless
    keyless:
      url: https://fulcio.sigstore.dev
      identities:
      - issuer: https://token.actions.githubusercontent.com
        subjectRegExp: "^https://github.com/acme/.*$"
    ctlog:
      url: https://rekor.sigstore.dev
    source:
    - oci: registry.example.com/sigs
    attestations:
    - name: must-have-slsa
      predicateType: slsaprovenance1
---
apiVersion: policy.sigstore.dev/v1alpha1
kind: ClusterImagePolicy
metadata:
  name: warn-only
spec:
  mode: warn
  images:
  - glob: "**"
  authorities:
  - static:
      action: pass
---
"#;

    #[test]
    fn a_real_policy_with_offline_inapplicable_fields_is_read() {
        let p = parse(REAL).unwrap();
        assert_eq!(p.policies.len(), 2);
        let a = &p.policies[0].authorities[0];
        assert_eq!(
            a.attestations[0].predicate_type,
            "https://slsa.dev/provenance/v1"
        );
        assert_eq!(a.not_applicable.len(), 3, "{:?}", a.not_applicable);
        assert!(matches!(a.trust, Trust::Keyless { .. }));
        assert_eq!(p.policies[1].mode, Mode::Warn);
        assert!(p.digest.starts_with("sha256:"));
    }

    #[test]
    fn globs_follow_policy_controller() {
        let g = Glob::compile("ghcr.io/acme/*").unwrap();
        assert!(g.matches("ghcr.io/acme/app"));
        assert!(!g.matches("ghcr.io/acme/app/sub"));
        let g = Glob::compile("ghcr.io/acme/**").unwrap();
        assert!(g.matches("ghcr.io/acme/app/sub:v1"));
        assert!(!g.matches("ghcr.io/acmeevil/app"));
        assert!(Glob::compile("**").unwrap().matches("anything/at all"));
        assert!(Glob::compile("*").unwrap().matches("busybox"));
        assert!(!Glob::compile("*").unwrap().matches("acme/app"));
        assert!(Glob::compile("index.docker.io/acme/*")
            .unwrap()
            .matches("acme/app:v1"));
        assert!(Glob::compile("a[b]").is_err());
        // A dot is a dot, not any character.
        assert!(!Glob::compile("ghcr.io/x").unwrap().matches("ghcrxio/x"));
    }

    #[test]
    fn the_first_error_names_file_line_and_field() {
        let bad = REAL.replace("subjectRegExp: \"^https", "subjectRegexp: \"^https");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(e.starts_with("policy.yaml:1"), "{e}");
        assert!(
            e.contains("spec.authorities[0].keyless.identities[0]"),
            "{e}"
        );
        assert!(e.contains("subjectRegexp"), "{e}");
    }

    #[test]
    fn semantic_errors_name_the_document_and_field() {
        let e = parse(&REAL.replace("slsaprovenance1", "not a type"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("document 1: spec.authorities[0].attestations[0].predicateType"),
            "{e}"
        );
        let e = parse(&REAL.replace("action: pass", "action: maybe"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("document 2: spec.authorities[0].static.action"),
            "{e}"
        );
        let e = parse(&REAL.replace("\"ghcr.io/acme/**\"", "\"ghcr.io/(acme)\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("spec.images[0].glob: invalid glob"), "{e}");
        let e = parse(&REAL.replace("^https://github.com/acme/.*$", "("))
            .unwrap_err()
            .to_string();
        assert!(e.contains("subjectRegExp"), "{e}");
    }

    #[test]
    fn not_yaml_and_not_a_policy_are_refused() {
        assert!(parse("{").is_err());
        assert!(parse("")
            .unwrap_err()
            .to_string()
            .contains("no ClusterImagePolicy"));
        let e = parse("apiVersion: v1\nkind: ConfigMap\nspec: {}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a ClusterImagePolicy"), "{e}");
    }

    #[test]
    fn a_custom_ca_or_ignored_scts_are_refused_not_ignored() {
        let y = REAL.replace(
            "      url: https://fulcio.sigstore.dev\n",
            "      insecureIgnoreSCT: true\n",
        );
        assert!(parse(&y)
            .unwrap_err()
            .to_string()
            .contains("insecureIgnoreSCT"));
    }

    #[test]
    fn short_docker_names_resolve_as_policy_controller_does() {
        assert_eq!(
            resolved_docker_name("busybox").as_deref(),
            Some("index.docker.io/library/busybox:latest")
        );
        assert_eq!(
            resolved_docker_name("acme/app:v1").as_deref(),
            Some("index.docker.io/acme/app:v1")
        );
        assert_eq!(
            resolved_docker_name("docker.io/acme/app").as_deref(),
            Some("index.docker.io/acme/app:latest")
        );
        assert_eq!(resolved_docker_name("ghcr.io/acme/app"), None);
    }

    #[test]
    fn globs_match_as_policy_controller_without_regular_expressions() {
        let g = |p: &str| Glob::compile(p).unwrap();
        assert!(g("ghcr.io/acme/*").matches("ghcr.io/acme/app"));
        assert!(!g("ghcr.io/acme/*").matches("ghcr.io/acme/a/b"));
        assert!(g("ghcr.io/**").matches("ghcr.io/acme/a/b:v1"));
        assert!(g("ghcr.io/acme/app*").matches("ghcr.io/acme/app:v1"));
        assert!(
            !g("ghcr.io/acme/app").matches("ghcr.io/acme/app:v1"),
            "whole name"
        );
        assert!(g("*").matches("busybox"), "short Docker Hub names resolve");
        assert!(g("**").matches(""));
        let long = "a/".repeat(300);
        assert!(!g("*/*/*/x").matches(&long));
    }
}
