//! A client of the OCI distribution API, for handing accepted images to the site's own
//! registry: HEAD and upload of blobs (with cross-repository mount), PUT and GET of manifests,
//! the referrers API probe. HTTPS with the site's CA (mutual TLS when given), plain HTTP only to
//! loopback, credentials from a Docker-style `config.json` (Basic, or the Bearer token flow).
//!
//! Owns: HTTP, TLS, registry auth, the destination's name. Must not touch: verdicts, the ledger,
//! the kept layouts (that is `push`); no system proxy is used and no redirect is followed
//! except an upload's `Location`, which must stay on the same registry.

pub mod auth;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use auth::Credentials;

/// Where Debian keeps the machine's CA bundle (used when `--registry-ca` is not given).
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Longest error body kept for a message.
const MAX_ERROR_BODY: u64 = 4096;

/// What went wrong talking to a registry; every variant names the facts.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("--to {value}: {why}")]
    Target { value: String, why: String },
    #[error(
        "--to {host}: plain HTTP is only allowed to loopback (use https:// with --registry-ca)"
    )]
    PlainHttp { host: String },
    #[error("{path}: {why}")]
    Tls { path: PathBuf, why: String },
    #[error("{path}: {why}")]
    AuthFile { path: PathBuf, why: String },
    /// A TLS file (the CA, a client certificate or key) that cannot be read as it must.
    #[error("{0}")]
    TlsFile(crate::input::InputError),
    /// The auth file cannot be read as it must (owner-only, regular, capped).
    #[error("{0}")]
    AuthFileUnreadable(crate::input::InputError),
    #[error("{url}: cannot reach the registry: {why}")]
    Unreachable { url: String, why: String },
    #[error("{url}: TLS with the registry failed (its certificate is not signed by --registry-ca, or it wants a client certificate): {why}")]
    TlsRefused { url: String, why: String },
    #[error("{what} {url}: the registry refused the credentials (HTTP {status})")]
    Auth {
        what: String,
        url: String,
        status: u16,
    },
    #[error("{what} {url}: HTTP {status}: {body}")]
    Status {
        what: String,
        url: String,
        status: u16,
        body: String,
    },
    #[error("{what}: {why}")]
    Protocol { what: String, why: String },
}

impl RegistryError {
    /// The reason code.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Target { .. } => "registry-target-invalid",
            RegistryError::PlainHttp { .. } => "plain-http-refused",
            RegistryError::Tls { .. } | RegistryError::TlsFile(_) => "registry-tls-invalid",
            RegistryError::AuthFile { .. } | RegistryError::AuthFileUnreadable(_) => {
                "auth-file-invalid"
            }
            RegistryError::Unreachable { .. } => "registry-unreachable",
            RegistryError::TlsRefused { .. } => "registry-tls-refused",
            RegistryError::Auth { .. } => "registry-auth-failed",
            RegistryError::Status { status, .. } if *status >= 500 || *status == 429 => {
                "registry-unavailable"
            }
            RegistryError::Status { .. } => "registry-refused",
            RegistryError::Protocol { .. } => "registry-protocol",
        }
    }

    /// Whether trying again later may succeed (the network, the registry's own trouble, a
    /// quota), as opposed to a refusal that will not change by itself.
    pub fn retryable(&self) -> bool {
        matches!(
            self.code(),
            "registry-unreachable" | "registry-unavailable" | "registry-protocol"
        )
    }

    /// Whether the operator's own command is at fault (exit 2), not the registry.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            RegistryError::Target { .. }
                | RegistryError::PlainHttp { .. }
                | RegistryError::Tls { .. }
                | RegistryError::TlsFile(_)
                | RegistryError::AuthFile { .. }
                | RegistryError::AuthFileUnreadable(_)
        )
    }
}

/// Where images go: `REGISTRY[/PREFIX]`, with an optional `https://` or `http://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The registry as named in references: `registry.site:5000`.
    pub host: String,
    /// A path every repository is placed under (`mirror/`), without slashes at either end.
    pub prefix: String,
    pub plain_http: bool,
}

