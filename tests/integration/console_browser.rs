//! The console in a real browser: Debian's Chromium, headless, against the daemon on loopback
//! with a ledger holding accepted, refused and hostile imports. Each page loads with no console
//! message and no CSP violation (Chromium logs both), shows what it must (the stale trust root,
//! the inbox depth, the refusal in words and what to do), and hostile names (`<script>`, bidi
//! overrides, control characters) appear as text and run nothing. Under mutual TLS a browser
//! without a client certificate gets nothing. Screenshots of every page go to
//! `target/console-screenshots/` for a person to look at.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::daemon_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use daemon_support::{ca, example, free_port, leaf, write_secret, Env};

/// A file name (no `/` in it) that would run if it reached the page as markup.
const HOSTILE: &str = "<script src=data:,document.title=1>\u{202e}gpj.exe\u{7}.tar";
const HOSTILE_REFUSED: &str = "<img src=x onerror=alert(1)>.tar";

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn skipped(test: &str) -> bool {
    if chromium().is_some() {
        return false;
    }
    eprintln!(
        "SKIPPED (loudly): {test}: Chromium is not installed (Debian package chromium; `make test` installs it)"
    );
    true
}

/// What Chromium made of a page: the DOM after load, and every console line it logged
/// (messages and CSP violations).
struct Visit {
    dom: String,
    console: Vec<String>,
}

