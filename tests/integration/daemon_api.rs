//! The daemon's API and control socket, over the real binary on loopback: TLS and mutual TLS (a
//! client certificate from the CA answers; none, or another CA's, is refused in the handshake),
//! the loopback rule for plain HTTP, every cap (413, 431, 414, the page size, 429), the routes
//! and their JSON, `/metrics` read by a second Prometheus parser, one daemon per data dir, and the
//! CLI reaching the ledger through the running daemon.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::daemon_support;

use std::net::SocketAddr;
use std::time::Duration;

use daemon_support::*;

const LEGACY: &str = "cosign-legacy-signature.tar";
const TRAVERSAL: &str = "REFUSED-path-traversal.tar";

/// An env with the examples' legacy image (accepted) and a path-traversal tarball (quarantined)
/// already taken by a first daemon run.
fn env_with_imports() -> Env {
    let e = env();
    e.drop_bytes(LEGACY, &std::fs::read(example(LEGACY)).unwrap());
    e.drop_bytes(TRAVERSAL, &std::fs::read(example(TRAVERSAL)).unwrap());
    let mut d = e.daemon(&[]);
    e.wait_idle(Duration::from_secs(60));
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
    e
}

struct Tls {
    ca: Ca,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn server_tls(e: &Env) -> Tls {
    let ca = ca("airlock test CA");
    let (cert, key) = leaf(&ca, "localhost", true);
    let cert_path = e.dir.path().join("server.pem");
    let key_path = e.dir.path().join("server.key");
    std::fs::write(&cert_path, cert).unwrap();
    write_secret(&key_path, &key);
    Tls {
        ca,
        cert: cert_path,
        key: key_path,
    }
}

#[test]
fn the_tls_api_serves_the_ledger_in_its_record_shape() {
    let e = env_with_imports();
    let tls = server_tls(&e);
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut d = e.daemon(&[
        "--listen",
        &addr.to_string(),
        "--tls-cert",
        tls.cert.to_str().unwrap(),
        "--tls-key",
        tls.key.to_str().unwrap(),
    ]);
    wait_http(addr, Duration::from_secs(30));
    let client = tls_client(&tls.ca.pem, None);
    let get = |p: &str| https_get(addr, &client, p).unwrap();

    let all = get("/v1/results");
    assert_eq!(all.status, 200);
    let results = all.json()["results"].as_array().unwrap().clone();
    // The trust import, the accepted image, the quarantined tarball: newest first.
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[0]["id"].as_u64() > results[1]["id"].as_u64());
    let accepted = results
        .iter()
        .find(|r| r["kind"] == "artifact")
        .expect("the image's record");
    assert_eq!(accepted["verdict"], "accepted");
    assert_eq!(accepted["tarball"]["name"], LEGACY);
    assert!(accepted["decidedUnder"]["trustRootDigest"].is_string());
    let digest = accepted["artifact"]["digest"].as_str().unwrap().to_string();
    let import_id = accepted["importId"].as_str().unwrap().to_string();

    let rejected = get("/v1/results?verdict=rejected").json();
    let rejected = rejected["results"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "unsafe-archive");

    // Pages: one record each, following the cursor, until there is none.
    let mut seen = Vec::new();
    let mut path = "/v1/results?limit=1".to_string();
    loop {
        let page = get(&path).json();
        seen.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/results?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);

    let art = get(&format!("/v1/artifacts/{digest}"));
    assert_eq!(art.status, 200);
    let art = art.json();
    assert_eq!(art["verdict"], "accepted");
    assert_eq!(art["latest"]["artifact"]["digest"], digest.as_str());
    assert_eq!(art["history"].as_array().unwrap().len(), 1);

    let unknown = get(&format!("/v1/artifacts/sha256:{}", "0".repeat(64)));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["reason"], "not-found");
    assert_eq!(get("/v1/artifacts/not-a-digest").status, 400);

    let imp = get(&format!("/v1/imports/{import_id}"));
    assert_eq!(imp.status, 200);
    assert_eq!(imp.json()["importId"], import_id.as_str());
    assert_eq!(get("/v1/imports/no-such-import").status, 404);

    let one = get(&format!("/v1/results/{}", accepted["id"]));
    assert_eq!(one.json()["hash"], accepted["hash"]);
    assert_eq!(get("/v1/results/999999").status, 404);

    let trust = get("/v1/trust-root").json();
    assert_eq!(trust["instance"], "public-good");
    assert!(trust["root"]["digest"].is_string());
    assert_eq!(get("/healthz").status, 200);
    let ready = get("/readyz");
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["ready"], true);
    assert_eq!(get("/nowhere").json()["reason"], "not-found");
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

