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
