//! SIGTERM: the daemon finishes the import in progress, records it, and exits 0; past
//! `--stop-timeout` it exits 0 anyway and the journal redoes the import at the next start, once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::daemon_support;

use std::time::{Duration, Instant};

use daemon_support::*;

/// A tarball holding one large unsigned file: slow enough to import that a signal lands mid-way.
fn big_tar(path: &std::path::Path, mib: u64) {
    let f = std::fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(std::io::BufWriter::new(f));
    let mut h = tar::Header::new_ustar();
    h.set_size(mib << 20);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "big.bin", std::io::repeat(7).take_exact(mib << 20))
        .unwrap();
    b.into_inner().unwrap();
}

trait TakeExact: std::io::Read + Sized {
    fn take_exact(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeExact for R {}

fn records_named(e: &Env, name: &str) -> usize {
    e.records()
        .iter()
        .filter(|r| r["tarball"]["name"] == name)
        .map(|r| r["importId"].as_str().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

#[test]
fn sigterm_mid_import_finishes_it_records_it_and_exits_0() {
    let e = env();
    let part = e.inbox.join(".big.tar.part");
    big_tar(&part, 256);
    let mut d = e.daemon(&[]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    std::fs::rename(&part, e.inbox.join("big.tar")).unwrap();
    // Taken: it left the inbox; the import is under way.
    let until = Instant::now() + Duration::from_secs(30);
    while e.inbox.join("big.tar").exists() {
        assert!(Instant::now() < until);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(d.stop(Duration::from_secs(60)), 0, "{}", d.log());
    assert!(d.log().contains("import big.tar rejected"), "{}", d.log());
    assert!(e.leftovers().is_empty(), "{:?}", e.leftovers());
    assert_eq!(records_named(&e, "big.tar"), 1);
    assert_eq!(e.kept("big.tar").len(), 1);
}

#[test]
fn sigterm_past_the_stop_timeout_exits_0_and_the_import_is_redone_once() {
    let e = env();
    let part = e.inbox.join(".big.tar.part");
    big_tar(&part, 512);
    let mut d = e.daemon(&["--stop-timeout", "0"]);
    d.wait_log("airlock daemon started", Duration::from_secs(30));
    std::fs::rename(&part, e.inbox.join("big.tar")).unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while e.inbox.join("big.tar").exists() {
        assert!(Instant::now() < until);
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(d.stop(Duration::from_secs(10)), 0, "{}", d.log());
    let left_in_journal = std::fs::read_dir(e.data.join("daemon/journal"))
        .unwrap()
        .count();
    // Either the import had finished by then, or it is left to the journal.
    let mut d = e.daemon(&[]);
    e.wait_idle(Duration::from_secs(120));
    assert_eq!(d.stop(Duration::from_secs(60)), 0);
    assert!(e.leftovers().is_empty(), "{:?}", e.leftovers());
    assert_eq!(records_named(&e, "big.tar"), 1);
    assert_eq!(e.kept("big.tar").len(), 1);
    if left_in_journal > 0 {
        assert!(d.log().contains("\"replayed\":true"), "{}", d.log());
    }
}
