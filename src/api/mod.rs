//! The daemon's read-only HTTP API (axum on hyper; TLS and mutual TLS by rustls): the ledger's
//! records, the trust root in force, health, readiness and metrics, as JSON in the ledger's own
//! record shape (camelCase).
//!
//! Owns: the routes, the request caps (body, head, query, page, connections), the per-client
//! rate limit, the JSON errors, the TLS listener. Must not touch: sled, the trust store's files
//! (it asks `app`, like every caller). It has no write endpoint.
//!
//! Plain HTTP is served only on a loopback address; any other address needs `--tls-cert` and
//! `--tls-key`, and `--client-ca` makes it mutual TLS (a client without a certificate from that
//! CA is refused in the handshake).

mod console;
mod ratelimit;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::app::ledger::QueryFilter;
use crate::app::Failure;
use crate::limits;

/// Why the API cannot start (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("--listen {addr}: plain HTTP is served only on a loopback address; give --tls-cert and --tls-key to listen on {addr}")]
    PlainNotLoopback { addr: SocketAddr },
    #[error("--listen {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
    #[error("{path}: {why}")]
    Tls { path: PathBuf, why: String },
    /// A TLS file that cannot be read as it must (regular, capped; the key owner-only).
    #[error("{0}")]
    TlsFile(crate::input::InputError),
    #[error("the API's runtime: {0}")]
    Runtime(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::PlainNotLoopback { .. } => "listen-not-loopback",
            Self::Listen { .. } => "listen-failed",
            Self::Tls { .. } | Self::TlsFile(_) => "tls-unusable",
            Self::Runtime(_) => "api-failed",
        }
    }
}

/// TLS files of the API.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Clients must present a certificate issued by this CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// How the API listens.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// Requests per second each client address may make (0: no limit); bursts of twice that.
    pub rate_per_second: u32,
}

impl ApiConfig {
    /// The loopback rule, and TLS files that load.
    pub fn check(&self) -> Result<(), ApiError> {
        match &self.tls {
            None if !self.listen.ip().is_loopback() => {
                Err(ApiError::PlainNotLoopback { addr: self.listen })
            }
            None => Ok(()),
            Some(t) => tls::server_config(t).map(|_| ()),
        }
    }
}

/// The running API.
pub struct Handle {
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

impl Handle {
    /// Stops accepting, lets the requests in progress finish (up to a bound), and returns.
    pub fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }
}

#[derive(Clone)]
struct AppState {
    shared: Arc<Shared>,
    limiter: Option<Arc<ratelimit::Limiter>>,
}

/// The client's address, set on every request by the accept loop.
#[derive(Clone, Copy)]
struct Peer(SocketAddr);

/// Starts the API on its own threads.
pub fn start(cfg: &ApiConfig, shared: Arc<Shared>) -> Result<Handle, ApiError> {
    cfg.check()?;
    let tls = match &cfg.tls {
        Some(t) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
            tls::server_config(t)?,
        ))),
        None => None,
    };
    let std_listener = std::net::TcpListener::bind(cfg.listen).map_err(|e| ApiError::Listen {
        addr: cfg.listen,
        why: e.to_string(),
    })?;
    let addr = std_listener.local_addr().map_err(|e| ApiError::Listen {
        addr: cfg.listen,
        why: e.to_string(),
    })?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| ApiError::Listen {
            addr,
            why: e.to_string(),
        })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("airlock-api")
        .enable_all()
        .build()
        .map_err(|e| ApiError::Runtime(e.to_string()))?;
    let app = app(shared, cfg.rate_per_second);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("airlock-api".into())
        .spawn(move || {
            rt.block_on(async move {
                match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => serve(l, tls, app, stopped).await,
                    Err(e) => tracing::error!(error = %e, "api: cannot listen"),
                }
            });
            rt.shutdown_timeout(Duration::from_secs(5));
        })
        .map_err(|e| ApiError::Runtime(e.to_string()))?;
    Ok(Handle { addr, stop, thread })
}

