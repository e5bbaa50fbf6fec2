//! `airlock import FILE|DIR… --policy FILE` and `airlock reverify`: their flags, the progress
//! bar, and the renderers (table and JSON) of their typed responses.
//!
//! Owns: the flags, the progress bar, the table. Must not touch: what an import does (that is
//! `app::import`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::app::import::{ImportRequest, ReverifyRequest};
use crate::app::roots::RootChoice;
use crate::app::{Failure, Hooks, Request, Response};
use crate::cli::{fail, json_out, say_lines, warn};
use crate::import::report::{ImportReport, Verdict};
use crate::reference::NameSource;

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

/// Runs `import`; returns the exit code.
pub fn run(args: ImportArgs, data_dir: &Path) -> u8 {
    let Some(policy) = args.policy.clone() else {
        return fail(
            "import",
            &Failure::unusable(
                "usage",
                "no policy given: pass --policy FILE (a ClusterImagePolicy); airlock never imports without one",
            ),
            args.json,
        );
    };
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
    let req = Request::Import(ImportRequest {
        inputs: args.inputs,
        policy,
        roots: RootChoice {
            trusted_root: args.trusted_root,
            staging: false,
            instance: args.instance,
        },
        image: args.image,
        hmac_key_file: args.hmac_key_file,
    });
    let hooks = Hooks {
        progress: Some(&progress),
        checked: Some(&checked),
    };
    let r = crate::cli::execute(data_dir, req, &hooks);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let r = match r {
        Ok(Response::Import(r)) => r,
        Ok(_) => return fail("import", &crate::cli::unexpected(), args.json),
        Err(f) => return fail("import", &f, args.json),
    };
    for u in &r.unusable {
        warn(&format!("airlock import: [{}] {}", u.reason, u.message));
    }
    if args.json {
        json_out(&r.report);
    } else {
        print_table(&r.report);
    }
    r.outcome().exit()
}

/// Inputs smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Inputs with fewer files than this get no count of files decided.
const PROGRESS_MIN_FILES: usize = 100;

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
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

/// A trust root in the import header: its instance, digest and source.
fn describe_root(t: &crate::import::report::TrustRootRef) -> String {
    format!(
        "{}{} from {}{}",
        t.instance
            .as_deref()
            .map(|i| format!("{i} "))
            .unwrap_or_default(),
        short(&t.digest),
        t.source,
        if t.stale {
            " (STALE: refresh it from USB)"
        } else {
            ""
        }
    )
}

fn print_table(r: &ImportReport) {
    use std::fmt::Write as _;
    let mut s = String::new();
    // Every root the artifacts were decided under, by instance (each artifact's evidence
    // names its own).
    let roots: Vec<String> = if r.trust_roots.is_empty() {
        vec![describe_root(&r.trust_root)]
    } else {
        r.trust_roots.iter().map(describe_root).collect()
    };
    let _ = writeln!(
        s,
        "import {}: policy {} ({}), trust root{} {}",
        r.import_id,
        r.policy.file,
        short(&r.policy.digest),
        if roots.len() > 1 { "s" } else { "" },
        roots.join("; ")
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
                let instances: std::collections::BTreeSet<&str> = a
                    .evidence
                    .iter()
                    .filter(|e| e.verified)
                    .filter_map(|e| e.instance.as_deref())
                    .collect();
                if roots.len() > 1 && !instances.is_empty() {
                    let list: Vec<&str> = instances.into_iter().collect();
                    let _ = writeln!(
                        s,
                        "  {:<w$}  decided under instance {}",
                        "",
                        list.join(", ")
                    );
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
    /// Decide every record under this policy instead of the one it was decided under (which the
    /// ledger keeps): a what-if, unless applied.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A trusted_root.json to decide against instead of the installed trust roots.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Record each changed verdict as its artifact's latest (without it, only the run is
    /// recorded: `query` and the API keep the verdicts decided at import).
    #[arg(long)]
    pub apply: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// The ledger's HMAC key, when kept outside the data dir.
    #[arg(long, value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Runs `reverify`: exit 0 when no verdict changed (or would), 1 when any did.
pub fn reverify(args: ReverifyArgs, data_dir: &Path) -> u8 {
    let since = match args
        .since
        .as_deref()
        .map(crate::time::parse_rfc3339)
        .transpose()
    {
        Ok(s) => s,
        Err(e) => {
            return fail(
                "reverify",
                &Failure::unusable("usage", format!("--since: {e}")),
                args.json,
            )
        }
    };
    let req = Request::Reverify(ReverifyRequest {
        since,
        policy: args.policy,
        trusted_root: args.trusted_root,
        apply: args.apply,
        hmac_key_file: args.hmac_key_file,
    });
    let r = match crate::cli::execute(data_dir, req, &Hooks::default()) {
        Ok(Response::Reverify(r)) => r,
        Ok(_) => return fail("reverify", &crate::cli::unexpected(), args.json),
        Err(f) => return fail("reverify", &f, args.json),
    };
    let found = &r.found;
    if args.json {
        json_out(&r);
    } else {
        let under = match r.policies.as_slice() {
            [] => "no policy (nothing to decide again)".to_string(),
            [one] => format!("policy {}", short(one)),
            many => format!("{} policies (each record's own)", many.len()),
        };
        let mut s = format!(
            "{} decision(s) made again under {under} and the trust root(s) in force now\n",
            found.checked
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
        if r.applied {
            s.push_str(&format!(
                "{} verdict(s) changed, recorded as the latest\n",
                found.changes.len()
            ));
        } else {
            s.push_str(&format!(
                "{} verdict(s) would change (not applied: rerun with --apply to record them as the latest)\n",
                found.changes.len()
            ));
        }
        say_lines(&s);
    }
    if found.changes.is_empty() {
        crate::app::Outcome::Accepted.exit()
    } else {
        crate::app::Outcome::Rejected.exit()
    }
}
