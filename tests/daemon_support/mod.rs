//! Shared scaffolding of the `airlock daemon` tests: a data dir with the TEST-ONLY trust root
//! installed and the examples' policy, the daemon as a child process (started, stopped with
//! SIGTERM, killed with SIGKILL), drops into its inbox by the write-then-rename convention, and a
//! small HTTP/1.1 client over plain TCP or rustls (loopback only).
//!
//! Owns: test-only helpers. Must not touch: airlock's code, the network beyond loopback.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use serde_json::Value;

pub use crate::common::cmd::BIN;

/// The repository's example tarballs (signed by the test suite's fake Sigstore).
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bundles/import")
        .join(name)
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub inbox: PathBuf,
    pub policy: PathBuf,
}

/// A data dir with the examples' TEST-ONLY trust root installed (`trust import`) and their
/// policy (with its HMAC key, owner-only) beside it; an empty inbox on the same filesystem.
pub fn env() -> Env {
    let e = env_without_trust_root();
    install_test_root(&e.data);
    e
}

/// `trust import` of the examples' TEST-ONLY trust root into `data`.
fn install_test_root(data: &Path) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["trust", "import", "--trusted-root"])
        .arg(example("test-trust-root.TEST-ONLY.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// [`env`] with the data dir and the inbox under `base` (a file system of the test's own, a
/// small tmpfs); the policy stays in the temp dir.
pub fn env_in(base: &Path) -> Env {
    let mut e = env_without_trust_root();
    e.data = base.join("data");
    e.inbox = base.join("inbox");
    std::fs::create_dir_all(&e.inbox).unwrap();
    install_test_root(&e.data);
    e
}

/// [`env`] with no trust root installed.
pub fn env_without_trust_root() -> Env {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let policy = conf.join("policy.yaml");
    std::fs::copy(example("policy.TEST-ONLY.yaml"), &policy).unwrap();
    let key = conf.join("hmac-example.key");
    std::fs::copy(example("hmac-example.key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    Env {
        dir,
        data,
        inbox,
        policy,
    }
}

impl Env {
    /// `airlock --data-dir DATA ARGS…`, its exit code, stdout and stderr.
    pub fn cli(&self, args: &[&str]) -> (i32, String, String) {
        crate::common::cmd::TestCommand::new(&self.data)
            .args(args)
            .run()
            .triple()
    }

    /// Every ledger record (`query --json`).
    pub fn records(&self) -> Vec<Value> {
        let (code, out, err) = self.cli(&["query", "--json", "--limit", "1000000"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    /// Drops `bytes` into the inbox as `name`: written as `.name.part`, then renamed.
    pub fn drop_bytes(&self, name: &str, bytes: &[u8]) {
        let part = self.inbox.join(format!(".{name}.part"));
        std::fs::write(&part, bytes).unwrap();
        std::fs::rename(&part, self.inbox.join(name)).unwrap();
    }

    /// Drops a folder: copied as `.name.part`, then renamed.
    pub fn drop_dir(&self, name: &str, from: &Path) {
        let part = self.inbox.join(format!(".{name}.part"));
        copy_dir(from, &part);
        std::fs::rename(&part, self.inbox.join(name)).unwrap();
    }

    pub fn daemon(&self, extra: &[&str]) -> Daemon {
        Daemon::start(self, extra)
    }

    /// Names left in the inbox, the journal, the work area and staging.
    pub fn leftovers(&self) -> Vec<String> {
        let mut left = Vec::new();
        for d in [
            self.inbox.clone(),
            self.data.join("daemon/journal"),
            self.data.join("daemon/work"),
            self.data.join("staging"),
        ] {
            if let Ok(rd) = std::fs::read_dir(&d) {
                for e in rd.flatten() {
                    left.push(e.path().display().to_string());
                }
            }
        }
        left
    }

    /// Waits until the inbox, the journal and the work area are empty.
    pub fn wait_idle(&self, bound: Duration) {
        let until = Instant::now() + bound;
        loop {
            let left: Vec<String> = self
                .leftovers()
                .into_iter()
                .filter(|p| !p.contains("/staging/"))
                .collect();
            if left.is_empty() {
                return;
            }
            assert!(Instant::now() < until, "not idle after {bound:?}: {left:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Where each kept copy of an inbox entry named `name` is (`accepted/ID/name`,
    /// `quarantine/ID/name`).
    pub fn kept(&self, name: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for area in ["accepted", "quarantine"] {
            if let Ok(rd) = std::fs::read_dir(self.data.join(area)) {
                for e in rd.flatten() {
                    let p = e.path().join(name);
                    if std::fs::symlink_metadata(&p).is_ok() {
                        out.push(p);
                    }
                }
            }
        }
        out
    }
}

/// One copy of the helper for every test: `common::copy_dir`.
pub use crate::common::copy_dir;

/// The daemon as a child process; killed with SIGKILL when dropped.
pub struct Daemon {
    pub child: Option<Child>,
    pub log: PathBuf,
}

impl Daemon {
    fn start(e: &Env, extra: &[&str]) -> Daemon {
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let log = e.dir.path().join(format!("daemon-{n}.log"));
        let child = Command::new(BIN)
            .arg("--data-dir")
            .arg(&e.data)
            .arg("daemon")
            .arg("--inbox")
            .arg(&e.inbox)
            .arg("--policy")
            .arg(&e.policy)
            // A test's own --settle-ms replaces the default.
            .args(if extra.contains(&"--settle-ms") {
                &["--rescan-ms", "200", "--log-format", "json"][..]
            } else {
                &[
                    "--settle-ms",
                    "100",
                    "--rescan-ms",
                    "200",
                    "--log-format",
                    "json",
                ][..]
            })
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child: Some(child),
            log,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log says `needle` (or the process ended).
    pub fn wait_log(&mut self, needle: &str, bound: Duration) {
        let until = Instant::now() + bound;
        while !self.log().contains(needle) {
            if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "daemon exited ({st}) before saying {needle}:\n{}",
                    self.log()
                );
            }
            assert!(Instant::now() < until, "no {needle} in:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL, as a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM; returns the exit code (within `bound`).
    pub fn stop(&mut self, bound: Duration) -> i32 {
        let mut c = self.child.take().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let until = Instant::now() + bound;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > until {
                let _ = c.kill();
                panic!("daemon did not stop within {bound:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to end by itself; its exit code.
    pub fn wait_exit(&mut self, bound: Duration) -> i32 {
        let mut c = self.child.take().unwrap();
        let until = Instant::now() + bound;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            if Instant::now() > until {
                let _ = c.kill();
                panic!("daemon still running after {bound:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (a whole HTTP/1.1 request, `Connection: close`) and reads the answer.
pub fn exchange(stream: &mut impl ReadWrite, request: &[u8]) -> std::io::Result<Answer> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw).ok_or_else(|| {
        std::io::Error::other(format!(
            "no HTTP answer: {:?}",
            String::from_utf8_lossy(&raw)
        ))
    })
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

pub fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").into_bytes()
}

/// A plain HTTP GET.
pub fn http_get(addr: SocketAddr, path: &str) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    exchange(&mut s, &get_request(path)).unwrap()
}

/// A TLS client configuration trusting `ca_pem`, presenting `client` (cert chain PEM, key PEM)
/// if given.
pub fn tls_client(ca_pem: &str, client: Option<(&str, &str)>) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let cfg = match client {
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .map(|c| c.unwrap())
                    .collect();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            b.with_client_auth_cert(chain, key).unwrap()
        }
        None => b.with_no_client_auth(),
    };
    Arc::new(cfg)
}

/// A GET over TLS to `localhost` at `addr`; the error when the handshake or exchange fails.
pub fn https_get(
    addr: SocketAddr,
    cfg: &Arc<rustls::ClientConfig>,
    path: &str,
) -> std::io::Result<Answer> {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cfg.clone(), name).map_err(std::io::Error::other)?;
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(&get_request(path))?;
    tls.flush()?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // A server that closes without close_notify still sent its answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
    parse(&raw).ok_or_else(|| std::io::Error::other("no HTTP answer"))
}

/// Waits until `GET /healthz` answers on `addr` (plain HTTP).
pub fn wait_http(addr: SocketAddr, bound: Duration) {
    let until = Instant::now() + bound;
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < until, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A CA and the PEM of its certificate.
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub pem: String,
}

pub fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

/// A leaf (PEM cert, PEM key) issued by `ca`.
pub fn leaf(ca: &Ca, name: &str, server: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![name.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    if server {
        p.subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    }
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    (
        p.signed_by(&key, &issuer).unwrap().pem(),
        key.serialize_pem(),
    )
}

pub fn write_secret(path: &Path, text: &str) {
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
