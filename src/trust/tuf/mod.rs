//! The TUF client workflow (TUF specification 1.0, §5 "Detailed client workflow") over a staged
//! local copy of a repository, step by step.
//!
//! Owns: the update from a pinned root (root chain, timestamp, snapshot, targets and every
//! delegated targets role the snapshot lists), expiry judged at an instant it is given, rollback
//! checks against the metadata airlock stored last time, the incomplete-chain check, the search
//! for `trusted_root.json` and the signing config, and what each failed update still verified
//! ([`Kept`]: the specification persists each role as soon as it is verified). Must not touch: the
//! trust store (it receives stored metadata as bytes and returns bytes), the clock, the network,
//! anything outside the staging folder.
//!
//! Where the specification leaves a choice, airlock takes the stricter one but never lets an
//! unrelated oddity freeze the refresh: every delegated role the snapshot lists is verified
//! (signature, version, expiry), but a target a delegated role lists outside its `paths` is
//! ignored (§5.6.7: a delegation cannot vouch for paths it was not given), and a target listed
//! with only hashes airlock does not compute matters only if airlock needs that target.

pub mod meta;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::limits;
use crate::time::Timestamp;
use crate::trust::medium::Staged;
use meta::{check_hashes, check_threshold, supported_hashes, MetaFile, Signed};

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
        "target {name} does not match what is signed for it (calculated {calculated}, signed {expected})"
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

fn malformed(role: &str) -> impl Fn(String) -> TufError + '_ {
    move |why| TufError::Malformed {
        role: role.to_string(),
        why,
    }
}

fn parse_root(bytes: &[u8], role: &str) -> Result<Signed<meta::Root>, TufError> {
    meta::parse(bytes, role, "root").map_err(malformed(role))
}

/// TUF §5.3.10, §5.4.4, §5.5.6, §5.6.5: "The expiration timestamp in the [trusted root / new
/// timestamp / new snapshot / new targets] metadata file MUST be higher than the fixed update
/// start time." Here the update start time is `at`.
fn not_expired(
    role: &str,
    version: u64,
    expires: Timestamp,
    at: Timestamp,
) -> Result<(), TufError> {
    if expires <= at {
        return Err(TufError::Expired {
            role: role.to_string(),
            version,
            expires,
            at,
        });
    }
    Ok(())
}

/// TUF §5.3.11: whether the timestamp or snapshot keys (or thresholds) differ between two roots.
fn keys_rotated(old: &meta::Root, new: &meta::Root) -> bool {
    let keys_of = |r: &meta::Root, name: &str| {
        r.roles.get(name).map(|role| {
            (
                role.threshold,
                role.keyids
                    .iter()
                    .filter_map(|id| r.keys.get(id).cloned().map(|k| (id.clone(), k)))
                    .collect::<Vec<_>>(),
            )
        })
    };
    ["timestamp", "snapshot"]
        .iter()
        .any(|n| keys_of(old, n) != keys_of(new, n))
}

/// [`keys_rotated`] of two root metadata files (`true` when either cannot be read: then nothing
/// of the older state may bound the newer).
pub fn root_rotated_keys(old_root: &[u8], new_root: &[u8]) -> bool {
    match (parse_root(old_root, "root"), parse_root(new_root, "root")) {
        (Ok(a), Ok(b)) => keys_rotated(&a.signed, &b.signed),
        _ => true,
    }
}

fn state(version: u64, expires: Timestamp) -> RoleState {
    RoleState { version, expires }
}

/// Summarizes stored metadata (to check the files read back). `None` when a role file is absent.
pub fn summarize(stored: &StoredMetadata) -> Result<Option<TufSummary>, TufError> {
    let (Some(ts), Some(snap), Some(tg)) = (&stored.timestamp, &stored.snapshot, &stored.targets)
    else {
        return Ok(None);
    };
    let root = parse_root(&stored.root, "root")?;
    let ts: Signed<meta::Timestamp_> =
        meta::parse(ts, "timestamp", "timestamp").map_err(malformed("timestamp"))?;
    let snap: Signed<meta::Snapshot> =
        meta::parse(snap, "snapshot", "snapshot").map_err(malformed("snapshot"))?;
    let tg: Signed<meta::Targets> =
        meta::parse(tg, "targets", "targets").map_err(malformed("targets"))?;
    Ok(Some(TufSummary {
        root: state(root.signed.version, root.signed.expires),
        timestamp: state(ts.signed.version, ts.signed.expires),
        snapshot: state(snap.signed.version, snap.signed.expires),
        targets: state(tg.signed.version, tg.signed.expires),
    }))
}

