//! The daemon's metrics, in the Prometheus text format (through `prometheus-client`).
//!
//! Owns: the registry, the metric names and their labels. Must not touch: the ledger or the
//! trust store (their gauges are set by the caller at each scrape from what those modules say).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    verdict: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// Every metric the daemon exports.
pub struct Metrics {
    registry: Registry,
    imports: Family<OutcomeLabels, Counter>,
    import_seconds: Histogram,
    import_bytes: Histogram,
    inbox_depth: Gauge,
    trust_root_age: Gauge<f64, AtomicU64>,
    trust_root_stale: Gauge,
    tuf_expiry: Gauge,
    ledger_records: Gauge,
    ledger_bytes: Gauge,
    api_requests: Family<CodeLabels, Counter>,
    backoff: Gauge<f64, AtomicU64>,
    pushes: Family<PushLabels, Counter>,
    push_pending: Gauge,
    push_backoff: Gauge<f64, AtomicU64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PushLabels {
    outcome: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Registry::default(),
            imports: Family::default(),
            import_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 16)),
            import_bytes: Histogram::new(exponential_buckets(1024.0, 4.0, 14)),
            inbox_depth: Gauge::default(),
            trust_root_age: Gauge::default(),
            trust_root_stale: Gauge::default(),
            tuf_expiry: Gauge::default(),
            ledger_records: Gauge::default(),
            ledger_bytes: Gauge::default(),
            api_requests: Family::default(),
            backoff: Gauge::default(),
            pushes: Family::default(),
            push_pending: Gauge::default(),
            push_backoff: Gauge::default(),
        };
        let mut r = m.registry;
        r.register(
            "airlock_imports",
            "Files taken from the inbox, by verdict and reason (the first rejected record's)",
            m.imports.clone(),
        );
        r.register(
            "airlock_import_duration_seconds",
            "Time from taking a file to its verdict in the ledger",
            m.import_seconds.clone(),
        );
        r.register(
            "airlock_import_size_bytes",
            "Size of each file taken from the inbox",
            m.import_bytes.clone(),
        );
        r.register(
            "airlock_inbox_depth",
            "Entries waiting in the inbox or in the journal",
            m.inbox_depth.clone(),
        );
        r.register(
            "airlock_trust_root_age_seconds",
            "Seconds since the trust root in force was accepted",
            m.trust_root_age.clone(),
        );
        r.register(
            "airlock_trust_root_stale",
            "1 when the trust root's TUF metadata has expired (verification goes on with it)",
            m.trust_root_stale.clone(),
        );
        r.register(
            "airlock_tuf_expiry_timestamp_seconds",
            "Unix time at which the trust root's TUF metadata expires (earliest role)",
            m.tuf_expiry.clone(),
        );
        r.register(
            "airlock_ledger_records",
            "Records in the verification ledger",
            m.ledger_records.clone(),
        );
        r.register(
            "airlock_ledger_size_bytes",
            "Bytes the ledger database takes on disk",
            m.ledger_bytes.clone(),
        );
        r.register(
            "airlock_api_requests",
            "API requests answered, by HTTP status",
            m.api_requests.clone(),
        );
        r.register(
            "airlock_import_retry_backoff_seconds",
            "Seconds until the next try while the data dir cannot be written (0 when it can)",
            m.backoff.clone(),
        );
        r.register(
            "airlock_pushes",
            "Images the daemon pushed to --push-to, by outcome (pushed, failed, refused)",
            m.pushes.clone(),
        );
        r.register(
            "airlock_push_pending",
            "Accepted images not yet pushed to --push-to",
            m.push_pending.clone(),
        );
        r.register(
            "airlock_push_retry_backoff_seconds",
            "Seconds until the next push while the registry fails (0 when it answers)",
            m.push_backoff.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// The worker's retry delay while the data dir fails (0 once it works).
    pub fn set_backoff(&self, seconds: f64) {
        self.backoff.set(seconds);
    }

    /// One file taken from the inbox reached its verdict.
    pub fn import_done(&self, verdict: &str, reason: Option<&str>, seconds: f64, bytes: u64) {
        self.imports
            .get_or_create(&OutcomeLabels {
                verdict: verdict.into(),
                reason: reason.unwrap_or("none").into(),
            })
            .inc();
        self.import_seconds.observe(seconds);
        self.import_bytes.observe(bytes as f64);
    }

    /// One image's push ended (`pushed`, `failed` or `refused`).
    pub fn push_done(&self, outcome: &str) {
        self.pushes
            .get_or_create(&PushLabels {
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn set_push_pending(&self, n: usize) {
        self.push_pending.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn set_push_backoff(&self, seconds: f64) {
        self.push_backoff.set(seconds);
    }

    pub fn set_inbox_depth(&self, n: usize) {
        self.inbox_depth.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The trust root in force, as the trust store describes it.
    pub fn set_trust_root(
        &self,
        info: Option<&crate::trust::RootInfo>,
        now: crate::time::Timestamp,
    ) {
        let Some(info) = info else {
            self.trust_root_age.set(f64::NAN);
            return;
        };
        if let Some(at) = info.accepted_at {
            let age = now.duration_since(at).as_secs_f64();
            self.trust_root_age.set(age);
        }
        self.trust_root_stale.set(i64::from(info.stale));
        if let Some(e) = info.expires {
            self.tuf_expiry.set(e.as_second());
        }
    }

    pub fn set_ledger(&self, records: u64, bytes: u64) {
        self.ledger_records
            .set(i64::try_from(records).unwrap_or(i64::MAX));
        self.ledger_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    pub fn api_request(&self, status: u16) {
        self.api_requests
            .get_or_create(&CodeLabels {
                code: status.to_string(),
            })
            .inc();
    }

    /// The OpenMetrics 1.0 text exposition (`application/openmetrics-text`).
    pub fn encode(&self) -> String {
        let mut s = String::new();
        if prometheus_client::encoding::text::encode(&mut s, &self.registry).is_err() {
            s.clear();
        }
        s
    }

    /// The classic Prometheus text format 0.0.4 (`text/plain; version=0.0.4`), what `promtool
    /// check metrics` and older scrapers read: a counter's HELP and TYPE name its `_total`
    /// samples, and there is no `# EOF` or `# UNIT`.
    pub fn encode_classic(&self) -> String {
        classic_from_openmetrics(&self.encode())
    }
}

/// OpenMetrics text → Prometheus text 0.0.4, for the families this registry holds (counters,
/// gauges, histograms; no exemplars, no created series).
fn classic_from_openmetrics(om: &str) -> String {
    let counters: std::collections::BTreeSet<&str> = om
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(om.len());
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        match renamed {
            Some(r) => out.push_str(&r),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_format_names_counters_by_their_samples_and_ends_without_eof() {
        let m = Metrics::new();
        m.import_done("accepted", None, 0.1, 10);
        m.api_request(200);
        let t = m.encode_classic();
        assert!(t.contains("# HELP airlock_imports_total "), "{t}");
        assert!(t.contains("# TYPE airlock_imports_total counter"), "{t}");
        assert!(
            t.contains("# TYPE airlock_api_requests_total counter"),
            "{t}"
        );
        assert!(t.contains("# TYPE airlock_inbox_depth gauge"), "{t}");
        assert!(!t.contains("# EOF"), "{t}");
    }

    #[test]
    fn every_family_is_exposed_with_help_and_type() {
        let m = Metrics::new();
        m.import_done("rejected", Some("bad-archive"), 0.2, 4096);
        m.set_inbox_depth(3);
        let t = m.encode();
        for name in [
            "airlock_imports_total{verdict=\"rejected\",reason=\"bad-archive\"} 1",
            "# TYPE airlock_import_duration_seconds histogram",
            "airlock_inbox_depth 3",
            "# HELP airlock_tuf_expiry_timestamp_seconds",
        ] {
            assert!(t.contains(name), "{name} missing from\n{t}");
        }
        assert!(t.ends_with("# EOF\n"));
    }
}
