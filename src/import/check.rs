//! One artifact's decision: every piece of evidence verified (by the one verifier, against the
//! trust root, at the time passed in), then every matching ClusterImagePolicy evaluated.
//!
//! Owns: which digest or bytes each kind of evidence is verified against, the keys tried for
//! managed-key and HMAC evidence, and the policy-controller semantics (matching policies AND,
//! authorities OR, an authority with attestations satisfied by those alone). Must not touch:
//! files, the clock, the database.

use crate::bundle::dsse::{Statement, INTOTO_PAYLOAD_TYPE};
use crate::bundle::predicate::{self, PredicateSummary};
use crate::bundle::proof::ProofRecord;
use crate::bundle::{Bundle, Content, HashAlgorithm};
use crate::evidence::{Evidence, Material};
use crate::import::report::{ArtifactResult, EvidenceResult, PolicyResult, SignerInfo, Verdict};
use crate::policy::cip::{Authority, ClusterImagePolicy, Mode, PolicySet, Trust};
use crate::policy::IdentityPolicy;
use crate::reference::{self, NameRef, NameSource};
use crate::time::Timestamp;
use crate::verify::{self, Artifact, SignerPolicy, VerifiedBundle, VerifiedSigner, Verifier};

/// What an artifact is, for the checks.
pub struct Subject<'a> {
    /// `sha256:<hex>`.
    pub digest: &'a str,
    /// Names matched against the policy's globs (references, chart names, file names), each with
    /// where it came from.
    pub names: Vec<NameRef>,
    /// An image (signed names inside statements count for it), as opposed to a file.
    pub image: bool,
    /// The file's name, for a file: what a PEP 740 attestation's subject must name.
    pub file_name: Option<&'a str>,
    /// The file's SHA-512, when computed (npm provenance names packages by SHA-512 alone).
    pub sha512: Option<&'a [u8]>,
    /// Where evidence was searched, for "no signature" messages.
    pub searched: &'a str,
}

/// A trust root to verify against, and how results name it.
pub struct Trusted<'a> {
    pub verifier: &'a Verifier,
    pub root: crate::import::report::TrustRootRef,
}

/// The verifiers, the policy and the time every check of one import shares.
pub struct Checker<'a> {
    pub roots: &'a [Trusted<'a>],
    pub policies: &'a PolicySet,
    pub now: Timestamp,
    /// A key-signed signature may stand without a log entry (a Zarf package, as `zarf package
    /// verify` checks it).
    pub key_without_log: bool,
}

/// One verified fact about the artifact.
struct Fact {
    signer: FactSigner,
    /// A signature over the artifact (as opposed to an attestation about it).
    signature: bool,
    predicate: Option<PredicateSummary>,
}

#[derive(Clone)]
enum FactSigner {
    Certificate(Box<crate::verify::cert::CertificateSummary>),
    Key(String),
    Hmac(String),
}

fn failed(origin: &str, kind: &'static str, code: &str, message: String) -> EvidenceResult {
    EvidenceResult {
        origin: origin.to_string(),
        kind: kind.into(),
        verified: false,
        reason: Some(code.to_string()),
        message: Some(message),
        ..EvidenceResult::default()
    }
}