fn parse_pinned(root: &[u8]) -> Result<Signed<meta::Root>, TufError> {
    meta::parse(root, "root", "root").map_err(|why| TufError::PinnedRoot {
        why: format!("not TUF root metadata: {why}"),
    })
}

/// The version of a root metadata document.
pub fn root_version(root: &[u8]) -> Result<u64, TufError> {
    Ok(parse_pinned(root)?.signed.version)
}

fn internal(e: impl std::fmt::Display) -> TufError {
    TufError::Internal { why: e.to_string() }
}

/// Reads a metadata file of the staged copy, up to `cap` bytes (TUF §5.3.3, §5.4.1, §5.5.1,
/// §5.6.1: "up to some number of bytes" chosen by the client, or the signed length).
fn read_meta(dir: &Path, file: &str, cap: u64) -> Result<Vec<u8>, TufError> {
    let path = dir.join(file);
    let f = fs::File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => TufError::MissingFile {
            file: file.to_string(),
        },
        _ => internal(format!("cannot read {}: {e}", path.display())),
    })?;
    let mut bytes = Vec::new();
    f.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| internal(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > cap {
        return Err(TufError::TooLarge {
            what: file.to_string(),
            limit: cap,
        });
    }
    Ok(bytes)
}

/// What a failed update still verified, to be kept as TUF state (TUF §5.3.8 "persist root
/// metadata", §5.4.5 "persist timestamp metadata", §5.5.7 "persist snapshot metadata"), each
/// newer than what was trusted before it. Exact bytes as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub root: Option<Vec<u8>>,
    pub timestamp: Option<Vec<u8>>,
    pub snapshot: Option<Vec<u8>>,
}

impl Kept {
    pub fn is_empty(&self) -> bool {
        self.root.is_none() && self.timestamp.is_none() && self.snapshot.is_none()
    }

    /// `root v3, timestamp v2`, for history and messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = &self.root {
            if let Ok(r) = parse_root(b, "root") {
                parts.push(format!("root v{}", r.signed.version));
            }
        }
        for (name, b) in [("timestamp", &self.timestamp), ("snapshot", &self.snapshot)] {
            if let Some(b) = b {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
                    if let Some(n) = v.pointer("/signed/version").and_then(|v| v.as_u64()) {
                        parts.push(format!("{name} v{n}"));
                    }
                }
            }
        }
        parts.join(", ")
    }
}

/// Runs the TUF client workflow from `pinned_root` over `staged`, refusing anything that would
/// roll back `stored`, and judging expiry at `at`.
pub fn verify(
    pinned_root: &[u8],
    stored: Option<&StoredMetadata>,
    staged: &Staged,
    work: &Path,
    at: Timestamp,
) -> Result<Verified, TufError> {
    verify_keeping(pinned_root, stored, staged, work, at).0
}

/// [`verify`], and what it verified before any failure (empty on success: the whole state is in
/// [`Verified`]).
pub fn verify_keeping(
    pinned_root: &[u8],
    stored: Option<&StoredMetadata>,
    staged: &Staged,
    _work: &Path,
    at: Timestamp,
) -> (Result<Verified, TufError>, Kept) {
    let mut kept = Kept::default();
    let r = run(pinned_root, stored, staged, at, &mut kept);
    if r.is_ok() {
        kept = Kept::default();
    }
    (r, kept)
}

