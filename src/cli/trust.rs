//! `airlock trust …`: thin glue from the command line to `crate::trust`, and its output.
//!
//! Owns: the clap definitions of the trust subcommands, the one reading of the clock for them
//! (`crate::clock::now()`), text and JSON output, exit codes. Must not touch: TUF, the trust
//! store's files, crypto.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::time::{parse_rfc3339, Timestamp, Window};
use crate::trust::{self, InitRequest, Outcome, RootInfo, TrustError, TufSummary};

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

fn json_out(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            let mut o = crate::cli::stdout();
            let _ = writeln!(o, "{s}");
            let _ = o.flush();
        }
        Err(e) => err_line(&format!("airlock: cannot encode JSON output: {e}")),
    }
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

/// Prints a failure: one line on stderr (and a JSON object on stdout with `--json`).
fn fail(command: &str, e: &TrustError, json: bool, scope: (&Path, &str), now: Timestamp) -> u8 {
    let code = e.exit_code();
    let in_force = trust::installed_in(scope.0, scope.1, now).ok().flatten();
    let mut line = if e.is_refusal() {
        format!("airlock trust {command}: refused [{}]: {e}", e.code())
    } else {
        format!("airlock trust {command}: [{}] {e}", e.code())
    };
    if e.is_refusal() {
        match &in_force {
            Some(info) => line.push_str(&format!(
                "; the trust root in force is unchanged: {}",
                describe(info)
            )),
            None => line.push_str("; no trust root was installed"),
        }
    }
    err_line(&line);
    if json {
        json_out(&serde_json::json!({
            "ok": false,
            "exit": code,
            "code": e.code(),
            "refused": e.is_refusal(),
            "error": e.to_string(),
            "inForce": in_force,
        }));
    }
    code
}

fn usage(command: &str, why: &str, json: bool) -> u8 {
    err_line(&format!("airlock trust {command}: [usage] {why}"));
    if json {
        json_out(&serde_json::json!({
            "ok": false, "exit": 2, "code": "usage", "refused": false, "error": why,
        }));
    }
    2
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

/// Prints a command's result (JSON with `--json`, else `text`) or its failure; returns the exit
/// code.
fn finish<T: serde::Serialize>(
    command: &str,
    result: Result<T, TrustError>,
    text: fn(&T),
    json: bool,
    scope: (&Path, &str),
    now: Timestamp,
) -> u8 {
    match result {
        Ok(v) if json => {
            json_out(&v);
            0
        }
        Ok(v) => {
            text(&v);
            0
        }
        Err(e) => fail(command, &e, json, scope, now),
    }
}

/// What a trust event was decided under: the root it installed or kept.
fn decided_under(
    info: &RootInfo,
    instance: Option<String>,
) -> crate::store::record_types::DecidedUnder {
    crate::store::record_types::DecidedUnder {
        trust_root_digest: format!("sha256:{}", info.digest),
        trust_root_instance: instance,
        tuf_root_version: info.tuf_root_version,
        trust_root_stale: info.stale,
        policy_digest: None,
    }
}

/// The ledger record of a trust event: an accepted init, update or import, or a failed one
/// (a refusal, or a medium that could not even be read), with the failure's reason code.
pub(crate) fn trust_event_record(
    instance: &str,
    action: &str,
    r: &Result<Outcome, TrustError>,
) -> crate::store::RecordInput {
    let base = crate::store::RecordInput {
        kind: "trust-event".into(),
        airlock_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    };
    match r {
        Ok(o) => crate::store::RecordInput {
            verdict: "accepted".into(),
            reason: Some(if o.changed {
                action.to_string()
            } else {
                format!("{action}-unchanged")
            }),
            message: Some(format!("{} offered {}", o.offered, o.info.digest)),
            decided_under: decided_under(&o.info, Some(instance.to_string())),
            ..base
        },
        Err(e) => crate::store::RecordInput {
            verdict: "rejected".into(),
            reason: Some(e.code().into()),
            message: Some(format!("{action}: {e}")),
            decided_under: crate::store::record_types::DecidedUnder {
                trust_root_instance: Some(instance.to_string()),
                ..Default::default()
            },
            ..base
        },
    }
}

/// The trust events of loading `roots`: public good's factory trust root installed on the data
/// dir's first use (the trust history holds it too; this puts it in the ledger).
pub(crate) fn factory_install_records<'a>(
    roots: impl IntoIterator<Item = &'a super::verify_bundle::LoadedRoot>,
) -> Vec<crate::store::RecordInput> {
    roots
        .into_iter()
        .filter(|r| r.factory_installed)
        .map(|r| crate::store::RecordInput {
            kind: "trust-event".into(),
            verdict: "accepted".into(),
            reason: Some("factory-install".into()),
            message: Some(format!(
                "the factory trust root built into airlock {} ({}) was installed on first use",
                env!("CARGO_PKG_VERSION"),
                r.info.source
            )),
            decided_under: decided_under(&r.info, r.instance.clone()),
            airlock_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        })
        .collect()
}

