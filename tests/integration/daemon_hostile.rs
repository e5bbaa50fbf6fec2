//! The daemon at the boundary under hostile and failing conditions, with the real daemon: a name
//! too long to store beside its results, a folder over the entry cap, a full file system. None
//! may wedge the inbox, spin, or lose the file; each is decided, recorded and kept, or waits
//! with backoff and says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::daemon_support;

use std::time::{Duration, Instant};

use daemon_support::*;

fn error_lines(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("\"level\":\"ERROR\""))
        .count()
}

#[test]
fn a_250_byte_name_is_stored_under_a_derived_name_and_recorded_not_retried_forever() {
    let e = env();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let name = format!("{}.tar", "n".repeat(246));
    assert_eq!(name.len(), 250);
    // Written under a short name, then renamed (`.NAME.part` would itself be too long).
    let part = e.inbox.join(".long.part");
    std::fs::copy(example("helm-chart.tar"), &part).unwrap();
    std::fs::rename(&part, e.inbox.join(&name)).unwrap();
    e.wait_idle(Duration::from_secs(60));
    let records = e.records();
    let r = records
        .iter()
        .find(|r| r["tarball"]["name"] == name.as_str())
        .unwrap_or_else(|| panic!("not recorded: {records:?}"));
    assert_eq!(r["verdict"], "accepted", "{r}");
    let kept = r["keptAt"].as_str().unwrap();
    assert!(std::path::Path::new(kept).is_file(), "{kept}");
    assert!(kept.rsplit('/').next().unwrap().len() <= 200, "{kept}");
    assert_eq!(
        std::fs::read(kept).unwrap(),
        std::fs::read(example("helm-chart.tar")).unwrap()
    );
    // Decided once: no error was logged, nothing was retried.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(error_lines(&d.log()), 0, "{}", d.log());
}

#[test]
fn a_folder_over_the_entry_cap_is_decided_and_quarantined_not_left_settling() {
    let e = env();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let staging = e.dir.path().join("big-folder");
    std::fs::create_dir_all(&staging).unwrap();
    for i in 0..60_000 {
        std::fs::write(staging.join(format!("f{i:05}")), b"").unwrap();
    }
    std::fs::rename(&staging, e.inbox.join("big-folder")).unwrap();
    e.wait_idle(Duration::from_secs(120));
    let records = e.records();
    let r = records
        .iter()
        .find(|r| r["tarball"]["name"] == "big-folder")
        .unwrap_or_else(|| panic!("not recorded: {records:?}"));
    assert_eq!(r["verdict"], "rejected");
    // The archive reader's own cap decides it (its code for every entry cap).
    assert_eq!(r["reason"], "too-large", "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("number of entries"),
        "{r}"
    );
    assert_eq!(e.kept("big-folder").len(), 1);
    assert!(d.log().contains("big-folder"), "{}", d.log());
}

/// A small tmpfs holds the data dir and the inbox; it is filled, then freed.
struct Tmpfs {
    dir: std::path::PathBuf,
}

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

