//! `airlock push (IMPORT-ID | --digest D) --to REGISTRY[/PREFIX]`: its flags, and the renderers
//! (text and JSON) of its typed response.
//!
//! Owns: the flags and output of push. Must not touch: the registry (that is `app::push`).

use std::path::{Path, PathBuf};

use crate::app::push::PushRequest;
use crate::app::{Hooks, Request, Response};
use crate::cli::{fail, json_out, say_lines};
use crate::registry::Access;

/// Arguments of `push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The import whose accepted images to push (`import` prints it; `query` lists them).
    #[arg(value_name = "IMPORT-ID", required_unless_present = "digest")]
    pub import_id: Option<String>,
    /// Push the image with this digest instead (its latest verdict must be accepted).
    #[arg(long, value_name = "sha256:HEX", conflicts_with = "import_id")]
    pub digest: Option<String>,
    /// The site's registry, with an optional path prefix: `registry.site:5000/mirror`
    /// (HTTPS; `http://` only to loopback).
    #[arg(long, value_name = "REGISTRY[/PREFIX]")]
    pub to: String,
    /// Put the images in this repository instead of the one their names map to.
    #[arg(long, value_name = "PATH")]
    pub repository: Option<String>,
    /// The CA that signed the registry's certificate (default: the machine's CA bundle).
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Option<PathBuf>,
    /// A client certificate for mutual TLS (with --client-key).
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (owner-only).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Registry credentials: a Docker-style config.json (owner-only), never on the command line.
    #[arg(long, value_name = "FILE")]
    pub auth_file: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// The ledger's HMAC key, when kept outside the data dir (each push is recorded).
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

impl PushArgs {
    /// The push request these flags ask for (the daemon's `--push-to` builds the same).
    pub fn access(&self) -> Access {
        Access {
            registry_ca: self.registry_ca.clone(),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            auth_file: self.auth_file.clone(),
        }
    }
}

/// Runs `push`: exit 0 when every image was pushed, 1 when any was refused or failed.
pub fn run(args: PushArgs, data_dir: &Path) -> u8 {
    let req = Request::Push(PushRequest {
        import_id: args.import_id.clone(),
        digest: args.digest.clone(),
        to: args.to.clone(),
        repository: args.repository.clone(),
        access: args.access(),
        hmac_key_file: args.hmac_key_file.clone(),
    });
    let r = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Push(r)) => r,
        Ok(_) => return fail("push", &crate::cli::unexpected(), args.json),
        Err(f) => return fail("push", &f, args.json),
    };
    if args.json {
        json_out(&r);
    } else {
        say_lines(&crate::present::push::summary(&r));
    }
    let outcome = r.outcome();
    if outcome != crate::app::Outcome::Accepted {
        // One line on stderr per image not pushed, as every refusal gets.
        for i in r
            .images
            .iter()
            .filter(|i| i.outcome != crate::app::push::PushOutcome::Pushed)
        {
            crate::cli::warn(&format!(
                "airlock push: [{}] {}: {}",
                i.reason.as_deref().unwrap_or("failed"),
                crate::text::escape(&i.name),
                i.message.as_deref().unwrap_or("")
            ));
        }
    }
    outcome.exit()
}
