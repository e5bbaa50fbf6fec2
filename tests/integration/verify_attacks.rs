//! Attacks on `airlock verify-bundle`, minted by the fake Sigstore in `common::fake_sigstore`:
//! each test breaks one piece of a bundle on purpose and checks the verifier refuses it for the
//! right reason, after checking the unbroken variant verifies. Happy paths for every shape the
//! fake mints prove the fake right. `fake_*` tests check the fake against the specs on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fake_sigstore::{self as fs, der, fake, merkle, Spec};
use serde_json::Value;
use x509_parser::prelude::*;

// ---- the fake checks itself (no verifier involved) ----

#[test]
fn fake_merkle_proofs_recompute_roots_for_every_index_and_size() {
    for size in 1..=40usize {
        let leaves: Vec<[u8; 32]> = (0..size)
            .map(|i| merkle::leaf_hash(format!("leaf {i}").as_bytes()))
            .collect();
        let root = merkle::root(&leaves);
        for m in 0..size {
            let p = merkle::path(m, &leaves);
            assert!(
                merkle::verify(m as u64, size as u64, &leaves[m], &p, &root),
                "size {size} index {m}"
            );
            if let Some(first) = p.first() {
                let mut bad = p.clone();
                bad[0] = merkle::leaf_hash(first);
                assert!(!merkle::verify(
                    m as u64,
                    size as u64,
                    &leaves[m],
                    &bad,
                    &root
                ));
            }
        }
    }
}

#[test]
fn fake_merkle_root_matches_rfc9162_small_trees() {
    let l: Vec<[u8; 32]> = (0..3u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let want = merkle::node_hash(&merkle::node_hash(&l[0], &l[1]), &l[2]);
    assert_eq!(merkle::root(&l), want);
    assert_eq!(merkle::path(2, &l), vec![merkle::node_hash(&l[0], &l[1])]);
    assert_eq!(merkle::path(0, &l), vec![l[1], l[2]]);
}

#[test]
fn fake_keys_are_deterministic() {
    let a = fs::Signer::derive(fs::Alg::P256, "x");
    let b = fs::Signer::derive(fs::Alg::P256, "x");
    assert_eq!(a.spki_der(), b.spki_der());
    let c = fs::Signer::derive(fs::Alg::P384, "x");
    assert_eq!(
        c.spki_der(),
        fs::Signer::derive(fs::Alg::P384, "x").spki_der()
    );
    let e = fs::Signer::derive(fs::Alg::Ed25519, "x");
    assert_eq!(e.spki_der().len(), 44);
}

fn parse(der_bytes: &[u8]) -> X509Certificate<'_> {
    let (rest, c) = X509Certificate::from_der(der_bytes).expect("certificate parses");
    assert!(rest.is_empty());
    c
}

#[test]
fn fake_ca_chain_parses_and_verifies() {
    let f = fake();
    let root = parse(&f.fulcio.root_cert);
    let inter = parse(&f.fulcio.inter_cert);
    root.verify_signature(None).unwrap();
    inter.verify_signature(Some(root.public_key())).unwrap();
    assert!(root.is_ca() && inter.is_ca());
    assert_eq!(inter.issuer(), root.subject());
}

#[test]
fn fake_leaf_has_fulcio_profile_and_a_valid_sct() {
    let f = fake();
    let leaf_der = f.issue_leaf(&fs::LeafSpec::default());
    let leaf = parse(&leaf_der);
    let inter = parse(&f.fulcio.inter_cert);
    leaf.verify_signature(Some(inter.public_key())).unwrap();
    assert_eq!(leaf.issuer(), inter.subject());
    let eku = leaf.extended_key_usage().unwrap().unwrap();
    assert!(eku.value.code_signing);
    let san = leaf.subject_alternative_name().unwrap().unwrap();
    assert!(matches!(san.value.general_names[0], GeneralName::URI(u) if u == fs::IDENTITY));
    let mut saw_v1 = false;
    let mut saw_v2 = false;
    let mut sct_ext = None;
    for e in leaf.extensions() {
        match e.oid.to_id_string().as_str() {
            "1.3.6.1.4.1.57264.1.1" => {
                assert_eq!(e.value, fs::OIDC_ISSUER.as_bytes());
                saw_v1 = true;
            }
            "1.3.6.1.4.1.57264.1.8" => {
                assert_eq!(e.value, der::utf8(fs::OIDC_ISSUER).as_slice());
                saw_v2 = true;
            }
            "1.3.6.1.4.1.11129.2.4.2" => sct_ext = Some(e.value.to_vec()),
            _ => {}
        }
    }
    assert!(saw_v1 && saw_v2);
    // x509-parser decodes the SCT list; check the SCT signature against the CT log key over a
    // precert TBS rebuilt from the final certificate (SCT extension removed).
    let sct_ext = sct_ext.unwrap();
    let list = der::content(&sct_ext);
    let n = u16::from_be_bytes([list[0], list[1]]) as usize;
    assert_eq!(n + 2, list.len());
    let sct_len = u16::from_be_bytes([list[2], list[3]]) as usize;
    let sct = &list[4..4 + sct_len];
    assert_eq!(sct[0], 0);
    assert_eq!(&sct[1..33], &f.ctlog.spki_sha256());
    let ts = &sct[33..41];
    let ext_len = u16::from_be_bytes([sct[41], sct[42]]) as usize;
    let rest = &sct[43 + ext_len..];
    assert_eq!(&rest[..2], &[4, 3]);
    let sig_len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
    let sig = &rest[4..4 + sig_len];
    let precert = precert_tbs_without_sct(&leaf_der);
    let mut signed = vec![0u8, 0];
    signed.extend_from_slice(ts);
    signed.extend_from_slice(&[0, 1]);
    signed.extend_from_slice(&fs::sha256(&f.fulcio.inter_key.spki_der()));
    signed.extend_from_slice(&(precert.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(&precert);
    signed.extend_from_slice(&[0, 0]);
    let ct = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        f.ctlog.public_raw(),
    );
    ct.verify(&signed, sig)
        .expect("SCT verifies over the rebuilt precert TBS");
}

/// Rebuilds the precertificate TBS from a final certificate by removing the SCT list extension
/// and re-encoding the lengths (what a verifier must do), independent of the minting code.
fn precert_tbs_without_sct(cert: &[u8]) -> Vec<u8> {
    let tbs = der::items(der::content(cert))[0];
    let fields = der::items(der::content(tbs));
    let mut out = Vec::new();
    for f in fields {
        if f[0] == 0xa3 {
            let exts = der::items(der::content(der::content(f)));
            let kept: Vec<Vec<u8>> = exts
                .into_iter()
                .filter(|e| {
                    der::items(der::content(e))[0] != der::oid("1.3.6.1.4.1.11129.2.4.2").as_slice()
                })
                .map(|e| e.to_vec())
                .collect();
            out.extend(der::ctx(3, &der::seq_v(&kept)));
        } else {
            out.extend_from_slice(f);
        }
    }
    der::tlv(0x30, &out)
}

#[test]
fn fake_tsa_response_parses_and_its_signature_verifies() {
    let f = fake();
    let m = f.mint(&Spec::v2());
    let ts = m.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
        ["signedTimestamp"]
        .as_str()
        .unwrap();
    let resp = fs::unb64(ts);
    let top = der::items(der::content(&resp));
    assert_eq!(top[0], der::seq(&[&der::int(0)]).as_slice());
    let ci = der::items(der::content(top[1]));
    assert_eq!(ci[0], der::oid("1.2.840.113549.1.7.2").as_slice());
    let sd = der::items(der::content(der::content(ci[1])));
    assert_eq!(sd[0], der::int(3).as_slice());
    let encap = der::items(der::content(sd[2]));
    let tst = der::content(der::content(encap[1]));
    let tst_fields = der::items(der::content(tst));
    let imprint = der::items(der::content(tst_fields[2]));
    let sig = fs::unb64(m.bundle["messageSignature"]["signature"].as_str().unwrap());
    assert_eq!(der::content(imprint[1]), fs::sha256(&sig).as_slice());
    assert_eq!(sd[3][0], 0xa0, "embedded certificates");
    let si = der::items(der::content(sd[4]));
    let si_fields = der::items(der::content(si[0]));
    let mut attrs = si_fields[3].to_vec();
    attrs[0] = 0x31;
    let attr_items = der::items(der::content(&attrs));
    let md = attr_items
        .iter()
        .find(|a| der::items(der::content(a))[0] == der::oid("1.2.840.113549.1.9.4").as_slice())
        .unwrap();
    let md_val = der::content(der::content(der::items(der::content(md))[1]));
    assert_eq!(md_val, fs::sha256(tst).as_slice());
    let sigv = der::content(si_fields[5]);
    let tsa_cert = parse(&f.tsa.cert);
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        tsa_cert.public_key().subject_public_key.data.to_vec(),
    );
    key.verify(&attrs, sigv).expect("CMS signature verifies");
    parse(&f.tsa.root_cert);
    tsa_cert
        .verify_signature(Some(parse(&f.tsa.root_cert).public_key()))
        .unwrap();
}

