//! Test fixture: builds TUF repositories in the layout a Sigstore TUF mirror publishes, so tests
//! can put a "USB folder" in a temp dir and run `airlock trust …` against it.
//!
//! Owns: key generation, signing and writing of test TUF metadata (`N.root.json`, `timestamp.json`,
//! `<v>.snapshot.json`, `<v>.targets.json`, `<v>.<role>.json`, `targets/<sha256>.<name>`) with
//! tough's own schema types. Must not touch: airlock's code or data dir, the network, anything
//! outside the directory it is given.
//!
//! Metadata is written by hand (tough `schema` types, `Role::canonical_form`, aws-lc-rs keys) rather
//! than through `tough::editor::RepositoryEditor`, because the editor refuses to produce most of the
//! attacks the tests need (roots below threshold, version skips, reused old versions, oversized or
//! swapped files). The bytes are what tough's editor would write: pretty JSON plus a newline.
//!
//! Defaults: consistent snapshots; root v1 with one Ed25519 key per role (`root-1`, `timestamp-1`,
//! `snapshot-1`, `targets-1`); every expiry at [`FAR_FUTURE`]; targets `trusted_root.json` (the
//! public-good production trusted root) and `signing_config.v0.2.json`; timestamp and snapshot
//! `meta` entries carry length and sha256.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use jiff::Timestamp;
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::key::Key;
use tough::schema::{
    DelegatedRole, Delegations, Hashes, Metafile, PathPattern, PathSet, Role, RoleKeys, RoleType,
    Root, Signature, Signed, Snapshot, Target, Targets,
};
use tough::TargetName;

/// Errors from the fixture: anything (I/O, JSON, tough schema, crypto).
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;
/// Fixture result.
pub type Result<T> = std::result::Result<T, Error>;

/// The public-good production trusted root (the target the default repository serves).
pub const PRODUCTION_TRUSTED_ROOT: &[u8] =
    include_bytes!("../data/conformance/trusted-roots/public-good-production.json");
/// The public-good staging trusted root (a second, different, real trusted root).
pub const STAGING_TRUSTED_ROOT: &[u8] =
    include_bytes!("../data/conformance/trusted-roots/public-good-staging.json");
/// A signing config in the shape Sigstore's TUF repository serves (v0.2).
pub const SIGNING_CONFIG_V02: &[u8] = br#"{
  "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
  "caUrls": [
    {
      "url": "https://fulcio.sigstore.dev",
      "majorApiVersion": 1,
      "validFor": {
        "start": "2022-04-13T20:06:15.000Z"
      },
      "operator": "sigstore.dev"
    }
  ],
  "oidcUrls": [
    {
      "url": "https://oauth2.sigstore.dev/auth",
      "majorApiVersion": 1,
      "validFor": {
        "start": "2022-04-13T20:06:15.000Z"
      },
      "operator": "sigstore.dev"
    }
  ],
  "rekorTlogUrls": [
    {
      "url": "https://rekor.sigstore.dev",
      "majorApiVersion": 1,
      "validFor": {
        "start": "2021-01-12T11:53:27.000Z"
      },
      "operator": "sigstore.dev"
    }
  ],
  "tsaUrls": [
    {
      "url": "https://timestamp.sigstore.dev/api/v1/timestamp",
      "majorApiVersion": 1,
      "validFor": {
        "start": "2025-07-04T00:00:00Z"
      },
      "operator": "sigstore.dev"
    }
  ],
  "rekorTlogConfig": {
    "selector": "ANY"
  },
  "tsaConfig": {
    "selector": "ANY"
  }
}
"#;

/// Target name of the Sigstore trusted root.
pub const TRUSTED_ROOT_NAME: &str = "trusted_root.json";
/// Target name of the Sigstore signing config.
pub const SIGNING_CONFIG_NAME: &str = "signing_config.v0.2.json";
/// Default expiry of every role: far enough out that the real clock never reaches it.
pub const FAR_FUTURE: &str = "2099-01-01T00:00:00Z";

