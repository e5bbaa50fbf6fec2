//! The TUF client workflow (TUF specification §5) over a staged local copy of a repository.
//!
//! Owns: running tough (local files only, `ExpirationEnforcement::Unsafe`) from a pinned root,
//! airlock's own expiry check at an instant it is given (tough has no reference time), rollback
//! checks against the metadata airlock stored last time, the incomplete-chain check, reading the
//! `trusted_root.json` and signing-config targets, and turning tough's failures into one-line
//! reasons. Must not touch: the trust store (it receives stored metadata as bytes), the clock, the
//! network, anything outside the staging folder.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tough::schema::{RoleType, Root, Signed, Snapshot, Targets, Timestamp as TufTimestamp};
use tough::{
    ExpirationEnforcement, FilesystemTransport, IntoVec, Limits, RepositoryLoader, TargetName,
    TransportErrorKind,
};

use crate::limits;
use crate::time::Timestamp;
use crate::trust::medium::Staged;

/// The target holding the Sigstore trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";
/// The signing-config target kept beside it for reference, when the repository has one.
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";

/// Why a TUF repository was refused (or could not be checked).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TufError {
    #[error("the pinned TUF root is not usable: {why}")]
    PinnedRoot { why: String },
    #[error(
        "the medium offers {role} version {offered}, older than version {trusted} already trusted"
    )]
    Rollback {
        role: String,
        trusted: u64,
        offered: u64,
    },
    #[error(
        "the medium's {expected}.root.json holds root version {found}: each root file must hold exactly the next version"
    )]
    RootVersionSkip { expected: u64, found: u64 },
    #[error(
        "snapshot version {snapshot} no longer lists {role}, which the trusted snapshot lists"
    )]
    RoleRemoved { role: String, snapshot: u64 },
    #[error(
        "incomplete root chain: the medium holds {newest}.root.json but the chain of roots stops at version {reached} ({next}.root.json is missing or unreadable)"
    )]
    IncompleteChain {
        reached: u64,
        next: u64,
        newest: u64,
    },
    #[error(
        "{role} metadata version {version} expired at {expires}, not after the evaluation instant {at}"
    )]
    Expired {
        role: String,
        version: u64,
        expires: Timestamp,
        at: Timestamp,
    },
    #[error(
        "the medium's {role} metadata is version {fetched}, but the signed {named_by} names version {expected}"
    )]
    MixAndMatch {
        role: String,
        named_by: String,
        fetched: u64,
        expected: u64,
    },
    #[error(
        "{file} does not match the hash signed for it (calculated {calculated}, signed {expected})"
    )]
    MetadataHash {
        file: String,
        calculated: String,
        expected: String,
    },
    #[error("{role} metadata is not signed by a threshold of trusted keys: {why}")]
    BadSignature { role: String, why: String },
    #[error(
        "target {name} does not match its signed hash (calculated sha256 {calculated}, signed {expected})"
    )]
    TargetMismatch {
        name: String,
        calculated: String,
        expected: String,
    },
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("the repository is incomplete: {file} is missing")]
    MissingFile { file: String },
    #[error("{role} metadata is malformed: {why}")]
    Malformed { role: String, why: String },
    #[error("the signed targets metadata lists no {name}")]
    MissingTarget { name: String },
    #[error("TUF verification failed: {why}")]
    Other { why: String },
    #[error("internal error while verifying: {why}")]
    Internal { why: String },
}

impl TufError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PinnedRoot { .. } => "pinned-root-invalid",
            Self::Rollback { .. } | Self::RoleRemoved { .. } | Self::RootVersionSkip { .. } => {
                "rollback"
            }
            Self::IncompleteChain { .. } => "incomplete-root-chain",
            Self::Expired { .. } => "expired",
            Self::MixAndMatch { .. } | Self::MetadataHash { .. } => "mix-and-match",
            Self::BadSignature { .. } => "bad-signature",
            Self::TargetMismatch { .. } => "target-hash-mismatch",
            Self::TooLarge { .. } => "too-large",
            Self::MissingFile { .. } => "repository-incomplete",
            Self::Malformed { .. } => "metadata-malformed",
            Self::MissingTarget { .. } => "target-missing",
            Self::Other { .. } => "tuf-failed",
            Self::Internal { .. } => "internal",
        }
    }

    /// Whether this refuses what the medium offers (exit 1), as opposed to an unusable pinned root
    /// or an internal failure (exit 2).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::PinnedRoot { .. } | Self::Internal { .. })
    }
}

