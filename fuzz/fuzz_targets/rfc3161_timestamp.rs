//! RFC 3161 TimeStampResp DER (`verify::tsa`, the code behind `verify_timestamp`) over a fixed
//! signature, against the production root (as the brief asks) and the staging root whose TSA
//! signed the seeds, so mutations of real responses reach the CMS signature and certificate
//! checks. The roots' TSA chains are prepared once (`TsaVerifier`), as the verifier does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let signed = &airlock_fuzz::rekor2().signature;
    let _ = airlock_fuzz::rekor1().tsa.verify(data, signed);
    let _ = airlock_fuzz::rekor2().tsa.verify(data, signed);
});
