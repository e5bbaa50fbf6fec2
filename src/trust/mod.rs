//! The trust root: the typed Sigstore trusted root, and its TUF-verified lifecycle (factory
//! install, refresh from a USB copy of the TUF repository, import, status and history).
//!
//! Owns: what airlock trusts and why, under `<data-dir>/trust/`. Must not touch: the network,
//! bundles, the ledger, the clock (every function takes `now`; only the CLI reads the clock), and
//! anything outside the data dir.

pub mod factory;
pub mod medium;
pub mod store;
pub mod trusted_root;
pub mod tuf;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use store::{CrashPoint, HistoryEntry};
pub use trusted_root::{CertificateAuthority, TransparencyLog, TrustedRoot, TrustedRootError};
pub use tuf::{RoleState, TufSummary};

use crate::crypto;
use crate::limits;
use crate::time::{Timestamp, Window};
use medium::MediumError;
use store::{GenerationInfo, Store, StoreLock, TrustStoreError};
use tuf::{StoredMetadata, TufError};

/// The trust root in force, parsed, with how it was accepted.
#[derive(Debug, Clone)]
pub struct ActiveRoot {
    pub root: TrustedRoot,
    pub bytes: Vec<u8>,
    pub info: RootInfo,
    /// This call installed public good's factory trust root (the data dir's first use): a trust
    /// event for the caller that keeps a ledger to record.
    pub factory_installed: bool,
}

/// How a trust root came to be trusted. Every verification result names it.
// Serialized camelCase like every other JSON airlock writes; the snake_case names data dirs
// written before held are still read (aliases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootInfo {
    /// SHA-256 (hex) of the `trusted_root.json` bytes.
    pub digest: String,
    /// False for `trust import` and for `--trusted-root` files.
    #[serde(alias = "tuf_verified")]
    pub tuf_verified: bool,
    #[serde(alias = "tuf_root_version")]
    pub tuf_root_version: Option<u64>,
    /// "factory:…", "usb:/path", "tarball:/path", "import:/path" or "file:/path".
    pub source: String,
    #[serde(alias = "accepted_at")]
    pub accepted_at: Option<Timestamp>,
    /// Earliest expiry of the TUF metadata it came with.
    pub expires: Option<Timestamp>,
    /// The TUF metadata had expired at `now`: verification goes on with this last accepted root.
    pub stale: bool,
    /// The `--at` an operator used to accept it, if any.
    #[serde(alias = "at_override")]
    pub at_override: Option<Timestamp>,
}

impl RootInfo {
    /// The record for a `--trusted-root FILE` given on the command line (not TUF-verified).
    pub fn for_file(path: &Path, bytes: &[u8]) -> RootInfo {
        RootInfo {
            digest: hex::encode(crypto::sha256(bytes)),
            tuf_verified: false,
            tuf_root_version: None,
            source: format!("file:{}", path.display()),
            accepted_at: None,
            expires: None,
            stale: false,
            at_override: None,
        }
    }

    fn restale(mut self, now: Timestamp) -> RootInfo {
        self.stale = self.expires.is_some_and(|e| e <= now);
        self
    }
}

/// Why a trust command failed. Each variant is one line an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(transparent)]
    Store(#[from] TrustStoreError),
    #[error(transparent)]
    Medium(#[from] MediumError),
    #[error(transparent)]
    Tuf(#[from] TufError),
    /// A refused update that still verified newer roles, kept as TUF state (the trusted root in
    /// force is unchanged).
    #[error("{source}; kept from it as verified TUF state: {kept}")]
    TufKept { source: TufError, kept: String },
    #[error("{what} is not a usable Sigstore trusted root: {source}")]
    TrustedRoot {
        what: String,
        source: TrustedRootError,
    },
    #[error(
        "the repository's signed trusted_root.json is not a usable Sigstore trusted root: {source}"
    )]
    SignedTrustedRoot { source: TrustedRootError },
    #[error("cannot read {path}: {why}")]
    Unreadable { path: PathBuf, why: String },
    #[error(
        "the trust store in {dir} is already initialized (trust root sha256:{digest} from {origin}); use `airlock trust update --from DIR`, or `airlock trust init --force` to replace it"
    )]
    AlreadyInitialized {
        dir: PathBuf,
        digest: String,
        origin: String,
    },
    #[error("the factory trust built into this binary is unusable: {why}")]
    Factory { why: String },
    #[error("no trust instance '{instance}' in this data dir: create it with `airlock trust init --instance {instance} --root ROOT.json --from DIR` (or `trust import --instance {instance}`)")]
    NoSuchInstance { instance: String },
    #[error("'{name}' is not an instance name: use 1 to 32 lowercase letters, digits and dashes")]
    BadInstanceName { name: String },
    #[error("instance '{instance}' has no factory trust: give --root ROOT.json and --from DIR")]
    NoFactory { instance: String },
    #[error("the installed trust root does not match its record: {what}; reinstall it with `airlock trust init --force`")]
    Integrity { what: String },
}