impl Checker<'_> {
    fn keys(&self) -> Vec<(&str, &crate::crypto::PublicKey)> {
        let mut out: Vec<(&str, &crate::crypto::PublicKey)> = Vec::new();
        for p in &self.policies.policies {
            for a in &p.authorities {
                if let Trust::Key { key, key_id } = &a.trust {
                    if !out.iter().any(|(id, _)| *id == key_id.as_str()) {
                        out.push((key_id.as_str(), key));
                    }
                }
            }
        }
        out
    }

    fn hmac_keys(&self) -> Vec<&crate::policy::cip::HmacKey> {
        let mut out: Vec<&crate::policy::cip::HmacKey> = Vec::new();
        for p in &self.policies.policies {
            for a in &p.authorities {
                if let Trust::Hmac(k) = &a.trust {
                    if !out.iter().any(|o| o.id == k.id) {
                        out.push(k);
                    }
                }
            }
        }
        out
    }

    /// The trust root for `b`: the instance whose Fulcio CA issued its leaf, else the first.
    fn pick(&self, b: &Bundle) -> Option<&Trusted<'_>> {
        let i = crate::trust::pick_root(
            b.signing_leaf(),
            self.roots.iter().map(|t| t.verifier.root()),
        )?;
        self.roots.get(i)
    }

    /// Verifies a bundle for `artifact`: a certificate against the trust root (any identity:
    /// the policy decides who is acceptable), a managed key against each key the policy names.
    fn verify_bundle(
        &self,
        b: &Bundle,
        artifact: Artifact<'_>,
    ) -> Result<(VerifiedBundle, Option<String>), (String, String)> {
        let Some(t) = self.pick(b) else {
            return Err((
                "trust-root-unavailable".into(),
                "no trust root loaded".into(),
            ));
        };
        let instance = t.root.instance.clone();
        match &b.signing_material {
            crate::bundle::SigningMaterial::Certificate { .. } => t
                .verifier
                .verify(
                    b,
                    artifact,
                    &SignerPolicy::Identity(IdentityPolicy::any()),
                    self.now,
                )
                .map(|v| (v, instance))
                .map_err(|e| (e.code().to_string(), e.to_string())),
            crate::bundle::SigningMaterial::PublicKey { .. } => {
                let keys = self.keys();
                if keys.is_empty() {
                    return Err((
                        "key-required".into(),
                        "signed with a managed key, and no authority of the policy names a key"
                            .into(),
                    ));
                }
                let mut first = None;
                for (_, k) in keys {
                    let policy = if self.key_without_log {
                        SignerPolicy::KeyWithoutLog(k.clone())
                    } else {
                        SignerPolicy::Key(k.clone())
                    };
                    match t.verifier.verify(b, artifact, &policy, self.now) {
                        Ok(v) => return Ok((v, instance)),
                        Err(e) => {
                            first.get_or_insert((e.code().to_string(), e.to_string()));
                        }
                    }
                }
                Err(first.unwrap_or_default())
            }
        }
    }

    /// The inner proof record of a statement whose predicate is `{body, signature}`, checked
    /// under every HMAC key of the policy.
    fn inner_proof(
        &self,
        st: &Statement,
        digest_hex: &str,
        facts: &mut Vec<Fact>,
        r: &mut EvidenceResult,
    ) {
        let Ok(rec) = ProofRecord::from_value(&st.predicate) else {
            return;
        };
        let (ok, key) = self.check_record(&rec, digest_hex);
        r.proof_record = Some(match &ok {
            Ok(()) => "verified".to_string(),
            Err((code, _)) => format!("not verified ({code})"),
        });
        if let (Ok(()), Some(id)) = (ok, key) {
            facts.push(Fact {
                signer: FactSigner::Hmac(id),
                signature: true,
                predicate: None,
            });
        }
    }

    fn check_record(
        &self,
        rec: &ProofRecord,
        digest_hex: &str,
    ) -> (Result<(), (String, String)>, Option<String>) {
        if !rec.subjects.iter().any(|s| s.sha256 == digest_hex) {
            return (
                Err((
                    "proof-record-subject-mismatch".into(),
                    format!("the record does not name sha256:{digest_hex}"),
                )),
                None,
            );
        }
        let keys = self.hmac_keys();
        if keys.is_empty() {
            return (
                Err((
                    "hmac-key-required".into(),
                    "no authority of the policy names an HMAC key".into(),
                )),
                None,
            );
        }
        for k in keys {
            if verify::hmac::verify_record(rec, &k.secret, &k.id).is_ok() {
                return (Ok(()), Some(k.id.clone()));
            }
        }
        (
            Err((
                "hmac-invalid".into(),
                "the record's HMAC matches no key of the policy".into(),
            )),
            None,
        )
    }

    /// Verifies one piece of evidence about `digest`; pushes what it proves onto `facts`.
    fn verify_one(
        &self,
        ev: &Evidence,
        subject: &Subject<'_>,
        names: &mut Vec<NameRef>,
        facts: &mut Vec<Fact>,
    ) -> EvidenceResult {
        let digest = subject.digest;
        let kind = ev.material.kind();
        let hex_digest = digest.trim_start_matches("sha256:");
        let Ok(raw) = hex::decode(hex_digest) else {
            return failed(
                &ev.origin,
                kind,
                "digest-invalid",
                format!("{digest} is not a sha256 digest"),
            );
        };
        let artifact = Artifact::Digest(HashAlgorithm::Sha256, &raw);
        let (bundle, as_artifact): (&Bundle, Artifact<'_>) = match &ev.material {
            Material::Broken { code, message } => {
                return failed(&ev.origin, kind, code, message.clone())
            }
            Material::Bundle(b) | Material::LegacyAttestation(b) => {
                (b.as_ref(), dsse_artifact(b, artifact, subject.sha512))
            }
            Material::Pep740 { bundle, publisher } => {
                let before = facts.len();
                let mut r = self.finish_bundle(ev, bundle, artifact, hex_digest, facts, names);
                if r.verified {
                    if let Err((code, message)) = pep740_checks(&mut r, subject, publisher.as_ref())
                    {
                        facts.truncate(before);
                        return failed(&ev.origin, kind, code, message);
                    }
                    // PEP 740: the attestation is the distribution's signature.
                    if let Some(f) = facts.get_mut(before) {
                        f.signature = true;
                    }
                }
                return r;
            }
            Material::Npm {
                bundle,
                predicate_type,
            } => {
                let before = facts.len();
                let a = dsse_artifact(bundle, artifact, subject.sha512);
                let r = self.finish_bundle(ev, bundle, a, hex_digest, facts, names);
                if r.verified {
                    let signed = r
                        .predicate
                        .as_ref()
                        .map(|p| p.predicate_type.as_str())
                        .unwrap_or_default();
                    // The registry's listing names the predicate type; the signed statement must
                    // agree with it.
                    if !predicate_type.is_empty() && signed != predicate_type {
                        facts.truncate(before);
                        return failed(
                            &ev.origin,
                            kind,
                            "predicate-type-mismatch",
                            format!(
                                "npm lists it as {} but the signed statement is {}",
                                crate::text::escape(predicate_type),
                                crate::text::escape(signed)
                            ),
                        );
                    }
                    // npm's provenance and publish attestation are the package's signatures.
                    if let Some(f) = facts.get_mut(before) {
                        f.signature = true;
                    }
                }
                return r;
            }
            Material::LegacySignature {
                bundle,
                payload,
                claimed_digest,
                docker_reference,
            } => {
                // cosign: the payload's critical.image.docker-manifest-digest must be the digest
                // of the manifest the signature is attached to.
                if claimed_digest != digest {
                    return failed(
                        &ev.origin,
                        kind,
                        "payload-digest-mismatch",
                        format!(
                            "the signed payload names {} , not this image {digest}",
                            crate::text::escape(claimed_digest)
                        ),
                    );
                }
                let mut r = self.finish_bundle(
                    ev,
                    bundle,
                    Artifact::Bytes(payload),
                    hex_digest,
                    facts,
                    names,
                );
                if r.verified {
                    if let Some(d) = docker_reference {
                        names.push(NameRef::new(d.clone(), NameSource::SignedPayload));
                        r.docker_reference = Some(d.clone());
                    }
                }
                return r;
            }
            Material::Proof(rec) => {
                let (ok, key) = self.check_record(rec, hex_digest);
                return match (ok, key) {
                    (Ok(()), Some(id)) => {
                        facts.push(Fact {
                            signer: FactSigner::Hmac(id.clone()),
                            signature: true,
                            predicate: None,
                        });
                        EvidenceResult {
                            origin: ev.origin.clone(),
                            kind: kind.into(),
                            verified: true,
                            signer: Some(SignerInfo::hmac(&id)),
                            proof_record: Some("verified".into()),
                            ..EvidenceResult::default()
                        }
                    }
                    (Err((code, m)), _) => failed(&ev.origin, kind, &code, m),
                    (Ok(()), None) => failed(&ev.origin, kind, "hmac-invalid", "no key".into()),
                };
            }
            Material::HmacEnvelope(env) => {
                let keys = self.hmac_keys();
                let Some(k) = keys
                    .iter()
                    .find(|k| verify::hmac::verify_envelope(env, &k.secret, &k.id).is_ok())
                else {
                    return failed(
                        &ev.origin,
                        kind,
                        "dsse-hmac-invalid",
                        "no HMAC key of the policy signed this envelope".into(),
                    );
                };
                if env.payload_type != INTOTO_PAYLOAD_TYPE {
                    return failed(
                        &ev.origin,
                        kind,
                        "dsse-payload-not-intoto",
                        format!("payload type {}", crate::text::escape(&env.payload_type)),
                    );
                }
                let st = match Statement::from_json(&env.payload) {
                    Ok(s) => s,
                    Err(e) => {
                        return failed(&ev.origin, kind, "dsse-payload-malformed", e.to_string())
                    }
                };
                if !st.subject.iter().any(|s| {
                    s.digest
                        .get("sha256")
                        .is_some_and(|d| d.eq_ignore_ascii_case(hex_digest))
                }) {
                    return failed(
                        &ev.origin,
                        kind,
                        "artifact-not-in-statement",
                        format!("the statement does not name {digest}"),
                    );
                }
                let p = predicate::summarize(&st.predicate_type, &st.predicate);
                let mut r = EvidenceResult {
                    origin: ev.origin.clone(),
                    kind: kind.into(),
                    verified: true,
                    signer: Some(SignerInfo::hmac(&k.id)),
                    predicate: Some(p.clone()),
                    ..EvidenceResult::default()
                };
                facts.push(Fact {
                    signer: FactSigner::Hmac(k.id.clone()),
                    signature: st.predicate_type == predicate::COSIGN_SIGN,
                    predicate: Some(p),
                });
                self.inner_proof(&st, hex_digest, facts, &mut r);
                return r;
            }
        };
        self.finish_bundle(ev, bundle, as_artifact, hex_digest, facts, names)
    }

    fn finish_bundle(
        &self,
        ev: &Evidence,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        hex_digest: &str,
        facts: &mut Vec<Fact>,
        names: &mut Vec<NameRef>,
    ) -> EvidenceResult {
        let kind = ev.material.kind();
        let (v, instance) = match self.verify_bundle(bundle, artifact) {
            Ok(v) => v,
            Err((code, message)) => return failed(&ev.origin, kind, &code, message),
        };
        let signer = match &v.signer {
            VerifiedSigner::Certificate { certificate, .. } => {
                FactSigner::Certificate(certificate.clone())
            }
            VerifiedSigner::Key { key_id } => FactSigner::Key(format!("sha256:{key_id}")),
        };
        let mut r = EvidenceResult::from_verified(&ev.origin, kind, &v);
        r.instance = instance;
        let (is_signature, summary) = match (&bundle.content, &v.statement) {
            (Content::MessageSignature(_), _) => (true, None),
            (Content::Dsse(_), Some(st)) => {
                let p = predicate::summarize(&st.predicate_type, &st.predicate);
                (st.predicate_type == predicate::COSIGN_SIGN, Some(p))
            }
            (Content::Dsse(_), None) => (false, None),
        };
        // SLSA provenance must agree with the certificate's Fulcio source-repository claims.
        if let (Some(p), FactSigner::Certificate(c)) = (&summary, &signer) {
            if let Some(slsa) = &p.slsa {
                if let Some(why) = source_disagreement(slsa, c) {
                    r.verified = false;
                    r.reason = Some("slsa-source-mismatch".into());
                    r.message = Some(why);
                    r.predicate = summary.clone();
                    return r;
                }
            }
        }
        r.predicate = summary.clone();
        if let Some(st) = &v.statement {
            r.subject_names = st.subject.iter().map(|s| s.name.clone()).collect();
        }
        facts.push(Fact {
            signer,
            signature: is_signature,
            predicate: summary,
        });
        if let Some(st) = &v.statement {
            // actions/attest-build-provenance with push-to-registry signs the image's name as
            // the subject's `name`; a name is taken only from the subject naming this digest.
            for s in &st.subject {
                let names_this = s
                    .digest
                    .get("sha256")
                    .is_some_and(|d| d.eq_ignore_ascii_case(hex_digest));
                if names_this && reference::is_layout_name(&s.name) {
                    names.push(NameRef::new(s.name.clone(), NameSource::StatementSubject));
                }
            }
            self.inner_proof(st, hex_digest, facts, &mut r);
        }
        r
    }

    /// Decides one artifact.
    pub fn check(&self, subject: Subject<'_>, evidence: &[&Evidence]) -> ArtifactResult {
        let mut refs = subject.names.clone();
        let mut facts = Vec::new();
        let results: Vec<EvidenceResult> = evidence
            .iter()
            .map(|ev| {
                let mut r = self.verify_one(ev, &subject, &mut refs, &mut facts);
                r.stored = ev.raw.iter().map(|p| p.digest()).collect();
                r
            })
            .collect();
        if !subject.image {
            refs.retain(|r| r.source != NameSource::StatementSubject);
        }
        refs.sort();
        refs.dedup();
        let mut names: Vec<String> = refs.iter().map(|r| r.name.clone()).collect();
        names.sort();
        names.dedup();
        let mut glob_names: Vec<String> = names
            .iter()
            .flat_map(|n| reference::glob_forms(n))
            .collect();
        glob_names.sort();
        glob_names.dedup();
        let matching: Vec<&ClusterImagePolicy> = self
            .policies
            .policies
            .iter()
            .filter(|p| p.matches(&glob_names))
            .collect();
        let mut policies = Vec::new();
        for p in &matching {
            policies.push(evaluate(p, &facts, &results, subject.searched));
        }
        let mut out = ArtifactResult {
            names: names.clone(),
            references: refs.clone(),
            verdict: Verdict::Accepted,
            reason: None,
            message: None,
            evidence: results,
            policies,
            warnings: name_disagreements(&refs),
            ..ArtifactResult::default()
        };
        if matching.is_empty() {
            out.verdict = Verdict::Rejected;
            out.reason = Some("no-policy-matched".into());
            out.message = Some(format!(
                "no ClusterImagePolicy of {} matches {}",
                self.policies.file,
                if names.is_empty() && subject.image {
                    "this image: it has no name (the layout names none and no verified signature \
                     does); name it with `airlock import --image REF`, or an ENTRY.image file \
                     beside it in the daemon's inbox"
                        .to_string()
                } else if names.is_empty() {
                    "this unnamed artifact".to_string()
                } else {
                    names.join(", ")
                }
            ));
            return out;
        }
        for p in &out.policies {
            if p.satisfied {
                continue;
            }
            if p.mode == Mode::Warn {
                out.warnings.push(format!(
                    "policy {} (mode: warn) not satisfied: {}",
                    p.name,
                    p.message.clone().unwrap_or_default()
                ));
                continue;
            }
            if out.verdict == Verdict::Accepted {
                out.verdict = Verdict::Rejected;
                out.reason = p.reason.clone();
                out.message = Some(format!(
                    "policy {}: {}",
                    p.name,
                    p.message.clone().unwrap_or_default()
                ));
            }
        }
        out
    }
}