fn b64_field(v: &Value) -> Vec<u8> {
    fs::unb64(v.as_str().unwrap())
}

#[test]
fn fake_rekor_v1_entry_proof_set_and_checkpoint_are_consistent() {
    let f = fake();
    let m = f.mint(&Spec::v03());
    let e = m.entry();
    let body = b64_field(&e["canonicalizedBody"]);
    let p = &e["inclusionProof"];
    let hashes: Vec<[u8; 32]> = p["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64_field(h).try_into().unwrap())
        .collect();
    let root: [u8; 32] = b64_field(&p["rootHash"]).try_into().unwrap();
    let idx: u64 = p["logIndex"].as_str().unwrap().parse().unwrap();
    let size: u64 = p["treeSize"].as_str().unwrap().parse().unwrap();
    assert!(merkle::verify(
        idx,
        size,
        &merkle::leaf_hash(&body),
        &hashes,
        &root
    ));
    // SET
    let set = b64_field(&e["inclusionPromise"]["signedEntryTimestamp"]);
    let payload = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        e["canonicalizedBody"].as_str().unwrap(),
        e["integratedTime"].as_str().unwrap(),
        hex::encode(b64_field(&e["logId"]["keyId"])),
        e["logIndex"].as_str().unwrap()
    );
    let rekor = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
        f.rekor_v1.public_raw(),
    );
    rekor
        .verify(payload.as_bytes(), &set)
        .expect("SET verifies");
    // checkpoint
    let cp = p["checkpoint"]["envelope"].as_str().unwrap();
    let (text, sigs) = cp.split_once("\n\n").unwrap();
    let text = format!("{text}\n");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], fs::rekor_v1_origin());
    assert_eq!(lines[1], size.to_string());
    assert_eq!(lines[2], p["rootHash"].as_str().unwrap());
    let line = sigs.lines().next().unwrap();
    let rest = line
        .strip_prefix("\u{2014} rekor.fake-sigstore.test ")
        .unwrap();
    let blob = fs::unb64(rest);
    assert_eq!(&blob[..4], &f.rekor_v1.spki_sha256()[..4]);
    rekor
        .verify(text.as_bytes(), &blob[4..])
        .expect("checkpoint verifies");
    // body
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body["spec"]["data"]["hash"]["value"],
        hex::encode(fs::sha256(&m.artifact))
    );
}

#[test]
fn fake_rekor_v2_checkpoint_uses_c2sp_key_id() {
    let f = fake();
    let m = f.mint(&Spec::v2());
    let e = m.entry();
    assert!(e.get("integratedTime").is_none() && e.get("inclusionPromise").is_none());
    let cp = e["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap();
    let (text, sigs) = cp.split_once("\n\n").unwrap();
    let text = format!("{text}\n");
    let blob = fs::unb64(
        sigs.lines()
            .next()
            .unwrap()
            .strip_prefix(&format!("\u{2014} {} ", fs::REKOR_V2_HOST))
            .unwrap(),
    );
    assert_eq!(blob.len(), 68);
    assert_eq!(&blob[..4], &b64_field(&e["logId"]["keyId"])[..4]);
    let k = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ED25519,
        f.rekor_v2.public_raw(),
    );
    k.verify(text.as_bytes(), &blob[4..]).unwrap();
    let root: Value = m.trusted_root.clone();
    assert_eq!(root["tlogs"][1]["logId"]["keyId"], e["logId"]["keyId"]);
}

#[test]
fn fake_dsse_bundle_logs_pae_digest_on_rekor_v2_and_hashes_on_v1() {
    let f = fake();
    let m = f.mint(&Spec::v2().dsse());
    let env = &m.bundle["dsseEnvelope"];
    let payload = b64_field(&env["payload"]);
    let body: Value = serde_json::from_slice(&m.body).unwrap();
    let d = b64_field(&body["spec"]["hashedRekordV002"]["data"]["digest"]);
    assert_eq!(d, fs::sha256(&fs::pae(fs::INTOTO_PAYLOAD_TYPE, &payload)));
    let m1 = f.mint(&Spec::v03().dsse());
    let body: Value = serde_json::from_slice(&m1.body).unwrap();
    let env_s = serde_json::to_string(&m1.bundle["dsseEnvelope"]).unwrap();
    assert_eq!(
        body["spec"]["envelopeHash"]["value"],
        hex::encode(fs::sha256(env_s.as_bytes()))
    );
}

#[test]
fn fake_trusted_root_is_parsed_by_airlock() {
    let m = fake().mint(&Spec::v03());
    let bytes = serde_json::to_vec(&m.trusted_root).unwrap();
    let r = airlock::trust::TrustedRoot::from_json(&bytes).unwrap();
    assert_eq!(r.tlogs.len(), 2);
    assert_eq!(r.timestamp_authorities.len(), 3);
}

// ---- happy paths: every shape the fake mints verifies ----

use fs::{
    assert_rejected, assert_verified, BodyBreak, CaChoice, ChainExtra, CheckpointBreak, DsseBreak,
    Material, MediaType, ProofBreak, SctMode, SetBreak, TsaChoice, ValidFor, T0,
};

#[test]
fn happy_v01_message_signature_rekor_v1() {
    assert_verified(&fake().mint(&Spec::v01()));
}

