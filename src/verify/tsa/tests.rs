//! Tests for RFC 3161 timestamp verification, named after the attacks they stop: first on the
//! real conformance bundles, then on mutations of them, then on synthetic TSAs built here.

use super::*;
use crate::bundle::{Bundle, Content};
use crate::trust::trusted_root::CertificateAuthority;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn production_root() -> TrustedRoot {
    let bytes = read(&format!(
        "{CASES}/trusted-roots/public-good-production.json"
    ));
    TrustedRoot::from_json(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// The case's trusted root (its own, or the production default).
fn case_root(case: &str) -> TrustedRoot {
    let own = format!("{CASES}/bundle-verify/{case}/trusted_root.json");
    if std::path::Path::new(&own).exists() {
        TrustedRoot::from_json(&read(&own)).unwrap_or_else(|e| panic!("{case}: {e}"))
    } else {
        production_root()
    }
}

/// The first timestamp of the case and the bytes it must cover.
fn case_timestamp(case: &str) -> (Vec<u8>, Vec<u8>) {
    let bytes = read(&format!(
        "{CASES}/bundle-verify/{case}/bundle.sigstore.json"
    ));
    let bundle = Bundle::from_json(&bytes).unwrap_or_else(|e| panic!("{case}: {e}"));
    let signed = match &bundle.content {
        Content::MessageSignature(m) => m.signature.clone(),
        Content::Dsse(env) => env
            .signatures
            .first()
            .map(|s| s.sig.clone())
            .unwrap_or_else(|| panic!("{case}: no DSSE signature")),
    };
    let ts = bundle
        .rfc3161_timestamps
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("{case}: no timestamp"));
    (ts, signed)
}

fn verify_case(case: &str) -> Result<VerifiedTimestamp, TsaError> {
    let (ts, signed) = case_timestamp(case);
    verify_timestamp(&ts, &signed, &case_root(case))
}

fn time(s: &str) -> Timestamp {
    crate::time::parse_rfc3339(s).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_verifies_at(case: &str, gen_time: &str) -> VerifiedTimestamp {
    match verify_case(case) {
        Ok(v) => {
            assert_eq!(v.time, time(gen_time), "{case}");
            v
        }
        Err(e) => panic!("{case}: {} ({e})", e.code()),
    }
}

fn assert_code(case: &str, code: &str) -> TsaError {
    match verify_case(case) {
        Ok(v) => panic!("{case}: verified at {} but must fail with {code}", v.time),
        Err(e) => {
            assert_eq!(e.code(), code, "{case}: {e}");
            e
        }
    }
}

// ---- conformance cases ----

#[test]
fn rekor2_happy_path_timestamp_verifies_at_its_gen_time() {
    let v = assert_verifies_at("rekor2-happy-path", "2025-06-12T12:02:20Z");
    assert_eq!(v.tsa_uri, "https://timestamp.sigstage.dev/api/v1/timestamp");
    assert_eq!(v.tsa_name, "sigstore-tsa-selfsigned");
    assert_eq!(v.signer, "O=sigstore.dev, CN=sigstore-tsa");
    assert_eq!(v.policy, "1.3.6.1.4.1.57264.2");
    assert_eq!(v.accuracy_micros, Some(1_000_000));
    assert_eq!(v.imprint_algorithm, HashAlgorithm::Sha256);
}

#[test]
fn embedded_certificate_is_not_needed_and_not_trusted_beyond_the_root() {
    assert_verifies_at(
        "rekor2-timestamp-with-embedded-cert",
        "2025-08-06T18:51:36Z",
    );
    assert_verifies_at(
        "rekor2-timestamp-without-embedded-cert",
        "2025-08-06T19:03:51Z",
    );
}

#[test]
fn expired_tsa_chain_still_verifies_a_timestamp_made_while_it_was_valid() {
    // The chain expired minutes after the timestamp; validity is judged at genTime, not now.
    assert_verifies_at(
        "rekor2-timestamp-with-expired-cert-chain",
        "2025-08-07T15:32:26Z",
    );
}

#[test]
fn tsa_validity_end_is_inclusive() {
    assert_verifies_at(
        "trust-root-tsa-validity-end-inclusive",
        "2025-06-12T12:02:20Z",
    );
}

#[test]
fn dsse_timestamp_covers_the_envelope_signature() {
    // Mock TSA with a negative TSTInfo serial number and an empty embedded certificate set.
    let v = assert_verifies_at("intoto-with-custom-trust-root", "2023-02-01T00:00:00Z");
    assert_eq!(v.serial, "deadbeef");
}

#[test]
fn production_tsa_timestamps_verify_under_the_production_root() {
    assert_verifies_at("managed-key-happy-path", "2025-12-18T17:04:39Z");
    assert_verifies_at("bundle-with-sct-with-extensions", "2026-01-15T22:49:26Z");
}

#[test]
fn timestamp_over_another_signature_is_a_payload_mismatch() {
    assert_code(
        "rekor2-timestamp-payload-mismatch_fail",
        "timestamp-payload-mismatch",
    );
}

#[test]
fn untrusted_tsa_with_embedded_certificate_is_refused() {
    // FreeTSA embeds its whole chain; embedded certificates are never trust anchors.
    let e = assert_code(
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "timestamp-untrusted",
    );
    assert!(e.to_string().contains("freetsa"), "{e}");
}

#[test]
fn real_signing_certificate_v1_names_its_signer_by_sha1() {
    // FreeTSA writes the RFC 2634 signingCertificate attribute (SHA-1 ESSCertID), not the v2
    // one. Trusting its own embedded chain (for this test only) shows the v1 check accepts a
    // real token, and that a trusted root naming another certificate for the same key would not.
    let case = "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail";
    let (ts, signed) = case_timestamp(case);
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    assert!(resp.signer.signing_cert_v2.is_none());
    let v1 = resp
        .signer
        .signing_cert_v1
        .unwrap_or_else(|| panic!("no signingCertificate attribute"));
    let signer = resp
        .certificates
        .iter()
        .find(|c| crypto::sha1_of_certificate_for_ess_cert_id(c)[..] == *v1.cert_hash)
        .unwrap_or_else(|| panic!("no embedded certificate has the ESSCertID's SHA-1"));
    let mut chain = vec![signer.to_vec()];
    chain.extend(
        resp.certificates
            .iter()
            .filter(|c| **c != *signer)
            .map(|c| c.to_vec()),
    );
    let mut root = production_root();
    root.timestamp_authorities = vec![CertificateAuthority {
        organization: "Free TSA".into(),
        common_name: "www.freetsa.org".into(),
        uri: "https://freetsa.org".into(),
        cert_chain: chain,
        valid_for: Window {
            start: time("2016-01-01T00:00:00Z"),
            end: None,
        },
    }];
    let v = verify_timestamp(&ts, &signed, &root).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.time, time("2025-08-06T19:38:49Z"));
}

#[test]
fn untrusted_tsa_without_embedded_certificate_is_refused() {
    assert_code(
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        "timestamp-untrusted",
    );
}

#[test]
fn timestamp_after_the_trusted_root_tsa_window_is_refused() {
    let e = assert_code(
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        "timestamp-outside-tsa-validity",
    );
    assert!(matches!(
        e,
        TsaError::OutsideTsaValidity { gen_time, end: Some(end), .. }
            if gen_time == time("2025-06-12T12:02:20Z") && end == time("2025-06-01T00:00:00Z")
    ));
}

#[test]
fn timestamp_after_the_tsa_certificate_expired_is_refused() {
    let e = assert_code(
        "rekor2-timestamp-outside-tsa-cert-validity_fail",
        "timestamp-outside-tsa-cert-validity",
    );
    assert!(matches!(
        &e,
        TsaError::OutsideTsaCertValidity { gen_time, not_after, subject, .. }
            if *gen_time == time("2025-08-07T15:38:32Z")
                && *not_after == time("2025-08-07T15:37:08Z")
                && subject.contains("Test TSA Timestamping")
    ));
}

#[test]
fn timestamps_that_are_valid_themselves_verify_even_in_failing_cases() {
    // These cases fail on the Fulcio leaf's validity at genTime (checked by the caller), not on
    // the timestamp itself.
    assert_verifies_at(
        "rekor2-timestamp-with-incorrect-time_fail",
        "2025-07-15T10:33:31Z",
    );
    assert_verifies_at(
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        "2023-02-02T00:00:00Z",
    );
}

#[test]
fn staging_timestamp_is_untrusted_under_the_production_root() {
    let (ts, signed) = case_timestamp("rekor2-happy-path");
    let e = verify_timestamp(&ts, &signed, &production_root()).err();
    assert_eq!(e.map(|e| e.code()), Some("timestamp-untrusted"));
}

/// Every conformance case carrying a timestamp, with the code it gets (run with --nocapture to
/// see the table). Only the five TSA failure cases may fail.
#[test]
fn every_conformance_timestamp_gets_the_expected_outcome() {
    let expected_failures = [
        (
            "rekor2-timestamp-payload-mismatch_fail",
            "timestamp-payload-mismatch",
        ),
        (
            "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
            "timestamp-untrusted",
        ),
        (
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
            "timestamp-untrusted",
        ),
        (
            "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
            "timestamp-outside-tsa-validity",
        ),
        (
            "rekor2-timestamp-outside-tsa-cert-validity_fail",
            "timestamp-outside-tsa-cert-validity",
        ),
    ];
    let mut seen = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(format!("{CASES}/bundle-verify"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|d| d.ok().map(|d| d.file_name().to_string_lossy().into_owned()))
        .collect();
    dirs.sort();
    for case in dirs {
        let path = format!("{CASES}/bundle-verify/{case}/bundle.sigstore.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(bundle) = Bundle::from_json(&bytes) else {
            continue;
        };
        if bundle.rfc3161_timestamps.is_empty() {
            continue;
        }
        // A case whose trusted root does not parse fails before timestamps matter.
        let own = format!("{CASES}/bundle-verify/{case}/trusted_root.json");
        let root = if std::path::Path::new(&own).exists() {
            match TrustedRoot::from_json(&read(&own)) {
                Ok(r) => r,
                Err(e) => {
                    println!("{case:60} trusted root refused: {}", e.code());
                    continue;
                }
            }
        } else {
            production_root()
        };
        let (ts, signed) = case_timestamp(&case);
        let got = verify_timestamp(&ts, &signed, &root);
        seen += 1;
        match &got {
            Ok(v) => println!("{case:60} ok {}", v.time),
            Err(e) => println!("{case:60} {} ({e})", e.code()),
        }
        let want = expected_failures
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, w)| *w);
        assert_eq!(got.as_ref().err().map(|e| e.code()), want, "{case}");
    }
    assert!(seen >= 30, "only {seen} cases with timestamps");
}

