//! The Makefile's `run` honours CARGO_TARGET_DIR: it runs the binary cargo built there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn make_run_uses_the_binary_under_cargo_target_dir() {
    let out = std::process::Command::new("make")
        .args(["-n", "run"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", "/elsewhere/target")
        .output();
    let Ok(out) = out else {
        panic!("make is needed for `make run` and `make test`");
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("/elsewhere/target/release/airlock --data-dir"),
        "{text}"
    );
    assert!(!text.contains(" target/release/airlock"), "{text}");
}

/// `make install` writes the binary, the unit and the docs where it says, and nothing else.
#[test]
fn make_install_writes_only_the_paths_it_names() {
    let dest = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("make")
        // The binary the tests built stands in for the release build.
        .args(["-o", "build", "install"])
        .arg(format!("DESTDIR={}", dest.path().display()))
        .arg(format!("AIRLOCK={}", env!("CARGO_BIN_EXE_airlock")))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = Vec::new();
    let mut stack = vec![dest.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p.strip_prefix(dest.path()).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        [
            "etc/systemd/system/airlock.service",
            "usr/local/bin/airlock",
            "usr/local/share/doc/airlock/README.md",
            "usr/local/share/doc/airlock/https-api.conf",
        ]
    );
    let unit =
        std::fs::read_to_string(dest.path().join("etc/systemd/system/airlock.service")).unwrap();
    for line in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        // One bind mount for the data dir and the inbox: rename(2) fails between two.
        "ReadWritePaths=/var/lib/airlock\n",
        "--inbox /var/lib/airlock/inbox",
        "AIRLOCK_DATA_DIR=/var/lib/airlock/data",
        "PrivateNetwork=yes",
        "User=airlock",
    ] {
        assert!(unit.contains(line), "the unit lacks {line}");
    }
}