#[test]
fn happy_v01_chain_with_intermediate() {
    let mut s = Spec::v01();
    s.material = Material::Chain(ChainExtra::WithIntermediate);
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_v02_message_signature_rekor_v1() {
    assert_verified(&fake().mint(&Spec::v02()));
}

#[test]
fn happy_v03_message_signature_rekor_v1() {
    assert_verified(&fake().mint(&Spec::v03()));
}

#[test]
fn happy_v03_new_media_type() {
    assert_verified(&fake().mint(&Spec::v03().media(MediaType::V03New)));
}

#[test]
fn happy_v03_rekor_v1_with_timestamp() {
    assert_verified(&fake().mint(&Spec::v03().with_timestamp()));
}

#[test]
fn happy_v03_dsse_rekor_v1() {
    assert_verified(&fake().mint(&Spec::v03().dsse()));
}

#[test]
fn happy_v03_rekor_v2_message_signature() {
    assert_verified(&fake().mint(&Spec::v2()));
}

#[test]
fn happy_v03_rekor_v2_dsse() {
    assert_verified(&fake().mint(&Spec::v2().dsse()));
}

#[test]
fn happy_managed_key_rekor_v1() {
    assert_verified(&fake().mint(&Spec::v03().managed_key()));
}

#[test]
fn happy_managed_key_rekor_v2() {
    assert_verified(&fake().mint(&Spec::v2().managed_key()));
}

#[test]
fn happy_v01_leaf_only_no_checkpoint_on_set() {
    // v0.1 needs only the SET; a proof with a checkpoint is extra evidence.
    let mut s = Spec::v01();
    s.brk.proof = ProofBreak::Missing;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_rekor_v1_sharded_log_proof_index_below_global_index() {
    // Rekor v1 shards: the entry's logIndex is global, the proof's is within the shard's tree.
    let mut s = Spec::v03();
    s.shard_offset = 1_000_000;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_checkpoint_with_unknown_witness_cosignature() {
    for base in [Spec::v03(), Spec::v2()] {
        let mut s = base;
        s.brk.checkpoint = CheckpointBreak::WithUnknownWitness;
        assert_verified(&fake().mint(&s));
    }
}

#[test]
fn happy_checkpoint_with_log_signature_second() {
    for base in [Spec::v03(), Spec::v2()] {
        let mut s = base;
        s.brk.checkpoint = CheckpointBreak::LogSignatureSecond;
        assert_verified(&fake().mint(&s));
    }
}

#[test]
fn happy_checkpoint_with_extra_signature_under_log_name() {
    for base in [Spec::v03(), Spec::v2()] {
        let mut s = base;
        s.brk.checkpoint = CheckpointBreak::ExtraSignatureSameName;
        assert_verified(&fake().mint(&s));
    }
}

#[test]
fn happy_rekor_v1_checkpoint_with_timestamp_extension_line() {
    let mut s = Spec::v01();
    s.brk.checkpoint = CheckpointBreak::WithTimestampLine;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_sct_with_extensions() {
    let mut s = Spec::v2();
    s.leaf.sct = SctMode::ValidWithExtensions;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_email_identity() {
    let mut s = Spec::v03();
    s.leaf.sans = vec![fs::San::Email("signer@fake-sigstore.test".into())];
    s.leaf.oidc_issuer = Some("https://accounts.fake-sigstore.test".into());
    s.leaf.oidc_issuer_legacy = None;
    let m = fake().mint(&s);
    assert_eq!(m.identity.as_deref(), Some("signer@fake-sigstore.test"));
    assert_verified(&m);
}

#[test]
fn happy_othername_identity() {
    let mut s = Spec::v03();
    s.leaf.sans = vec![fs::San::OtherName("fake-user!fake-sigstore.test".into())];
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_legacy_issuer_extension_only() {
    let mut s = Spec::v03();
    s.leaf.oidc_issuer = None;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_identity_regexp() {
    let m = fake().mint(&Spec::v03());
    fs::run::assert_verified_with(
        &m,
        &fs::Policy::Regexp {
            identity: "^https://github\\.com/fake-org/.*$".into(),
            issuer: "^https://token\\.actions\\.githubusercontent\\.com$".into(),
        },
    );
}

#[test]
fn happy_tlog_validity_end_is_inclusive() {
    let mut s = Spec::v03();
    s.root.rekor_v1 = ValidFor::between(fs::EPOCH, s.signed_at);
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_tsa_validity_end_is_inclusive() {
    let mut s = Spec::v2();
    s.root.tsa = ValidFor::between(fs::EPOCH, s.signed_at);
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_ca_validity_end_is_inclusive() {
    let mut s = Spec::v03();
    s.root.ca = ValidFor::between(fs::EPOCH, s.signed_at);
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_timestamp_without_embedded_certificate() {
    let mut s = Spec::v2();
    s.tsa().embed_certs = false;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_timestamp_from_tsa_whose_certificate_expired_since() {
    // Valid at genTime, expired now: timestamps are judged at their own time.
    let mut s = Spec::v2();
    s.tsa().which = TsaChoice::ShortLived;
    assert_verified(&fake().mint(&s));
}

#[test]
fn happy_rekor_v2_with_two_timestamps_from_two_authorities() {
    let mut s = Spec::v2().with_timestamp();
    s.timestamps[1].which = fs::TsaChoice::ShortLived;
    assert_verified(&fake().mint(&s));
}

/// sigstore-go and sigstore-python refuse duplicates: one authority must never count twice.
#[test]
fn the_same_timestamp_twice_is_refused() {
    attack_minted(
        Spec::v2(),
        |m| {
            let ts = &mut m.bundle["verificationMaterial"]["timestampVerificationData"]
                ["rfc3161Timestamps"];
            let first = ts[0].clone();
            ts.as_array_mut().unwrap().push(first);
        },
        "timestamp-duplicate",
    );
}

#[test]
fn two_timestamps_from_one_authority_are_refused() {
    let mut base = Spec::v2().with_timestamp();
    base.timestamps[1].which = fs::TsaChoice::ShortLived;
    attack(
        base,
        |s| s.timestamps[1].which = fs::TsaChoice::Main,
        "timestamp-duplicate",
    );
}

// ---- attacks ----

/// Checks the unbroken `base` verifies, then that `brk` applied to it is rejected with `code`.
fn attack(base: Spec, brk: impl FnOnce(&mut Spec), code: &str) {
    let f = fake();
    assert_verified(&f.mint(&base));
    let mut s = base;
    brk(&mut s);
    assert_rejected(&f.mint(&s), code);
}

/// Same, with the bundle tampered after minting.
fn attack_minted(base: Spec, tamper: impl FnOnce(&mut fs::Minted), code: &str) {
    let mut m = fake().mint(&base);
    assert_verified(&m);
    tamper(&mut m);
    assert_rejected(&m, code);
}

// -- signed entry timestamp (Rekor v1) --

#[test]
fn set_signed_by_another_key_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.set = SetBreak::OtherKey,
        "set-invalid",
    );
}

#[test]
fn set_with_tampered_integrated_time_is_rejected() {
    attack_minted(
        Spec::v03(),
        |m| {
            let t: i64 = m.entry()["integratedTime"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            m.entry_mut()["integratedTime"] = Value::String((t + 1).to_string());
        },
        "set-invalid",
    );
}

#[test]
fn set_over_another_integrated_time_is_rejected() {
    attack(
        Spec::v01(),
        |s| s.brk.set = SetBreak::OverOtherTime(-30),
        "set-invalid",
    );
}

#[test]
fn set_over_another_log_index_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.set = SetBreak::OverOtherIndex(1),
        "set-invalid",
    );
}

#[test]
fn set_missing_from_v01_bundle_is_rejected() {
    attack(
        Spec::v01(),
        |s| s.brk.set = SetBreak::Missing,
        "bundle-missing-tlog-evidence",
    );
}

#[test]
fn set_missing_without_timestamp_leaves_no_verified_time() {
    attack(
        Spec::v03(),
        |s| s.brk.set = SetBreak::Missing,
        "no-verified-time",
    );
}

#[test]
fn entry_from_log_not_in_trusted_root_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.include_rekor_v1 = false,
        "tlog-unknown-log",
    );
}

#[test]
fn entry_naming_unknown_log_id_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.entry_log_id = Some(fake().rogue_rekor_v1.spki_sha256().to_vec()),
        "tlog-unknown-log",
    );
}

#[test]
fn rekor_v1_entry_signed_by_rogue_log_key_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.rogue_log = true,
        "checkpoint-no-valid-signature",
    );
}

#[test]
fn rekor_v1_entry_signed_by_rogue_log_key_without_checkpoint_is_rejected() {
    attack(
        Spec::v01(),
        |s| {
            s.brk.rogue_log = true;
            s.brk.proof = ProofBreak::Missing;
        },
        "set-invalid",
    );
}

// -- inclusion proofs --

#[test]
fn inclusion_proof_with_flipped_hash_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.proof = ProofBreak::FlipHash(2),
            "inclusion-proof-invalid",
        );
    }
}

