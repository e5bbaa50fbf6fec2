//! Tests of leaf parsing, path building and the Fulcio profile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::leaf::fulcio_name;
use super::*;
use crate::bundle::{Bundle, SigningMaterial};
use crate::trust::trusted_root::MEDIA_TYPE_V01;
use crate::verify::sct::verify_scts;

const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{CONF}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn root_at(rel: &str) -> TrustedRoot {
    TrustedRoot::from_json(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn prod() -> TrustedRoot {
    root_at("trusted-roots/public-good-production.json")
}

/// A conformance case: its leaf, the rest of its chain, the signing time and its root.
struct Case {
    leaf: Leaf,
    rest: Vec<Vec<u8>>,
    at: Timestamp,
    root: TrustedRoot,
}

/// The root a case is verified against: its own trusted_root.json, else production.
fn case(name: &str) -> Case {
    let dir = format!("bundle-verify/{name}");
    let root = if std::path::Path::new(&format!("{CONF}/{dir}/trusted_root.json")).exists() {
        root_at(&format!("{dir}/trusted_root.json"))
    } else {
        prod()
    };
    let bundle = Bundle::from_json(&read(&format!("{dir}/bundle.sigstore.json")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let SigningMaterial::Certificate { leaf, rest } = bundle.signing_material else {
        panic!("{name}: not a certificate bundle");
    };
    let leaf = parse_leaf(&leaf).unwrap_or_else(|e| panic!("{name}: {e}"));
    // The tlog integrated time when there is one; Rekor v2 entries have none (their time
    // comes from a TSA within the leaf's ten minutes), so use the leaf's notBefore.
    let at = match bundle.tlog_entries.first().and_then(|e| e.integrated_time) {
        Some(t) => crate::time::from_unix_seconds(t).unwrap_or_else(|e| panic!("{e}")),
        None => leaf.summary.not_before,
    };
    Case {
        leaf,
        rest,
        at,
        root,
    }
}

fn chain_code(c: &Case) -> Result<ChainOk, &'static str> {
    verify_chain(&c.leaf, &c.rest, &c.root, c.at).map_err(|e| e.code())
}

fn ok_chain(c: &Case) -> ChainOk {
    verify_chain(&c.leaf, &c.rest, &c.root, c.at).unwrap_or_else(|e| panic!("{e}"))
}

/// Flips the last byte of the first occurrence of `needle` in `der`.
fn flip_last_of(der: &[u8], needle: &[u8]) -> Vec<u8> {
    let pos = der
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("needle not found"));
    let mut out = der.to_vec();
    out[pos + needle.len() - 1] ^= 0x01;
    out
}

#[derive(serde::Deserialize)]
struct ManifestLine {
    id: String,
    bundle: String,
    expect: String,
}

fn manifest_cert_cases() -> Vec<(String, String)> {
    String::from_utf8_lossy(&read("manifest.jsonl"))
        .lines()
        .filter_map(|l| serde_json::from_str::<ManifestLine>(l).ok())
        .filter_map(|m| {
            let name = m.id.rsplit('/').next()?.to_string();
            let b = Bundle::from_json(&read(&m.bundle)).ok()?;
            matches!(b.signing_material, SigningMaterial::Certificate { .. })
                .then_some((name, m.expect))
        })
        .collect()
}

// ---- conformance cases ----

#[test]
fn every_passing_conformance_leaf_chains_and_has_a_verified_sct() {
    let mut n = 0;
    for (name, expect) in manifest_cert_cases() {
        if expect != "pass" {
            continue;
        }
        let c = case(&name);
        let ok = verify_chain(&c.leaf, &c.rest, &c.root, c.at)
            .unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()));
        let scts = verify_scts(&c.leaf, &ok, &c.root)
            .unwrap_or_else(|e| panic!("{name}: {} ({e})", e.code()));
        assert!(scts >= 1, "{name}");
        n += 1;
    }
    assert!(n >= 15, "only {n} passing certificate cases found");
}

