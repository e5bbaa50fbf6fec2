//! The API over any request line and headers, in-process (the routes, the caps, the query
//! parsing, the digest and id checks, over a small ledger): every answer is a status the API
//! documents, with a JSON body except for `/metrics`. Nothing panics.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;

struct World {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let ledger = airlock::store::Ledger::open(&data, None).unwrap();
        let input = airlock::store::RecordInput {
            kind: airlock::store::RecordKind::Artifact,
            import_id: Some("imp-1".into()),
            verdict: airlock::store::Verdict::Accepted,
            artifact: Some(airlock::store::record_types::ArtifactRef {
                digest: format!("sha256:{}", "ab".repeat(32)),
                ..Default::default()
            }),
            ..Default::default()
        };
        ledger.append(&[input], airlock::clock::now()).unwrap();
        let journal = airlock::daemon::journal::Journal::open(&data).unwrap();
        let failing = std::sync::Mutex::new(None);
        let pushes = std::sync::Mutex::new(airlock::daemon::pusher::PushState::default());
        let (d, l, i) = (data.clone(), ledger.clone(), inbox.clone());
        let shared = Arc::new(airlock::api::Shared {
            app: airlock::app::App::holding(&data, ledger),
            metrics: Arc::new(airlock::metrics::Metrics::new()),
            trust_instance: "public-good".into(),
            data_dir: data,
            started: std::time::Instant::now(),
            readiness: Box::new(move || {
                airlock::daemon::readiness(&d, "public-good", &l, &i, &failing, &pushes)
            }),
            inbox_depth: Box::new(move || {
                (airlock::daemon::inbox::waiting(&inbox) + journal.count()) as u64
            }),
        });
        World {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            app: airlock::api::app(shared, 0),
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    // First line: METHOD SP TARGET; then `name: value` header lines.
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or(("GET", first));
    let mut b = axum::http::Request::builder().method(method).uri(target);
    for l in lines.take(16) {
        if let Some((k, v)) = l.split_once(':') {
            b = b.header(k.trim(), v.trim());
        }
    }
    let Ok(req) = b.body(axum::body::Body::empty()) else {
        return;
    };
    let is_metrics = req.uri().path() == "/metrics";
    let resp = w
        .rt
        .block_on(tower::ServiceExt::oneshot(w.app.clone(), req))
        .unwrap();
    let status = resp.status().as_u16();
    assert!(
        [200, 400, 404, 405, 413, 414, 429, 503].contains(&status),
        "status {status}"
    );
    let body = w
        .rt
        .block_on(axum::body::to_bytes(resp.into_body(), 64 << 20))
        .unwrap();
    if !is_metrics || status != 200 {
        serde_json::from_slice::<serde_json::Value>(&body).expect("a JSON body");
    }
});