/// Parses an RFC 3339 instant (test constants only).
pub fn instant(s: &str) -> Result<Timestamp> {
    Ok(s.parse::<Timestamp>()?)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

fn nz(v: u64) -> Result<NonZeroU64> {
    NonZeroU64::new(v).ok_or_else(|| "version 0 is not a TUF version".into())
}

// ---------------------------------------------------------------------------------------------
// Keys

/// Which algorithm a generated key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Ed25519 (`keytype: ed25519`).
    Ed25519,
    /// ECDSA P-256 with SHA-256 (`keytype: ecdsa`, as Sigstore's current roots use).
    EcdsaP256,
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// A freshly generated signing key, with its TUF public key and key ID.
pub struct TestKey {
    pair: Pair,
    /// The public key as TUF metadata lists it.
    pub tuf: Key,
    /// The TUF key ID (sha256 of the canonical key JSON, as tough computes it).
    pub id: Decoded<Hex>,
    /// The PKCS#8 DER of the private key (so a test can write it out for tough's `LocalKeySource`).
    pub pkcs8_der: Vec<u8>,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestKey({})", self.id_hex())
    }
}

impl TestKey {
    /// Generates a key of `kind`.
    pub fn generate(kind: KeyKind) -> Result<Self> {
        let rng = SystemRandom::new();
        let (pair, tuf, pkcs8_der) = match kind {
            KeyKind::Ed25519 => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)?;
                let der = doc.as_ref().to_vec();
                let pair = Ed25519KeyPair::from_pkcs8(&der)?;
                let tuf = <Ed25519KeyPair as tough::sign::Sign>::tuf_key(&pair);
                (Pair::Ed25519(pair), tuf, der)
            }
            KeyKind::EcdsaP256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)?;
                let der = doc.as_ref().to_vec();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der)?;
                let tuf = <EcdsaKeyPair as tough::sign::Sign>::tuf_key(&pair);
                (Pair::Ecdsa(pair), tuf, der)
            }
        };
        let id = tuf.key_id()?;
        Ok(TestKey {
            pair,
            tuf,
            id,
            pkcs8_der,
        })
    }

    /// The key ID in hex.
    pub fn id_hex(&self) -> String {
        hex::encode(self.id.as_ref())
    }

    /// Signs `msg` (the canonical JSON of a role).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.pair {
            Pair::Ed25519(p) => Ok(p.sign(msg).as_ref().to_vec()),
            Pair::Ecdsa(p) => Ok(p.sign(&SystemRandom::new(), msg)?.as_ref().to_vec()),
        }
    }
}

/// A role's key set: key names (created on first use) and the signature threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    /// Names of the keys (fixture-local names, not key IDs).
    pub names: Vec<String>,
    /// Signatures required.
    pub threshold: u64,
}

/// `threshold`-of-`names` key set.
pub fn keyset(names: &[&str], threshold: u64) -> KeySet {
    KeySet {
        names: names.iter().map(|s| (*s).to_string()).collect(),
        threshold,
    }
}

// ---------------------------------------------------------------------------------------------
// Root changes

/// What the next root version changes. `None` keeps the previous root's value.
#[derive(Debug, Clone, Default)]
pub struct RootChange {
    /// New root role keys and threshold.
    pub root: Option<KeySet>,
    /// New timestamp role keys and threshold.
    pub timestamp: Option<KeySet>,
    /// New snapshot role keys and threshold.
    pub snapshot: Option<KeySet>,
    /// New targets role keys and threshold.
    pub targets: Option<KeySet>,
    /// Keys that sign the new root. `None`: every key of the previous root role and every key of
    /// the new root role (the cross-signing a real rotation does).
    pub signers: Option<Vec<String>>,
    /// Version written inside the root. `None`: previous version + 1.
    pub version: Option<u64>,
    /// Version in the file name `N.root.json`. `None`: same as the signed version.
    pub file_version: Option<u64>,
    /// Expiry. `None`: the repository's `root_expires`.
    pub expires: Option<Timestamp>,
}