// ---- mutations of real responses ----

fn happy() -> (Vec<u8>, Vec<u8>, TsaVerifier) {
    let (ts, signed) = case_timestamp("rekor2-happy-path");
    (
        ts,
        signed,
        TsaVerifier::new(&case_root("rekor2-happy-path")),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("needle not found"))
}

#[test]
fn truncation_at_every_length_is_refused_without_panic() {
    for case in [
        "rekor2-happy-path",
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "intoto-with-custom-trust-root",
    ] {
        let (ts, signed) = case_timestamp(case);
        let v = TsaVerifier::new(&case_root(case));
        for len in 0..ts.len() {
            let r = v.verify(ts.get(..len).unwrap_or_default(), &signed);
            assert_eq!(
                r.map_err(|e| e.code()).err(),
                Some("timestamp-malformed"),
                "{case} at {len}"
            );
        }
    }
}

#[test]
fn bit_flip_anywhere_outside_unsigned_fields_is_refused() {
    let (ts, signed, v) = happy();
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    // Unsigned and ignorable: the status octet (granted → grantedWithMods) and the embedded
    // certificate set (the signer comes from the trusted root, not from there).
    let cert = resp.certificates.first().copied().unwrap_or_default();
    let cert_start = find(&ts, cert);
    let unsigned = (cert_start - 4)..(cert_start + cert.len());
    for i in 0..ts.len() {
        for bit in [0x01u8, 0x80] {
            let mut m = ts.clone();
            if let Some(b) = m.get_mut(i) {
                *b ^= bit;
            }
            if let Ok(t) = v.verify(&m, &signed) {
                assert!(
                    i == 8 || unsigned.contains(&i),
                    "flip {bit:#x} at {i} still verified at {}",
                    t.time
                );
            }
        }
    }
}