#[test]
fn inclusion_proof_missing_a_hash_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.proof = ProofBreak::DropHash,
            "inclusion-proof-invalid",
        );
    }
}

#[test]
fn inclusion_proof_with_extra_hash_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.proof = ProofBreak::ExtraHash,
            "inclusion-proof-invalid",
        );
    }
}

#[test]
fn inclusion_proof_to_a_signed_wrong_root_is_rejected() {
    // The checkpoint vouches for the root in the proof, but the audit path does not lead there.
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.proof = ProofBreak::WrongRootSigned,
            "inclusion-proof-invalid",
        );
    }
}

#[test]
fn inclusion_proof_with_tree_size_not_above_index_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.proof = ProofBreak::TreeSizeAtIndex,
            "inclusion-proof-invalid",
        );
    }
}

#[test]
fn inclusion_proof_missing_from_v02_bundle_is_rejected() {
    attack(
        Spec::v02(),
        |s| s.brk.proof = ProofBreak::Missing,
        "bundle-missing-tlog-evidence",
    );
}

#[test]
fn inclusion_proof_missing_from_rekor_v2_entry_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.brk.proof = ProofBreak::Missing,
        "bundle-missing-tlog-evidence",
    );
}

#[test]
fn rekor_v2_proof_index_differs_from_entry_index_is_rejected() {
    for d in [-1, 1] {
        attack(
            Spec::v2(),
            |s| s.brk.proof = ProofBreak::IndexMismatch(d),
            "tlog-index-mismatch",
        );
    }
}

#[test]
fn rekor_v1_proof_index_past_entry_index_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.proof = ProofBreak::IndexMismatch(1),
        "tlog-index-mismatch",
    );
}

// -- checkpoints --

#[test]
fn checkpoint_signed_by_unknown_key_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::OtherKey,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_with_wrong_key_hint_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::WrongKeyHint,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_signature_under_another_name_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::WrongKeyName,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_with_corrupt_signature_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::CorruptSignature,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_from_unknown_witness_only_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::WitnessOnly,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_without_signatures_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::Unsigned,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_with_wrong_origin_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::WrongOrigin,
            "checkpoint-no-valid-signature",
        );
    }
}

#[test]
fn checkpoint_over_another_root_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::OtherRoot,
            "checkpoint-mismatch",
        );
    }
}

#[test]
fn checkpoint_over_another_tree_size_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::OtherSize,
            "checkpoint-mismatch",
        );
    }
}

#[test]
fn checkpoint_missing_from_v03_proof_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.checkpoint = CheckpointBreak::Missing,
            "checkpoint-missing",
        );
    }
}

// -- entry bodies against the bundle --

#[test]
fn hashedrekord_body_naming_another_digest_is_rejected() {
    for base in [Spec::v01(), Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherDigest,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn hashedrekord_body_naming_another_signature_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherSignature,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn hashedrekord_body_naming_another_certificate_is_rejected() {
    for base in [Spec::v03(), Spec::v2()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherSigner,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn hashedrekord_body_naming_another_managed_key_is_rejected() {
    for base in [Spec::v03().managed_key(), Spec::v2().managed_key()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherSigner,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn dsse_body_naming_another_payload_hash_is_rejected() {
    attack(
        Spec::v03().dsse(),
        |s| s.brk.body = BodyBreak::OtherPayloadHash,
        "tlog-entry-mismatch",
    );
}

#[test]
fn dsse_body_naming_another_signature_is_rejected() {
    for base in [Spec::v03().dsse(), Spec::v2().dsse()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherSignature,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn dsse_body_naming_another_certificate_is_rejected() {
    for base in [Spec::v03().dsse(), Spec::v2().dsse()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherSigner,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn rekor_v2_dsse_body_naming_another_digest_is_rejected() {
    attack(
        Spec::v2().dsse(),
        |s| s.brk.body = BodyBreak::OtherDigest,
        "tlog-entry-mismatch",
    );
}

#[test]
fn entry_kind_not_matching_body_is_rejected() {
    for base in [Spec::v03(), Spec::v03().dsse()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::KindMismatch,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn canonicalized_body_reencoded_after_logging_is_rejected() {
    // Same JSON meaning, other bytes: the body still matches the bundle, but it is not the leaf
    // the log holds, so the audit path no longer leads to the signed root.
    for base in [Spec::v03(), Spec::v2()] {
        attack_minted(
            base,
            |m| {
                let v: Value = serde_json::from_slice(&m.body).unwrap();
                let pretty = serde_json::to_vec_pretty(&v).unwrap();
                m.entry_mut()["canonicalizedBody"] = Value::String(fs::b64(&pretty));
            },
            "inclusion-proof-invalid",
        );
    }
}

// -- certificates --

#[test]
fn certificate_from_untrusted_ca_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.ca = CaChoice::Rogue,
        "certificate-untrusted",
    );
}

#[test]
fn certificate_chain_from_untrusted_ca_in_bundle_is_rejected() {
    let mut base = Spec::v01();
    base.material = Material::Chain(ChainExtra::WithIntermediate);
    // The rogue CA's intermediate rides in the chain: refused before any path is built.
    attack(
        base,
        |s| s.leaf.ca = CaChoice::Rogue,
        "certificate-chain-untrusted",
    );
}

#[test]
fn leaf_from_untrusted_ca_without_chain_is_rejected() {
    attack(
        Spec::v01(),
        |s| s.leaf.ca = CaChoice::Rogue,
        "certificate-untrusted",
    );
}

/// Older npm and sigstore-js bundles carry leaf, Fulcio intermediate and Fulcio root: they add
/// nothing to the trusted root, and sigstore-go, sigstore-js and sigstore-rust accept them.
#[test]
fn certificate_chain_with_the_trusted_intermediate_and_root_is_accepted() {
    for extra in [
        ChainExtra::WithIntermediate,
        ChainExtra::WithIntermediateAndRoot,
    ] {
        for spec in [Spec::v01(), Spec::v02()] {
            let mut s = spec;
            s.material = Material::Chain(extra);
            assert_verified(&fake().mint(&s));
        }
    }
}

#[test]
fn certificate_chain_carrying_a_root_not_in_the_trusted_root_is_rejected() {
    let mut base = Spec::v01();
    base.material = Material::Chain(ChainExtra::WithIntermediateAndRoot);
    attack(
        base,
        |s| s.material = Material::Chain(ChainExtra::WithIntermediateAndRogueRoot),
        "certificate-chain-contains-root",
    );
}

#[test]
fn certificate_chain_smuggling_an_untrusted_intermediate_is_rejected() {
    let mut base = Spec::v01();
    base.material = Material::Chain(ChainExtra::WithIntermediate);
    attack(
        base,
        |s| s.material = Material::Chain(ChainExtra::WithRogueIntermediate),
        "certificate-chain-untrusted",
    );
}

#[test]
fn signing_time_after_ca_validity_window_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.ca = ValidFor::between(fs::EPOCH, s.signed_at - 1),
        "certificate-outside-ca-validity",
    );
}

#[test]
fn signing_time_before_ca_validity_window_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.ca = ValidFor::from(s.signed_at + 1),
        "certificate-outside-ca-validity",
    );
}

#[test]
fn signing_time_after_certificate_expiry_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.signed_at = s.leaf.not_after + 1,
        "certificate-not-valid-at-signing-time",
    );
}

#[test]
fn signing_time_before_certificate_validity_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.signed_at = s.leaf.not_before - 1,
        "certificate-not-valid-at-signing-time",
    );
}

#[test]
fn signing_time_at_certificate_expiry_is_accepted_then_one_second_later_rejected() {
    let mut s = Spec::v03();
    s.signed_at = s.leaf.not_after;
    attack(
        s,
        |s| s.signed_at += 1,
        "certificate-not-valid-at-signing-time",
    );
}

#[test]
fn certificate_without_sct_is_rejected() {
    attack(Spec::v03(), |s| s.leaf.sct = SctMode::Absent, "sct-missing");
}

#[test]
fn sct_from_unknown_ct_log_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.sct = SctMode::UntrustedLog,
        "sct-unknown-log",
    );
}