#[test]
fn a_full_disk_is_retried_with_backoff_said_once_and_in_readyz_and_queries_still_answer() {
    let base = tempfile::tempdir().unwrap();
    let mnt = base.path().join("fs");
    let Some(fs) = Tmpfs::mount(&mnt, "96m") else {
        eprintln!(
            "SKIPPED (loudly): cannot mount a tmpfs here (not root, or no mount permission); the full-disk test did not run"
        );
        return;
    };
    let e = env_in(&fs.dir);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut d = e.daemon(&["--listen", &listen]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    // Fill the file system, then drop a file (renamed in: no space needed to appear).
    let part = e.inbox.join(".chart.tar.part");
    std::fs::copy(example("helm-chart.tar"), &part).unwrap();
    let filler = fs.dir.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=1M"])
        .arg(format!("of={}", filler.display()))
        .output();
    std::fs::rename(&part, e.inbox.join("chart.tar")).unwrap();
    // Failing: at most a few tries in 4 s (backoff), the error said once, /readyz not ready.
    std::thread::sleep(Duration::from_secs(4));
    let log = d.log();
    assert!(error_lines(&log) >= 1, "no error logged:\n{log}");
    assert!(
        error_lines(&log) <= 2,
        "said more than once per reason:\n{log}"
    );
    let addr: std::net::SocketAddr = listen.parse().unwrap();
    let a = http_get(addr, "/readyz");
    let body = String::from_utf8_lossy(&a.body).into_owned();
    assert_eq!(a.status, 503, "{body}");
    assert!(body.contains("failing"), "{body}");
    // Reads need no space.
    let (code, _, err) = e.cli(&["query", "--json"]);
    assert_eq!(code, 0, "{err}");
    // Space again: the file is imported within the backoff's cap.
    std::fs::remove_file(&filler).unwrap();
    let until = Instant::now() + Duration::from_secs(45);
    while !e
        .records()
        .iter()
        .any(|r| r["tarball"]["name"] == "chart.tar")
    {
        assert!(
            Instant::now() < until,
            "not imported after space came back:\n{}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(http_get(addr, "/readyz").status, 200);
    d.kill();
}

#[test]
fn a_policy_rewritten_with_deep_nesting_is_refused_off_the_worker_and_the_inbox_goes_on() {
    let e = env();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    // 1 MiB of `[`: quadratic for the YAML parser, refused before it by the nesting cap.
    std::fs::write(&e.policy, "a: ".to_string() + &"[".repeat((1 << 20) - 8)).unwrap();
    d.wait_log("nests more than 64 levels deep", Duration::from_secs(30));
    e.drop_bytes(
        "chart.tar",
        &std::fs::read(example("helm-chart.tar")).unwrap(),
    );
    e.wait_idle(Duration::from_secs(60));
    let r = e
        .records()
        .into_iter()
        .find(|r| r["tarball"]["name"] == "chart.tar")
        .unwrap();
    assert_eq!(
        r["verdict"], "accepted",
        "the last valid policy stays in force: {r}"
    );
}

#[test]
fn import_refuses_a_deeply_nested_policy_as_unusable() {
    let e = env();
    let p = e.dir.path().join("nested.yaml");
    std::fs::write(&p, "spec: ".to_string() + &"{a: ".repeat(100_000)).unwrap();
    let (code, out, err) = e.cli(&[
        "import",
        example("helm-chart.tar").to_str().unwrap(),
        "--policy",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nests more than 64 levels deep"), "{err}");
}

#[test]
fn links_planted_in_the_data_dir_are_refused_and_nothing_outside_is_written() {
    let e = env();
    let outside = e.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let victim = outside.join("victim");
    std::fs::write(&victim, b"keep me").unwrap();
    // A linked daemon.lock: the daemon would truncate the file and write its pid into it.
    std::os::unix::fs::symlink(&victim, e.data.join("daemon.lock")).unwrap();
    let mut d = e.daemon(&[]);
    assert_eq!(d.wait_exit(Duration::from_secs(30)), 2, "{}", d.log());
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    std::fs::remove_file(e.data.join("daemon.lock")).unwrap();
    // A linked quarantine: an import refuses to start.
    std::os::unix::fs::symlink(&outside, e.data.join("quarantine")).unwrap();
    let (code, _, err) = e.cli(&[
        "import",
        example("REFUSED-path-traversal.tar").to_str().unwrap(),
        "--policy",
        e.policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("data-dir-link") && err.contains("quarantine"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        1,
        "written outside"
    );
}

#[test]
fn a_new_data_dir_is_created_owner_only_by_any_command() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("fresh");
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["trust", "status"])
        .output()
        .unwrap();
    assert!(out.status.code().is_some());
    for d in [data.clone(), data.join("trust")] {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{}: {mode:o}", d.display());
    }
}

/// One request on the control socket: the 4-byte length, the JSON; the whole answer back.
fn socket_request(sock: &std::path::Path, body: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut c = std::os::unix::net::UnixStream::connect(sock).unwrap();
    c.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
    c.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out
}

/// The socket carries typed requests: no field names a data dir, a command line is not read,
/// and a relative path (which would name the daemon's working folder) is refused.
#[test]
fn a_socket_request_naming_another_data_dir_or_a_relative_path_is_refused() {
    let e = env();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let other = e.dir.path().join("other-data-dir");
    let sock = e.data.join("daemon.sock");
    let argv = serde_json::to_vec(&serde_json::json!({
        "argv": ["trust", "init", format!("--data-dir={}", other.display())]
    }))
    .unwrap();
    let relative = serde_json::to_vec(&serde_json::json!({
        "operation": "trust",
        "request": {"op": {"op": "update", "from": "other-data-dir"}}
    }))
    .unwrap();
    for body in [argv, relative] {
        let answer = socket_request(&sock, &body);
        let text = String::from_utf8_lossy(&answer);
        assert!(text.contains("daemon-request-refused"), "{text}");
    }
    assert!(!other.exists(), "the daemon wrote another data dir");
    d.kill();
}

#[test]
fn slow_drip_clients_cannot_hold_every_socket_slot() {
    use std::io::Write;
    let e = env();
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let sock = e.data.join("daemon.sock");
    // Every slot taken by a client that sends one byte of its length and stops.
    let drips: Vec<_> = (0..20)
        .map(|_| {
            let mut c = std::os::unix::net::UnixStream::connect(&sock).unwrap();
            let _ = c.write_all(&[0]);
            c
        })
        .collect();
    // Past the request deadline (10 s) the slots are free again: the CLI gets through.
    std::thread::sleep(Duration::from_secs(11));
    let (code, _, err) = e.cli(&["query", "--json"]);
    assert_eq!(code, 0, "{err}");
    drop(drips);
    d.kill();
}

#[test]
fn smaller_edges_folder_digest_stdin_batch_non_utf8_path_and_api_parameters() {
    use std::os::unix::ffi::OsStrExt;
    let e = env();
    // A folder input gets a stable digest (of its sha256sum-style listing) and its size, so
    // `query --tarball` finds it.
    let blobs = example("release-blobs");
    let (code, out, err) = e.cli(&[
        "import",
        blobs.to_str().unwrap(),
        "--policy",
        e.policy.to_str().unwrap(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &report["inputs"][0]["tarball"];
    let digest = t["sha256"].as_str().unwrap().to_string();
    assert_eq!(digest.len(), 64, "{t}");
    assert!(t["size"].as_u64().unwrap() > 0, "{t}");
    let (code, out, _) = e.cli(&["query", "--tarball", &digest, "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("release-blobs"), "{out}");

    // `verify-bundle --batch -` reads standard input (no daemon runs).
    let mut c = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&e.data)
        .args(["verify-bundle", "--batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = c.stdin.take().unwrap();
        writeln!(stdin, "{{\"bundle\": \"/nonexistent.json\", \"artifact_digest\": \"sha256:{}\", \"key\": \"/nonexistent.pem\"}}", "a".repeat(64)).unwrap();
    }
    let out = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"verified\""),
        "read no line from stdin: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // With the daemon running: a path that is not UTF-8 is refused at once, saying why.
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut d = e.daemon(&["--listen", &addr.to_string()]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    let odd = e
        .dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"bad-\xff.tar"));
    std::fs::copy(example("helm-chart.tar"), &odd).unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&e.data)
        .arg("import")
        .arg(&odd)
        .arg("--policy")
        .arg(&e.policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not UTF-8"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The API refuses what it cannot answer: limit=0, a digest with one hex too many.
    assert_eq!(http_get(addr, "/v1/results?limit=0").status, 400);
    let long = format!("/v1/artifacts/sha256:{}", "a".repeat(65));
    assert_eq!(http_get(addr, &long).status, 400);
    let short = format!("/v1/results?digest=sha256:{}", "a".repeat(10));
    assert_eq!(http_get(addr, &short).status, 400);
    d.kill();
}

/// Two bind mounts of one file system (what two systemd `ReadWritePaths=` entries make): one
/// device, but rename(2) between them fails with EXDEV. The daemon refuses to start, naming it.
#[test]
fn an_inbox_on_another_mount_of_the_same_file_system_is_refused_at_start() {
    let e = env();
    let base = e.dir.path().join("mounts");
    let (m_data, m_inbox) = (base.join("data"), base.join("inbox"));
    std::fs::create_dir_all(&m_data).unwrap();
    std::fs::create_dir_all(&m_inbox).unwrap();
    let bind = |from: &std::path::Path, to: &std::path::Path| {
        std::process::Command::new("mount")
            .arg("--bind")
            .arg(from)
            .arg(to)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !bind(&e.data, &m_data) {
        eprintln!("SKIPPED (loudly): cannot bind-mount here (not root, or no mount permission); the two-mounts test did not run");
        return;
    }
    let ok = bind(&e.inbox, &m_inbox);
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&m_data)
        .args(["daemon", "--inbox"])
        .arg(&m_inbox)
        .arg("--policy")
        .arg(&e.policy)
        .output()
        .unwrap();
    for m in [&m_inbox, &m_data] {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(m)
            .status();
    }
    assert!(ok);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inbox-other-filesystem"), "{err}");
}
