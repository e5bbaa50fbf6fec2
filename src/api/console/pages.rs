//! The console's markup: semantic HTML (landmarks, tables with headers, labelled forms), no
//! script, one stylesheet of our own. Every value from outside goes through `t()`: control and
//! bidi characters made visible as the CLI shows them, then HTML-escaped by maud (no raw
//! markup is ever built from a value).
//!
//! Owns: how each page looks. Must not touch: where the data comes from.

use maud::{html, Markup, DOCTYPE};

use super::{ImportsPage, Overview, TrustPage};
use crate::app::ledger::{ArtifactView, ImportView};
use crate::store::{Record, RecordKind, Verdict};
use crate::time::Timestamp;

pub const CSS: &str = include_str!("console.css");

/// Outside text for people: control and bidi characters visible, capped.
fn t(s: &str) -> String {
    crate::text::escape(s)
}

fn short(d: &str) -> String {
    crate::present::import::short(d)
}

/// A span of seconds in words (`3 d 4 h`, `12 min`).
fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7_199 => format!("{} min", s / 60),
        7_200..=172_799 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn when(ts: &Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn verdict_badge(v: Verdict) -> Markup {
    html! {
        @match v {
            Verdict::Accepted => span class="badge ok" { "accepted" },
            Verdict::Rejected => span class="badge bad" { "rejected" },
        }
    }
}

fn layout(title: &str, current: &str, twin: Option<&str>, content: Markup) -> Markup {
    let nav = [
        ("/", "Overview"),
        ("/imports", "Imports"),
        ("/quarantine", "Quarantine"),
        ("/trust", "Trust history"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · airlock" }
                link rel="stylesheet" href="/console.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    p class="brand" { "airlock" }
                    nav aria-label="Console" {
                        ul {
                            @for (href, label) in nav {
                                li {
                                    @if href == current {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (content)
                }
                footer {
                    p {
                        "Read-only. "
                        @if let Some(j) = twin {
                            "The same as JSON: " a href=(j) { code { (j) } }
                        }
                    }
                }
            }
        }
    }
}

pub fn trouble(f: &crate::app::Failure) -> Markup {
    layout(
        "Cannot show this page",
        "",
        None,
        html! {
            div class="alert" role="alert" {
                p { strong { "[" (t(&f.reason)) "] " } (t(&f.message)) }
            }
            p { a href="/" { "Back to the overview" } }
        },
    )
}

pub fn overview(m: &Overview) -> Markup {
    let now = m.now;
    let content = html! {
        section aria-labelledby="trust-h" {
            h2 id="trust-h" { "Trust roots" }
            @for i in &m.instances {
                @match &i.status {
                    Ok(s) => {
                        @let r = &s.root;
                        div class=(if r.stale { "card stale" } else { "card" }) {
                            h3 { (t(&i.name)) }
                            @if r.stale {
                                p class="alert" role="alert" {
                                    strong { "STALE: " }
                                    "the TUF metadata of this trust root has expired. Verification goes on with the last accepted root, "
                                    "but CA or log changes since then are not known here. Refresh it from a fresh USB copy: "
                                    code { "airlock trust update --from /media/usb/tuf" }
                                    @if i.name != crate::trust::PUBLIC_GOOD { code { " --instance " (t(&i.name)) } }
                                    "."
                                }
                            }
                            dl {
                                dt { "Verified through TUF" }
                                dd {
                                    @if r.tuf_verified {
                                        "yes" @if let Some(v) = r.tuf_root_version { ", root version " (v) }
                                    } @else { strong { "no" } " (installed from a file)" }
                                }
                                dt { "Metadata expires" }
                                dd {
                                    @match r.expires {
                                        Some(e) => {
                                            @let left = e.as_second() - now.as_second();
                                            (when(&e)) " — "
                                            @if left >= 0 { "in " (span(left)) } @else { strong { "expired " (span(left)) " ago" } }
                                        }
                                        None => { "no TUF expiry (not TUF-verified)" }
                                    }
                                }
                                dt { "Root" }
                                dd { code { "sha256:" (t(r.digest.get(..16).unwrap_or(&r.digest))) } " from " (t(&r.source)) }
                                @if let Some(a) = r.accepted_at { dt { "Accepted" } dd { (when(&a)) } }
                            }
                        }
                    }
                    Err(f) => {
                        div class="card stale" {
                            h3 { (t(&i.name)) }
                            p class="alert" role="alert" { "[" (t(&f.reason)) "] " (t(&f.message)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="inbox-h" {
            h2 id="inbox-h" { "Inbox" }
            dl {
                dt { "Waiting or in progress" }
                dd class="big" { (m.inbox_depth) }
                dt { "Ready to take files" }
                dd {
                    @if m.readiness.ready() { "yes" } @else { strong { "no" } }
                    @if let Some(f) = &m.readiness.failing { " — " (t(f)) }
                }
                @if let Some(p) = &m.readiness.pushes_delayed {
                    dt { "Pushes to the registry" }
                    dd { strong { "delayed: " } (t(p)) }
                }
            }
        }
        section aria-labelledby="day-h" {
            h2 id="day-h" { "Imports in the last 24 hours" }
            table {
                thead { tr { th scope="col" { "Verdict" } th scope="col" { "Imports" } } }
                tbody {
                    @for (v, n) in &m.day {
                        tr {
                            th scope="row" { a href={ "/imports?verdict=" (v) } { (v) } }
                            td { (n) @if m.day_capped { "+" } }
                        }
                    }
                }
            }
            @if m.day_capped {
                p class="note" { "Counted among the newest " (super::MAX_DAY_RECORDS) " records of the last 24 hours: more came in (\"+\")." }
            }
            p { a href="/quarantine" { "What was refused, and what to do" } }
        }
        section aria-labelledby="ledger-h" {
            h2 id="ledger-h" { "Ledger" }
            dl {
                dt { "Records" } dd { (m.records) }
                dt { "Chain head" }
                dd {
                    @match &m.head {
                        Some((id, h)) => { "record " (id) ", " code { (t(h.get(..16).unwrap_or(h))) } }
                        None => { "unreadable" }
                    }
                }
                dt { "Last audit" }
                dd {
                    @match &m.last_audit {
                        Some(a) => {
                            (when(&a.at)) ": " (a.records) " records, "
                            @if a.intact { "intact" } @else { strong class="badtext" { "BROKEN — run airlock audit verify and read its report" } }
                        }
                        None => { "never — run " code { "airlock audit verify" } }
                    }
                }
            }
        }
        section aria-labelledby="daemon-h" {
            h2 id="daemon-h" { "Daemon" }
            dl {
                dt { "Version" } dd { (m.version) }
                dt { "Up for" } dd { (span(m.uptime_seconds as i64)) }
                dt { "Now" } dd { (when(&m.now)) }
            }
        }
    };
    layout("Overview", "/", Some("/readyz"), content)
}

fn record_name(r: &Record) -> String {
    match (&r.body.artifact, &r.body.tarball) {
        (Some(a), _) => a.name.clone(),
        (None, Some(tb)) => tb.name.clone(),
        _ => r.body.kind.as_str().to_string(),
    }
}

pub fn imports(p: &ImportsPage, quarantine: bool) -> Markup {
    let q = &p.query;
    let base = if quarantine {
        "/quarantine"
    } else {
        "/imports"
    };
    let content = html! {
        @if quarantine {
            p { "Every refused input or artifact, newest first, with the reason in plain words and what to do. The input itself is kept under "
                code { "quarantine/IMPORT-ID/" } " in the data dir." }
        }
        form method="get" action=(base) class="filters" role="search" {
            @if !quarantine {
                label for="verdict" { "Verdict" }
                select id="verdict" name="verdict" {
                    option value="" selected[q.verdict.as_deref().unwrap_or("").is_empty()] { "any" }
                    option value="accepted" selected[q.verdict.as_deref() == Some("accepted")] { "accepted" }
                    option value="rejected" selected[q.verdict.as_deref() == Some("rejected")] { "rejected" }
                }
            }
            label for="day" { "Day (UTC)" }
            input id="day" name="day" type="date" value=(q.day.as_deref().unwrap_or(""));
            label for="q" { "Search" }
            input id="q" name="q" type="search" placeholder="digest, identity, import id or name" value=(q.q.as_deref().unwrap_or(""));
            button type="submit" { "Show" }
        }
        @if let Some(n) = p.name_scan {
            p class="note" { "A name is searched among the newest " (n) " records only (names are not indexed); search by digest or identity to reach older ones." }
        }
        @if p.records.is_empty() {
            p { "Nothing matches." }
        } @else {
            table {
                caption { @if quarantine { "Refused, newest first" } @else { "Decisions, newest first" } }
                thead {
                    tr {
                        th scope="col" { "Recorded" }
                        th scope="col" { "Import" }
                        th scope="col" { "Input / artifact" }
                        th scope="col" { "Verdict" }
                        th scope="col" { @if quarantine { "Why, and what to do" } @else { "Signer or reason" } }
                    }
                }
                tbody {
                    @for r in &p.records {
                        @let b = &r.body;
                        tr {
                            td { (when(&r.recorded_at)) }
                            td {
                                @if let Some(id) = &b.import_id {
                                    a href={ "/imports/" (t(id)) } { (t(id)) }
                                }
                            }
                            td {
                                (t(&record_name(r)))
                                @if let Some(a) = &b.artifact {
                                    br;
                                    a href={ "/artifacts/" (t(&a.digest)) } { code { (short(&a.digest)) } }
                                }
                            }
                            td { (verdict_badge(b.verdict)) }
                            td {
                                @if b.verdict == Verdict::Rejected {
                                    @let code = b.reason.as_deref().unwrap_or("rejected");
                                    strong { (crate::reason::explain(code)) }
                                    " " code { "[" (t(code)) "]" }
                                    @if quarantine {
                                        p class="remedy" { (crate::reason::remedy(code)) }
                                    }
                                } @else if let Some(i) = &b.identity {
                                    (t(i))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(c) = &p.next_cursor {
            nav aria-label="Pages" {
                a rel="next" href={ (base) "?cursor=" (t(c))
                    @if let Some(v) = &q.verdict { "&verdict=" (t(v)) }
                    @if let Some(d) = &q.day { "&day=" (t(d)) } } { "Older →" }
            }
        }
    };
    if quarantine {
        layout(
            "Quarantine",
            "/quarantine",
            Some("/v1/results?verdict=rejected"),
            content,
        )
    } else {
        layout("Imports", "/imports", Some("/v1/results"), content)
    }
}

fn evidence_table(r: &Record) -> Markup {
    let b = &r.body;
    html! {
        dl {
            @if let Some(i) = &b.identity { dt { "Signer identity" } dd { (t(i)) } }
            @if let Some(i) = &b.issuer { dt { "Issuer" } dd { (t(i)) } }
            @if !b.predicate_types.is_empty() {
                dt { "Predicate types" }
                dd { ul { @for p in &b.predicate_types { li { (t(p)) } } } }
            }
            @if let Some(s) = &b.signed_at {
                dt { "Signed at" }
                dd { (when(s)) @if let Some(src) = &b.signed_at_source { " (from " (t(src)) ")" } }
            }
            @if !b.tlog_entries.is_empty() {
                dt { "Transparency-log entries" }
                dd {
                    ul {
                        @for e in &b.tlog_entries {
                            li { "log " code { (t(e.log_id.get(..16).unwrap_or(&e.log_id))) } ", index " (e.log_index)
                                @if let Some(at) = &e.integrated_time { ", integrated " (when(at)) } }
                        }
                    }
                }
            }
            dt { "Decided under" }
            dd {
                "trust root " code { (t(b.decided_under.trust_root_digest.get(..16).unwrap_or(&b.decided_under.trust_root_digest))) }
                @if let Some(i) = &b.decided_under.trust_root_instance { " (" (t(i)) ")" }
                @if b.decided_under.trust_root_stale { strong { " stale" } }
                @if let Some(p) = &b.decided_under.policy_digest { ", policy " code { (short(p)) } }
            }
        }
    }
}

pub fn import(v: &ImportView) -> Markup {
    // The import's inputs in the order they were recorded, each with its records.
    let mut inputs: Vec<(Option<crate::store::record_types::TarballRef>, Vec<&Record>)> =
        Vec::new();
    for r in &v.records {
        let tb = r.body.tarball.clone();
        match inputs.iter_mut().find(|(t, _)| *t == tb) {
            Some((_, list)) => list.push(r),
            None => inputs.push((tb, vec![r])),
        }
    }
    let content = html! {
        p { "Verdict: " (verdict_badge(v.verdict)) " — " (inputs.len()) " input(s), " (v.records.len()) " record(s)" }
        @for (n, (tb, records)) in inputs.iter().enumerate() {
            section aria-labelledby={ "input-" (n) } {
                h2 id={ "input-" (n) } {
                    "Input: " @match tb { Some(tb) => (t(&tb.name)), None => "(none)" }
                }
                @if let Some(tb) = tb {
                    dl {
                        dt { "Size" } dd { (crate::present::import::human_size(tb.size)) " (" (tb.size) " bytes)" }
                        @if let Some(h) = &tb.sha256 { dt { "SHA-256" } dd { code class="wrap" { (t(h)) } } }
                        @if let Some(k) = records.iter().find_map(|r| r.body.kept_at.as_deref()) {
                            dt { "Kept at" } dd { code class="wrap" { (t(k)) } }
                        }
                    }
                }
                @for r in records {
                    @let b = &r.body;
                    article class=(if b.verdict == Verdict::Rejected { "card refused" } else { "card" }) {
                        h3 {
                            (t(&record_name(r))) " "
                            (verdict_badge(b.verdict))
                            @if b.kind != RecordKind::Artifact && b.kind != RecordKind::Input { " " span class="badge" { (b.kind.as_str()) } }
                        }
                        @if let Some(a) = &b.artifact {
                            p { (t(&a.kind)) " " a href={ "/artifacts/" (t(&a.digest)) } { code class="wrap" { (t(&a.digest)) } } }
                        }
                        @if b.verdict == Verdict::Rejected {
                            @let code = b.reason.as_deref().unwrap_or("rejected");
                            div class="alert" role="note" {
                                p { strong { (crate::reason::explain(code)) } " " code { "[" (t(code)) "]" } }
                                @if let Some(m) = &b.message { p class="wrap" { (t(m)) } }
                                p class="remedy" { (crate::reason::remedy(code)) }
                            }
                        }
                        @if let Some(p) = &b.push {
                            p { "Pushed to " (t(&p.destination)) @for repo in &p.repositories { " — " (t(&repo.repository)) } }
                        }
                        (evidence_table(r))
                        p { a href={ "/v1/results/" (r.id) } { "record " (r.id) " as JSON" } }
                    }
                }
            }
        }
    };
    let twin = format!("/v1/imports/{}", t(&v.import_id));
    layout(
        &format!("Import {}", t(&v.import_id)),
        "/imports",
        Some(&twin),
        content,
    )
}

pub fn artifact(v: &ArtifactView) -> Markup {
    let names: std::collections::BTreeSet<String> = v
        .history
        .iter()
        .filter_map(|r| r.body.artifact.as_ref())
        .flat_map(|a| {
            a.references
                .iter()
                .map(|n| n.name.clone())
                .chain(std::iter::once(a.name.clone()))
        })
        .collect();
    let content = html! {
        p { code class="wrap" { (t(&v.digest)) } }
        p { "Latest verdict: " (verdict_badge(v.verdict)) " (record " (v.latest.id) ", " (when(&v.latest.recorded_at)) ")" }
        section aria-labelledby="names-h" {
            h2 id="names-h" { "Names" }
            ul { @for n in &names { li { (t(n)) } } }
        }
        section aria-labelledby="hist-h" {
            h2 id="hist-h" { "Every record about it" }
            table {
                caption { "Newest first: decisions, re-verifications and pushes" }
                thead { tr { th scope="col" { "Record" } th scope="col" { "Recorded" } th scope="col" { "Kind" } th scope="col" { "Verdict" } th scope="col" { "Import" } th scope="col" { "Detail" } } }
                tbody {
                    @for r in &v.history {
                        @let b = &r.body;
                        tr {
                            td { a href={ "/v1/results/" (r.id) } { (r.id) } }
                            td { (when(&r.recorded_at)) }
                            td { (b.kind.as_str()) }
                            td { (verdict_badge(b.verdict)) }
                            td { @if let Some(id) = &b.import_id { a href={ "/imports/" (t(id)) } { (t(id)) } } }
                            td {
                                @if let Some(p) = &b.push { "to " (t(&p.destination)) " " }
                                @if let Some(c) = &b.reason { (crate::reason::explain(c)) " " code { "[" (t(c)) "]" } }
                                @else if let Some(i) = &b.identity { (t(i)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let twin = format!("/v1/artifacts/{}", t(&v.digest));
    layout("Artifact", "", Some(&twin), content)
}

pub fn trust(p: &TrustPage) -> Markup {
    let content = html! {
        @for (name, h) in &p.instances {
            section aria-labelledby={ "i-" (t(name)) } {
                h2 id={ "i-" (t(name)) } { "Instance " (t(name)) }
                @match h {
                    Err(f) => p class="alert" { "[" (t(&f.reason)) "] " (t(&f.message)) },
                    Ok(h) => {
                        @if h.unreadable_lines > 0 {
                            p class="alert" { (h.unreadable_lines) " line(s) of the history could not be read." }
                        }
                        table {
                            caption { "Accepted trust roots and refused attempts, newest first" }
                            thead { tr { th scope="col" { "When" } th scope="col" { "Outcome" } th scope="col" { "Action" } th scope="col" { "Source" } th scope="col" { "Root / reason" } } }
                            tbody {
                                @for e in h.entries.iter().rev() {
                                    tr {
                                        td { (when(&e.recorded_at)) }
                                        td { @if e.outcome == "accepted" { span class="badge ok" { "accepted" } } @else { span class="badge bad" { (t(&e.outcome)) } } }
                                        td { (t(&e.action)) }
                                        td class="wrap" { (t(&e.source)) }
                                        td {
                                            @if let Some(d) = &e.digest { code { "sha256:" (t(d.get(..16).unwrap_or(d))) } }
                                            @if let Some(v) = e.tuf_root_version { " root v" (v) }
                                            @if let Some(c) = &e.code { code { "[" (t(c)) "]" } " " }
                                            @if let Some(r) = &e.reason { (t(r)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Trust history", "/trust", Some("/v1/trust-root"), content)
}