/// Version and expiry of one TUF role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleState {
    pub version: u64,
    pub expires: Timestamp,
}

/// Versions and expiries of the four top-level roles of an accepted TUF state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TufSummary {
    pub root: RoleState,
    pub timestamp: RoleState,
    pub snapshot: RoleState,
    pub targets: RoleState,
}

impl TufSummary {
    /// The role that expires first, and its state.
    pub fn earliest_expiry(&self) -> (&'static str, RoleState) {
        let mut best = ("root", self.root);
        for (name, s) in [
            ("timestamp", self.timestamp),
            ("snapshot", self.snapshot),
            ("targets", self.targets),
        ] {
            if s.expires < best.1.expires {
                best = (name, s);
            }
        }
        best
    }

    /// Whether two states carry the same role versions.
    pub fn same_versions(&self, other: &TufSummary) -> bool {
        self.root.version == other.root.version
            && self.timestamp.version == other.timestamp.version
            && self.snapshot.version == other.snapshot.version
            && self.targets.version == other.targets.version
    }
}

/// The TUF metadata airlock accepted last time, exactly as it was read.
#[derive(Debug, Clone, Default)]
pub struct StoredMetadata {
    pub root: Vec<u8>,
    pub timestamp: Option<Vec<u8>>,
    pub snapshot: Option<Vec<u8>>,
    pub targets: Option<Vec<u8>>,
}

/// A verified TUF state and the targets read through it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Exact bytes of the newest root reached, and of the timestamp, snapshot and targets used.
    pub root: Vec<u8>,
    pub timestamp: Vec<u8>,
    pub snapshot: Vec<u8>,
    pub targets: Vec<u8>,
    pub summary: TufSummary,
    /// The `trusted_root.json` target, hash-checked against the signed targets metadata.
    pub trusted_root: Vec<u8>,
    /// The `signing_config.v0.2.json` target, when the repository lists one.
    pub signing_config: Option<Vec<u8>>,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], role: &str) -> Result<Signed<T>, TufError> {
    serde_json::from_slice(bytes).map_err(|e| TufError::Malformed {
        role: role.to_string(),
        why: e.to_string(),
    })
}

fn state(version: std::num::NonZeroU64, expires: Timestamp) -> RoleState {
    RoleState {
        version: version.get(),
        expires,
    }
}

/// Summarizes stored metadata (to check the files read back). `None` when a role file is absent.
pub fn summarize(stored: &StoredMetadata) -> Result<Option<TufSummary>, TufError> {
    let (Some(ts), Some(snap), Some(tg)) = (&stored.timestamp, &stored.snapshot, &stored.targets)
    else {
        return Ok(None);
    };
    let root: Signed<Root> = parse(&stored.root, "root")?;
    let ts: Signed<TufTimestamp> = parse(ts, "timestamp")?;
    let snap: Signed<Snapshot> = parse(snap, "snapshot")?;
    let tg: Signed<Targets> = parse(tg, "targets")?;
    Ok(Some(TufSummary {
        root: state(root.signed.version, root.signed.expires),
        timestamp: state(ts.signed.version, ts.signed.expires),
        snapshot: state(snap.signed.version, snap.signed.expires),
        targets: state(tg.signed.version, tg.signed.expires),
    }))
}

fn parse_pinned(root: &[u8]) -> Result<Signed<Root>, TufError> {
    serde_json::from_slice(root).map_err(|e| TufError::PinnedRoot {
        why: format!("not TUF root metadata: {e}"),
    })
}

/// The version of a root metadata document.
pub fn root_version(root: &[u8]) -> Result<u64, TufError> {
    Ok(parse_pinned(root)?.signed.version.get())
}

fn internal(e: impl std::fmt::Display) -> TufError {
    TufError::Internal { why: e.to_string() }
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, TufError> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(cap.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|e| internal(format!("cannot read back {}: {e}", path.display())))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
        return Err(TufError::TooLarge {
            what: path.display().to_string(),
            limit: cap,
        });
    }
    Ok(bytes)
}

