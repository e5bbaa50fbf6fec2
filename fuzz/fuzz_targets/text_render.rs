//! The text rendering of results: a bundle parsed from any bytes, refused or not, rendered as
//! the operator's one line (`text::line`), and any bytes as a value (`text::escape_bytes`). No
//! raw control byte (C0, DEL, C1) or bidi override ever reaches the output.
#![no_main]

use airlock::bundle::Bundle;
use airlock::text;
use libfuzzer_sys::fuzz_target;

fn assert_inert(s: &str) {
    for c in s.chars() {
        let bad = c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(!bad, "raw U+{:04X} in {s:?}", c as u32);
    }
}

fuzz_target!(|data: &[u8]| {
    let shown = text::escape_bytes(data);
    assert_inert(&shown);
    let line = match Bundle::from_json(data) {
        Ok(b) => format!("VERIFIED? {} ({})", b.media_type, b.version.as_str()),
        Err(e) => format!("airlock: REJECTED fuzz.json: {e} [{}]", e.code()),
    };
    assert_inert(&text::line(&line));
    if let Ok(s) = std::str::from_utf8(data) {
        assert_inert(&text::line(s));
        assert_inert(&text::escape(s));
    }
});