/// The API's routes and layers over `shared`, without a listener (the fuzz target drives it
/// in-process; every request then counts as coming from `127.0.0.1`).
pub fn app(shared: Arc<Shared>, rate_per_second: u32) -> Router {
    let state = AppState {
        shared,
        limiter: (rate_per_second > 0).then(|| Arc::new(ratelimit::Limiter::new(rate_per_second))),
    };
    router(state)
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/results", get(results))
        .route("/v1/results/{id}", get(result))
        .route("/v1/artifacts/{digest}", get(artifact))
        .route("/v1/imports/{id}", get(import))
        .route("/v1/trust-root", get(trust_root))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(console::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Connections of one client address still in their handshake, released when dropped.
struct Handshaking {
    peer: std::net::IpAddr,
    counts: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Handshaking {
    fn drop(&mut self) {
        if let Ok(mut c) = self.counts.lock() {
            if let Some(n) = c.get_mut(&self.peer) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.remove(&self.peer);
                }
            }
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // Two budgets: connections still in their handshake (bounded in all and per client
    // address), and connections served (authenticated, for mutual TLS). Idle connections that
    // never authenticate wait in neither: past their budget they are closed at once, and under
    // pressure their deadline shortens.
    let slots = Arc::new(tokio::sync::Semaphore::new(limits::MAX_API_CONNECTIONS));
    let handshaking = Arc::new(tokio::sync::Semaphore::new(limits::MAX_API_HANDSHAKING));
    let per_client: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>> =
        Arc::default();
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "api: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(hs_permit) = handshaking.clone().try_acquire_owned() else {
            continue; // every handshake slot is taken: closed at once
        };
        let admitted = per_client.lock().map(|mut c| {
            let n = c.entry(peer.ip()).or_insert(0);
            if *n >= limits::MAX_API_HANDSHAKING_PER_CLIENT {
                false
            } else {
                *n += 1;
                true
            }
        });
        if !matches!(admitted, Ok(true)) {
            continue; // this address holds its share of handshakes already
        }
        let hs = Handshaking {
            peer: peer.ip(),
            counts: per_client.clone(),
            _permit: hs_permit,
        };
        let pressure = handshaking.available_permits() < limits::MAX_API_HANDSHAKING / 2;
        let handshake = Duration::from_secs(if pressure {
            limits::API_HANDSHAKE_SECONDS_UNDER_PRESSURE
        } else {
            limits::API_HANDSHAKE_SECONDS
        });
        let _ = tcp.set_nodelay(true);
        let (app, tls, mut stop, slots) = (app.clone(), tls.clone(), stop.clone(), slots.clone());
        conns.spawn(async move {
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(Peer(peer));
                    tower::ServiceExt::oneshot(app.clone(), req.map(axum::body::Body::new))
                },
            );
            let mut http = hyper::server::conn::http1::Builder::new();
            http.max_buf_size(limits::MAX_API_HEAD_BYTES)
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(limits::API_HANDSHAKE_SECONDS))
                .keep_alive(true);
            match tls {
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::info!(peer = %peer, error = %e, "api: TLS handshake refused");
                            return;
                        }
                        Err(_) => return,
                    };
                    drop(hs);
                    // Authenticated (for mutual TLS): now it takes a served slot.
                    let Ok(_permit) = slots.try_acquire_owned() else {
                        return;
                    };
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                    drive(conn, &mut stop).await;
                }
                None => {
                    drop(hs);
                    let Ok(_permit) = slots.try_acquire_owned() else {
                        return;
                    };
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), svc);
                    drive(conn, &mut stop).await;
                }
            }
        });
        // Reap finished connections so the set does not grow.
        while conns.try_join_next().is_some() {}
    }
    // Stop: in-flight requests finish, idle keep-alive connections are closed.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
}

async fn drive<I, S>(
    conn: hyper::server::conn::http1::Connection<I, S>,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming> + Send,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A JSON error: the one failure shape of every operation ([`Failure`]), with a reason code
/// from the same registry as the CLI's.
fn fail(status: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    let f = if status == StatusCode::NOT_FOUND {
        Failure::refused(reason, message)
    } else {
        Failure::unusable(reason, message)
    };
    (status, Json(f)).into_response()
}

/// The caps and the rate limit, before any route; every answer counted by status.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let resp = match refuse(&st, &req) {
        Some(r) => r,
        None => next.run(req).await,
    };
    st.shared.metrics.api_request(resp.status().as_u16());
    resp
}

