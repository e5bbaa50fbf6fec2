//! Which trust roots an operation verifies against, and the trust events loading them makes.
//!
//! Owns: choosing the roots (`--trusted-root FILE`, `--staging`, `--instance NAME`, or every
//! installed instance), the factory install's trust event, the record of a trust event, what a
//! decision was decided under. Must not touch: TUF and the trust store's files (that is
//! `trust`), verification.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Failure, VERSION};
use crate::bundle::Bundle;
use crate::import::report::TrustRootRef;
use crate::store::record_types::DecidedUnder;
use crate::store::{RecordInput, RecordKind};
use crate::time::Timestamp;
use crate::trust::{Outcome, RootInfo, TrustError, TrustedRoot};
use crate::verify::Verifier;

/// Which roots a request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootChoice {
    /// A `trusted_root.json` to use instead of the installed roots (not TUF-verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<std::path::PathBuf>,
    /// The Sigstore staging instance's root shipped with airlock (testing only).
    #[serde(default)]
    pub staging: bool,
    /// One installed instance only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// A loaded trust root and what it is.
pub struct LoadedRoot {
    pub verifier: Verifier,
    pub info: RootInfo,
    /// Loading it installed public good's factory trust root (a trust event to record).
    pub factory_installed: bool,
    /// The trust instance it is, for an installed root (`None` for a file or `--staging`).
    pub instance: Option<String>,
}

impl LoadedRoot {
    /// How results name it.
    pub fn view(&self) -> RootView {
        let r = &self.info;
        RootView {
            instance: self.instance.clone(),
            digest: r.digest.clone(),
            tuf_verified: r.tuf_verified,
            tuf_root_version: r.tuf_root_version,
            source: r.source.clone(),
            accepted_at: r.accepted_at,
            expires: r.expires,
            stale: r.stale,
            accepted_with_at: r.at_override,
        }
    }

    /// How an import's report names it.
    pub fn reference(&self) -> TrustRootRef {
        TrustRootRef {
            instance: self.instance.clone(),
            digest: format!("sha256:{}", self.info.digest),
            source: self.info.source.clone(),
            tuf_verified: self.info.tuf_verified,
            tuf_root_version: self.info.tuf_root_version,
            stale: self.info.stale,
        }
    }
}

/// A trust root as a verification result names it (`trustRoot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootView {
    pub instance: Option<String>,
    /// SHA-256 (hex) of its `trusted_root.json`.
    pub digest: String,
    pub tuf_verified: bool,
    pub tuf_root_version: Option<u64>,
    pub source: String,
    pub accepted_at: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub stale: bool,
    pub accepted_with_at: Option<Timestamp>,
}

impl RootView {
    /// What a decision made under this root was decided under.
    pub fn decided_under(&self) -> DecidedUnder {
        DecidedUnder {
            trust_root_digest: format!("sha256:{}", self.digest),
            trust_root_instance: self.instance.clone(),
            tuf_root_version: self.tuf_root_version,
            trust_root_stale: self.stale,
            policy_digest: None,
        }
    }
}

/// The trust roots an operation may verify against: one, or every installed instance, one
/// picked per bundle.
pub struct Roots {
    pub list: Vec<LoadedRoot>,
}

impl Roots {
    fn one(r: LoadedRoot) -> Roots {
        Roots { list: vec![r] }
    }

    /// The root for `bundle`: the instance whose Fulcio CA issued its leaf, else the first
    /// (public good). Only a choice of root: the chain is then verified against it as always.
    pub fn pick(&self, bundle: &Bundle) -> Option<&LoadedRoot> {
        let i = crate::trust::pick_root(
            bundle.signing_leaf(),
            self.list.iter().map(|r| r.verifier.root()),
        )?;
        self.list.get(i)
    }

    /// The import's view of them.
    pub fn trusted(&self) -> Vec<crate::import::check::Trusted<'_>> {
        self.list
            .iter()
            .map(|r| crate::import::check::Trusted {
                verifier: &r.verifier,
                root: r.reference(),
            })
            .collect()
    }

    /// The trust events of loading them: public good's factory root installed on first use.
    pub fn factory_installs(&self) -> Vec<RecordInput> {
        factory_install_records(&self.list)
    }
}

/// Loads a `trusted_root.json` file.
pub fn load_root_file(path: &Path) -> Result<LoadedRoot, Failure> {
    let bytes =
        crate::input::read_capped(path, crate::limits::MAX_TRUSTED_ROOT_BYTES, "trusted root")
            .map_err(|e| Failure::unusable("trusted-root-unreadable", e.to_string()))?;
    let root = TrustedRoot::from_json(&bytes).map_err(|e| {
        Failure::unusable(
            e.code(),
            format!("{}: unusable trusted root: {e}", path.display()),
        )
    })?;
    Ok(LoadedRoot {
        info: RootInfo::for_file(path, &bytes),
        verifier: Verifier::new(root),
        instance: None,
        factory_installed: false,
    })
}