#[test]
fn flipped_signature_byte_is_an_invalid_signature() {
    let (ts, signed, v) = happy();
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    let at = find(&ts, resp.signer.signature) + resp.signer.signature.len() - 5;
    let mut m = ts.clone();
    if let Some(b) = m.get_mut(at) {
        *b ^= 0x40;
    }
    assert_eq!(
        v.verify(&m, &signed).map_err(|e| e.code()).err(),
        Some("timestamp-invalid-signature")
    );
}

#[test]
fn wrong_signed_bytes_are_a_payload_mismatch() {
    let (ts, mut signed, v) = happy();
    if let Some(b) = signed.last_mut() {
        *b ^= 1;
    }
    assert_eq!(
        v.verify(&ts, &signed).map_err(|e| e.code()).err(),
        Some("timestamp-payload-mismatch")
    );
}

#[test]
fn imprint_retargeted_with_recomputed_message_digest_breaks_the_signature() {
    // An attacker points the token at their own signature and fixes up the unsigned-looking
    // message-digest attribute; the TSA signature over the attributes must catch it.
    let (ts, _, v) = happy();
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    let forged_sig = b"attacker signature".to_vec();
    let new_imprint = crypto::sha256(&forged_sig);
    let mut econtent = resp.econtent.to_vec();
    let at = find(&econtent, resp.tst.imprint);
    econtent.splice(at..at + 32, new_imprint);
    let old_md = resp.signer.message_digest.to_vec();
    let new_md = crypto::sha256(&econtent);
    let mut m = ts.clone();
    let e_at = find(&m, resp.econtent);
    m.splice(e_at..e_at + econtent.len(), econtent.iter().copied());
    let md_at = find(&m, &old_md);
    m.splice(md_at..md_at + 32, new_md);
    assert_eq!(
        v.verify(&m, &forged_sig).map_err(|e| e.code()).err(),
        Some("timestamp-invalid-signature")
    );
}

#[test]
fn message_digest_attribute_not_matching_the_tstinfo_is_refused() {
    let (ts, signed, v) = happy();
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    let mut m = ts.clone();
    let at = find(&m, resp.signer.message_digest);
    if let Some(b) = m.get_mut(at) {
        *b ^= 1;
    }
    assert_eq!(
        v.verify(&m, &signed).map_err(|e| e.code()).err(),
        Some("timestamp-invalid-signature")
    );
}

#[test]
fn trailing_bytes_after_the_response_are_refused() {
    let (mut ts, signed, v) = happy();
    ts.push(0);
    assert_eq!(
        v.verify(&ts, &signed).map_err(|e| e.code()).err(),
        Some("timestamp-malformed")
    );
}

