//! The API's TLS: a rustls server configuration over aws-lc-rs from PEM files, with client
//! certificates required when a client CA is given.
//!
//! Owns: reading the certificate, key and client CA files. Must not touch: HTTP.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{ApiError, TlsFiles};

fn tls_err(path: &Path, why: impl std::fmt::Display) -> ApiError {
    ApiError::Tls {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ApiError> {
    crate::input::open_regular(path, "certificate").map_err(|e| tls_err(path, e))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err(path, format!("not PEM: {e}")))?
        .take(crate::limits::MAX_CHAIN_LEN + 1)
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err(path, format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_err(path, "holds no CERTIFICATE block"));
    }
    Ok(certs)
}

/// The private key, refused when others may read it (like every secret of the appliance).
fn key(path: &Path) -> Result<PrivateKeyDer<'static>, ApiError> {
    let pem = crate::input::read_secret(path, crate::limits::MAX_PEM_BYTES, "TLS key")
        .map_err(ApiError::TlsFile)?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| tls_err(path, format!("no usable private key: {e}")))
}

/// The server configuration (TLS 1.2 and 1.3, rustls's safe defaults, HTTP/1.1).
pub fn server_config(t: &TlsFiles) -> Result<rustls::ServerConfig, ApiError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(&t.cert, e))?;
    let builder = match &t.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certs(ca)? {
                roots.add(c).map_err(|e| tls_err(ca, e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| tls_err(ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder
        .with_single_cert(certs(&t.cert)?, key(&t.key)?)
        .map_err(|e| tls_err(&t.key, format!("does not match the certificate: {e}")))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}
