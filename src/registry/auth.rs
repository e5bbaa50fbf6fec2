//! Registry credentials: a Docker-style `config.json` (`auths.<registry>.auth`, base64 of
//! `user:password`, or `username`/`password`), owner-only, and the answer to a registry's
//! `WWW-Authenticate` challenge (Basic, or the Bearer token flow of the distribution token spec).
//!
//! Owns: reading the auth file and speaking to the token endpoint. Must not touch: anything
//! else; credentials never reach a message, a log or the ledger.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;

use super::RegistryError;

/// A user and password for one registry. Never printed.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(…)")
    }
}

impl Credentials {
    /// `Basic base64(user:password)`.
    pub fn basic(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.user, self.password))
        )
    }
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(serde::Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// The credentials `path` holds for `host` (`None` when it names none). The file must be a
/// regular file readable by its owner only, as Docker and Podman write it.
pub fn credentials(path: &Path, host: &str) -> Result<Option<Credentials>, RegistryError> {
    let bad = |why: String| RegistryError::AuthFile {
        path: path.to_path_buf(),
        why,
    };
    let bytes = crate::input::read_secret(path, crate::limits::MAX_AUTH_FILE_BYTES, "auth file")
        .map_err(RegistryError::AuthFileUnreadable)?;
    parse_config(&bytes, host).map_err(bad)
}

/// The credentials a Docker `config.json`'s bytes hold for `host`.
pub fn parse_config(bytes: &[u8], host: &str) -> Result<Option<Credentials>, String> {
    let cfg: ConfigFile =
        serde_json::from_slice(bytes).map_err(|e| format!("not a Docker config.json: {e}"))?;
    // Docker keys entries by `host[:port]`, sometimes as a URL (`https://host/v1/`).
    let entry = cfg.auths.iter().find(|(k, _)| {
        let k = k
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        k.split('/').next() == Some(host)
    });
    let Some((_, e)) = entry else {
        return Ok(None);
    };
    if let (Some(u), Some(p)) = (&e.username, &e.password) {
        return Ok(Some(Credentials {
            user: u.clone(),
            password: p.clone(),
        }));
    }
    let host = crate::text::escape(host);
    let encoded = e
        .auth
        .as_deref()
        .ok_or_else(|| format!("the entry for {host} has no auth"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| format!("the auth of {host} is not base64"))?;
    let text =
        String::from_utf8(decoded).map_err(|_| format!("the auth of {host} is not UTF-8"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| format!("the auth of {host} is not user:password"))?;
    Ok(Some(Credentials {
        user: user.to_string(),
        password: password.to_string(),
    }))
}

/// The parameters of a challenge: `Bearer realm="…",service="…",scope="…"`.
pub fn params(challenge: &str) -> (String, BTreeMap<String, String>) {
    let (scheme, rest) = challenge.trim().split_once(' ').unwrap_or((challenge, ""));
    let mut out = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((k, v)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let v = v.trim_start();
        let (value, tail) = if let Some(q) = v.strip_prefix('"') {
            match q.split_once('"') {
                Some((value, tail)) => (value.to_string(), tail),
                None => (q.to_string(), ""),
            }
        } else {
            match v.split_once(',') {
                Some((value, tail)) => (value.trim().to_string(), tail),
                None => (v.trim().to_string(), ""),
            }
        };
        out.insert(k, value);
        rest = tail.trim_start_matches(',').trim();
    }
    (scheme.to_ascii_lowercase(), out)
}

/// The `Authorization` header answering `challenge`: Basic with the credentials, or a Bearer
/// token fetched from the challenge's realm (which must be HTTPS, or loopback).
pub fn answer(
    agent: &ureq::Agent,
    challenge: &str,
    scope: &str,
    creds: Option<&Credentials>,
) -> Result<String, String> {
    let (scheme, p) = params(challenge);
    match scheme.as_str() {
        "basic" => creds
            .map(Credentials::basic)
            .ok_or_else(|| "the registry asks for credentials: give --auth-file".to_string()),
        "bearer" => {
            let realm = p.get("realm").ok_or("a Bearer challenge without a realm")?;
            let loopback_http = realm
                .strip_prefix("http://")
                .and_then(|r| r.split('/').next())
                .is_some_and(super::is_loopback);
            if !realm.starts_with("https://") && !loopback_http {
                return Err("the token realm is not HTTPS".into());
            }
            let mut req = agent
                .get(realm)
                .query("scope", p.get("scope").map_or(scope, |s| s));
            if let Some(s) = p.get("service") {
                req = req.query("service", s);
            }
            if let Some(c) = creds {
                req = req.header("Authorization", c.basic());
            }
            let mut resp = req.call().map_err(|e| format!("token endpoint: {e}"))?;
            if resp.status() != 200 {
                return Err(format!("token endpoint answered HTTP {}", resp.status()));
            }
            #[derive(serde::Deserialize)]
            struct Token {
                token: Option<String>,
                access_token: Option<String>,
            }
            let body = resp
                .body_mut()
                .with_config()
                .limit(crate::limits::MAX_TOKEN_BYTES)
                .read_to_vec()
                .map_err(|e| format!("token endpoint: {e}"))?;
            let t: Token =
                serde_json::from_slice(&body).map_err(|_| "the token answer is not JSON")?;
            t.token
                .or(t.access_token)
                .map(|t| format!("Bearer {t}"))
                .ok_or_else(|| "the token answer holds no token".into())
        }
        _ => Err("the registry asks for an unknown kind of authentication".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_challenge_is_read_with_quotes_and_commas() {
        let (s, p) = params(
            r#"Bearer realm="https://auth.site/token",service="registry.site",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "bearer");
        assert_eq!(p["realm"], "https://auth.site/token");
        assert_eq!(p["service"], "registry.site");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
    }

    #[test]
    fn an_auth_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, r#"{"auths":{"site:5000":{"auth":"dTpw"}}}"#).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            credentials(&p, "site:5000"),
            Err(RegistryError::AuthFileUnreadable(
                crate::input::InputError::NotOwnerOnly { .. }
            ))
        ));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = credentials(&p, "site:5000").unwrap().unwrap();
        assert_eq!(c.basic(), "Basic dTpw");
        assert!(credentials(&p, "other:5000").unwrap().is_none());
        assert_eq!(
            format!("{c:?}"),
            "Credentials(…)",
            "credentials never printed"
        );
    }
}