impl Target {
    /// Parses `--to`. Plain HTTP is allowed only to a loopback address or `localhost`.
    pub fn parse(value: &str) -> Result<Target, RegistryError> {
        let bad = |why: &str| RegistryError::Target {
            value: crate::text::escape(value),
            why: why.to_string(),
        };
        let (plain_http, rest) = if let Some(r) = value.strip_prefix("http://") {
            (true, r)
        } else {
            (false, value.strip_prefix("https://").unwrap_or(value))
        };
        let rest = rest.trim_end_matches('/');
        let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty()
            || host.len() > 255
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        {
            return Err(bad("not a registry host[:port]"));
        }
        if !prefix.is_empty()
            && crate::reference::parse(&format!("{host}/{prefix}/x")).is_none_or(|r| {
                r.registry != host || !r.path.starts_with(prefix) || r.tag.is_some()
            })
        {
            return Err(bad(
                "the prefix is not a repository path (lowercase components)",
            ));
        }
        if plain_http && !is_loopback(host) {
            return Err(RegistryError::PlainHttp {
                host: crate::text::escape(host),
            });
        }
        Ok(Target {
            host: host.to_string(),
            prefix: prefix.to_string(),
            plain_http,
        })
    }

    fn base(&self) -> String {
        format!(
            "{}://{}",
            if self.plain_http { "http" } else { "https" },
            self.host
        )
    }

    /// The destination repository of an image named `name` (a full reference): its registry
    /// replaced by this one, under the prefix (as `skopeo sync` and Hauler's `store copy` map
    /// names). `docker.io/library/alpine:3.20` to `site:5000/mirror` is `mirror/library/alpine`.
    pub fn repository_for(&self, name: &crate::reference::ImageRef) -> String {
        if self.prefix.is_empty() {
            name.path.clone()
        } else {
            format!("{}/{}", self.prefix, name.path)
        }
    }
}

fn is_loopback(host: &str) -> bool {
    let h = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// How to reach the registry: the site's CA, a client certificate for mutual TLS, an auth file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    pub registry_ca: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub auth_file: Option<PathBuf>,
}

/// What a blob upload sends: a kept file (streamed) or bytes airlock made.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    File(&'a Path, u64),
    Bytes(&'a [u8]),
}

/// A manifest as the registry holds it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// Builds and sends one request, with the `Authorization` header given (if any).
type Send<'a> = dyn Fn(Option<&str>) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> + 'a;

/// One registry, with its connection pool and tokens.
pub struct Registry {
    agent: ureq::Agent,
    target: Target,
    creds: Option<Credentials>,
    /// Bearer tokens by scope.
    tokens: Mutex<std::collections::BTreeMap<String, String>>,
}

fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, RegistryError> {
    crate::input::read_capped(path, crate::limits::MAX_PEM_BYTES, what)
        .map_err(RegistryError::TlsFile)
}