#[test]
fn sct_when_trusted_root_has_no_ct_log_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.include_ctlog = false,
        "sct-unknown-log",
    );
}

#[test]
fn sct_over_another_precertificate_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.sct = SctMode::OverOtherTbs,
        "sct-invalid",
    );
}

#[test]
fn sct_with_wrong_issuer_key_hash_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.sct = SctMode::WrongIssuerKeyHash,
        "sct-invalid",
    );
}

#[test]
fn sct_with_corrupt_signature_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.sct = SctMode::CorruptSignature,
        "sct-invalid",
    );
}

#[test]
fn certificate_with_server_auth_eku_only_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.eku = vec![fs::x509::OID_SERVER_AUTH],
        "certificate-not-code-signing",
    );
}

#[test]
fn certificate_without_eku_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.eku = vec![],
        "certificate-not-code-signing",
    );
}

#[test]
fn certificate_with_unknown_critical_extension_is_rejected() {
    attack(
        Spec::v03(),
        |s| {
            s.leaf
                .extra_exts
                .push(fs::x509::Ext::new("1.3.6.1.4.1.99999.1", true, der::null()))
        },
        "certificate-unhandled-critical-extension",
    );
}

// -- identity policy --

#[test]
fn identity_mismatch_is_rejected() {
    let m = fake().mint(&Spec::v03());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Identity {
            identity: format!("{}x", fs::IDENTITY),
            issuer: fs::OIDC_ISSUER.into(),
        },
        "identity-mismatch",
    );
}

#[test]
fn issuer_mismatch_is_rejected() {
    let m = fake().mint(&Spec::v03());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Identity {
            identity: fs::IDENTITY.into(),
            issuer: "https://accounts.evil.test".into(),
        },
        "issuer-mismatch",
    );
}

#[test]
fn identity_regexp_not_matching_is_rejected() {
    let m = fake().mint(&Spec::v03());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Regexp {
            identity: "^https://github\\.com/other-org/.*$".into(),
            issuer: ".*".into(),
        },
        "identity-mismatch",
    );
}

#[test]
fn issuer_regexp_not_matching_is_rejected() {
    let m = fake().mint(&Spec::v03());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Regexp {
            identity: ".*".into(),
            issuer: "^https://accounts\\.google\\.com$".into(),
        },
        "issuer-mismatch",
    );
}

#[test]
fn issuer_from_legacy_extension_cannot_override_v2_extension() {
    // When both are present, 1.3.6.1.4.1.57264.1.8 is the issuer; a different legacy .1.1
    // value must not satisfy the policy.
    let mut s = Spec::v03();
    s.leaf.oidc_issuer_legacy = Some("https://accounts.evil.test".into());
    let m = fake().mint(&s);
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Identity {
            identity: fs::IDENTITY.into(),
            issuer: "https://accounts.evil.test".into(),
        },
        "issuer-mismatch",
    );
}

// -- times --

/// A time after the verifier's clock, inside the fake CA's and TSAs' certificate validity.
fn a_year_from_now() -> i64 {
    // The verifier's clock is `airlock::clock::now()`; read the same one.
    let now = airlock::clock::now().as_second();
    let t = now + fs::YEAR;
    assert!(
        t < fs::EPOCH + 8 * fs::YEAR,
        "the fake's certificates need renewing"
    );
    t
}

#[test]
fn integrated_time_in_future_is_rejected() {
    let future = a_year_from_now();
    attack(
        Spec::v03(),
        |s| {
            s.leaf.not_before = future;
            s.leaf.not_after = future + 600;
            s.signed_at = future + 60;
        },
        "time-in-future",
    );
}

#[test]
fn integrated_time_outside_tlog_key_validity_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.rekor_v1 = ValidFor::between(fs::EPOCH, s.signed_at - 1),
        "tlog-key-not-valid-at-time",
    );
}

#[test]
fn rekor_v2_entry_outside_tlog_key_validity_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.root.rekor_v2 = ValidFor::from(s.signed_at + 1),
        "tlog-key-not-valid-at-time",
    );
}

#[test]
fn rekor_v2_without_timestamp_is_rejected() {
    attack(Spec::v2(), |s| s.timestamps.clear(), "no-verified-time");
}

// -- RFC 3161 timestamps (Rekor v2: the only time source) --

#[test]
fn tsa_timestamp_from_untrusted_authority_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().which = TsaChoice::Rogue,
        "timestamp-untrusted",
    );
}

#[test]
fn tsa_timestamp_from_untrusted_authority_without_embedded_cert_is_rejected() {
    attack(
        Spec::v2(),
        |s| {
            s.tsa().which = TsaChoice::Rogue;
            s.tsa().embed_certs = false;
        },
        "timestamp-untrusted",
    );
}

#[test]
fn tsa_timestamp_when_trusted_root_has_no_tsa_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.root.include_tsas = false,
        "timestamp-untrusted",
    );
}

#[test]
fn tsa_timestamp_after_trusted_root_window_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.root.tsa = ValidFor::between(fs::EPOCH, s.signed_at - 1),
        "timestamp-outside-tsa-validity",
    );
}

#[test]
fn tsa_timestamp_before_trusted_root_window_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.root.tsa = ValidFor::from(s.signed_at + 1),
        "timestamp-outside-tsa-validity",
    );
}