fn run(
    pinned_root: &[u8],
    stored: Option<&StoredMetadata>,
    staged: &Staged,
    at: Timestamp,
    kept: &mut Kept,
) -> Result<Verified, TufError> {
    // TUF §5.2: "Load the trusted root metadata file. ... the expiration of the trusted root
    // metadata file does not matter".
    let pinned = parse_pinned(pinned_root)?;
    let root_role = |r: &meta::Root| r.roles.get("root").cloned();
    let Some(pinned_role) = root_role(&pinned.signed) else {
        return Err(TufError::PinnedRoot {
            why: "it defines no root role".into(),
        });
    };
    check_threshold(&pinned, &pinned_role, &pinned.signed.keys).map_err(|e| {
        TufError::PinnedRoot {
            why: format!("not signed by its own root keys: {e}"),
        }
    })?;
    let pinned_version = pinned.signed.version;
    let dir = &staged.metadata_dir;

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
        // latest available one is reached." A gap cuts the chain: named before anything it
        // would have authorized (a rotated timestamp key) fails.
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

    // §5.3: the root chain.
    let mut trusted = pinned;
    let mut trusted_bytes = pinned_root.to_vec();
    let mut steps = 0u64;
    loop {
        let next = trusted.signed.version.saturating_add(1);
        let file = format!("{next}.root.json");
        // §5.3.3: "If this file is not available ... then go to step 5.3.10."
        if !staged.root_files.contains(&next) {
            break;
        }
        steps += 1;
        if steps > limits::MAX_TUF_ROOT_UPDATES {
            return Err(TufError::TooLarge {
                what: "the chain of root versions".into(),
                limit: limits::MAX_TUF_ROOT_UPDATES,
            });
        }
        let bytes = read_meta(dir, &file, limits::MAX_TUF_ROOT_BYTES)?;
        let new = parse_root(&bytes, "root")?;
        // §5.3.4: "Check signatures. Version N+1 of the root metadata file MUST have been signed
        // by: (1) a threshold of keys specified in the trusted root metadata file (version N), and
        // (2) a threshold of keys specified in the new root metadata file being validated
        // (version N+1)."
        let old_role = root_role(&trusted.signed).ok_or_else(|| TufError::Malformed {
            role: "root".into(),
            why: "it defines no root role".into(),
        })?;
        check_threshold(&new, &old_role, &trusted.signed.keys).map_err(|why| {
            TufError::BadSignature {
                role: "root".into(),
                why: format!("{file} by the trusted root's keys: {why}"),
            }
        })?;
        let new_role = root_role(&new.signed).ok_or_else(|| TufError::Malformed {
            role: "root".into(),
            why: format!("{file} defines no root role"),
        })?;
        check_threshold(&new, &new_role, &new.signed.keys).map_err(|why| {
            TufError::BadSignature {
                role: "root".into(),
                why: format!("{file} by its own keys: {why}"),
            }
        })?;
        // §5.3.5: "Check for a rollback attack. The version number of the new root metadata
        // (i.e. N+1) MUST be exactly the version in the trusted root metadata (i.e. N)
        // incremented by one".
        if new.signed.version != next {
            return Err(TufError::RootVersionSkip {
                expected: next,
                found: new.signed.version,
            });
        }
        // §5.3.8: "Set the trusted root metadata file to the new root metadata file." (and
        // persist it: kept even if a later step fails).
        trusted = new;
        trusted_bytes = bytes;
        kept.root = Some(trusted_bytes.clone());
    }
    let root = trusted;
    // §5.3.10: "Check for a freeze attack. The expiration timestamp in the trusted root metadata
    // file MUST be higher than the fixed update start time."
    not_expired("root", root.signed.version, root.signed.expires, at)?;
    let keys = &root.signed.keys;
    let role = |name: &str| {
        root.signed
            .roles
            .get(name)
            .cloned()
            .ok_or_else(|| TufError::Malformed {
                role: "root".into(),
                why: format!("it defines no {name} role"),
            })
    };

    // §5.3.11: "If the timestamp and / or snapshot keys have been rotated, then delete the trusted
    // timestamp and snapshot metadata files." (fast-forward attack recovery)
    let mut trusted_ts: Option<Signed<meta::Timestamp_>> = None;
    let mut trusted_ts_bytes: Option<Vec<u8>> = None;
    let mut trusted_snap: Option<Signed<meta::Snapshot>> = None;
    if let Some(s) = stored {
        let old_root = parse_root(&s.root, "stored root")?;
        if !keys_rotated(&old_root.signed, &root.signed) {
            if let Some(b) = &s.timestamp {
                trusted_ts = Some(
                    meta::parse(b, "stored timestamp", "timestamp")
                        .map_err(malformed("stored timestamp"))?,
                );
                trusted_ts_bytes = Some(b.clone());
            }
            if let Some(b) = &s.snapshot {
                trusted_snap = Some(
                    meta::parse(b, "stored snapshot", "snapshot")
                        .map_err(malformed("stored snapshot"))?,
                );
            }
        }
    }

    // §5.4: the timestamp.
    let ts_bytes = read_meta(dir, "timestamp.json", limits::MAX_TUF_TIMESTAMP_BYTES)?;
    let new_ts: Signed<meta::Timestamp_> =
        meta::parse(&ts_bytes, "timestamp", "timestamp").map_err(malformed("timestamp"))?;
    // §5.4.2: "Check signatures. The new timestamp metadata file must have been signed by a
    // threshold of keys specified in the trusted root metadata file."
    check_threshold(&new_ts, &role("timestamp")?, keys).map_err(|why| TufError::BadSignature {
        role: "timestamp".into(),
        why,
    })?;
    let (timestamp, timestamp_bytes) = match (&trusted_ts, &trusted_ts_bytes) {
        (Some(old), Some(old_bytes)) => {
            // §5.4.3.1: "The version number of the trusted timestamp metadata file, if any, MUST
            // be less than or equal to the version number of the new timestamp metadata file. If
            // the new timestamp metadata file is older than the trusted timestamp metadata file,
            // discard it, abort the update cycle, and report the potential rollback attack."
            if new_ts.signed.version < old.signed.version {
                return Err(TufError::Rollback {
                    role: "timestamp".into(),
                    trusted: old.signed.version,
                    offered: new_ts.signed.version,
                });
            }
            // python-tuf and go-tuf (the reference clients): a new timestamp of the same version
            // is not adopted; the trusted one stays, and the update goes on from it.
            if new_ts.signed.version == old.signed.version {
                (old.clone(), old_bytes.clone())
            } else {
                // §5.4.3.2: "The version number of the snapshot metadata file in the trusted
                // timestamp metadata file, if any, MUST be less than or equal to its version
                // number in the new timestamp metadata file."
                let snap_v = |t: &Signed<meta::Timestamp_>| {
                    t.signed.meta.get("snapshot.json").map(|m| m.version)
                };
                if let (Some(o), Some(n)) = (snap_v(old), snap_v(&new_ts)) {
                    if n < o {
                        return Err(TufError::Rollback {
                            role: "snapshot (as named by the timestamp)".into(),
                            trusted: o,
                            offered: n,
                        });
                    }
                }
                (new_ts, ts_bytes)
            }
        }
        _ => (new_ts, ts_bytes),
    };
    // §5.4.4: "Check for a freeze attack. The expiration timestamp in the new timestamp metadata
    // file MUST be higher than the fixed update start time."
    not_expired(
        "timestamp",
        timestamp.signed.version,
        timestamp.signed.expires,
        at,
    )?;
    // §5.4.5: "Persist timestamp metadata."
    if trusted_ts
        .as_ref()
        .is_none_or(|o| o.signed.version < timestamp.signed.version)
    {
        kept.timestamp = Some(timestamp_bytes.clone());
    }

    // §5.5: the snapshot.
    let snap_meta = timestamp
        .signed
        .meta
        .get("snapshot.json")
        .cloned()
        .ok_or_else(|| TufError::Malformed {
            role: "timestamp".into(),
            why: "it names no snapshot.json".into(),
        })?;
    let consistent = root.signed.consistent_snapshot;
    let name = |v: u64, role: &str| {
        if consistent {
            format!("{v}.{role}.json")
        } else {
            format!("{role}.json")
        }
    };
    let snap_file = name(snap_meta.version, "snapshot");
    let snap_bytes = read_metafile(dir, &snap_file, &snap_meta, limits::MAX_TUF_SNAPSHOT_BYTES)?;
    let snapshot: Signed<meta::Snapshot> =
        meta::parse(&snap_bytes, "snapshot", "snapshot").map_err(malformed("snapshot"))?;
    // §5.5.3: "The new snapshot metadata file MUST have been signed by a threshold of keys
    // specified in the trusted root metadata file."
    check_threshold(&snapshot, &role("snapshot")?, keys).map_err(|why| TufError::BadSignature {
        role: "snapshot".into(),
        why,
    })?;
    // §5.5.4: "The version number of the new snapshot metadata file MUST match the version number
    // listed in the trusted timestamp metadata file."
    if snapshot.signed.version != snap_meta.version {
        return Err(TufError::MixAndMatch {
            role: "snapshot".into(),
            named_by: "timestamp".into(),
            fetched: snapshot.signed.version,
            expected: snap_meta.version,
        });
    }
    if let Some(old) = &trusted_snap {
        if snapshot.signed.version < old.signed.version {
            return Err(TufError::Rollback {
                role: "snapshot".into(),
                trusted: old.signed.version,
                offered: snapshot.signed.version,
            });
        }
        // §5.5.5: "The version number of the targets metadata file, and all delegated targets
        // metadata files, if any, in the trusted snapshot metadata file, if any, MUST be less than
        // or equal to its version number in the new snapshot metadata file. Furthermore, any
        // targets metadata filename that was listed in the trusted snapshot metadata file, if
        // any, MUST continue to be listed in the new snapshot metadata file."
        for (file, o) in &old.signed.meta {
            match snapshot.signed.meta.get(file) {
                Some(n) if n.version < o.version => {
                    return Err(TufError::Rollback {
                        role: file.clone(),
                        trusted: o.version,
                        offered: n.version,
                    })
                }
                Some(_) => {}
                None => {
                    return Err(TufError::RoleRemoved {
                        role: file.clone(),
                        snapshot: snapshot.signed.version,
                    })
                }
            }
        }
    }
    // §5.5.6: "Check for a freeze attack."
    not_expired(
        "snapshot",
        snapshot.signed.version,
        snapshot.signed.expires,
        at,
    )?;
    // §5.5.7: "Persist snapshot metadata."
    if trusted_snap
        .as_ref()
        .is_none_or(|o| o.signed.version < snapshot.signed.version)
    {
        kept.snapshot = Some(snap_bytes.clone());
    }

    // §5.6: the top-level targets.
    let (targets, targets_bytes) = load_targets(
        dir,
        &snapshot,
        "targets",
        consistent,
        &role("targets")?,
        keys,
        at,
        "targets",
    )?;

    // Every delegated targets role the snapshot lists is verified (§5.6.7.2 for each), and the
    // targets airlock needs are searched in pre-order (§5.6.7).
    let mut roles = vec![Loaded {
        name: "targets".into(),
        targets: targets.signed.clone(),
    }];
    load_delegations(
        dir,
        &snapshot,
        consistent,
        &targets.signed,
        at,
        &mut roles,
        0,
    )?;

    let trusted_root = read_target(
        staged,
        &roles,
        TRUSTED_ROOT_TARGET,
        consistent,
        limits::MAX_TRUSTED_ROOT_BYTES,
    )?
    .ok_or_else(|| TufError::MissingTarget {
        name: TRUSTED_ROOT_TARGET.into(),
    })?;
    let signing_config = read_target(
        staged,
        &roles,
        SIGNING_CONFIG_TARGET,
        consistent,
        limits::MAX_SIGNING_CONFIG_BYTES,
    )?;

    let summary = TufSummary {
        root: state(root.signed.version, root.signed.expires),
        timestamp: state(timestamp.signed.version, timestamp.signed.expires),
        snapshot: state(snapshot.signed.version, snapshot.signed.expires),
        targets: state(targets.signed.version, targets.signed.expires),
    };
    Ok(Verified {
        root: trusted_bytes,
        timestamp: timestamp_bytes,
        snapshot: snap_bytes,
        targets: targets_bytes,
        summary,
        trusted_root,
        signing_config,
    })
}