impl Registry {
    /// A client for `target` with `access`. Reads the CA, the client certificate and key
    /// (owner-only) and the auth file (owner-only) now: a bad file is a usage error before
    /// anything is sent.
    pub fn connect(target: &Target, access: &Access) -> Result<Registry, RegistryError> {
        use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider);
        // The site's CA, or the machine's CA bundle (an isolated site's own CAs are installed
        // there); never a root set compiled in from the internet's.
        let ca = access
            .registry_ca
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE));
        if !target.plain_http {
            let pem = read_pem(&ca, "registry CA")?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .take(crate::limits::MAX_CA_BUNDLE_CERTS)
                .collect();
            if certs.is_empty() {
                return Err(RegistryError::Tls {
                    path: ca,
                    why: "holds no CERTIFICATE block".into(),
                });
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        match (&access.client_cert, &access.client_key) {
            (Some(cert), Some(key)) => {
                let pem = read_pem(cert, "client certificate")?;
                let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                    .filter_map(|i| match i {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                if chain.is_empty() {
                    return Err(RegistryError::Tls {
                        path: cert.clone(),
                        why: "holds no CERTIFICATE block".into(),
                    });
                }
                let key_pem =
                    crate::input::read_secret(key, crate::limits::MAX_PEM_BYTES, "client key")
                        .map_err(RegistryError::TlsFile)?;
                let k = PrivateKey::from_pem(&key_pem).map_err(|e| RegistryError::Tls {
                    path: key.clone(),
                    why: format!("no usable private key: {e}"),
                })?;
                tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, k)));
            }
            (None, None) => {}
            (Some(p), None) | (None, Some(p)) => {
                return Err(RegistryError::Tls {
                    path: p.clone(),
                    why: "--client-cert and --client-key go together".into(),
                })
            }
        }
        let creds = match &access.auth_file {
            Some(p) => auth::credentials(p, &target.host)?,
            None => None,
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .https_only(!target.plain_http)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .timeout_per_write(Some(Duration::from_secs(120)))
            .user_agent(format!("airlock/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        Ok(Registry {
            agent: config.new_agent(),
            target: target.clone(),
            creds,
            tokens: Mutex::new(Default::default()),
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.base())
    }

    fn authorization(&self, scope: &str) -> Option<String> {
        if let Some(t) = self.tokens.lock().ok().and_then(|t| t.get(scope).cloned()) {
            return Some(t);
        }
        self.creds.as_ref().map(Credentials::basic)
    }

    /// Sends a request (built afresh by `send` for a retry after authenticating), answering
    /// one `401` challenge.
    fn call(
        &self,
        what: &str,
        url: &str,
        repo: &str,
        send: &Send<'_>,
    ) -> Result<ureq::http::Response<ureq::Body>, RegistryError> {
        let scope = format!("repository:{repo}:pull,push");
        let unreachable = |e: ureq::Error| classify(url, e);
        let auth = self.authorization(&scope);
        let resp = send(auth.as_deref()).map_err(unreachable)?;
        if resp.status() != 401 {
            return Ok(resp);
        }
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let header =
            auth::answer(&self.agent, &challenge, &scope, self.creds.as_ref()).map_err(|why| {
                RegistryError::Auth {
                    what: format!("{what} ({why})"),
                    url: url.to_string(),
                    status: 401,
                }
            })?;
        if header.starts_with("Bearer ") {
            if let Ok(mut t) = self.tokens.lock() {
                t.insert(scope.clone(), header.clone());
            }
        }
        let resp = send(Some(&header)).map_err(unreachable)?;
        if resp.status() == 401 || resp.status() == 403 {
            return Err(RegistryError::Auth {
                what: what.to_string(),
                url: url.to_string(),
                status: resp.status().as_u16(),
            });
        }
        Ok(resp)
    }

    fn fail(what: &str, url: &str, mut resp: ureq::http::Response<ureq::Body>) -> RegistryError {
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_ERROR_BODY)
            .read_to_string()
            .unwrap_or_default();
        if status == 401 || status == 403 {
            return RegistryError::Auth {
                what: what.to_string(),
                url: url.to_string(),
                status,
            };
        }
        RegistryError::Status {
            what: what.to_string(),
            url: url.to_string(),
            status,
            body: crate::text::escape_capped(body.trim(), 300),
        }
    }

    /// Whether the registry holds blob `digest` in `repo`.
    pub fn has_blob(&self, repo: &str, digest: &str) -> Result<bool, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/blobs/{digest}"));
        let resp = self.call("HEAD blob", &url, repo, &|a| {
            let mut r = self.agent.head(&url);
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.call()
        })?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(Self::fail("HEAD blob", &url, resp)),
        }
    }

    /// Mounts `digest` from `from` into `repo`; `false` when the registry started an upload
    /// instead (the upload is then used for the content).
    pub fn mount(
        &self,
        repo: &str,
        digest: &str,
        from: &str,
    ) -> Result<Option<String>, RegistryError> {
        let url = self.url(&format!(
            "/v2/{repo}/blobs/uploads/?mount={digest}&from={from}"
        ));
        let resp = self.call("mount blob", &url, repo, &|a| {
            let mut r = self.agent.post(&url).header("Content-Length", "0");
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.send_empty()
        })?;
        match resp.status().as_u16() {
            201 => Ok(None),
            202 => self.location(&url, &resp).map(Some),
            _ => Err(Self::fail("mount blob", &url, resp)),
        }
    }

    /// The absolute URL of an upload's `Location`, refused when it leaves the registry.
    fn location(
        &self,
        url: &str,
        resp: &ureq::http::Response<ureq::Body>,
    ) -> Result<String, RegistryError> {
        let loc = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol {
                what: url.to_string(),
                why: "an upload started without a Location".into(),
            })?;
        let abs = if loc.starts_with('/') {
            self.url(loc)
        } else {
            loc.to_string()
        };
        let base = self.target.base();
        if !abs.starts_with(&format!("{base}/")) {
            return Err(RegistryError::Protocol {
                what: url.to_string(),
                why: format!(
                    "the upload Location leaves the registry: {}",
                    crate::text::escape_capped(loc, 200)
                ),
            });
        }
        Ok(abs)
    }

    /// Starts an upload session in `repo`.
    pub fn start_upload(&self, repo: &str) -> Result<String, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/blobs/uploads/"));
        let resp = self.call("start upload", &url, repo, &|a| {
            let mut r = self.agent.post(&url).header("Content-Length", "0");
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.send_empty()
        })?;
        match resp.status().as_u16() {
            202 => self.location(&url, &resp),
            _ => Err(Self::fail("start upload", &url, resp)),
        }
    }

    /// Finishes an upload with the whole blob in one PUT (the registry checks its digest).
    pub fn finish_upload(
        &self,
        repo: &str,
        location: &str,
        digest: &str,
        content: Content<'_>,
    ) -> Result<(), RegistryError> {
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={digest}");
        let resp = self.call("upload blob", &url, repo, &|a| {
            let mut r = self
                .agent
                .put(&url)
                .header("Content-Type", "application/octet-stream");
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            match content {
                Content::File(path, size) => {
                    let f = std::fs::File::open(path).map_err(ureq::Error::Io)?;
                    r.header("Content-Length", size.to_string()).send(f)
                }
                Content::Bytes(b) => r.send(b),
            }
        })?;
        match resp.status().as_u16() {
            201 | 204 => Ok(()),
            _ => Err(Self::fail("upload blob", &url, resp)),
        }
    }

    /// PUTs a manifest under `reference` (a tag or its digest). Returns whether the registry
    /// said it processed the manifest's `subject` (the `OCI-Subject` header: it keeps referrers).
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        m: &Manifest,
    ) -> Result<bool, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
        let resp = self.call("PUT manifest", &url, repo, &|a| {
            let mut r = self.agent.put(&url).header("Content-Type", &m.media_type);
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.send(&m.bytes[..])
        })?;
        match resp.status().as_u16() {
            201 | 200 | 204 => Ok(resp.headers().contains_key("oci-subject")),
            _ => Err(Self::fail("PUT manifest", &url, resp)),
        }
    }

    /// GETs a manifest, `None` when the registry has none under `reference`.
    pub fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
        let accept = [
            crate::oci::OCI_INDEX,
            crate::oci::OCI_MANIFEST,
            crate::oci::DOCKER_MANIFEST_LIST,
            crate::oci::DOCKER_MANIFEST,
        ]
        .join(", ");
        let mut resp = self.call("GET manifest", &url, repo, &|a| {
            let mut r = self.agent.get(&url).header("Accept", &accept);
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.call()
        })?;
        match resp.status().as_u16() {
            200 => {
                let media_type = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let bytes = resp
                    .body_mut()
                    .with_config()
                    .limit(crate::limits::MAX_OCI_JSON_BYTES)
                    .read_to_vec()
                    .map_err(|e| RegistryError::Protocol {
                        what: url.clone(),
                        why: e.to_string(),
                    })?;
                Ok(Some(Manifest { media_type, bytes }))
            }
            404 => Ok(None),
            _ => Err(Self::fail("GET manifest", &url, resp)),
        }
    }

    /// Whether the registry answers the referrers API for `repo` (OCI distribution 1.1: a
    /// registry that supports it answers `200` with an image index, one that does not `404`).
    pub fn has_referrers_api(&self, repo: &str, digest: &str) -> Result<bool, RegistryError> {
        let url = self.url(&format!("/v2/{repo}/referrers/{digest}"));
        let resp = self.call("GET referrers", &url, repo, &|a| {
            let mut r = self.agent.get(&url).header("Accept", crate::oci::OCI_INDEX);
            if let Some(a) = a {
                r = r.header("Authorization", a);
            }
            r.call()
        })?;
        let is_index = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with(crate::oci::OCI_INDEX));
        Ok(resp.status() == 200 && is_index)
    }
}

