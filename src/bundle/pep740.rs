//! PyPI's attestations (PEP 740) and npm's attestations document, turned into the verifier's own
//! bundle type so that one verifier checks them.
//!
//! Owns: the shapes (PEP 740 "Attestation objects" and "Provenance objects", PyPI's Integrity
//! API; npm's `{"attestations": [{"predicateType", "bundle"}]}`), the conversion to a Sigstore
//! bundle (what pypi-attestations' `Attestation.to_bundle` does: the certificate, the log entries
//! and a DSSE envelope of the statement and its one signature), and Python distribution file
//! names (the binary and source distribution specifications). Must not touch: signatures, trust,
//! the clock. Everything here is still untrusted.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::json::parse;
use super::Bundle;
use crate::limits;

/// The in-toto payload type of every PEP 740 envelope.
const INTOTO: &str = "application/vnd.in-toto+json";
/// PEP 740: the two attestation types PyPI accepts.
pub const PYPI_PUBLISH_V1: &str = "https://docs.pypi.org/attestations/publish/v1";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// npm's publish attestation (signed by the registry's own key).
pub const NPM_PUBLISH_V01: &str = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

/// The Trusted Publisher a PyPI provenance object names (PEP 740 "Provenance objects"), or the one
/// read from a verified certificate's Fulcio claims.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Publisher {
    /// `GitHub`, `GitLab`, `Google`, or the OIDC issuer for others.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// For `Google` and e-mail identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One attestation converted, with the publisher its provenance object named (if any).
pub struct Converted {
    pub bundle: Result<Bundle, (&'static str, String)>,
    pub publisher: Option<Publisher>,
    /// The bytes it was read from (the attestation object), for the ledger.
    pub raw: Vec<u8>,
}

#[derive(Deserialize)]
struct RawAttestation {
    version: u32,
    verification_material: RawMaterial,
    envelope: RawEnvelope,
}

#[derive(Deserialize)]
struct RawMaterial {
    certificate: String,
    #[serde(default)]
    transparency_entries: Vec<Value>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    statement: String,
    signature: String,
}

#[derive(Deserialize)]
struct RawProvenance {
    version: u32,
    attestation_bundles: Vec<RawAttestationBundle>,
}

#[derive(Deserialize)]
struct RawAttestationBundle {
    #[serde(default)]
    publisher: Option<RawPublisher>,
    attestations: Vec<Value>,
}

#[derive(Deserialize)]
struct RawPublisher {
    kind: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    workflow: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// Most attestations read from one file (a provenance object of a whole wheelhouse included).
const MAX_ATTESTATIONS: usize = 4096;

/// PEP 740 attestation object → a v0.3 Sigstore bundle (its log entries carry inclusion proofs),
/// through the one bundle parser and its caps.
fn convert(v: &Value) -> Result<Bundle, (&'static str, String)> {
    let a: RawAttestation = serde_json::from_value(v.clone()).map_err(|e| {
        (
            "attestation-malformed",
            format!("not a PEP 740 attestation object: {e}"),
        )
    })?;
    // PEP 740: "version: The attestation object's version, which is always 1."
    if a.version != 1 {
        return Err((
            "attestation-malformed",
            format!("attestation version {} (only 1 is defined)", a.version),
        ));
    }
    // pypi-attestations: `transparency_entries: Annotated[list[...], MinLen(1)]`.
    if a.verification_material.transparency_entries.is_empty() {
        return Err((
            "tlog-entry-missing",
            "the attestation carries no transparency-log entry".into(),
        ));
    }
    // Free-form on purpose: a PEP 740 attestation translated into the Sigstore bundle JSON the
    // bundle parser reads (one parser, one set of checks, for every kind of evidence).
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": a.verification_material.certificate},
            "tlogEntries": a.verification_material.transparency_entries,
        },
        "dsseEnvelope": {
            "payload": a.envelope.statement,
            "payloadType": INTOTO,
            "signatures": [{"sig": a.envelope.signature, "keyid": ""}],
        },
    });
    let bytes =
        serde_json::to_vec(&bundle).map_err(|e| ("attestation-malformed", e.to_string()))?;
    Bundle::from_json(&bytes).map_err(|e| (e.code(), format!("the attestation as a bundle: {e}")))
}

