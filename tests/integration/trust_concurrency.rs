//! Concurrent writers of one trust store (threads of one process, and processes of the real
//! binary), and clean-up of what a crashed update left in `trust/tmp/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::trust_support;

use std::path::Path;
use std::process::Command;

use airlock::trust::{self, CrashPoint};
use trust_support::*;

fn at_0822() -> Option<airlock::time::Timestamp> {
    Some(t("2026-08-22T00:00:00Z"))
}

fn tmp_entries(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir.join("trust/tmp"))
        .unwrap()
        .count()
}

/// Two updates at once, from the 2026-08-20 (timestamp 761) and 2026-08-21 (timestamp 762)
/// states: whichever order the lock gives them, the store ends at timestamp 762 and the history
/// records both outcomes (accepted + accepted, or accepted + refused as a rollback), never a lost
/// switch or a `concurrent-update` error.
fn assert_both_updates_recorded(d: &Path, results: &[(String, i32)]) {
    let history_before = 1; // the init of `store_at_root12`
    let h = trust::history(d, today()).unwrap();
    assert_eq!(h.unreadable_lines, 0);
    assert_eq!(h.entries.len(), history_before + 2, "{:?}", h.entries);
    let new = h.entries.get(history_before..).unwrap();
    let accepted = new.iter().filter(|e| e.outcome == "accepted").count();
    let refused: Vec<_> = new.iter().filter(|e| e.outcome == "refused").collect();
    assert_eq!(accepted + refused.len(), 2);
    assert!(refused
        .iter()
        .all(|e| e.code.as_deref() == Some("rollback")));
    for (code, _) in results {
        assert!(code == "ok" || code == "rollback", "{results:?}");
    }
    // The generation in force is the last accepted one, and it is the newest state.
    let last_accepted = new.iter().rev().find(|e| e.outcome == "accepted").unwrap();
    assert_eq!(h.current, last_accepted.generation);
    let status = trust::status(d, today()).unwrap();
    assert_eq!(status.root.digest, DIGEST_ROOT15);
    assert_eq!(status.tuf.unwrap().timestamp.version, 762);
    assert_eq!(tmp_entries(d), 0);
    // The store is consistent: the root in force loads and matches its record.
    trust::active_root(d, today()).unwrap();
}

#[test]
fn concurrent_updates_in_threads_are_serialized() {
    let d = store_at_root12();
    let results: Vec<(String, i32)> = std::thread::scope(|s| {
        let handles: Vec<_> = ["2026-08-20_root15", "2026-08-21_root15"]
            .into_iter()
            .map(|name| {
                let dir = d.path();
                let from = state(name);
                s.spawn(
                    move || match trust::update_from(dir, &from, today(), at_0822()) {
                        Ok(o) => {
                            assert!(o.changed);
                            ("ok".to_string(), 0)
                        }
                        Err(e) => (e.code().to_string(), i32::from(e.exit_code())),
                    },
                )
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_both_updates_recorded(d.path(), &results);
}

#[test]
fn concurrent_updates_by_two_processes_are_serialized() {
    let d = store_at_root12();
    let children: Vec<_> = ["2026-08-20_root15", "2026-08-21_root15"]
        .into_iter()
        .map(|name| {
            Command::new(env!("CARGO_BIN_EXE_airlock"))
                .arg("--data-dir")
                .arg(d.path())
                .args(["trust", "update", "--from"])
                .arg(state(name))
                .args(["--at", "2026-08-22T00:00:00Z"])
                .env_remove("AIRLOCK_DATA_DIR")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let results: Vec<(String, i32)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let code = out.status.code().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            // Exit 1 is a refusal; the history check below requires it to be a rollback.
            match code {
                0 => ("ok".to_string(), 0),
                1 => ("rollback".to_string(), 1),
                _ => (stderr, code),
            }
        })
        .collect();
    assert_both_updates_recorded(d.path(), &results);
}

#[test]
fn crash_leftovers_in_tmp_are_removed_by_the_next_update() {
    let d = store_at_root12();
    let e = trust::update_from_crashing(
        d.path(),
        &state("2026-08-21_root15"),
        today(),
        at_0822(),
        CrashPoint::AfterStaging,
    )
    .unwrap_err();
    assert_eq!(e.code(), "simulated-crash");
    // The power cut left the staged generation in tmp/.
    assert!(tmp_entries(d.path()) > 0);
    // Readers neither need nor take the lock, and see the old root.
    assert_eq!(
        trust::active_root(d.path(), today()).unwrap().info.digest,
        DIGEST_ROOT12
    );

    let o = trust::update_from(d.path(), &state("2026-08-21_root15"), today(), at_0822()).unwrap();
    assert!(o.changed);
    assert_eq!(tmp_entries(d.path()), 0);
    let active = trust::active_root(d.path(), today()).unwrap();
    assert_eq!(active.info.digest, DIGEST_ROOT15);
    let h = trust::history(d.path(), today()).unwrap();
    assert_eq!(h.current.as_deref(), Some(o.generation.as_str()));
    assert_eq!(h.entries.last().unwrap().outcome, "accepted");
}
