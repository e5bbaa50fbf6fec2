//! Reading the operator's ClusterImagePolicy file and the HMAC key files it names.
//!
//! Owns: the key-file rules (relative to the policy's folder, regular, owner-only, at most
//! 4 KiB, a trailing newline not part of the key). Must not touch: policy semantics (that is
//! `policy::cip`).

use std::path::{Path, PathBuf};

use super::Failure;
use crate::input;
use crate::limits;
use crate::policy::cip::PolicySet;

/// Reads an HMAC key file named by the policy.
fn key_loader(policy_dir: &Path) -> impl Fn(&str) -> Result<Vec<u8>, String> + '_ {
    move |name: &str| {
        let p = if Path::new(name).is_absolute() {
            PathBuf::from(name)
        } else {
            policy_dir.join(name)
        };
        let mut key = input::read_secret(&p, limits::MAX_HMAC_KEY_BYTES, "HMAC key file")
            .map_err(|e| e.to_string())?;
        if key.last() == Some(&b'\n') {
            key.pop();
            if key.last() == Some(&b'\r') {
                key.pop();
            }
        }
        Ok(key)
    }
}

/// Loads and validates the whole policy (before any input is read); the message names the
/// file, the line and the field.
pub fn load(path: &Path) -> Result<PolicySet, String> {
    let bytes =
        input::read_capped(path, limits::MAX_POLICY_BYTES, "policy").map_err(|e| e.to_string())?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let loader = key_loader(dir);
    PolicySet::parse(&path.display().to_string(), &bytes, &loader).map_err(|e| e.to_string())
}

/// [`load`] as an operation's failure (`policy-invalid`, exit 2).
pub fn load_for(path: &Path) -> Result<PolicySet, Failure> {
    load(path).map_err(|m| Failure::unusable("policy-invalid", m))
}

/// Parses a policy the ledger stored (the exact bytes a decision was made under). Key files
/// it names are read relative to `dir` (the data dir), as `reverify` needs them.
pub fn from_stored(label: &str, bytes: &[u8], dir: &Path) -> Result<PolicySet, Failure> {
    let loader = key_loader(dir);
    PolicySet::parse(label, bytes, &loader)
        .map_err(|e| Failure::unusable("policy-invalid", e.to_string()))
}
