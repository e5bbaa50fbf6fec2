//! The application layer: the one place that performs an operation and records it.
//!
//! Every operation is a typed request answered by a typed response ([`Request`], [`Response`]):
//! import, reverify, every trust operation, query, show, export, audit, db migrate, verify-bundle
//! (with `--record`) and push. The CLI builds a request from its flags and renders the response;
//! the daemon's socket carries the same requests and responses; the API, the console and the
//! daemon's inbox worker call [`App`] directly. Root selection, the factory install and its
//! trust event (recorded whichever caller installs it), policy loading with its key-file rules
//! and every ledger write live here.
//!
//! Owns: requests, responses, [`Failure`] (the one failure shape), [`Outcome`] (the one
//! outcome → exit mapping), which ledger an operation uses. Must not touch: the terminal, clap,
//! HTTP, rendering; verification, policy semantics and sled themselves (the pipeline modules and
//! `store` do those and return reports).

pub mod import;
pub mod ledger;
pub mod policy_file;
pub mod push;
pub mod request;
pub mod roots;
pub mod trust;
pub mod verify_bundle;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use request::{Request, Response};

use crate::store::{Ledger, StoreError};

/// How an operation ended, and so the process's exit code: 0 accepted (verified, intact, done),
/// 1 rejected (refused, broken, a verdict that would change), 2 unusable usage or input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Accepted,
    Rejected,
    Unusable,
}

impl Outcome {
    /// The exit code of this outcome, everywhere.
    pub fn exit(self) -> u8 {
        match self {
            Outcome::Accepted => 0,
            Outcome::Rejected => 1,
            Outcome::Unusable => 2,
        }
    }

    /// The outcome of an exit code (a daemon's answer carries the code).
    pub fn of_exit(code: u8) -> Outcome {
        match code {
            0 => Outcome::Accepted,
            1 => Outcome::Rejected,
            _ => Outcome::Unusable,
        }
    }

    /// The worse of two outcomes (unusable over rejected over accepted).
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.exit() > self.exit() {
            other
        } else {
            self
        }
    }
}

/// The one failure shape of every operation (`--json` prints it as is; the API answers it):
/// a reason code from [`crate::reason`], a message for people, the exit code, and for a trust
/// refusal the trust root still in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub reason: String,
    pub message: String,
    pub exit: u8,
    /// A trust operation refused: the trust root in force, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_force: Option<Box<crate::trust::RootInfo>>,
}

impl Failure {
    /// Unusable usage or input (exit 2).
    pub fn unusable(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            reason: reason.to_string(),
            message: message.into(),
            exit: Outcome::Unusable.exit(),
            in_force: None,
        }
    }

    /// Refused: the input was read and is not good (exit 1).
    pub fn refused(reason: &str, message: impl Into<String>) -> Failure {
        Failure {
            exit: Outcome::Rejected.exit(),
            ..Failure::unusable(reason, message)
        }
    }

    pub fn outcome(&self) -> Outcome {
        Outcome::of_exit(self.exit)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::unusable(e.code(), e.to_string())
    }
}

/// The application over one data dir: in a one-shot command, or inside the daemon, which holds
/// the ledger open for as long as it runs (sled admits one process).
#[derive(Clone)]
pub struct App {
    data_dir: PathBuf,
    /// The daemon's open ledger; `None` in a one-shot command (each operation opens it).
    held: Option<Ledger>,
}

impl App {
    /// For a one-shot command: each operation opens the ledger it needs.
    pub fn new(data_dir: &Path) -> App {
        App {
            data_dir: data_dir.to_path_buf(),
            held: None,
        }
    }

    /// For the daemon: every operation uses `ledger`.
    pub fn holding(data_dir: &Path, ledger: Ledger) -> App {
        App {
            data_dir: data_dir.to_path_buf(),
            held: Some(ledger),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The ledger an operation uses: the held one (a key file named by the request must be its
    /// key), or the data dir's, opened now with `key_file`.
    pub fn ledger(&self, key_file: Option<&Path>) -> Result<Ledger, Failure> {
        match &self.held {
            Some(l) => {
                if let Some(k) = key_file {
                    l.check_key_file(k)?;
                }
                Ok(l.clone())
            }
            None => Ok(Ledger::open(&self.data_dir, key_file)?),
        }
    }

    /// Whether this app holds the ledger (inside the daemon).
    pub fn holds_ledger(&self) -> bool {
        self.held.is_some()
    }

    /// Runs one request. `hooks` carries what cannot travel in a request (a progress bar).
    pub fn execute(
        &self,
        req: &Request,
        hooks: &Hooks<'_>,
        now: crate::time::Timestamp,
    ) -> Result<Response, Failure> {
        match req {
            Request::Import(r) => self
                .import(r, hooks, now)
                .map(|i| Response::Import(Box::new(i))),
            Request::Reverify(r) => self.reverify(r, now).map(Response::Reverify),
            Request::Trust(r) => self.trust(r, now).map(Response::Trust),
            Request::Query(r) => self.query(r).map(Response::Query),
            Request::Show(r) => self.show(r).map(|s| Response::Show(Box::new(s))),
            Request::Export(r) => self.export(r, now).map(Response::Export),
            Request::Audit(r) => self.audit(r, now).map(Response::Audit),
            Request::AuditExport(r) => self.audit_export(r).map(Response::AuditExport),
            Request::Migrate => self.migrate().map(Response::Migrate),
            Request::VerifyBundle(r) => self.verify_bundle(r, now).map(Response::VerifyBundle),
            Request::Push(r) => self.push(r, now).map(Response::Push),
        }
    }
}

/// What a local caller hands an operation besides its request: callbacks for a terminal.
#[derive(Default)]
pub struct Hooks<'a> {
    /// Called with (input, bytes read, total) while a large input is read.
    pub progress: Option<crate::import::Progress<'a>>,
    /// Called with (files decided, total) while a large folder is decided.
    pub checked: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// The `airlock` version every record names.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
