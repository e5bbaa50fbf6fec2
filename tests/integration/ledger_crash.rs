//! Crashes during an import, for real: the process aborted at each step of recording (in-process
//! fault points), and killed with SIGKILL at several instants of a longer import. Each time the
//! ledger stays consistent (`audit verify` green) and holds the import whole or not at all, and
//! the next import clears what the killed one left in staging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::import_support;

use std::process::Command;
use std::time::Duration;

use import_support::*;
use serde_json::Value;

fn records(e: &Env) -> Vec<Value> {
    let out = crate::common::cmd::TestCommand::new(&e.data)
        .args(["query", "--json", "--limit", "100000"])
        .run()
        .output;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn audit_green(e: &Env) {
    let out = crate::common::cmd::TestCommand::new(&e.data)
        .args(["audit", "verify"])
        .run()
        .output;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn import_cmd(e: &Env, inputs: &[&std::path::Path]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_airlock"));
    c.arg("--data-dir")
        .arg(&e.data)
        .arg("import")
        .args(inputs)
        .arg("--policy")
        .arg(&e.policy)
        .arg("--trusted-root")
        .arg(&e.root)
        .arg("--json");
    c
}

#[test]
fn a_crash_at_each_step_of_recording_leaves_the_import_whole_or_absent() {
    for point in ["before-record", "in-transaction", "before-flush"] {
        let e = env(&all_policy());
        let (l, _) = saved_legacy_image("ghcr.io/acme/app:v1");
        let good = e.file("good.tar", &oci::tar(&l.files("")));
        let bad = e.file("bad.tar", b"not an archive");
        assert_eq!(e.import(&[&good]).code, 0);
        let out = import_cmd(&e, &[&good, &bad])
            .env("AIRLOCK_CRASH_AT", point)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            None,
            "{point}: the process must have died"
        );
        audit_green(&e);
        let n = records(&e).len();
        assert!(
            n == 1 || n == 3,
            "{point}: {n} records: the import is neither whole nor absent"
        );
        // The next import works, and leaves nothing in staging.
        assert_eq!(e.import(&[&good]).code, 0, "{point}");
        audit_green(&e);
        e.assert_clean_staging();
    }
}

#[test]
fn sigkill_at_several_instants_of_an_import_never_breaks_the_ledger() {
    let e = env(&all_policy());
    // An image with a 48 MiB layer: long enough to be killed at several instants.
    let mut l = oci::Layout::new();
    let big: Vec<u8> = (0..48u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let layer = l.put(oci::OCI_LAYER, big);
    let config = l.put(
        oci::OCI_CONFIG,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    let img = l.manifest(config, vec![layer], None, None);
    let (m, payload) =
        oci::mint_legacy_signature(img["digest"].as_str().unwrap(), "ghcr.io/acme/big:1");
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        img,
        serde_json::json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    l.list(
        sig,
        serde_json::json!({"kind": "dev.cosignproject.cosign/sigs"}),
    );
    let t = e.file("big.tar", &oci::tar(&l.files("")));
    for delay_ms in [5u64, 30, 80, 150, 300, 600] {
        let mut child = import_cmd(&e, &[&t])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        audit_green(&e);
        // Every import in the ledger is whole: one record for its one artifact.
        let rs = records(&e);
        let mut per_import = std::collections::BTreeMap::new();
        for r in &rs {
            *per_import
                .entry(r["importId"].as_str().unwrap_or("").to_string())
                .or_insert(0) += 1;
        }
        assert!(per_import.values().all(|n| *n == 1), "{per_import:?}");
    }
    let r = e.import(&[&t]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    audit_green(&e);
    e.assert_clean_staging();
}