/// Runs the TUF client workflow from `pinned_root` over `staged`, refusing anything that would
/// roll back `stored`, and judging expiry at `at`. `work` is a private scratch folder.
pub fn verify(
    pinned_root: &[u8],
    stored: Option<&StoredMetadata>,
    staged: &Staged,
    work: &Path,
    at: Timestamp,
) -> Result<Verified, TufError> {
    // TUF §5.2: "Load the trusted root metadata file. ... the expiration of the trusted root
    // metadata file does not matter".
    let pinned = parse_pinned(pinned_root)?;
    pinned
        .signed
        .verify_role(&pinned)
        .map_err(|e| TufError::PinnedRoot {
            why: format!("not signed by its own root keys: {e}"),
        })?;
    let pinned_version = pinned.signed.version.get();

    // TUF §7 (consistent snapshots): "all released versions of root metadata files MUST always be
    // provided so that outdated clients can update to the latest available root." A medium whose
    // newest root is older than the one already trusted comes from an older era: a rollback.
    if let Some(newest) = staged.newest_root_file() {
        if newest < pinned_version {
            return Err(TufError::Rollback {
                role: "root".into(),
                trusted: pinned_version,
                offered: newest,
            });
        }

        // TUF §5.3.1: "the client MUST download intermediate root metadata files, until the
        // latest available one is reached." A gap between the trusted root and the newest root
        // file on the medium cuts the chain: name it before tough fails on whatever the missing
        // root would have authorized (e.g. a rotated timestamp key).
        let mut reached = pinned_version;
        while reached < newest && staged.root_files.contains(&reached.saturating_add(1)) {
            reached = reached.saturating_add(1);
        }
        if reached < newest {
            return Err(TufError::IncompleteChain {
                reached,
                next: reached.saturating_add(1),
                newest,
            });
        }
    }

    // tough's own rollback checks read the trusted timestamp and snapshot from its datastore; a
    // fresh one seeded with ours (never its `latest_known_time.json`, which breaks on a clock
    // that went backwards).
    let datastore = work.join("tough-datastore");
    fs::create_dir(&datastore).map_err(internal)?;
    if let Some(s) = stored {
        for (name, bytes) in [
            ("timestamp.json", &s.timestamp),
            ("snapshot.json", &s.snapshot),
        ] {
            if let Some(b) = bytes {
                fs::write(datastore.join(name), b).map_err(internal)?;
            }
        }
    }

    let metadata_dir = fs::canonicalize(&staged.metadata_dir).map_err(internal)?;
    let targets_dir = fs::canonicalize(&staged.targets_dir)
        .or_else(|_| std::path::absolute(&staged.targets_dir))
        .map_err(internal)?;
    // `from_directory_path` keeps the trailing slash that `Url::join` needs.
    let metadata_url = url::Url::from_directory_path(&metadata_dir).map_err(|()| {
        internal(format!(
            "{} is not an absolute path",
            metadata_dir.display()
        ))
    })?;
    let targets_url = url::Url::from_directory_path(&targets_dir)
        .map_err(|()| internal(format!("{} is not an absolute path", targets_dir.display())))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(internal)?;
    runtime.block_on(async {
        // TUF §5.3.3, §5.4.1, §5.5.1, §5.6.1: every download is bounded ("up to some number of
        // bytes" chosen by the client), and so is the number of root versions walked.
        let repo = RepositoryLoader::new(&pinned_root, metadata_url, targets_url)
            .transport(FilesystemTransport)
            .limits(Limits {
                max_root_size: limits::MAX_TUF_ROOT_BYTES,
                max_targets_size: limits::MAX_TUF_TARGETS_BYTES,
                max_timestamp_size: limits::MAX_TUF_TIMESTAMP_BYTES,
                max_snapshot_size: limits::MAX_TUF_SNAPSHOT_BYTES,
                max_root_updates: limits::MAX_TUF_ROOT_UPDATES,
            })
            .datastore(&datastore)
            // Expiry is judged below at `at`: tough only knows the system clock.
            .expiration_enforcement(ExpirationEnforcement::Unsafe)
            .load()
            .await
            .map_err(|e| classify(&e, None))?;

        let root = repo.root();
        let reached = root.signed.version.get();
        // TUF §5.3.1 again: tough stops at the first root file it cannot fetch; a newer root on
        // the medium means the chain was cut (an unreadable root file).
        if let Some(newest) = staged.newest_root_file() {
            if newest > reached {
                return Err(TufError::IncompleteChain {
                    reached,
                    next: reached.saturating_add(1),
                    newest,
                });
            }
        }

        let summary = TufSummary {
            root: state(root.signed.version, root.signed.expires),
            timestamp: state(
                repo.timestamp().signed.version,
                repo.timestamp().signed.expires,
            ),
            snapshot: state(
                repo.snapshot().signed.version,
                repo.snapshot().signed.expires,
            ),
            targets: state(repo.targets().signed.version, repo.targets().signed.expires),
        };
        check_expiry(&summary, at)?;
        check_delegated_expiry(repo.targets(), at, 0)?;
        if let Some(s) = stored {
            check_rollback(root, repo.timestamp(), repo.snapshot(), s)?;
        }

        let trusted_root = read_target(&repo, TRUSTED_ROOT_TARGET, limits::MAX_TRUSTED_ROOT_BYTES)
            .await?
            .ok_or_else(|| TufError::MissingTarget {
                name: TRUSTED_ROOT_TARGET.into(),
            })?;
        let signing_config = read_target(
            &repo,
            SIGNING_CONFIG_TARGET,
            limits::MAX_SIGNING_CONFIG_BYTES,
        )
        .await?;

        // The exact bytes tough verified, from the private copy it read them from.
        let root_bytes = if reached == pinned_version {
            pinned_root.to_vec()
        } else {
            read_capped(
                &metadata_dir.join(format!("{reached}.root.json")),
                limits::MAX_TUF_ROOT_BYTES,
            )?
        };
        let consistent = root.signed.consistent_snapshot;
        let name = |v: u64, role: &str| {
            if consistent {
                format!("{v}.{role}.json")
            } else {
                format!("{role}.json")
            }
        };
        let timestamp = read_capped(
            &metadata_dir.join("timestamp.json"),
            limits::MAX_TUF_TIMESTAMP_BYTES,
        )?;
        // Each role is read with its own acceptance cap; the store reads it back with the same.
        let snapshot = read_capped(
            &metadata_dir.join(name(summary.snapshot.version, "snapshot")),
            limits::MAX_TUF_SNAPSHOT_BYTES,
        )?;
        let targets = read_capped(
            &metadata_dir.join(name(summary.targets.version, "targets")),
            limits::MAX_TUF_TARGETS_BYTES,
        )?;
        let reread = summarize(&StoredMetadata {
            root: root_bytes.clone(),
            timestamp: Some(timestamp.clone()),
            snapshot: Some(snapshot.clone()),
            targets: Some(targets.clone()),
        })?;
        if reread != Some(summary) {
            return Err(internal(
                "the metadata files read back differ from the metadata tough verified",
            ));
        }
        Ok(Verified {
            root: root_bytes,
            timestamp,
            snapshot,
            targets,
            summary,
            trusted_root,
            signing_config,
        })
    })
}

