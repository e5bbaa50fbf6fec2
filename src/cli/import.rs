//! `airlock import FILE|DIR… --policy FILE`: thin glue from the command line to
//! `crate::import`, and its table and JSON output.
//!
//! Owns: the flags, reading the policy file and its HMAC key files (owner-only), choosing the
//! trust root, the progress bar, exit codes. Must not touch: verification, policy semantics.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::cli::{say_lines, warn, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};
use crate::import::report::{ImportReport, TrustRootRef, Verdict};
use crate::input;
use crate::limits;
use crate::policy::cip::PolicySet;
use crate::reference::NameSource;
use crate::time::Timestamp;

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Tarballs (.tar, .tar.gz, .tar.zst) or folders to import.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,
    /// The ClusterImagePolicy file (YAML, one or more documents) every artifact must satisfy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A trusted_root.json to use instead of the installed trust roots (not TUF-verified).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Verify against this installed trust instance only (default: every instance, each bundle
    /// against the one whose Fulcio CA issued it).
    #[arg(long, value_name = "NAME", conflicts_with = "trusted_root")]
    pub instance: Option<String>,
    /// Print one JSON document with every result instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The ledger's HMAC key, when kept outside the data dir.
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
    /// Names the one unnamed image of the one input (REGISTRY/REPOSITORY[:TAG]), so that
    /// repository-scoped policies apply to it (cosign save writes no name). Recorded with source
    /// `operator`: an unsigned claim, like a name in the layout.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
}

/// Reads an HMAC key file named by the policy: relative to the policy's folder, a regular file
/// readable by its owner only (like an SSH private key), at most 4 KiB; a trailing newline is
/// not part of the key.
fn key_loader(policy_dir: &Path) -> impl Fn(&str) -> Result<Vec<u8>, String> + '_ {
    move |name: &str| {
        use std::os::unix::fs::PermissionsExt;
        let p = if Path::new(name).is_absolute() {
            PathBuf::from(name)
        } else {
            policy_dir.join(name)
        };
        let (f, _) = input::open_regular(&p, "HMAC key file").map_err(|e| e.to_string())?;
        let mode = f
            .metadata()
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: the key file is readable by others (mode {:o}); chmod 600 it",
                crate::text::ShownPath(&p),
                mode & 0o777
            ));
        }
        drop(f);
        let mut key = input::read_capped(&p, limits::MAX_HMAC_KEY_BYTES, "HMAC key file")
            .map_err(|e| e.to_string())?;
        if key.last() == Some(&b'\n') {
            key.pop();
            if key.last() == Some(&b'\r') {
                key.pop();
            }
        }
        Ok(key)
    }
}

/// Loads and validates the whole policy (before any input is read).
pub(crate) fn load_policy(path: &Path) -> Result<PolicySet, String> {
    let bytes =
        input::read_capped(path, limits::MAX_POLICY_BYTES, "policy").map_err(|e| e.to_string())?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let loader = key_loader(dir);
    PolicySet::parse(&path.display().to_string(), &bytes, &loader).map_err(|e| e.to_string())
}

/// The import's view of the loaded trust roots.
pub(crate) fn trusted_of(
    roots: &super::verify_bundle::Roots,
) -> Vec<crate::import::check::Trusted<'_>> {
    roots
        .list
        .iter()
        .map(|r| crate::import::check::Trusted {
            verifier: &r.verifier,
            root: root_ref(&r.info, r.instance.clone()),
        })
        .collect()
}

fn root_ref(info: &crate::trust::RootInfo, instance: Option<String>) -> TrustRootRef {
    TrustRootRef {
        instance,
        digest: format!("sha256:{}", info.digest),
        source: info.source.clone(),
        tuf_verified: info.tuf_verified,
        tuf_root_version: info.tuf_root_version,
        stale: info.stale,
    }
}