// ---------------------------------------------------------------------------------------------
// Publishing

/// How `publish_with` picks a role's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// Sign new metadata with the highest version made so far + 1.
    #[default]
    Next,
    /// Sign new metadata with exactly this version (overwrites an earlier file of that version).
    Exactly(u64),
    /// Do not sign anything new: reference (or for the timestamp, put back) the metadata already
    /// made with this version, byte for byte.
    Reuse(u64),
}

/// Version choices for one publication. Default: everything new, version + 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Publish {
    /// `timestamp.json`.
    pub timestamp: Version,
    /// `<v>.snapshot.json`. With `Reuse`, targets and the delegated role are not rebuilt.
    pub snapshot: Version,
    /// `<v>.targets.json`.
    pub targets: Version,
    /// `<v>.<role>.json` of the delegated role (ignored without a delegation).
    pub delegated: Version,
}

/// The versions one publication produced or referenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Timestamp version now in `timestamp.json`.
    pub timestamp: u64,
    /// Snapshot version the timestamp names.
    pub snapshot: u64,
    /// Targets version the snapshot names (0 when the snapshot was reused and it is unknown here).
    pub targets: u64,
}

/// A delegated targets role hanging off the top-level targets.
#[derive(Debug, Clone)]
pub struct Delegation {
    /// Role name (file `<v>.<name>.json`).
    pub name: String,
    /// Keys and threshold, listed in the top-level targets' `delegations`.
    pub keys: KeySet,
    /// Path patterns the role is trusted for.
    pub paths: Vec<String>,
    /// Whether the delegation is terminating.
    pub terminating: bool,
    /// The role's own targets (name -> content), written as `targets/<sha256>.<name>`.
    pub targets: BTreeMap<String, Vec<u8>>,
    /// Keys that sign the role's metadata. `None`: `keys.names`.
    pub signers: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Made {
    bytes: Vec<u8>,
}

/// A TUF repository being published into one directory, version after version.
#[derive(Debug)]
pub struct TufRepo {
    dir: PathBuf,
    keys: BTreeMap<String, TestKey>,
    roots: Vec<Signed<Root>>,
    /// Top-level targets: name -> content.
    pub targets: BTreeMap<String, Vec<u8>>,
    /// Optional delegated targets role.
    pub delegation: Option<Delegation>,
    /// Expiry of new roots (unless a `RootChange` says otherwise).
    pub root_expires: Timestamp,
    /// Expiry of the next timestamp.
    pub timestamp_expires: Timestamp,
    /// Expiry of the next snapshot.
    pub snapshot_expires: Timestamp,
    /// Expiry of the next top-level targets.
    pub targets_expires: Timestamp,
    /// Expiry of the next delegated targets.
    pub delegated_expires: Timestamp,
    /// List `length` in timestamp/snapshot `meta` entries.
    pub meta_lengths: bool,
    /// List `hashes` in timestamp/snapshot `meta` entries.
    pub meta_hashes: bool,
    /// Signers of the next timestamp/snapshot/targets. `None`: the keys the current root lists.
    pub timestamp_signers: Option<Vec<String>>,
    /// See `timestamp_signers`.
    pub snapshot_signers: Option<Vec<String>>,
    /// See `timestamp_signers`.
    pub targets_signers: Option<Vec<String>>,
    timestamps: BTreeMap<u64, Made>,
    snapshots: BTreeMap<u64, Made>,
    targets_made: BTreeMap<u64, Made>,
    delegated_made: BTreeMap<u64, Made>,
    /// Target name -> sha256 hex of the content the newest targets metadata lists.
    listed: BTreeMap<String, String>,
}

impl TufRepo {
    /// A repository in `dir` (created) with root v1: one Ed25519 key per role, 1-of-1. Only
    /// `1.root.json` is written; call [`TufRepo::publish`] for the rest.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self> {
        Self::create_with(dir, RootChange::default())
    }