/// The digest a bundle's DSSE statement can be matched against: SHA-256 when it names one, else
/// the file's SHA-512 when it names that (npm), else the SHA-256 (and the verifier says why not).
fn dsse_artifact<'x>(b: &Bundle, sha256: Artifact<'x>, sha512: Option<&'x [u8]>) -> Artifact<'x> {
    let Content::Dsse(env) = &b.content else {
        return sha256;
    };
    // Unverified: read only to pick the algorithm; the verifier checks the signed statement.
    let Ok(st) = Statement::from_json(&env.payload) else {
        return sha256;
    };
    let names = |alg: &str| st.subject.iter().any(|s| s.digest.contains_key(alg));
    match sha512 {
        Some(d) if !names("sha256") && names("sha512") => {
            Artifact::Digest(HashAlgorithm::Sha512, d)
        }
        _ => sha256,
    }
}

/// PEP 740's checks past the signature: one subject, naming this very distribution file
/// (pypi-attestations compares the parsed names: project, version, build tag and tags), a known
/// attestation type, and the publisher of a provenance object matching the certificate.
fn pep740_checks(
    r: &mut EvidenceResult,
    subject: &Subject<'_>,
    publisher: Option<&crate::bundle::pep740::Publisher>,
) -> Result<(), (&'static str, String)> {
    use crate::bundle::pep740::{self, parse_dist_name};
    let statement_names = r.subject_names.clone();
    // pypi-attestations: "too many subjects in statement (must be exactly one)".
    let [name] = statement_names.as_slice() else {
        return Err((
            "subject-name-mismatch",
            format!(
                "the statement names {} subjects; PEP 740 requires exactly one",
                statement_names.len()
            ),
        ));
    };
    let file = subject.file_name.unwrap_or_default();
    let (Some(signed), Some(ours)) = (parse_dist_name(name), parse_dist_name(file)) else {
        return Err((
            "subject-name-mismatch",
            format!(
                "the subject {} or the file {} is not a Python distribution name",
                crate::text::escape(name),
                crate::text::escape(file)
            ),
        ));
    };
    // PEP 740: the subject's name is the distribution's file name: the same bytes under another
    // name are refused.
    if signed != ours {
        return Err((
            "subject-name-mismatch",
            format!(
                "the attestation is for {}, not {}",
                crate::text::escape(name),
                crate::text::escape(file)
            ),
        ));
    }
    let ptype = r
        .predicate
        .as_ref()
        .map(|p| p.predicate_type.clone())
        .unwrap_or_default();
    if ptype != pep740::PYPI_PUBLISH_V1 && ptype != pep740::SLSA_PROVENANCE_V1 {
        return Err((
            "attestation-type-unknown",
            format!(
                "{} is not an attestation type PyPI knows",
                crate::text::escape(&ptype)
            ),
        ));
    }
    let from_cert = r.signer.as_ref().map(publisher_from_signer);
    if let (Some(p), Some(c)) = (publisher, &from_cert) {
        if let Some(why) = publisher_disagreement(p, c) {
            return Err(("publisher-mismatch", why));
        }
    }
    r.publisher = publisher.cloned().or(from_cert);
    Ok(())
}