impl TrustError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Medium(e) => e.code(),
            Self::Tuf(e) | Self::TufKept { source: e, .. } => e.code(),
            Self::TrustedRoot { .. } | Self::SignedTrustedRoot { .. } => "trusted-root-invalid",
            Self::Unreadable { .. } => "unreadable",
            Self::AlreadyInitialized { .. } => "already-initialized",
            Self::Factory { .. } => "factory-broken",
            Self::NoSuchInstance { .. } => "no-such-instance",
            Self::BadInstanceName { .. } => "usage",
            Self::NoFactory { .. } => "usage",
            Self::Integrity { .. } => "store-corrupt",
        }
    }

    /// Whether this refuses what was offered (attack, expired, rollback: exit 1) rather than
    /// failing on unusable usage or input (exit 2).
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Tuf(e) | Self::TufKept { source: e, .. } => e.is_refusal(),
            Self::Medium(e) => e.is_refusal(),
            Self::SignedTrustedRoot { .. } => true,
            _ => false,
        }
    }

    /// The process exit code for this failure: 1 refused, 2 unusable usage or input.
    pub fn exit_code(&self) -> u8 {
        if self.is_refusal() {
            1
        } else {
            2
        }
    }
}

/// The result of `init`, `update` or `import`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub action: String,
    /// What this command read: the `--from` medium, the trusted-root file, or the factory state.
    pub offered: String,
    /// False when the medium offered exactly the trust state already in force.
    pub changed: bool,
    pub generation: String,
    pub info: RootInfo,
    pub tuf: Option<TufSummary>,
    /// The trust root in force before, if any.
    pub previous: Option<RootInfo>,
    /// A factory install that happened first (first use of the data dir).
    pub factory_install: Option<RootInfo>,
}

/// Options of `airlock trust init`.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// A TUF `root.json` to pin instead of the factory one.
    pub root: Option<PathBuf>,
    /// A TUF repository (folder or `.tar.gz`) instead of the factory state.
    pub from: Option<PathBuf>,
    /// Judge expiry at this instant instead of the clock (or the factory capture time).
    pub at: Option<Timestamp>,
    /// Replace an existing trust store's state (history is kept).
    pub force: bool,
}

enum Source<'a> {
    Medium(&'a Path),
    Factory,
}

struct Plan<'a> {
    action: &'static str,
    pinned: Vec<u8>,
    source: Source<'a>,
    label: String,
    at: Timestamp,
    at_override: Option<Timestamp>,
    /// Resume from the TUF metadata of the generation in force: it becomes the pinned root (in
    /// place of `pinned`) and bounds the offered metadata against rollback.
    use_stored: bool,
}

fn read_file(path: &Path, cap: u64) -> Result<Vec<u8>, TrustError> {
    // Regular files only, opened without blocking (a FIFO named as --root would hang).
    crate::input::read_capped(path, cap, "file").map_err(|e| TrustError::Unreadable {
        path: path.to_path_buf(),
        why: match e {
            crate::input::InputError::TooLarge { limit, .. } => {
                format!("it is larger than {limit} bytes")
            }
            crate::input::InputError::NotRegular { kind, .. } => {
                format!("it is {kind}, not a regular file")
            }
            crate::input::InputError::Open { why, .. }
            | crate::input::InputError::Read { why, .. } => why.to_string(),
            other => other.to_string(),
        },
    })
}

fn medium_label(p: &Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if abs.is_dir() {
        format!("usb:{}", abs.display())
    } else {
        format!("tarball:{}", abs.display())
    }
}

fn stored_metadata(store: &Store, gen: &store::Generation) -> Result<StoredMetadata, TrustError> {
    let root = store
        .read(gen, "tuf/root.json", limits::MAX_TUF_ROOT_BYTES)?
        .ok_or_else(|| TrustError::Integrity {
            what: format!("generation {} has no tuf/root.json", gen.id),
        })?;
    Ok(StoredMetadata {
        root,
        timestamp: store.read(gen, "tuf/timestamp.json", limits::MAX_TUF_TIMESTAMP_BYTES)?,
        // Each role is read back with the cap it was accepted under (see `tuf::verify`).
        snapshot: store.read(gen, "tuf/snapshot.json", limits::MAX_TUF_SNAPSHOT_BYTES)?,
        targets: store.read(gen, "tuf/targets.json", limits::MAX_TUF_TARGETS_BYTES)?,
    })
}