#[test]
fn oversized_response_is_refused_before_parsing() {
    let big = vec![0u8; crate::limits::MAX_DER_BYTES + 1];
    let e = verify_timestamp(&big, b"x", &production_root()).err();
    assert!(matches!(e, Some(TsaError::TooLarge { .. })));
}

#[test]
fn tsa_window_closing_a_second_before_gen_time_is_refused() {
    let (ts, signed) = case_timestamp("rekor2-happy-path");
    let mut root = case_root("rekor2-happy-path");
    for tsa in &mut root.timestamp_authorities {
        tsa.valid_for.end = Some(time("2025-06-12T12:02:19Z"));
    }
    assert_eq!(
        verify_timestamp(&ts, &signed, &root)
            .map_err(|e| e.code())
            .err(),
        Some("timestamp-outside-tsa-validity")
    );
    for tsa in &mut root.timestamp_authorities {
        tsa.valid_for.start = time("2025-06-12T12:02:21Z");
        tsa.valid_for.end = None;
    }
    assert_eq!(
        verify_timestamp(&ts, &signed, &root)
            .map_err(|e| e.code())
            .err(),
        Some("timestamp-outside-tsa-validity")
    );
}

#[test]
fn tsa_chain_whose_root_did_not_issue_the_signer_is_untrusted() {
    // Swap the staging TSA's root for the production TSA root: the signer is still listed,
    // but its chain no longer verifies.
    let (ts, signed) = case_timestamp("rekor2-happy-path");
    let mut root = case_root("rekor2-happy-path");
    let prod_root_cert = production_root()
        .timestamp_authorities
        .first()
        .and_then(|t| t.cert_chain.last().cloned())
        .unwrap_or_default();
    for tsa in &mut root.timestamp_authorities {
        if let Some(last) = tsa.cert_chain.last_mut() {
            *last = prod_root_cert.clone();
        }
    }
    let e = verify_timestamp(&ts, &signed, &root).err();
    assert_eq!(
        e.as_ref().map(|e| e.code()),
        Some("timestamp-untrusted"),
        "{e:?}"
    );
}

#[test]
fn rejection_status_is_not_granted() {
    // TimeStampResp { status { rejection(2), statusString "no", failInfo badAlg } }
    let resp = [
        0x30, 0x0F, 0x30, 0x0D, 0x02, 0x01, 0x02, 0x30, 0x04, 0x0C, 0x02, b'n', b'o', 0x03, 0x02,
        0x07, 0x80,
    ];
    let e = verify_timestamp(&resp[..], b"x", &production_root()).err();
    assert_eq!(e.as_ref().map(|e| e.code()), Some("timestamp-not-granted"));
    assert!(matches!(
        e,
        Some(TsaError::NotGranted { status: 2, ref text, ref fail_info })
            if text.as_deref() == Some("no") && fail_info.as_deref() == Some("badAlg")
    ));
}

#[test]
fn granted_status_without_a_token_is_malformed() {
    let resp = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
    let e = verify_timestamp(&resp[..], b"x", &production_root()).err();
    assert_eq!(e.map(|e| e.code()), Some("timestamp-malformed"));
}

#[test]
fn ber_indefinite_length_is_refused() {
    let resp = [0x30, 0x80, 0x30, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00];
    let e = verify_timestamp(&resp[..], b"x", &production_root()).err();
    assert_eq!(e.map(|e| e.code()), Some("timestamp-malformed"));
}

#[test]
fn gen_time_forms_outside_the_rfc3161_profile_are_refused() {
    let ok = |s: &str| cms::generalized_time(s.as_bytes()).ok();
    assert_eq!(ok("20250612120220Z"), Some(time("2025-06-12T12:02:20Z")));
    assert_eq!(
        ok("20250612120220.25Z"),
        Some(time("2025-06-12T12:02:20.25Z"))
    );
    for bad in [
        "20250612120220.250Z", // trailing zero
        "20250612120220.Z",
        "202506121202Z",  // no seconds
        "20250612120220", // no Z
        "20250612120220+0100",
        "20250612120260Z", // leap second
        "20251312120220Z",
        "2025061212022aZ",
        "",
    ] {
        assert_eq!(ok(bad), None, "{bad}");
    }
}

// ---- synthetic TSAs ----

