//! Trust operations: status, history, init, update, import, each recorded in the ledger as a
//! trust event (the factory install too, whichever operation made it).
//!
//! Owns: [`TrustRequest`] / [`TrustResponse`], recording trust events. Must not touch: TUF, the
//! trust store's files (that is `trust`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::roots::{factory_install_record, trust_event_record};
use super::{App, Failure};
use crate::time::Timestamp;
use crate::trust::{self, InitRequest, Outcome, TrustError};

/// One `airlock trust …` operation on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustRequest {
    /// The instance (`public-good` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub op: TrustOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_key_file: Option<PathBuf>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "op")]
pub enum TrustOp {
    /// The trust root in force (every instance when none is named).
    Status,
    History,
    Init {
        #[serde(default)]
        root: Option<PathBuf>,
        #[serde(default)]
        from: Option<PathBuf>,
        #[serde(default)]
        at: Option<Timestamp>,
        #[serde(default)]
        force: bool,
    },
    Update {
        from: PathBuf,
        #[serde(default)]
        at: Option<Timestamp>,
    },
    Import {
        trusted_root: PathBuf,
    },
}

/// The answer of a trust operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TrustResponse {
    /// One status per instance asked (every instance when none was named).
    Status {
        statuses: Vec<trust::Status>,
        instances: Vec<String>,
    },
    History {
        history: trust::History,
    },
    /// An init, update or import accepted.
    Changed {
        outcome: Box<Outcome>,
        /// Recording the trust event failed (the trust history has it): said, not fatal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unrecorded: Option<String>,
    },
}

/// `trust status --json` (and the API's `/v1/trust-root`): one instance's status, and the names
/// of every instance.
#[derive(Debug, Clone, Serialize)]
pub struct StatusWithInstances<'a> {
    #[serde(flatten)]
    pub status: &'a trust::Status,
    pub instances: &'a [String],
}

impl App {
    /// Runs a trust operation; accepted changes and refusals are recorded as trust events.
    pub fn trust(&self, req: &TrustRequest, now: Timestamp) -> Result<TrustResponse, Failure> {
        let now = now.round(jiff::Unit::Second).unwrap_or(now);
        let d = self.data_dir().to_path_buf();
        let named = req.instance.as_deref().unwrap_or(trust::PUBLIC_GOOD);
        let fail = |e: TrustError| self.trust_failure(named, &e, now);
        match &req.op {
            TrustOp::Status => {
                let names = match &req.instance {
                    Some(i) => vec![i.clone()],
                    None => trust::instances(&d),
                };
                let mut statuses = Vec::new();
                for name in &names {
                    let (st, installed) = trust::status_in(&d, name, now).map_err(fail)?;
                    if let Some(info) = installed {
                        self.record_quietly(
                            req,
                            &[factory_install_record(&info, Some(name.clone()))],
                            now,
                        );
                    }
                    statuses.push(st);
                }
                Ok(TrustResponse::Status {
                    statuses,
                    instances: trust::instances(&d),
                })
            }
            TrustOp::History => Ok(TrustResponse::History {
                history: trust::history_in(&d, named, now).map_err(fail)?,
            }),
            TrustOp::Init {
                root,
                from,
                at,
                force,
            } => {
                let r = trust::init_in(
                    &d,
                    named,
                    &InitRequest {
                        root: root.clone(),
                        from: from.clone(),
                        at: *at,
                        force: *force,
                    },
                    now,
                );
                self.changed(req, named, "init", r, now)
            }
            TrustOp::Update { from, at } => {
                let r = trust::update_from_in(&d, named, from, now, *at);
                self.changed(req, named, "update", r, now)
            }
            TrustOp::Import { trusted_root } => {
                let r = trust::import_in(&d, named, trusted_root, now);
                self.changed(req, named, "import", r, now)
            }
        }
    }

    /// Records the event of an init, update or import; the response, or the failure.
    fn changed(
        &self,
        req: &TrustRequest,
        instance: &str,
        action: &str,
        r: Result<Outcome, TrustError>,
        now: Timestamp,
    ) -> Result<TrustResponse, Failure> {
        // A failure that is not a decision (an unreadable medium, a data dir that cannot be
        // written) is not recorded: nothing was decided about the trust root.
        let decided = !matches!(&r, Err(e) if !e.is_refusal());
        let mut records = Vec::new();
        if let Ok(o) = &r {
            if let Some(f) = &o.factory_install {
                records.push(factory_install_record(f, Some(instance.to_string())));
            }
        }
        if decided {
            records.push(trust_event_record(instance, action, &r));
        }
        let unrecorded = self.record_quietly(req, &records, now);
        match r {
            Ok(outcome) => Ok(TrustResponse::Changed {
                outcome: Box::new(outcome),
                unrecorded,
            }),
            Err(e) => Err(self.trust_failure(instance, &e, now)),
        }
    }

    /// Records trust events; the trust store's own history is the authority, so a ledger that
    /// cannot be written is said (returned), not fatal.
    fn record_quietly(
        &self,
        req: &TrustRequest,
        records: &[crate::store::RecordInput],
        now: Timestamp,
    ) -> Option<String> {
        if records.is_empty() {
            return None;
        }
        self.ledger(req.hmac_key_file.as_deref())
            .and_then(|l| l.append(records, now).map_err(Failure::from))
            .err()
            .map(|f| {
                format!(
                    "the trust event is in the trust history but not in the ledger: [{}] {}",
                    f.reason, f.message
                )
            })
    }

    /// A trust failure: its code and exit, and for a refusal the root still in force.
    fn trust_failure(&self, instance: &str, e: &TrustError, now: Timestamp) -> Failure {
        let in_force = trust::installed_in(self.data_dir(), instance, now)
            .ok()
            .flatten();
        Failure {
            reason: e.code().to_string(),
            message: e.to_string(),
            exit: e.exit_code(),
            in_force: if e.is_refusal() {
                in_force.map(Box::new)
            } else {
                None
            },
        }
    }

    /// One instance's status for readers that must not write (the API, the console): refused
    /// when the instance has no trust root installed yet (the daemon installs and records
    /// public good's at start).
    pub fn trust_status_read_only(
        &self,
        instance: &str,
        now: Timestamp,
    ) -> Result<trust::Status, Failure> {
        match trust::installed_in(self.data_dir(), instance, now) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Failure::unusable(
                    "trust-root-unavailable",
                    format!("instance {instance} has no trust root installed yet"),
                ))
            }
            Err(e) => return Err(Failure::unusable(e.code(), e.to_string())),
        }
        trust::status_in(self.data_dir(), instance, now)
            .map(|(s, _)| s)
            .map_err(|e| Failure::unusable(e.code(), e.to_string()))
    }

    /// One instance's history of accepted roots and refusals, read-only (the console).
    pub fn trust_history_read_only(
        &self,
        instance: &str,
        now: Timestamp,
    ) -> Result<trust::History, Failure> {
        trust::history_in(self.data_dir(), instance, now)
            .map_err(|e| Failure::unusable(e.code(), e.to_string()))
    }

    /// Installs (and records) every instance's trust root that is not yet installed: the
    /// daemon calls it at start, so that nothing it serves read-only writes trust state.
    pub fn ensure_trust_installed(&self, now: Timestamp) -> Result<(), Failure> {
        let roots = super::roots::resolve(&Default::default(), self.data_dir(), now)?;
        let installed = roots.factory_installs();
        if !installed.is_empty() {
            self.ledger(None)?.append(&installed, now)?;
        }
        Ok(())
    }
}