/// The answer to a request over a cap or the rate limit; `None` lets it through.
fn refuse(st: &AppState, req: &Request) -> Option<Response> {
    let h = req.headers();
    let body_len = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if body_len.is_some_and(|n| n > limits::MAX_API_BODY_BYTES)
        || h.contains_key(header::TRANSFER_ENCODING)
    {
        return Some(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request-too-large",
            format!(
                "this API is read-only: request bodies are refused past {} bytes",
                limits::MAX_API_BODY_BYTES
            ),
        ));
    }
    if req
        .uri()
        .query()
        .is_some_and(|q| q.len() > limits::MAX_API_QUERY_BYTES)
    {
        return Some(fail(
            StatusCode::URI_TOO_LONG,
            "query-too-long",
            format!(
                "the query string is longer than {} bytes",
                limits::MAX_API_QUERY_BYTES
            ),
        ));
    }
    if let (Some(l), Some(Peer(peer))) = (&st.limiter, req.extensions().get::<Peer>()) {
        if let Err(wait) = l.allow(peer.ip()) {
            let mut r = fail(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!(
                    "more than {} requests a second from {}",
                    l.rate(),
                    peer.ip()
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Some(r);
        }
    }
    None
}

async fn not_found() -> Response {
    fail(StatusCode::NOT_FOUND, "not-found", "no such endpoint")
}

async fn method_not_allowed() -> Response {
    fail(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this API is read-only: GET only",
    )
}

/// What the API (and the console) serve from: the application, the metrics, and what only
/// the daemon knows (its readiness, what waits in its inbox), as functions it hands in.
pub struct Shared {
    pub data_dir: PathBuf,
    /// The application every route calls (it holds the ledger).
    pub app: crate::app::App,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The trust instance the daemon updates (the one `/v1/trust-root` shows).
    pub trust_instance: String,
    /// When the daemon started.
    pub started: std::time::Instant,
    /// Whether the daemon can take files. Blocking: not on an async worker.
    pub readiness: Box<dyn Fn() -> Readiness + Send + Sync>,
    /// Files waiting: in the inbox, and taken but not finished.
    pub inbox_depth: Box<dyn Fn() -> u64 + Send + Sync>,
}

/// What `/readyz` reports.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    pub trust_root: bool,
    pub ledger: bool,
    pub inbox: bool,
    /// Why imports are being retried with backoff (the data dir cannot be written), if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing: Option<String>,
    /// Why pushes to `--push-to` are delayed (the registry fails), if they are. Imports go on:
    /// this does not make the daemon unready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushes_delayed: Option<String>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.trust_root && self.ledger && self.inbox && self.failing.is_none()
    }
}

/// `/v1/results` query parameters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultsQuery {
    digest: Option<String>,
    identity: Option<String>,
    issuer: Option<String>,
    verdict: Option<String>,
    /// The input's SHA-256 (`tarball.sha256`).
    tarball: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// A path segment, or why axum could not decode it (answered as JSON like every error).
type PathParam = Result<UrlPath<String>, axum::extract::rejection::PathRejection>;

fn bad_request(message: impl Into<String>) -> Response {
    fail(StatusCode::BAD_REQUEST, "bad-request", message)
}

/// An operation's failure as an HTTP answer: a filter it cannot answer is the client's (400),
/// what is not there is 404, the rest is the service's (503).
fn failure(f: Failure) -> Response {
    let status = match f.reason.as_str() {
        "bad-request" => StatusCode::BAD_REQUEST,
        "not-found" => StatusCode::NOT_FOUND,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(f)).into_response()
}

fn time_param(name: &str, v: Option<&str>) -> Result<Option<crate::time::Timestamp>, String> {
    v.map(|s| crate::time::parse_rfc3339(s).map_err(|e| format!("{name}: {e}")))
        .transpose()
}

async fn results(
    State(st): State<AppState>,
    q: Result<Query<ResultsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad_request(e.body_text()),
    };
    let limit = match q.limit.as_deref().map(str::parse::<usize>).transpose() {
        Ok(Some(0)) => {
            return bad_request(format!(
                "limit: from 1 to {} (a larger one is served as {})",
                limits::MAX_API_PAGE,
                limits::MAX_API_PAGE
            ))
        }
        Ok(l) => l.unwrap_or(100).min(limits::MAX_API_PAGE),
        Err(_) => return bad_request("limit: not a number"),
    };
    let before = match q.cursor.as_deref().map(str::parse::<u64>).transpose() {
        Ok(c) => c,
        Err(_) => return bad_request("cursor: not a cursor this API gave"),
    };
    let (since, until) = match (
        time_param("since", q.since.as_deref()),
        time_param("until", q.until.as_deref()),
    ) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(m), _) | (_, Err(m)) => return bad_request(m),
    };
    let filter = QueryFilter {
        digest: q.digest,
        identity: q.identity,
        issuer: q.issuer,
        since,
        until,
        verdict: q.verdict,
        import_id: None,
        tarball_sha256: q.tarball,
        pushed: false,
    };
    // At most `limit` records, and a page ends before 4 MiB (the store stops reading there).
    match st
        .shared
        .app
        .page(&filter, before, limit, limits::MAX_API_RESPONSE_BYTES)
    {
        Ok(page) => Json(page).into_response(),
        Err(f) => failure(f),
    }
}