/// The Trusted Publisher a verified certificate's Fulcio claims describe.
fn publisher_from_signer(s: &SignerInfo) -> crate::bundle::pep740::Publisher {
    let ext = |k: &str| s.fulcio_extensions.get(k).cloned();
    let issuer = s.issuer.clone().unwrap_or_default();
    let repo_of = |host: &str| {
        ext("SourceRepositoryURI").and_then(|u| {
            u.strip_prefix(host)
                .map(|r| r.trim_end_matches('/').to_string())
        })
    };
    // `https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1` → `release.yml`;
    // GitLab: `https://gitlab.com/GROUP/PROJECT//.gitlab-ci.yml@refs/...` → `.gitlab-ci.yml`.
    let workflow = ext("BuildConfigURI").and_then(|u| {
        let path = u.split('@').next().unwrap_or_default().to_string();
        path.rsplit('/').next().map(str::to_string)
    });
    let (kind, repository) = match issuer.as_str() {
        "https://token.actions.githubusercontent.com" => ("GitHub", repo_of("https://github.com/")),
        "https://gitlab.com" => ("GitLab", repo_of("https://gitlab.com/")),
        "https://accounts.google.com" => ("Google", None),
        other => (other, None),
    };
    let email = s
        .identity
        .clone()
        .filter(|i| i.contains('@') && !i.contains("://"));
    crate::bundle::pep740::Publisher {
        kind: kind.to_string(),
        repository,
        workflow: if matches!(kind, "GitHub" | "GitLab") {
            workflow
        } else {
            None
        },
        environment: None,
        email,
    }
}

