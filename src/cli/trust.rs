//! `airlock trust …`: the flags of the trust subcommands, and the renderers (text and JSON) of
//! their typed responses.
//!
//! Owns: the clap definitions, text and JSON output. Must not touch: TUF, the trust store's
//! files, recording trust events (that is `app::trust`).

use std::path::{Path, PathBuf};

use crate::app::trust::{StatusWithInstances, TrustOp, TrustRequest, TrustResponse};
use crate::app::{Failure, Hooks, Request, Response};
use crate::present;
use crate::time::{parse_rfc3339, Timestamp};

/// The `trust` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TrustCommand {
    /// Show the trust root in force: TUF versions, origin, expiry, CAs, logs and TSAs.
    Status,
    /// List every trust root accepted (with its digest) and every refused attempt.
    History,
    /// Install the trust root: the factory one, or a TUF repository verified from a pinned root.
    Init {
        /// TUF root.json to pin instead of the factory root built into airlock (needs --from).
        #[arg(long, value_name = "ROOT.json", requires = "from")]
        root: Option<PathBuf>,
        /// TUF repository to verify: a folder (USB copy) or a .tar.gz (default: the factory state).
        #[arg(long, value_name = "DIR|TARBALL")]
        from: Option<PathBuf>,
        /// Judge metadata expiry at this RFC 3339 instant instead of the clock (recorded).
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Replace the state of an already initialized trust store (its history is kept).
        #[arg(long)]
        force: bool,
    },
    /// Refresh the trust root from a USB copy of the TUF repository (full TUF verification).
    Update {
        /// TUF repository: a folder (at its top or in one subfolder) or a .tar.gz.
        #[arg(long, value_name = "DIR|TARBALL")]
        from: PathBuf,
        /// Accept metadata that has expired by judging expiry at this RFC 3339 instant (recorded).
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
    },
    /// Install a trusted_root.json without TUF (private Sigstore deployments).
    Import {
        /// The trusted_root.json to install.
        #[arg(long = "trusted-root", value_name = "FILE")]
        trusted_root: PathBuf,
    },
}

/// Text for people: every line escaped (sources, names and reasons come from the medium).
fn out(text: &str) {
    crate::cli::say_lines(text);
}

fn err_line(text: &str) {
    crate::cli::warn(text);
}

fn parse_at(at: Option<&str>) -> Result<Option<Timestamp>, String> {
    at.map(parse_rfc3339).transpose()
}

/// Prints a failure: one line on stderr (with the root still in force after a refusal) and,
/// with `--json`, the failure on stdout.
fn fail(command: &str, f: &Failure, json: bool) -> u8 {
    let refused = f.exit == crate::app::Outcome::Rejected.exit();
    let mut line = if refused {
        format!(
            "airlock trust {command}: refused [{}]: {}",
            f.reason, f.message
        )
    } else {
        format!("airlock trust {command}: [{}] {}", f.reason, f.message)
    };
    if refused {
        match &f.in_force {
            Some(info) => line.push_str(&format!(
                "; the trust root in force is unchanged: {}",
                present::trust::describe(info)
            )),
            None => line.push_str("; no trust root was installed"),
        }
    }
    err_line(&line);
    if json {
        crate::cli::json_out(f);
    }
    f.exit
}

/// Runs a `trust` subcommand; returns the process exit code (0 ok, 1 refused, 2 unusable input).
pub fn run(
    cmd: TrustCommand,
    data_dir: &Path,
    json: bool,
    instance: Option<String>,
    hmac_key_file: Option<PathBuf>,
) -> u8 {
    let at = |a: Option<String>, command: &str| {
        parse_at(a.as_deref()).map_err(|why| {
            fail(
                command,
                &Failure::unusable("usage", format!("--at: {why}")),
                json,
            )
        })
    };
    let (command, op) = match cmd {
        TrustCommand::Status => ("status", TrustOp::Status),
        TrustCommand::History => ("history", TrustOp::History),
        TrustCommand::Init {
            root,
            from,
            at: a,
            force,
        } => match at(a, "init") {
            Ok(at) => (
                "init",
                TrustOp::Init {
                    root,
                    from,
                    at,
                    force,
                },
            ),
            Err(code) => return code,
        },
        TrustCommand::Update { from, at: a } => match at(a, "update") {
            Ok(at) => ("update", TrustOp::Update { from, at }),
            Err(code) => return code,
        },
        TrustCommand::Import { trusted_root } => ("import", TrustOp::Import { trusted_root }),
    };
    // `status --json` without --instance: public good's status, and the names.
    let asked = match (&op, &instance, json) {
        (TrustOp::Status, None, true) => Some(crate::trust::PUBLIC_GOOD.to_string()),
        _ => instance,
    };
    let req = Request::Trust(TrustRequest {
        instance: asked,
        op,
        hmac_key_file,
    });
    let r = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Trust(r)) => r,
        Ok(_) => return fail(command, &crate::cli::unexpected(), json),
        Err(f) => return fail(command, &f, json),
    };
    match r {
        TrustResponse::Status {
            statuses,
            instances,
        } => {
            if json {
                if let Some(st) = statuses.first() {
                    crate::cli::json_out(&StatusWithInstances {
                        status: st,
                        instances: &instances,
                    });
                }
            } else {
                for (i, st) in statuses.iter().enumerate() {
                    if i > 0 {
                        out("\n");
                    }
                    out(&present::trust::status(st));
                }
            }
        }
        TrustResponse::History { history } => {
            if json {
                crate::cli::json_out(&history);
            } else {
                out(&present::trust::history(&history));
            }
        }
        TrustResponse::Changed {
            outcome,
            unrecorded,
        } => {
            if let Some(why) = unrecorded {
                err_line(&format!("airlock trust {command}: warning: {why}"));
            }
            if json {
                crate::cli::json_out(&outcome);
            } else {
                out(&present::trust::outcome(&outcome));
            }
        }
    }
    crate::app::Outcome::Accepted.exit()
}