/// Reads a metafile named by timestamp or snapshot metadata: up to its signed length (or `cap`),
/// checked against its signed length and every signed hash airlock supports (§5.5.2, §5.6.2).
fn read_metafile(dir: &Path, file: &str, m: &MetaFile, cap: u64) -> Result<Vec<u8>, TufError> {
    let limit = m.length.map_or(cap, |l| l.min(cap));
    let bytes = read_meta(dir, file, limit).map_err(|e| match (e, m.length) {
        (TufError::TooLarge { .. }, Some(l)) if l <= cap => TufError::MetadataHash {
            file: file.to_string(),
            calculated: format!("more than the {l} bytes signed"),
            expected: format!("length {l}"),
        },
        (e, _) => e,
    })?;
    if let Some(l) = m.length {
        if bytes.len() as u64 != l {
            return Err(TufError::MetadataHash {
                file: file.to_string(),
                calculated: format!("length {}", bytes.len()),
                expected: format!("length {l}"),
            });
        }
    }
    if let Some(h) = &m.hashes {
        check_hashes(&bytes, &supported_hashes(h)).map_err(|(calculated, expected)| {
            TufError::MetadataHash {
                file: file.to_string(),
                calculated,
                expected,
            }
        })?;
    }
    Ok(bytes)
}

