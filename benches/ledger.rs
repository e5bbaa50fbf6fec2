//! Ledger figures for `make bench` (not criterion: a million records are built once): records/s
//! appended in import-sized transactions, database bytes per record, query latency by digest
//! and by identity (p50, p99 over 1,000 lookups), and `audit verify` throughput. LEDGER_N sets
//! the number of records (default 1,000,000). Prints one line a figure; asserts nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

mod synthetic;

use airlock::store::{Filter, Ledger, RecordInput};
use synthetic::{input, percentile};

fn dir_bytes(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        dir_bytes(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// What recording costs an import of small blobs: `rounds` imports of the examples'
/// `release-blobs` folder (a file, its Sigstore bundle and an HMAC proof record) decided by the
/// library, each then recorded in its own flushed transaction; and how much evidence the records
/// name against what the ledger stores (each piece once).
fn recording_overhead(rounds: usize) {
    use airlock::import::check::Trusted;
    let ex = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bundles/import");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let root_bytes = std::fs::read(ex.join("test-trust-root.TEST-ONLY.json")).unwrap();
    let verifier = airlock::verify::Verifier::new(
        airlock::trust::trusted_root::TrustedRoot::from_json(&root_bytes).unwrap(),
    );
    let trusted = [Trusted {
        verifier: &verifier,
        root: Default::default(),
    }];
    let key = std::fs::read(ex.join("hmac-example.key")).unwrap();
    let loader = move |_: &str| -> Result<Vec<u8>, String> {
        Ok(key.strip_suffix(b"\n").unwrap_or(&key).to_vec())
    };
    let policy_path = ex.join("policy.TEST-ONLY.yaml");
    let policies = airlock::policy::cip::PolicySet::parse(
        &policy_path.display().to_string(),
        &std::fs::read(&policy_path).unwrap(),
        &loader,
    )
    .unwrap();
    let l = Ledger::open(&data, None).unwrap();
    let inputs = [ex.join("release-blobs")];
    let (mut t_import, mut t_record, mut named, mut records) = (0.0, 0.0, 0u64, 0usize);
    for _ in 0..rounds {
        let now = airlock::clock::now();
        let req = airlock::import::Request {
            inputs: &inputs,
            data_dir: &data,
            policies: &policies,
            roots: &trusted,
            now,
            progress: None,
            keep: true,
            import_id: None,
            image: None,
            checked: None,
        };
        let t = Instant::now();
        let out = airlock::import::run(&req).unwrap();
        t_import += t.elapsed().as_secs_f64();
        assert_eq!(
            out.report.verdict,
            airlock::import::report::Verdict::Accepted
        );
        let recs = airlock::import::ledger_records(&out.report);
        records += recs.len();
        named += out.blobs.values().map(|b| b.len() as u64).sum::<u64>();
        let t = Instant::now();
        l.append_with(&recs, &out.blobs, now).unwrap();
        t_record += t.elapsed().as_secs_f64();
    }
    let stored = l.evidence_bytes();
    println!(
        "ledger: {rounds} imports of small blobs (release-blobs): import {:.2} ms each, recording {:.2} ms each ({records} records, one flushed transaction an import): recording adds {:.1}% to the import ({:.0} records/s recorded)",
        t_import * 1000.0 / rounds as f64,
        t_record * 1000.0 / rounds as f64,
        t_record / t_import * 100.0,
        records as f64 / t_record
    );
    println!(
        "ledger: evidence named by those records {named} bytes, stored {stored} bytes: dedup ratio {:.1}:1",
        named as f64 / stored.max(1) as f64
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list`
    }
    recording_overhead(if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        3
    });
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it: then
    // a thousand records only, as a smoke test that the benchmark still works.
    let benching = std::env::args().any(|a| a == "--bench");
    let default_n = if benching { 1_000_000 } else { 1_000 };
    let n: u64 = std::env::var("LEDGER_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_n);
    let tmp = tempfile::tempdir().unwrap();
    let l = Ledger::open(tmp.path(), None).unwrap();
    let now = airlock::clock::now();
    let batch = 100u64; // an import of a hundred artifacts
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let inputs: Vec<RecordInput> = (i..(i + batch).min(n)).map(input).collect();
        l.append(&inputs, now).unwrap();
        i += batch;
    }
    let secs = t.elapsed().as_secs_f64();
    println!("ledger: {n} records appended in {secs:.1} s: {:.0} records/s (transactions of {batch}, each flushed)", n as f64 / secs);
    let bytes = dir_bytes(&tmp.path().join("ledger"));
    println!(
        "ledger: {} bytes on disk, {:.0} bytes per record",
        bytes,
        bytes as f64 / n as f64
    );
    for (what, make) in [
        (
            "digest",
            Box::new(|k: u64| Filter {
                digest: Some(synthetic::digest(k)),
                limit: Some(10),
                ..Filter::default()
            }) as Box<dyn Fn(u64) -> Filter>,
        ),
        (
            "identity",
            Box::new(|k: u64| Filter {
                identity: Some(format!(
                    "https://github.com/acme/app-{}/.github/workflows/release.yml@refs/heads/main",
                    k % 5000
                )),
                limit: Some(10),
                ..Filter::default()
            }),
        ),
    ] {
        let mut lat = Vec::new();
        for q in 0..1000u64 {
            let k = q.wrapping_mul(7919) % n;
            let f = make(k);
            let t = Instant::now();
            let r = l.query(&f).unwrap();
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!r.is_empty());
        }
        println!(
            "ledger: query by {what} (limit 10): p50 {:.3} ms, p99 {:.3} ms",
            percentile(&mut lat, 0.5),
            percentile(&mut lat, 0.99)
        );
    }
    let t = Instant::now();
    let a = l.audit().unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ledger: audit verify of {} records in {secs:.1} s: {:.0} records/s, intact {}",
        a.records,
        a.records as f64 / secs,
        a.intact
    );
}
