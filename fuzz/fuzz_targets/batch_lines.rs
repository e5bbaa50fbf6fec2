//! The `--batch` reader (`input::BoundedLines`) over any bytes, with small caps: every line it
//! yields is within the cap, it stops at the first over-long line or past the line count, and
//! it never buffers more than one line.
#![no_main]

use std::path::Path;

use airlock::input::BoundedLines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (max_line, max_lines) = (64usize, 16usize);
    let mut yielded = 0usize;
    let reader = std::io::BufReader::with_capacity(7, data);
    for item in BoundedLines::new(reader, Path::new("fuzz.jsonl"), max_line, max_lines) {
        match item {
            Ok((n, line)) => {
                yielded += 1;
                assert_eq!(n, yielded);
                assert!(line.len() <= max_line, "line {n} over the cap");
                assert!(!line.contains('\n'));
            }
            Err(_) => break,
        }
    }
    assert!(yielded <= max_lines);
});
