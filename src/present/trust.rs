//! The trust store in plain words: status, history and the outcome of an install or update.
//!
//! Owns: those renderings. Must not touch: TUF, the trust store's files, stdout.

use crate::time::Window;
use crate::trust::{self, Outcome, RootInfo, TufSummary};

pub fn short(digest: &str) -> &str {
    digest.get(..16).unwrap_or(digest)
}

pub fn describe(info: &RootInfo) -> String {
    let tuf = match (info.tuf_verified, info.tuf_root_version) {
        (true, Some(v)) => format!("TUF-verified, root v{v}"),
        (true, None) => "TUF-verified".to_string(),
        (false, _) => "NOT TUF-verified".to_string(),
    };
    format!("sha256:{} ({tuf})", short(&info.digest))
}

pub fn roles(t: &TufSummary) -> String {
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

pub fn window(w: &Window) -> String {
    match w.end {
        Some(end) => format!("{} .. {}", w.start, end),
        None => format!("{} .. (open)", w.start),
    }
}

pub fn outcome(o: &Outcome) -> String {
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
    s
}

pub fn status(st: &trust::Status) -> String {
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
    s
}

pub fn history(h: &trust::History) -> String {
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
    s
}