fn publisher_of(p: RawPublisher) -> Publisher {
    Publisher {
        kind: p.kind,
        repository: p.repository,
        workflow: p.workflow,
        environment: p.environment,
        email: p.email,
    }
}

/// Reads a PEP 740 file: one attestation object (`NAME.publish.attestation`,
/// `NAME.attestation`), a provenance object (`NAME.provenance`, PyPI's Integrity API), or a JSON
/// array of either (a wheelhouse's set). Each attestation is converted on its own: one that
/// cannot be is reported broken, the others still count.
pub fn read(bytes: &[u8]) -> Result<Vec<Converted>, (&'static str, String)> {
    let v: Value = parse(bytes, limits::MAX_BUNDLE_BYTES * 4, limits::MAX_JSON_DEPTH)
        .map_err(|e| ("attestation-malformed", e.to_string()))?;
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        if item.get("attestation_bundles").is_some() {
            let p: RawProvenance = serde_json::from_value(item).map_err(|e| {
                (
                    "attestation-malformed",
                    format!("not a PEP 740 provenance object: {e}"),
                )
            })?;
            if p.version != 1 {
                return Err((
                    "attestation-malformed",
                    format!("provenance version {} (only 1 is defined)", p.version),
                ));
            }
            for b in p.attestation_bundles {
                let publisher = b.publisher.map(publisher_of);
                for a in b.attestations {
                    out.push(Converted {
                        bundle: convert(&a),
                        publisher: publisher.clone(),
                        raw: serde_json::to_vec(&a).unwrap_or_default(),
                    });
                }
            }
        } else {
            out.push(Converted {
                bundle: convert(&item),
                publisher: None,
                raw: serde_json::to_vec(&item).unwrap_or_default(),
            });
        }
        if out.len() > MAX_ATTESTATIONS {
            return Err((
                "attestation-malformed",
                format!("more than {MAX_ATTESTATIONS} attestations"),
            ));
        }
    }
    Ok(out)
}

/// One bundle of npm's attestations document, with the predicate type the registry lists.
pub struct NpmAttestation {
    pub predicate_type: String,
    pub bundle: Result<Bundle, (&'static str, String)>,
    pub raw: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNpmDocument {
    attestations: Vec<RawNpmItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNpmItem {
    #[serde(default)]
    predicate_type: String,
    bundle: Value,
}

/// Reads npm's attestations document as the registry serves it
/// (`/-/npm/v1/attestations/NAME@VERSION`, `npm view`).
pub fn read_npm(bytes: &[u8]) -> Result<Vec<NpmAttestation>, (&'static str, String)> {
    let d: RawNpmDocument = parse(bytes, limits::MAX_BUNDLE_BYTES * 4, limits::MAX_JSON_DEPTH)
        .map_err(|e| {
            (
                "attestation-malformed",
                format!("not npm's attestations document: {e}"),
            )
        })?;
    if d.attestations.len() > MAX_ATTESTATIONS {
        return Err((
            "attestation-malformed",
            format!("more than {MAX_ATTESTATIONS} attestations"),
        ));
    }
    Ok(d.attestations
        .into_iter()
        .map(|i| {
            let raw = serde_json::to_vec(&i.bundle).unwrap_or_default();
            NpmAttestation {
                predicate_type: i.predicate_type,
                bundle: Bundle::from_json(&raw).map_err(|e| (e.code(), e.to_string())),
                raw,
            }
        })
        .collect())
}

/// A Python distribution file name, parsed as pypi-attestations compares them: the normalized
/// project name, the version, and for a wheel its build tag and the set of its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistName {
    pub project: String,
    pub version: String,
    pub build: Option<String>,
    pub tags: std::collections::BTreeSet<String>,
}

/// PEP 503: "the name should be lowercased with all runs of the characters ., -, or _ replaced
/// with a single - character".
fn normalize_project(n: &str) -> String {
    let mut out = String::with_capacity(n.len());
    let mut sep = false;
    for c in n.chars() {
        if matches!(c, '.' | '-' | '_') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '!'))
}

/// Parses a wheel (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, the binary
/// distribution format) or an sdist (`{name}-{version}.tar.gz`, or the older `.zip`) file name.
/// `None` when it is neither.
pub fn parse_dist_name(file: &str) -> Option<DistName> {
    if let Some(stem) = file.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, *p, *a, *pl),
            [n, v, b, p, a, pl] => (*n, *v, Some(*b), *p, *a, *pl),
            _ => return None,
        };
        if !valid_part(name)
            || !valid_part(version)
            || [py, abi, plat].iter().any(|p| !valid_part(p))
        {
            return None;
        }
        if let Some(b) = build {
            // The build tag must start with a digit.
            if !b.starts_with(|c: char| c.is_ascii_digit()) || !valid_part(b) {
                return None;
            }
        }
        // Compressed tag sets (`py2.py3-none-any`) expand to every combination.
        let mut tags = std::collections::BTreeSet::new();
        for p in py.split('.') {
            for a in abi.split('.') {
                for pl in plat.split('.') {
                    tags.insert(format!("{p}-{a}-{pl}").to_ascii_lowercase());
                    if tags.len() > 1024 {
                        return None;
                    }
                }
            }
        }
        return Some(DistName {
            project: normalize_project(name),
            version: version.to_ascii_lowercase(),
            build: build.map(str::to_string),
            tags,
        });
    }
    let stem = file
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_suffix(".zip"))?;
    let (name, version) = stem.rsplit_once('-')?;
    if !valid_part(version) || name.is_empty() {
        return None;
    }
    Some(DistName {
        project: normalize_project(name),
        version: version.to_ascii_lowercase(),
        build: None,
        tags: Default::default(),
    })
}

