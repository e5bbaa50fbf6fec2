//! Python and npm packages on the stick: PEP 740 attestations (one object, PyPI's provenance
//! with several bundles, a wheelhouse's set) and npm's attestations document (SLSA provenance
//! and the registry's key-signed publish attestation, subjects by SHA-512), minted by the fake
//! Sigstore in each shape, and each tamper refused for its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::import_support;

use common::fake_sigstore::{der, x509, LeafSpec, San};
use import_support::*;
use serde_json::{json, Value};

const PUBLISH: &str = "https://docs.pypi.org/attestations/publish/v1";
const SLSA1: &str = "https://slsa.dev/provenance/v1";
const NPM_PUBLISH: &str = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
const WHEEL: &str = "demo_pkg-1.0.0-py3-none-any.whl";

fn fulcio_ext(oid_tail: u32, v: &str) -> x509::Ext {
    x509::Ext::new(
        &format!("1.3.6.1.4.1.57264.1.{oid_tail}"),
        false,
        der::utf8(v),
    )
}

/// A GitHub Actions leaf for `owner/repo`'s `release.yml`.
fn github_leaf(repo: &str) -> LeafSpec {
    let mut l = LeafSpec {
        sans: vec![San::Uri(format!(
            "https://github.com/{repo}/.github/workflows/release.yml@refs/tags/v1"
        ))],
        ..LeafSpec::default()
    };
    l.extra_exts
        .push(fulcio_ext(12, &format!("https://github.com/{repo}")));
    l.extra_exts.push(fulcio_ext(
        18,
        &format!("https://github.com/{repo}/.github/workflows/release.yml@refs/tags/v1"),
    ));
    l
}

fn gitlab_leaf() -> LeafSpec {
    let mut l = LeafSpec {
        sans: vec![San::Uri(
            "https://gitlab.com/group/project//.gitlab-ci.yml@refs/tags/v1".into(),
        )],
        oidc_issuer: Some("https://gitlab.com".into()),
        oidc_issuer_legacy: Some("https://gitlab.com".into()),
        ..LeafSpec::default()
    };
    l.extra_exts
        .push(fulcio_ext(12, "https://gitlab.com/group/project"));
    l.extra_exts.push(fulcio_ext(
        18,
        "https://gitlab.com/group/project//.gitlab-ci.yml@refs/tags/v1",
    ));
    l
}

fn email_leaf() -> LeafSpec {
    LeafSpec {
        sans: vec![San::Email("maintainer@example.org".into())],
        oidc_issuer: Some("https://accounts.google.com".into()),
        oidc_issuer_legacy: Some("https://accounts.google.com".into()),
        ..LeafSpec::default()
    }
}

/// A PEP 740 attestation object about `subject_name` with `digest` (hex), of `ptype`.
fn attestation(leaf: LeafSpec, subject_name: &str, digest: &str, ptype: &str) -> Value {
    let spec = fs::Spec {
        statement: Some(fs::statement(subject_name, digest, ptype, json!({}))),
        leaf,
        ..fs::Spec::v03().dsse()
    };
    let m = fs::fake().mint(&spec);
    oci::pep740_attestation(&m.bundle)
}

fn hex256(b: &[u8]) -> String {
    hex::encode(fs::sha256(b))
}

fn identity_policy(name: &str, issuer: &str, subject_re: &str, globs: &str) -> String {
    format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: {name}\nspec:\n  images:\n  - glob: \"{globs}\"\n  authorities:\n  - keyless:\n      identities:\n      - issuer: {issuer}\n        subjectRegExp: '{subject_re}'\n"
    )
}

fn github_policy(repo: &str) -> String {
    identity_policy(
        "pypi",
        fs::OIDC_ISSUER,
        &format!("^https://github.com/{repo}/"),
        "**",
    )
}

/// A folder with `files` (name, bytes) written; the import of it.
fn import_dir(policy: &str, files: &[(&str, Vec<u8>)]) -> Run {
    let e = env(policy);
    let dir = e.dir.path().join("wheelhouse");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, b) in files {
        std::fs::write(dir.join(n), b).unwrap();
    }
    e.import(&[&dir])
}

fn artifact<'a>(r: &'a Run, name: &str) -> &'a Value {
    r.artifacts()
        .iter()
        .find(|a| a["artifact"]["name"] == name)
        .unwrap_or_else(|| panic!("no artifact {name}: {}", r.stdout))
}

#[test]
fn a_wheel_with_its_publish_attestation_is_accepted_with_its_trusted_publisher() {
    let wheel = b"wheel bytes".to_vec();
    let att = attestation(github_leaf("acme/demo"), WHEEL, &hex256(&wheel), PUBLISH);
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (WHEEL, wheel),
            (
                &format!("{WHEEL}.publish.attestation"),
                serde_json::to_vec(&att).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.artifacts().len(),
        1,
        "the attestation is evidence, not an artifact"
    );
    let a = artifact(&r, WHEEL);
    assert_eq!(a["evidence"][0]["kind"], "pep740-attestation");
    assert_eq!(a["publisher"]["kind"], "GitHub");
    assert_eq!(a["publisher"]["repository"], "acme/demo");
    assert_eq!(a["publisher"]["workflow"], "release.yml");
}