mod synthetic {
    use super::*;
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DistinguishedName,
        DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber, SigningKey,
    };
    use x509_parser::prelude::FromDer;

    // -- a tiny DER writer --
    fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
        let content: Vec<u8> = parts.concat();
        let n = content.len();
        let mut out = vec![tag];
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend(content);
        out
    }
    fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, parts)
    }
    fn oid(b: &[u8]) -> Vec<u8> {
        tlv(0x06, &[b])
    }
    fn int(b: &[u8]) -> Vec<u8> {
        tlv(0x02, &[b])
    }
    fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, &[b])
    }

    const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    const ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    const ECDSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
    const SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    const CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
    const MESSAGE_DIGEST: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    const SIGNING_CERT: &[u8] = &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0C,
    ];
    const SIGNING_CERT_V2: &[u8] = &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F,
    ];
    const POLICY: &[u8] = &[0x2A, 0x03, 0x04];
    const TIME_STAMPING: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
    const CODE_SIGNING: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

    fn dn(cn: &str) -> DistinguishedName {
        let mut d = DistinguishedName::new();
        d.push(DnType::OrganizationName, "airlock.test");
        d.push(DnType::CommonName, cn);
        d
    }

    fn eku(purposes: &[&[u8]], critical: bool) -> CustomExtension {
        let oids: Vec<Vec<u8>> = purposes.iter().map(|p| oid(p)).collect();
        let refs: Vec<&[u8]> = oids.iter().map(Vec::as_slice).collect();
        let mut e = CustomExtension::from_oid_content(&[2, 5, 29, 37], seq(&refs));
        e.set_criticality(critical);
        e
    }

    struct Ca {
        params: CertificateParams,
        key: KeyPair,
        der: Vec<u8>,
    }

    fn make_ca(cn: &str) -> Ca {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2030, 1, 1);
        let der = params
            .self_signed(&key)
            .unwrap_or_else(|e| panic!("{e}"))
            .der()
            .to_vec();
        Ca { params, key, der }
    }

    struct Leaf {
        key: KeyPair,
        der: Vec<u8>,
    }

    fn leaf_with(issuer: &Ca, cn: &str, serial: u64, ext: CustomExtension) -> Leaf {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        leaf_with_key(issuer, cn, serial, ext, key)
    }

    fn leaf_with_key(
        issuer: &Ca,
        cn: &str,
        serial: u64,
        ext: CustomExtension,
        key: KeyPair,
    ) -> Leaf {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn);
        params.serial_number = Some(SerialNumber::from(serial));
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let ski = crypto::sha256(key.public_key_raw());
        let ski_ext = CustomExtension::from_oid_content(
            &[2, 5, 29, 14],
            octets(ski.get(..20).unwrap_or_default()),
        );
        params.custom_extensions = vec![ext, ski_ext];
        params.not_before = date_time_ymd(2024, 6, 1);
        params.not_after = date_time_ymd(2026, 1, 1);
        let der = params
            .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
            .unwrap_or_else(|e| panic!("{e}"))
            .der()
            .to_vec();
        Leaf { key, der }
    }

    fn leaf(issuer: &Ca, cn: &str) -> Leaf {
        leaf_with(issuer, cn, 7, eku(&[TIME_STAMPING], true))
    }

    fn root_of(chains: Vec<Vec<Vec<u8>>>) -> TrustedRoot {
        TrustedRoot {
            media_type: crate::trust::trusted_root::MEDIA_TYPE_V01.into(),
            tlogs: vec![],
            certificate_authorities: vec![],
            ctlogs: vec![],
            timestamp_authorities: chains
                .into_iter()
                .map(|cert_chain| CertificateAuthority {
                    organization: "airlock.test".into(),
                    common_name: "test tsa".into(),
                    uri: "https://tsa.test".into(),
                    cert_chain,
                    valid_for: Window {
                        start: time("2024-01-01T00:00:00Z"),
                        end: None,
                    },
                })
                .collect(),
            digest: vec![],
        }
    }

    /// The ESS signing-certificate attributes a synthetic token carries.
    #[derive(Clone, Copy)]
    enum Ess {
        None,
        /// signingCertificate (RFC 2634), SHA-1.
        V1,
        /// signingCertificateV2 (RFC 5035), what the Sigstore TSAs write.
        V2,
        Both,
    }

    /// What to put in a synthetic token; `Token::new` gives a well-formed one.
    struct Token<'a> {
        signed_bytes: &'a [u8],
        gen_time: &'a str,
        /// The certificate the SignerInfo names (and signingCertificateV2 hashes).
        named: &'a [u8],
        key: &'a KeyPair,
        embed: Vec<Vec<u8>>,
        by_ski: bool,
        tsa_name: Option<Vec<u8>>,
        ess_hash: Option<Vec<u8>>,
        /// The ESSCertID (v1) hash to write instead of SHA-1 of `named`.
        ess_v1_hash: Option<Vec<u8>>,
        /// Which ESS signing-certificate attributes to write.
        ess: Ess,
        /// A hashAlgorithm to write in the ESSCertIDv2 (default: omitted, i.e. SHA-256).
        ess_v2_alg: Option<Vec<u8>>,
        sig_alg: &'a [u8],
        /// A whole signatureAlgorithm AlgorithmIdentifier, replacing `sig_alg`.
        sig_alg_der: Option<Vec<u8>>,
        /// Sign with RSASSA-PSS (SHA-256) instead of the key's default scheme.
        pss: bool,
        extensions: Option<Vec<u8>>,
        two_signers: bool,
    }

    impl<'a> Token<'a> {
        fn new(signed_bytes: &'a [u8], named: &'a [u8], key: &'a KeyPair) -> Self {
            Token {
                signed_bytes,
                gen_time: "20250301120000Z",
                named,
                key,
                embed: vec![],
                by_ski: false,
                tsa_name: None,
                ess_hash: None,
                ess_v1_hash: None,
                ess: Ess::V2,
                ess_v2_alg: None,
                sig_alg: ECDSA_SHA256,
                sig_alg_der: None,
                pss: false,
                extensions: None,
                two_signers: false,
            }
        }

        fn build(&self) -> Vec<u8> {
            let (_, cert) = x509_parser::certificate::X509Certificate::from_der(self.named)
                .unwrap_or_else(|e| panic!("{e}"));
            let sha256_alg = seq(&[&oid(SHA256)]);
            let imprint = crypto::sha256(self.signed_bytes);
            let tsa = self
                .tsa_name
                .as_ref()
                .map(|n| tlv(0xA0, &[&tlv(0xA4, &[n])]))
                .unwrap_or_default();
            let tst = seq(&[
                &int(&[1]),
                &oid(POLICY),
                &seq(&[&sha256_alg, &octets(&imprint)]),
                &int(&[0x01, 0x02]),
                &tlv(0x18, &[self.gen_time.as_bytes()]),
                &seq(&[&int(&[1])]),
                &int(&[0x11, 0x22]),
                &tsa,
                self.extensions.as_deref().unwrap_or_default(),
            ]);
            let ess = self
                .ess_hash
                .clone()
                .unwrap_or_else(|| crypto::sha256(self.named).to_vec());
            let ess_v1 = self.ess_v1_hash.clone().unwrap_or_else(|| {
                crypto::sha1_of_certificate_for_ess_cert_id(self.named).to_vec()
            });
            let alg = self.ess_v2_alg.clone().unwrap_or_default();
            let v2 = seq(&[
                &oid(SIGNING_CERT_V2),
                &tlv(0x31, &[&seq(&[&seq(&[&seq(&[&alg, &octets(&ess)])])])]),
            ]);
            let v1 = seq(&[
                &oid(SIGNING_CERT),
                &tlv(0x31, &[&seq(&[&seq(&[&seq(&[&octets(&ess_v1)])])])]),
            ]);
            let mut attrs: Vec<u8> = [
                seq(&[
                    &oid(CONTENT_TYPE),
                    &tlv(0x31, &[&oid(super::cms::OID_TST_INFO)]),
                ]),
                seq(&[
                    &oid(MESSAGE_DIGEST),
                    &tlv(0x31, &[&octets(&crypto::sha256(&tst))]),
                ]),
            ]
            .concat();
            match self.ess {
                Ess::None => {}
                Ess::V1 => attrs.extend(v1),
                Ess::V2 => attrs.extend(v2),
                Ess::Both => {
                    attrs.extend(v1);
                    attrs.extend(v2);
                }
            }
            let to_sign = tlv(0x31, &[&attrs]);
            let signature = if self.pss {
                use aws_lc_rs::signature::{RsaKeyPair, RSA_PSS_SHA256};
                let kp = RsaKeyPair::from_pkcs8(&self.key.serialize_der())
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(
                    &RSA_PSS_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    &to_sign,
                    &mut sig,
                )
                .unwrap_or_else(|e| panic!("{e}"));
                sig
            } else {
                self.key.sign(&to_sign).unwrap_or_else(|e| panic!("{e}"))
            };
            let (version, sid) = if self.by_ski {
                let ski = cert
                    .extensions()
                    .iter()
                    .find_map(|e| match e.parsed_extension() {
                        x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                            Some(k.0.to_vec())
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| panic!("no SKI"));
                (3u8, tlv(0x80, &[&ski]))
            } else {
                (1u8, seq(&[cert.issuer().as_raw(), &int(cert.raw_serial())]))
            };
            let signer_info = seq(&[
                &int(&[version]),
                &sid,
                &sha256_alg,
                &tlv(0xA0, &[&attrs]),
                &self
                    .sig_alg_der
                    .clone()
                    .unwrap_or_else(|| seq(&[&oid(self.sig_alg)])),
                &octets(&signature),
            ]);
            let signer_infos = if self.two_signers {
                tlv(0x31, &[&signer_info, &signer_info])
            } else {
                tlv(0x31, &[&signer_info])
            };
            let certs = if self.embed.is_empty() {
                vec![]
            } else {
                let refs: Vec<&[u8]> = self.embed.iter().map(Vec::as_slice).collect();
                tlv(0xA0, &refs)
            };
            let signed_data = seq(&[
                &int(&[3]),
                &tlv(0x31, &[&sha256_alg]),
                &seq(&[&oid(super::cms::OID_TST_INFO), &tlv(0xA0, &[&octets(&tst)])]),
                &certs,
                &signer_infos,
            ]);
            let content_info = seq(&[&oid(SIGNED_DATA), &tlv(0xA0, &[&signed_data])]);
            seq(&[&seq(&[&int(&[0])]), &content_info])
        }
    }

    fn code(r: Result<VerifiedTimestamp, TsaError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn synthetic_timestamp_from_the_listed_signing_certificate_verifies() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.gen_time = "20250301120000.125Z";
        let v = verify_timestamp(&t.build(), b"sig", &root).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.time, time("2025-03-01T12:00:00.125Z"));
        assert_eq!(v.serial, "0102");
        assert_eq!(v.policy, "1.2.3.4");
        t.by_ski = true;
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
    }

    #[test]
    fn embedded_leaf_issued_by_a_trusted_ca_verifies_when_the_root_lists_only_the_ca() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-untrusted"
        );
        t.embed = vec![l.der.clone()];
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
    }

    #[test]
    fn embedded_leaf_from_a_look_alike_ca_is_untrusted() {
        // The attacker's CA copies the trusted CA's name; its leaf and CA are embedded.
        let trusted = make_ca("Test CA");
        let evil = make_ca("Test CA");
        let l = leaf(&evil, "Test TSA");
        let root = root_of(vec![vec![trusted.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.embed = vec![l.der.clone(), evil.der.clone()];
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-untrusted"
        );
    }

    #[test]
    fn embedded_certificate_reusing_the_trusted_signers_name_and_serial_lends_no_key() {
        // The root lists a leaf-first chain; an attacker signs with their own key and embeds a
        // certificate carrying the trusted leaf's issuer and serial.
        let ca = make_ca("Test CA");
        let good = leaf(&ca, "Test TSA");
        let evil_ca = make_ca("Test CA");
        let evil = leaf(&evil_ca, "Test TSA");
        let root = root_of(vec![vec![good.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &evil.der, &evil.key);
        t.ess_hash = Some(crypto::sha256(&good.der).to_vec());
        t.embed = vec![evil.der.clone()];
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-invalid-signature"
        );
    }

    #[test]
    fn signer_without_a_critical_timestamping_only_eku_is_refused() {
        let ca = make_ca("Test CA");
        for ext in [
            eku(&[TIME_STAMPING], false),
            eku(&[CODE_SIGNING], true),
            eku(&[TIME_STAMPING, CODE_SIGNING], true),
        ] {
            let l = leaf_with(&ca, "Test TSA", 9, ext);
            let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
            let t = Token::new(b"sig", &l.der, &l.key);
            assert_eq!(
                code(verify_timestamp(&t.build(), b"sig", &root)),
                "timestamp-signer-not-timestamping"
            );
        }
    }

    #[test]
    fn signing_certificate_attribute_naming_another_certificate_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.ess_hash = Some(crypto::sha256(&ca.der).to_vec());
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-signing-certificate-mismatch"
        );
    }

    #[test]
    fn timestamp_without_a_signing_certificate_attribute_is_refused() {
        // RFC 3161 §2.4.1: without an ESSCertID the signature is bound to a key, not to the
        // certificate the trusted root lists.
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.ess = Ess::None;
        let e = verify_timestamp(&t.build(), b"sig", &root).err();
        assert_eq!(
            e.as_ref().map(TsaError::code),
            Some("timestamp-signing-certificate-missing")
        );
        // The refusal names the signer the SignerInfo claims (issuer and serial).
        assert!(e.is_some_and(|e| e
            .to_string()
            .contains("issuer 'O=airlock.test, CN=Test CA'")));
    }

    #[test]
    fn signing_certificate_v1_is_checked_with_sha1() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.ess = Ess::V1;
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        // The CA's SHA-1 in the v1 identifier names another certificate.
        t.ess_v1_hash = Some(crypto::sha1_of_certificate_for_ess_cert_id(&ca.der).to_vec());
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-signing-certificate-mismatch"
        );
        // A v1 identifier that is not a SHA-1 hash at all is malformed.
        t.ess_v1_hash = Some(crypto::sha256(&l.der).to_vec());
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-malformed"
        );
    }

    #[test]
    fn both_signing_certificate_attributes_must_name_the_signer() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.ess = Ess::Both;
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        // A correct v1 cannot vouch for a v2 naming another certificate...
        t.ess_hash = Some(crypto::sha256(&ca.der).to_vec());
        assert!(matches!(
            verify_timestamp(&t.build(), b"sig", &root),
            Err(TsaError::SigningCertificateMismatch {
                attribute: "signingCertificateV2",
                ..
            })
        ));
        // ...nor a correct v2 for a v1 naming another certificate.
        t.ess_hash = None;
        t.ess_v1_hash = Some(crypto::sha1_of_certificate_for_ess_cert_id(&ca.der).to_vec());
        assert!(matches!(
            verify_timestamp(&t.build(), b"sig", &root),
            Err(TsaError::SigningCertificateMismatch {
                attribute: "signingCertificate",
                ..
            })
        ));
    }

    #[test]
    fn signing_certificate_v2_with_an_unknown_hash_algorithm_is_refused_not_skipped() {
        const SHA3_256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08];
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        // An explicit SHA-384 identifier verifies...
        t.ess_v2_alg = Some(seq(&[&oid(SHA384)]));
        t.ess_hash = Some(crypto::hash(HashAlgorithm::Sha384, &l.der));
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        // ...one this build cannot compute is refused, even next to a correct v1.
        t.ess_v2_alg = Some(seq(&[&oid(SHA3_256)]));
        t.ess = Ess::Both;
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-unsupported-algorithm"
        );
    }

    #[test]
    fn tstinfo_naming_another_tsa_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&l.der)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.tsa_name = Some(cert.subject().as_raw().to_vec());
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        t.tsa_name = Some(cert.issuer().as_raw().to_vec());
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-tsa-name-mismatch"
        );
    }

    #[test]
    fn signature_algorithm_disagreeing_with_the_digest_algorithm_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.sig_alg = ECDSA_SHA384;
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-unsupported-algorithm"
        );
        let _ = SHA384;
    }

    #[test]
    fn rsa_pkcs1_and_pss_signers_verify_and_cannot_be_swapped() {
        const RSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
        const RSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
        const MGF1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
        let ca = make_ca("Test CA");
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .unwrap_or_else(|e| panic!("{e}"));
        let l = leaf_with_key(&ca, "RSA TSA", 11, eku(&[TIME_STAMPING], true), key);
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.sig_alg_der = Some(seq(&[&oid(RSA_SHA256), &tlv(0x05, &[])]));
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");

        let sha256 = seq(&[&oid(SHA256)]);
        let pss_params = seq(&[
            &tlv(0xA0, &[&sha256]),
            &tlv(0xA1, &[&seq(&[&oid(MGF1), &sha256])]),
            &tlv(0xA2, &[&int(&[32])]),
        ]);
        t.sig_alg_der = Some(seq(&[&oid(RSA_PSS), &pss_params]));
        t.pss = true;
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        // A PSS signature presented as PKCS#1 v1.5 does not verify.
        t.sig_alg_der = Some(seq(&[&oid(RSA_SHA256), &tlv(0x05, &[])]));
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-invalid-signature"
        );
        // An ECDSA algorithm over an RSA key is refused, not tried.
        t.sig_alg_der = None;
        t.pss = false;
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-invalid-signature"
        );
    }

    #[test]
    fn second_signer_info_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.two_signers = true;
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-malformed"
        );
    }

    #[test]
    fn critical_tstinfo_extension_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        let ext = seq(&[&oid(&[0x2A, 0x03]), &tlv(0x01, &[&[0xFF]]), &octets(&[0])]);
        t.extensions = Some(tlv(0xA1, &[&ext]));
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-unsupported-algorithm"
        );
        let ext = seq(&[&oid(&[0x2A, 0x03]), &octets(&[0])]);
        t.extensions = Some(tlv(0xA1, &[&ext]));
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
    }

    #[test]
    fn gen_time_outside_the_signing_certificate_is_refused() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let root = root_of(vec![vec![l.der.clone(), ca.der.clone()]]);
        let mut t = Token::new(b"sig", &l.der, &l.key);
        t.gen_time = "20260101000000Z"; // leaf notAfter, inclusive
        assert_eq!(code(verify_timestamp(&t.build(), b"sig", &root)), "ok");
        t.gen_time = "20260101000000.5Z";
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-outside-tsa-cert-validity"
        );
        t.gen_time = "20240531235959Z";
        assert_eq!(
            code(verify_timestamp(&t.build(), b"sig", &root)),
            "timestamp-outside-tsa-cert-validity"
        );
    }

    #[test]
    fn one_prepared_verifier_serves_many_timestamps() {
        let ca = make_ca("Test CA");
        let l = leaf(&ca, "Test TSA");
        let v = TsaVerifier::new(&root_of(vec![vec![l.der.clone(), ca.der.clone()]]));
        for i in 0..8u8 {
            let sig = [i; 4];
            let t = Token::new(&sig, &l.der, &l.key).build();
            assert_eq!(code(v.verify(&t, &sig)), "ok");
        }
    }
}