/// A transport error: a TLS refusal (not fixed by waiting) or an unreachable registry.
fn classify(url: &str, e: ureq::Error) -> RegistryError {
    let tls = match &e {
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) => true,
        ureq::Error::Io(io) => io
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()),
        _ => false,
    };
    if tls {
        RegistryError::TlsRefused {
            url: url.to_string(),
            why: e.to_string(),
        }
    } else {
        RegistryError::Unreachable {
            url: url.to_string(),
            why: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        assert!(matches!(
            Target::parse("http://registry.site:5000"),
            Err(RegistryError::PlainHttp { .. })
        ));
        let t = Target::parse("http://127.0.0.1:5000/mirror").unwrap();
        assert!(t.plain_http);
        assert_eq!(t.prefix, "mirror");
        assert!(Target::parse("http://localhost:5000").is_ok());
        assert!(Target::parse("http://[::1]:5000").is_ok());
        assert!(Target::parse("registry.site").is_ok_and(|t| !t.plain_http));
    }

    #[test]
    fn a_target_that_is_not_a_registry_is_refused() {
        for bad in [
            "",
            "reg istry",
            "site/UPPER",
            "site/a//b",
            "site/x:tag",
            "a\u{202e}b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_map_onto_the_destination_registry() {
        let t = Target::parse("site:5000/mirror").unwrap();
        let n = crate::reference::parse("docker.io/library/alpine:3.20").unwrap();
        assert_eq!(t.repository_for(&n), "mirror/library/alpine");
        let t = Target::parse("site:5000").unwrap();
        assert_eq!(t.repository_for(&n), "library/alpine");
    }
}