/// How a provenance object's publisher disagrees with the certificate's, if it does.
fn publisher_disagreement(
    claimed: &crate::bundle::pep740::Publisher,
    cert: &crate::bundle::pep740::Publisher,
) -> Option<String> {
    if !claimed.kind.eq_ignore_ascii_case(&cert.kind) {
        return Some(format!(
            "the provenance names a {} publisher, the certificate was issued to {}",
            crate::text::escape(&claimed.kind),
            crate::text::escape(&cert.kind)
        ));
    }
    for (what, a, b) in [
        ("repository", &claimed.repository, &cert.repository),
        ("workflow", &claimed.workflow, &cert.workflow),
    ] {
        if let (Some(a), Some(b)) = (a, b) {
            if !a.eq_ignore_ascii_case(b) {
                return Some(format!(
                    "the provenance names {what} {}, the certificate {}",
                    crate::text::escape(a),
                    crate::text::escape(b)
                ));
            }
        }
    }
    None
}

/// A signed name (inside a verified signature) of another repository than every unsigned name
/// the policy was also applied to: reported, never rejected (a mirror is normal).
fn name_disagreements(refs: &[NameRef]) -> Vec<String> {
    let unsigned: Vec<&NameRef> = refs
        .iter()
        .filter(|r| !r.source.is_signed() && reference::parse(&r.name).is_some())
        .collect();
    if unsigned.is_empty() {
        return Vec::new();
    }
    refs.iter()
        .filter(|r| r.source.is_signed())
        .filter(|s| !unsigned.iter().any(|u| reference::same_repository(&s.name, &u.name)))
        .map(|s| {
            let given: Vec<String> = unsigned.iter().map(|u| crate::text::escape(&u.name)).collect();
            format!(
                "name-disagreement: the signed name {} ({}) is not of the repository of {} (unsigned: \
                 from the medium or the operator); a mirror is normal, a rename is worth a look",
                crate::text::escape(&s.name),
                match s.source {
                    NameSource::StatementSubject => "an in-toto statement's subject",
                    _ => "a signed payload",
                },
                given.join(", ")
            )
        })
        .collect()
}

