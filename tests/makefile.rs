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