/// Which `_fail` cases the certificate checks refuse, and with which code; every other
/// `_fail` case carries a good certificate and must pass here (it fails elsewhere: the
/// signature, the tlog, the TSA...), so these checks never mask the intended failure.
#[test]
fn failing_conformance_cases_are_caught_here_or_left_to_their_own_check() {
    let caught: BTreeMap<&str, &str> = [
        ("bundle-from-wrong-instance_fail", "certificate-untrusted"),
        (
            "bundle-with-root-cert_fail",
            "certificate-chain-contains-root",
        ),
        (
            "integrated-time-in-future_fail",
            "certificate-not-valid-at-signing-time",
        ),
        (
            "intoto-expired-certificate_fail",
            "certificate-outside-ca-validity",
        ),
        (
            "intoto-set-outside-signing-cert-validity_fail",
            "certificate-not-valid-at-signing-time",
        ),
        ("invalid-ct-key_fail", "sct-unknown-log"),
    ]
    .into_iter()
    .collect();
    let mut seen = 0;
    for (name, expect) in manifest_cert_cases() {
        if expect != "fail" {
            continue;
        }
        let root_file = format!("bundle-verify/{name}/trusted_root.json");
        if std::path::Path::new(&format!("{CONF}/{root_file}")).exists()
            && TrustedRoot::from_json(&read(&root_file)).is_err()
        {
            continue; // refused by the trusted-root parser before any certificate
        }
        let c = case(&name);
        let outcome = match verify_chain(&c.leaf, &c.rest, &c.root, c.at) {
            Err(e) => e.code(),
            Ok(ok) => match verify_scts(&c.leaf, &ok, &c.root) {
                Err(e) => e.code(),
                Ok(_) => "pass",
            },
        };
        let want = caught.get(name.as_str()).copied().unwrap_or("pass");
        assert_eq!(outcome, want, "{name}");
        seen += usize::from(want != "pass");
    }
    assert_eq!(seen, caught.len());
}

#[test]
fn leaf_from_staging_ca_is_untrusted_under_production_root() {
    let c = case("bundle-from-wrong-instance_fail");
    assert_eq!(chain_code(&c), Err("certificate-untrusted"));
    // The same leaf is fine under the staging root.
    let staging = root_at("trusted-roots/public-good-staging.json");
    let ok = verify_chain(&c.leaf, &c.rest, &staging, c.at).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verify_scts(&c.leaf, &ok, &staging), Ok(1));
}

#[test]
fn bundle_chain_carrying_a_root_certificate_is_refused() {
    let c = case("bundle-with-root-cert_fail");
    assert_eq!(c.rest.len(), 2);
    assert_eq!(chain_code(&c), Err("certificate-chain-contains-root"));
}

#[test]
fn leaf_issued_after_its_ca_certificate_expired_is_refused() {
    // notBefore 2030, mock CA certificate expired 2024, validFor open from 2023.
    let c = case("intoto-expired-certificate_fail");
    assert_eq!(chain_code(&c), Err("certificate-outside-ca-validity"));
}

#[test]
fn integrated_time_after_leaf_expiry_is_refused() {
    let c = case("integrated-time-in-future_fail");
    assert!(matches!(
        verify_chain(&c.leaf, &c.rest, &c.root, c.at),
        Err(CertError::NotValidAtSigningTime { at, not_after, .. }) if at > not_after
    ));
}

#[test]
fn set_time_outside_leaf_validity_is_refused() {
    let c = case("intoto-set-outside-signing-cert-validity_fail");
    assert_eq!(chain_code(&c), Err("certificate-not-valid-at-signing-time"));
}

#[test]
fn sct_checked_with_the_ct_keys_of_another_instance_is_refused() {
    let c = case("invalid-ct-key_fail");
    let ok = ok_chain(&c);
    let e = verify_scts(&c.leaf, &ok, &c.root).map_err(|e| e.code());
    assert!(matches!(e, Err("sct-invalid" | "sct-unknown-log")), "{e:?}");
    // The same leaf verifies against the production CT keys.
    assert_eq!(verify_scts(&c.leaf, &ok, &prod()), Ok(1));
}

