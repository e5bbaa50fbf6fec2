//! The trust-root lifecycle on the real Sigstore public-good TUF states (tests/data/tuf), through
//! the library with injected time: root rotation 12 → 15, rollback, freeze, mix-and-match,
//! tampering, incomplete chains, tarballs, unrelated files, crash atomicity, import, history.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::trust_support;

use std::fs;

use airlock::trust::{self, CrashPoint, InitRequest};
use trust_support::*;

fn at_0822() -> Option<airlock::time::Timestamp> {
    Some(t("2026-08-22T00:00:00Z"))
}

#[test]
fn pin_12_then_update_to_root_15() {
    let d = store_at_root12();
    let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822()).unwrap();
    assert!(o.changed);
    assert_eq!(o.info.digest, DIGEST_ROOT15);
    assert_eq!(o.info.tuf_root_version, Some(15));
    assert!(o.info.tuf_verified);
    let tuf = o.tuf.unwrap();
    assert_eq!(
        (
            tuf.root.version,
            tuf.timestamp.version,
            tuf.snapshot.version,
            tuf.targets.version
        ),
        (15, 762, 165, 14)
    );
    assert_eq!(o.previous.unwrap().digest, DIGEST_ROOT12);
    let active = trust::active_root(d.path(), t("2026-08-23T00:00:00Z")).unwrap();
    assert_eq!(active.info.digest, DIGEST_ROOT15);
    assert!(!active.info.stale);
    assert_eq!(active.info.at_override, at_0822());
    assert_eq!(active.info.expires, Some(t("2026-08-28T19:25:56Z")));
    assert_eq!(active.root.tlogs.len(), 2);
    // Later the same root is stale, and still in force.
    let later = trust::active_root(d.path(), today()).unwrap();
    assert!(later.info.stale);
    assert_eq!(later.info.digest, DIGEST_ROOT15);
    // The newest verified root and role metadata are kept for the next update.
    let gen = fs::read_to_string(d.path().join("trust/current")).unwrap();
    let tuf_root = d
        .path()
        .join("trust/generations")
        .join(gen.trim())
        .join("tuf/root.json");
    assert_eq!(
        fs::read(tuf_root).unwrap(),
        fs::read(root_file("2026-08-21_root15", 15)).unwrap()
    );
}

#[test]
fn pin_12_walks_the_chain_to_15_in_one_init() {
    let d = tempfile::tempdir().unwrap();
    let req = InitRequest {
        root: Some(root_file("2026-08-21_root15", 12)),
        from: Some(state("2026-08-21_root15")),
        at: at_0822(),
        force: false,
    };
    let o = trust::init(d.path(), &req, today()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
    assert_eq!(o.info.tuf_root_version, Some(15));
}

#[test]
fn previous_day_state_after_the_newest_is_refused_as_rollback() {
    let d = store_at_newest();
    let before = store_snapshot(d.path());
    let e =
        trust::update_from(d.path(), &state("2026-08-20_root15"), today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), "rollback", "{e}");
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains("timestamp version 761"), "{e}");
    assert_eq!(store_snapshot(d.path()), before);
}

#[test]
fn older_root_era_is_refused_as_rollback() {
    let d = store_at_newest();
    let before = store_snapshot(d.path());
    let e = trust::update_from(
        d.path(),
        &state("2026-05-17_root14"),
        today(),
        Some(t("2026-05-18T00:00:00Z")),
    )
    .unwrap_err();
    assert_eq!(e.code(), "rollback", "{e}");
    assert!(e.to_string().contains("root version 14"), "{e}");
    assert_eq!(store_snapshot(d.path()), before);
}

fn attack_is_refused(state_name: &str, code: &str, says: &str) {
    let d = store_at_root12();
    let before = store_snapshot(d.path());
    let e = trust::update_from(d.path(), &state(state_name), today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), code, "{state_name}: {e}");
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains(says), "{state_name}: {e}");
    assert!(!e.to_string().contains('\n'));
    assert_eq!(store_snapshot(d.path()), before, "{state_name}");
    let active = trust::active_root(d.path(), today()).unwrap();
    assert_eq!(active.info.digest, DIGEST_ROOT12);
    // The refusal is recorded.
    let h = trust::history(d.path(), today()).unwrap();
    let last = h.entries.last().unwrap();
    assert_eq!(last.outcome, "refused");
    assert_eq!(last.code.as_deref(), Some(code));
}

