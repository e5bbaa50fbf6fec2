//! Showing outside text to a person: the one escaping function behind every text output and
//! every text log line.
//!
//! Owns: turning untrusted strings and bytes (bundle fields, file and tar entry names, messages
//! that quote them) into printable, length-capped text. Must not touch: JSON output (serde
//! escapes it), files, the terminal itself.
//!
//! Why: a bundle whose `mediaType` is `"\u001b]0;pwned\u0007\u001b[2J"` sets the operator's
//! terminal title and clears the screen when printed raw; a Unicode bidi override reorders what
//! the operator reads ("Trojan Source", CVE-2021-42574). Every such character is shown as a
//! visible escape instead (`\x1b`, `\u{202e}`), so what is printed is exactly what was received.

use std::fmt::Write as _;

use crate::limits;

/// What is appended when a string is cut at its cap.
const ELLIPSIS: char = '…';

/// Whether `c` is shown as an escape rather than as itself.
///
/// C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F, which terminals read
/// as CSI, OSC, ...), the line and paragraph separators, and the bidi embedding, override and
/// isolate characters.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every control and bidi character escaped, cut after `max_chars` characters of
/// input with an ellipsis.
pub fn escape_capped(s: &str, max_chars: usize) -> String {
    escape_bytes_capped(s.as_bytes(), max_chars)
}

/// One untrusted value (a name, a field, an identity) made printable, capped at
/// [`limits::MAX_SHOWN_VALUE_CHARS`].
pub fn escape(s: &str) -> String {
    escape_capped(s, limits::MAX_SHOWN_VALUE_CHARS)
}

/// Untrusted bytes made printable: valid UTF-8 as [`escape`] shows it, each invalid byte as
/// `\xNN`.
pub fn escape_bytes(b: &[u8]) -> String {
    escape_bytes_capped(b, limits::MAX_SHOWN_VALUE_CHARS)
}

fn escape_bytes_capped(b: &[u8], max_chars: usize) -> String {
    let mut out = String::with_capacity(b.len().min(max_chars.saturating_mul(4)));
    let mut shown = 0usize;
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown >= max_chars {
                out.push(ELLIPSIS);
                return out;
            }
            shown += 1;
            if needs_escape(c) {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            if shown >= max_chars {
                out.push(ELLIPSIS);
                return out;
            }
            shown += 1;
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// One whole output line made printable (a message may quote several values): every control
/// character escaped, newlines included, capped at [`limits::MAX_SHOWN_LINE_CHARS`].
pub fn line(s: &str) -> String {
    escape_capped(s, limits::MAX_SHOWN_LINE_CHARS)
}

/// A `Display` of an untrusted value through [`escape`], for use inside `format!`.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// A `Display` of a path through [`escape_bytes`] (a path need not be UTF-8).
#[derive(Debug, Clone, Copy)]
pub struct ShownPath<'a>(pub &'a std::path::Path);

impl std::fmt::Display for ShownPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::os::unix::ffi::OsStrExt;
        f.write_str(&escape_bytes(self.0.as_os_str().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_raw_control(s: &str) -> bool {
        s.chars().any(needs_escape)
    }

    #[test]
    fn every_c0_c1_control_and_del_is_shown_escaped() {
        for cp in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(cp).unwrap();
            let shown = escape(&format!("a{c}b"));
            assert!(!has_raw_control(&shown), "U+{cp:04X} reached the output");
            assert!(shown.starts_with('a') && shown.ends_with('b'), "{shown}");
            assert!(
                shown.contains('\\'),
                "U+{cp:04X} not visibly escaped: {shown}"
            );
        }
    }

    #[test]
    fn terminal_title_and_clear_screen_sequence_is_inert() {
        let shown = escape("\u{1b}]0;pwned\u{7}\u{1b}[2J");
        assert_eq!(shown, "\\x1b]0;pwned\\x07\\x1b[2J");
    }

    #[test]
    fn bidi_override_is_shown_escaped() {
        assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(escape("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn invalid_utf8_bytes_are_shown_as_hex() {
        assert_eq!(escape_bytes(b"ok\xff\xfe\x1b"), "ok\\xff\\xfe\\x1b");
        // A lone C1 in UTF-8 (U+009B, CSI) is escaped too.
        assert_eq!(escape_bytes("\u{9b}2J".as_bytes()), "\\u{9b}2J");
    }

    #[test]
    fn every_byte_value_in_every_position_never_reaches_output_raw() {
        for b in 0u8..=255 {
            let input = [b'x', b, b'y', 0xc2, b];
            let shown = escape_bytes(&input);
            assert!(!has_raw_control(&shown), "byte {b:#04x}: {shown:?}");
        }
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let s = "a".repeat(10_000);
        let shown = escape(&s);
        assert_eq!(shown.chars().count(), limits::MAX_SHOWN_VALUE_CHARS + 1);
        assert!(shown.ends_with(ELLIPSIS));
        assert_eq!(escape_bytes(s.as_bytes()), shown);
    }

    #[test]
    fn printable_text_is_unchanged_and_escaping_is_idempotent() {
        let s = "sha256:abc https://github.com/acme/app é ü 日本";
        assert_eq!(escape(s), s);
        let once = escape("a\u{1b}b");
        assert_eq!(escape(&once), once);
    }
}