/// Records a trust event in the ledger. The trust store's own history is the authority; a ledger
/// that cannot be opened is said, not fatal.
fn record_event(
    data_dir: &Path,
    instance: &str,
    action: &str,
    r: &Result<Outcome, TrustError>,
    now: Timestamp,
) {
    // A failure that is not a decision (an unreadable medium, a data dir that cannot be
    // written) is said on stderr only: nothing was decided about the trust root.
    if matches!(r, Err(e) if !e.is_refusal()) {
        return;
    }
    let input = trust_event_record(instance, action, r);
    let recorded = crate::store::Ledger::open(data_dir, None).and_then(|l| l.append(&[input], now));
    if let Err(e) = recorded {
        err_line(&format!("airlock trust {action}: warning: the trust event is in the trust history but not in the ledger: [{}] {e}", e.code()));
    }
}

/// Runs a `trust` subcommand; returns the process exit code (0 ok, 1 refused, 2 unusable input).
pub fn run(cmd: TrustCommand, data_dir: &Path, json: bool, instance: Option<&str>) -> u8 {
    let now = crate::clock::now();
    let now = now.round(jiff::Unit::Second).unwrap_or(now);
    let named = instance.unwrap_or(trust::PUBLIC_GOOD);
    match cmd {
        TrustCommand::Status => {
            // Without --instance: every instance (JSON: public good's status, and the names).
            if instance.is_none() && !json {
                let mut code = 0;
                for (i, name) in trust::instances(data_dir).iter().enumerate() {
                    if i > 0 {
                        out("\n");
                    }
                    code = code.max(finish(
                        "status",
                        trust::status_in(data_dir, name, now),
                        print_status,
                        false,
                        (data_dir, name),
                        now,
                    ));
                }
                return code;
            }
            let r = trust::status_in(data_dir, named, now).map(|st| StatusWithInstances {
                instances: trust::instances(data_dir),
                status: st,
            });
            finish(
                "status",
                r,
                |s| print_status(&s.status),
                json,
                (data_dir, named),
                now,
            )
        }
        TrustCommand::History => finish(
            "history",
            trust::history_in(data_dir, named, now),
            print_history,
            json,
            (data_dir, named),
            now,
        ),
        TrustCommand::Init {
            root,
            from,
            at,
            force,
        } => {
            let at = match parse_at(at.as_deref()) {
                Ok(a) => a,
                Err(why) => return usage("init", &format!("--at: {why}"), json),
            };
            let req = InitRequest {
                root,
                from,
                at,
                force,
            };
            let r = trust::init_in(data_dir, named, &req, now);
            record_event(data_dir, named, "init", &r, now);
            finish("init", r, print_outcome, json, (data_dir, named), now)
        }
        TrustCommand::Update { from, at } => {
            let at = match parse_at(at.as_deref()) {
                Ok(a) => a,
                Err(why) => return usage("update", &format!("--at: {why}"), json),
            };
            let r = trust::update_from_in(data_dir, named, &from, now, at);
            record_event(data_dir, named, "update", &r, now);
            finish("update", r, print_outcome, json, (data_dir, named), now)
        }
        TrustCommand::Import { trusted_root } => {
            let r = trust::import_in(data_dir, named, &trusted_root, now);
            record_event(data_dir, named, "import", &r, now);
            finish("import", r, print_outcome, json, (data_dir, named), now)
        }
    }
}

/// `trust status --json` (and the API's `/v1/trust-root`): the instance's status, and the names
/// of every instance.
#[derive(serde::Serialize)]
pub(crate) struct StatusWithInstances {
    #[serde(flatten)]
    pub status: trust::Status,
    pub instances: Vec<String>,
}
