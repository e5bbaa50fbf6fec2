//! The operator's console: read-only HTML pages on the API's listener (same TLS, mutual TLS,
//! caps and rate limit; every request a GET), over the same `app` calls as the JSON API.
//!
//! Pages: overview (`/`), imports (`/imports`, `/imports/{id}`), quarantine (`/quarantine`),
//! an artifact (`/artifacts/{digest}`), trust history (`/trust`); each links its `/v1` twin.
//! Every answer carries a strict Content-Security-Policy (`default-src 'none'`, the page's own
//! stylesheet, no script at all), `nosniff`, no referrer, no framing.
//!
//! Owns: the routes, the page models and their markup (`pages.rs`). Must not touch: the ledger
//! or the trust store except through `app`; nothing here writes.

mod pages;

use std::collections::BTreeMap;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{blocking, AppState};
use crate::app::ledger::QueryFilter;
use crate::store::{Record, RecordKind, Verdict};
use crate::time::Timestamp;

/// Records one imports page shows.
const PAGE: usize = 50;
/// Newest records a search by name looks through (names are not indexed).
const MAX_NAME_SCAN: usize = 10_000;
/// Newest records of the last 24 hours the overview counts imports in (past this it says "at
/// least": the page stays fast over a ledger of millions).
const MAX_DAY_RECORDS: usize = 2_000;
/// Records one import's or one artifact's page shows.
const MAX_SHOWN: usize = 1_000;

/// What the browser may do with a console page: load its own stylesheet and nothing else.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/imports", get(imports))
        .route("/imports/{id}", get(import))
        .route("/quarantine", get(quarantine))
        .route("/artifacts/{digest}", get(artifact))
        .route("/trust", get(trust))
        .route("/console.css", get(css))
}

/// An HTML answer with the console's security headers.
fn html(status: StatusCode, body: maud::Markup) -> Response {
    let mut r = (status, body.into_string()).into_response();
    let h = r.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// A page that cannot be shown: the reason in words, the status the JSON twin would give.
fn trouble(f: crate::app::Failure) -> Response {
    let status = match f.reason.as_str() {
        "bad-request" => StatusCode::BAD_REQUEST,
        "not-found" => StatusCode::NOT_FOUND,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    html(status, pages::trouble(&f))
}

async fn css() -> Response {
    let mut r = pages::CSS.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    r
}

/// One trust instance as the overview shows it.
pub struct InstanceView {
    pub name: String,
    pub status: Result<crate::trust::Status, crate::app::Failure>,
}

/// The overview's model.
pub struct Overview {
    pub now: Timestamp,
    pub version: &'static str,
    pub uptime_seconds: u64,
    pub instances: Vec<InstanceView>,
    pub inbox_depth: u64,
    pub readiness: crate::api::Readiness,
    /// Imports of the last 24 hours by verdict, and whether the count stopped at its cap.
    pub day: BTreeMap<&'static str, usize>,
    pub day_capped: bool,
    pub records: u64,
    pub head: Option<(u64, String)>,
    pub last_audit: Option<crate::store::LastAudit>,
}

async fn overview(State(st): State<AppState>) -> Response {
    blocking(move || {
        let s = &st.shared;
        let app = &s.app;
        let now = crate::clock::now();
        let instances = crate::trust::instances(&s.data_dir)
            .into_iter()
            .map(|name| InstanceView {
                status: app.trust_status_read_only(&name, now),
                name,
            })
            .collect();
        let since = now
            .checked_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(now);
        let recent = app
            .page(
                &QueryFilter {
                    since: Some(since),
                    ..Default::default()
                },
                None,
                MAX_DAY_RECORDS,
                usize::MAX,
            )
            .map(|p| (p.results, p.next_cursor.is_some()))
            .unwrap_or_default();
        let mut imports: BTreeMap<String, Verdict> = BTreeMap::new();
        for r in recent.0.iter().filter(|r| r.body.kind.is_decision()) {
            if let Some(id) = &r.body.import_id {
                let v = imports.entry(id.clone()).or_insert(Verdict::Accepted);
                if r.body.verdict == Verdict::Rejected {
                    *v = Verdict::Rejected;
                }
            }
        }
        let mut day = BTreeMap::new();
        day.insert("accepted", 0);
        day.insert("rejected", 0);
        for v in imports.values() {
            *day.entry(v.as_str()).or_insert(0) += 1;
        }
        let (records, _) = app.ledger_size().unwrap_or((0, 0));
        let model = Overview {
            now,
            version: crate::app::VERSION,
            uptime_seconds: s.started.elapsed().as_secs(),
            instances,
            inbox_depth: (s.inbox_depth)(),
            readiness: (s.readiness)(),
            day,
            day_capped: recent.1,
            records,
            head: app.chain_head().ok(),
            last_audit: app.last_audit(),
        };
        html(StatusCode::OK, pages::overview(&model))
    })
    .await
}

/// `/imports` query parameters (unknown ones refused, as the API does).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportsQuery {
    pub verdict: Option<String>,
    /// `YYYY-MM-DD` (UTC).
    pub day: Option<String>,
    /// A digest (full or the short form), an identity, an import id, or part of a name.
    pub q: Option<String>,
    pub cursor: Option<String>,
}

/// A page of the imports list.
pub struct ImportsPage {
    pub query: ImportsQuery,
    pub records: Vec<Record>,
    pub next_cursor: Option<String>,
    /// The search looked for a name among this many newest records only.
    pub name_scan: Option<usize>,
}

fn day_bounds(day: &str) -> Result<(Timestamp, Timestamp), crate::app::Failure> {
    let bad = || {
        crate::app::Failure::unusable(
            "bad-request",
            format!("day {}: YYYY-MM-DD", crate::text::escape(day)),
        )
    };
    let start = crate::time::parse_rfc3339(&format!("{day}T00:00:00Z")).map_err(|_| bad())?;
    let end =
        crate::time::parse_rfc3339(&format!("{day}T23:59:59.999999999Z")).map_err(|_| bad())?;
    Ok((start, end))
}

fn imports_page(
    st: &AppState,
    q: ImportsQuery,
    rejected_only: bool,
) -> Result<ImportsPage, crate::app::Failure> {
    let app = &st.shared.app;
    let mut f = QueryFilter {
        verdict: if rejected_only {
            Some("rejected".into())
        } else {
            q.verdict.clone().filter(|v| !v.is_empty())
        },
        ..Default::default()
    };
    if let Some(day) = q.day.as_deref().filter(|d| !d.is_empty()) {
        let (s, u) = day_bounds(day)?;
        f.since = Some(s);
        f.until = Some(u);
    }
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.parse::<u64>().map_err(|_| {
            crate::app::Failure::unusable("bad-request", "cursor: not a cursor this page gave")
        })?),
        None => None,
    };
    let mut name = None;
    match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s)
            if s.starts_with("sha256:") || s.starts_with("sha512:") || s.starts_with("sha384:") =>
        {
            f.digest = Some(s.to_string())
        }
        Some(s) if s.contains("://") || s.contains('@') => f.identity = Some(s.to_string()),
        Some(s) if s.len() > 16 && s.contains('T') && s.contains('-') && !s.contains(' ') => {
            f.import_id = Some(s.to_string())
        }
        Some(s) => name = Some(s.to_lowercase()),
        None => {}
    }
    let is_shown = |r: &Record| {
        matches!(r.body.kind, RecordKind::Artifact | RecordKind::Input)
            && name.as_deref().is_none_or(|n| {
                r.body
                    .artifact
                    .as_ref()
                    .map(|a| a.name.to_lowercase().contains(n))
                    .unwrap_or(false)
                    || r.body
                        .tarball
                        .as_ref()
                        .is_some_and(|t| t.name.to_lowercase().contains(n))
            })
    };
    if name.is_some() {
        let p = app.page(&f, cursor, MAX_NAME_SCAN, usize::MAX)?;
        let records: Vec<Record> = p
            .results
            .into_iter()
            .filter(|r| is_shown(r))
            .take(PAGE)
            .collect();
        return Ok(ImportsPage {
            query: q,
            records,
            next_cursor: None,
            name_scan: Some(MAX_NAME_SCAN),
        });
    }
    // Pages of the API's cursor; records that are not import decisions (trust events, pushes)
    // are skipped, a few pages at most.
    let mut records = Vec::new();
    let mut cur = cursor;
    let mut next = None;
    for _ in 0..8 {
        let p = app.page(&f, cur, PAGE, crate::limits::MAX_API_RESPONSE_BYTES)?;
        records.extend(p.results.into_iter().filter(|r| is_shown(r)));
        next = p.next_cursor.clone();
        match p.next_cursor.and_then(|c| c.parse::<u64>().ok()) {
            Some(c) if records.len() < PAGE => cur = Some(c),
            _ => break,
        }
    }
    Ok(ImportsPage {
        query: q,
        records,
        next_cursor: next,
        name_scan: None,
    })
}

