//! Transparency-log entries (`verify::tlog::verify_entry`): a real Rekor v1 or v2 entry with any
//! of its fields replaced by fuzzed values (indices, tree size, proof hashes, body, SET,
//! checkpoint, kind/version), so the index/size arithmetic, the Merkle proof walk and the body
//! parsers see hostile values next to otherwise valid evidence.
#![no_main]

use airlock::verify::tlog::verify_entry;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Mutation {
    rekor2: bool,
    log_index: Option<u64>,
    log_id: Option<Vec<u8>>,
    kind: Option<String>,
    version: Option<String>,
    integrated_time: Option<Option<i64>>,
    inclusion_promise: Option<Option<Vec<u8>>>,
    drop_proof: bool,
    proof_log_index: Option<u64>,
    root_hash: Option<Vec<u8>>,
    tree_size: Option<u64>,
    hashes: Option<Vec<Vec<u8>>>,
    checkpoint: Option<Option<String>>,
    body: Option<Vec<u8>>,
}

fuzz_target!(|m: Mutation| {
    let case = if m.rekor2 {
        airlock_fuzz::rekor2()
    } else {
        airlock_fuzz::rekor1()
    };
    let Some(entry) = case.bundle.tlog_entries.first() else {
        return;
    };
    let mut e = entry.clone();
    if let Some(v) = m.log_index {
        e.log_index = v;
    }
    if let Some(v) = m.log_id {
        e.log_id = v;
    }
    if let Some(v) = m.kind {
        e.kind = v;
    }
    if let Some(v) = m.version {
        e.version = v;
    }
    if let Some(v) = m.integrated_time {
        e.integrated_time = v;
    }
    if let Some(v) = m.inclusion_promise {
        e.inclusion_promise = v;
    }
    if let Some(v) = m.body {
        e.canonicalized_body = v;
    }
    if m.drop_proof {
        e.inclusion_proof = None;
    }
    if let Some(p) = e.inclusion_proof.as_mut() {
        if let Some(v) = m.proof_log_index {
            p.log_index = v;
        }
        if let Some(v) = m.root_hash {
            p.root_hash = v;
        }
        if let Some(v) = m.tree_size {
            p.tree_size = v;
        }
        if let Some(v) = m.hashes {
            p.hashes = v;
        }
        if let Some(v) = m.checkpoint {
            p.checkpoint = v;
        }
    }
    let _ = verify_entry(&e, case.bundle.version, &case.expected(), &case.root);
});
