//! verify-bundle's results in plain words: one result, and the batch table.
//!
//! Owns: those renderings. Must not touch: verification, stdout.

use crate::app::roots::RootView;
use crate::app::verify_bundle::{SignatureView, VerificationResult, Verified};
use crate::time::Timestamp;

/// The bundle format version of a media type (`…bundle.v0.3+json`, `…bundle+json;version=0.2`).
pub fn bundle_version(media_type: &str) -> &str {
    media_type
        .split_once("version=")
        .map(|(_, v)| v)
        .or_else(|| {
            media_type
                .split_once(".v")
                .and_then(|(_, v)| v.split_once('+'))
                .map(|(v, _)| v)
        })
        .unwrap_or("?")
}

pub fn human(v: &Verified) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let content = if v.statement.is_some() {
        "DSSE attestation"
    } else {
        "message signature"
    };
    let _ = writeln!(out, "VERIFIED  {}", v.artifact);
    let _ = writeln!(
        out,
        "  bundle      {} (v{}, {content})",
        v.bundle,
        bundle_version(&v.bundle_media_type)
    );
    match (&v.signature, &v.verified_identity) {
        (
            SignatureView::Certificate {
                issuing_ca,
                verified_scts,
                ..
            },
            Some(identity),
        ) => {
            let _ = writeln!(out, "  signed by   {}", identity.subject_alternative_name);
            let _ = writeln!(out, "  issuer      {}", identity.issuer);
            let _ = writeln!(
                out,
                "  certificate issued by {issuing_ca}, {verified_scts} SCT(s) verified"
            );
        }
        (SignatureView::Key { public_key }, _) => {
            let _ = writeln!(
                out,
                "  signed by   managed key sha256:{}",
                public_key.sha256
            );
        }
        (SignatureView::Certificate { .. }, None) => {}
    }
    if let Some(st) = &v.statement {
        let _ = writeln!(out, "  predicate   {}", st.predicate_type);
    }
    for t in &v.verified_timestamps {
        let src = if t.kind == "Tlog" {
            "transparency log"
        } else {
            "timestamp authority"
        };
        let _ = writeln!(out, "  signed at   {} ({src} {})", t.timestamp, t.uri);
    }
    for e in &v.transparency_log_entries {
        let _ = writeln!(
            out,
            "  logged      {} index {} ({} {})",
            e.log_base_url, e.log_index, e.kind, e.version
        );
    }
    if let Some(root) = &v.trust_root {
        let _ = writeln!(out, "  trust root  {}", describe_root(root));
    }
    out
}

/// One line naming a trust root for operators.
pub fn describe_root(r: &RootView) -> String {
    let short = r.digest.get(..12).unwrap_or(&r.digest);
    let mut s = match &r.instance {
        Some(i) => format!("instance {i}: sha256:{short} from {}", r.source),
        None => format!("sha256:{short} from {}", r.source),
    };
    if r.tuf_verified {
        if let Some(v) = r.tuf_root_version {
            s.push_str(&format!(", TUF root v{v}"));
        }
    } else {
        s.push_str(", not TUF-verified");
    }
    if r.stale {
        s.push_str(", STALE (TUF metadata expired; refresh from USB)");
    }
    s
}

pub fn short_time(t: &Timestamp) -> String {
    let s = t.to_string();
    s.get(..10).unwrap_or(&s).to_string()
}

/// One row's label in the batch table: its name, and what the operator expected ("verified" or
/// "refused"; shown, never used to decide).
pub struct Row {
    pub name: String,
    pub expect: Option<String>,
}

pub fn table(rows: &[Row], results: &[VerificationResult], roots: &[RootView]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let names: Vec<String> = rows.iter().map(|r| crate::text::escape(&r.name)).collect();
    let w = names.iter().map(String::len).max().unwrap_or(8).max(8);
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<w$}  {:<8}  DETAILS", "BUNDLE", "RESULT");
    let _ = writeln!(out, "{}", "-".repeat(w + 60));
    let (mut ok, mut refused, mut surprises) = (0, 0, 0);
    for ((name, line), r) in names.iter().zip(rows).zip(results) {
        let verdict = match r {
            VerificationResult::Verified(_) => "verified",
            VerificationResult::Refused(_) => "refused",
        };
        let surprise = line.expect.as_deref().is_some_and(|e| e != verdict);
        surprises += usize::from(surprise);
        let mark = if surprise {
            "  <-- NOT AS EXPECTED"
        } else {
            ""
        };
        match r {
            VerificationResult::Verified(v) => {
                ok += 1;
                let (who, how) = match (&v.signature, &v.verified_identity) {
                    (SignatureView::Key { public_key }, _) => (
                        format!(
                            "managed key sha256:{}",
                            public_key.sha256.get(..16).unwrap_or(&public_key.sha256)
                        ),
                        String::new(),
                    ),
                    (_, Some(identity)) => (
                        identity.subject_alternative_name.clone(),
                        format!("login via {}, ", identity.issuer),
                    ),
                    (_, None) => (String::new(), String::new()),
                };
                let when = v
                    .verified_timestamps
                    .first()
                    .map(|t| short_time(&t.timestamp))
                    .unwrap_or_default();
                let what = if v.statement.is_some() {
                    "attestation"
                } else {
                    "signature"
                };
                let n = v.transparency_log_entries.len();
                let _ = writeln!(out, "{name:<w$}  VERIFIED  {what} by {who}{mark}");
                let _ = writeln!(
                    out,
                    "{:<w$}            {how}signed {when}, {n} transparency-log entr{} verified",
                    "",
                    if n == 1 { "y" } else { "ies" }
                );
            }
            VerificationResult::Refused(f) => {
                refused += 1;
                let _ = writeln!(
                    out,
                    "{name:<w$}  REFUSED   {}{mark}",
                    crate::reason::explain(&f.reason)
                );
                let _ = writeln!(out, "{:<w$}            [{}] {}", "", f.reason, f.message);
            }
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(w + 60));
    let _ = writeln!(out, "{ok} verified, {refused} refused");
    if surprises > 0 {
        let _ = writeln!(
            out,
            "{surprises} result(s) differ from what the list expected"
        );
    }
    for r in roots {
        let _ = writeln!(out, "trust root: {}", describe_root(r));
    }
    out
}
