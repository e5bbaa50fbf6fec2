//! Daemon figures for `make bench` (not criterion: a whole daemon is started once):
//! - the API: requests/s and p50/p99 latency of `GET /v1/artifacts/{digest}` over a ledger of
//!   DAEMON_N records (default 1,000,000) at 64 concurrent keep-alive connections over TLS, from
//!   a load generator on loopback (bounded: DAEMON_REQUESTS requests in all, and 120 s), with
//!   `GET /healthz` (no ledger work) measured the same way in the same run as the baseline;
//! - the inbox: time from a file's rename into the inbox to its verdict in the ledger (seen
//!   through the API), over 30 drops, against `airlock import` of the same file as one process.
//!
//! Prints one line a figure; asserts nothing. Under `cargo test --all-targets` (no `--bench`) it
//! runs small (1,000 records, a few requests) as a smoke test that the benchmark still works.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod synthetic;

use airlock::store::{Ledger, RecordInput};
use synthetic::{digest, input, percentile};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_airlock");
const CONNECTIONS: usize = 64;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bundles/import")
        .join(name)
}

/// One keep-alive TLS connection speaking just enough HTTP/1.1.
struct Conn {
    io: tokio::io::BufReader<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr, tls: &tokio_rustls::TlsConnector) -> Conn {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let s = tls.connect(name, tcp).await.unwrap();
        Conn {
            io: tokio::io::BufReader::new(s),
        }
    }

    /// GET `path`; the status and body.
    async fn get(&mut self, path: &str) -> (u16, Vec<u8>) {
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        self.io.get_mut().write_all(req.as_bytes()).await.unwrap();
        let mut line = String::new();
        self.io.read_line(&mut line).await.unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0usize;
        loop {
            line.clear();
            self.io.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0u8; len];
        self.io.read_exact(&mut body).await.unwrap();
        (status, body)
    }
}

/// `total` GETs of `path_of(i)` spread over [`CONNECTIONS`] keep-alive connections; requests/s
/// and every latency (ms).
async fn load(
    addr: std::net::SocketAddr,
    tls: &tokio_rustls::TlsConnector,
    total: usize,
    path_of: Arc<dyn Fn(usize) -> String + Send + Sync>,
) -> (f64, Vec<f64>) {
    let mut conns = Vec::new();
    for _ in 0..CONNECTIONS {
        conns.push(Conn::open(addr, tls).await);
    }
    let per = total.div_ceil(CONNECTIONS);
    let deadline = Instant::now() + Duration::from_secs(120);
    let t = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let path_of = path_of.clone();
        tasks.spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for k in 0..per {
                if Instant::now() > deadline {
                    break;
                }
                let path = path_of(c * per + k);
                let s = Instant::now();
                let (status, _) = conn.get(&path).await;
                lat.push(s.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, 200, "{path}");
            }
            lat
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.unwrap());
    }
    (all.len() as f64 / t.elapsed().as_secs_f64(), all)
}

