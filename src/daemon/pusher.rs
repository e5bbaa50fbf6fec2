//! The daemon's hand-off (`--push-to`): every accepted image not yet pushed to the destination
//! is pushed, on its own thread, after its import is recorded. The work list is read from the
//! ledger (accepted image records without a successful push record for the destination), so a
//! crash between an import and its push replays the push at the next start, never the import.
//! A failing registry delays pushes with backoff, a metric and `/readyz`'s `pushesDelayed`;
//! it never blocks imports.
//!
//! Owns: the pending set, the retry schedule. Must not touch: the push itself (that is
//! `app::push`), the inbox.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::push::{PushOutcome, PushRequest};
use crate::app::App;
use crate::metrics::Metrics;
use crate::registry::Access;
use crate::store::record_types::{RecordKind, Verdict};

/// First and longest wait between tries while the registry fails.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How often the ledger is looked at when nothing signals a new import.
const POLL: Duration = Duration::from_secs(5);

/// Where and how the daemon pushes.
#[derive(Debug, Clone)]
pub struct PushConfig {
    pub to: String,
    pub access: Access,
    pub hmac_key_file: Option<std::path::PathBuf>,
}

/// What `/readyz` and the metrics read of the pusher.
#[derive(Debug, Default)]
pub struct PushState {
    pub delayed: Option<String>,
}

struct Pusher {
    app: App,
    cfg: PushConfig,
    metrics: Arc<Metrics>,
    state: Arc<Mutex<PushState>>,
    /// The last ledger record looked at.
    scanned: u64,
    /// Accepted images not yet pushed, by digest.
    pending: BTreeSet<String>,
    /// Images whose push failed for a reason waiting will not fix (until the next start).
    given_up: BTreeSet<String>,
    failures: u32,
    next_try: Option<Instant>,
    /// Images the ledger records as pushed to the destination, by digest.
    pushed: BTreeSet<String>,
}

impl Pusher {
    /// Reads the records after the last one looked at: accepted images join the pending set,
    /// successful pushes to the destination leave it.
    fn scan(&mut self) {
        let Ok(ledger) = self.app.ledger(self.cfg.hmac_key_file.as_deref()) else {
            return;
        };
        let Ok((head, _)) = ledger.head() else { return };
        while self.scanned < head {
            let id = self.scanned + 1;
            let Ok(rec) = ledger.get(id) else { return };
            self.scanned = id;
            let Some(r) = rec else { continue };
            let Some(a) = &r.body.artifact else { continue };
            match r.body.kind {
                RecordKind::Artifact | RecordKind::Reverify
                    if (a.kind == "image" || a.kind == "image-index") =>
                {
                    if r.body.verdict == Verdict::Accepted {
                        if !self.pushed.contains(&a.digest) {
                            self.pending.insert(a.digest.clone());
                        }
                    } else {
                        self.pending.remove(&a.digest);
                    }
                }
                RecordKind::Push
                    if r.body.verdict == Verdict::Accepted
                        && r.body
                            .push
                            .as_ref()
                            .is_some_and(|p| p.destination == self.cfg.to) =>
                {
                    self.pending.remove(&a.digest);
                    self.pushed.insert(a.digest.clone());
                }
                _ => {}
            }
        }
        self.metrics.set_push_pending(self.pending.len());
    }

    fn set_delayed(&self, why: Option<String>) {
        if let Ok(mut s) = self.state.lock() {
            s.delayed = why;
        }
    }

    /// Pushes what is pending, until a retryable failure (then waits with backoff).
    fn push_pending(&mut self, stop: &AtomicBool) {
        if self.next_try.is_some_and(|t| Instant::now() < t) {
            return;
        }
        let todo: Vec<String> = self
            .pending
            .iter()
            .filter(|d| !self.given_up.contains(*d))
            .cloned()
            .collect();
        for digest in todo {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let req = PushRequest {
                import_id: None,
                digest: Some(digest.clone()),
                to: self.cfg.to.clone(),
                repository: None,
                access: self.cfg.access.clone(),
                hmac_key_file: self.cfg.hmac_key_file.clone(),
            };
            let started = Instant::now();
            let result = self.app.push(&req, crate::clock::now());
            let image = match result {
                Ok(r) => r.images.into_iter().next(),
                Err(f) => {
                    // The push could not start (a bad option, the ledger): not the registry's
                    // doing; said once, not retried until the next start.
                    tracing::warn!(digest = %digest, reason = %f.reason, "push not started: {}", f.message);
                    self.given_up.insert(digest);
                    self.metrics.push_done("failed");
                    continue;
                }
            };
            let Some(image) = image else { continue };
            match image.outcome {
                PushOutcome::Pushed => {
                    tracing::info!(
                        digest = %digest,
                        durationMs = started.elapsed().as_millis() as u64,
                        recordId = image.record_id.unwrap_or(0),
                        "pushed to {}",
                        self.cfg.to
                    );
                    self.metrics.push_done("pushed");
                    self.pending.remove(&digest);
                    self.failures = 0;
                    self.next_try = None;
                    self.metrics.set_push_backoff(0.0);
                    self.set_delayed(None);
                }
                PushOutcome::Refused => {
                    self.metrics.push_done("refused");
                    self.pending.remove(&digest);
                }
                PushOutcome::Failed if image.retryable => {
                    self.metrics.push_done("failed");
                    self.failures = self.failures.saturating_add(1);
                    let wait = BACKOFF_FIRST
                        .saturating_mul(1u32 << self.failures.min(16).saturating_sub(1))
                        .min(BACKOFF_MAX);
                    self.next_try = Some(Instant::now() + wait);
                    self.metrics.set_push_backoff(wait.as_secs_f64());
                    let why = format!(
                        "[{}] {} (next try in {} s)",
                        image.reason.as_deref().unwrap_or("failed"),
                        image.message.as_deref().unwrap_or(""),
                        wait.as_secs()
                    );
                    tracing::warn!(digest = %digest, "push delayed: {why}");
                    self.set_delayed(Some(why));
                    return;
                }
                PushOutcome::Failed => {
                    self.metrics.push_done("failed");
                    tracing::warn!(
                        digest = %digest,
                        reason = image.reason.as_deref().unwrap_or(""),
                        "push failed (not retried until the next start): {}",
                        image.message.as_deref().unwrap_or("")
                    );
                    self.given_up.insert(digest);
                }
            }
        }
        self.metrics.set_push_pending(self.pending.len());
    }
}

/// Starts the pusher thread; `wake` is signalled after each recorded import.
pub fn start(
    app: App,
    cfg: PushConfig,
    metrics: Arc<Metrics>,
    state: Arc<Mutex<PushState>>,
    stop: Arc<AtomicBool>,
    wake: std::sync::mpsc::Receiver<()>,
) -> Option<std::thread::JoinHandle<()>> {
    let mut p = Pusher {
        app,
        cfg,
        metrics,
        state,
        scanned: 0,
        pending: BTreeSet::new(),
        given_up: BTreeSet::new(),
        failures: 0,
        next_try: None,
        pushed: BTreeSet::new(),
    };
    std::thread::Builder::new()
        .name("pusher".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                p.scan();
                p.push_pending(&stop);
                // Woken by an import, or polled; short waits so a stop is seen quickly.
                let until = Instant::now() + POLL;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    match wake.recv_timeout(Duration::from_millis(100)) {
                        Ok(()) => break,
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                            if p.next_try.is_some_and(|t| Instant::now() >= t) {
                                break;
                            }
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                            std::thread::sleep(Duration::from_millis(100))
                        }
                    }
                }
            }
        })
        .ok()
}