type ImportsParams = Result<Query<ImportsQuery>, axum::extract::rejection::QueryRejection>;

/// The imports list, or (with `quarantine`) the refusals only.
async fn listing(st: AppState, q: ImportsParams, quarantine: bool) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return trouble(crate::app::Failure::unusable("bad-request", e.body_text())),
    };
    blocking(move || match imports_page(&st, q, quarantine) {
        Ok(p) => html(StatusCode::OK, pages::imports(&p, quarantine)),
        Err(f) => trouble(f),
    })
    .await
}

async fn imports(State(st): State<AppState>, q: ImportsParams) -> Response {
    listing(st, q, false).await
}

async fn quarantine(State(st): State<AppState>, q: ImportsParams) -> Response {
    listing(st, q, true).await
}

type PathParam = Result<UrlPath<String>, axum::extract::rejection::PathRejection>;

async fn import(State(st): State<AppState>, p: PathParam) -> Response {
    let id = match p {
        Ok(UrlPath(v)) => v,
        Err(e) => return trouble(crate::app::Failure::unusable("bad-request", e.body_text())),
    };
    blocking(move || match st.shared.app.import_records(&id, MAX_SHOWN) {
        Ok(v) => html(StatusCode::OK, pages::import(&v)),
        Err(f) => trouble(f),
    })
    .await
}

async fn artifact(State(st): State<AppState>, p: PathParam) -> Response {
    let digest = match p {
        Ok(UrlPath(v)) => v,
        Err(e) => return trouble(crate::app::Failure::unusable("bad-request", e.body_text())),
    };
    blocking(move || match st.shared.app.artifact(&digest, MAX_SHOWN) {
        Ok(v) => html(StatusCode::OK, pages::artifact(&v)),
        Err(f) => trouble(f),
    })
    .await
}

/// The trust page's model: each instance's history.
pub struct TrustPage {
    pub instances: Vec<(String, Result<crate::trust::History, crate::app::Failure>)>,
}

async fn trust(State(st): State<AppState>) -> Response {
    blocking(move || {
        let now = crate::clock::now();
        let instances = crate::trust::instances(&st.shared.data_dir)
            .into_iter()
            .map(|i| {
                let h = st.shared.app.trust_history_read_only(&i, now);
                (i, h)
            })
            .collect();
        html(StatusCode::OK, pages::trust(&TrustPage { instances }))
    })
    .await
}
