//! `verify-bundle --batch` on endless input: refused at the line cap, with bounded memory.
//!
//! Peak memory is read from the kernel's accounting of waited-for children (getrusage), so this
//! file holds one test: no other child of this process can raise the figure.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::process::Command;

fn airlock_batch(dir: &std::path::Path, batch: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["verify-bundle", "--batch"])
        .arg(batch)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn endless_batch_input_is_refused_at_the_cap_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // /dev/zero: not a regular file, refused before a byte is read.
    let (code, err) = airlock_batch(dir.path(), std::path::Path::new("/dev/zero"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("character device"),
        "{err}"
    );
    // A 1.5 GB file without a newline (sparse: zeros): refused at the 64 KiB line cap.
    let big = dir.path().join("no-newline.jsonl");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1536 * 1024 * 1024)
        .unwrap();
    let (code, err) = airlock_batch(dir.path(), &big);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no-newline.jsonl:1: line is longer than the 65536-byte line limit"),
        "{err}"
    );
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    // ru_maxrss is in KiB on Linux: the largest child stayed under 64 MiB.
    let peak_kib = usage.max_rss();
    eprintln!("peak RSS of airlock on endless batch input: {peak_kib} KiB");
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}