/// The daemon serving the API over mutual TLS: its address, the server's TLS files and the
/// clients' CA.
fn mutual_tls_daemon(e: &Env) -> (Daemon, SocketAddr, Tls, Ca) {
    let tls = server_tls(e);
    let clients = ca("airlock client CA");
    let ca_path = e.dir.path().join("clients.pem");
    std::fs::write(&ca_path, &clients.pem).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let d = e.daemon(&[
        "--listen",
        &addr.to_string(),
        "--tls-cert",
        tls.cert.to_str().unwrap(),
        "--tls-key",
        tls.key.to_str().unwrap(),
        "--client-ca",
        ca_path.to_str().unwrap(),
    ]);
    wait_http(addr, Duration::from_secs(30));
    (d, addr, tls, clients)
}

#[test]
fn mutual_tls_answers_only_clients_with_a_certificate_from_the_ca() {
    let e = env();
    let (mut d, addr, tls, clients) = mutual_tls_daemon(&e);

    let (cert, key) = leaf(&clients, "dashboard", false);
    let good = tls_client(&tls.ca.pem, Some((&cert, &key)));
    assert_eq!(https_get(addr, &good, "/healthz").unwrap().status, 200);

    let none = tls_client(&tls.ca.pem, None);
    assert!(
        https_get(addr, &none, "/healthz").is_err(),
        "a client without a certificate got an answer"
    );
    let stranger = ca("another CA");
    let (cert, key) = leaf(&stranger, "intruder", false);
    let other = tls_client(&tls.ca.pem, Some((&cert, &key)));
    assert!(
        https_get(addr, &other, "/healthz").is_err(),
        "a client with another CA's certificate got an answer"
    );
    // A plain-HTTP client gets no HTTP answer from the TLS port either.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(exchange(&mut s, &get_request("/healthz")).is_err());
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

#[test]
fn plain_http_off_loopback_exits_2_naming_the_rule() {
    let e = env();
    let port = free_port();
    let mut d = e.daemon(&["--listen", &format!("0.0.0.0:{port}")]);
    assert_eq!(d.wait_exit(Duration::from_secs(30)), 2);
    let log = d.log();
    assert!(log.contains("[listen-not-loopback]"), "{log}");
    assert!(log.contains("loopback"), "{log}");
    // A TLS key others can read is refused too.
    let tls = server_tls(&e);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tls.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut d = e.daemon(&[
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--tls-cert",
        tls.cert.to_str().unwrap(),
        "--tls-key",
        tls.key.to_str().unwrap(),
    ]);
    assert_eq!(d.wait_exit(Duration::from_secs(30)), 2);
    assert!(d.log().contains("chmod 600"), "{}", d.log());
}

fn raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    exchange(&mut s, request).unwrap()
}

#[test]
fn oversized_requests_long_queries_large_pages_and_floods_are_capped() {
    let e = env_with_imports();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut d = e.daemon(&["--listen", &addr.to_string(), "--rate-limit", "10"]);
    wait_http(addr, Duration::from_secs(30));

    let body = raw(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(body.status, 413);
    assert_eq!(body.json()["reason"], "request-too-large");

    let mut big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 20 * 1024));
    big.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    assert_eq!(raw(addr, &big).status, 431);

    let long = format!("/v1/results?identity={}", "x".repeat(3000));
    let a = http_get(addr, &long);
    assert_eq!(a.status, 414);
    assert_eq!(a.json()["reason"], "query-too-long");

    let page = http_get(addr, "/v1/results?limit=100000").json();
    assert_eq!(page["limit"], 1000);
    let post = raw(
        addr,
        b"POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(post.status, 405);
    assert_eq!(http_get(addr, "/v1/results?bogus=1").status, 400);
    // A path that does not percent-decode (found by fuzz/api_request) is a JSON 400 too.
    let bad = http_get(addr, "/v1/artifacts/sha256:ab%zz");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["reason"], "bad-request");

    // 10 a second, bursts of 20: a flood of 60 is cut off with 429 and Retry-After.
    let mut limited = None;
    for _ in 0..60 {
        let a = http_get(addr, "/healthz");
        if a.status == 429 {
            limited = Some(a);
            break;
        }
    }
    let limited = limited.expect("60 requests at once were never limited");
    assert_eq!(limited.json()["reason"], "rate-limited");
    assert!(limited.header("retry-after").is_some());
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