/// Replaces each role of `s` by the one `v` holds when that one is newer.
fn overlay_verified(s: &mut StoredMetadata, v: &store::VerifiedState) {
    use base64::Engine as _;
    let decode = |b: &Option<String>| {
        b.as_ref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
    };
    let version = |b: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(b)
            .ok()
            .and_then(|v| v.pointer("/signed/version").and_then(|n| n.as_u64()))
            .unwrap_or(0)
    };
    if let Some(r) = decode(&v.root) {
        if version(&r) > version(&s.root) {
            // TUF §5.3.11: keys rotated since the generation's root void its timestamp and
            // snapshot as bounds (fast-forward recovery), unless newer ones were kept too.
            if tuf::root_rotated_keys(&s.root, &r) {
                s.timestamp = None;
                s.snapshot = None;
            }
            s.root = r;
        }
    }
    for (slot, new) in [
        (&mut s.timestamp, decode(&v.timestamp)),
        (&mut s.snapshot, decode(&v.snapshot)),
    ] {
        if let Some(n) = new {
            if slot.as_ref().is_none_or(|o| version(&n) > version(o)) {
                *slot = Some(n);
            }
        }
    }
}

fn record_refusal(
    store: &Store,
    lock: &StoreLock,
    action: &str,
    source: &str,
    at_override: Option<Timestamp>,
    now: Timestamp,
    err: &TrustError,
) {
    if !err.is_refusal() {
        return;
    }
    let entry = HistoryEntry {
        outcome: "refused".into(),
        action: action.into(),
        recorded_at: now,
        source: source.into(),
        digest: None,
        generation: None,
        tuf_verified: false,
        tuf_root_version: None,
        tuf: None,
        expires: None,
        at_override,
        code: Some(err.code().into()),
        reason: Some(err.to_string()),
        recovered: false,
        kept: match err {
            TrustError::TufKept { kept, .. } => Some(kept.clone()),
            _ => None,
        },
    };
    // The refusal is the result; failing to record it must not hide it.
    let _ = store.append_history(lock, &entry);
}

