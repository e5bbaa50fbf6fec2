//! Image names: what counts as an image reference, its canonical form for policy globs, and
//! where each name of an artifact came from.
//!
//! Owns: the reference grammar (distribution's `reference` package, paraphrased), Docker Hub's
//! normalisation, and the [`NameSource`] of every name. Must not touch: files, crypto, policy.
//!
//! A name read from a layout's annotations was written by whoever made the stick: an unsigned
//! claim. A name inside a verified signature (cosign's simple-signing `docker-reference`, an
//! in-toto subject `name`) was signed. Both select the ClusterImagePolicies that apply; a
//! disagreement between them is reported, never silently resolved.

use serde::{Deserialize, Serialize};

/// Where a name of an artifact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameSource {
    /// `airlock import --image REF`, or the daemon's `ENTRY.image` sidecar.
    Operator,
    /// An annotation of the layout (`io.containerd.image.name`, `org.opencontainers.image.ref.name`,
    /// `org.opencontainers.image.base.name`), Docker's `manifest.json` `RepoTags`, a Helm chart's
    /// own name: unsigned.
    Layout,
    /// Inside a verified signature: cosign's simple-signing `docker-reference`, a signed Zarf
    /// package's `zarf.yaml` name and version.
    SignedPayload,
    /// The subject `name` of a verified in-toto statement that names this digest.
    StatementSubject,
}

impl NameSource {
    /// As the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Layout => "layout",
            Self::SignedPayload => "signed-payload",
            Self::StatementSubject => "statement-subject",
        }
    }

    /// Whether the name was covered by a verified signature.
    pub fn is_signed(self) -> bool {
        matches!(self, Self::SignedPayload | Self::StatementSubject)
    }
}

/// One name of an artifact and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameRef {
    pub name: String,
    pub source: NameSource,
}

impl NameRef {
    pub fn new(name: impl Into<String>, source: NameSource) -> Self {
        NameRef {
            name: name.into(),
            source,
        }
    }
}

/// Longest reference accepted (distribution: a name is at most 255 characters; a tag 128, a
/// digest 71 or so).
const MAX_REFERENCE_LEN: usize = 512;

/// A parsed image reference: `registry/path[:tag][@digest]`, Docker Hub's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `ghcr.io`, `docker.io`, `localhost:5000`.
    pub registry: String,
    /// `acme/app`, `library/alpine`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// `registry/path`: what a repository-scoped glob is about.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.registry, self.path)
    }

    /// The canonical form: `registry/path[:tag][@digest]`.
    pub fn canonical(&self) -> String {
        let mut s = self.repository();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

fn path_component_ok(c: &str) -> bool {
    // distribution: path-component := alpha-numeric (separator alpha-numeric)*, lowercase.
    !c.is_empty()
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

fn registry_ok(r: &str) -> bool {
    let (host, port) = match r.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (r, None),
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'))
}

fn tag_ok(t: &str) -> bool {
    // distribution: tag := [\w][\w.-]{0,127}
    (1..=128).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && t.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses a reference with a repository (`alpine:3.20` counts, as Docker reads it; a bare tag
/// `v1` does not). `None` when it is not one.
///
/// distribution/reference (paraphrased): the first component is a registry when it contains a
/// `.` or a `:` or is `localhost`; otherwise the name is on Docker Hub, and a one-component name
/// is under `library/`.
pub fn parse(s: &str) -> Option<ImageRef> {
    if s.is_empty() || s.len() > MAX_REFERENCE_LEN {
        return None;
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let (alg, hex) = d.split_once(':')?;
            if alg.is_empty()
                || hex.len() < 32
                || !hex.bytes().all(|b| b.is_ascii_hexdigit())
                || !alg.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return None;
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    // The tag is after the last ':' that follows the last '/'.
    let slash = rest.rfind('/');
    let (name, tag) = match rest.rfind(':') {
        Some(c) if slash.is_none_or(|sl| c > sl) => {
            (rest.get(..c)?, Some(rest.get(c + 1..)?.to_string()))
        }
        _ => (rest, None),
    };
    if let Some(t) = &tag {
        if !tag_ok(t) {
            return None;
        }
    }
    let parts: Vec<&str> = name.split('/').collect();
    let (registry, path_parts) = match parts.as_slice() {
        [first, rest @ ..]
            if !rest.is_empty()
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            if !registry_ok(first) {
                return None;
            }
            (first.to_string(), rest.to_vec())
        }
        _ => ("docker.io".to_string(), parts.clone()),
    };
    if path_parts.is_empty() || !path_parts.iter().all(|c| path_component_ok(c)) {
        return None;
    }
    let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
        "docker.io".to_string()
    } else {
        registry
    };
    let mut path = path_parts.join("/");
    if registry == "docker.io" && path_parts.len() == 1 {
        path = format!("library/{path}");
    }
    Some(ImageRef {
        registry,
        path,
        tag,
        digest,
    })
}

/// A name with a repository path (`ghcr.io/acme/app:v1`, `acme/app`), as layouts write it. A bare
/// tag (`v1`, `3.20`, as regctl, buildx and Docker's `ref.name` write it) and a one-word name
/// are not: a layout annotation names a repository only when it has a `/`.
pub fn is_layout_name(s: &str) -> bool {
    s.contains('/') && parse(s).is_some()
}

/// Every form a glob is matched against: the name as written and, when it differs, its
/// canonical form (`alpine` → `docker.io/library/alpine`, `index.docker.io/x/y` →
/// `docker.io/x/y`).
pub fn glob_forms(s: &str) -> Vec<String> {
    let mut out = vec![s.to_string()];
    if let Some(r) = parse(s) {
        let c = r.canonical();
        if c != s {
            out.push(c);
        }
    }
    out
}

/// Whether two names are of different repositories (a mirror under another registry is still a
/// different repository: reported, not rejected).
pub fn same_repository(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.repository() == y.repository(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_names_are_normalised_like_distribution() {
        let r = parse("alpine:3.20").unwrap();
        assert_eq!(r.canonical(), "docker.io/library/alpine:3.20");
        assert_eq!(
            parse("index.docker.io/rancher/fleet:v1")
                .unwrap()
                .canonical(),
            "docker.io/rancher/fleet:v1"
        );
        assert_eq!(
            parse("rancher/fleet:v1").unwrap().repository(),
            "docker.io/rancher/fleet"
        );
    }

    #[test]
    fn registries_ports_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("localhost:5000/acme/app:v1@{d}")).unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.path, "acme/app");
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(parse("ghcr.io/acme/app").unwrap().tag, None);
    }

    #[test]
    fn bare_tags_and_junk_are_not_layout_names() {
        assert!(!is_layout_name("v1"));
        assert!(!is_layout_name("3.20"));
        assert!(!is_layout_name("alpine:3.20"));
        assert!(is_layout_name("ghcr.io/acme/app:v1"));
        assert!(parse("ghcr.io/Acme/app").is_none());
        assert!(parse("ghcr.io/acme/app:").is_none());
        assert!(parse("ghcr.io/acme/app:v1\u{202e}").is_none());
        assert!(parse(&"a/".repeat(400)).is_none());
        assert!(parse("").is_none());
    }

    #[test]
    fn same_repository_ignores_tag_and_hub_spelling() {
        assert!(same_repository("alpine:1", "docker.io/library/alpine:2"));
        assert!(!same_repository(
            "ghcr.io/acme/app",
            "mirror.local/acme/app"
        ));
    }
}