#[test]
fn tsa_timestamp_after_tsa_certificate_expiry_is_rejected() {
    let base = {
        let mut s = Spec::v2();
        s.tsa().which = TsaChoice::ShortLived;
        s
    };
    attack(
        base,
        |s| s.tsa().gen_time = Some(fake().tsa_short.leaf_not_after + 1),
        "timestamp-outside-tsa-cert-validity",
    );
}

#[test]
fn tsa_timestamp_over_other_bytes_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().imprint_over = Some(b"another signature".to_vec()),
        "timestamp-payload-mismatch",
    );
}

#[test]
fn tsa_timestamp_with_message_digest_attribute_mismatch_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().message_digest_override = Some(sha_of(b"another TSTInfo")),
        "timestamp-invalid-signature",
    );
}

fn sha_of(b: &[u8]) -> Vec<u8> {
    fs::sha256(b).to_vec()
}

#[test]
fn tsa_timestamp_with_corrupt_signature_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().corrupt_signature = true,
        "timestamp-invalid-signature",
    );
}

#[test]
fn tsa_timestamp_not_granted_is_rejected() {
    attack(Spec::v2(), |s| s.tsa().status = 2, "timestamp-not-granted");
}

#[test]
fn tsa_timestamp_naming_another_signing_certificate_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().wrong_signing_certificate_hash = true,
        "timestamp-signing-certificate-mismatch",
    );
}

#[test]
fn tsa_timestamp_without_signing_certificate_attribute_is_rejected() {
    // RFC 3161 §2.4.1: the token must name its signing certificate (ESSCertID or ESSCertIDv2).
    attack(
        Spec::v2(),
        |s| s.tsa().omit_signing_certificate = true,
        "timestamp-signing-certificate-missing",
    );
}

#[test]
fn tsa_timestamp_with_v1_signing_certificate_verifies() {
    // RFC 2634 signingCertificate with a SHA-1 ESSCertID (what FreeTSA writes) is accepted.
    let mut s = Spec::v2();
    s.tsa().signing_certificate_v1 = true;
    assert_verified(&fake().mint(&s));
}

#[test]
fn tsa_timestamp_whose_v1_signing_certificate_names_another_certificate_is_rejected() {
    let mut base = Spec::v2();
    base.tsa().signing_certificate_v1 = true;
    attack(
        base,
        |s| s.tsa().wrong_signing_certificate_hash = true,
        "timestamp-signing-certificate-mismatch",
    );
}

#[test]
fn tsa_time_outside_certificate_validity_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().gen_time = Some(s.leaf.not_after + 1),
        "certificate-not-valid-at-signing-time",
    );
}

#[test]
fn tsa_time_outside_certificate_validity_is_rejected_even_with_a_good_set() {
    // Rekor v1 + TSA: every verified time must lie in the certificate's validity.
    attack(
        Spec::v03().with_timestamp(),
        |s| s.tsa().gen_time = Some(s.leaf.not_after + 1),
        "certificate-not-valid-at-signing-time",
    );
}

// -- the signature over the content --

#[test]
fn signature_over_other_data_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.signature_over = Some(b"something else".to_vec()),
        "signature-invalid",
    );
}

#[test]
fn message_digest_mismatch_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.brk.message_digest_claim = Some(sha_of(b"something else")),
        "message-digest-mismatch",
    );
}

#[test]
fn wrong_artifact_is_rejected() {
    attack_minted(
        Spec::v03(),
        |m| m.artifact = b"a different artifact\n".to_vec(),
        "message-digest-mismatch",
    );
}

#[test]
fn wrong_artifact_without_message_digest_hint_is_rejected() {
    attack_minted(
        Spec::v03(),
        |m| {
            m.bundle["messageSignature"]
                .as_object_mut()
                .unwrap()
                .remove("messageDigest");
            m.artifact = b"a different artifact\n".to_vec();
        },
        "signature-invalid",
    );
}

#[test]
fn managed_key_bundle_checked_with_another_key_is_rejected() {
    let m = fake().mint(&Spec::v03().managed_key());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Key(fake().other_managed_key.public_pem()),
        "signature-invalid",
    );
}

#[test]
fn managed_key_bundle_checked_by_identity_is_rejected() {
    let m = fake().mint(&Spec::v03().managed_key());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Identity {
            identity: fs::IDENTITY.into(),
            issuer: fs::OIDC_ISSUER.into(),
        },
        "key-required",
    );
}

#[test]
fn certificate_bundle_checked_with_a_key_is_rejected() {
    let m = fake().mint(&Spec::v03());
    assert_verified(&m);
    fs::run::assert_rejected_with(
        &m,
        &fs::Policy::Key(fake().leaf_key.public_pem()),
        "certificate-bundle-with-key",
    );
}

// -- DSSE --

#[test]
fn dsse_subject_mismatch_is_rejected() {
    for base in [Spec::v03().dsse(), Spec::v2().dsse()] {
        attack(
            base,
            |s| s.brk.dsse = DsseBreak::SubjectOtherDigest,
            "artifact-not-in-statement",
        );
    }
}

#[test]
fn dsse_signature_over_other_payload_is_rejected() {
    attack(
        Spec::v03().dsse(),
        |s| s.brk.dsse = DsseBreak::SignatureOverOtherPayload,
        "dsse-signature-invalid",
    );
}

#[test]
fn dsse_payload_swapped_after_signing_is_rejected() {
    attack(
        Spec::v2().dsse(),
        |s| s.brk.dsse = DsseBreak::SwapPayloadAfterLogging,
        "dsse-signature-invalid",
    );
}

#[test]
fn dsse_payload_type_not_in_toto_is_rejected() {
    attack(
        Spec::v03().dsse(),
        |s| s.brk.dsse = DsseBreak::PayloadTypeNotInToto,
        "dsse-payload-not-intoto",
    );
}

// -- bundle shape --

#[test]
fn v03_bundle_with_certificate_chain_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.material = Material::Chain(ChainExtra::LeafOnly),
        "bundle-invalid-field",
    );
}

#[test]
fn bundle_without_tlog_entry_is_rejected() {
    attack_minted(
        Spec::v2(),
        |m| m.bundle["verificationMaterial"]["tlogEntries"] = Value::Array(vec![]),
        "tlog-entry-missing",
    );
}

// -- key confusion and profiles --

#[test]
fn sct_signed_by_rekor_key_is_rejected() {
    // The Rekor key is in the trusted root, but as a transparency log, not a CT log.
    attack(
        Spec::v03(),
        |s| s.leaf.sct = SctMode::SignedByRekorKey,
        "sct-unknown-log",
    );
}

#[test]
fn sct_from_ct_log_outside_its_validity_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.root.ctlog = ValidFor::between(fs::EPOCH, s.leaf.not_before - 1),
        "sct-invalid",
    );
}

#[test]
fn certificate_marked_as_ca_is_rejected() {
    attack(
        Spec::v03(),
        |s| {
            s.leaf
                .extra_exts
                .push(fs::x509::basic_constraints(true, None))
        },
        "certificate-is-ca",
    );
}

#[test]
fn certificate_without_digital_signature_key_usage_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.key_usage = vec![5],
        "certificate-key-usage-invalid",
    );
}

#[test]
fn certificate_without_key_usage_extension_is_rejected() {
    // Fulcio always issues KeyUsage digitalSignature (critical); a leaf without the extension
    // does not fit the Fulcio leaf profile, even when a trusted CA signed it and an SCT vouches.
    attack(
        Spec::v03(),
        |s| s.leaf.key_usage = Vec::new(),
        "certificate-key-usage-invalid",
    );
}