    /// Like [`TufRepo::create`], with root v1 shaped by `first` (unset roles get `<role>-1`, 1-of-1).
    pub fn create_with(dir: impl Into<PathBuf>, first: RootChange) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("targets"))?;
        let far = instant(FAR_FUTURE)?;
        let mut targets = BTreeMap::new();
        targets.insert(
            TRUSTED_ROOT_NAME.to_string(),
            PRODUCTION_TRUSTED_ROOT.to_vec(),
        );
        targets.insert(SIGNING_CONFIG_NAME.to_string(), SIGNING_CONFIG_V02.to_vec());
        let mut repo = TufRepo {
            dir,
            keys: BTreeMap::new(),
            roots: Vec::new(),
            targets,
            delegation: None,
            root_expires: far,
            timestamp_expires: far,
            snapshot_expires: far,
            targets_expires: far,
            delegated_expires: far,
            meta_lengths: true,
            meta_hashes: true,
            timestamp_signers: None,
            snapshot_signers: None,
            targets_signers: None,
            timestamps: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            targets_made: BTreeMap::new(),
            delegated_made: BTreeMap::new(),
            listed: BTreeMap::new(),
        };
        let first = RootChange {
            root: Some(first.root.unwrap_or_else(|| keyset(&["root-1"], 1))),
            timestamp: Some(
                first
                    .timestamp
                    .unwrap_or_else(|| keyset(&["timestamp-1"], 1)),
            ),
            snapshot: Some(first.snapshot.unwrap_or_else(|| keyset(&["snapshot-1"], 1))),
            targets: Some(first.targets.unwrap_or_else(|| keyset(&["targets-1"], 1))),
            version: Some(first.version.unwrap_or(1)),
            ..first
        };
        repo.rotate_root(first)?;
        Ok(repo)
    }

    /// The metadata directory (what `--from` points at when the repository is the whole folder).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `targets/` inside the metadata directory.
    pub fn targets_dir(&self) -> PathBuf {
        self.dir.join("targets")
    }

    /// Path of `N.root.json`.
    pub fn root_path(&self, version: u64) -> PathBuf {
        self.dir.join(format!("{version}.root.json"))
    }

    /// The newest root made (signed part and signatures).
    pub fn current_root(&self) -> Result<&Signed<Root>> {
        self.roots.last().ok_or_else(|| "no root made yet".into())
    }

    /// Adds a key under `name` (replacing any key of that name).
    pub fn add_key(&mut self, name: &str, kind: KeyKind) -> Result<&TestKey> {
        let key = TestKey::generate(kind)?;
        self.keys.insert(name.to_string(), key);
        self.key(name)
    }

    /// The key called `name`.
    pub fn key(&self, name: &str) -> Result<&TestKey> {
        self.keys
            .get(name)
            .ok_or_else(|| format!("no key called {name}").into())
    }

    fn ensure_keys(&mut self, names: &[String]) -> Result<()> {
        for n in names {
            if !self.keys.contains_key(n) {
                let kind = if n.starts_with("ecdsa") {
                    KeyKind::EcdsaP256
                } else {
                    KeyKind::Ed25519
                };
                self.keys.insert(n.clone(), TestKey::generate(kind)?);
            }
        }
        Ok(())
    }

    fn role_keys(&self, set: &KeySet) -> Result<RoleKeys> {
        let keyids = set
            .names
            .iter()
            .map(|n| Ok(self.key(n)?.id.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(RoleKeys {
            keyids,
            threshold: nz(set.threshold)?,
            _extra: HashMap::new(),
        })
    }

    fn names_for(&self, root: &Root, role: RoleType) -> Result<Vec<String>> {
        let ids = root
            .roles
            .get(&role)
            .ok_or_else(|| format!("root lists no {role} role"))?
            .keyids
            .clone();
        Ok(self
            .keys
            .iter()
            .filter(|(_, k)| ids.contains(&k.id))
            .map(|(n, _)| n.clone())
            .collect())
    }

    /// Signs `role` with the keys called `signers` and returns the file bytes (pretty JSON plus a
    /// newline, as tough's editor writes them).
    pub fn sign_bytes<T: Role + serde::Serialize>(
        &self,
        role: T,
        signers: &[String],
    ) -> Result<Vec<u8>> {
        let data = role.canonical_form()?;
        let mut signatures = Vec::new();
        for name in signers {
            let key = self.key(name)?;
            signatures.push(Signature {
                keyid: key.id.clone(),
                sig: key.sign(&data)?.into(),
            });
        }
        let signed = Signed {
            signed: role,
            signatures,
        };
        let mut bytes = serde_json::to_vec_pretty(&signed)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Makes and writes the next root (`N.root.json`), signed as `change` says. Returns its path.
    pub fn rotate_root(&mut self, change: RootChange) -> Result<PathBuf> {
        let prev = self.roots.last().cloned();
        let pick = |new: &Option<KeySet>, role: RoleType| -> Result<Option<KeySet>> {
            Ok(match (new, &prev) {
                (Some(s), _) => Some(s.clone()),
                (None, Some(_)) => None,
                (None, None) => return Err(format!("first root needs {role} keys").into()),
            })
        };
        let sets = [
            (RoleType::Root, pick(&change.root, RoleType::Root)?),
            (
                RoleType::Timestamp,
                pick(&change.timestamp, RoleType::Timestamp)?,
            ),
            (
                RoleType::Snapshot,
                pick(&change.snapshot, RoleType::Snapshot)?,
            ),
            (RoleType::Targets, pick(&change.targets, RoleType::Targets)?),
        ];
        for (_, s) in &sets {
            if let Some(s) = s {
                self.ensure_keys(&s.names)?;
            }
        }
        if let Some(signers) = &change.signers {
            self.ensure_keys(signers)?;
        }
        let mut roles = HashMap::new();
        let mut keys = HashMap::new();
        for (role, set) in &sets {
            let rk = match (set, &prev) {
                (Some(s), _) => self.role_keys(s)?,
                (None, Some(p)) => p
                    .signed
                    .roles
                    .get(role)
                    .cloned()
                    .ok_or_else(|| format!("previous root lists no {role} role"))?,
                (None, None) => return Err("unreachable: first root without keys".into()),
            };
            for id in &rk.keyids {
                let key = self
                    .keys
                    .values()
                    .find(|k| &k.id == id)
                    .ok_or("root lists a key the fixture does not hold")?;
                keys.insert(id.clone(), key.tuf.clone());
            }
            roles.insert(*role, rk);
        }
        let version = change
            .version
            .unwrap_or_else(|| prev.as_ref().map_or(1, |p| p.signed.version.get() + 1));
        let root = Root {
            spec_version: "1.0.31".to_string(),
            consistent_snapshot: true,
            version: nz(version)?,
            expires: change.expires.unwrap_or(self.root_expires),
            keys,
            roles,
            _extra: HashMap::new(),
        };
        let signers = match change.signers {
            Some(s) => s,
            None => {
                let mut s = match &prev {
                    Some(p) => self.names_for(&p.signed, RoleType::Root)?,
                    None => Vec::new(),
                };
                for n in self.names_for(&root, RoleType::Root)? {
                    if !s.contains(&n) {
                        s.push(n);
                    }
                }
                s
            }
        };
        let bytes = self.sign_bytes(root.clone(), &signers)?;
        let signed: Signed<Root> = serde_json::from_slice(&bytes)?;
        let path = self.root_path(change.file_version.unwrap_or(version));
        std::fs::write(&path, &bytes)?;
        self.roots.push(signed);
        Ok(path)
    }

    /// Publishes new timestamp, snapshot and targets (and delegated role), each at version + 1.
    pub fn publish(&mut self) -> Result<Published> {
        self.publish_with(Publish::default())
    }

    fn next(made: &BTreeMap<u64, Made>, choice: Version) -> u64 {
        match choice {
            Version::Next => made.keys().next_back().copied().unwrap_or(0) + 1,
            Version::Exactly(v) | Version::Reuse(v) => v,
        }
    }

    fn signers_for(&self, explicit: &Option<Vec<String>>, role: RoleType) -> Result<Vec<String>> {
        match explicit {
            Some(s) => Ok(s.clone()),
            None => self.names_for(&self.current_root()?.signed, role),
        }
    }

    fn metafile(&self, version: u64, bytes: &[u8]) -> Result<Metafile> {
        Ok(Metafile {
            length: self.meta_lengths.then_some(bytes.len() as u64),
            hashes: self.meta_hashes.then(|| Hashes {
                sha256: sha256(bytes).into(),
                _extra: HashMap::new(),
            }),
            version: nz(version)?,
            _extra: HashMap::new(),
        })
    }

    fn target_entries(
        &self,
        content: &BTreeMap<String, Vec<u8>>,
    ) -> Result<HashMap<TargetName, Target>> {
        let mut out = HashMap::new();
        for (name, bytes) in content {
            out.insert(
                TargetName::new(name.as_str())?,
                Target {
                    length: bytes.len() as u64,
                    hashes: Hashes {
                        sha256: sha256(bytes).into(),
                        _extra: HashMap::new(),
                    },
                    custom: HashMap::new(),
                    _extra: HashMap::new(),
                },
            );
        }
        Ok(out)
    }

    fn write_target_files(&mut self, content: &BTreeMap<String, Vec<u8>>) -> Result<()> {
        for (name, bytes) in content {
            let h = sha256_hex(bytes);
            std::fs::write(self.targets_dir().join(format!("{h}.{name}")), bytes)?;
            self.listed.insert(name.clone(), h);
        }
        Ok(())
    }

    fn make_delegated(&mut self, choice: Version) -> Result<Option<(String, u64, Vec<u8>)>> {
        let Some(d) = self.delegation.clone() else {
            return Ok(None);
        };
        let v = Self::next(&self.delegated_made, choice);
        if let Version::Reuse(_) = choice {
            let made = self
                .delegated_made
                .get(&v)
                .ok_or_else(|| format!("no delegated version {v} to reuse"))?;
            return Ok(Some((d.name, v, made.bytes.clone())));
        }
        self.ensure_keys(&d.keys.names)?;
        let mut t = Targets::new("1.0.31".to_string(), nz(v)?, self.delegated_expires);
        t.delegations = None;
        t.targets = self.target_entries(&d.targets)?;
        let signers = d.signers.clone().unwrap_or_else(|| d.keys.names.clone());
        self.ensure_keys(&signers)?;
        let bytes = self.sign_bytes(t, &signers)?;
        std::fs::write(self.dir.join(format!("{v}.{}.json", d.name)), &bytes)?;
        self.write_target_files(&d.targets)?;
        self.delegated_made.insert(
            v,
            Made {
                bytes: bytes.clone(),
            },
        );
        Ok(Some((d.name, v, bytes)))
    }

    fn make_targets(&mut self, choice: Version) -> Result<(u64, Vec<u8>)> {
        let v = Self::next(&self.targets_made, choice);
        if let Version::Reuse(_) = choice {
            let made = self
                .targets_made
                .get(&v)
                .ok_or_else(|| format!("no targets version {v} to reuse"))?;
            return Ok((v, made.bytes.clone()));
        }
        let mut t = Targets::new("1.0.31".to_string(), nz(v)?, self.targets_expires);
        t.targets = self.target_entries(&self.targets)?;
        t.delegations = match self.delegation.clone() {
            None => None,
            Some(d) => {
                self.ensure_keys(&d.keys.names)?;
                let mut keys = HashMap::new();
                let mut keyids = Vec::new();
                for n in &d.keys.names {
                    let k = self.key(n)?;
                    keys.insert(k.id.clone(), k.tuf.clone());
                    keyids.push(k.id.clone());
                }
                let paths = d
                    .paths
                    .iter()
                    .map(|p| PathPattern::new(p.as_str()))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Some(Delegations {
                    keys,
                    roles: vec![DelegatedRole {
                        name: d.name.clone(),
                        keyids,
                        threshold: nz(d.keys.threshold)?,
                        paths: PathSet::Paths(paths),
                        terminating: d.terminating,
                        targets: None,
                    }],
                })
            }
        };
        let signers = self.signers_for(&self.targets_signers, RoleType::Targets)?;
        let bytes = self.sign_bytes(t, &signers)?;
        std::fs::write(self.dir.join(format!("{v}.targets.json")), &bytes)?;
        let content = self.targets.clone();
        self.write_target_files(&content)?;
        self.targets_made.insert(
            v,
            Made {
                bytes: bytes.clone(),
            },
        );
        Ok((v, bytes))
    }

    /// Publishes with explicit version choices (see [`Version`]).
    pub fn publish_with(&mut self, p: Publish) -> Result<Published> {
        // Snapshot (and below it targets and the delegated role).
        let snap_v = Self::next(&self.snapshots, p.snapshot);
        let mut targets_v = 0;
        let snap_bytes = if let Version::Reuse(_) = p.snapshot {
            self.snapshots
                .get(&snap_v)
                .ok_or_else(|| format!("no snapshot version {snap_v} to reuse"))?
                .bytes
                .clone()
        } else {
            let delegated = self.make_delegated(p.delegated)?;
            let (tv, tbytes) = self.make_targets(p.targets)?;
            targets_v = tv;
            let mut s = Snapshot::new("1.0.31".to_string(), nz(snap_v)?, self.snapshot_expires);
            s.meta
                .insert("targets.json".to_string(), self.metafile(tv, &tbytes)?);
            if let Some((name, dv, dbytes)) = delegated {
                s.meta
                    .insert(format!("{name}.json"), self.metafile(dv, &dbytes)?);
            }
            let signers = self.signers_for(&self.snapshot_signers, RoleType::Snapshot)?;
            let bytes = self.sign_bytes(s, &signers)?;
            std::fs::write(self.dir.join(format!("{snap_v}.snapshot.json")), &bytes)?;
            self.snapshots.insert(
                snap_v,
                Made {
                    bytes: bytes.clone(),
                },
            );
            bytes
        };
        // Timestamp.
        let ts_v = Self::next(&self.timestamps, p.timestamp);
        let ts_bytes = if let Version::Reuse(_) = p.timestamp {
            self.timestamps
                .get(&ts_v)
                .ok_or_else(|| format!("no timestamp version {ts_v} to reuse"))?
                .bytes
                .clone()
        } else {
            let mut t = tough::schema::Timestamp::new(
                "1.0.31".to_string(),
                nz(ts_v)?,
                self.timestamp_expires,
            );
            t.meta.insert(
                "snapshot.json".to_string(),
                self.metafile(snap_v, &snap_bytes)?,
            );
            let signers = self.signers_for(&self.timestamp_signers, RoleType::Timestamp)?;
            let bytes = self.sign_bytes(t, &signers)?;
            self.timestamps.insert(
                ts_v,
                Made {
                    bytes: bytes.clone(),
                },
            );
            bytes
        };
        std::fs::write(self.dir.join("timestamp.json"), ts_bytes)?;
        Ok(Published {
            timestamp: ts_v,
            snapshot: snap_v,
            targets: targets_v,
        })
    }

    /// Overwrites the stored file of target `name` (the one the newest targets metadata lists)
    /// with `bytes`, leaving the metadata alone: a hash-mismatch attack.
    pub fn replace_target_file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let h = self
            .listed
            .get(name)
            .ok_or_else(|| format!("target {name} was never listed"))?;
        let path = self.targets_dir().join(format!("{h}.{name}"));
        std::fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Grows the file `rel` (relative to the metadata dir) to `total_len` bytes by appending
    /// JSON whitespace: still valid, still validly signed, only too big (endless data).
    pub fn pad_file(&self, rel: &str, total_len: usize) -> Result<PathBuf> {
        let path = self.dir.join(rel);
        let mut bytes = std::fs::read(&path)?;
        if bytes.len() < total_len {
            bytes.resize(total_len, b' ');
        }
        std::fs::write(&path, &bytes)?;
        Ok(path)
    }

    /// Writes `bytes` at `rel` inside the metadata dir (creating parent folders).
    pub fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Copies the whole metadata dir (with `targets/`) to `dest`: a frozen copy of this state,
    /// e.g. to replay it later as a rollback.
    pub fn copy_to(&self, dest: &Path) -> Result<()> {
        copy_dir(&self.dir, dest)
    }
}

/// Recursively copies `src` into `dest` (created).
pub fn copy_dir(src: &Path, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dest.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Writes unrelated files an operator's USB stick typically holds into `usb` (created): a
/// README, OS droppings, a photo folder, another tool's JSON and an archive. None of them is TUF
/// metadata of this repository.
pub fn write_unrelated_usb_files(usb: &Path) -> Result<()> {
    let files: [(&str, &[u8]); 7] = [
        (
            "README.txt",
            b"Trust root refresh for the plant network. Ask Dana.\n",
        ),
        (".DS_Store", &[0u8, 0, 0, 1, 66, 117, 100, 49, 0, 0, 16, 0]),
        (
            "System Volume Information/IndexerVolumeGuid",
            b"{6B2F1A3C-0000-0000-0000-000000000000}",
        ),
        (
            "photos/IMG_0001.JPG",
            &[0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F'],
        ),
        ("notes/config.json", br#"{"version": 99, "signed": false}"#),
        ("backup.tar.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
        ("empty-folder/.keep", b""),
    ];
    for (rel, bytes) in files {
        let path = usb.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

/// Packs the folder `dir` into a `.tar.gz` at `out`, with every entry under `prefix/` (a
/// repository copied as one archive onto the USB stick).
pub fn write_tar_gz(dir: &Path, prefix: &str, out: &Path) -> Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = std::fs::File::create(out)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(prefix, dir)?;
    tar.into_inner()?.finish()?;
    Ok(())
}

/// What tough itself makes of a repository: the verified role versions and the
/// `trusted_root.json` bytes. Used to check the fixture, independently of airlock.
#[derive(Debug)]
pub struct ToughLoad {
    /// Root version reached.
    pub root: u64,
    /// Timestamp version.
    pub timestamp: u64,
    /// Snapshot version.
    pub snapshot: u64,
    /// Targets version.
    pub targets: u64,
    /// The `trusted_root.json` target.
    pub trusted_root: Vec<u8>,
}

/// Loads `dir` with tough's `RepositoryLoader` (filesystem transport, expiry at the real clock,
/// optional persistent datastore) starting from `root_json`, and reads `trusted_root.json`.
pub fn tough_load(dir: &Path, root_json: &[u8], datastore: Option<&Path>) -> Result<ToughLoad> {
    let dir = std::fs::canonicalize(dir)?;
    let md = url::Url::from_directory_path(&dir).map_err(|()| "metadata dir is not a URL")?;
    let tg = url::Url::from_directory_path(dir.join("targets"))
        .map_err(|()| "targets dir is not a URL")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut loader =
            tough::RepositoryLoader::new(&root_json, md, tg).transport(tough::FilesystemTransport);
        if let Some(ds) = datastore {
            loader = loader.datastore(ds);
        }
        let repo = loader.load().await?;
        let name = TargetName::new(TRUSTED_ROOT_NAME)?;
        let stream = repo
            .read_target(&name)
            .await?
            .ok_or("trusted_root.json is not a target")?;
        let trusted_root = tough::IntoVec::into_vec(stream).await?;
        Ok(ToughLoad {
            root: repo.root().signed.version.get(),
            timestamp: repo.timestamp().signed.version.get(),
            snapshot: repo.snapshot().signed.version.get(),
            targets: repo.targets().signed.version.get(),
            trusted_root,
        })
    })
}
