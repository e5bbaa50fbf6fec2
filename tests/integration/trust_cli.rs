//! End-to-end checks of `airlock trust …` through the binary: exit codes (0 accepted, 1 refused,
//! 2 unusable input), one-line errors, `--json` output. The appliance clock is the real one here,
//! which is after every captured state's expiry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::trust_support;

use std::path::Path;
use std::process::Command;

use trust_support::*;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn airlock(data_dir: &Path, args: &[&str]) -> Run {
    let out = crate::common::cmd::TestCommand::new(data_dir)
        .arg("trust")
        .args(args)
        .run();
    Run {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_one_line(r: &Run) {
    assert_eq!(r.stderr.lines().count(), 1, "stderr: {}", r.stderr);
}

#[test]
fn status_on_a_fresh_data_dir_installs_the_factory_root_and_warns_it_is_stale() {
    let d = tempfile::tempdir().unwrap();
    let r = airlock(d.path(), &["status"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(DIGEST_ROOT15), "{}", r.stdout);
    assert!(r.stdout.contains("(STALE)"), "{}", r.stdout);
    assert!(r.stdout.contains("WARNING: stale"), "{}", r.stdout);
    for section in [
        "Fulcio CAs (2)",
        "Rekor logs (2)",
        "CT logs (2)",
        "Timestamp authorities (1)",
    ] {
        assert!(r.stdout.contains(section), "{section}: {}", r.stdout);
    }
    let r = airlock(d.path(), &["status", "--json"]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["root"]["digest"], DIGEST_ROOT15);
    assert_eq!(v["root"]["stale"], true);
    assert_eq!(v["tuf"]["timestamp"]["version"], 762);
    assert_eq!(v["tlogs"].as_array().unwrap().len(), 2);
}

#[test]
fn rollback_is_refused_with_exit_1_and_one_line() {
    let d = tempfile::tempdir().unwrap();
    let r = airlock(
        d.path(),
        &[
            "update",
            "--from",
            s(&state("2026-08-20_root15")),
            "--at",
            "2026-08-22T00:00:00Z",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("refused [rollback]"), "{}", r.stderr);
    assert!(
        r.stderr.contains("the trust root in force is unchanged"),
        "{}",
        r.stderr
    );
    let h = airlock(d.path(), &["history", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&h.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.last().unwrap()["outcome"], "refused");
    assert_eq!(entries.last().unwrap()["code"], "rollback");
}

#[test]
fn pin_12_update_to_15_expired_then_with_at() {
    let d = tempfile::tempdir().unwrap();
    let r = airlock(
        d.path(),
        &[
            "init",
            "--root",
            s(&root_file("2025-05-24_root12", 12)),
            "--from",
            s(&state("2025-05-24_root12")),
            "--at",
            "2025-05-25T00:00:00Z",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["changed"], true);
    assert_eq!(v["info"]["digest"], DIGEST_ROOT12);

    // At the real clock the newest state has expired: refused.
    let r = airlock(
        d.path(),
        &["update", "--from", s(&state("2026-08-21_root15"))],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("refused [expired]"), "{}", r.stderr);

    // With --json the failure is also a JSON object on stdout, in the one failure shape.
    let r = airlock(
        d.path(),
        &["update", "--from", s(&state("2026-08-21_root15")), "--json"],
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["reason"], "expired");
    assert_eq!(v["exit"], 1);
    assert!(v["message"].as_str().unwrap().contains("expired"), "{v}");
    assert_eq!(v["inForce"]["digest"], DIGEST_ROOT12);

    let r = airlock(
        d.path(),
        &[
            "update",
            "--from",
            s(&state("2026-08-21_root15")),
            "--at",
            "2026-08-22T00:00:00Z",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("accepted (update)"), "{}", r.stdout);
    assert!(r.stdout.contains("root v15"), "{}", r.stdout);

    let r = airlock(d.path(), &["history"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.lines().filter(|l| l.contains("REFUSED")).count(),
        2
    );
    assert!(r
        .stdout
        .lines()
        .any(|l| l.starts_with('*') && l.contains("--at 2026-08-22")));
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("no-such-usb");
    let r = airlock(d.path(), &["update", "--from", s(&missing)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("[source-missing]"), "{}", r.stderr);

    let r = airlock(
        d.path(),
        &[
            "update",
            "--from",
            s(&state("2026-08-21_root15")),
            "--at",
            "yesterday",
        ],
    );
    assert_eq!(r.code, 2);
    assert_one_line(&r);

    let bad = d.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let r = airlock(d.path(), &["import", "--trusted-root", s(&bad)]);
    assert_eq!(r.code, 2);
    assert_one_line(&r);
    assert!(r.stderr.contains("[trusted-root-invalid]"), "{}", r.stderr);

    let r = airlock(d.path(), &["init", "--root", s(&bad)]);
    assert_eq!(r.code, 2, "--root needs --from: {}", r.stderr);
}

#[test]
fn import_then_status_says_not_tuf_verified() {
    let d = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conformance/trusted-roots/public-good-production.json");
    let r = airlock(d.path(), &["import", "--trusted-root", s(&file), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["info"]["tufVerified"], false);
    let r = airlock(d.path(), &["status"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("TUF-verified: NO"), "{}", r.stdout);
    assert!(
        r.stdout.contains("WARNING: not TUF-verified"),
        "{}",
        r.stdout
    );
}

#[test]
fn unchanged_update_names_the_medium_it_read_not_the_factory() {
    let d = tempfile::tempdir().unwrap();
    let from = state("2026-08-21_root15");
    let r = airlock(
        d.path(),
        &["update", "--from", s(&from), "--at", "2026-08-22T00:00:00Z"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("unchanged"))
        .unwrap_or_else(|| panic!("no 'unchanged' line: {}", r.stdout));
    let canonical = std::fs::canonicalize(&from).unwrap();
    assert!(
        line.contains(&format!("usb:{}", canonical.display())),
        "names the wrong source: {line}"
    );
    assert!(line.contains("installed from factory"), "{line}");
}

#[test]
fn update_from_a_folder_holding_a_symlink_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let stick = tempfile::tempdir().unwrap();
    let copy = copy_state("2026-08-21_root15", stick.path(), "repo");
    std::os::unix::fs::symlink("/etc/hostname", copy.join("notes.json")).unwrap();
    let r = airlock(d.path(), &["update", "--from", s(stick.path())]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("[unsafe-archive]"), "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
}

#[test]
fn truncated_tuf_tarball_is_blamed_on_the_medium_not_the_data_dir() {
    let d = tempfile::tempdir().unwrap();
    let stick = tempfile::tempdir().unwrap();
    let tgz = stick.path().join("tuf.tar.gz");
    tar_gz(&state("2026-08-21_root15"), "repo", &tgz);
    let bytes = std::fs::read(&tgz).unwrap();
    std::fs::write(&tgz, &bytes[..bytes.len() / 2]).unwrap();
    let r = airlock(d.path(), &["update", "--from", s(&tgz)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("[bad-archive]"), "{}", r.stderr);
    assert!(
        r.stderr.contains("tar.gz is truncated or corrupt"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("staging"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(s(d.path())),
        "shows the data dir: {}",
        r.stderr
    );
}

#[test]
fn fifo_named_as_root_is_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("root.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let r = airlock(d.path(), &["import", "--trusted-root", s(&fifo)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
}

/// JSON is camelCase now; a data dir written before (snake_case `info.json` and history lines)
/// still reads unchanged.
#[test]
fn a_data_dir_written_with_snake_case_records_still_reads() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(airlock(d.path(), &["status"]).code, 0);
    let snake = |s: &str| {
        s.replace("\"tufVerified\"", "\"tuf_verified\"")
            .replace("\"tufRootVersion\"", "\"tuf_root_version\"")
            .replace("\"acceptedAt\"", "\"accepted_at\"")
            .replace("\"atOverride\"", "\"at_override\"")
            .replace("\"evaluatedAt\"", "\"evaluated_at\"")
            .replace("\"signingConfigDigest\"", "\"signing_config_digest\"")
            .replace("\"recordedAt\"", "\"recorded_at\"")
    };
    let trust = d.path().join("trust");
    let mut rewritten = 0;
    for e in std::fs::read_dir(trust.join("generations")).unwrap() {
        let info = e.unwrap().path().join("info.json");
        let text = std::fs::read_to_string(&info).unwrap();
        assert!(text.contains("tufVerified"), "{text}");
        std::fs::write(&info, snake(&text)).unwrap();
        rewritten += 1;
    }
    assert!(rewritten > 0);
    let h = trust.join("history.jsonl");
    std::fs::write(&h, snake(&std::fs::read_to_string(&h).unwrap())).unwrap();
    let r = airlock(d.path(), &["status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["root"]["digest"], DIGEST_ROOT15);
    assert_eq!(v["root"]["tufVerified"], true);
    let h = airlock(d.path(), &["history", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&h.stdout).unwrap();
    assert_eq!(v["unreadableLines"], 0);
    assert_eq!(v["entries"][0]["tufVerified"], true);
}
