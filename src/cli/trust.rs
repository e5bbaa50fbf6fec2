//! `airlock trust …`: the flags of the trust subcommands, and the renderers (text and JSON) of
//! their typed responses.
//!
//! Owns: the clap definitions, text and JSON output. Must not touch: TUF, the trust store's
//! files, recording trust events (that is `app::trust`).

use std::path::{Path, PathBuf};

use crate::app::trust::{StatusWithInstances, TrustOp, TrustRequest, TrustResponse};
use crate::app::{Failure, Hooks, Request, Response};
use crate::time::{parse_rfc3339, Timestamp, Window};
use crate::trust::{self, Outcome, RootInfo, TufSummary};

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

fn short(digest: &str) -> &str {
    digest.get(..16).unwrap_or(digest)
}

fn describe(info: &RootInfo) -> String {
    let tuf = match (info.tuf_verified, info.tuf_root_version) {
        (true, Some(v)) => format!("TUF-verified, root v{v}"),
        (true, None) => "TUF-verified".to_string(),
        (false, _) => "NOT TUF-verified".to_string(),
    };
    format!("sha256:{} ({tuf})", short(&info.digest))
}

fn roles(t: &TufSummary) -> String {
    format!(
        "root v{} (expires {}), timestamp v{} (expires {}), snapshot v{} (expires {}), targets v{} (expires {})",
        t.root.version,
        t.root.expires,
        t.timestamp.version,
        t.timestamp.expires,
        t.snapshot.version,
        t.snapshot.expires,
        t.targets.version,
        t.targets.expires
    )
}