/// Rough cost figures (run with `--ignored --nocapture`; debug builds overstate parsing).
#[test]
#[ignore]
fn measure_verification_cost() {
    let (ts, signed, v) = happy();
    let root = case_root("rekor2-happy-path");
    let n = 400;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let _ = v.verify(&ts, &signed);
    }
    let prepared = start.elapsed() / n;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let _ = verify_timestamp(&ts, &signed, &root);
    }
    let one_shot = start.elapsed() / n;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let _ = cms::parse_response(&ts);
    }
    let parse = start.elapsed() / n;
    // The one signature check alone, for comparison.
    let resp = cms::parse_response(&ts).unwrap_or_else(|e| panic!("{e}"));
    let mut attrs = resp.signer.signed_attrs.to_vec();
    if let Some(t) = attrs.first_mut() {
        *t = der::SET;
    }
    let signer = v
        .tsas
        .first()
        .and_then(|t| t.chain.as_ref().ok())
        .and_then(|c| c.first())
        .unwrap_or_else(|| panic!("no TSA"));
    let start = std::time::Instant::now();
    for _ in 0..n {
        let _ = verify_with(
            &signer.key,
            resp.signer.sig_alg,
            resp.signer.digest,
            &attrs,
            resp.signer.signature,
        );
    }
    let sig_only = start.elapsed() / n;
    println!(
        "prepared verify {prepared:?}, one-shot verify {one_shot:?}, parse only {parse:?}, \
         signature check only {sig_only:?}"
    );
}

#[test]
fn prepared_verifier_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TsaVerifier>();
    let (ts, signed, v) = happy();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| v.verify(&ts, &signed).is_ok()))
            .collect();
        for h in handles {
            assert!(h.join().unwrap_or(false));
        }
    });
}
