//! YAML from outside (ClusterImagePolicy files, Zarf's `zarf.yaml`): the checks made before the
//! YAML parser sees the text.
//!
//! Owns: the nesting cap. serde_yaml_ng parses deeply nested flow collections in quadratic time
//! (40,000 `[` took 5 s, 100,000 took 29 s): the depth is counted first, in one linear pass, and
//! a document past the cap is refused without parsing. Must not touch: files, what the documents
//! mean.

/// Deepest nesting of flow collections (`[`, `{`) and block levels accepted. Real policies and
/// package definitions nest under 20.
pub const MAX_YAML_DEPTH: usize = 64;

/// Whether `text` nests flow collections deeper than [`MAX_YAML_DEPTH`] (quoted scalars and
/// comments are skipped; a line ends a plain scalar, not a flow collection).
pub fn too_deep(text: &str) -> bool {
    let (mut depth, mut quote, mut comment) = (0usize, None::<char>, false);
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            // A comment ends with its line; a quoted scalar may go on (YAML allows it).
            comment = false;
        } else if comment {
            // Nothing in a comment counts.
        } else if let Some(q) = quote {
            if c == q && prev != '\\' {
                quote = None;
            }
        } else {
            match c {
                '"' | '\'' => quote = Some(c),
                '#' if prev.is_whitespace() => comment = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_YAML_DEPTH {
                        return true;
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_in_linear_time() {
        let t = std::time::Instant::now();
        assert!(too_deep(&"[".repeat(1_000_000)));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert!(!too_deep("a: [1, {b: [2, 3]}]\nc: '[[[[['\n# [[[[[[[[\n"));
        assert!(!too_deep(&format!("{}{}", "[".repeat(64), "]".repeat(64))));
        assert!(too_deep(&"{".repeat(65)));
    }
}