#[test]
fn tsa_timestamp_from_tsa_without_timestamping_eku_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().which = TsaChoice::NoTimestampingEku,
        "timestamp-signer-not-timestamping",
    );
}

#[test]
fn tsa_timestamp_signed_under_the_fulcio_ca_is_rejected() {
    // The Fulcio CA is trusted to issue code-signing certificates, not timestamping ones.
    attack(
        Spec::v2(),
        |s| s.tsa().which = TsaChoice::IssuedByFulcio,
        "timestamp-untrusted",
    );
}

#[test]
fn entry_log_index_tampered_is_rejected() {
    attack_minted(
        Spec::v03(),
        |m| m.entry_mut()["logIndex"] = Value::String("30".into()),
        "set-invalid",
    );
}

#[test]
fn unsigned_integrated_time_on_rekor_v2_is_not_a_verified_time() {
    attack_minted(
        Spec::v2(),
        |m| {
            m.bundle["verificationMaterial"]
                .as_object_mut()
                .unwrap()
                .remove("timestampVerificationData");
            m.entry_mut()["integratedTime"] = Value::String((T0 + 60).to_string());
        },
        "no-verified-time",
    );
}

#[test]
fn rekor_v2_timestamp_in_future_is_rejected() {
    let future = a_year_from_now();
    attack(
        Spec::v2(),
        |s| {
            s.leaf.not_before = future;
            s.leaf.not_after = future + 600;
            s.signed_at = future + 60;
        },
        "time-in-future",
    );
}

#[test]
fn dsse_envelope_with_two_signatures_is_rejected() {
    attack_minted(
        Spec::v03().dsse(),
        |m| {
            let sigs = m.bundle["dsseEnvelope"]["signatures"]
                .as_array_mut()
                .unwrap();
            let first = sigs[0].clone();
            sigs.push(first);
        },
        "dsse-signature-count",
    );
}

#[test]
fn bundle_with_both_message_signature_and_dsse_envelope_is_rejected() {
    attack_minted(
        Spec::v03(),
        |m| {
            let d = fake().mint(&Spec::v03().dsse());
            m.bundle["dsseEnvelope"] = d.bundle["dsseEnvelope"].clone();
        },
        "bundle-invalid-field",
    );
}

#[test]
fn v01_bundle_with_empty_certificate_chain_is_rejected() {
    attack_minted(
        Spec::v01(),
        |m| {
            m.bundle["verificationMaterial"]["x509CertificateChain"]["certificates"] =
                Value::Array(vec![])
        },
        "bundle-empty-certificate-chain",
    );
}

#[test]
fn canonicalized_body_reencoded_under_set_only_is_rejected() {
    let mut base = Spec::v01();
    base.brk.proof = ProofBreak::Missing;
    attack_minted(
        base,
        |m| {
            let v: Value = serde_json::from_slice(&m.body).unwrap();
            let pretty = serde_json::to_vec_pretty(&v).unwrap();
            m.entry_mut()["canonicalizedBody"] = Value::String(fs::b64(&pretty));
        },
        "set-invalid",
    );
}

#[test]
fn happy_rekor_v1_without_set_timed_by_tsa() {
    let mut s = Spec::v03().with_timestamp();
    s.brk.set = SetBreak::Missing;
    assert_verified(&fake().mint(&s));
}

#[test]
fn tsa_timestamp_naming_another_authority_is_rejected() {
    attack(
        Spec::v2(),
        |s| s.tsa().wrong_tsa_name = true,
        "timestamp-tsa-name-mismatch",
    );
}

#[test]
fn precertificate_used_as_signing_certificate_is_rejected() {
    // RFC 6962 §3.1: the poison extension marks a precertificate, which must not be used.
    attack(
        Spec::v03(),
        |s| {
            s.leaf.extra_exts.push(fs::x509::Ext::new(
                fs::x509::OID_CT_POISON,
                true,
                der::null(),
            ))
        },
        "certificate-unhandled-critical-extension",
    );
}

#[test]
fn certificate_under_intermediate_expired_at_signing_time_is_rejected() {
    attack(
        Spec::v03(),
        |s| s.leaf.ca = CaChoice::ExpiredIntermediate,
        "certificate-outside-ca-validity",
    );
}

#[test]
fn second_tlog_entry_from_unknown_log_is_rejected() {
    // Every entry a bundle carries must verify, not just one of them.
    attack_minted(
        Spec::v03(),
        |m| {
            let mut s = Spec::v03();
            s.brk.entry_log_id = Some(fake().rogue_rekor_v1.spki_sha256().to_vec());
            let other = fake().mint(&s);
            let e = other.entry().clone();
            m.bundle["verificationMaterial"]["tlogEntries"]
                .as_array_mut()
                .unwrap()
                .push(e);
        },
        "tlog-unknown-log",
    );
}

/// Every JSON key path of `v` ("a.b[].c"), decoding `canonicalizedBody` as JSON too.
fn key_paths(v: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let p = format!("{prefix}.{k}");
                out.insert(p.clone());
                if k == "canonicalizedBody" {
                    let body: Value = serde_json::from_slice(&b64_field(child)).unwrap();
                    key_paths(&body, &format!("{p}/"), out);
                } else {
                    key_paths(child, &p, out);
                }
            }
        }
        Value::Array(a) => {
            for child in a {
                key_paths(child, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn fake_bundles_have_the_shape_of_real_ones() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/conformance/bundle-verify"
    );
    let cases = [
        ("happy-path-v0.1", Spec::v01()),
        ("happy-path-v0.2", Spec::v02()),
        ("happy-path-v0.3", Spec::v03()),
        ("happy-path-intoto-in-dsse-v3", Spec::v03().dsse()),
        ("rekor2-happy-path", Spec::v2()),
        ("rekor2-dsse-happy-path", Spec::v2().dsse()),
        (
            "managed-key-happy-path",
            Spec::v03().managed_key().with_timestamp(),
        ),
        (
            "intoto-with-custom-trust-root",
            Spec::intoto().with_timestamp(),
        ),
    ];
    for (case, spec) in cases {
        let real: Value = serde_json::from_slice(
            &std::fs::read(format!("{dir}/{case}/bundle.sigstore.json")).unwrap(),
        )
        .unwrap();
        let mut want = std::collections::BTreeSet::new();
        key_paths(&real, "", &mut want);
        let mut got = std::collections::BTreeSet::new();
        key_paths(&fake().mint(&spec).bundle, "", &mut got);
        assert_eq!(
            got.symmetric_difference(&want).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{case}: key paths differ (minted vs real)"
        );
    }
}

#[test]
fn fake_trusted_root_has_the_shape_of_a_real_one() {
    let real: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/conformance/bundle-verify/rekor2-happy-path/trusted_root.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut want = std::collections::BTreeSet::new();
    key_paths(&real, "", &mut want);
    let mut got = std::collections::BTreeSet::new();
    let mut s = Spec::v03();
    s.root.ctlog = ValidFor::between(fs::EPOCH, fs::EPOCH + 10 * fs::YEAR);
    key_paths(&fake().mint(&s).trusted_root, "", &mut got);
    assert_eq!(got, want);
}

#[test]
fn entry_naming_another_certificate_for_the_same_key_is_rejected() {
    // The log holds a certificate for another identity; the bundle's own certificate (same key)
    // was never logged.
    for base in [
        Spec::v03(),
        Spec::v2(),
        Spec::v03().dsse(),
        Spec::v2().dsse(),
    ] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::OtherCertificateSameKey,
            "tlog-entry-mismatch",
        );
    }
}