/// Verifies a TUF repository and, if it is accepted, makes its trusted root the one in force.
fn accept_tuf(
    store: &Store,
    lock: &StoreLock,
    plan: Plan<'_>,
    now: Timestamp,
    crash: Option<CrashPoint>,
) -> Result<Outcome, TrustError> {
    let current = store.current()?;
    let mut stored = match (&current, plan.use_stored) {
        (Some(g), true) if g.info.tuf.is_some() => Some(stored_metadata(store, g)?),
        _ => None,
    };
    // What earlier refused updates verified past the generation in force bounds this one too
    // (TUF §5.3.8, §5.4.5, §5.5.7: each role is persisted as soon as it is verified).
    if let Some(s) = stored.as_mut() {
        if let Some(v) = store.verified_state()? {
            overlay_verified(s, &v);
        }
    }
    let pinned = stored
        .as_ref()
        .map_or(plan.pinned.as_slice(), |s| s.root.as_slice());
    let offered = plan.label.clone();
    let work = store.work_dir(lock, plan.action)?;
    let staged = match plan.source {
        Source::Medium(p) => medium::stage(p, work.path())?,
        Source::Factory => medium::stage_archive(
            factory::STATE_TAR_GZ,
            Path::new(factory::STATE_NAME),
            work.path(),
        )?,
    };
    let (verified, kept) =
        tuf::verify_keeping(pinned, stored.as_ref(), &staged, work.path(), plan.at);
    let verified = match verified {
        Ok(v) => v,
        Err(e) if !kept.is_empty() && e.is_refusal() => {
            // Kept only where the update went on from the generation in force (an `init` starts
            // from a root the operator pins: nothing of it bounds later updates until accepted).
            if plan.use_stored {
                let mut state = store.verified_state()?.unwrap_or_default();
                state.format = 1;
                let b64 = |b: &Vec<u8>| {
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b)
                };
                if let Some(r) = &kept.root {
                    state.root = Some(b64(r));
                }
                if let Some(t) = &kept.timestamp {
                    state.timestamp = Some(b64(t));
                }
                if let Some(sn) = &kept.snapshot {
                    state.snapshot = Some(b64(sn));
                }
                store.write_verified_state(lock, &state)?;
                return Err(TrustError::TufKept {
                    source: e,
                    kept: kept.describe(),
                });
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    TrustedRoot::from_json(&verified.trusted_root)
        .map_err(|source| TrustError::SignedTrustedRoot { source })?;
    drop(work);

    let digest = hex::encode(crypto::sha256(&verified.trusted_root));
    let previous = current.as_ref().map(|g| g.info.root.clone().restale(now));
    if let Some(g) = &current {
        let same_state = g
            .info
            .tuf
            .is_some_and(|t| t.same_versions(&verified.summary));
        if g.info.root.tuf_verified && g.info.root.digest == digest && same_state {
            return Ok(Outcome {
                action: plan.action.into(),
                offered: plan.label.clone(),
                changed: false,
                generation: g.id.clone(),
                info: g.info.root.clone().restale(now),
                tuf: g.info.tuf,
                previous,
                factory_install: None,
            });
        }
    }

    let (_, earliest) = verified.summary.earliest_expiry();
    let info = RootInfo {
        digest,
        tuf_verified: true,
        tuf_root_version: Some(verified.summary.root.version),
        source: plan.label,
        accepted_at: Some(now),
        expires: Some(earliest.expires),
        stale: false,
        at_override: plan.at_override,
    };
    let generation_info = GenerationInfo {
        format: 1,
        action: plan.action.into(),
        root: info.clone(),
        tuf: Some(verified.summary),
        evaluated_at: Some(plan.at),
        signing_config_digest: verified
            .signing_config
            .as_ref()
            .map(|b| hex::encode(crypto::sha256(b))),
    };
    let mut files: Vec<(&str, &[u8])> = vec![
        ("trusted_root.json", &verified.trusted_root),
        ("tuf/root.json", &verified.root),
        ("tuf/timestamp.json", &verified.timestamp),
        ("tuf/snapshot.json", &verified.snapshot),
        ("tuf/targets.json", &verified.targets),
    ];
    if let Some(sc) = &verified.signing_config {
        files.push((tuf::SIGNING_CONFIG_TARGET, sc));
    }
    let gen = store.commit(
        lock,
        current.as_ref().map(|g| g.id.as_str()),
        &files,
        &generation_info,
        crash,
    )?;
    if crash == Some(CrashPoint::AfterSwitch) {
        return Err(TrustStoreError::SimulatedCrash {
            point: CrashPoint::AfterSwitch,
        }
        .into());
    }
    store.append_history(lock, &HistoryEntry::accepted(&gen, now))?;
    // The generation now holds the newest verified state.
    store.clear_verified_state(lock)?;
    Ok(Outcome {
        action: plan.action.into(),
        offered,
        changed: true,
        generation: gen.id,
        info: info.restale(now),
        tuf: Some(verified.summary),
        previous,
        factory_install: None,
    })
}

/// `accept_tuf` for an operator's command: a refusal is also written to the history.
fn accept_recorded(
    store: &Store,
    lock: &StoreLock,
    plan: Plan<'_>,
    now: Timestamp,
    crash: Option<CrashPoint>,
) -> Result<Outcome, TrustError> {
    let (action, label, at_override) = (plan.action, plan.label.clone(), plan.at_override);
    let r = accept_tuf(store, lock, plan, now, crash);
    if let Err(e) = &r {
        record_refusal(store, lock, action, &label, at_override, now, e);
    }
    r
}

fn factory_plan(at: Option<Timestamp>, action: &'static str) -> Result<Plan<'static>, TrustError> {
    let captured = factory::captured_at().map_err(|why| TrustError::Factory { why })?;
    Ok(Plan {
        action,
        pinned: factory::ROOT_JSON.to_vec(),
        source: Source::Factory,
        label: factory::SOURCE.into(),
        at: at.unwrap_or(captured),
        at_override: at,
        use_stored: false,
    })
}

/// Installs the factory trust in an empty store. A concurrent install by another process is fine.
fn install_factory(
    store: &Store,
    lock: &StoreLock,
    now: Timestamp,
) -> Result<Option<Outcome>, TrustError> {
    let plan = factory_plan(None, "factory-install")?;
    match accept_tuf(store, lock, plan, now, None) {
        Ok(o) => Ok(Some(o)),
        Err(TrustError::Store(TrustStoreError::Concurrent { .. })) => Ok(None),
        // The factory state is judged at its capture time: any failure is a broken build.
        Err(e) if e.is_refusal() => Err(TrustError::Factory { why: e.to_string() }),
        Err(e) => Err(e),
    }
}

fn load(store: &Store, gen: &store::Generation, now: Timestamp) -> Result<ActiveRoot, TrustError> {
    let bytes = store
        .read(gen, "trusted_root.json", limits::MAX_TRUSTED_ROOT_BYTES)?
        .ok_or_else(|| TrustError::Integrity {
            what: format!("generation {} has no trusted_root.json", gen.id),
        })?;
    let digest = hex::encode(crypto::sha256(&bytes));
    if digest != gen.info.root.digest {
        return Err(TrustError::Integrity {
            what: format!(
                "trusted_root.json of generation {} has sha256 {digest}, recorded {}",
                gen.id, gen.info.root.digest
            ),
        });
    }
    let root = TrustedRoot::from_json(&bytes).map_err(|source| TrustError::TrustedRoot {
        what: "the installed trust root".into(),
        source,
    })?;
    Ok(ActiveRoot {
        root,
        bytes,
        info: gen.info.root.clone().restale(now),
        factory_installed: false,
    })
}

/// The generation in force, installing the factory trust first when there is none; with the
/// record of that factory install when this call made it. Takes the store lock only to install
/// (a reader of an initialized store never waits for a writer).
fn current_or_factory(
    store: &Store,
    instance: &str,
    now: Timestamp,
) -> Result<(store::Generation, Option<RootInfo>), TrustError> {
    if let Some(g) = store.current()? {
        return Ok((g, None));
    }
    if instance != PUBLIC_GOOD {
        return Err(TrustError::NoSuchInstance {
            instance: instance.to_string(),
        });
    }
    let lock = store.lock()?;
    current_or_factory_locked(store, &lock, now)
}

/// `current_or_factory` for a caller that already holds the store lock.
fn current_or_factory_locked(
    store: &Store,
    lock: &StoreLock,
    now: Timestamp,
) -> Result<(store::Generation, Option<RootInfo>), TrustError> {
    // Read again under the lock: another process may have installed it while this one waited.
    if let Some(g) = store.current()? {
        return Ok((g, None));
    }
    let factory_install = install_factory(store, lock, now)?.map(|o| o.info);
    let gen = store.current()?.ok_or_else(|| TrustError::Integrity {
        what: "no trust root in force after the factory install".into(),
    })?;
    Ok((gen, factory_install))
}

/// The trust root in force for `data_dir`, installing the factory one on first use.
pub fn active_root(data_dir: &Path, now: Timestamp) -> Result<ActiveRoot, TrustError> {
    active_root_in(data_dir, PUBLIC_GOOD, now)
}

/// The name of the trust instance every data dir has: Sigstore's public-good instance, with the
/// factory trust built in.
pub const PUBLIC_GOOD: &str = "public-good";

/// Of several trust roots, the index of the one whose Fulcio CA issued `leaf` (DER), else 0 (the
/// first, public good); `None` only when there are no roots. Bundles signed with a key have no
/// leaf: they go to the first root.
pub fn pick_root<'r>(
    leaf: Option<&[u8]>,
    roots: impl ExactSizeIterator<Item = &'r TrustedRoot>,
) -> Option<usize> {
    if roots.len() == 0 {
        return None;
    }
    let mut roots = roots;
    Some(
        leaf.and_then(|l| roots.position(|r| r.issued(l)))
            .unwrap_or(0),
    )
}

/// Refuses instance names that could escape the trust folder or confuse an operator.
pub fn check_instance_name(name: &str) -> Result<(), TrustError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(TrustError::BadInstanceName {
            name: crate::text::escape(name),
        })
    }
}

