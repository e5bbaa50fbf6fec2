//! `airlock daemon --inbox DIR …`: thin glue from the command line to `crate::daemon`, and its
//! logs (tracing: human on a terminal, JSON with `--log-format json`).
//!
//! Owns: the daemon's flags, the log subscriber, the exit code. Must not touch: the inbox, the
//! journal, HTTP.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::Outcome;
use crate::cli::warn;

/// Arguments of `daemon`.
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// The drop folder: every complete file or folder in it is taken once and imported (a TUF
    /// repository copy is applied as `trust update`). Names ending in `.part` or starting with
    /// `.` are never taken: copy under such a name, then rename. Same filesystem as the data dir.
    #[arg(long, value_name = "DIR")]
    pub inbox: PathBuf,
    /// Serve the read-only API on this address (plain HTTP only on loopback).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The ClusterImagePolicy every import must satisfy (default: `policy.yaml` in the data
    /// dir); read again when the file changes.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The API's certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key", requires = "listen")]
    pub tls_cert: Option<PathBuf>,
    /// The API's private key (PEM, owner-only).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates issued by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// `human` or `json` (one JSON object a line).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub log_format: String,
    /// Milliseconds an inbox entry must stay unchanged before it is taken.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub settle_ms: u64,
    /// Milliseconds between looks at the inbox when no change is signalled.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub rescan_ms: u64,
    /// Seconds SIGTERM waits for the import in progress (past it, the process exits and the
    /// import is redone at the next start).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub stop_timeout: u64,
    /// API requests a second per client address (bursts of twice that); 0 for no limit.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub rate_limit: u32,
    /// The ledger's page cache in MiB (the daemon's memory grows up to about this).
    #[arg(long, default_value_t = crate::limits::DAEMON_LEDGER_CACHE_BYTES >> 20, value_name = "MIB")]
    pub ledger_cache_mib: u64,
    /// The trust instance a TUF repository dropped in the inbox updates.
    #[arg(long, default_value = crate::trust::PUBLIC_GOOD, value_name = "NAME")]
    pub trust_instance: String,
    /// The ledger's HMAC key, when kept outside the data dir (every record the daemon writes is
    /// signed with it; commands sent to the daemon with --hmac-key-file must name the same key).
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
    /// Push every accepted image (with its evidence and VSA) to this registry, after its import
    /// is recorded: `REGISTRY[/PREFIX]` (HTTPS; `http://` only to loopback).
    #[arg(long, value_name = "REGISTRY[/PREFIX]")]
    pub push_to: Option<String>,
    /// With --push-to: the CA that signed the registry's certificate.
    #[arg(long, value_name = "FILE", requires = "push_to")]
    pub registry_ca: Option<PathBuf>,
    /// With --push-to: a client certificate for mutual TLS (with --client-key).
    #[arg(long, value_name = "FILE", requires_all = ["push_to", "client_key"])]
    pub client_cert: Option<PathBuf>,
    /// With --push-to: the client certificate's key (owner-only).
    #[arg(long, value_name = "FILE", requires_all = ["push_to", "client_cert"])]
    pub client_key: Option<PathBuf>,
    /// With --push-to: registry credentials, a Docker-style config.json (owner-only).
    #[arg(long, value_name = "FILE", requires = "push_to")]
    pub auth_file: Option<PathBuf>,
}

fn init_logs(format: &str) {
    let base = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO);
    let _ = if format == "json" {
        base.json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        base.with_ansi(std::io::stderr().is_terminal()).try_init()
    };
}

/// Runs `daemon` until SIGTERM; 0 after a clean stop, 2 when it cannot start.
pub fn run(a: DaemonArgs, data_dir: &Path) -> u8 {
    init_logs(&a.log_format);
    if let Err(e) = crate::trust::check_instance_name(&a.trust_instance) {
        warn(&format!("airlock daemon: [{}] {e}", e.code()));
        return Outcome::Unusable.exit();
    }
    let api = a.listen.map(|listen| crate::api::ApiConfig {
        listen,
        tls: a
            .tls_cert
            .clone()
            .zip(a.tls_key.clone())
            .map(|(cert, key)| crate::api::TlsFiles {
                cert,
                key,
                client_ca: a.client_ca.clone(),
            }),
        rate_per_second: a.rate_limit,
    });
    let push = match a.push_to {
        Some(to) => {
            let access = crate::registry::Access {
                registry_ca: a.registry_ca,
                client_cert: a.client_cert,
                client_key: a.client_key,
                auth_file: a.auth_file,
            };
            // Checked now: a bad destination or file stops the start, not the first push.
            let checked = crate::registry::Target::parse(&to)
                .and_then(|t| crate::registry::Registry::connect(&t, &access).map(|_| ()));
            if let Err(e) = checked {
                warn(&format!("airlock daemon: [{}] {e}", e.code()));
                return Outcome::Unusable.exit();
            }
            Some(crate::daemon::pusher::PushConfig {
                to,
                access,
                hmac_key_file: a.hmac_key_file.clone(),
            })
        }
        None => None,
    };
    let cfg = crate::daemon::Config {
        data_dir: data_dir.to_path_buf(),
        inbox: a.inbox,
        policy: a.policy.unwrap_or_else(|| data_dir.join("policy.yaml")),
        trust_instance: a.trust_instance,
        settle: Duration::from_millis(a.settle_ms),
        rescan: Duration::from_millis(a.rescan_ms.max(10)),
        stop_timeout: Duration::from_secs(a.stop_timeout),
        ledger_cache_bytes: a.ledger_cache_mib.max(1) << 20,
        hmac_key_file: a.hmac_key_file,
        api,
        push,
    };
    match crate::daemon::run(cfg) {
        Ok(()) => Outcome::Accepted.exit(),
        Err(e) => {
            warn(&format!("airlock daemon: [{}] {e}", e.code()));
            Outcome::Unusable.exit()
        }
    }
}