#[test]
fn sct_with_non_empty_extensions_verifies() {
    let c = case("bundle-with-sct-with-extensions");
    let ok = ok_chain(&c);
    assert_eq!(verify_scts(&c.leaf, &ok, &c.root), Ok(1));
}

// ---- tampering with real certificates ----

#[test]
fn sct_with_flipped_signature_is_refused() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let value = c.leaf.facts.sct_list.clone().unwrap_or_default();
    // The SCT list ends with the last SCT's signature.
    let tampered = parse_leaf(&flip_last_of(&c.leaf.der, &value)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        verify_scts(&tampered, &ok, &c.root),
        Err(CertError::Sct(SctError::Invalid { .. }))
    ));
}

#[test]
fn sct_over_a_changed_certificate_is_refused() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let tampered = flip_last_of(&c.leaf.der, b"workflow_dispatch");
    let tampered = parse_leaf(&tampered).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        verify_scts(&tampered, &ok, &c.root).map_err(|e| e.code()),
        Err("sct-invalid")
    );
    // And the CA's signature no longer covers it either.
    assert_eq!(
        verify_chain(&tampered, &[], &c.root, c.at).map_err(|e| e.code()),
        Err("certificate-untrusted")
    );
}

#[test]
fn sct_against_the_wrong_issuer_key_is_refused() {
    let c = case("happy-path-v0.3");
    let mut ok = ok_chain(&c);
    // issuer_key_hash binds the precertificate to its CA.
    ok.issuer_spki_der = c.leaf.public_key.spki_der().to_vec();
    assert_eq!(
        verify_scts(&c.leaf, &ok, &c.root).map_err(|e| e.code()),
        Err("sct-invalid")
    );
}

#[test]
fn sct_from_a_log_absent_from_the_trusted_root_is_refused() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let mut root = c.root.clone();
    root.ctlogs.clear();
    assert!(matches!(
        verify_scts(&c.leaf, &ok, &root),
        Err(CertError::Sct(SctError::UnknownLog { log_ids })) if log_ids.len() == 1
    ));
}

#[test]
fn sct_dated_outside_the_ct_key_validity_is_refused() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let mut root = c.root.clone();
    for l in &mut root.ctlogs {
        l.valid_for.end = Some(l.valid_for.start);
    }
    assert_eq!(
        verify_scts(&c.leaf, &ok, &root).map_err(|e| e.code()),
        Err("sct-invalid")
    );
}

#[test]
fn leaf_with_flipped_ca_signature_is_untrusted() {
    let c = case("happy-path-v0.3");
    let sig = c.leaf.facts.signature.clone();
    let tampered = parse_leaf(&flip_last_of(&c.leaf.der, &sig)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        verify_chain(&tampered, &[], &c.root, c.at).map_err(|e| e.code()),
        Err("certificate-untrusted")
    );
}

#[test]
fn signing_time_after_ca_validfor_end_is_refused_and_end_is_inclusive() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let mut root = c.root.clone();
    root.certificate_authorities[ok.ca_index].valid_for.end = Some(c.at);
    assert!(verify_chain(&c.leaf, &c.rest, &root, c.at).is_ok());
    let before = c.at - jiff::SignedDuration::from_secs(1);
    root.certificate_authorities[ok.ca_index].valid_for.end = Some(before);
    assert!(matches!(
        verify_chain(&c.leaf, &c.rest, &root, c.at),
        Err(CertError::OutsideCaValidity { .. })
    ));
}

#[test]
fn chain_is_checked_at_the_signing_time_not_now() {
    // The 2023 leaf expired long ago; at its integrated time it was valid.
    let c = case("happy-path-v0.1");
    assert!(verify_chain(&c.leaf, &c.rest, &c.root, c.at).is_ok());
    let later = c.leaf.summary.not_after + jiff::SignedDuration::from_secs(1);
    assert_eq!(
        verify_chain(&c.leaf, &c.rest, &c.root, later).map_err(|e| e.code()),
        Err("certificate-not-valid-at-signing-time")
    );
    // Several calls reuse the memoized leaf signature check and stay correct.
    assert!(verify_chain(&c.leaf, &c.rest, &c.root, c.at).is_ok());
}