/// The first way a SLSA provenance disagrees with the certificate's Fulcio claims, if any.
fn source_disagreement(
    slsa: &predicate::SlsaSummary,
    c: &crate::verify::cert::CertificateSummary,
) -> Option<String> {
    let cert_repo = c.fulcio_extensions.get("SourceRepositoryURI");
    if let (Some(p), Some(cr)) = (&slsa.source_repository, cert_repo) {
        if predicate::normalize_repository(p) != predicate::normalize_repository(cr) {
            return Some(format!(
                "the provenance names source {} but the certificate was issued for {}",
                crate::text::escape(p),
                crate::text::escape(cr)
            ));
        }
    }
    let cert_commit = c.fulcio_extensions.get("SourceRepositoryDigest");
    if let (Some(p), Some(cc)) = (&slsa.source_commit, cert_commit) {
        if !p.eq_ignore_ascii_case(cc) {
            return Some(format!(
                "the provenance names commit {} but the certificate was issued for {}",
                crate::text::escape(p),
                crate::text::escape(cc)
            ));
        }
    }
    None
}

/// Whether `signer` is one the authority trusts; `Err` says why not (for messages).
fn signer_matches(a: &Authority, signer: &FactSigner) -> Result<(), (&'static str, String)> {
    match (&a.trust, signer) {
        (Trust::Keyless { identities }, FactSigner::Certificate(c)) => {
            let mut last = None;
            for id in identities {
                let p = IdentityPolicy {
                    identity: id.subject.clone(),
                    issuer: id.issuer.clone(),
                };
                match p.check(c) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = Some((e.code(), e.to_string())),
                }
            }
            Err(last.unwrap_or(("identity-mismatch", "no identity".into())))
        }
        (Trust::Key { key_id, .. }, FactSigner::Key(k)) if k == key_id => Ok(()),
        (Trust::Hmac(h), FactSigner::Hmac(k)) if *k == h.id => Ok(()),
        (Trust::Key { key_id, .. }, _) => {
            Err(("key-mismatch", format!("not signed by key {key_id}")))
        }
        (Trust::Hmac(h), _) => Err(("key-mismatch", format!("not signed by HMAC key {}", h.id))),
        (Trust::Keyless { .. }, _) => Err((
            "identity-mismatch",
            "signed by a key, not a Fulcio certificate".into(),
        )),
        (Trust::Static { .. } | Trust::Unusable { .. }, _) => {
            Err(("policy-not-satisfied", "not a signing authority".into()))
        }
    }
}

