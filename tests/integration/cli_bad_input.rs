//! Hostile or broken input to `airlock verify-bundle`: each case must end with exit 1 or 2 and one
//! clear line on stderr naming the file and the problem, never a panic.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ID: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

fn verify(bundle: &Path, artifact: &str, extra: &[&str]) -> Output {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .arg("--data-dir")
        .arg(data.path())
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
        .arg(artifact)
        .output()
        .unwrap_or_else(|e| panic!("run airlock: {e}"))
}

/// Asserts exit `code`, one stderr line naming `needle` and `problem`, and no panic.
fn assert_one_line(out: &Output, code: i32, needle: &str, problem: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "want one line, got: {err}");
    assert!(
        lines[0].contains(needle),
        "line does not name {needle}: {err}"
    );
    assert!(
        lines[0].to_lowercase().contains(&problem.to_lowercase()),
        "line does not say '{problem}': {err}"
    );
}

fn a_txt() -> String {
    conformance()
        .join("bundle-verify/a.txt")
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    p
}

fn good_bundle() -> String {
    std::fs::read_to_string(
        conformance().join("bundle-verify/happy-path-v0.3/bundle.sigstore.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn truncated_json_is_rejected_with_one_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = good_bundle();
    let p = write(tmp.path(), "truncated.json", &b.as_bytes()[..b.len() / 2]);
    assert_one_line(
        &verify(&p, &a_txt(), &[]),
        1,
        "truncated.json",
        "not valid JSON",
    );
}

#[test]
fn invalid_base64_is_rejected_with_one_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = write(
        tmp.path(),
        "b64.json",
        good_bundle()
            .replacen("\"signature\": \"", "\"signature\": \"!!", 1)
            .as_bytes(),
    );
    assert_one_line(&verify(&p, &a_txt(), &[]), 1, "b64.json", "base64");
}

#[test]
fn hundred_megabyte_bundle_is_refused_before_parsing() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut big = vec![b' '; 100 * 1024 * 1024];
    big[0] = b'{';
    let p = write(tmp.path(), "huge.json", &big);
    // Refused evidence, like a bundle nested too deep: exit 1, `bundle-too-large`.
    assert_one_line(&verify(&p, &a_txt(), &[]), 1, "huge.json", "limit");
}

#[test]
fn json_nested_ten_thousand_deep_is_refused_without_recursion() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let p = write(tmp.path(), "deep.json", deep.as_bytes());
    assert_one_line(&verify(&p, &a_txt(), &[]), 1, "deep.json", "nests deeper");
}

#[test]
fn missing_bundle_file_is_unusable_input() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = tmp.path().join("nope.sigstore.json");
    assert_one_line(
        &verify(&p, &a_txt(), &[]),
        2,
        "nope.sigstore.json",
        "cannot open",
    );
}

#[test]
fn unreadable_bundle_file_is_unusable_input() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A directory cannot be read as a file, even by root.
    let p = tmp.path().join("dir.sigstore.json");
    std::fs::create_dir(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_one_line(
        &verify(&p, &a_txt(), &[]),
        2,
        "dir.sigstore.json",
        "cannot read",
    );
}

#[test]
fn unknown_media_type_is_rejected_with_one_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = good_bundle().replacen("bundle.v0.3+json", "bundle.v9.9+json", 1);
    let b = b.replacen("version=0.3", "version=9.9", 1);
    let p = write(tmp.path(), "mt.json", b.as_bytes());
    assert_one_line(&verify(&p, &a_txt(), &[]), 1, "mt.json", "media type");
}

#[test]
fn missing_artifact_is_unusable_input() {
    let b = conformance().join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    assert_one_line(
        &verify(&b, "/nonexistent/artifact.bin", &[]),
        2,
        "artifact.bin",
        "cannot open",
    );
}

#[test]
fn malformed_digest_argument_is_unusable_input() {
    let b = conformance().join("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    assert_one_line(&verify(&b, "sha256:abc", &[]), 2, "sha256:abc", "digest");
}