/// Whether a file name is a Python distribution's.
pub fn is_distribution(file: &str) -> bool {
    parse_dist_name(file).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_and_sdist_names_compare_as_pypi_attestations_does() {
        let a = parse_dist_name("rfc8785-0.1.2-py3-none-any.whl").unwrap();
        assert_eq!(a.project, "rfc8785");
        assert_eq!(
            parse_dist_name("Foo_Bar-1.0-py2.py3-none-any.whl").unwrap(),
            parse_dist_name("foo.bar-1.0-py3.py2-none-any.whl").unwrap()
        );
        assert_ne!(
            parse_dist_name("foo-1.0-py3-none-any.whl"),
            parse_dist_name("foo-1.1-py3-none-any.whl")
        );
        let s = parse_dist_name("pypi_attestations-0.0.19.tar.gz").unwrap();
        assert_eq!(
            (s.project.as_str(), s.version.as_str()),
            ("pypi-attestations", "0.0.19")
        );
        assert!(parse_dist_name("foo-1.0.tgz").is_none());
        assert!(
            parse_dist_name("foo-1.0-x-py3-none-any.whl").is_none(),
            "build tag must start with a digit"
        );
        assert!(parse_dist_name("evil.whl").is_none());
    }

    #[test]
    fn a_provenance_object_keeps_each_publisher_with_its_attestations() {
        let att = json!({"version": 1, "verification_material": {"certificate": "AAAA", "transparency_entries": []}, "envelope": {"statement": "e30=", "signature": "AAAA"}});
        let doc = json!({"version": 1, "attestation_bundles": [
            {"publisher": {"kind": "GitHub", "repository": "a/b", "workflow": "release.yml", "environment": null}, "attestations": [att.clone(), att.clone()]},
            {"publisher": {"kind": "GitLab", "repository": "g/p", "workflow": ".gitlab-ci.yml"}, "attestations": [att]},
        ]});
        let out = read(&serde_json::to_vec(&doc).unwrap()).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].publisher.as_ref().unwrap().kind, "GitLab");
        // No log entry: refused as PEP 740 requires one.
        assert_eq!(
            out[0].bundle.as_ref().err().unwrap().0,
            "tlog-entry-missing"
        );
    }

    #[test]
    fn project_names_normalize_per_pep_503() {
        assert_eq!(normalize_project("Foo__Bar.baz"), "foo-bar-baz");
    }
}
