//! in-toto statements from DSSE payloads (`Statement::from_json`): any bytes end in Ok or Err.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = airlock::bundle::dsse::Statement::from_json(data);
});