/// Every instance of the data dir: `public-good` first (always: its factory trust installs on
/// first use), then the others that hold a trust root, by name.
pub fn instances(data_dir: &Path) -> Vec<String> {
    let mut out = vec![PUBLIC_GOOD.to_string()];
    let dir = data_dir.join("trust").join("instances");
    let mut others: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .take(limits::MAX_TRUST_INSTANCES)
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| check_instance_name(n).is_ok() && n != PUBLIC_GOOD)
                .filter(|n| {
                    dir.join(n).join("trust").join("current").exists()
                        || dir.join(n).join("current").exists()
                })
                .collect()
        })
        .unwrap_or_default();
    others.sort();
    out.extend(others);
    out
}

/// The trust root in force for one instance (installing the factory one for public good).
pub fn active_root_in(
    data_dir: &Path,
    instance: &str,
    now: Timestamp,
) -> Result<ActiveRoot, TrustError> {
    check_instance_name(instance)?;
    let store = Store::open_instance(data_dir, instance);
    let (gen, installed) = current_or_factory(&store, instance, now)?;
    let mut active = load(&store, &gen, now)?;
    active.factory_installed = installed.is_some();
    Ok(active)
}

/// The record of an instance's trust root in force, without installing anything.
pub fn installed_in(
    data_dir: &Path,
    instance: &str,
    now: Timestamp,
) -> Result<Option<RootInfo>, TrustError> {
    check_instance_name(instance)?;
    Ok(Store::open_instance(data_dir, instance)
        .current()?
        .map(|g| g.info.root.restale(now)))
}