#[test]
fn entry_naming_the_bare_key_of_a_certificate_bundle_is_rejected() {
    // A key-only entry does not log the certificate (nor its identity).
    for base in [Spec::v03(), Spec::v2(), Spec::v03().dsse()] {
        attack(
            base,
            |s| s.brk.body = BodyBreak::KeyInsteadOfCertificate,
            "tlog-entry-mismatch",
        );
    }
}

// -- legacy intoto 0.0.2 entries --

#[test]
fn happy_v02_intoto_rekor_v1() {
    assert_verified(&fake().mint(&Spec::intoto()));
}

#[test]
fn intoto_body_naming_another_payload_hash_is_rejected() {
    attack(
        Spec::intoto(),
        |s| s.brk.body = BodyBreak::OtherPayloadHash,
        "tlog-entry-mismatch",
    );
}

#[test]
fn intoto_body_naming_another_signature_is_rejected() {
    attack(
        Spec::intoto(),
        |s| s.brk.body = BodyBreak::OtherSignature,
        "tlog-entry-mismatch",
    );
}

#[test]
fn intoto_body_naming_another_certificate_is_rejected() {
    for b in [BodyBreak::OtherSigner, BodyBreak::OtherCertificateSameKey] {
        attack(Spec::intoto(), |s| s.brk.body = b, "tlog-entry-mismatch");
    }
}

#[test]
fn intoto_subject_mismatch_is_rejected() {
    attack(
        Spec::intoto(),
        |s| s.brk.dsse = DsseBreak::SubjectOtherDigest,
        "artifact-not-in-statement",
    );
}

#[test]
fn happy_json_reports_identity_times_and_statement() {
    let mut s = Spec::v03().dsse().with_timestamp();
    s.tsa().gen_time = Some(s.signed_at + 5);
    let m = fake().mint(&s);
    let r = fs::verify(&m, fs::Input::Digest);
    assert!(r.verified(), "{r}");
    let j = r.json.unwrap();
    assert_eq!(
        j["verifiedIdentity"]["subjectAlternativeName"],
        Value::String(fs::IDENTITY.into())
    );
    assert_eq!(
        j["verifiedIdentity"]["issuer"],
        Value::String(fs::OIDC_ISSUER.into())
    );
    let times = j["verifiedTimestamps"].as_array().unwrap();
    assert_eq!(times.len(), 2, "{j}");
    assert_eq!(
        j["statement"]["subject"][0]["digest"]["sha256"],
        Value::String(hex::encode(fs::sha256(&m.artifact)))
    );
}

#[test]
fn bad_timestamp_beside_a_good_set_is_ignored_and_reported() {
    // Like sigstore-go: an unverifiable timestamp is not relied on; the SET still dates the
    // signature. The verdict must say which timestamp was ignored.
    let mut s = Spec::v03().with_timestamp();
    s.tsa().which = TsaChoice::Rogue;
    let m = fake().mint(&s);
    let r = fs::verify(&m, fs::Input::Path);
    assert!(r.verified(), "{r}");
    let j = r.json.unwrap();
    assert_eq!(
        j["ignoredTimestamps"],
        serde_json::json!(["timestamp-untrusted"]),
        "{j}"
    );
    assert_eq!(j["verifiedTimestamps"].as_array().unwrap().len(), 1);
}

/// Real CPython release bundles from 2024 are v0.1 with an inclusion proof and no checkpoint:
/// accepted on their SET, but the proof's root hash is signed by no one, so the result must not
/// call the proof verified.
#[test]
fn v01_inclusion_proof_without_checkpoint_is_reported_unanchored() {
    let mut s = Spec::v01();
    s.brk.checkpoint = CheckpointBreak::Missing;
    let m = fake().mint(&s);
    let r = fs::verify(&m, fs::Input::Path);
    assert!(r.verified(), "{}", r.stderr);
    let e = &r.json.as_ref().unwrap()["transparencyLogEntries"][0];
    assert_eq!(e["inclusionProofVerified"], false, "{e}");
    assert_eq!(e["inclusionProof"], "unanchored", "{e}");
    assert_eq!(e["setVerified"], true);
    // With its checkpoint the same proof is anchored.
    let r = fs::verify(&fake().mint(&Spec::v01()), fs::Input::Path);
    let e = &r.json.as_ref().unwrap()["transparencyLogEntries"][0];
    assert_eq!(e["inclusionProof"], "verified", "{e}");
}

/// A bundle as GitHub's instance makes them: Fulcio leaf without SCT or OIDC issuer extension,
/// an RFC 3161 timestamp, no transparency-log entry; its trusted root lists no log at all.
fn github_instance_bundle(root_lists_rekor: bool) -> fs::Minted {
    let mut s = Spec::v03().with_timestamp();
    s.leaf.oidc_issuer = None;
    s.leaf.oidc_issuer_legacy = None;
    s.leaf.sct = fs::SctMode::Absent;
    s.root.include_ctlog = false;
    s.root.include_rekor_v1 = root_lists_rekor;
    s.root.include_rekor_v2 = false;
    let mut m = fake().mint(&s);
    m.bundle["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    m
}

fn no_issuer() -> fs::Policy {
    fs::Policy::Regexp {
        identity: format!("^{}$", regex_escape(fs::IDENTITY)),
        issuer: "^$".into(),
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == ':' || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn github_instance_bundle_verifies_under_the_policy_its_trusted_root_implies() {
    let m = github_instance_bundle(false);
    let r = fs::run::verify_with(&m, fs::Input::Path, &no_issuer());
    assert!(r.verified(), "{}", r.stderr);
    let j = r.json.as_ref().unwrap();
    assert_eq!(j["transparencyLog"], "not used by this instance");
    assert_eq!(j["certificateTransparency"], "not used by this instance");
    assert_eq!(j["verifiedTimestamps"][0]["type"], "TimestampAuthority");
    // An exact issuer never matches an absent one.
    let exact = fs::Policy::Identity {
        identity: fs::IDENTITY.into(),
        issuer: fs::OIDC_ISSUER.into(),
    };
    let r = fs::run::verify_with(&m, fs::Input::Path, &exact);
    assert_eq!(r.reason(), Some("issuer-mismatch"), "{}", r.stderr);
}

#[test]
fn github_instance_bundle_is_refused_once_its_trusted_root_lists_a_log() {
    let m = github_instance_bundle(true);
    let r = fs::run::verify_with(&m, fs::Input::Path, &no_issuer());
    assert_eq!(r.reason(), Some("tlog-entry-missing"), "{}", r.stderr);
}

#[test]
fn github_instance_bundle_without_a_timestamp_is_refused() {
    let mut m = github_instance_bundle(false);
    m.bundle["verificationMaterial"]["timestampVerificationData"] =
        serde_json::json!({"rfc3161Timestamps": []});
    let r = fs::run::verify_with(&m, fs::Input::Path, &no_issuer());
    assert_eq!(r.reason(), Some("no-verified-time"), "{}", r.stderr);
    assert!(
        r.stderr.contains("lists no transparency log"),
        "{}",
        r.stderr
    );
}
