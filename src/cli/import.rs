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
use crate::present;

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
        say_lines(&present::import::table(&r.report));
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
        say_lines(&present::import::reverify(&r));
    }
    if found.changes.is_empty() {
        crate::app::Outcome::Accepted.exit()
    } else {
        crate::app::Outcome::Rejected.exit()
    }
}