/// Refuses delegated targets metadata that is expired at `at` (tough loaded every delegated role
/// the snapshot lists; its own expiry check is off, since airlock judges time itself).
///
/// TUF §5.6.7.2.4 (for each delegated role, as for the top-level targets, §5.6.5): "The
/// expiration timestamp in the new targets metadata file MUST be higher than the fixed update
/// start time."
fn check_delegated_expiry(
    t: &Signed<Targets>,
    at: Timestamp,
    depth: usize,
) -> Result<(), TufError> {
    let Some(d) = &t.signed.delegations else {
        return Ok(());
    };
    if depth > limits::MAX_TUF_DELEGATION_DEPTH {
        return Err(internal("delegations nest deeper than airlock walks"));
    }
    for role in &d.roles {
        if let Some(rt) = &role.targets {
            if rt.signed.expires <= at {
                return Err(TufError::Expired {
                    role: format!(
                        "delegated targets role '{}'",
                        crate::text::escape(&role.name)
                    ),
                    version: rt.signed.version.get(),
                    expires: rt.signed.expires,
                    at,
                });
            }
            check_delegated_expiry(rt, at, depth + 1)?;
        }
    }
    Ok(())
}

/// Refuses metadata that is expired at `at`.
fn check_expiry(summary: &TufSummary, at: Timestamp) -> Result<(), TufError> {
    // TUF §5.3.10, §5.4.4, §5.5.6, §5.6.5: "The expiration timestamp in the [trusted root /
    // new timestamp / new snapshot / new targets] metadata file MUST be higher than the fixed
    // update start time." Here the update start time is `at`.
    let (role, s) = summary.earliest_expiry();
    if s.expires <= at {
        return Err(TufError::Expired {
            role: role.into(),
            version: s.version,
            expires: s.expires,
            at,
        });
    }
    Ok(())
}

