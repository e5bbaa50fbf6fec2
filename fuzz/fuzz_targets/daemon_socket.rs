//! The daemon's control socket over any request body: one typed `app` request in JSON, capped,
//! every path absolute, refused otherwise (nothing is run here). An admitted request survives a
//! round trip through JSON unchanged and says whether it writes. Nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = airlock::daemon::socket::parse_request(data) else {
        return;
    };
    let again = serde_json::to_vec(&req).expect("a parsed request serializes");
    let back = airlock::daemon::socket::parse_request(&again).expect("and parses back");
    assert_eq!(back, req);
    let _ = req.writes();
    let _ = req.uses_ledger();
});