#[test]
fn metrics_read_as_prometheus_text_by_a_second_parser() {
    let e = env_with_imports();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut d = e.daemon(&["--listen", &addr.to_string()]);
    wait_http(addr, Duration::from_secs(30));
    e.drop_bytes("second.tar", &std::fs::read(example(TRAVERSAL)).unwrap());
    e.wait_idle(Duration::from_secs(60));
    let m = http_get(addr, "/metrics");
    assert_eq!(m.status, 200);
    let text = String::from_utf8(m.body).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |name: &str| -> f64 {
        let s = scrape
            .samples
            .iter()
            .find(|s| s.metric == name)
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => panic!("{name} is not a number"),
        }
    };
    let rejected = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "airlock_imports_total" && s.labels.get("reason") == Some("unsafe-archive")
        })
        .unwrap_or_else(|| panic!("no rejected import counted in\n{text}"));
    assert!(matches!(
        rejected.value,
        prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) if v == 1.0
    ));
    assert_eq!(value("airlock_ledger_records"), 4.0);
    assert!(value("airlock_ledger_size_bytes") > 0.0);
    assert_eq!(value("airlock_inbox_depth"), 0.0);
    assert_eq!(value("airlock_trust_root_stale"), 0.0);
    assert!(value("airlock_trust_root_age_seconds") >= 0.0);
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric == "airlock_import_duration_seconds"));
    assert!(text.contains("airlock_tuf_expiry_timestamp_seconds"));
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

#[test]
fn a_second_daemon_on_the_same_data_dir_exits_2() {
    let e = env();
    let mut first = e.daemon(&[]);
    first.wait_log("airlock daemon started", Duration::from_secs(30));
    let mut second = e.daemon(&[]);
    assert_eq!(second.wait_exit(Duration::from_secs(30)), 2);
    let log = second.log();
    assert!(log.contains("[daemon-running]"), "{log}");
    assert!(log.contains(&format!("pid {}", first.pid())), "{log}");
    assert_eq!(first.stop(Duration::from_secs(30)), 0);
}

#[test]
fn the_cli_reaches_the_ledger_and_trust_store_through_the_running_daemon() {
    let e = env_with_imports();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    // sled admits one process: these run inside the daemon, their output relayed.
    let (code, out, err) = e.cli(&["query", "--json"]);
    assert_eq!(code, 0, "{err}");
    let records: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(records.as_array().unwrap().len(), 3);
    let (code, out, _) = e.cli(&["audit", "verify"]);
    assert_eq!(code, 0);
    assert!(out.contains("ledger intact"), "{out}");
    let (code, out, _) = e.cli(&["trust", "status", "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"instance\""), "{out}");
    // An import by hand, with a path relative to the caller's folder, exit code relayed.
    std::fs::copy(example(LEGACY), e.dir.path().join("by-hand.tar")).unwrap();
    let out = std::process::Command::new(BIN)
        .current_dir(e.dir.path())
        .arg("--data-dir")
        .arg(&e.data)
        .args([
            "import",
            "by-hand.tar",
            "--policy",
            "conf/policy.yaml",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "accepted");
    let (code, _, err) = e.cli(&["show", "999"]);
    assert_ne!(code, 0);
    assert!(!err.is_empty());
    assert_eq!(e.records().len(), 4);
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

#[test]
fn symlinks_dropped_in_the_inbox_are_quarantined_without_being_followed() {
    let e = env();
    let secret = e.dir.path().join("secret.txt");
    std::fs::write(&secret, b"do not copy me").unwrap();
    std::os::unix::fs::symlink(&secret, e.inbox.join("link.tar")).unwrap();
    let mut d = e.daemon(&[]);
    e.wait_idle(Duration::from_secs(60));
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
    let kept = e.kept("link.tar");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].starts_with(e.data.join("quarantine")));
    assert!(std::fs::symlink_metadata(&kept[0])
        .unwrap()
        .file_type()
        .is_symlink());
    let r = e
        .records()
        .into_iter()
        .find(|r| r["tarball"]["name"] == "link.tar")
        .unwrap();
    assert_eq!(r["reason"], "inbox-not-regular");
}