#[test]
fn mix_and_match_snapshot_is_refused() {
    attack_is_refused(
        "attack-mix-and-match-snapshot",
        "mix-and-match",
        "snapshot metadata is version 164",
    );
}

#[test]
fn tampered_targets_metadata_is_refused() {
    attack_is_refused(
        "attack-tampered-targets",
        "bad-signature",
        "targets metadata is not signed",
    );
}

#[test]
fn trusted_root_target_with_wrong_hash_is_refused() {
    attack_is_refused(
        "attack-target-hash-mismatch",
        "target-hash-mismatch",
        "trusted_root.json",
    );
}

#[test]
fn expired_state_is_refused_at_today_and_accepted_with_at() {
    let d = store_at_root12();
    let before = store_snapshot(d.path());
    let e = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), None).unwrap_err();
    assert_eq!(e.code(), "expired", "{e}");
    assert_eq!(e.exit_code(), 1);
    // TUF §5.3.10 checks the root's expiry before the timestamp is even read: root 15 expired
    // (2026-11-20) is the reason, and the chain 13..15 it verified is kept (§5.3.8).
    assert!(e.to_string().contains("root metadata version 15"), "{e}");
    assert!(
        e.to_string()
            .contains("kept from it as verified TUF state: root v15"),
        "{e}"
    );
    assert_eq!(store_snapshot(d.path()), before);

    // An --at after the timestamp's expiry is still refused...
    let e = trust::update_from(
        d.path(),
        &state("2026-08-21_root15"),
        today(),
        Some(t("2026-08-29T00:00:00Z")),
    )
    .unwrap_err();
    assert_eq!(e.code(), "expired");
    // ...one inside its validity is accepted, and recorded as an operator decision.
    let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822()).unwrap();
    assert_eq!(o.info.at_override, at_0822());
    let st = trust::status(d.path(), today()).unwrap();
    assert_eq!(st.root.at_override, at_0822());
    assert!(st.root.stale);
    assert!(st.warnings.iter().any(|w| w.contains("--at")));
    assert!(st.warnings.iter().any(|w| w.starts_with("stale")));
    let h = trust::history(d.path(), today()).unwrap();
    let last = h.entries.last().unwrap();
    assert_eq!(last.outcome, "accepted");
    assert_eq!(last.at_override, at_0822());
}

#[test]
fn a_state_valid_at_the_clock_needs_no_at() {
    let d = store_at_root12();
    let o = trust::update_from(
        d.path(),
        &state("2026-08-21_root15"),
        t("2026-08-22T10:00:00Z"),
        None,
    )
    .unwrap();
    assert_eq!(o.info.at_override, None);
    assert!(!o.info.stale);
}

#[test]
fn incomplete_root_chain_is_refused() {
    let d = store_at_root12();
    let before = store_snapshot(d.path());
    let usb = tempfile::tempdir().unwrap();
    let repo = copy_state("2026-08-21_root15", usb.path(), "repo");
    fs::remove_file(repo.join("14.root.json")).unwrap();
    let e = trust::update_from(d.path(), &repo, today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), "incomplete-root-chain", "{e}");
    assert!(e.to_string().contains("15.root.json"), "{e}");
    assert!(e.to_string().contains("stops at version 13"), "{e}");
    assert!(e.to_string().contains("14.root.json is missing"), "{e}");
    assert_eq!(store_snapshot(d.path()), before);
}