/// The record of the trust root in force, without installing anything.
pub fn installed(data_dir: &Path, now: Timestamp) -> Result<Option<RootInfo>, TrustError> {
    installed_in(data_dir, PUBLIC_GOOD, now)
}

/// `airlock trust init`: installs the factory trust, or verifies a repository from a pinned root.
pub fn init(data_dir: &Path, req: &InitRequest, now: Timestamp) -> Result<Outcome, TrustError> {
    init_in(data_dir, PUBLIC_GOOD, req, now)
}

/// `airlock trust init --instance NAME`: another instance needs its own pinned root and repository.
pub fn init_in(
    data_dir: &Path,
    instance: &str,
    req: &InitRequest,
    now: Timestamp,
) -> Result<Outcome, TrustError> {
    check_instance_name(instance)?;
    if instance != PUBLIC_GOOD && (req.root.is_none() || req.from.is_none()) {
        return Err(TrustError::NoFactory {
            instance: instance.to_string(),
        });
    }
    let store = Store::open_instance(data_dir, instance);
    let lock = store.lock()?;
    store.recover_history(&lock, now)?;
    if let Some(g) = store.current()? {
        if !req.force {
            return Err(TrustError::AlreadyInitialized {
                dir: store.dir().to_path_buf(),
                digest: g.info.root.digest,
                origin: g.info.root.source,
            });
        }
    }
    let pinned = match &req.root {
        Some(p) => read_file(p, limits::MAX_TUF_ROOT_BYTES)?,
        None => factory::ROOT_JSON.to_vec(),
    };
    let plan = match &req.from {
        Some(p) => Plan {
            action: "init",
            pinned,
            source: Source::Medium(p),
            label: medium_label(p),
            at: req.at.unwrap_or(now),
            at_override: req.at,
            use_stored: false,
        },
        None => Plan {
            pinned,
            ..factory_plan(req.at, "init")?
        },
    };
    accept_recorded(&store, &lock, plan, now, None)
}

/// `airlock trust update --from SOURCE [--at T]`: the full TUF client workflow over a USB copy,
/// from the root and metadata airlock accepted last. Expiry is judged at `at`, or at `now`.
/// Also the entry point of the "12 → 15 from a local folder" benchmark.
pub fn update_from(
    data_dir: &Path,
    source: &Path,
    now: Timestamp,
    at: Option<Timestamp>,
) -> Result<Outcome, TrustError> {
    update_inner(data_dir, PUBLIC_GOOD, source, now, at, None)
}

/// `airlock trust update --instance NAME --from SOURCE`.
pub fn update_from_in(
    data_dir: &Path,
    instance: &str,
    source: &Path,
    now: Timestamp,
    at: Option<Timestamp>,
) -> Result<Outcome, TrustError> {
    check_instance_name(instance)?;
    update_inner(data_dir, instance, source, now, at, None)
}

/// `update_from` that stops at `crash` as if the power failed there (for crash-atomicity tests).
#[doc(hidden)]
pub fn update_from_crashing(
    data_dir: &Path,
    source: &Path,
    now: Timestamp,
    at: Option<Timestamp>,
    crash: CrashPoint,
) -> Result<Outcome, TrustError> {
    update_inner(data_dir, PUBLIC_GOOD, source, now, at, Some(crash))
}

