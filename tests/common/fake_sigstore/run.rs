//! Runs `airlock verify-bundle` on a minted bundle, with files in a temporary directory, and
//! reads its `--json` verdict.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::Minted;

/// The artifact as a file path or as its `sha256:` digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Path,
    Digest,
}

/// The verification policy given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// The minted identity and issuer (or `--key` with the minted managed key).
    Minted,
    Identity {
        identity: String,
        issuer: String,
    },
    Regexp {
        identity: String,
        issuer: String,
    },
    /// `--key` with this PEM.
    Key(String),
}

/// What the verifier did.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub json: Option<Value>,
}

impl Run {
    pub fn verified(&self) -> bool {
        self.code == Some(0)
            && self
                .json
                .as_ref()
                .and_then(|j| j.get("verified"))
                .and_then(Value::as_bool)
                == Some(true)
    }

    pub fn reason(&self) -> Option<&str> {
        self.json
            .as_ref()
            .and_then(|j| j.get("reason"))
            .and_then(Value::as_str)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout.trim(),
            self.stderr.trim()
        )
    }
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs the verifier on `m` with the minted policy.
pub fn verify(m: &Minted, input: Input) -> Run {
    verify_with(m, input, &Policy::Minted)
}

/// Runs the verifier on `m` with `policy`.
pub fn verify_with(m: &Minted, input: Input, policy: &Policy) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let bundle = write(
        dir.path(),
        "bundle.sigstore.json",
        &serde_json::to_vec(&m.bundle).unwrap(),
    );
    let root = write(
        dir.path(),
        "trusted_root.json",
        &serde_json::to_vec(&m.trusted_root).unwrap(),
    );
    let artifact = write(dir.path(), "artifact.bin", &m.artifact);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_airlock"));
    cmd.env("AIRLOCK_DATA_DIR", dir.path().join("data"));
    cmd.arg("verify-bundle").arg("--bundle").arg(&bundle);
    let key_arg = |pem: &str| write(dir.path(), "key.pub", pem.as_bytes());
    match policy {
        Policy::Minted => match (&m.key_pem, &m.identity, &m.issuer) {
            (Some(pem), _, _) => {
                cmd.arg("--key").arg(key_arg(pem));
            }
            (None, Some(id), Some(iss)) => {
                cmd.args([
                    "--certificate-identity",
                    id,
                    "--certificate-oidc-issuer",
                    iss,
                ]);
            }
            _ => panic!("minted bundle has neither a key nor an identity"),
        },
        Policy::Identity { identity, issuer } => {
            cmd.args([
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
            ]);
        }
        Policy::Regexp { identity, issuer } => {
            cmd.args([
                "--certificate-identity-regexp",
                identity,
                "--certificate-oidc-issuer-regexp",
                issuer,
            ]);
        }
        Policy::Key(pem) => {
            cmd.arg("--key").arg(key_arg(pem));
        }
    }
    cmd.arg("--trusted-root").arg(&root).arg("--json");
    match input {
        Input::Path => cmd.arg(&artifact),
        Input::Digest => cmd.arg(m.artifact_digest()),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(stdout.trim()).ok();
    Run {
        code: out.status.code(),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    }
}

/// Asserts `m` verifies, from the artifact path and from its digest.
pub fn assert_verified(m: &Minted) {
    assert_verified_with(m, &Policy::Minted);
}

pub fn assert_verified_with(m: &Minted, policy: &Policy) {
    for input in [Input::Path, Input::Digest] {
        let r = verify_with(m, input, policy);
        assert!(
            r.verified(),
            "expected the {input:?} form to verify, got:\n{r}"
        );
    }
}

/// Asserts `m` is rejected (exit 1, `"verified": false`) with `reason`, in both input forms.
pub fn assert_rejected(m: &Minted, reason: &str) {
    assert_rejected_with(m, &Policy::Minted, reason);
}

pub fn assert_rejected_with(m: &Minted, policy: &Policy, reason: &str) {
    for input in [Input::Path, Input::Digest] {
        let r = verify_with(m, input, policy);
        let verified = r
            .json
            .as_ref()
            .and_then(|j| j.get("verified"))
            .and_then(Value::as_bool);
        assert!(
            r.code == Some(1) && verified == Some(false) && r.reason() == Some(reason),
            "expected the {input:?} form to be rejected with '{reason}', got:\n{r}"
        );
    }
}