/// Loads and checks targets metadata `role` (top-level or delegated) as the snapshot names it:
/// hashes and length (§5.6.2), signatures (§5.6.3), version (§5.6.4), expiry (§5.6.5).
#[allow(clippy::too_many_arguments)]
fn load_targets(
    dir: &Path,
    snapshot: &Signed<meta::Snapshot>,
    role: &str,
    consistent: bool,
    keys_of_role: &meta::RoleKeys,
    keys: &std::collections::BTreeMap<String, meta::Key>,
    at: Timestamp,
    shown: &str,
) -> Result<(Signed<meta::Targets>, Vec<u8>), TufError> {
    let m = snapshot
        .signed
        .meta
        .get(&format!("{role}.json"))
        .ok_or_else(|| TufError::Malformed {
            role: "snapshot".into(),
            why: format!("it does not list {}.json", crate::text::escape(role)),
        })?;
    let file = if consistent {
        format!("{}.{role}.json", m.version)
    } else {
        format!("{role}.json")
    };
    let bytes = read_metafile(dir, &file, m, limits::MAX_TUF_TARGETS_BYTES)?;
    let t: Signed<meta::Targets> =
        meta::parse(&bytes, shown, "targets").map_err(malformed(shown))?;
    check_threshold(&t, keys_of_role, keys).map_err(|why| TufError::BadSignature {
        role: shown.to_string(),
        why,
    })?;
    if t.signed.version != m.version {
        return Err(TufError::MixAndMatch {
            role: shown.to_string(),
            named_by: "snapshot".into(),
            fetched: t.signed.version,
            expected: m.version,
        });
    }
    not_expired(shown, t.signed.version, t.signed.expires, at)?;
    Ok((t, bytes))
}