fn write_secret(path: &Path, text: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let benching = std::env::args().any(|a| a == "--bench");
    let env_n = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = env_n("DAEMON_N", if benching { 1_000_000 } else { 1_000 });
    let requests = env_n("DAEMON_REQUESTS", if benching { 64_000 } else { 256 }) as usize;
    let drops = if benching { 30 } else { 3 };

    let tmp = tempfile::tempdir().unwrap();
    // The million-record ledger takes minutes to write: a benchmark run keeps it under target/
    // for the next one (the drops of each run add their records to it).
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-daemon/n{n}"));
    let (data, inbox) = if benching {
        (kept.join("data"), kept.join("inbox"))
    } else {
        (tmp.path().join("data"), tmp.path().join("inbox"))
    };
    // Same filesystem as the data dir (files move by rename).
    let _ = std::fs::remove_dir_all(&inbox);
    std::fs::create_dir_all(&inbox).unwrap();
    let done = kept.join("written");
    // The ledger, written directly (a thousand records a transaction).
    let t = Instant::now();
    if !(benching && done.exists()) {
        let l = Ledger::open(&data, None).unwrap();
        let now = airlock::clock::now();
        let mut i = 0;
        while i < n {
            let inputs: Vec<RecordInput> = (i..(i + 1000).min(n)).map(input).collect();
            l.append(&inputs, now).unwrap();
            i += 1000;
        }
        if benching {
            std::fs::write(&done, b"").unwrap();
        }
    }
    eprintln!(
        "daemon bench: {n} records written in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "trust",
        "import",
        "--trusted-root",
        example("test-trust-root.TEST-ONLY.json").to_str().unwrap(),
    ]);
    let conf = tmp.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::copy(example("policy.TEST-ONLY.yaml"), conf.join("policy.yaml")).unwrap();
    write_secret(
        &conf.join("hmac-example.key"),
        &std::fs::read_to_string(example("hmac-example.key")).unwrap(),
    );

    // TLS: a CA and a server certificate for localhost.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let cert_pem = leaf.signed_by(&key, &issuer).unwrap().pem();
    std::fs::write(tmp.path().join("server.pem"), cert_pem).unwrap();
    write_secret(&tmp.path().join("server.key"), &key.serialize_pem());

    let tls_args = [
        "--settle-ms".into(),
        "0".into(),
        "--tls-cert".into(),
        tmp.path().join("server.pem").into_os_string(),
        "--tls-key".into(),
        tmp.path().join("server.key").into_os_string(),
    ];
    let (mut daemon, addr) = start_daemon(&data, &inbox, &conf.join("policy.yaml"), &tls_args);

    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    rt.block_on(async {
        let (base_rps, mut base) =
            load(addr, &tls, requests, Arc::new(|_| "/healthz".to_string())).await;
        let nn = n;
        let (rps, mut lat) = load(
            addr,
            &tls,
            requests,
            Arc::new(move |i| {
                let k = (i as u64).wrapping_mul(7919) % nn;
                format!("/v1/artifacts/{}", digest(k))
            }),
        )
        .await;
        println!(
            "daemon API, TLS, {CONNECTIONS} keep-alive connections, {n} records: /v1/artifacts/{{digest}} {rps:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({} requests); baseline /healthz {base_rps:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms: the lookup costs {:.2}× the baseline's throughput",
            percentile(&mut lat, 0.5),
            percentile(&mut lat, 0.99),
            lat.len(),
            percentile(&mut base, 0.5),
            percentile(&mut base, 0.99),
            base_rps / rps,
        );

        // The console's pages over the same ledger: server time per page (one keep-alive
        // connection, sequential GETs, so each figure is the page's own latency).
        let mut conn = Conn::open(addr, &tls).await;
        let mut base = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let (status, _) = conn.get("/healthz").await;
            assert_eq!(status, 200);
            base.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let base_p50 = percentile(&mut base, 0.5);
        let pages = [
            "/".to_string(),
            "/imports".to_string(),
            "/imports?verdict=rejected".to_string(),
            "/quarantine".to_string(),
            format!("/imports/imp-{}", n / 20),
            format!("/artifacts/{}", digest(n / 2)),
            "/trust".to_string(),
        ];
        for page in &pages {
            let mut lat = Vec::new();
            for _ in 0..50 {
                let t = Instant::now();
                let (status, _) = conn.get(page).await;
                assert_eq!(status, 200, "{page}");
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let p50 = percentile(&mut lat, 0.5);
            println!(
                "console, TLS, {n} records: {page:<32} p50 {p50:.2} ms, p99 {:.2} ms ({:.1}x /healthz's {base_p50:.2} ms)",
                percentile(&mut lat, 0.99),
                p50 / base_p50.max(1e-6)
            );
        }

        // Inbox: rename → verdict in the ledger, seen through the API.
        let mut conn = Conn::open(addr, &tls).await;
        let chart = std::fs::read(example("helm-chart.tar")).unwrap();
        let mut lat = Vec::new();
        for d in 0..drops {
            let name = format!("drop-{d}.tar");
            let part = inbox.join(format!(".{name}.part"));
            std::fs::write(&part, &chart).unwrap();
            let t = Instant::now();
            std::fs::rename(&part, inbox.join(&name)).unwrap();
            let until = Instant::now() + Duration::from_secs(60);
            loop {
                let (_, body) = conn.get("/v1/results?limit=1").await;
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                if v["results"][0]["tarball"]["name"] == name.as_str() {
                    break;
                }
                assert!(Instant::now() < until, "{name} never reached the ledger");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // Baseline: the same file imported by one `airlock import` process.
        let other = tmp.path().join("other");
        let mut base = Vec::new();
        for d in 0..drops {
            let f = tmp.path().join(format!("cli-{d}.tar"));
            std::fs::write(&f, &chart).unwrap();
            let t = Instant::now();
            let out = Command::new(BIN)
                .arg("--data-dir")
                .arg(&other)
                .arg("import")
                .arg(&f)
                .arg("--policy")
                .arg(conf.join("policy.yaml"))
                .arg("--trusted-root")
                .arg(example("test-trust-root.TEST-ONLY.json"))
                .output()
                .unwrap();
            base.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let (p50, p99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
        let b50 = percentile(&mut base, 0.5);
        println!(
            "daemon inbox (--settle-ms 0), helm chart tarball, {drops} drops: rename → verdict in the ledger p50 {p50:.1} ms, p99 {p99:.1} ms; baseline `airlock import` of the same file p50 {b50:.1} ms: {:.2}× the one-shot command",
            p50 / b50
        );
    });
    stop_daemon(&mut daemon);
    huge_records_memory(benching, &conf.join("policy.yaml"));
}

/// Starts the daemon on a free loopback port (no rate limit, JSON logs, `extra` flags) and waits
/// until it listens.
fn start_daemon(
    data: &Path,
    inbox: &Path,
    policy: &Path,
    extra: &[std::ffi::OsString],
) -> (std::process::Child, std::net::SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let daemon = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .arg("daemon")
        .arg("--inbox")
        .arg(inbox)
        .arg("--policy")
        .arg(policy)
        .args(["--listen", &addr.to_string(), "--rate-limit", "0"])
        .args(["--log-format", "json"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < until, "the daemon did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    (daemon, addr)
}

/// SIGTERM, then waits for the exit.
fn stop_daemon(daemon: &mut std::process::Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = daemon.wait();
}

/// Peak RSS (VmHWM) of a process, in MiB.
fn peak_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The daemon's peak memory under 16 concurrent worst-case API requests (`/v1/results?limit=1000`
/// over records at the evidence cap, 64 items of ~1.5 KB each), against its peak once started
/// and idle, in the same run.
fn huge_records_memory(benching: bool, policy: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let (data, inbox) = (tmp.path().join("data"), tmp.path().join("inbox"));
    std::fs::create_dir_all(&inbox).unwrap();
    let n: u64 = if benching { 3000 } else { 40 };
    {
        let l = Ledger::open(&data, None).unwrap();
        let item = serde_json::json!({
            "origin": "claims.jsonl line 1",
            "kind": "sigstore-bundle",
            "verified": false,
            "reason": "signature-invalid",
            "message": "x".repeat(1400),
        });
        let mut i = 0;
        while i < n {
            let batch: Vec<RecordInput> = (i..(i + 100).min(n))
                .map(|k| {
                    let mut r = input(k);
                    r.evidence = serde_json::Value::Array(vec![
                        item.clone();
                        airlock::limits::MAX_RECORD_EVIDENCE
                    ]);
                    r.evidence_omitted = 10_000 - airlock::limits::MAX_RECORD_EVIDENCE as u64;
                    r
                })
                .collect();
            l.append(&batch, airlock::clock::now()).unwrap();
            i += 100;
        }
    }
    let (mut daemon, addr) = start_daemon(&data, &inbox, policy, &[]);
    std::thread::sleep(Duration::from_millis(300));
    let idle = peak_mib(daemon.id());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (bytes, pages) = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..16 {
            tasks.spawn(async move {
                let mut got = (0usize, 0usize);
                for _ in 0..4 {
                    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.write_all(b"GET /v1/results?limit=1000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        .await
                        .unwrap();
                    let mut body = Vec::new();
                    let _ = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut body)).await;
                    got.0 = got.0.max(body.len());
                    got.1 += 1;
                }
                got
            });
        }
        let (mut most, mut pages) = (0, 0);
        while let Some(Ok((b, p))) = tasks.join_next().await {
            most = most.max(b);
            pages += p;
        }
        (most, pages)
    });
    let loaded = peak_mib(daemon.id());
    println!(
        "daemon memory, 16 concurrent GET /v1/results?limit=1000 over {n} records at the evidence cap ({pages} pages, the largest {:.1} MiB): peak RSS {loaded:.1} MiB; baseline, the same daemon started and idle: {idle:.1} MiB ({:.2}×)",
        bytes as f64 / (1024.0 * 1024.0),
        loaded / idle
    );
    stop_daemon(&mut daemon);
}