/// What an import or a re-verification needs before it reads anything: the validated policy, the
/// trust roots and the open ledger.
fn prepare(
    policy: &Path,
    trusted_root: Option<&Path>,
    instance: Option<&str>,
    hmac_key_file: Option<&Path>,
    data_dir: &Path,
    now: Timestamp,
) -> Result<(PolicySet, super::verify_bundle::Roots, crate::store::Ledger), (&'static str, String)>
{
    let policies = load_policy(policy).map_err(|m| ("policy-invalid", m))?;
    let roots = super::verify_bundle::resolve_root_for(trusted_root, instance, data_dir, now)?;
    let ledger = crate::store::Ledger::open(data_dir, hmac_key_file)
        .map_err(|e| (e.code(), e.to_string()))?;
    let installed = super::trust::factory_install_records(&roots.list);
    if !installed.is_empty() {
        ledger
            .append(&installed, now)
            .map_err(|e| (e.code(), e.to_string()))?;
    }
    Ok((policies, roots, ledger))
}

/// Refuses the whole command before any input is read: one line on stderr, and with `--json`
/// one JSON object (`reason`, `message`) on stdout; exit 2.
fn unusable(json: bool, code: &str, message: &str) -> u8 {
    warn(&format!("airlock import: [{code}] {message}"));
    if json {
        let v = serde_json::json!({"verdict": null, "reason": code, "message": message, "exit": EXIT_USAGE});
        let mut o = crate::cli::stdout();
        let _ = writeln!(o, "{v}");
    }
    EXIT_USAGE
}

/// Runs `import`; returns the exit code.
pub fn run(args: ImportArgs, data_dir: &Path, now: Timestamp) -> u8 {
    let Some(policy_path) = &args.policy else {
        return unusable(
            args.json,
            "usage",
            "no policy given: pass --policy FILE (a ClusterImagePolicy); airlock never imports without one",
        );
    };
    if args.image.is_some() && args.inputs.len() != 1 {
        return unusable(
            args.json,
            "usage",
            &format!(
                "--image names the image of one input, and {} inputs were given: import them one at a time",
                args.inputs.len()
            ),
        );
    }
    // The ledger is opened before any input is read: an import that cannot be recorded does
    // not happen.
    let (policies, roots, ledger) = match prepare(
        policy_path,
        args.trusted_root.as_deref(),
        args.instance.as_deref(),
        args.hmac_key_file.as_deref(),
        data_dir,
        now,
    ) {
        Ok(p) => p,
        Err((code, m)) => return unusable(args.json, code, &m),
    };
    // Holding the ledger, this is the only import of the data dir: what a killed import left in
    // staging is removed.
    crate::import::clear_staging(data_dir);
    let bar = progress_bar();
    let progress = |path: &Path, done: u64, total: u64| {
        if let Some(b) = &bar {
            if total >= PROGRESS_MIN_BYTES {
                if b.length() != Some(total) {
                    b.set_length(total);
                    b.set_position(0);
                    b.set_message(crate::text::escape(&path.display().to_string()));
                }
                b.set_position(done);
            }
        }
    };
    // Files of a large folder (a wheelhouse) are decided on every core: counted on the bar.
    let checked = |done: usize, total: usize| {
        if let Some(b) = &bar {
            if total >= PROGRESS_MIN_FILES {
                if b.length() != Some(total as u64) {
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:30}] {pos}/{len} files {per_sec} {eta}",
                    ) {
                        b.set_style(style.progress_chars("=> "));
                    }
                    b.set_message("deciding");
                    b.set_length(total as u64);
                }
                b.set_position(done as u64);
            }
        }
    };
    let trusted = trusted_of(&roots);
    let req = crate::import::Request {
        inputs: &args.inputs,
        data_dir,
        policies: &policies,
        roots: &trusted,
        now,
        progress: Some(&progress),
        keep: true,
        import_id: None,
        image: args.image.as_deref(),
        checked: Some(&checked),
    };
    let outcome = match crate::import::run(&req) {
        Ok(o) => o,
        Err(e) => {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            return unusable(args.json, e.code(), &e.to_string());
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for u in &outcome.unusable {
        warn(&format!("airlock import: [{}] {}", u.code, u.message));
    }
    // One transaction for the whole import, flushed before it reports done.
    let records = crate::import::ledger_records(&outcome.report);
    // Crash tests only (tests/ledger_crash.rs): die at a named step as a power cut would.
    let crash = std::env::var("AIRLOCK_CRASH_AT").ok();
    if crash.as_deref() == Some("before-record") {
        std::process::abort();
    }
    if let Err(e) = ledger.append_crashing(&records, &outcome.blobs, now, crash.as_deref()) {
        return unusable(
            args.json,
            e.code(),
            &format!("the import was decided but could not be recorded: {e}"),
        );
    }
    if args.json {
        match serde_json::to_string_pretty(&outcome.report) {
            Ok(s) => {
                let mut o = crate::cli::stdout();
                let _ = writeln!(o, "{s}");
            }
            Err(e) => warn(&format!("airlock import: cannot encode JSON: {e}")),
        }
    } else {
        print_table(&outcome.report);
    }
    if !outcome.unusable.is_empty() {
        EXIT_USAGE
    } else if outcome.report.verdict == Verdict::Accepted {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}

/// Inputs smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Inputs with fewer files than this get no count of files decided.
const PROGRESS_MIN_FILES: usize = 100;

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if crate::cli::capturing() || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    ) {
        b.set_style(style.progress_chars("=> "));
    }
    Some(b)
}