#[test]
fn trusted_chain_with_broken_intermediate_signature_is_refused() {
    let c = case("happy-path-v0.3");
    let ok = ok_chain(&c);
    let mut root = c.root.clone();
    let chain = &mut root.certificate_authorities[ok.ca_index].cert_chain;
    // Flip the last byte of the intermediate's signature.
    let inter = chain[0].clone();
    let n = inter.len();
    let mut bad = inter;
    bad[n - 1] ^= 0x01;
    chain[0] = bad;
    // The intermediate's key is unchanged, so the leaf still verifies under it; the link
    // to the root does not.
    assert_eq!(
        verify_chain(&c.leaf, &c.rest, &root, c.at).map_err(|e| e.code()),
        Err("trusted-ca-invalid")
    );
}

#[test]
fn leaf_summary_reads_san_issuer_and_every_fulcio_extension() {
    let c = case("happy-path-intoto-in-dsse-v3");
    let s = &c.leaf.summary;
    assert_eq!(s.serial, "73b8a61fb654922066090ee17280b49a8ca9788d");
    assert_eq!(s.issuer, "O=sigstore.dev, CN=sigstore-intermediate");
    assert_eq!(
        s.oidc_issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        s.subject_alternative_names,
        vec![San::Uri("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into())]
    );
    let names: Vec<&str> = s.fulcio_extensions.keys().map(String::as_str).collect();
    for arc in (1..=22u8).filter(|a| *a != 7) {
        let name = fulcio_name(arc).unwrap_or_default();
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(
        s.fulcio_extensions["GithubWorkflowTrigger"],
        "workflow_dispatch"
    );
    assert_eq!(
        s.fulcio_extensions["SourceRepositoryVisibilityAtSigning"],
        "public"
    );
    assert_eq!(s.fulcio_extensions["RunnerEnvironment"], "github-hosted");
    assert_eq!(c.leaf.default_hash, HashAlgorithm::Sha256);
}

#[test]
fn subject_walk_agrees_with_the_parser_on_every_trusted_certificate() {
    let mut n = 0;
    let dir = std::fs::read_dir(format!("{CONF}/bundle-verify")).unwrap();
    let mut roots: Vec<String> = dir
        .filter_map(|e| e.ok())
        .map(|e| {
            format!(
                "bundle-verify/{}/trusted_root.json",
                e.file_name().to_string_lossy()
            )
        })
        .filter(|p| std::path::Path::new(&format!("{CONF}/{p}")).exists())
        .collect();
    roots.push("trusted-roots/public-good-production.json".into());
    roots.push("trusted-roots/public-good-staging.json".into());
    for r in roots {
        let Ok(root) = TrustedRoot::from_json(&read(&r)) else {
            continue;
        };
        for ca in root
            .certificate_authorities
            .iter()
            .chain(&root.timestamp_authorities)
        {
            for der in &ca.cert_chain {
                let c = parse_cert(der).unwrap();
                assert_eq!(der::cert_subject(der), Some(c.subject().as_raw()), "{r}");
                n += 1;
            }
        }
    }
    assert!(n > 20);
}

#[test]
fn leaf_with_trailing_bytes_is_refused() {
    let c = case("happy-path-v0.3");
    let mut der = c.leaf.der.clone();
    der.push(0);
    assert_eq!(
        parse_leaf(&der).map(|_| ()).map_err(|e| e.code()),
        Err("certificate-malformed")
    );
}

#[test]
fn truncated_leaf_is_refused() {
    let c = case("happy-path-v0.3");
    let der = &c.leaf.der[..c.leaf.der.len() - 1];
    assert_eq!(
        parse_leaf(der).map(|_| ()).map_err(|e| e.code()),
        Err("certificate-malformed")
    );
}

// ---- synthetic certificates (rcgen) for the profile checks ----

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, OtherNameValue, SanType,
    PKCS_ECDSA_P384_SHA384,
};

const FULCIO: [u64; 9] = [1, 3, 6, 1, 4, 1, 57264, 1, 0];

fn fulcio_oid(arc: u64) -> Vec<u64> {
    let mut o = FULCIO.to_vec();
    o[8] = arc;
    o
}

fn der_utf8(s: &str) -> Vec<u8> {
    let mut v = vec![0x0c, s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

fn test_ca(name: &str) -> TestCa {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "airlock.test");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2024, 1, 1);
    params.not_after = date_time_ymd(2034, 1, 1);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    TestCa { params, key, der }
}

/// A Fulcio-shaped leaf, valid 2024-05-01 for a day, that `tweak` may change.
fn leaf_from(ca: &TestCa, tweak: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::default();
    p.subject_alt_names = vec![SanType::Rfc822Name("dev@airlock.test".try_into().unwrap())];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p.not_before = date_time_ymd(2024, 5, 1);
    p.not_after = date_time_ymd(2024, 5, 2);
    p.custom_extensions = vec![CustomExtension::from_oid_content(
        &fulcio_oid(8),
        der_utf8("https://accounts.airlock.test"),
    )];
    tweak(&mut p);
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    p.signed_by(&key, &issuer).unwrap().der().to_vec()
}

fn root_of(ca_chain: Vec<Vec<u8>>) -> TrustedRoot {
    TrustedRoot {
        media_type: MEDIA_TYPE_V01.into(),
        tlogs: vec![],
        certificate_authorities: vec![CertificateAuthority {
            organization: "airlock.test".into(),
            common_name: "test".into(),
            uri: "https://ca.airlock.test".into(),
            cert_chain: ca_chain,
            valid_for: crate::time::Window {
                start: "2024-01-01T00:00:00Z".parse().unwrap(),
                end: None,
            },
        }],
        ctlogs: vec![],
        timestamp_authorities: vec![],
        digest: vec![],
    }
}

fn at() -> Timestamp {
    "2024-05-01T12:00:00Z".parse().unwrap()
}

fn synthetic(tweak: impl FnOnce(&mut CertificateParams)) -> Result<ChainOk, &'static str> {
    let ca = test_ca("fulcio.test");
    let leaf = parse_leaf(&leaf_from(&ca, tweak)).map_err(|e| e.code())?;
    verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()).map_err(|e| e.code())
}