/// Loads `url` in headless Chromium (no network but loopback, a fresh profile), dumps its DOM,
/// and takes a screenshot to `shot` when given (at `size`, with `scale`).
fn visit(url: &str, profile: &Path, shot: Option<(&Path, &str, &str)>, extra: &[&str]) -> Visit {
    let browser = chromium().unwrap();
    let mut base: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-proxy-server",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    base.push(format!("--user-data-dir={}", profile.display()));
    base.extend(extra.iter().map(|s| s.to_string()));
    let run = |args: &[String]| -> (String, String) {
        let mut child = Command::new(browser)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("Chromium did not finish loading {url} in 90 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut args = base.clone();
    args.push("--dump-dom".into());
    args.push(url.into());
    let (dom, log) = run(&args);
    let console: Vec<String> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Content Security Policy"))
        .map(str::to_string)
        .collect();
    if let Some((file, size, scale)) = shot {
        let mut args = base;
        args.push(format!("--screenshot={}", file.display()));
        args.push(format!("--window-size={size}"));
        args.push(format!("--force-device-scale-factor={scale}"));
        args.push(url.into());
        let _ = run(&args);
        assert!(file.exists(), "no screenshot of {url}");
    }
    Visit { dom, console }
}

fn shots_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A data dir whose public-good trust root is the factory one (its TUF metadata expired in
/// August 2026: stale today), with accepted, refused and hostile imports made by the CLI against
/// the examples' TEST-ONLY root.
fn ledger_with_imports() -> (Env, String, String) {
    let e = daemon_support::env_without_trust_root();
    let dir = e.dir.path().join("stick");
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = dir.join(HOSTILE);
    std::fs::copy(example("cosign-legacy-signature.tar"), &hostile).unwrap();
    let hostile_refused = dir.join(HOSTILE_REFUSED);
    std::fs::copy(example("REFUSED-path-traversal.tar"), &hostile_refused).unwrap();
    let mut ids = Vec::new();
    for inputs in [
        vec![
            example("cosign-new-format-with-sbom-and-slsa.tar.gz"),
            example("hauler-multi-arch.tar.zst"),
        ],
        vec![
            example("REFUSED-signature-for-another-image.tar"),
            hostile.clone(),
            hostile_refused.clone(),
        ],
    ] {
        let mut args: Vec<String> = vec!["import".into()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args.extend([
            "--policy".into(),
            e.policy.display().to_string(),
            "--trusted-root".into(),
            example("test-trust-root.TEST-ONLY.json")
                .display()
                .to_string(),
            "--json".into(),
        ]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, out, err) = e.cli(&refs);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        ids.push(v["importId"].as_str().unwrap().to_string());
    }
    (e, ids[0].clone(), ids[1].clone())
}

#[test]
fn every_console_page_loads_clean_in_chromium_and_hostile_names_stay_text() {
    if skipped("console pages in Chromium") {
        return;
    }
    let (e, accepted_id, refused_id) = ledger_with_imports();
    // Three files wait in the inbox while the daemon settles (a long settle keeps them there).
    for n in ["a.tar", "b.tar", "c.tar"] {
        e.drop_bytes(n, b"waiting");
    }
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = e.daemon(&["--listen", &listen, "--settle-ms", "600000"]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let base = format!("http://{listen}");
    let shots = shots_dir();
    let profile = e.dir.path().join("chromium-profile");

    let digest = {
        let (_, out, _) = e.cli(&["query", "--json", "--verdict", "accepted"]);
        let v: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        v.iter()
            .find_map(|r| r["artifact"]["digest"].as_str())
            .unwrap()
            .to_string()
    };
    let pages = [
        ("overview", "/".to_string()),
        ("imports", "/imports".to_string()),
        ("import-accepted", format!("/imports/{accepted_id}")),
        ("import-refused", format!("/imports/{refused_id}")),
        ("quarantine", "/quarantine".to_string()),
        ("artifact", format!("/artifacts/{digest}")),
        ("trust-history", "/trust".to_string()),
        ("search", "/imports?q=acme&verdict=accepted".to_string()),
    ];
    for (name, path) in &pages {
        let file = shots.join(format!("{name}.png"));
        let v = visit(
            &format!("{base}{path}"),
            &profile,
            Some((&file, "1280,1100", "1")),
            &[],
        );
        assert!(
            v.console.is_empty(),
            "{path}: console messages or CSP violations:\n{}",
            v.console.join("\n")
        );
        assert!(v.dom.contains("<main"), "{path} did not render: {}", v.dom);
        // No page carries a script, and nothing from outside became one.
        assert!(
            !v.dom.to_lowercase().contains("<script"),
            "{path}: a script element"
        );
        assert!(!v.dom.contains("<img"), "{path}: an image element");
        assert!(
            v.dom.contains("· airlock</title>"),
            "{path}: the title changed: a hostile name ran"
        );
        match *name {
            "overview" => {
                assert!(
                    v.dom.contains("STALE"),
                    "the stale trust root is not shown loudly"
                );
                assert!(
                    v.dom.contains("airlock trust update"),
                    "no remedy for the stale root"
                );
                let depth = v.dom.split("Waiting or in progress").nth(1).unwrap_or("");
                assert!(
                    depth.contains(">3<"),
                    "the inbox depth is not 3: {depth:.200}"
                );
            }
            "import-refused" => {
                assert!(v.dom.contains("[payload-digest-mismatch]"), "{}", v.dom);
                assert!(
                    v.dom.contains("the signature is for another image"),
                    "reason in words"
                );
                assert!(v.dom.contains("[unsafe-archive]"));
                // The hostile names, as text: escaped markup, the bidi override made visible.
                assert!(
                    v.dom.contains("&lt;script src=data:,document.title=1&gt;"),
                    "{}",
                    v.dom
                );
                assert!(v.dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
                assert!(
                    !v.dom.contains('\u{202e}'),
                    "a raw bidi override reached the page"
                );
                assert!(
                    !v.dom.contains('\u{7}'),
                    "a raw control character reached the page"
                );
            }
            "quarantine" => {
                assert!(
                    v.dom.contains("the stick was altered or corrupted")
                        || v.dom.contains("not a usable export")
                );
                assert!(v.dom.contains(&format!("/imports/{refused_id}")));
            }
            "trust-history" => assert!(v.dom.contains("factory-install")),
            "artifact" => assert!(v.dom.contains(&digest)),
            _ => {}
        }
    }
    // Readable on a narrow screen and at 200% zoom (looked at by a person; loads clean here).
    for (name, size, scale) in [
        ("overview-narrow", "400,1400", "1"),
        ("overview-200pct", "1280,1100", "2"),
    ] {
        let v = visit(
            &format!("{base}/"),
            &profile,
            Some((&shots.join(format!("{name}.png")), size, scale)),
            &[],
        );
        assert!(v.console.is_empty(), "{}", v.console.join("\n"));
    }
    // With JavaScript off nothing changes: no page carries a script (checked on every page
    // above), and every filter is a plain GET form.
    d.stop(Duration::from_secs(20));
}

#[test]
fn console_pages_carry_a_strict_policy_and_refuse_what_is_not_a_get() {
    let e = daemon_support::env();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = e.daemon(&["--listen", &listen]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let addr: std::net::SocketAddr = listen.parse().unwrap();
    for path in ["/", "/imports", "/quarantine", "/trust"] {
        let a = daemon_support::http_get(addr, path);
        assert_eq!(a.status, 200, "{path}");
        let csp = a.header("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(a.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
    }
    // A hostile query or path is answered as a page, escaped; nothing else than GET is served.
    let a = daemon_support::http_get(addr, "/imports?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(a.status, 200);
    assert!(!String::from_utf8_lossy(&a.body).contains("<script>alert"));
    let a = daemon_support::http_get(addr, "/imports/%3Cscript%3E");
    assert_eq!(a.status, 404);
    assert!(!String::from_utf8_lossy(&a.body).contains("<script>"));
    let a = daemon_support::http_get(addr, "/imports?bogus=1");
    assert_eq!(a.status, 400);
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let a = daemon_support::exchange(
        &mut s,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(a.status, 405);
    d.stop(Duration::from_secs(20));
}

#[test]
fn under_mutual_tls_a_browser_without_a_client_certificate_gets_nothing() {
    if skipped("console under mutual TLS") {
        return;
    }
    let e = daemon_support::env();
    let server_ca = ca("console test server CA");
    let clients = ca("console test client CA");
    let (cert, key) = leaf(&server_ca, "localhost", true);
    let dir = e.dir.path().join("tls");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("server.crt"), &cert).unwrap();
    write_secret(&dir.join("server.key"), &key);
    std::fs::write(dir.join("clients.crt"), &clients.pem).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = e.daemon(&[
        "--listen",
        &listen,
        "--tls-cert",
        dir.join("server.crt").to_str().unwrap(),
        "--tls-key",
        dir.join("server.key").to_str().unwrap(),
        "--client-ca",
        dir.join("clients.crt").to_str().unwrap(),
    ]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let profile = e.dir.path().join("chromium-profile");
    // The server's certificate is accepted (the test CA is not in Chromium's store); the client
    // has none to give.
    let v = visit(
        &format!("https://127.0.0.1:{port}/"),
        &profile,
        None,
        &["--ignore-certificate-errors"],
    );
    assert!(
        !v.dom.contains("Trust roots"),
        "the console answered a client without a certificate"
    );
    assert!(!v.dom.contains("Overview · airlock"));
    // With a certificate from the client CA the same page answers (rustls client).
    let (ccert, ckey) = leaf(&clients, "desk", false);
    let cfg = daemon_support::tls_client(&server_ca.pem, Some((&ccert, &ckey)));
    let a = daemon_support::https_get(listen.parse().unwrap(), &cfg, "/").unwrap();
    assert_eq!(a.status, 200);
    assert!(String::from_utf8_lossy(&a.body).contains("Trust roots"));
    d.stop(Duration::from_secs(20));
}
