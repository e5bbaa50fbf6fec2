//! Terminal escape injection: control bytes from a hostile bundle, a hostile file name or a
//! hostile batch line never reach the operator's terminal raw; they are shown as visible escapes.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Sets the terminal title, rings the bell, clears the screen.
const PWN: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

fn good_bundle() -> Value {
    let p = conformance().join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn verify(dir: &Path, bundle: &Path, extra: &[&str]) -> Output {
    crate::common::cmd::TestCommand::new(dir.join("data"))
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(bundle)
        .args([
            "--certificate-identity",
            ID,
            "--certificate-oidc-issuer",
            ISSUER,
        ])
        .arg("--trusted-root")
        .arg(conformance().join("trusted-roots/public-good-production.json"))
        .args(extra)
        .arg(conformance().join("bundle-verify/a.txt"))
        .run()
        .output
}

/// No ESC, BEL, C1 control or other raw control byte (newlines between lines aside) in `bytes`.
fn assert_inert(bytes: &[u8], context: &str) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(
            !bad,
            "raw U+{:04X} reached the output ({context}): {text:?}",
            c as u32
        );
    }
}

fn run_with(edit: impl FnOnce(&mut Value)) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut b = good_bundle();
    edit(&mut b);
    let p = dir.path().join("hostile.json");
    std::fs::write(&p, serde_json::to_vec(&b).unwrap()).unwrap();
    verify(dir.path(), &p, &[])
}

#[test]
fn media_type_escape_sequence_is_shown_escaped() {
    let out = run_with(|b| b["mediaType"] = Value::String(PWN.into()));
    assert_eq!(out.status.code(), Some(1));
    assert_inert(&out.stderr, "mediaType");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn tlog_kind_escape_sequence_is_shown_escaped() {
    let out = run_with(|b| {
        b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"] =
            Value::String(PWN.into())
    });
    assert_eq!(out.status.code(), Some(1));
    assert_inert(&out.stderr, "tlog kind");
}

#[test]
fn log_index_string_escape_sequence_is_shown_escaped() {
    let out = run_with(|b| {
        b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = Value::String(PWN.into())
    });
    assert_eq!(out.status.code(), Some(1));
    assert_inert(&out.stderr, "logIndex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tlogEntries[0].logIndex"),
        "names the field: {err}"
    );
}

#[test]
fn hostile_file_name_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("bundle{PWN}.json"));
    std::fs::write(&p, b"{ not json").unwrap();
    let out = verify(dir.path(), &p, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_inert(&out.stderr, "file name");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bundle\\x1b]0;pwned"), "{err}");
}

#[test]
fn hostile_names_in_a_batch_table_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = good_bundle();
    b["mediaType"] = Value::String(PWN.into());
    std::fs::write(dir.path().join("b.json"), serde_json::to_vec(&b).unwrap()).unwrap();
    let line = serde_json::json!({
        "bundle": "b.json",
        "artifact": conformance().join("bundle-verify/a.txt"),
        "identity": ID, "issuer": ISSUER,
        "trusted_root": conformance().join("trusted-roots/public-good-production.json"),
        "name": format!("name{PWN}"),
    });
    let batch = dir.path().join("batch.jsonl");
    std::fs::write(&batch, format!("{line}\n")).unwrap();
    let out = crate::common::cmd::TestCommand::new(dir.path().join("data"))
        .args(["verify-bundle", "--table", "--batch"])
        .arg(&batch)
        .run()
        .output;
    assert_eq!(out.status.code(), Some(1));
    assert_inert(&out.stdout, "table");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("name\\x1b]0;pwned"), "{table}");
}

#[test]
fn oversized_bundle_is_bundle_too_large_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    let out = verify(dir.path(), &p, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"], "bundle-too-large");
}

#[test]
fn fifo_as_bundle_key_trusted_root_or_artifact_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let bundle = conformance().join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let a_txt = conformance().join("bundle-verify/a.txt");
    let root = conformance().join("trusted-roots/public-good-production.json");
    let run = |args: Vec<&std::ffi::OsStr>| {
        crate::common::cmd::TestCommand::new(dir.path().join("data"))
            .arg("verify-bundle")
            .args(args)
            .run()
            .output
    };
    let f = fifo.as_os_str();
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
        (
            "bundle",
            vec![
                "--bundle".as_ref(),
                f,
                "--certificate-identity".as_ref(),
                ID.as_ref(),
                "--certificate-oidc-issuer".as_ref(),
                ISSUER.as_ref(),
                "--trusted-root".as_ref(),
                root.as_os_str(),
                a_txt.as_os_str(),
            ],
        ),
        (
            "key",
            vec![
                "--bundle".as_ref(),
                bundle.as_os_str(),
                "--key".as_ref(),
                f,
                "--trusted-root".as_ref(),
                root.as_os_str(),
                a_txt.as_os_str(),
            ],
        ),
        (
            "trusted root",
            vec![
                "--bundle".as_ref(),
                bundle.as_os_str(),
                "--certificate-identity".as_ref(),
                ID.as_ref(),
                "--certificate-oidc-issuer".as_ref(),
                ISSUER.as_ref(),
                "--trusted-root".as_ref(),
                f,
                a_txt.as_os_str(),
            ],
        ),
        (
            "artifact",
            vec![
                "--bundle".as_ref(),
                bundle.as_os_str(),
                "--certificate-identity".as_ref(),
                ID.as_ref(),
                "--certificate-oidc-issuer".as_ref(),
                ISSUER.as_ref(),
                "--trusted-root".as_ref(),
                root.as_os_str(),
                f,
            ],
        ),
        ("batch", vec!["--batch".as_ref(), f]),
    ];
    for (what, args) in cases {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains("FIFO, not a regular file"), "{what}: {err}");
    }
}