async fn result(State(st): State<AppState>, p: PathParam) -> Response {
    let id = match p {
        Ok(UrlPath(v)) => v,
        Err(e) => return bad_request(e.body_text()),
    };
    let Ok(id) = id.parse::<u64>() else {
        return bad_request("the record id is a number");
    };
    match st.shared.app.record(id) {
        Ok(r) => Json(r).into_response(),
        Err(f) => failure(f),
    }
}

async fn artifact(State(st): State<AppState>, p: PathParam) -> Response {
    let digest = match p {
        Ok(UrlPath(v)) => v,
        Err(e) => return bad_request(e.body_text()),
    };
    match st.shared.app.artifact(&digest, limits::MAX_API_HISTORY) {
        Ok(v) => Json(v).into_response(),
        Err(f) => failure(f),
    }
}

async fn import(State(st): State<AppState>, p: PathParam) -> Response {
    let id = match p {
        Ok(UrlPath(v)) => v,
        Err(e) => return bad_request(e.body_text()),
    };
    match st.shared.app.import_records(&id, limits::MAX_API_PAGE) {
        Ok(v) => Json(v).into_response(),
        Err(f) => failure(f),
    }
}

/// Runs `f` off the async workers: the trust store is read with blocking calls (and TUF code
/// that starts its own runtime, which a worker thread must not).
async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "api-failed",
            format!("the request failed: {e}"),
        )
    })
}

async fn trust_root(State(st): State<AppState>) -> Response {
    blocking(move || {
        let now = crate::clock::now();
        // Read-only: the daemon installed (and recorded) the trust root at start.
        match st
            .shared
            .app
            .trust_status_read_only(&st.shared.trust_instance, now)
        {
            Ok(status) => {
                let instances = crate::trust::instances(&st.shared.data_dir);
                Json(crate::app::trust::StatusWithInstances {
                    status: &status,
                    instances: &instances,
                })
                .into_response()
            }
            Err(f) => failure(f),
        }
    })
    .await
}

async fn healthz() -> Response {
    #[derive(serde::Serialize)]
    struct Health {
        status: &'static str,
    }
    Json(Health { status: "ok" }).into_response()
}

/// What `/readyz` answers.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyView {
    pub ready: bool,
    #[serde(flatten)]
    pub checks: Readiness,
}

async fn readyz(State(st): State<AppState>) -> Response {
    blocking(move || ready_view(&st)).await
}

fn ready_view(st: &AppState) -> Response {
    let checks = (st.shared.readiness)();
    let ready = checks.ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(ReadyView { ready, checks })).into_response()
}

async fn metrics(State(st): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    // Prometheus asks for OpenMetrics first when it can read it; anything else (promtool, curl,
    // `Accept: text/plain;version=0.0.4`) gets the classic text format.
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    blocking(move || metrics_text(&st, openmetrics)).await
}