/// `promtool check metrics` (Prometheus' own linter, Debian's `prometheus` package) accepts the
/// classic text format every scraper reads; OpenMetrics is served to who asks for it; the inbox
/// depth counts what waits (here: files still settling, with a settle time of a minute).
#[test]
fn promtool_accepts_the_metrics_and_the_inbox_depth_counts_what_waits() {
    let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let e = env();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut d = e.daemon(&["--listen", &addr.to_string(), "--settle-ms", "60000"]);
    wait_http(addr, Duration::from_secs(30));
    for n in ["a.tar", "b.tar", "c.tar"] {
        e.drop_bytes(n, &std::fs::read(example(TRAVERSAL)).unwrap());
    }
    std::thread::sleep(Duration::from_millis(500));
    let get = |accept: &str| {
        let req = format!(
            "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        );
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        exchange(&mut s, req.as_bytes()).unwrap()
    };
    let classic = get("text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    assert_eq!(classic.status, 200);
    assert!(
        classic
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        classic.headers
    );
    let text = String::from_utf8(classic.body).unwrap();
    assert!(text.lines().any(|l| l == "airlock_inbox_depth 3"), "{text}");
    let om = get("application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
    assert!(om
        .header("content-type")
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(String::from_utf8_lossy(&om.body).ends_with("# EOF\n"));
    match promtool {
        None => eprintln!(
            "SKIPPED (loudly): promtool is not installed (Debian package `prometheus`; `make test` installs it): the metrics were not linted"
        ),
        Some(p) => {
            use std::io::Write;
            let mut c = std::process::Command::new(p)
                .args(["check", "metrics"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics failed:\n{}{}\n{text}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    d.kill();
}

/// Hundreds of idle TCP connections to the mutual-TLS port (from another address than the
/// client's) neither authenticate nor take the budget of clients that do: the authenticated
/// client is answered.
#[test]
fn idle_unauthenticated_connections_do_not_starve_authenticated_clients() {
    let e = env();
    let (mut d, addr, tls, clients) = mutual_tls_daemon(&e);
    // 700 connections from 127.0.0.2 that never start a handshake (bounded: they are dropped
    // with the runtime at the end of the test).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let idle: Vec<_> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..700 {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(2), s.connect(addr)).await {
                v.push(c);
            }
        }
        v
    });
    assert!(idle.len() >= 100, "could not open the idle connections");
    let (cert, key) = leaf(&clients, "dashboard", false);
    let good = tls_client(&tls.ca.pem, Some((&cert, &key)));
    let a = https_get(addr, &good, "/healthz").expect("the authenticated client was not answered");
    assert_eq!(a.status, 200);
    drop(idle);
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
}

/// One HMAC key per ledger, whoever writes. With the daemon running, `import --hmac-key-file K`
/// exited 2 with `ledger-unavailable` (the shared handle was skipped whenever a key file was
/// given). Now the daemon, started with the key, runs it; another key is refused by name.
#[test]
fn the_ledgers_hmac_key_file_goes_through_the_daemon_and_a_wrong_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let e = env_without_trust_root();
    let key = e.dir.path().join("ledger.key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let other = e.dir.path().join("other.key");
    std::fs::write(&other, [8u8; 32]).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let k = key.to_str().unwrap();
    // Every command that writes takes the key: `trust` too (its event is recorded).
    let root = example("test-trust-root.TEST-ONLY.json");
    let (code, _, err) = e.cli(&[
        "trust",
        "import",
        "--trusted-root",
        root.to_str().unwrap(),
        "--hmac-key-file",
        k,
    ]);
    assert_eq!(code, 0, "{err}");
    let mut d = e.daemon(&["--hmac-key-file", k]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let policy = e.policy.to_str().unwrap();
    let tar = example(LEGACY);
    let (code, _, err) = e.cli(&[
        "import",
        tar.to_str().unwrap(),
        "--policy",
        policy,
        "--hmac-key-file",
        k,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = e.cli(&[
        "import",
        tar.to_str().unwrap(),
        "--policy",
        policy,
        "--hmac-key-file",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("[hmac-key-mismatch]"), "{err}");
    let (code, out, err) = e.cli(&["audit", "verify", "--hmac-key-file", k]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ledger intact"), "{out}");
    // The daemon's log names fields in camelCase, and the listen address as text.
    assert_eq!(d.stop(Duration::from_secs(30)), 0);
    assert!(
        !e.data.join("ledger/hmac.key").exists(),
        "a second key was made in the data dir"
    );
    // Without the daemon, no key: reads work, a write or an audit refuses, naming the key.
    let (code, _, err) = e.cli(&["query"]);
    assert_eq!(code, 0, "{err}");
    assert!(!e.data.join("ledger/hmac.key").exists(), "query made a key");
    let (code, _, err) = e.cli(&["audit", "verify"]);
    assert_eq!(code, 2);
    assert!(err.contains("[hmac-key-missing]"), "{err}");
    let (code, _, err) = e.cli(&[
        "audit",
        "verify",
        "--hmac-key-file",
        other.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 2,
        "a wrong key is refused, not reported as a rewritten record"
    );
    assert!(err.contains("[hmac-key-mismatch]"), "{err}");
}

/// The daemon's JSON logs use the README's camelCase names (`importId`, `durationMs`), and the
/// listen address as text (once `"listen":"Some(127.0.0.1:…)"`).
#[test]
fn daemon_log_fields_are_camel_case() {
    let e = env();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = e.daemon(&["--listen", &listen]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    e.drop_bytes("app.tar", &std::fs::read(example(LEGACY)).unwrap());
    d.wait_log("\"durationMs\"", Duration::from_secs(60));
    let log = d.log();
    assert!(log.contains("\"importId\""), "{log}");
    assert!(log.contains(&format!("\"listen\":\"{listen}\"")), "{log}");
    assert!(
        !log.contains("import_id") && !log.contains("duration_ms"),
        "{log}"
    );
    d.kill();
}