/// The staging instance's shipped trusted root.
fn staging_root() -> Result<LoadedRoot, Failure> {
    use crate::trust::factory::{STAGING_SOURCE, STAGING_TRUSTED_ROOT};
    let root = TrustedRoot::from_json(STAGING_TRUSTED_ROOT)
        .map_err(|e| Failure::unusable(e.code(), format!("shipped staging trusted root: {e}")))?;
    let mut info = RootInfo::for_file(Path::new(""), STAGING_TRUSTED_ROOT);
    info.source = STAGING_SOURCE.to_string();
    Ok(LoadedRoot {
        verifier: Verifier::new(root),
        info,
        instance: None,
        factory_installed: false,
    })
}

fn installed_root(data_dir: &Path, instance: &str, now: Timestamp) -> Result<LoadedRoot, Failure> {
    let active = crate::trust::active_root_in(data_dir, instance, now)
        .map_err(|e| Failure::unusable(e.code(), format!("trust root: {e}")))?;
    Ok(LoadedRoot {
        verifier: Verifier::new(active.root),
        info: active.info,
        factory_installed: active.factory_installed,
        instance: Some(instance.to_string()),
    })
}

/// Loads the roots `choice` names (installing public good's factory root on the data dir's
/// first use: the caller records [`Roots::factory_installs`]).
pub fn resolve(choice: &RootChoice, data_dir: &Path, now: Timestamp) -> Result<Roots, Failure> {
    match (&choice.trusted_root, &choice.instance) {
        (Some(p), _) => load_root_file(p).map(Roots::one),
        (None, _) if choice.staging => staging_root().map(Roots::one),
        (None, Some(i)) => installed_root(data_dir, i, now).map(Roots::one),
        (None, None) => {
            let mut list = Vec::new();
            for name in crate::trust::instances(data_dir) {
                list.push(installed_root(data_dir, &name, now)?);
            }
            Ok(Roots { list })
        }
    }
}

/// What a trust event was decided under: the root it installed or kept.
fn decided_under(info: &RootInfo, instance: Option<String>) -> DecidedUnder {
    DecidedUnder {
        trust_root_digest: format!("sha256:{}", info.digest),
        trust_root_instance: instance,
        tuf_root_version: info.tuf_root_version,
        trust_root_stale: info.stale,
        policy_digest: None,
    }
}

/// The ledger record of a trust event: an accepted init, update or import, or a failed one
/// (a refusal, or a medium that could not even be read), with the failure's reason code.
pub fn trust_event_record(
    instance: &str,
    action: &str,
    r: &Result<Outcome, TrustError>,
) -> RecordInput {
    let base = RecordInput {
        kind: RecordKind::TrustEvent,
        airlock_version: VERSION.into(),
        ..Default::default()
    };
    match r {
        Ok(o) => RecordInput {
            verdict: crate::store::Verdict::Accepted,
            reason: Some(if o.changed {
                action.to_string()
            } else {
                format!("{action}-unchanged")
            }),
            message: Some(format!("{} offered {}", o.offered, o.info.digest)),
            decided_under: decided_under(&o.info, Some(instance.to_string())),
            ..base
        },
        Err(e) => RecordInput {
            verdict: crate::store::Verdict::Rejected,
            reason: Some(e.code().into()),
            message: Some(format!("{action}: {e}")),
            decided_under: DecidedUnder {
                trust_root_instance: Some(instance.to_string()),
                ..Default::default()
            },
            ..base
        },
    }
}

/// The record of public good's factory trust root installed on the data dir's first use (the
/// trust history holds it too; this puts it in the ledger).
pub fn factory_install_record(info: &RootInfo, instance: Option<String>) -> RecordInput {
    RecordInput {
        kind: RecordKind::TrustEvent,
        verdict: crate::store::Verdict::Accepted,
        reason: Some("factory-install".into()),
        message: Some(format!(
            "the factory trust root built into airlock {VERSION} ({}) was installed on first use",
            info.source
        )),
        decided_under: decided_under(info, instance),
        airlock_version: VERSION.into(),
        ..Default::default()
    }
}

fn factory_install_records<'a>(
    roots: impl IntoIterator<Item = &'a LoadedRoot>,
) -> Vec<RecordInput> {
    roots
        .into_iter()
        .filter(|r| r.factory_installed)
        .map(|r| factory_install_record(&r.info, r.instance.clone()))
        .collect()
}
