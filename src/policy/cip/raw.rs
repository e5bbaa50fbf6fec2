//! The YAML shape of a `ClusterImagePolicy` document as written (policy.sigstore.dev
//! v1alpha1/v1beta1), before validation: every field optional or defaulted as the CRD allows,
//! unknown fields refused where the CRD has none.
//!
//! Owns: deserialization only. Must not touch: meaning (that is `convert` in the parent).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawDoc {
    pub(super) api_version: Option<String>,
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) metadata: RawMeta,
    pub(super) spec: Option<RawSpec>,
    /// Written by the cluster, not by the operator: ignored.
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) status: serde_yaml_ng::Value,
}

#[derive(Deserialize, Default)]
pub(super) struct RawMeta {
    pub(super) name: Option<String>,
    #[serde(flatten)]
    #[allow(dead_code)]
    pub(super) other: BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawSpec {
    #[serde(default)]
    pub(super) images: Vec<RawImage>,
    #[serde(default)]
    pub(super) authorities: Vec<RawAuthority>,
    pub(super) policy: Option<RawPolicy>,
    pub(super) mode: Option<String>,
    #[serde(rename = "match")]
    pub(super) match_: Option<serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImage {
    pub(super) glob: Option<String>,
    /// v1alpha1 only; deprecated upstream and refused here (a regex where a glob is expected).
    pub(super) regex: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawAuthority {
    pub(super) name: Option<String>,
    pub(super) key: Option<RawKey>,
    pub(super) keyless: Option<RawKeyless>,
    #[serde(rename = "static")]
    pub(super) static_: Option<RawStatic>,
    pub(super) source: Option<serde_yaml_ng::Value>,
    pub(super) sources: Option<serde_yaml_ng::Value>,
    pub(super) ctlog: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub(super) attestations: Vec<RawAttestation>,
    #[serde(rename = "rfc3161timestamp")]
    pub(super) rfc3161_timestamp: Option<serde_yaml_ng::Value>,
    pub(super) signature_format: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawKey {
    pub(super) data: Option<String>,
    pub(super) secret_ref: Option<serde_yaml_ng::Value>,
    pub(super) kms: Option<String>,
    pub(super) hash_algorithm: Option<String>,
    /// airlock extension: an HMAC-SHA256 key file (owner-only), relative to the policy file.
    pub(super) hmac_key_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawKeyless {
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) identities: Vec<RawIdentity>,
    #[serde(rename = "ca-cert")]
    pub(super) ca_cert: Option<serde_yaml_ng::Value>,
    pub(super) trust_root_ref: Option<String>,
    pub(super) insecure_ignore_sct: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawIdentity {
    pub(super) issuer: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) issuer_reg_exp: Option<String>,
    pub(super) subject_reg_exp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatic {
    pub(super) action: Option<String>,
    pub(super) message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawAttestation {
    pub(super) name: Option<String>,
    pub(super) predicate_type: Option<String>,
    pub(super) policy: Option<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPolicy {
    #[serde(rename = "type")]
    pub(super) type_: Option<String>,
    #[serde(flatten)]
    #[allow(dead_code)]
    pub(super) rest: BTreeMap<String, serde_yaml_ng::Value>,
}
