//! The typed requests and responses of every operation: what the CLI sends to [`super::App`],
//! in process or through the daemon's socket.
//!
//! Owns: [`Request`], [`Response`], which requests write (and so wait for the daemon's other
//! writer), making a request's paths absolute before it travels. Must not touch: what the
//! operations do.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::import::{ImportRequest, ImportResponse, ReverifyRequest, ReverifyResponse};
use super::ledger::{
    AuditExportRequest, AuditRequest, ExportRequest, QueryRequest, ShowRequest, ShowResponse,
};
use super::push::{PushRequest, PushResponse};
use super::trust::{TrustOp, TrustRequest, TrustResponse};
use super::verify_bundle::{VerifyBundleRequest, VerifyBundleResponse};
use crate::store::{Audit, Migration, Record};

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "operation", content = "request")]
pub enum Request {
    Import(ImportRequest),
    Reverify(ReverifyRequest),
    Trust(TrustRequest),
    Query(QueryRequest),
    Show(ShowRequest),
    Export(ExportRequest),
    Audit(AuditRequest),
    AuditExport(AuditExportRequest),
    Migrate,
    VerifyBundle(VerifyBundleRequest),
    Push(PushRequest),
}

/// Its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "operation", content = "response")]
pub enum Response {
    Import(Box<ImportResponse>),
    Reverify(ReverifyResponse),
    Trust(TrustResponse),
    Query(Vec<Record>),
    Show(Box<ShowResponse>),
    Export(Vec<String>),
    Audit(Audit),
    AuditExport(crate::store::export::ExportCheck),
    Migrate(Migration),
    VerifyBundle(VerifyBundleResponse),
    Push(PushResponse),
}

impl Request {
    /// Whether it writes the ledger, the trust store or the kept inputs (the daemon runs such
    /// requests one at a time with its inbox worker).
    pub fn writes(&self) -> bool {
        match self {
            Request::Import(_) | Request::Reverify(_) | Request::Migrate | Request::Push(_) => true,
            Request::Trust(t) => !matches!(t.op, TrustOp::History),
            Request::VerifyBundle(v) => v.record,
            Request::Query(_)
            | Request::Show(_)
            | Request::Export(_)
            | Request::Audit(_)
            | Request::AuditExport(_) => false,
        }
    }

    /// Whether it uses the ledger (and so must go through a daemon that holds it).
    pub fn uses_ledger(&self) -> bool {
        match self {
            Request::VerifyBundle(v) => v.record,
            _ => true,
        }
    }

    /// The same request with every path absolute against `cwd` (the daemon does not share the
    /// client's working folder).
    pub fn absolute(mut self, cwd: &Path) -> Request {
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = cwd.join(&*p);
            }
        };
        let opt = |p: &mut Option<PathBuf>| {
            if let Some(p) = p {
                abs(p);
            }
        };
        match &mut self {
            Request::Import(r) => {
                r.inputs.iter_mut().for_each(abs);
                abs(&mut r.policy);
                opt(&mut r.roots.trusted_root);
                opt(&mut r.hmac_key_file);
            }
            Request::Reverify(r) => {
                opt(&mut r.policy);
                opt(&mut r.trusted_root);
                opt(&mut r.hmac_key_file);
            }
            Request::Trust(r) => {
                opt(&mut r.hmac_key_file);
                match &mut r.op {
                    TrustOp::Init { root, from, .. } => {
                        opt(root);
                        opt(from);
                    }
                    TrustOp::Update { from, .. } => abs(from),
                    TrustOp::Import { trusted_root } => abs(trusted_root),
                    TrustOp::Status | TrustOp::History => {}
                }
            }
            Request::Query(r) => opt(&mut r.hmac_key_file),
            Request::Show(r) => opt(&mut r.hmac_key_file),
            Request::Export(r) => opt(&mut r.hmac_key_file),
            Request::Audit(r) => opt(&mut r.hmac_key_file),
            Request::AuditExport(r) => {
                abs(&mut r.file);
                opt(&mut r.public_key);
                opt(&mut r.previous);
            }
            Request::Migrate => {}
            Request::Push(r) => {
                opt(&mut r.hmac_key_file);
                opt(&mut r.access.registry_ca);
                opt(&mut r.access.client_cert);
                opt(&mut r.access.client_key);
                opt(&mut r.access.auth_file);
            }
            Request::VerifyBundle(r) => {
                opt(&mut r.roots.trusted_root);
                opt(&mut r.hmac_key_file);
                for i in &mut r.items {
                    abs(&mut i.bundle);
                    opt(&mut i.trusted_root);
                    opt(&mut i.signer.key);
                    // An artifact is a path unless it is a digest (conformance protocol: a
                    // digest only when no such file exists).
                    let p = Path::new(&i.artifact);
                    if p.is_relative() && cwd.join(p).exists() {
                        i.artifact = cwd.join(p).display().to_string();
                    }
                }
            }
        }
        self
    }
}