/// A verified targets role, top-level or delegated.
struct Loaded {
    name: String,
    targets: meta::Targets,
}

/// Most delegated roles loaded in one update.
const MAX_DELEGATED_ROLES: usize = 1024;

fn load_delegations(
    dir: &Path,
    snapshot: &Signed<meta::Snapshot>,
    consistent: bool,
    parent: &meta::Targets,
    at: Timestamp,
    roles: &mut Vec<Loaded>,
    depth: usize,
) -> Result<(), TufError> {
    let Some(d) = &parent.delegations else {
        return Ok(());
    };
    if depth > limits::MAX_TUF_DELEGATION_DEPTH {
        return Err(TufError::TooLarge {
            what: "the depth of delegations".into(),
            limit: limits::MAX_TUF_DELEGATION_DEPTH as u64,
        });
    }
    for r in &d.roles {
        if roles.iter().any(|l| l.name == r.name) {
            continue; // already loaded (a delegation graph may name a role twice)
        }
        if roles.len() >= MAX_DELEGATED_ROLES {
            return Err(TufError::TooLarge {
                what: "the number of delegated roles".into(),
                limit: MAX_DELEGATED_ROLES as u64,
            });
        }
        let shown = format!("delegated targets role '{}'", crate::text::escape(&r.name));
        let keys = meta::RoleKeys {
            keyids: r.keyids.clone(),
            threshold: r.threshold,
        };
        let (t, _) = load_targets(
            dir, snapshot, &r.name, consistent, &keys, &d.keys, at, &shown,
        )?;
        let child = t.signed;
        roles.push(Loaded {
            name: r.name.clone(),
            targets: child.clone(),
        });
        load_delegations(dir, snapshot, consistent, &child, at, roles, depth + 1)?;
    }
    Ok(())
}

