//! The ledger as a database: append and read back, query by each index, and the chain naming
//! the first broken link for each kind of tampering.

use super::*;

fn input(n: u64, verdict: &str) -> RecordInput {
    RecordInput {
        kind: RecordKind::Artifact,
        import_id: Some(format!("imp-{}", n % 2)),
        artifact: Some(record::ArtifactRef {
            name: format!("app-{n}"),
            digest: format!("sha256:{n:064x}"),
            ..Default::default()
        }),
        verdict: Verdict::parse(verdict).unwrap(),
        identity: Some(format!("https://github.com/acme/app{}", n % 3)),
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        ..Default::default()
    }
}

fn now() -> crate::time::Timestamp {
    jiff::Timestamp::from_second(1_780_000_000).unwrap()
}

fn ledger_with(n: u64) -> (tempfile::TempDir, Ledger) {
    let d = tempfile::tempdir().unwrap();
    let l = Ledger::open(d.path(), None).unwrap();
    let inputs: Vec<RecordInput> = (1..=n)
        .map(|i| input(i, if i % 4 == 0 { "rejected" } else { "accepted" }))
        .collect();
    assert_eq!(
        l.append(&inputs, now()).unwrap(),
        (1..=n).collect::<Vec<_>>()
    );
    (d, l)
}