#[test]
fn tarball_of_the_repository_is_accepted() {
    let d = store_at_root12();
    let usb = tempfile::tempdir().unwrap();
    let tarball = usb.path().join("sigstore-tuf.tar.gz");
    tar_gz(&state("2026-08-21_root15"), "sigstore-tuf", &tarball);
    let before = tree(usb.path());
    let o = trust::update_from(d.path(), &tarball, today(), at_0822()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
    assert!(o.info.source.starts_with("tarball:"), "{}", o.info.source);
    // Nothing is written to the medium, and the private extraction is gone.
    assert_eq!(tree(usb.path()), before);
    let leftovers: Vec<_> = fs::read_dir(d.path().join("trust/tmp")).unwrap().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn tarball_with_the_repository_at_its_top_is_accepted() {
    let d = store_at_root12();
    let usb = tempfile::tempdir().unwrap();
    let tarball = usb.path().join("flat.tar.gz");
    tar_gz(&state("2026-08-21_root15"), ".", &tarball);
    let o = trust::update_from(d.path(), &tarball, today(), at_0822()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
}

#[test]
fn unrelated_files_beside_the_repository_are_ignored() {
    // Repository in one subfolder of the USB stick, next to unrelated files and folders.
    let d = store_at_root12();
    let usb = tempfile::tempdir().unwrap();
    copy_state("2026-08-21_root15", usb.path(), "sigstore-tuf");
    fs::write(usb.path().join("README.txt"), "hello").unwrap();
    fs::write(usb.path().join("inventory.json"), "{\"not\": \"tuf\"}").unwrap();
    fs::create_dir(usb.path().join("photos")).unwrap();
    fs::write(usb.path().join("photos/cat.jpg"), [0xff, 0xd8, 0xff]).unwrap();
    let before = tree(usb.path());
    let o = trust::update_from(d.path(), usb.path(), today(), at_0822()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
    assert_eq!(tree(usb.path()), before, "the medium must not be written");

    // Repository at the top of the stick, with unrelated files in it.
    let d = store_at_root12();
    let usb = tempfile::tempdir().unwrap();
    let repo = copy_state("2026-08-21_root15", usb.path(), "top");
    fs::write(repo.join("index.html"), "<html/>").unwrap();
    fs::write(repo.join("notes.json"), "[]").unwrap();
    fs::create_dir(repo.join("backup")).unwrap();
    fs::write(repo.join("backup/old.bin"), [0u8; 10]).unwrap();
    let o = trust::update_from(d.path(), &repo, today(), at_0822()).unwrap();
    assert_eq!(o.info.digest, DIGEST_ROOT15);
}

#[test]
fn two_repositories_on_one_stick_are_unusable_input() {
    let d = store_at_root12();
    let usb = tempfile::tempdir().unwrap();
    copy_state("2026-08-21_root15", usb.path(), "a");
    copy_state("2026-08-20_root15", usb.path(), "b");
    let e = trust::update_from(d.path(), usb.path(), today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), "ambiguous-repository");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn missing_source_and_non_repository_are_unusable_input() {
    let d = store_at_root12();
    let e = trust::update_from(d.path(), &d.path().join("nope"), today(), None).unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("source-missing", 2));
    let empty = tempfile::tempdir().unwrap();
    fs::write(empty.path().join("hello.txt"), "x").unwrap();
    let e = trust::update_from(d.path(), empty.path(), today(), None).unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("not-a-tuf-repository", 2));
    // Unusable input is not a refusal: it is not recorded as one.
    let h = trust::history(d.path(), today()).unwrap();
    assert!(h.entries.iter().all(|e| e.outcome == "accepted"));
}

#[test]
fn crash_during_an_update_leaves_the_old_or_the_new_root_in_force() {
    for point in [
        CrashPoint::AfterStaging,
        CrashPoint::AfterGeneration,
        CrashPoint::AfterPointerWritten,
        CrashPoint::AfterSwitch,
    ] {
        let d = store_at_root12();
        let e = trust::update_from_crashing(
            d.path(),
            &state("2026-08-21_root15"),
            today(),
            at_0822(),
            point,
        )
        .unwrap_err();
        assert_eq!(e.code(), "simulated-crash");
        // "Reboot": the store is read again from disk.
        let active = trust::active_root(d.path(), today()).unwrap();
        if point == CrashPoint::AfterSwitch {
            assert_eq!(active.info.digest, DIGEST_ROOT15, "{point:?}");
            // The lost history line is recovered.
            let h = trust::history(d.path(), today()).unwrap();
            let last = h.entries.last().unwrap();
            assert!(last.recovered);
            assert_eq!(last.digest.as_deref(), Some(DIGEST_ROOT15));
        } else {
            assert_eq!(active.info.digest, DIGEST_ROOT12, "{point:?}");
            assert_eq!(active.info.tuf_root_version, Some(12));
            // The interrupted update can simply be run again.
            let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822())
                .unwrap();
            assert_eq!(o.info.digest, DIGEST_ROOT15, "{point:?}");
        }
    }
}

#[test]
fn first_use_installs_the_factory_trust_judged_at_its_capture_time() {
    let d = tempfile::tempdir().unwrap();
    let active = trust::active_root(d.path(), today()).unwrap();
    assert_eq!(active.info.digest, DIGEST_ROOT15);
    assert!(active.info.tuf_verified);
    assert_eq!(active.info.tuf_root_version, Some(15));
    assert!(active.info.source.starts_with("factory"));
    assert!(active.info.stale, "the factory state is stale today");
    assert_eq!(active.info.at_override, None);
    let st = trust::status(d.path(), today()).unwrap();
    assert_eq!(st.evaluated_at, Some(t("2026-08-22T00:00:00Z")));
    assert_eq!(st.action, "factory-install");
    // A second use installs nothing new.
    trust::active_root(d.path(), today()).unwrap();
    assert_eq!(trust::history(d.path(), today()).unwrap().entries.len(), 1);
    // Re-initializing needs --force.
    let e = trust::init(d.path(), &InitRequest::default(), today()).unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("already-initialized", 2));
}