#[test]
fn the_same_bytes_under_another_file_name_are_refused_as_subject_name_mismatch() {
    let wheel = b"wheel bytes".to_vec();
    let att = attestation(github_leaf("acme/demo"), WHEEL, &hex256(&wheel), PUBLISH);
    let other = "evil_pkg-1.0.0-py3-none-any.whl";
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (other, wheel),
            (
                &format!("{other}.publish.attestation"),
                serde_json::to_vec(&att).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let a = artifact(&r, other);
    assert_eq!(a["reason"], "subject-name-mismatch", "{a}");
}

#[test]
fn tampered_wheel_and_edited_statement_are_refused() {
    let wheel = b"wheel bytes".to_vec();
    let att = attestation(github_leaf("acme/demo"), WHEEL, &hex256(&wheel), PUBLISH);
    // The file's bytes changed after signing.
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (WHEEL, b"wheel bytes, trojaned".to_vec()),
            (
                &format!("{WHEEL}.publish.attestation"),
                serde_json::to_vec(&att).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(artifact(&r, WHEEL)["reason"], "artifact-not-in-statement");
    // The statement edited after signing (another digest put in).
    let mut edited = att.clone();
    let st: Value =
        serde_json::from_slice(&fs::unb64(att["envelope"]["statement"].as_str().unwrap())).unwrap();
    let mut st2 = st.clone();
    st2["subject"][0]["digest"]["sha256"] = json!(hex256(b"other"));
    edited["envelope"]["statement"] = json!(fs::b64(&serde_json::to_vec(&st2).unwrap()));
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (WHEEL, b"other".to_vec()),
            (
                &format!("{WHEEL}.attestation"),
                serde_json::to_vec(&edited).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        artifact(&r, WHEEL)["reason"],
        "dsse-signature-invalid",
        "{}",
        r.stdout
    );
}

#[test]
fn a_provenance_object_with_several_bundles_and_identities() {
    let sdist = b"sdist bytes".to_vec();
    let name = "demo_pkg-1.0.0.tar.gz";
    let d = hex256(&sdist);
    let provenance = json!({"version": 1, "attestation_bundles": [
        {"publisher": {"kind": "GitHub", "repository": "acme/demo", "workflow": "release.yml", "environment": "pypi"},
         "attestations": [attestation(github_leaf("acme/demo"), name, &d, PUBLISH), attestation(github_leaf("acme/demo"), name, &d, SLSA1)]},
        {"publisher": {"kind": "GitLab", "repository": "group/project", "workflow": ".gitlab-ci.yml"},
         "attestations": [attestation(gitlab_leaf(), name, &d, PUBLISH)]},
        {"attestations": [attestation(email_leaf(), name, &d, PUBLISH)]},
    ]});
    let files = [
        (name, sdist.clone()),
        (
            &*format!("{name}.provenance"),
            serde_json::to_vec(&provenance).unwrap(),
        ),
    ];
    // Each identity satisfies its own policy.
    for (policy, kind) in [
        (github_policy("acme/demo"), "GitHub"),
        (identity_policy("gl", "https://gitlab.com", "^https://gitlab.com/group/project//", "**"), "GitLab"),
        ("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: mail\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - keyless:\n      identities:\n      - issuer: https://accounts.google.com\n        subject: maintainer@example.org\n".to_string(), "Google"),
    ] {
        let r = import_dir(&policy, &files.iter().map(|(n, b)| (*n, b.clone())).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{kind}: {}\n{}", r.stdout, r.stderr);
        let a = artifact(&r, name);
        assert_eq!(a["evidence"].as_array().unwrap().len(), 4);
        assert!(a["evidence"].as_array().unwrap().iter().all(|e| e["verified"] == true), "{a}");
        let kinds: Vec<&str> = a["evidence"].as_array().unwrap().iter().map(|e| e["publisher"]["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
}

#[test]
fn a_provenance_naming_another_publisher_than_the_certificate_is_refused() {
    let wheel = b"wheel bytes".to_vec();
    let provenance = json!({"version": 1, "attestation_bundles": [
        {"publisher": {"kind": "GitHub", "repository": "acme/other", "workflow": "release.yml"},
         "attestations": [attestation(github_leaf("acme/demo"), WHEEL, &hex256(&wheel), PUBLISH)]},
    ]});
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (WHEEL, wheel),
            (
                &format!("{WHEEL}.provenance"),
                serde_json::to_vec(&provenance).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        artifact(&r, WHEEL)["reason"],
        "publisher-mismatch",
        "{}",
        r.stdout
    );
}

#[test]
fn a_wrong_publisher_identity_is_refused_by_the_policy() {
    let wheel = b"wheel bytes".to_vec();
    let att = attestation(github_leaf("mallory/demo"), WHEEL, &hex256(&wheel), PUBLISH);
    let r = import_dir(
        &github_policy("acme/demo"),
        &[
            (WHEEL, wheel),
            (
                &format!("{WHEEL}.publish.attestation"),
                serde_json::to_vec(&att).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        artifact(&r, WHEEL)["reason"],
        "identity-mismatch",
        "{}",
        r.stdout
    );
}

#[test]
fn a_wheelhouse_attestation_set_binds_each_attestation_by_its_subject() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut set = Vec::new();
    for i in 0..5 {
        let name = format!("pkg{i}-1.0-py3-none-any.whl");
        let bytes = format!("wheel {i}").into_bytes();
        set.push(attestation(
            github_leaf("acme/demo"),
            &name,
            &hex256(&bytes),
            PUBLISH,
        ));
        files.push((name, bytes));
    }
    files.push((
        "wheelhouse.attestation".into(),
        serde_json::to_vec(&Value::Array(set)).unwrap(),
    ));
    let r = import_dir(
        &github_policy("acme/demo"),
        &files
            .iter()
            .map(|(n, b)| (n.as_str(), b.clone()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.artifacts().len(), 5);
}

// ---- npm ----

fn sha512(b: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, b))
}

/// npm's statements name `pkg:npm/NAME@VERSION` with a SHA-512 digest only.
fn npm_statement(digest512: &str, ptype: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "pkg:npm/demo@1.0.0", "digest": {"sha512": digest512}}],
        "predicateType": ptype,
        "predicate": {},
    }))
    .unwrap()
}

fn npm_document(tgz: &[u8]) -> Value {
    let d = sha512(tgz);
    let slsa = fs::fake().mint(&fs::Spec {
        statement: Some(npm_statement(&d, SLSA1)),
        leaf: github_leaf("acme/demo"),
        ..fs::Spec::v03().dsse()
    });
    let publish = fs::fake().mint(&fs::Spec {
        statement: Some(npm_statement(&d, NPM_PUBLISH)),
        ..fs::Spec::v03().dsse().managed_key()
    });
    json!({"attestations": [
        {"predicateType": SLSA1, "bundle": slsa.bundle},
        {"predicateType": NPM_PUBLISH, "bundle": publish.bundle},
    ]})
}

/// The site trusts npm's registry key: `trusted` is the one that signed, or another.
fn npm_policy_trusting(other: bool) -> String {
    let f = fs::fake();
    let k = if other {
        &f.other_managed_key
    } else {
        &f.managed_key
    };
    let key = k.public_pem().replace('\n', "\n        ");
    format!(
        "{}---\napiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: npm-registry\nspec:\n  images:\n  - glob: \"**.tgz\"\n  authorities:\n  - key:\n      data: |\n        {key}\n",
        github_policy("acme/demo")
    )
}

fn npm_policy() -> String {
    npm_policy_trusting(false)
}

#[test]
fn an_npm_package_with_provenance_and_publish_attestation_binds_by_sha512() {
    let tgz = b"npm tarball".to_vec();
    let doc = npm_document(&tgz);
    let r = import_dir(
        &npm_policy(),
        &[
            ("demo-1.0.0.tgz", tgz),
            (
                "demo-1.0.0.tgz.attestations.json",
                serde_json::to_vec(&doc).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a = artifact(&r, "demo-1.0.0.tgz");
    assert_eq!(a["evidence"].as_array().unwrap().len(), 2);
    assert!(
        a["predicateTypes"]
            .as_array()
            .unwrap()
            .contains(&json!(NPM_PUBLISH)),
        "{a}"
    );
    assert_eq!(a["artifact"]["sha512"], sha512(b"npm tarball"));
    // Bound by digest alone too: a document named after the package, not the file.
    let doc = npm_document(b"npm tarball");
    let r = import_dir(
        &npm_policy(),
        &[
            ("demo-1.0.0.tgz", b"npm tarball".to_vec()),
            ("demo.attestations.json", serde_json::to_vec(&doc).unwrap()),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn an_npm_publish_attestation_under_another_key_is_refused() {
    let tgz = b"npm tarball".to_vec();
    let doc = npm_document(&tgz);
    let r = import_dir(
        &npm_policy_trusting(true),
        &[
            ("demo-1.0.0.tgz", tgz),
            (
                "demo-1.0.0.attestations.json",
                serde_json::to_vec(&doc).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let a = artifact(&r, "demo-1.0.0.tgz");
    assert_eq!(a["policies"][1]["name"], "npm-registry");
    assert_eq!(a["policies"][1]["satisfied"], false, "{a}");
}

#[test]
fn an_npm_tarball_changed_after_publishing_is_refused() {
    let doc = npm_document(b"npm tarball");
    let r = import_dir(
        &npm_policy(),
        &[
            ("demo-1.0.0.tgz", b"npm tarball!".to_vec()),
            (
                "demo-1.0.0.tgz.attestations.json",
                serde_json::to_vec(&doc).unwrap(),
            ),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        artifact(&r, "demo-1.0.0.tgz")["reason"],
        "artifact-not-in-statement",
        "{}",
        r.stdout
    );
}