fn evaluate(
    p: &ClusterImagePolicy,
    facts: &[Fact],
    results: &[EvidenceResult],
    searched: &str,
) -> PolicyResult {
    let mut out = PolicyResult {
        name: p.name.clone(),
        mode: p.mode,
        satisfied: false,
        authority: None,
        reason: None,
        message: None,
        not_applicable: p
            .not_applicable
            .iter()
            .chain(p.authorities.iter().flat_map(|a| a.not_applicable.iter()))
            .cloned()
            .collect(),
    };
    if let Some(u) = &p.unevaluated_policy {
        out.reason = Some("policy-not-evaluable".into());
        out.message = Some(format!(
            "{u} is a CUE/Rego policy, which airlock does not evaluate offline (fail closed)"
        ));
        return out;
    }
    let mut first_failure: Option<(String, String)> = None;
    for a in &p.authorities {
        match authority_satisfied(a, facts, results, searched) {
            Ok(()) => {
                out.satisfied = true;
                out.authority = Some(a.name.clone());
                return out;
            }
            Err(f) => {
                first_failure.get_or_insert(f);
            }
        }
    }
    if let Some((code, m)) = first_failure {
        out.reason = Some(code);
        out.message = Some(m);
    }
    out
}

fn authority_satisfied(
    a: &Authority,
    facts: &[Fact],
    results: &[EvidenceResult],
    searched: &str,
) -> Result<(), (String, String)> {
    match &a.trust {
        Trust::Static { pass: true, .. } => return Ok(()),
        Trust::Static {
            pass: false,
            message,
        } => {
            return Err((
                "static-fail".into(),
                format!("authority {} is static: fail {}", a.name, message),
            ))
        }
        Trust::Unusable { why } => {
            return Err((
                "authority-unusable".into(),
                format!("authority {}: {why}", a.name),
            ))
        }
        _ => {}
    }
    let mismatch = |want_signature: bool| -> (String, String) {
        let candidates: Vec<&Fact> = facts
            .iter()
            .filter(|f| f.signature == want_signature)
            .collect();
        if let Some(f) = candidates.first() {
            let (code, m) = signer_matches(a, &f.signer)
                .err()
                .unwrap_or(("policy-not-satisfied", String::new()));
            return (code.to_string(), format!("authority {}: {m}", a.name));
        }
        // Nothing verified: the first verification failure says why, else nothing was found.
        if let Some(r) = results.iter().find(|r| !r.verified) {
            return (
                r.reason.clone().unwrap_or_default(),
                format!("{}: {}", r.origin, r.message.clone().unwrap_or_default()),
            );
        }
        (
            "no-signature".into(),
            format!("no signature: searched {searched}"),
        )
    };
    if a.attestations.is_empty() {
        if facts
            .iter()
            .any(|f| f.signature && signer_matches(a, &f.signer).is_ok())
        {
            return Ok(());
        }
        return Err(mismatch(true));
    }
    // policy-controller: an authority that lists attestations is satisfied by them alone, each
    // listed predicate type by an attestation of that type from this authority's signer.
    for req in &a.attestations {
        if let Some(u) = &req.unevaluated_policy {
            return Err((
                "policy-not-evaluable".into(),
                format!("{u} is a CUE/Rego policy, which airlock does not evaluate offline (fail closed)"),
            ));
        }
        let ok = facts.iter().any(|f| {
            f.predicate
                .as_ref()
                .is_some_and(|p| p.predicate_type == req.predicate_type)
                && signer_matches(a, &f.signer).is_ok()
        });
        if !ok {
            let any_of_type = facts.iter().any(|f| {
                f.predicate
                    .as_ref()
                    .is_some_and(|p| p.predicate_type == req.predicate_type)
            });
            if any_of_type {
                let (code, m) = mismatch(false);
                return Err((code, format!("attestation {}: {m}", req.predicate_type)));
            }
            // Evidence that failed to verify says more than "missing".
            if let Some(r) = results.iter().find(|r| !r.verified) {
                return Err((
                    r.reason.clone().unwrap_or_default(),
                    format!(
                        "authority {} requires a {} attestation, and none verified: {}: {}",
                        a.name,
                        req.predicate_type,
                        r.origin,
                        r.message.clone().unwrap_or_default()
                    ),
                ));
            }
            return Err((
                "attestation-missing".into(),
                format!(
                    "authority {} requires a {} attestation ({}), and none verified",
                    a.name, req.predicate_type, req.name
                ),
            ));
        }
    }
    Ok(())
}
