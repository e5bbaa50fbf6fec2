//! Image globs of a `ClusterImagePolicy` (`images[].glob`), compiled as policy-controller does
//! (its glob.go): `*` within a path segment, `**` across them, the whole name matched, a Docker
//! Hub name written without a registry resolved first.
//!
//! Owns: glob compilation and matching. Must not touch: the rest of the policy.

/// One `images[].glob`, compiled as policy-controller does: `*` matches within a path segment,
/// `**` matches anything, the whole name must match.
#[derive(Debug, Clone)]
pub struct Glob {
    pub glob: String,
    tokens: Vec<GlobToken>,
}

/// One piece of a compiled glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobToken {
    Byte(u8),
    /// `*`: anything within one path segment.
    Star,
    /// `**`: anything.
    AnyStar,
}

/// Longest glob accepted (bytes).
const MAX_GLOB_BYTES: usize = 1024;

impl Glob {
    pub fn compile(glob: &str) -> Result<Glob, String> {
        // policy-controller glob.go: "*" alone means "index.docker.io/library/*", "*/*" means
        // "index.docker.io/*/*"; only [a-zA-Z0-9-_:/*.@] are allowed.
        let normalized = match glob {
            "*/*" => "index.docker.io/*/*",
            "*" => "index.docker.io/library/*",
            g => g,
        };
        let valid = !normalized.is_empty()
            && normalized.len() <= MAX_GLOB_BYTES
            && normalized
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_:/*.@".contains(&b));
        if !valid {
            return Err(format!("invalid glob \"{}\"", crate::text::escape(glob)));
        }
        // Matched by a table over the name (no regular expression: a regex per glob kept a
        // lazy automaton cache of its own, and a thousand globs over thousands of names took
        // gigabytes).
        let mut tokens = Vec::new();
        let bytes = normalized.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b'*' {
                if bytes.get(i + 1) == Some(&b'*') {
                    tokens.push(GlobToken::AnyStar);
                    i += 2;
                } else {
                    tokens.push(GlobToken::Star);
                    i += 1;
                }
            } else {
                tokens.push(GlobToken::Byte(b));
                i += 1;
            }
        }
        Ok(Glob {
            glob: glob.to_string(),
            tokens,
        })
    }

    /// The whole of `name` against the glob: `*` never crosses a `/`, `**` may. One pass of
    /// the tokens over a row of reachable positions: linear in each, no backtracking.
    fn whole_match(&self, name: &str) -> bool {
        let t = name.as_bytes();
        let mut cur = vec![false; t.len() + 1];
        let mut next = vec![false; t.len() + 1];
        if let Some(c) = cur.first_mut() {
            *c = true;
        }
        for tok in &self.tokens {
            next.iter_mut().for_each(|x| *x = false);
            match tok {
                GlobToken::Byte(c) => {
                    for (j, &b) in t.iter().enumerate() {
                        if cur[j] && b == *c {
                            next[j + 1] = true;
                        }
                    }
                }
                GlobToken::Star | GlobToken::AnyStar => {
                    let mut reach = false;
                    for j in 0..=t.len() {
                        let cross = match (tok, j.checked_sub(1).and_then(|k| t.get(k))) {
                            (GlobToken::Star, Some(b'/')) => false,
                            (_, Some(_)) => true,
                            (_, None) => false,
                        };
                        reach = cur[j] || (reach && cross);
                        next[j] = reach;
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if !cur.iter().any(|x| *x) {
                return false;
            }
        }
        cur.last().copied().unwrap_or(false)
    }

    /// Whether `name` matches (an image reference, a chart name, a file name).
    ///
    /// As policy-controller does, a short Docker Hub name (`busybox`, `acme/app`) is also tried
    /// in its resolved form (`index.docker.io/library/busybox`).
    pub fn matches(&self, name: &str) -> bool {
        if self.whole_match(name) {
            return true;
        }
        resolved_docker_name(name).is_some_and(|full| self.whole_match(&full))
    }
}

/// `index.docker.io/...` for a Docker Hub reference written without a registry, else `None`.
pub(super) fn resolved_docker_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let first = name.split('/').next().unwrap_or("");
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_registry {
        match first {
            "docker.io" | "registry-1.docker.io" => {
                format!("index.docker.io/{}", &name[first.len() + 1..])
            }
            _ => return None,
        }
    } else if name.contains('/') {
        format!("index.docker.io/{name}")
    } else {
        format!("index.docker.io/library/{name}")
    };
    // A reference without a tag or digest means ":latest" (policy-controller, glob.go).
    let last = full.rsplit('/').next().unwrap_or("");
    if last.contains(':') || last.contains('@') {
        Some(full)
    } else {
        Some(format!("{full}:latest"))
    }
}