fn window(w: &Window) -> String {
    match w.end {
        Some(end) => format!("{} .. {}", w.start, end),
        None => format!("{} .. (open)", w.start),
    }
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
                describe(info)
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

fn print_outcome(o: &Outcome) {
    let mut s = String::new();
    if let Some(f) = &o.factory_install {
        s.push_str(&format!(
            "first use: installed the factory trust root {} from {}\n",
            describe(f),
            f.source
        ));
    }
    if o.changed {
        s.push_str(&format!(
            "accepted ({}): trust root {} from {}\n",
            o.action,
            describe(&o.info),
            o.info.source
        ));
    } else {
        s.push_str(&format!(
            "unchanged ({}): {} offers exactly the trust state already in force, {} (installed from {})\n",
            o.action,
            o.offered,
            describe(&o.info),
            o.info.source
        ));
    }
    if let Some(t) = &o.tuf {
        s.push_str(&format!("  TUF roles: {}\n", roles(t)));
    }
    if let Some(at) = o.info.at_override {
        s.push_str(&format!(
            "  expiry judged at --at {at} (an operator decision, recorded)\n"
        ));
    }
    if let Some(p) = &o.previous {
        if o.changed {
            s.push_str(&format!("  previous: {} from {}\n", describe(p), p.source));
        }
    }
    if o.info.stale {
        if let Some(e) = o.info.expires {
            s.push_str(&format!(
                "WARNING: its TUF metadata expired at {e}: the trust root is stale; refresh it with `airlock trust update --from <USB folder>`\n"
            ));
        }
    }
    out(&s);
}

fn print_status(st: &trust::Status) {
    let mut s = String::new();
    let r = &st.root;
    s.push_str(&format!(
        "Instance {}: trust root in force: sha256:{}\n",
        st.instance, r.digest
    ));
    s.push_str(&format!(
        "  TUF-verified: {}\n",
        match (r.tuf_verified, r.tuf_root_version) {
            (true, Some(v)) => format!("yes (root v{v})"),
            (true, None) => "yes".into(),
            (false, _) => "NO (imported without TUF)".into(),
        }
    ));
    s.push_str(&format!("  source:       {} ({})\n", r.source, st.action));
    if let Some(a) = r.accepted_at {
        s.push_str(&format!("  accepted at:  {a}\n"));
    }
    if let Some(e) = st.evaluated_at {
        s.push_str(&format!(
            "  judged at:    {e}{}\n",
            match r.at_override {
                Some(_) => " (--at, operator decision)",
                None if st.action == "factory-install" => " (factory capture time)",
                None => "",
            }
        ));
    }
    if let Some(e) = r.expires {
        s.push_str(&format!(
            "  expires:      {e}{}\n",
            if r.stale { " (STALE)" } else { "" }
        ));
    }
    if let Some(t) = &st.tuf {
        let label = if r.tuf_verified {
            "TUF roles:   "
        } else {
            "TUF kept:    "
        };
        s.push_str(&format!("  {label} {}\n", roles(t)));
    }
    if let Some(d) = &st.signing_config_digest {
        s.push_str(&format!("  signing config: sha256:{d}\n"));
    }
    s.push_str(&format!("  generation:   {}\n", st.generation));
    for w in &st.warnings {
        s.push_str(&format!("WARNING: {w}\n"));
    }
    let authorities = |title: &str, list: &[trust::AuthorityView], s: &mut String| {
        s.push_str(&format!("{title} ({}):\n", list.len()));
        for a in list {
            s.push_str(&format!(
                "  {}  {} / {}  {} cert(s)  valid {}\n",
                a.uri,
                a.organization,
                a.common_name,
                a.certificates,
                window(&a.valid_for)
            ));
        }
    };
    let logs = |title: &str, list: &[trust::LogView], s: &mut String| {
        s.push_str(&format!("{title} ({}):\n", list.len()));
        for l in list {
            s.push_str(&format!(
                "  {}  log id {}  {}  valid {}\n",
                l.base_url,
                short(&l.log_id),
                l.key_details,
                window(&l.valid_for)
            ));
        }
    };
    authorities("Fulcio CAs", &st.certificate_authorities, &mut s);
    logs("Rekor logs", &st.tlogs, &mut s);
    logs("CT logs", &st.ctlogs, &mut s);
    authorities("Timestamp authorities", &st.timestamp_authorities, &mut s);
    out(&s);
}

fn print_history(h: &trust::History) {
    let mut s = String::new();
    if h.entries.is_empty() {
        s.push_str("no trust root accepted yet\n");
    }
    for e in &h.entries {
        let here = e.generation.is_some() && e.generation == h.current;
        let mark = if here { "*" } else { " " };
        if e.outcome == "accepted" {
            let tuf = match (&e.tuf, e.tuf_verified) {
                (Some(t), true) => format!(
                    "TUF root v{} timestamp v{} snapshot v{} targets v{}",
                    t.root.version, t.timestamp.version, t.snapshot.version, t.targets.version
                ),
                _ => "NOT TUF-verified".into(),
            };
            let digest = e.digest.as_deref().unwrap_or("?");
            let at = e
                .at_override
                .map(|a| format!(" --at {a}"))
                .unwrap_or_default();
            let recovered = if e.recovered { " (recovered)" } else { "" };
            s.push_str(&format!(
                "{mark} {}  accepted  {:<15} sha256:{}  {tuf}{at}  {}{recovered}\n",
                e.recorded_at,
                e.action,
                short(digest),
                e.source
            ));
        } else {
            s.push_str(&format!(
                "  {}  REFUSED   {:<15} [{}] {}  {}\n",
                e.recorded_at,
                e.action,
                e.code.as_deref().unwrap_or("?"),
                e.reason.as_deref().unwrap_or(""),
                e.source
            ));
        }
    }
    if h.unreadable_lines > 0 {
        s.push_str(&format!(
            "({} unreadable history line(s) skipped)\n",
            h.unreadable_lines
        ));
    }
    out(&s);
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
        (TrustOp::Status, None, true) => Some(trust::PUBLIC_GOOD.to_string()),
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
                    print_status(st);
                }
            }
        }
        TrustResponse::History { history } => {
            if json {
                crate::cli::json_out(&history);
            } else {
                print_history(&history);
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
                print_outcome(&outcome);
            }
        }
    }
    crate::app::Outcome::Accepted.exit()
}