#[test]
fn synthetic_fulcio_leaf_chains_to_its_ca() {
    let ok = synthetic(|_| {}).unwrap();
    assert_eq!(ok.ca_uri, "https://ca.airlock.test");
}

#[test]
fn leaf_without_code_signing_eku_is_refused() {
    assert_eq!(
        synthetic(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth]),
        Err("certificate-not-code-signing")
    );
    assert_eq!(
        synthetic(|p| p.extended_key_usages.clear()),
        Err("certificate-not-code-signing")
    );
    assert_eq!(
        synthetic(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any]),
        Err("certificate-not-code-signing")
    );
}

#[test]
fn leaf_that_is_a_ca_is_refused() {
    assert_eq!(
        synthetic(|p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained)),
        Err("certificate-is-ca")
    );
    assert!(synthetic(|p| p.is_ca = IsCa::ExplicitNoCa).is_ok());
}

#[test]
fn leaf_without_digital_signature_key_usage_is_refused() {
    assert_eq!(
        synthetic(|p| p.key_usages = vec![KeyUsagePurpose::KeyEncipherment]),
        Err("certificate-key-usage-invalid")
    );
    assert!(synthetic(|p| p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment
    ])
    .is_ok());
}

#[test]
fn leaf_without_key_usage_extension_is_refused() {
    // Fulcio always issues KeyUsage digitalSignature; a leaf without the extension is not
    // a Fulcio leaf, whatever CA signed it.
    assert_eq!(
        synthetic(|p| p.key_usages.clear()),
        Err("certificate-key-usage-invalid")
    );
}