fn short(d: &str) -> String {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    format!("sha256:{}", hex.get(..12).unwrap_or(hex))
}

fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn print_table(r: &ImportReport) {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "import {}: policy {} ({}), trust root {} from {}{}",
        r.import_id,
        r.policy.file,
        short(&r.policy.digest),
        short(&r.trust_root.digest),
        r.trust_root.source,
        if r.trust_root.stale {
            " (STALE: refresh it from USB)"
        } else {
            ""
        }
    );
    for input in &r.inputs {
        let t = &input.tarball;
        let _ = writeln!(s);
        let what = match &t.sha256 {
            Some(h) => format!("{}, {}, {}", t.format, human_size(t.size), short(h)),
            None => t.format.clone(),
        };
        let _ = writeln!(
            s,
            "{}  {} ({what})",
            input.verdict.as_str().to_uppercase(),
            crate::text::escape(&t.name)
        );
        if let (Some(code), Some(m)) = (&input.reason, &input.message) {
            let _ = writeln!(s, "  [{code}] {m}");
        }
        if !input.artifacts.is_empty() {
            let names: Vec<String> = input
                .artifacts
                .iter()
                .map(|a| crate::text::escape(&a.artifact.name))
                .collect();
            let w = names
                .iter()
                .map(|n| n.chars().count())
                .max()
                .unwrap_or(8)
                .clamp(8, 60);
            let _ = writeln!(
                s,
                "  {:<w$}  {:<11}  {:<19}  {:<8}  DETAILS",
                "ARTIFACT", "KIND", "DIGEST", "VERDICT"
            );
            for (a, name) in input.artifacts.iter().zip(&names) {
                let details = match a.verdict {
                    Verdict::Accepted => {
                        let mut d = match (&a.identity, &a.issuer, &a.artifact.covered_by) {
                            (_, _, Some(by)) => format!("covered by {by}"),
                            (Some(i), Some(iss), _) => format!("signed by {i} (issuer {iss})"),
                            (Some(i), None, _) => format!("signed by {i}"),
                            _ => "accepted by a static authority".to_string(),
                        };
                        if !a.predicate_types.is_empty() {
                            let _ = write!(d, "; attested {}", a.predicate_types.join(", "));
                        }
                        d
                    }
                    Verdict::Rejected => format!(
                        "[{}] {}",
                        a.reason.as_deref().unwrap_or("rejected"),
                        a.message.as_deref().unwrap_or("")
                    ),
                };
                let _ = writeln!(
                    s,
                    "  {name:<w$}  {:<11}  {:<19}  {:<8}  {details}",
                    a.artifact.kind,
                    short(&a.artifact.digest),
                    a.verdict.as_str()
                );
                // Where each name came from, when one is not the medium's own claim or there
                // are several: names select the policies.
                if a.references.len() > 1
                    || a.references.iter().any(|n| n.source != NameSource::Layout)
                {
                    let shown: Vec<String> = a
                        .references
                        .iter()
                        .map(|n| format!("{} ({})", n.name, n.source.as_str()))
                        .collect();
                    let _ = writeln!(s, "  {:<w$}  names: {}", "", shown.join(", "));
                }
                for warning in &a.warnings {
                    let _ = writeln!(s, "  {:<w$}  WARNING: {warning}", "");
                }
            }
        }
        for o in &input.orphans {
            let _ = writeln!(s, "  note: evidence not used: {} ({})", o.origin, o.why);
        }
        if !input.unreferenced_blobs.is_empty() {
            let _ = writeln!(
                s,
                "  note: {} blob(s) no manifest reaches (reported, not trusted): {}",
                input.unreferenced_blobs.len(),
                input
                    .unreferenced_blobs
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(k) = &input.kept_at {
            let _ = writeln!(s, "  kept at {k}");
        }
    }
    for p in &r.policies_matched_nothing {
        let _ = writeln!(
            s,
            "note: [policy-matched-nothing] policy {p} matched no artifact of this import"
        );
    }
    let acc = r
        .inputs
        .iter()
        .filter(|i| i.verdict == Verdict::Accepted)
        .count();
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{} input(s): {acc} accepted, {} rejected",
        r.inputs.len(),
        r.inputs.len() - acc
    );
    say_lines(&s);
}