/// Airlock's own rollback checks against the metadata it stored, beside tough's.
fn check_rollback(
    root: &Signed<Root>,
    timestamp: &Signed<TufTimestamp>,
    snapshot: &Signed<Snapshot>,
    stored: &StoredMetadata,
) -> Result<(), TufError> {
    let rollback = |role: &str, trusted: u64, offered: u64| {
        if offered < trusted {
            Err(TufError::Rollback {
                role: role.into(),
                trusted,
                offered,
            })
        } else {
            Ok(())
        }
    };
    let old_root: Signed<Root> = parse(&stored.root, "stored root")?;
    // TUF §5.3.11: "If the timestamp and / or snapshot keys have been rotated, then delete the
    // trusted timestamp and snapshot metadata files." (fast-forward attack recovery): then the
    // stored timestamp and snapshot no longer bound the new ones.
    let rotated = [RoleType::Timestamp, RoleType::Snapshot]
        .into_iter()
        .any(|role| old_root.signed.keys(role).ne(root.signed.keys(role)));
    if rotated {
        return Ok(());
    }
    if let Some(b) = &stored.timestamp {
        let old: Signed<TufTimestamp> = parse(b, "stored timestamp")?;
        // TUF §5.4.3.1: "The version number of the trusted timestamp metadata file, if any, MUST
        // be less than [or equal to] the version number of the new timestamp metadata file."
        rollback(
            "timestamp",
            old.signed.version.get(),
            timestamp.signed.version.get(),
        )?;
        // TUF §5.4.3.2: "The version number of the snapshot metadata file in the trusted
        // timestamp metadata file, if any, MUST be less than or equal to its version number in
        // the new timestamp metadata file."
        let snap_version =
            |t: &Signed<TufTimestamp>| t.signed.meta.get("snapshot.json").map(|m| m.version.get());
        if let (Some(o), Some(n)) = (snap_version(&old), snap_version(timestamp)) {
            rollback("snapshot (as named by the timestamp)", o, n)?;
        }
    }
    if let Some(b) = &stored.snapshot {
        let old: Signed<Snapshot> = parse(b, "stored snapshot")?;
        rollback(
            "snapshot",
            old.signed.version.get(),
            snapshot.signed.version.get(),
        )?;
        // TUF §5.5.5: "The version number of the targets metadata file, and all delegated targets
        // metadata files, if any, in the trusted snapshot metadata file, if any, MUST be less
        // than or equal to its version number in the new snapshot metadata file. Furthermore, any
        // targets metadata filename that was listed in the trusted snapshot metadata file, if
        // any, MUST continue to be listed in the new snapshot metadata file."
        let mut names: Vec<&String> = old.signed.meta.keys().collect();
        names.sort();
        for name in names {
            let Some(o) = old.signed.meta.get(name) else {
                continue;
            };
            match snapshot.signed.meta.get(name) {
                Some(n) => rollback(name, o.version.get(), n.version.get())?,
                None => {
                    return Err(TufError::RoleRemoved {
                        role: name.clone(),
                        snapshot: snapshot.signed.version.get(),
                    })
                }
            }
        }
    }
    Ok(())
}