#[test]
fn leaf_with_unknown_critical_extension_is_refused() {
    assert_eq!(
        synthetic(|p| {
            let mut e = CustomExtension::from_oid_content(&[1, 2, 3, 4], vec![0x05, 0x00]);
            e.set_criticality(true);
            p.custom_extensions.push(e);
        }),
        Err("certificate-unhandled-critical-extension")
    );
}

#[test]
fn ct_precertificate_is_not_accepted_as_a_leaf() {
    // RFC 6962 §3.1: the poison extension 1.3.6.1.4.1.11129.2.4.3 is critical.
    assert_eq!(
        synthetic(|p| {
            let mut e = CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3],
                vec![0x05, 0x00],
            );
            e.set_criticality(true);
            p.custom_extensions.push(e);
        }),
        Err("certificate-unhandled-critical-extension")
    );
}

#[test]
fn leaf_with_a_second_san_extension_is_refused() {
    assert_eq!(
        synthetic(
            |p| p.custom_extensions.push(CustomExtension::from_oid_content(
                &[2, 5, 29, 17],
                vec![0x30, 0x06, 0x86, 0x04, b'e', b'v', b'i', b'l'],
            ))
        ),
        Err("certificate-malformed")
    );
}

#[test]
fn fulcio_issuer_v2_that_is_not_a_der_utf8string_is_refused() {
    assert_eq!(
        synthetic(
            |p| p.custom_extensions = vec![CustomExtension::from_oid_content(
                &fulcio_oid(8),
                b"https://raw.example".to_vec(),
            )]
        ),
        Err("certificate-malformed")
    );
}

#[test]
fn leaf_signed_by_a_look_alike_ca_with_the_same_name_is_untrusted() {
    let real = test_ca("fulcio.test");
    let fake = test_ca("fulcio.test");
    let leaf = parse_leaf(&leaf_from(&fake, |_| {})).unwrap();
    assert!(matches!(
        verify_chain(&leaf, &[], &root_of(vec![real.der]), at()),
        Err(CertError::Untrusted { candidates: 1, .. })
    ));
}

#[test]
fn leaf_of_an_untrusted_ca_carried_in_the_bundle_is_untrusted() {
    let real = test_ca("fulcio.test");
    let other = test_ca("other.test");
    // The bundle ships the signer's own CA: it is never used to build the path. (A
    // self-signed one is refused outright.)
    let leaf = parse_leaf(&leaf_from(&other, |_| {})).unwrap();
    assert_eq!(
        verify_chain(
            &leaf,
            std::slice::from_ref(&other.der),
            &root_of(vec![real.der.clone()]),
            at()
        )
        .map_err(|e| e.code()),
        Err("certificate-chain-contains-root")
    );
    assert_eq!(
        verify_chain(&leaf, &[], &root_of(vec![real.der]), at()).map_err(|e| e.code()),
        Err("certificate-untrusted")
    );
}

#[test]
fn ca_certificate_expired_at_signing_time_is_refused() {
    let mut ca = test_ca("fulcio.test");
    ca.params.not_after = date_time_ymd(2024, 5, 1);
    ca.der = ca.params.self_signed(&ca.key).unwrap().der().to_vec();
    let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
    assert!(matches!(
        verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()),
        Err(CertError::CaCertificateNotValidAt { .. })
    ));
}

#[test]
fn trusted_certificate_that_is_not_a_ca_cannot_issue() {
    let mut ca = test_ca("fulcio.test");
    ca.params.is_ca = IsCa::ExplicitNoCa;
    ca.der = ca.params.self_signed(&ca.key).unwrap().der().to_vec();
    let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
    assert_eq!(
        verify_chain(&leaf, &[], &root_of(vec![ca.der]), at()).map_err(|e| e.code()),
        Err("trusted-ca-invalid")
    );
}

