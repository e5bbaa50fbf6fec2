//! Ledger records in plain words: one line per record for `query`, and the full text of `show`.
//!
//! Owns: those renderings. Must not touch: the ledger itself, stdout.

use crate::app::ledger::ShowResponse;
use crate::store::{Record, Verdict};

/// One line of the query table.
pub fn line(r: &Record) -> String {
    let b = &r.body;
    let digest = b
        .artifact
        .as_ref()
        .map(|a| a.digest.clone())
        .unwrap_or_default();
    // What the record is about: the artifact, else the input, else the event (a trust update).
    let name = match (&b.artifact, &b.tarball) {
        (Some(a), _) => a.name.clone(),
        (None, Some(t)) => t.name.clone(),
        (None, None) => format!(
            "{} {}",
            b.kind,
            b.decided_under.trust_root_instance.as_deref().unwrap_or("")
        ),
    };
    let short = digest.get(..19).unwrap_or(&digest).to_string();
    let why = match (&b.reason, b.verdict, &b.identity) {
        (Some(c), Verdict::Rejected, _) => format!("[{c}]"),
        (_, _, Some(i)) => i.clone(),
        (Some(c), _, None) => c.clone(),
        (None, _, None) => String::new(),
    };
    format!(
        "{:>6}  {}  {:<8}  {:<19}  {}  {}",
        r.id,
        r.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        b.verdict.as_str(),
        short,
        crate::text::escape_capped(&name, 50),
        why
    )
}

/// One record for people: what it is about, its verdict, and where it sits in the chain.
pub fn show_text(r: &ShowResponse) -> String {
    use std::fmt::Write as _;
    let rec = &r.record;
    let b = &rec.body;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "record {} ({}), recorded {}",
        rec.id, b.kind, rec.recorded_at
    );
    let _ = writeln!(s, "  verdict      {}", b.verdict);
    if let Some(code) = &b.reason {
        let _ = writeln!(
            s,
            "  reason       [{code}] {}",
            crate::reason::explain(code)
        );
    }
    if let Some(m) = &b.message {
        let _ = writeln!(s, "  message      {m}");
    }
    if let Some(id) = &b.import_id {
        let _ = writeln!(s, "  import       {id}");
    }
    if let Some(p) = &b.push {
        let _ = writeln!(
            s,
            "  pushed to    {}{}",
            crate::text::escape(&p.destination),
            if p.retryable {
                " (failed; retryable: run the same push again)"
            } else {
                ""
            }
        );
        for repo in &p.repositories {
            let _ = writeln!(
                s,
                "    {}  tags {}  {} manifest(s), {} blob(s) sent, {} present, {} mounted",
                crate::text::escape(&repo.repository),
                if repo.tags.is_empty() {
                    "-".to_string()
                } else {
                    repo.tags.join(",")
                },
                repo.manifests.len(),
                repo.blobs_uploaded,
                repo.blobs_present,
                repo.blobs_mounted
            );
            for e in &repo.evidence {
                let _ = writeln!(
                    s,
                    "      {:<16} {}{}",
                    e.kind,
                    e.digest,
                    e.tag
                        .as_deref()
                        .map(|t| format!(" (tag {t})"))
                        .unwrap_or_default()
                );
            }
            if let Some(v) = &repo.vsa_digest {
                let _ = writeln!(s, "      VSA bundle referrer {v}");
            }
        }
    }
    if let Some(t) = &b.tarball {
        let _ = writeln!(
            s,
            "  input        {} ({} bytes{})",
            t.name,
            t.size,
            t.sha256
                .as_deref()
                .map(|h| format!(", sha256:{h}"))
                .unwrap_or_default()
        );
    }
    if let Some(a) = &b.artifact {
        let _ = writeln!(s, "  artifact     {} ({})", a.name, a.kind);
        let _ = writeln!(s, "  digest       {}", a.digest);
        for n in &a.references {
            let _ = writeln!(s, "  name         {} ({})", n.name, n.source.as_str());
        }
        if let Some(by) = &a.covered_by {
            let _ = writeln!(s, "  covered by   {by}");
        }
    }
    if let Some(i) = &b.identity {
        let _ = writeln!(s, "  signed by    {i}");
    }
    if let Some(i) = &b.issuer {
        let _ = writeln!(s, "  issuer       {i}");
    }
    for p in &b.predicate_types {
        let _ = writeln!(s, "  attested     {p}");
    }
    if let Some(t) = b.signed_at {
        let _ = writeln!(
            s,
            "  signed at    {t} ({})",
            b.signed_at_source.as_deref().unwrap_or("?")
        );
    }
    for e in &b.tlog_entries {
        let _ = writeln!(s, "  logged       log {} index {}", e.log_id, e.log_index);
    }
    let u = &b.decided_under;
    if !u.trust_root_digest.is_empty() {
        let _ = writeln!(
            s,
            "  trust root   {}{}{}",
            u.trust_root_instance
                .as_deref()
                .map(|i| format!("{i} "))
                .unwrap_or_default(),
            u.trust_root_digest,
            if u.trust_root_stale { " (stale)" } else { "" }
        );
    }
    if let Some(p) = &u.policy_digest {
        let _ = writeln!(s, "  policy       {p}");
    }
    if let Some(k) = &b.kept_at {
        let _ = writeln!(s, "  kept at      {k}");
    }
    let _ = writeln!(s, "  chain        previous {}", rec.prev_hash);
    let _ = writeln!(s, "               this     {}", rec.hash);
    for e in r.stored_evidence_bytes.iter().flatten() {
        match e.size {
            Some(n) => {
                let _ = writeln!(s, "  stored       {} ({n} bytes)", e.digest);
            }
            None => {
                let _ = writeln!(s, "  stored       {} (missing)", e.digest);
            }
        }
    }
    s
}