fn update_inner(
    data_dir: &Path,
    instance: &str,
    source: &Path,
    now: Timestamp,
    at: Option<Timestamp>,
    crash: Option<CrashPoint>,
) -> Result<Outcome, TrustError> {
    let store = Store::open_instance(data_dir, instance);
    if instance != PUBLIC_GOOD && store.current()?.is_none() {
        return Err(TrustError::NoSuchInstance {
            instance: instance.to_string(),
        });
    }
    let lock = store.lock()?;
    store.recover_history(&lock, now)?;
    let (_, factory_install) = current_or_factory_locked(&store, &lock, now)?;
    let plan = Plan {
        action: "update",
        // Used only when the generation in force has no TUF metadata (an imported root on a
        // fresh store): TUF starts again from the factory pin.
        pinned: factory::ROOT_JSON.to_vec(),
        source: Source::Medium(source),
        label: medium_label(source),
        at: at.unwrap_or(now),
        at_override: at,
        use_stored: true,
    };
    accept_recorded(&store, &lock, plan, now, crash).map(|mut o| {
        o.factory_install = factory_install;
        o
    })
}

/// `airlock trust import --trusted-root FILE`: installs a trusted root without TUF (private
/// Sigstore deployments). The TUF state, if any, is kept for later updates.
pub fn import(data_dir: &Path, file: &Path, now: Timestamp) -> Result<Outcome, TrustError> {
    import_in(data_dir, PUBLIC_GOOD, file, now)
}

/// `airlock trust import --instance NAME --trusted-root FILE` (a private instance without TUF).
pub fn import_in(
    data_dir: &Path,
    instance: &str,
    file: &Path,
    now: Timestamp,
) -> Result<Outcome, TrustError> {
    check_instance_name(instance)?;
    let store = Store::open_instance(data_dir, instance);
    let lock = store.lock()?;
    store.recover_history(&lock, now)?;
    let bytes = read_file(file, limits::MAX_TRUSTED_ROOT_BYTES)?;
    TrustedRoot::from_json(&bytes).map_err(|source| TrustError::TrustedRoot {
        what: file.display().to_string(),
        source,
    })?;
    let digest = hex::encode(crypto::sha256(&bytes));
    let current = store.current()?;
    let previous = current.as_ref().map(|g| g.info.root.clone().restale(now));
    if let Some(g) = &current {
        if !g.info.root.tuf_verified && g.info.root.digest == digest {
            return Ok(Outcome {
                action: "import".into(),
                offered: medium_label(file),
                changed: false,
                generation: g.id.clone(),
                info: g.info.root.clone().restale(now),
                tuf: None,
                previous,
                factory_install: None,
            });
        }
    }
    let kept = match &current {
        Some(g) if g.info.tuf.is_some() => Some((stored_metadata(&store, g)?, g.info.tuf)),
        _ => None,
    };
    let abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let info = RootInfo {
        digest,
        tuf_verified: false,
        tuf_root_version: None,
        source: format!("import:{}", abs.display()),
        accepted_at: Some(now),
        expires: None,
        stale: false,
        at_override: None,
    };
    let mut files: Vec<(&str, &[u8])> = vec![("trusted_root.json", &bytes)];
    if let Some((m, _)) = &kept {
        files.push(("tuf/root.json", &m.root));
        for (name, b) in [
            ("tuf/timestamp.json", &m.timestamp),
            ("tuf/snapshot.json", &m.snapshot),
            ("tuf/targets.json", &m.targets),
        ] {
            if let Some(b) = b {
                files.push((name, b));
            }
        }
    }
    let generation_info = GenerationInfo {
        format: 1,
        action: "import".into(),
        root: info.clone(),
        tuf: kept.as_ref().and_then(|(_, t)| *t),
        evaluated_at: None,
        signing_config_digest: None,
    };
    let gen = store.commit(
        &lock,
        current.as_ref().map(|g| g.id.as_str()),
        &files,
        &generation_info,
        None,
    )?;
    store.append_history(&lock, &HistoryEntry::accepted(&gen, now))?;
    Ok(Outcome {
        action: "import".into(),
        offered: medium_label(file),
        changed: true,
        generation: gen.id,
        info,
        tuf: None,
        previous,
        factory_install: None,
    })
}

/// A certificate authority (Fulcio) or timestamp authority, as status shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorityView {
    pub uri: String,
    pub organization: String,
    pub common_name: String,
    pub certificates: usize,
    pub valid_for: Window,
}

/// A transparency log (Rekor) or CT log, as status shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogView {
    pub base_url: String,
    pub log_id: String,
    pub key_details: String,
    pub valid_for: Window,
}