#[test]
fn leaf_summary_reads_fulcio_username_other_name() {
    let ca = test_ca("fulcio.test");
    let der = leaf_from(&ca, |p| {
        p.subject_alt_names = vec![SanType::OtherName((
            fulcio_oid(7),
            OtherNameValue::Utf8String("octocat!github.com".into()),
        ))];
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &fulcio_oid(1),
            b"https://legacy.example".to_vec(),
        ));
    });
    let leaf = parse_leaf(&der).unwrap();
    assert_eq!(
        leaf.summary.subject_alternative_names,
        vec![San::OtherName("octocat!github.com".into())]
    );
    // .1.8 wins over the legacy .1.1.
    assert_eq!(
        leaf.summary.oidc_issuer.as_deref(),
        Some("https://accounts.airlock.test")
    );
    assert_eq!(
        leaf.summary.fulcio_extensions["Issuer"],
        "https://legacy.example"
    );
    assert_eq!(
        leaf.summary.fulcio_extensions["IssuerV2"],
        "https://accounts.airlock.test"
    );
}

#[test]
fn leaf_without_sct_extension_reports_sct_missing() {
    let ca = test_ca("fulcio.test");
    let leaf = parse_leaf(&leaf_from(&ca, |_| {})).unwrap();
    let root = root_of(vec![ca.der]);
    let ok = verify_chain(&leaf, &[], &root, at()).unwrap();
    assert_eq!(
        verify_scts(&leaf, &ok, &root).map_err(|e| e.code()),
        Err("sct-missing")
    );
}

#[test]
fn oversized_san_is_refused_not_truncated() {
    let ca = test_ca("fulcio.test");
    let long = format!(
        "https://a.test/{}",
        "x".repeat(limits::MAX_CERT_STRING_BYTES)
    );
    let der = leaf_from(&ca, |p| {
        p.subject_alt_names = vec![SanType::URI(long.as_str().try_into().unwrap())]
    });
    assert_eq!(
        parse_leaf(&der).map(|_| ()).map_err(|e| e.code()),
        Err("certificate-malformed")
    );
}

/// Rough cost of the certificate part of one bundle verification (run with
/// `cargo test --release --lib verify::cert -- --ignored --nocapture`).
#[test]
#[ignore]
fn measure_leaf_chain_and_sct_cost() {
    let c = case("happy-path-v0.3");
    let n = 2000u32;
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        let leaf = parse_leaf(&c.leaf.der).unwrap();
        let ok = verify_chain(&leaf, &c.rest, &c.root, c.at).unwrap();
        verify_scts(&leaf, &ok, &c.root).unwrap();
    }
    let total = t0.elapsed() / n;
    let t1 = std::time::Instant::now();
    for _ in 0..n {
        parse_leaf(&c.leaf.der).unwrap();
    }
    let parse = t1.elapsed() / n;
    let leaf = parse_leaf(&c.leaf.der).unwrap();
    let ok = verify_chain(&leaf, &c.rest, &c.root, c.at).unwrap();
    let t2 = std::time::Instant::now();
    for _ in 0..n {
        verify_scts(&leaf, &ok, &c.root).unwrap();
    }
    let scts = t2.elapsed() / n;
    let ca = &c.root.certificate_authorities[ok.ca_index];
    let t3 = std::time::Instant::now();
    for _ in 0..n {
        for der in &ca.cert_chain {
            parse_cert(der).unwrap();
        }
    }
    let ca_parse = t3.elapsed() / n;
    let inter = parse_cert(&ca.cert_chain[0]).unwrap();
    let t4 = std::time::Instant::now();
    for _ in 0..n {
        verify_signed(
            inter.public_key(),
            leaf.facts.signature_algorithm,
            &leaf.facts.tbs,
            &leaf.facts.signature,
        )
        .unwrap();
    }
    let leaf_sig = t4.elapsed() / n;
    eprintln!(
        "parse+chain+sct {total:?}; parse_leaf {parse:?}; verify_scts {scts:?}; \
         parse CA chain {ca_parse:?}; leaf signature (P-384) {leaf_sig:?}"
    );
}