fn metrics_text(st: &AppState, openmetrics: bool) -> Response {
    let s = &st.shared;
    let now = crate::clock::now();
    let info = crate::trust::installed_in(&s.data_dir, &s.trust_instance, now)
        .ok()
        .flatten();
    s.metrics.set_trust_root(info.as_ref(), now);
    if let Ok((records, bytes)) = s.app.ledger_size() {
        s.metrics.set_ledger(records, bytes);
    }
    // What waits, read at the scrape (its one writer).
    s.metrics
        .set_inbox_depth(usize::try_from((s.inbox_depth)()).unwrap_or(usize::MAX));
    if openmetrics {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            s.metrics.encode(),
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            s.metrics.encode_classic(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_before_any_lookup() {
        let is_digest = |d: &str| crate::app::ledger::digest_filter(d, false).is_ok();
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:xyz"));
        assert!(!is_digest("../../etc/passwd"));
        assert!(!is_digest(&format!("SHA256:{}", "a".repeat(64))));
        assert!(
            !is_digest(&format!("sha256:{}", "a".repeat(65))),
            "one hex too many"
        );
        assert!(
            !is_digest(&format!("sha256:{}", "a".repeat(12))),
            "the short form is for the CLI's query, not an artifact's page"
        );
        assert!(is_digest(&format!("sha512:{}", "a".repeat(128))));
    }

    /// One GET through the API's router, in process: the status and the body.
    fn get(shared: &Arc<Shared>, uri: &str) -> (u16, Vec<u8>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let req = axum::http::Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        rt.block_on(async {
            let resp = tower::ServiceExt::oneshot(app(shared.clone(), 0), req)
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
                .await
                .unwrap();
            (status, body.to_vec())
        })
    }

    /// What the API serves, over `data` and `inbox`, with `ledger` open.
    fn shared_of(
        data: std::path::PathBuf,
        inbox: std::path::PathBuf,
        ledger: crate::store::Ledger,
    ) -> Arc<Shared> {
        let journal = crate::daemon::journal::Journal::open(&data).unwrap();
        let (d, l, i) = (data.clone(), ledger.clone(), inbox.clone());
        let failing = std::sync::Mutex::new(None);
        let pushes = std::sync::Mutex::new(crate::daemon::pusher::PushState::default());
        Arc::new(Shared {
            app: crate::app::App::holding(&data, ledger),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            trust_instance: crate::trust::PUBLIC_GOOD.into(),
            data_dir: data,
            started: std::time::Instant::now(),
            readiness: Box::new(move || {
                crate::daemon::readiness(&d, crate::trust::PUBLIC_GOOD, &l, &i, &failing, &pushes)
            }),
            inbox_depth: Box::new(move || {
                (crate::daemon::inbox::waiting(&inbox) + journal.count()) as u64
            }),
        })
    }

    /// Found by fuzz/api_request: `/readyz` on a data dir whose factory trust root was not yet
    /// installed ran TUF code (which starts its own runtime) on an async worker, and panicked.
    /// And the read-only API installed that trust root itself, unrecorded: it writes nothing
    /// (the daemon installs and records it at start).
    #[test]
    fn trust_routes_on_a_fresh_data_dir_answer_and_write_nothing() {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        let inbox = d.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let ledger = crate::store::Ledger::open(&data, None).unwrap();
        let shared = shared_of(data.clone(), inbox, ledger.clone());
        for (path, want) in [("/readyz", 503), ("/metrics", 200), ("/v1/trust-root", 503)] {
            assert_eq!(get(&shared, path).0, want, "{path}");
        }
        assert!(
            crate::trust::installed_in(&data, crate::trust::PUBLIC_GOOD, crate::clock::now())
                .unwrap()
                .is_none(),
            "the API installed a trust root"
        );
        assert_eq!(ledger.len(), 0, "the API wrote the ledger");
        // Once the daemon installed it (recorded), the route serves it.
        shared
            .app
            .ensure_trust_installed(crate::clock::now())
            .unwrap();
        assert_eq!(ledger.len(), 1, "the factory install is recorded");
        assert_eq!(get(&shared, "/v1/trust-root").0, 200);
    }

    #[test]
    fn plain_http_off_loopback_is_refused() {
        let c = ApiConfig {
            listen: "0.0.0.0:8443".parse().unwrap(),
            tls: None,
            rate_per_second: 0,
        };
        assert_eq!(c.check().unwrap_err().code(), "listen-not-loopback");
        let c = ApiConfig {
            listen: "[::1]:8080".parse().unwrap(),
            ..c
        };
        assert!(c.check().is_ok());
    }

    /// A page of huge records ends at the byte cap, says so, and its cursor leads on (found by
    /// the adversarial run: `/v1/results?limit=1000` answered 34 MB).
    #[test]
    fn a_page_of_huge_records_ends_at_the_byte_cap_and_says_so() {
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("data");
        let inbox = d.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let ledger = crate::store::Ledger::open(&data, None).unwrap();
        let item = serde_json::json!({"origin": "o", "kind": "k", "message": "x".repeat(4000)});
        let records: Vec<crate::store::RecordInput> = (0..40)
            .map(|_| crate::store::RecordInput {
                kind: crate::store::RecordKind::Artifact,
                verdict: crate::store::Verdict::Rejected,
                evidence: serde_json::Value::Array(vec![item.clone(); 64]),
                ..Default::default()
            })
            .collect();
        ledger.append(&records, crate::clock::now()).unwrap();
        let shared = shared_of(data, inbox, ledger);
        let (_, body) = get(&shared, "/v1/results?limit=1000");
        let (bytes, page) = (
            body.len(),
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        );
        assert!(
            bytes <= limits::MAX_API_RESPONSE_BYTES + 300 * 1024,
            "{bytes}"
        );
        let n = page["results"].as_array().unwrap().len();
        assert!(n > 0 && n < 40, "{n}");
        assert_eq!(page["truncated"], true);
        let cursor = page["nextCursor"].as_str().unwrap().to_string();
        let (_, next) = get(&shared, &format!("/v1/results?limit=1000&cursor={cursor}"));
        let next: serde_json::Value = serde_json::from_slice(&next).unwrap();
        assert!(!next["results"].as_array().unwrap().is_empty());
    }
}
