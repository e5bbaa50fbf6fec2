//! A push in plain words: per image, where it went, what was sent and what travelled with it.
//!
//! Owns: that rendering. Must not touch: the registry, stdout.

use std::fmt::Write as _;

use crate::app::push::{PushOutcome, PushResponse};

pub fn summary(r: &PushResponse) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "push to {}", crate::text::escape(&r.destination));
    let host = r
        .destination
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("");
    for i in &r.images {
        let what = match i.outcome {
            PushOutcome::Pushed => "PUSHED",
            PushOutcome::Failed => "FAILED",
            PushOutcome::Refused => "REFUSED",
        };
        let _ = writeln!(
            s,
            "{what:<8} {}  {}",
            crate::text::escape(&i.name),
            super::import::short(&i.digest)
        );
        if let (Some(code), Some(m)) = (&i.reason, &i.message) {
            let again = if i.retryable {
                " (retryable: run the same push again)"
            } else {
                ""
            };
            let _ = writeln!(s, "  [{code}] {m}{again}");
        }
        for p in &i.repositories {
            let _ = writeln!(
                s,
                "  {}/{}{}: {} manifest(s); blobs {} sent ({}), {} already there, {} mounted",
                crate::text::escape(host),
                crate::text::escape(&p.repository),
                if p.tags.is_empty() {
                    String::new()
                } else {
                    format!(":{}", p.tags.join(","))
                },
                p.manifests.len(),
                p.blobs_uploaded,
                super::import::human_size(p.bytes_uploaded),
                p.blobs_present,
                p.blobs_mounted
            );
            for e in &p.evidence {
                let _ = writeln!(
                    s,
                    "    {:<16} {}{}",
                    e.kind,
                    super::import::short(&e.digest),
                    e.tag
                        .as_deref()
                        .map(|t| format!(" (tag {t})"))
                        .unwrap_or_default()
                );
            }
            if !p.absent.is_empty() {
                let _ = writeln!(
                    s,
                    "    {} platform(s) the stick did not hold were not pushed",
                    p.absent.len()
                );
            }
            if !p.referrers_api {
                let _ = writeln!(
                    s,
                    "    (the registry has no referrers API: referrers are listed under the sha256-<hex> tag)"
                );
            }
        }
        if let Some(id) = i.record_id {
            let _ = writeln!(s, "  recorded as record {id}");
        }
    }
    s
}
