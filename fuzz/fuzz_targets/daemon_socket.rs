//! The daemon's control socket over any request body: the JSON command line is parsed and capped,
//! admitted only for the commands clients may run, and parsed by clap exactly as the daemon does
//! before it runs one (nothing is run here). Nothing panics.
#![no_main]

use clap::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(argv) = airlock::daemon::socket::parse_request(data) else {
        return;
    };
    assert!(argv.len() <= airlock::limits::MAX_SOCKET_ARGS);
    if airlock::daemon::socket::admitted(&argv).is_none() {
        return;
    }
    let mut full = vec!["airlock".to_string(), "--data-dir".into(), "/nonexistent".into()];
    full.extend(argv);
    let _ = airlock::cli::Cli::try_parse_from(&full);
});
