//! What must hold beyond cryptography: who signed (certificate identity and OIDC issuer).
//!
//! Owns: identity matchers and their stable reason codes. Must not touch: crypto, files, the
//! clock, the ledger. It reads facts that `verify` already established.

pub mod cip;

use regex::Regex;

use crate::fulcio::CertificateSummary;

/// Why a verified signature still does not satisfy the policy.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    #[error("certificate identity {found:?} does not match {expected}")]
    IdentityMismatch {
        expected: String,
        found: Vec<String>,
    },
    #[error("certificate OIDC issuer {found:?} does not match {expected}")]
    IssuerMismatch {
        expected: String,
        found: Option<String>,
    },
    #[error("invalid regular expression '{pattern}': {why}")]
    BadRegex { pattern: String, why: String },
}

impl PolicyError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IdentityMismatch { .. } => "identity-mismatch",
            Self::IssuerMismatch { .. } => "issuer-mismatch",
            Self::BadRegex { .. } => "policy-invalid",
        }
    }
}

/// Matches one string exactly or by regular expression.
///
/// Regular expressions follow cosign's `--certificate-identity-regexp`: they match anywhere in
/// the value unless anchored with `^…$`, so operators should anchor them.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(Regex),
}

impl Matcher {
    /// An exact matcher.
    pub fn exact(s: impl Into<String>) -> Self {
        Matcher::Exact(s.into())
    }

    /// A regular-expression matcher (size-capped to stop pathological patterns).
    pub fn regex(pattern: &str) -> Result<Self, PolicyError> {
        regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| PolicyError::BadRegex {
                pattern: pattern.to_string(),
                why: e.to_string(),
            })
    }

    pub fn is_match(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matcher::Exact(s) => format!("'{s}'"),
            Matcher::Regex(r) => format!("regexp '{}'", r.as_str()),
        }
    }
}

/// The expected signer of a keyless (Fulcio) signature.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    pub identity: Matcher,
    pub issuer: Matcher,
}

/// The identity that satisfied a policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedIdentity {
    pub subject_alternative_name: String,
    pub issuer: String,
}

impl IdentityPolicy {
    /// A policy every certificate identity satisfies (an absent OIDC issuer included): for
    /// callers that verify the cryptography first and decide who is acceptable afterwards,
    /// against several authorities (`import` and its ClusterImagePolicy).
    pub fn any() -> IdentityPolicy {
        let all = || match regex::Regex::new("") {
            Ok(r) => Matcher::Regex(r),
            Err(_) => Matcher::exact(""),
        };
        IdentityPolicy {
            identity: all(),
            issuer: all(),
        }
    }

    /// Checks the certificate's SANs and OIDC issuer.
    ///
    /// Sigstore client spec (Verification, identity; paraphrased): the verifier checks that the
    /// certificate's SAN and the OIDC issuer extension match the expected identity.
    pub fn check(&self, cert: &CertificateSummary) -> Result<VerifiedIdentity, PolicyError> {
        let issuer = cert.oidc_issuer.clone();
        // An absent issuer (GitHub's release attestations carry none) is matched only by a
        // regular expression that matches the empty string, such as `^$`; an exact issuer
        // never matches it.
        let issuer_ok = match issuer.as_deref() {
            Some(i) => self.issuer.is_match(i),
            None => matches!(&self.issuer, Matcher::Regex(r) if r.is_match("")),
        };
        if !issuer_ok {
            return Err(PolicyError::IssuerMismatch {
                expected: self.issuer.describe(),
                found: issuer,
            });
        }
        let san = cert
            .subject_alternative_names
            .iter()
            .find(|s| self.identity.is_match(s.value()));
        match san {
            Some(san) => Ok(VerifiedIdentity {
                subject_alternative_name: san.value().to_string(),
                issuer: issuer.unwrap_or_default(),
            }),
            None => Err(PolicyError::IdentityMismatch {
                expected: self.identity.describe(),
                found: cert
                    .subject_alternative_names
                    .iter()
                    .map(|s| s.value().to_string())
                    .collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fulcio::San;

    fn summary(san: &str, issuer: Option<&str>) -> CertificateSummary {
        CertificateSummary {
            serial: "01".into(),
            issuer: "CN=sigstore-intermediate".into(),
            not_before: jiff::Timestamp::UNIX_EPOCH,
            not_after: jiff::Timestamp::UNIX_EPOCH,
            subject_alternative_names: vec![San::Uri(san.into())],
            oidc_issuer: issuer.map(str::to_string),
            fulcio_extensions: Default::default(),
        }
    }

    const WF: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    const GH: &str = "https://token.actions.githubusercontent.com";

    #[test]
    fn exact_identity_and_issuer_pass() {
        let p = IdentityPolicy {
            identity: Matcher::exact(WF),
            issuer: Matcher::exact(GH),
        };
        let id = p.check(&summary(WF, Some(GH))).map_err(|e| e.to_string());
        assert_eq!(id.map(|i| i.subject_alternative_name), Ok(WF.to_string()));
    }

    #[test]
    fn signer_from_another_repository_is_refused() {
        let p = IdentityPolicy {
            identity: Matcher::exact(WF),
            issuer: Matcher::exact(GH),
        };
        let other = WF.replace("acme", "evil");
        assert_eq!(
            p.check(&summary(&other, Some(GH))).map_err(|e| e.code()),
            Err("identity-mismatch")
        );
    }

    #[test]
    fn token_from_another_issuer_is_refused() {
        let p = IdentityPolicy {
            identity: Matcher::exact(WF),
            issuer: Matcher::exact(GH),
        };
        assert_eq!(
            p.check(&summary(WF, Some("https://evil.example")))
                .map_err(|e| e.code()),
            Err("issuer-mismatch")
        );
        assert_eq!(
            p.check(&summary(WF, None)).map_err(|e| e.code()),
            Err("issuer-mismatch")
        );
    }

    #[test]
    fn absent_issuer_matches_only_a_regexp_that_matches_empty() {
        let none = summary(WF, None);
        let p = |issuer: Matcher| IdentityPolicy {
            identity: Matcher::exact(WF),
            issuer,
        };
        assert!(p(Matcher::regex("^$").unwrap()).check(&none).is_ok());
        assert!(p(Matcher::regex("^https://").unwrap())
            .check(&none)
            .is_err());
        assert!(p(Matcher::exact("")).check(&none).is_err());
    }

    /// Matches any signer: for callers that verify first and decide who is acceptable after.
    #[test]
    fn any_matches_every_identity_and_an_absent_issuer() {
        assert!(IdentityPolicy::any().check(&summary(WF, None)).is_ok());
        assert!(IdentityPolicy::any().check(&summary("x", Some(GH))).is_ok());
    }

    #[test]
    fn anchored_regexp_refuses_a_prefix_lookalike() {
        let p = IdentityPolicy {
            identity: Matcher::regex("^https://github\\.com/acme/").unwrap_or(Matcher::exact("")),
            issuer: Matcher::exact(GH),
        };
        assert!(p.check(&summary(WF, Some(GH))).is_ok());
        let lookalike = "https://github.com.evil.example/acme/x";
        assert!(p.check(&summary(lookalike, Some(GH))).is_err());
    }
}