/// Arguments of `reverify`.
#[derive(Debug, clap::Args)]
pub struct ReverifyArgs {
    /// Only decisions recorded at or after this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// The policy in force now (default: `policy.yaml` in the data dir).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A trusted_root.json to decide against instead of the installed trust roots.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Runs `reverify`: exit 0 when no verdict would change, 1 when any would.
pub fn reverify(args: ReverifyArgs, data_dir: &Path, now: Timestamp) -> u8 {
    let since = match args
        .since
        .as_deref()
        .map(crate::time::parse_rfc3339)
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return unusable(args.json, "usage", &format!("--since: {e}")),
    };
    let policy_path = args
        .policy
        .clone()
        .unwrap_or_else(|| data_dir.join("policy.yaml"));
    let (policies, roots, ledger) = match prepare(
        &policy_path,
        args.trusted_root.as_deref(),
        None,
        args.hmac_key_file.as_deref(),
        data_dir,
        now,
    ) {
        Ok(p) => p,
        Err((code, m)) => return unusable(args.json, code, &m),
    };
    let records = match ledger.query(&crate::store::Filter {
        since,
        ..Default::default()
    }) {
        Ok(r) => r,
        Err(e) => return unusable(args.json, e.code(), &e.to_string()),
    };
    let trusted = trusted_of(&roots);
    let req = crate::import::Request {
        inputs: &[],
        data_dir,
        policies: &policies,
        roots: &trusted,
        now,
        progress: None,
        keep: false,
        import_id: None,
        image: None,
        checked: None,
    };
    let fetch = |d: &str| ledger.evidence(d).ok().flatten();
    let found = match crate::import::reverify::reverify(&records, &req, &fetch) {
        Ok(f) => f,
        Err(e) => return unusable(args.json, e.code(), &e.to_string()),
    };
    // The re-verification is itself recorded: one record per changed verdict, and the run.
    let under = crate::store::record_types::DecidedUnder {
        trust_root_digest: trusted
            .first()
            .map(|t| t.root.digest.clone())
            .unwrap_or_default(),
        trust_root_instance: trusted.first().and_then(|t| t.root.instance.clone()),
        tuf_root_version: trusted.first().and_then(|t| t.root.tuf_root_version),
        trust_root_stale: trusted.first().is_some_and(|t| t.root.stale),
        policy_digest: Some(policies.digest.clone()),
    };
    let mut inputs: Vec<crate::store::RecordInput> = found
        .changes
        .iter()
        .map(|c| crate::store::RecordInput {
            kind: "reverify".into(),
            import_id: c.import_id.clone(),
            artifact: Some(crate::store::record_types::ArtifactRef {
                name: c.artifact.clone(),
                digest: c.digest.clone(),
                ..Default::default()
            }),
            verdict: c.now.clone(),
            reason: c.reason.clone(),
            message: Some(format!(
                "record {} was {}, now {}: {}",
                c.record_id,
                c.was,
                c.now,
                c.message.clone().unwrap_or_default()
            )),
            decided_under: under.clone(),
            airlock_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        })
        .collect();
    inputs.push(crate::store::RecordInput {
        kind: "reverify-run".into(),
        verdict: if found.changes.is_empty() {
            "accepted"
        } else {
            "rejected"
        }
        .into(),
        reason: (!found.changes.is_empty()).then(|| "verdicts-changed".to_string()),
        message: Some(format!(
            "{} decision(s) made again ({} from stored evidence), {} would change, {} could not be made again",
            found.checked,
            found.from_stored_evidence,
            found.changes.len(),
            found.not_checked.len()
        )),
        decided_under: under,
        airlock_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    });
    if let Err(e) = ledger.append(&inputs, now) {
        return unusable(args.json, e.code(), &e.to_string());
    }
    if args.json {
        match serde_json::to_string_pretty(&found) {
            Ok(s) => {
                let _ = writeln!(crate::cli::stdout(), "{s}");
            }
            Err(e) => warn(&format!("airlock reverify: cannot encode JSON: {e}")),
        }
    } else {
        let mut s = format!(
            "{} decision(s) made again under policy {} and the trust root(s) in force now\n",
            found.checked, policies.file
        );
        for c in &found.changes {
            s.push_str(&format!(
                "  record {:>6}  {}  {}  {} -> {}  [{}] {}\n",
                c.record_id,
                crate::text::escape_capped(&c.artifact, 50),
                short(&c.digest),
                c.was,
                c.now,
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ));
        }
        for n in &found.not_checked {
            s.push_str(&format!("  not made again: {n}\n"));
        }
        s.push_str(&format!(
            "{} verdict(s) would change\n",
            found.changes.len()
        ));
        say_lines(&s);
    }
    if found.changes.is_empty() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}
