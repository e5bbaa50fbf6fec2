//! What an in-toto statement's predicate says, for reports and policy: its family, and for SLSA
//! provenance the builder, build type and source.
//!
//! Owns: reading the predicate shapes (SLSA provenance v0.2 and v1, CycloneDX, SPDX, cosign's
//! sign/v1, in-toto release, VSA); any other type is kept as opaque. Must not touch: signatures,
//! the certificate (the comparison with Fulcio claims is the caller's), files.

use serde_json::Value;

pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
pub const SPDX: &str = "https://spdx.dev/Document";
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
pub const RELEASE: &str = "https://in-toto.io/attestation/release/v0.2";
pub const VSA: &str = "https://slsa.dev/verification_summary/v1";

/// The SLSA provenance facts airlock reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlsaSummary {
    pub builder_id: Option<String>,
    pub build_type: Option<String>,
    /// The source repository, as the provenance names it (`git+https://…@ref` kept as written).
    pub source_repository: Option<String>,
    pub source_commit: Option<String>,
}

/// One predicate, summarized.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredicateSummary {
    pub predicate_type: String,
    /// `slsa-provenance`, `cyclonedx`, `spdx`, `cosign-sign`, `release`, `vsa` or `opaque`.
    pub family: std::borrow::Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slsa: Option<SlsaSummary>,
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

/// Summarizes a predicate of type `predicate_type`.
pub fn summarize(predicate_type: &str, predicate: &Value) -> PredicateSummary {
    let family = match predicate_type {
        SLSA_V02 | SLSA_V1 => "slsa-provenance",
        t if t.starts_with("https://cyclonedx.org/bom") => "cyclonedx",
        t if t.starts_with("https://spdx.dev/Document") => "spdx",
        COSIGN_SIGN => "cosign-sign",
        RELEASE => "release",
        VSA => "vsa",
        _ => "opaque",
    };
    let slsa = match predicate_type {
        // SLSA v0.2: builder.id, buildType, invocation.configSource {uri, digest.sha1}.
        SLSA_V02 => Some(SlsaSummary {
            builder_id: s(predicate, &["builder", "id"]),
            build_type: s(predicate, &["buildType"]),
            source_repository: s(predicate, &["invocation", "configSource", "uri"]),
            source_commit: s(predicate, &["invocation", "configSource", "digest", "sha1"]).or_else(
                || {
                    s(
                        predicate,
                        &["invocation", "configSource", "digest", "gitCommit"],
                    )
                },
            ),
        }),
        // SLSA v1: runDetails.builder.id, buildDefinition.buildType, and the source among
        // buildDefinition.resolvedDependencies (a git URI with a gitCommit digest), or GitHub's
        // externalParameters.workflow.repository.
        SLSA_V1 => {
            let deps = predicate
                .get("buildDefinition")
                .and_then(|b| b.get("resolvedDependencies"))
                .and_then(Value::as_array);
            let git = deps.and_then(|d| {
                d.iter().take(crate::limits::MAX_INTOTO_SUBJECTS).find(|x| {
                    x.get("digest").and_then(|g| g.get("gitCommit")).is_some()
                        || x.get("uri")
                            .and_then(Value::as_str)
                            .is_some_and(|u| u.starts_with("git+"))
                })
            });
            Some(SlsaSummary {
                builder_id: s(predicate, &["runDetails", "builder", "id"]),
                build_type: s(predicate, &["buildDefinition", "buildType"]),
                source_repository: git.and_then(|g| s(g, &["uri"])).or_else(|| {
                    s(
                        predicate,
                        &[
                            "buildDefinition",
                            "externalParameters",
                            "workflow",
                            "repository",
                        ],
                    )
                }),
                source_commit: git.and_then(|g| {
                    s(g, &["digest", "gitCommit"]).or_else(|| s(g, &["digest", "sha1"]))
                }),
            })
        }
        _ => None,
    };
    PredicateSummary {
        predicate_type: predicate_type.to_string(),
        family: family.into(),
        slsa,
    }
}

/// A repository URI reduced for comparison: no `git+` prefix, no `@ref`, no `.git`, no trailing
/// slash, lowercase host.
pub fn normalize_repository(uri: &str) -> String {
    let u = uri.strip_prefix("git+").unwrap_or(uri);
    let u = match u.find("://") {
        Some(i) => match u[i + 3..].find('@') {
            Some(at) => &u[..i + 3 + at],
            None => u,
        },
        None => u,
    };
    let u = u.trim_end_matches('/');
    let u = u.strip_suffix(".git").unwrap_or(u);
    u.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slsa_v1_github_provenance_is_summarized() {
        let p = json!({
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"repository": "https://github.com/acme/app"}},
                "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/tags/v1", "digest": {"gitCommit": "abc123"}}]
            },
            "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}
        });
        let s = summarize(SLSA_V1, &p);
        assert_eq!(s.family, "slsa-provenance");
        let slsa = s.slsa.unwrap();
        assert_eq!(slsa.source_commit.as_deref(), Some("abc123"));
        assert_eq!(
            normalize_repository(slsa.source_repository.as_deref().unwrap()),
            "https://github.com/acme/app"
        );
    }

    #[test]
    fn slsa_v02_and_opaque_predicates_are_summarized() {
        let p = json!({"builder": {"id": "b"}, "buildType": "t", "invocation": {"configSource": {"uri": "git+https://github.com/acme/app.git@refs/heads/main", "digest": {"sha1": "def"}}}});
        let s = summarize(SLSA_V02, &p).slsa.unwrap();
        assert_eq!(s.builder_id.as_deref(), Some("b"));
        assert_eq!(
            normalize_repository(&s.source_repository.unwrap()),
            "https://github.com/acme/app"
        );
        assert_eq!(
            summarize("https://example.com/x", &json!({})).family,
            "opaque"
        );
        assert_eq!(
            summarize("https://cyclonedx.org/bom/v1.5", &json!({})).family,
            "cyclonedx"
        );
    }
}