#[test]
fn factory_trust_then_the_previous_day_is_a_rollback() {
    // First use by `update` installs the factory state first, then judges the medium against it.
    let d = tempfile::tempdir().unwrap();
    let e =
        trust::update_from(d.path(), &state("2026-08-20_root15"), today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), "rollback");
    let h = trust::history(d.path(), today()).unwrap();
    assert_eq!(h.entries.len(), 2);
    assert_eq!(h.entries[0].action, "factory-install");
    assert_eq!(h.entries[1].outcome, "refused");
}

#[test]
fn same_state_again_changes_nothing() {
    let d = store_at_newest();
    let before = store_snapshot(d.path());
    let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822()).unwrap();
    assert!(!o.changed);
    assert_eq!(store_snapshot(d.path()), before);
}

#[test]
fn import_installs_a_root_marked_not_tuf_verified() {
    let d = store_at_newest();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conformance/trusted-roots/public-good-production.json");
    let o = trust::import(d.path(), &file, today()).unwrap();
    assert!(!o.info.tuf_verified);
    assert!(o.info.source.starts_with("import:"));
    let st = trust::status(d.path(), today()).unwrap();
    assert!(!st.root.tuf_verified);
    assert!(st.warnings.iter().any(|w| w.contains("not TUF-verified")));
    // The TUF state is kept: rollback protection survives the import...
    assert_eq!(st.tuf.unwrap().timestamp.version, 762);
    let e =
        trust::update_from(d.path(), &state("2026-08-20_root15"), today(), at_0822()).unwrap_err();
    assert_eq!(e.code(), "rollback");
    // ...and a TUF update brings a TUF-verified root back.
    let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822()).unwrap();
    assert!(o.changed);
    assert!(o.info.tuf_verified);
    assert_eq!(o.info.digest, DIGEST_ROOT15);
}

#[test]
fn import_of_an_invalid_trusted_root_is_unusable_input() {
    let d = store_at_newest();
    let before = store_snapshot(d.path());
    let bad = d.path().join("bad.json");
    fs::write(&bad, "{\"mediaType\": 3").unwrap();
    let e = trust::import(d.path(), &bad, today()).unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("trusted-root-invalid", 2));
    assert_eq!(store_snapshot(d.path()), before);
}

#[test]
fn history_lists_every_accepted_root_and_every_refusal() {
    let d = store_at_newest();
    let _ = trust::update_from(
        d.path(),
        &state("attack-tampered-targets"),
        today(),
        at_0822(),
    );
    let h = trust::history(d.path(), today()).unwrap();
    let summary: Vec<(String, Option<String>)> = h
        .entries
        .iter()
        .map(|e| (e.outcome.clone(), e.digest.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("accepted".into(), Some(DIGEST_ROOT12.into())),
            ("accepted".into(), Some(DIGEST_ROOT15.into())),
            ("refused".into(), None),
        ]
    );
    assert_eq!(h.current, h.entries[1].generation);
}

#[test]
fn factory_state_is_byte_exact_with_the_captured_state() {
    let work = tempfile::tempdir().unwrap();
    let gz = flate2::read::MultiGzDecoder::new(trust::factory::STATE_TAR_GZ);
    tar::Archive::new(gz).unpack(work.path()).unwrap();
    assert_eq!(
        tree(&work.path().join("2026-08-21_root15")),
        tree(&state("2026-08-21_root15"))
    );
    assert_eq!(
        trust::factory::ROOT_JSON,
        fs::read(root_file("2026-08-21_root15", 15))
            .unwrap()
            .as_slice()
    );
}