/// Reads a top-level target through tough (hash- and length-checked), refusing any error.
async fn read_target(
    repo: &tough::Repository,
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, TufError> {
    let target_name = TargetName::new(name).map_err(internal)?;
    let Some(listed) = repo.targets().signed.targets.get(&target_name) else {
        return Ok(None);
    };
    if listed.length > cap {
        return Err(TufError::TooLarge {
            what: format!("target {name} ({} bytes as signed)", listed.length),
            limit: cap,
        });
    }
    // TUF §5.7.3: "download the target (up to the number of bytes specified in the targets
    // metadata), and verify that its hashes match the targets metadata."
    let stream = repo
        .read_target(&target_name)
        .await
        .map_err(|e| classify(&e, Some(name)))?;
    let Some(stream) = stream else {
        return Ok(None);
    };
    // The whole stream must be consumed: the hash is only checked at its end, and on any error
    // nothing read so far is used.
    let bytes = stream
        .into_vec()
        .await
        .map_err(|e| classify(&e, Some(name)))?;
    Ok(Some(bytes))
}

fn file_of(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string().replace(['\n', '\r'], " ")
}

/// Turns a tough error (and the chain of errors it wraps) into the most specific reason.
/// `target` is the target being read, `None` while loading metadata.
fn classify(err: &tough::error::Error, target: Option<&str>) -> TufError {
    use tough::error::Error as E;
    let mut best: Option<(u8, TufError)> = None;
    let mut last_url: Option<String> = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let found: Option<(u8, TufError)> = if let Some(t) = e.downcast_ref::<E>() {
            match t {
                E::Transport { url, .. } => {
                    last_url = Some(url.to_string());
                    None
                }
                // TUF §5.3.5: the new root's version "MUST be exactly the version in the trusted
                // root metadata (version N) incremented by one"; tough reports a skip the same way
                // as a step back.
                E::OlderMetadata {
                    role: RoleType::Root,
                    current_version,
                    new_version,
                    ..
                } if new_version > current_version => Some((
                    2,
                    TufError::RootVersionSkip {
                        expected: current_version.saturating_add(1),
                        found: *new_version,
                    },
                )),
                E::OlderMetadata {
                    role,
                    current_version,
                    new_version,
                    ..
                } => Some((
                    2,
                    TufError::Rollback {
                        role: role.to_string(),
                        trusted: *current_version,
                        offered: *new_version,
                    },
                )),
                E::OlderSnapshotInTimestamp {
                    snapshot_new,
                    snapshot_old,
                    ..
                } => Some((
                    2,
                    TufError::Rollback {
                        role: "snapshot (as named by the timestamp)".into(),
                        trusted: *snapshot_old,
                        offered: *snapshot_new,
                    },
                )),
                E::SnapshotRoleRollback {
                    role,
                    old_role_version,
                    new_role_version,
                    ..
                } => Some((
                    2,
                    TufError::Rollback {
                        role: role.clone(),
                        trusted: *old_role_version,
                        offered: *new_role_version,
                    },
                )),
                E::SnapshotRoleMissing {
                    role, new_version, ..
                } => Some((
                    2,
                    TufError::RoleRemoved {
                        role: role.clone(),
                        snapshot: *new_version,
                    },
                )),
                E::VersionMismatch {
                    role,
                    fetched,
                    expected,
                    ..
                } => {
                    let role = role.to_string();
                    let named_by = match role.as_str() {
                        "snapshot" => "timestamp",
                        _ => "snapshot",
                    };
                    Some((
                        2,
                        TufError::MixAndMatch {
                            role,
                            named_by: named_by.into(),
                            fetched: *fetched,
                            expected: *expected,
                        },
                    ))
                }
                E::HashMismatch {
                    context,
                    calculated,
                    expected,
                    ..
                } => Some((
                    2,
                    match target {
                        Some(name) => TufError::TargetMismatch {
                            name: name.into(),
                            calculated: calculated.clone(),
                            expected: expected.clone(),
                        },
                        None => TufError::MetadataHash {
                            file: file_of(context),
                            calculated: calculated.clone(),
                            expected: expected.clone(),
                        },
                    },
                )),
                E::VerifyMetadata { role, source, .. } => Some((
                    2,
                    TufError::BadSignature {
                        role: role.to_string(),
                        why: one_line(source),
                    },
                )),
                E::VerifyRoleMetadata { role, source, .. } => Some((
                    2,
                    TufError::BadSignature {
                        role: role.clone(),
                        why: one_line(source),
                    },
                )),
                E::VerifyTrustedMetadata { source, .. } => Some((
                    2,
                    TufError::PinnedRoot {
                        why: one_line(source),
                    },
                )),
                E::ParseTrustedMetadata { source, .. } => Some((
                    2,
                    TufError::PinnedRoot {
                        why: one_line(source),
                    },
                )),
                E::MaxSizeExceeded { max_size, .. } => Some((
                    2,
                    TufError::TooLarge {
                        what: match (&last_url, target) {
                            (_, Some(name)) => format!("target {name}"),
                            (Some(u), None) => file_of(u),
                            (None, None) => "a metadata file".into(),
                        },
                        limit: *max_size,
                    },
                )),
                E::MaxUpdatesExceeded {
                    max_root_updates, ..
                } => Some((
                    2,
                    TufError::TooLarge {
                        what: "the chain of root versions".into(),
                        limit: *max_root_updates,
                    },
                )),
                E::ParseMetadata { role, source, .. } => Some((
                    2,
                    TufError::Malformed {
                        role: role.to_string(),
                        why: one_line(source),
                    },
                )),
                E::MetaMissing { .. }
                | E::MissingSnapshotMeta { .. }
                | E::SnapshotTargetsMetaMissing { .. }
                | E::TimestampMetaLength { .. } => Some((
                    2,
                    TufError::Malformed {
                        role: "snapshot or timestamp".into(),
                        why: one_line(t),
                    },
                )),
                other => Some((
                    0,
                    TufError::Other {
                        why: one_line(other),
                    },
                )),
            }
        } else if let Some(t) = e.downcast_ref::<tough::TransportError>() {
            if t.kind() == TransportErrorKind::FileNotFound {
                Some((
                    1,
                    TufError::MissingFile {
                        file: match target {
                            Some(name) => format!("the file of target {name}"),
                            None => file_of(t.url()),
                        },
                    },
                ))
            } else {
                None
            }
        } else {
            None
        };
        if let Some((rank, reason)) = found {
            // The deepest reason of the highest rank wins: wrappers only add context.
            if best.as_ref().is_none_or(|(r, _)| rank >= *r) {
                best = Some((rank, reason));
            }
        }
        current = e.source();
    }
    best.map(|(_, r)| r)
        .unwrap_or_else(|| TufError::Other { why: one_line(err) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn summary() -> TufSummary {
        TufSummary {
            root: RoleState {
                version: 15,
                expires: ts("2026-11-20T13:58:18Z"),
            },
            timestamp: RoleState {
                version: 762,
                expires: ts("2026-08-28T19:25:56Z"),
            },
            snapshot: RoleState {
                version: 165,
                expires: ts("2036-05-15T08:09:16Z"),
            },
            targets: RoleState {
                version: 14,
                expires: ts("2036-05-09T09:00:52Z"),
            },
        }
    }

    #[test]
    fn freeze_with_expired_timestamp_is_refused() {
        let e = check_expiry(&summary(), ts("2026-08-29T00:00:00Z")).unwrap_err();
        assert_eq!(e.code(), "expired");
        assert!(
            e.to_string().contains("timestamp metadata version 762"),
            "{e}"
        );
    }

    #[test]
    fn metadata_expiring_exactly_at_the_instant_is_refused() {
        // "MUST be higher than the fixed update start time": equal is expired.
        let e = check_expiry(&summary(), ts("2026-08-28T19:25:56Z")).unwrap_err();
        assert_eq!(e.code(), "expired");
    }

    #[test]
    fn metadata_inside_its_validity_is_accepted() {
        check_expiry(&summary(), ts("2026-08-22T00:00:00Z")).unwrap();
    }

    #[test]
    fn earliest_expiry_names_the_first_role_to_expire() {
        let mut s = summary();
        assert_eq!(s.earliest_expiry().0, "timestamp");
        s.root.expires = ts("2026-08-01T00:00:00Z");
        assert_eq!(s.earliest_expiry().0, "root");
    }

    #[test]
    fn garbage_pinned_root_is_unusable_not_a_refusal() {
        let e = root_version(b"{\"signed\": 1}").unwrap_err();
        assert_eq!(e.code(), "pinned-root-invalid");
        assert!(!e.is_refusal());
    }
}