#[test]
fn records_are_read_back_and_queried_by_each_index() {
    let (_d, l) = ledger_with(12);
    assert_eq!(
        l.get(3).unwrap().unwrap().body.artifact.unwrap().name,
        "app-3"
    );
    let by_digest = l
        .query(&Filter {
            digest: Some(format!("sha256:{:064x}", 5)),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(by_digest.len(), 1);
    let by_identity = l
        .query(&Filter {
            identity: Some("https://github.com/acme/app1".into()),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(
        by_identity.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![10, 7, 4, 1]
    );
    let rejected = l
        .query(&Filter {
            verdict: Some(Verdict::Rejected),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(rejected.len(), 3);
    let import = l
        .query(&Filter {
            import_id: Some("imp-0".into()),
            limit: Some(2),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(
        import.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![12, 10]
    );
    let later = l
        .query(&Filter {
            since: Some(jiff::Timestamp::from_second(1_790_000_000).unwrap()),
            ..Filter::default()
        })
        .unwrap();
    assert!(later.is_empty());
    assert!(l.audit().unwrap().intact);
}

#[test]
fn ids_continue_after_a_reopen() {
    let d = tempfile::tempdir().unwrap();
    {
        let l = Ledger::open(d.path(), None).unwrap();
        l.append(&[input(1, "accepted")], now()).unwrap();
    }
    let l = Ledger::open(d.path(), None).unwrap();
    assert_eq!(l.append(&[input(2, "accepted")], now()).unwrap(), vec![2]);
    assert!(l.audit().unwrap().intact);
}

#[test]
fn the_key_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (d, _l) = ledger_with(1);
    let mode = std::fs::metadata(d.path().join("ledger/hmac.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

fn broken(l: &Ledger) -> Broken {
    let a = l.audit().unwrap();
    assert!(!a.intact);
    a.first_broken.unwrap()
}

#[test]
fn an_edited_record_is_named() {
    let (_d, l) = ledger_with(5);
    let raw = String::from_utf8(l.raw(3).unwrap().unwrap()).unwrap();
    l.tamper_raw(
        3,
        Some(raw.replace("\"accepted\"", "\"rejected\"").into_bytes()),
    )
    .unwrap();
    let b = broken(&l);
    assert_eq!(b.id, 3);
    assert!(b.why.contains("edited"), "{}", b.why);
}

#[test]
fn an_edit_with_a_recomputed_hash_fails_the_hmac() {
    let (_d, l) = ledger_with(3);
    let mut r = l.get(2).unwrap().unwrap();
    r.body.verdict = Verdict::Rejected;
    r.hash = String::new();
    r.hmac = String::new();
    r.hash = sha256_hex(&serde_json::to_vec(&r).unwrap());
    l.tamper_raw(2, Some(serde_json::to_vec(&r).unwrap()))
        .unwrap();
    let b = broken(&l);
    assert_eq!(b.id, 2);
    assert!(b.why.contains("HMAC"), "{}", b.why);
}

#[test]
fn a_deleted_record_is_named() {
    let (_d, l) = ledger_with(5);
    l.tamper_raw(2, None).unwrap();
    let b = broken(&l);
    assert_eq!(b.id, 2);
    assert!(b.why.contains("deleted"), "{}", b.why);
    // The last one removed: the head says so.
    let (_d, l) = ledger_with(3);
    l.tamper_raw(3, None).unwrap();
    assert!(broken(&l).why.contains("removed from the end"));
}

#[test]
fn an_inserted_record_is_named() {
    let (_d, l) = ledger_with(4);
    // A forged record 3 sealed with another key, chained to record 2.
    let prev = l.get(2).unwrap().unwrap().hash;
    let forged = Record::seal(
        3,
        &input(99, "accepted"),
        now(),
        &prev,
        b"attacker-key-0123456789abcdef012",
    )
    .unwrap();
    l.tamper_raw(3, Some(serde_json::to_vec(&forged).unwrap()))
        .unwrap();
    let b = broken(&l);
    assert_eq!(b.id, 3);
    assert!(
        b.why.contains("HMAC") || b.why.contains("inserted"),
        "{}",
        b.why
    );
    // Or an extra record slipped between two: its successor no longer follows it.
    let (_d, l) = ledger_with(4);
    let prev = l.get(2).unwrap().unwrap().hash;
    let extra = Record::seal(
        3,
        &input(98, "accepted"),
        now(),
        &prev,
        l.key(true).unwrap(),
    )
    .unwrap();
    let old3 = l.raw(3).unwrap().unwrap();
    l.tamper_raw(3, Some(serde_json::to_vec(&extra).unwrap()))
        .unwrap();
    let mut moved: Record = serde_json::from_slice(&old3).unwrap();
    moved.id = 4;
    l.tamper_raw(4, Some(serde_json::to_vec(&moved).unwrap()))
        .unwrap();
    let b = broken(&l);
    assert_eq!(b.id, 4);
}

#[test]
fn two_swapped_records_are_named() {
    let (_d, l) = ledger_with(5);
    let (a, b) = (l.raw(2).unwrap().unwrap(), l.raw(3).unwrap().unwrap());
    l.tamper_raw(2, Some(b)).unwrap();
    l.tamper_raw(3, Some(a)).unwrap();
    let br = broken(&l);
    assert_eq!(br.id, 2);
    assert!(
        br.why.contains("moved") || br.why.contains("reordered"),
        "{}",
        br.why
    );
}

#[test]
fn a_database_of_a_newer_schema_is_refused() {
    let d = tempfile::tempdir().unwrap();
    {
        let l = Ledger::open(d.path(), None).unwrap();
        l.meta
            .insert("schema", &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        l.db.flush().unwrap();
    }
    let e = Ledger::open(d.path(), None).err().unwrap();
    assert_eq!(e.code(), "ledger-schema-newer");
}

#[test]
fn a_time_window_is_answered_from_the_time_index() {
    let d = tempfile::tempdir().unwrap();
    let l = Ledger::open(d.path(), None).unwrap();
    let t = |s: i64| jiff::Timestamp::from_second(s).unwrap();
    l.append(&[input(1, "accepted")], t(1_000)).unwrap();
    l.append(&[input(2, "accepted"), input(3, "rejected")], t(2_000))
        .unwrap();
    l.append(&[input(4, "accepted")], t(3_000)).unwrap();
    let ids = |f: Filter| {
        l.query(&f)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Filter {
            since: Some(t(2_000)),
            until: Some(t(2_000)),
            ..Filter::default()
        }),
        vec![3, 2]
    );
    assert_eq!(
        ids(Filter {
            since: Some(t(1_500)),
            ..Filter::default()
        }),
        vec![4, 3, 2]
    );
    assert_eq!(
        ids(Filter {
            until: Some(t(1_999)),
            ..Filter::default()
        }),
        vec![1]
    );
    assert_eq!(
        ids(Filter {
            since: Some(t(2_000)),
            verdict: Some(Verdict::Rejected),
            ..Filter::default()
        }),
        vec![3]
    );
}