/// `airlock trust status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The trust instance (`public-good`, `github`, ...).
    pub instance: String,
    pub store: PathBuf,
    pub generation: String,
    pub action: String,
    pub root: RootInfo,
    /// The instant the TUF metadata's expiry was judged at when it was accepted.
    pub evaluated_at: Option<Timestamp>,
    /// The TUF metadata kept: of this root, or (after an import) of the last TUF-verified one.
    pub tuf: Option<TufSummary>,
    pub signing_config_digest: Option<String>,
    pub warnings: Vec<String>,
    pub certificate_authorities: Vec<AuthorityView>,
    pub tlogs: Vec<LogView>,
    pub ctlogs: Vec<LogView>,
    pub timestamp_authorities: Vec<AuthorityView>,
}

fn authorities(list: &[CertificateAuthority]) -> Vec<AuthorityView> {
    list.iter()
        .map(|a| AuthorityView {
            uri: a.uri.clone(),
            organization: a.organization.clone(),
            common_name: a.common_name.clone(),
            certificates: a.cert_chain.len(),
            valid_for: a.valid_for,
        })
        .collect()
}

fn logs(list: &[TransparencyLog]) -> Vec<LogView> {
    list.iter()
        .map(|l| LogView {
            base_url: l.base_url.clone(),
            log_id: hex::encode(&l.log_id),
            key_details: format!("{:?}", l.key_details),
            valid_for: l.valid_for,
        })
        .collect()
}

/// `airlock trust status`: the trust root in force (installing the factory one on first use).
pub fn status(data_dir: &Path, now: Timestamp) -> Result<Status, TrustError> {
    status_in(data_dir, PUBLIC_GOOD, now).map(|(s, _)| s)
}

/// `airlock trust status --instance NAME`.
/// With the factory install this call made (the data dir's first use), for the caller to record.
pub fn status_in(
    data_dir: &Path,
    instance: &str,
    now: Timestamp,
) -> Result<(Status, Option<RootInfo>), TrustError> {
    check_instance_name(instance)?;
    let store = Store::open_instance(data_dir, instance);
    let (gen, installed) = current_or_factory(&store, instance, now)?;
    let active = load(&store, &gen, now)?;
    let info = active.info.clone();
    let mut warnings = Vec::new();
    if info.stale {
        let expiry = info
            .expires
            .map(|e| e.to_string())
            .unwrap_or_else(|| "an unknown time".into());
        warnings.push(format!(
            "stale: the TUF metadata of this trust root expired at {expiry}; verification continues with this last accepted trust root. Bring a fresh copy of the TUF repository and run `airlock trust update --from <USB folder>`"
        ));
    }
    if !info.tuf_verified {
        warnings.push(
            "not TUF-verified: this trust root was imported by an operator (private Sigstore); airlock cannot check its freshness"
                .into(),
        );
    }
    if let Some(at) = info.at_override {
        warnings.push(format!(
            "accepted with --at {at}: an operator chose to judge the metadata's expiry at that instant instead of the clock"
        ));
    }
    Ok((
        Status {
            instance: instance.to_string(),
            store: store.dir().to_path_buf(),
            generation: gen.id,
            action: gen.info.action,
            root: info,
            evaluated_at: gen.info.evaluated_at,
            tuf: gen.info.tuf,
            signing_config_digest: gen.info.signing_config_digest,
            warnings,
            certificate_authorities: authorities(&active.root.certificate_authorities),
            tlogs: logs(&active.root.tlogs),
            ctlogs: logs(&active.root.ctlogs),
            timestamp_authorities: authorities(&active.root.timestamp_authorities),
        },
        installed,
    ))
}

/// `airlock trust history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// The generation in force, if any.
    pub current: Option<String>,
    /// Every accepted trust root and every refused attempt, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// Lines of the history file that could not be read (e.g. torn by a crash).
    pub unreadable_lines: usize,
}

/// `airlock trust history`: every trust root accepted, and every refused attempt.
pub fn history(data_dir: &Path, now: Timestamp) -> Result<History, TrustError> {
    history_in(data_dir, PUBLIC_GOOD, now)
}

/// `airlock trust history --instance NAME`.
pub fn history_in(data_dir: &Path, instance: &str, now: Timestamp) -> Result<History, TrustError> {
    check_instance_name(instance)?;
    let store = Store::open_instance(data_dir, instance);
    // Lock-free unless a crash lost the history line of the generation in force.
    if store.unrecorded_current()?.is_some() {
        let lock = store.lock()?;
        store.recover_history(&lock, now)?;
    }
    let (entries, unreadable_lines) = store.history()?;
    Ok(History {
        current: store.current_id()?,
        entries,
        unreadable_lines,
    })
}