/// §5.6.7: the pre-order depth-first search for `name`, from the top-level targets: a role's own
/// listing first, then its delegations in order, each only if its paths cover `name`, stopping
/// at a terminating delegation. A target a delegated role lists outside its paths is never
/// reached.
fn find_target<'a>(roles: &'a [Loaded], name: &str) -> Option<&'a meta::TargetFile> {
    fn visit<'a>(
        roles: &'a [Loaded],
        role: &str,
        name: &str,
        seen: &mut BTreeSet<String>,
    ) -> (Option<&'a meta::TargetFile>, bool) {
        if !seen.insert(role.to_string()) || seen.len() > MAX_DELEGATED_ROLES {
            return (None, false);
        }
        let Some(l) = roles.iter().find(|l| l.name == role) else {
            return (None, false);
        };
        if let Some(t) = l.targets.targets.get(name) {
            return (Some(t), true);
        }
        if let Some(d) = &l.targets.delegations {
            for r in &d.roles {
                if !r.covers(name) {
                    continue;
                }
                let (found, _) = visit(roles, &r.name, name, seen);
                if found.is_some() {
                    return (found, true);
                }
                if r.terminating {
                    return (None, true);
                }
            }
        }
        (None, false)
    }
    visit(roles, "targets", name, &mut BTreeSet::new()).0
}

/// Reads a target the verified targets metadata lists (§5.7.3: "download the target (up to the
/// number of bytes specified in the targets metadata), and verify that its hashes match the
/// targets metadata"). `None` when no role that may vouch for it lists it.
fn read_target(
    staged: &Staged,
    roles: &[Loaded],
    name: &str,
    consistent: bool,
    cap: u64,
) -> Result<Option<Vec<u8>>, TufError> {
    let Some(t) = find_target(roles, name) else {
        return Ok(None);
    };
    if t.length > cap {
        return Err(TufError::TooLarge {
            what: format!("target {name} ({} bytes as signed)", t.length),
            limit: cap,
        });
    }
    // Hash algorithms are the repository's choice; at least one must be one airlock computes.
    let hashes = supported_hashes(&t.hashes);
    if hashes.is_empty() {
        return Err(TufError::Malformed {
            role: "targets".into(),
            why: format!(
                "target {name} is listed with no hash airlock can check (it computes sha256 and sha512)"
            ),
        });
    }
    // §5.7.3 (consistent snapshots): the file is `HASH.NAME` for any of the hashes listed.
    let (dirname, base) = match name.rsplit_once('/') {
        Some((d, b)) => (format!("{d}/"), b),
        None => (String::new(), name),
    };
    let candidates: Vec<String> = if consistent {
        hashes
            .iter()
            .map(|(_, h)| format!("{dirname}{}.{base}", h.to_ascii_lowercase()))
            .collect()
    } else {
        vec![name.to_string()]
    };
    let mut bytes = None;
    for c in &candidates {
        let p = staged.targets_dir.join(c);
        if p.is_file() {
            bytes = Some(
                read_meta(&staged.targets_dir, c, t.length).map_err(|e| match e {
                    TufError::TooLarge { .. } => TufError::TargetMismatch {
                        name: name.to_string(),
                        calculated: format!("more than the {} bytes signed", t.length),
                        expected: format!("length {}", t.length),
                    },
                    other => other,
                })?,
            );
            break;
        }
    }
    let Some(bytes) = bytes else {
        return Err(TufError::MissingFile {
            file: format!("the file of target {name}"),
        });
    };
    if bytes.len() as u64 != t.length {
        return Err(TufError::TargetMismatch {
            name: name.to_string(),
            calculated: format!("length {}", bytes.len()),
            expected: format!("length {}", t.length),
        });
    }
    check_hashes(&bytes, &hashes).map_err(|(calculated, expected)| TufError::TargetMismatch {
        name: name.to_string(),
        calculated,
        expected,
    })?;
    Ok(Some(bytes))
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
        let s = summary();
        let e = not_expired(
            "timestamp",
            762,
            s.timestamp.expires,
            ts("2026-08-29T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "expired");
        assert!(
            e.to_string().contains("timestamp metadata version 762"),
            "{e}"
        );
    }

    #[test]
    fn metadata_expiring_exactly_at_the_instant_is_refused() {
        // "MUST be higher than the fixed update start time": equal is expired.
        let s = summary();
        let e = not_expired(
            "timestamp",
            762,
            s.timestamp.expires,
            ts("2026-08-28T19:25:56Z"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "expired");
    }

    #[test]
    fn metadata_inside_its_validity_is_accepted() {
        let s = summary();
        not_expired(
            "timestamp",
            762,
            s.timestamp.expires,
            ts("2026-08-22T00:00:00Z"),
        )
        .unwrap();
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
