//! The import and reverify reports in plain words: the table an operator reads after an import.
//!
//! Owns: that table, sizes and short digests in words. Must not touch: deciding, the ledger, stdout
//! (callers print what these return).

use crate::import::report::{ImportReport, Verdict};
use crate::reference::NameSource;

pub fn short(d: &str) -> String {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    format!("sha256:{}", hex.get(..12).unwrap_or(hex))
}

pub fn human_size(n: u64) -> String {
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
pub fn describe_root(t: &crate::import::report::TrustRootRef) -> String {
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

pub fn table(r: &ImportReport) -> String {
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
    s
}

/// What `reverify` found: each verdict that changed (or would), what could not be decided again.
pub fn reverify(r: &crate::app::import::ReverifyResponse) -> String {
    let found = &r.found;
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
    s
}