/// The shipped unit, booted for real: systemd (the machine's own, in a container made by
/// `systemd-nspawn --boot` over an overlay of the machine's root), the unit's one-time set-up as
/// its comments give it, a tarball dropped into the inbox by a member of the drop group, and the
/// verdict read back through the daemon's socket. Skipped, loudly, where the machine cannot boot
/// a container (not root, no systemd-nspawn, no overlay mounts).
#[test]
fn the_shipped_unit_boots_under_systemd_and_takes_a_file_from_its_inbox() {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let skip = |why: &str| eprintln!("SKIPPED (loudly): the systemd boot test did not run: {why}");
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref().ok() != Some("0") {
        return skip("not root");
    }
    let nspawn = ["/usr/bin/systemd-nspawn", "/bin/systemd-nspawn"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(nspawn) = nspawn else {
        return skip("systemd-nspawn is not installed (Debian package systemd-container; `make test` installs it)");
    };
    if !Path::new("/lib/systemd/systemd").exists() {
        return skip("the machine has no systemd to boot");
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = Path::new("/dev/shm").join(format!("airlock-unit-test-{}", std::process::id()));
    let root = base.join("root");
    for d in ["upper", "work", "root"] {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    struct Cleanup(std::path::PathBuf, Option<std::process::Child>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Some(mut c) = self.1.take() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(c.id().to_string())
                    .status();
                let until = Instant::now() + Duration::from_secs(20);
                while Instant::now() < until && c.try_wait().ok().flatten().is_none() {
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.0.join("root"))
                .status();
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let mut guard = Cleanup(base.clone(), None);
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o"])
        .arg(format!(
            "lowerdir=/,upperdir={},workdir={}",
            base.join("upper").display(),
            base.join("work").display()
        ))
        .arg(&root)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        return skip("cannot mount an overlay of the machine's root");
    }
    let run = |args: &[&str]| {
        let out = Command::new("chroot")
            .arg(&root)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let put = |rel: &str, from: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    put(
        "usr/local/bin/airlock",
        Path::new(env!("CARGO_BIN_EXE_airlock")),
        0o755,
    );
    put(
        "etc/systemd/system/airlock.service",
        &manifest.join("dist/airlock.service"),
        0o644,
    );
    put(
        "tmp/root.json",
        &manifest.join("bundles/import/test-trust-root.TEST-ONLY.json"),
        0o644,
    );
    put(
        "tmp/chart.tar",
        &manifest.join("bundles/import/helm-chart.tar"),
        0o644,
    );
    std::fs::write(
        root.join("tmp/policy.yaml"),
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: all\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - keyless:\n      identities:\n      - issuerRegExp: '.*'\n        subjectRegExp: '.*'\n",
    )
    .unwrap();
    // The one-time set-up, as the unit's comments give it.
    run(&[
        "useradd",
        "--system",
        "--home-dir",
        "/var/lib/airlock",
        "--shell",
        "/usr/sbin/nologin",
        "airlock",
    ]);
    run(&["groupadd", "--system", "airlock-drop"]);
    run(&[
        "install",
        "-d",
        "-o",
        "airlock",
        "-g",
        "airlock-drop",
        "-m",
        "0710",
        "/var/lib/airlock",
    ]);
    run(&[
        "install",
        "-d",
        "-o",
        "airlock",
        "-g",
        "airlock",
        "-m",
        "0700",
        "/var/lib/airlock/data",
    ]);
    run(&[
        "install",
        "-d",
        "-o",
        "airlock",
        "-g",
        "airlock-drop",
        "-m",
        "2770",
        "/var/lib/airlock/inbox",
    ]);
    run(&[
        "runuser",
        "-u",
        "airlock",
        "--",
        "env",
        "AIRLOCK_DATA_DIR=/var/lib/airlock/data",
        "airlock",
        "trust",
        "import",
        "--trusted-root",
        "/tmp/root.json",
    ]);
    run(&[
        "install",
        "-o",
        "airlock",
        "-g",
        "airlock",
        "-m",
        "0600",
        "/tmp/policy.yaml",
        "/var/lib/airlock/data/policy.yaml",
    ]);
    run(&["useradd", "--system", "-G", "airlock-drop", "dropper"]);
    std::fs::create_dir_all(root.join("etc/systemd/system/multi-user.target.wants")).unwrap();
    std::os::unix::fs::symlink(
        "/etc/systemd/system/airlock.service",
        root.join("etc/systemd/system/multi-user.target.wants/airlock.service"),
    )
    .unwrap();
    let _ = std::fs::remove_file(root.join("etc/machine-id"));
    let log = base.join("nspawn.log");
    let child = Command::new(nspawn)
        .arg("-D")
        .arg(&root)
        .args([
            "--boot",
            "--private-network",
            "--register=no",
            "--keep-unit",
            "--link-journal=no",
        ])
        .arg(format!("--machine=airlock-test-{}", std::process::id()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    guard.1 = Some(child);
    let data = root.join("var/lib/airlock/data");
    let until = Instant::now() + Duration::from_secs(90);
    while !data.join("daemon.sock").exists() {
        if Instant::now() > until {
            panic!(
                "the unit did not start within 90 s:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // A member of the drop group drops a file, write-then-rename.
    run(&["runuser", "-u", "dropper", "--", "sh", "-c", "cp /tmp/chart.tar /var/lib/airlock/inbox/.chart.tar.part && mv /var/lib/airlock/inbox/.chart.tar.part /var/lib/airlock/inbox/chart.tar"]);
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        // Through the daemon's socket (the daemon holds the ledger).
        let out = crate::common::cmd::TestCommand::new(&data)
            .args(["query", "--json"])
            .run()
            .output;
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("\"chart.tar\"") {
            assert!(
                text.contains("\"verdict\": \"accepted\"")
                    || text.contains("\"verdict\":\"accepted\""),
                "{text}"
            );
            break;
        }
        if Instant::now() > until {
            panic!(
                "chart.tar was not recorded within 60 s:\n{text}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(std::fs::read_dir(root.join("var/lib/airlock/inbox"))
        .unwrap()
        .next()
        .is_none());
    // `systemd-analyze security`: the unit stays at its exposure (0.6 "SAFE") or better.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(root.join("etc/systemd/system/airlock.service"))
        .output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if let Some(level) = text
            .lines()
            .find_map(|l| l.split("airlock.service: ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
        {
            assert!(level <= 0.6, "exposure {level} (was 0.6):\n{text}");
        }
    }
}
