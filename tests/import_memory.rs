//! Peak memory of `airlock import` on hostile archives, from the kernel's accounting of
//! waited-for children (getrusage): under 512 MiB whatever the archive claims. One test, so no
//! other child of this process raises the figure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod import_support;

use import_support::*;

#[test]
fn bombs_and_huge_entry_counts_stay_under_512_mib() {
    let e = env(&all_policy());
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/import/");
    let mut inputs = vec![
        std::path::PathBuf::from(format!("{data}bomb-1g-zeros.tar.gz")),
        std::path::PathBuf::from(format!("{data}bomb-1g-zeros.tar.zst")),
    ];
    // A header claiming an 8 GiB PAX extension: refused before a byte of it is buffered.
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_path("pax").unwrap();
    h.set_size(8 << 30);
    h.set_cksum();
    let mut pax = h.as_bytes().to_vec();
    pax.extend(vec![b'a'; 1 << 20]);
    inputs.push(e.file("pax.tar", &pax));
    for p in &inputs {
        let r = e.import(&[p]);
        assert_eq!(r.code, 1, "{}: {}", p.display(), r.stdout);
    }
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    let peak_kib = usage.max_rss();
    eprintln!("peak RSS of airlock import on hostile archives: {peak_kib} KiB");
    assert!(peak_kib < 512 * 1024, "peak RSS {peak_kib} KiB");
}
