//! `airlock daemon`: the appliance at the ingest boundary. It watches a drop folder, takes every
//! complete file or folder in it once, imports it (or applies it as a trust update when it is a
//! TUF repository copy), keeps it in `accepted/` or `quarantine/`, records it in the ledger, and
//! serves the ledger read-only over HTTPS and to the local CLI over a unix socket.
//!
//! Owns: the daemon's lock (`<data-dir>/daemon.lock`, one daemon per data dir), the order of a
//! taken file's steps and their recovery after a crash (with [`journal`]), signals, the loop.
//! Must not touch: verification and policy (that is `import`), sled (that is `store`), HTTP (that
//! is `api`).
//!
//! A file's life, each step durable before the next:
//! 1. the journal entry (its import id, its name) is written and flushed;
//! 2. the file is renamed from the inbox into the entry's work folder (same filesystem);
//! 3. it is imported under the entry's import id, its copy kept in `accepted/ID/` or
//!    `quarantine/ID/`;
//! 4. its records (every one carrying the import id) are appended in one ledger transaction and
//!    flushed;
//! 5. what is left of it (a file that could not be imported at all) is moved into the area its
//!    verdict names; the work folder and the entry are removed.
//!
//! After a crash, each entry left is finished: recorded (step 4 happened: the ledger holds its
//! import id) → step 5; not recorded → whatever step 3 kept is removed and the import is done
//! again from the work folder, under the same id; no work file → the rename never happened, the
//! file is still in the inbox. So every file ends as exactly one import in the ledger.

pub mod inbox;
pub mod journal;
pub mod pusher;
pub mod socket;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::metrics::Metrics;
use crate::store::Ledger;
use journal::{Entry, Journal};

/// Why the daemon cannot start or go on (exit 2), or why one file's work must wait.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("another airlock daemon holds {lock} ({holder}); one daemon per data dir")]
    AlreadyRunning { lock: PathBuf, holder: String },
    #[error("cannot lock {path}: {why}")]
    Lock { path: PathBuf, why: String },
    #[error("the inbox {path}: {why}")]
    Inbox { path: PathBuf, why: String },
    #[error("a file cannot move from the inbox {inbox} to the data dir {data_dir} by rename (different file systems, or two mounts of one, as two systemd ReadWritePaths= make): keep both under one parent on one mount")]
    CrossDevice { inbox: PathBuf, data_dir: PathBuf },
    #[error("the policy {path}: {why}")]
    Policy { path: PathBuf, why: String },
    #[error("the trust root cannot be loaded: {0}")]
    TrustRoot(String),
    #[error("{0}")]
    Ledger(#[from] crate::store::StoreError),
    #[error("the journal at {path}: {why}")]
    Journal { path: PathBuf, why: String },
    #[error("the data dir: {0}")]
    Import(#[from] crate::import::ImportError),
    #[error("the control socket {path}: {why}")]
    Socket { path: PathBuf, why: String },
    #[error("{0}")]
    Api(#[from] crate::api::ApiError),
    #[error("[{}] {}", .0.reason, .0.message)]
    App(crate::app::Failure),
}

impl DaemonError {
    pub fn code(&self) -> &str {
        match self {
            Self::App(f) => &f.reason,
            Self::AlreadyRunning { .. } => "daemon-running",
            Self::Lock { .. } => "daemon-lock-failed",
            Self::Inbox { .. } => "inbox-unusable",
            Self::CrossDevice { .. } => "inbox-other-filesystem",
            Self::Policy { .. } => "policy-invalid",
            Self::TrustRoot(_) => "trust-root-unusable",
            Self::Ledger(e) => e.code(),
            Self::Journal { .. } => "journal-failed",
            Self::Import(e) => e.code(),
            Self::Socket { .. } => "socket-failed",
            Self::Api(e) => e.code(),
        }
    }
}

/// What the daemon runs with.
pub struct Config {
    pub data_dir: PathBuf,
    pub inbox: PathBuf,
    pub policy: PathBuf,
    /// The trust instance a TUF repository dropped in the inbox updates.
    pub trust_instance: String,
    /// How long an entry must stay unchanged before it is taken.
    pub settle: Duration,
    /// How often the inbox is looked at when no change is signalled.
    pub rescan: Duration,
    /// How long SIGTERM waits for the import in progress before the process exits anyway (the
    /// journal redoes that import at the next start).
    pub stop_timeout: Duration,
    /// The ledger's page cache (bytes).
    pub ledger_cache_bytes: u64,
    /// The ledger's HMAC key, when kept outside the data dir.
    pub hmac_key_file: Option<PathBuf>,
    pub api: Option<crate::api::ApiConfig>,
    /// `--push-to`: push what is accepted to the site's registry.
    pub push: Option<pusher::PushConfig>,
}

/// Holds the data dir's daemon lock for the life of the process.
struct LockGuard {
    _file: fs::File,
}

fn lock(data_dir: &Path) -> Result<LockGuard, DaemonError> {
    use std::io::{Read, Seek, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("daemon.lock");
    let lock_err = |e: std::io::Error| DaemonError::Lock {
        path: path.clone(),
        why: e.to_string(),
    };
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        // Never through a link planted in the data dir (the file would be truncated and get
        // the pid written into it, wherever it is).
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(lock_err)?;
    match f.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = (&f).take(64).read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "pid unknown".to_string(),
                pid => format!("pid {}", crate::text::escape(pid)),
            };
            return Err(DaemonError::AlreadyRunning { lock: path, holder });
        }
        Err(fs::TryLockError::Error(e)) => return Err(lock_err(e)),
    }
    f.set_len(0).map_err(lock_err)?;
    f.rewind().map_err(lock_err)?;
    writeln!(f, "{}", std::process::id()).map_err(lock_err)?;
    Ok(LockGuard { _file: f })
}

fn same_filesystem(inbox: &Path, data_dir: &Path) -> Result<(), DaemonError> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(inbox).map_err(|e| DaemonError::Inbox {
        path: inbox.to_path_buf(),
        why: e.to_string(),
    })?;
    if !m.is_dir() {
        return Err(DaemonError::Inbox {
            path: inbox.to_path_buf(),
            why: "not a folder".into(),
        });
    }
    let d = fs::metadata(data_dir).map_err(|e| DaemonError::Inbox {
        path: data_dir.to_path_buf(),
        why: e.to_string(),
    })?;
    if m.dev() != d.dev() {
        return Err(DaemonError::CrossDevice {
            inbox: inbox.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
        });
    }
    // One device is not enough: rename(2) fails with EXDEV between two bind mounts of one file
    // system (what two systemd ReadWritePaths= entries make). Try the very move files make.
    let probe = format!(".airlock-rename-probe-{}", std::process::id());
    let from = inbox.join(&probe);
    let to = data_dir.join(&probe);
    fs::write(&from, b"").map_err(|e| DaemonError::Inbox {
        path: inbox.to_path_buf(),
        why: format!("cannot write in it: {e}"),
    })?;
    let moved = fs::rename(&from, &to);
    let _ = fs::remove_file(&from);
    let _ = fs::remove_file(&to);
    match moved {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => Err(DaemonError::CrossDevice {
            inbox: inbox.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
        }),
        Err(e) => Err(DaemonError::Inbox {
            path: inbox.to_path_buf(),
            why: format!("cannot move a file from it into the data dir: {e}"),
        }),
    }
}

/// Serializes the daemon's writers: the inbox worker and the commands that write (import,
/// trust, reverify) that socket clients run.
pub type WorkLock = Arc<Mutex<()>>;

/// Whether the daemon can take files: trust root loaded, ledger open, inbox readable, the data
/// dir writable. Blocking (it reads the trust store): not on an async worker.
pub fn readiness(
    data_dir: &Path,
    instance: &str,
    ledger: &Ledger,
    inbox: &Path,
    failing: &std::sync::Mutex<Option<String>>,
    pushes: &std::sync::Mutex<pusher::PushState>,
) -> crate::api::Readiness {
    let now = crate::clock::now();
    crate::api::Readiness {
        // Installed and loadable. Never installs anything: the daemon installs the factory
        // root, if it must, at start.
        trust_root: matches!(
            crate::trust::installed_in(data_dir, instance, now),
            Ok(Some(_))
        ) && crate::trust::active_root_in(data_dir, instance, now).is_ok(),
        ledger: ledger.head().is_ok(),
        inbox: fs::read_dir(inbox).is_ok(),
        failing: failing
            .lock()
            .map(|f| f.clone())
            .unwrap_or_else(|p| p.into_inner().clone()),
        pushes_delayed: pushes
            .lock()
            .map(|p| p.delayed.clone())
            .unwrap_or_else(|p| p.into_inner().delayed.clone()),
    }
}

/// Retries of a failing data dir: exponential from `BACKOFF_FIRST`, capped at `BACKOFF_MAX`.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The worker's state while the data dir fails.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    until: Option<Instant>,
    reason: Option<String>,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(cfg: Config) -> Result<(), DaemonError> {
    crate::import::private_data_dir(&cfg.data_dir)?;
    let _lock = lock(&cfg.data_dir)?;
    same_filesystem(&cfg.inbox, &cfg.data_dir)?;
    // Holding the lock (and, below, the ledger), nothing else imports here: what a killed
    // daemon or import left in staging is removed.
    crate::import::clear_staging(&cfg.data_dir);
    if let Some(api) = &cfg.api {
        api.check()?;
    }
    let policy = crate::app::policy_file::load(&cfg.policy).map_err(|why| DaemonError::Policy {
        path: cfg.policy.clone(),
        why,
    })?;
    let ledger = Ledger::open_cached(
        &cfg.data_dir,
        cfg.hmac_key_file.as_deref(),
        cfg.ledger_cache_bytes,
    )?;
    let app = crate::app::App::holding(&cfg.data_dir, ledger.clone());
    // Installed (and recorded) before anything is served: what the API and the console read
    // never writes trust state.
    if let Err(f) = app.ensure_trust_installed(crate::clock::now()) {
        tracing::warn!(reason = %f.reason, "{}; files wait in the inbox", f.message);
    }

    let journal = Journal::open(&cfg.data_dir)?;
    let metrics = Arc::new(Metrics::new());
    let failing = Arc::new(std::sync::Mutex::new(None));
    let push_state = Arc::new(std::sync::Mutex::new(pusher::PushState::default()));
    let shared = {
        let (d, i, l, inbox, f, ps) = (
            cfg.data_dir.clone(),
            cfg.trust_instance.clone(),
            ledger.clone(),
            cfg.inbox.clone(),
            failing.clone(),
            push_state.clone(),
        );
        let (j, inbox2) = (journal.clone(), cfg.inbox.clone());
        Arc::new(crate::api::Shared {
            data_dir: cfg.data_dir.clone(),
            app: app.clone(),
            metrics: metrics.clone(),
            trust_instance: cfg.trust_instance.clone(),
            started: Instant::now(),
            readiness: Box::new(move || readiness(&d, &i, &l, &inbox, &f, &ps)),
            // What waits, read at the scrape (its one reader): in the inbox, and taken but not
            // finished.
            inbox_depth: Box::new(move || (inbox::waiting(&inbox2) + j.count()) as u64),
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| DaemonError::Lock {
            path: cfg.data_dir.clone(),
            why: format!("cannot handle signals: {e}"),
        })?;
    }
    let work_lock: WorkLock = Arc::new(Mutex::new(()));
    let sock = socket::Server::bind(app.clone(), work_lock.clone())?;
    let api = match &cfg.api {
        Some(a) => Some(crate::api::start(a, shared.clone())?),
        None => None,
    };
    tracing::info!(
        data_dir = %cfg.data_dir.display(),
        inbox = %cfg.inbox.display(),
        policy = %cfg.policy.display(),
        listen = %api.as_ref().map(|a| a.addr.to_string()).unwrap_or_default(),
        "airlock daemon started"
    );
    watchdog(stop.clone(), cfg.stop_timeout);
    // The policy file is watched on its own thread: a slow or hostile file never stalls the
    // inbox worker, which keeps deciding with the last valid policy.
    let policy_cell = Arc::new(std::sync::Mutex::new(Arc::new(policy)));
    let watcher_thread = {
        let (cell, stop, path, every) = (
            policy_cell.clone(),
            stop.clone(),
            cfg.policy.clone(),
            cfg.rescan.min(Duration::from_secs(1)),
        );
        std::thread::Builder::new()
            .name("policy-watcher".into())
            .spawn(move || watch_policy(&path, &cell, &stop, every))
            .ok()
    };
    // The pusher runs beside the worker: a slow or dead registry never holds an import.
    let (push_wake, pusher_thread) = match &cfg.push {
        Some(p) => {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let t = pusher::start(
                app.clone(),
                p.clone(),
                metrics.clone(),
                push_state.clone(),
                stop.clone(),
                rx,
            );
            (Some(tx), t)
        }
        None => (None, None),
    };
    let mut w = Worker {
        cfg: &cfg,
        app,
        journal,
        metrics,
        policy: policy_cell,
        inbox: inbox::Inbox::new(&cfg.inbox, cfg.settle),
        work_lock,
        backoff: Backoff::default(),
        failing,
        push_wake,
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let watcher = watch(&cfg.inbox, tx);
    w.run(&stop, &rx);
    drop(watcher);
    if let Some(t) = watcher_thread {
        let _ = t.join();
    }
    if let Some(t) = pusher_thread {
        let _ = t.join();
    }
    if let Some(a) = api {
        a.shutdown();
    }
    sock.close();
    tracing::info!("airlock daemon stopped");
    Ok(())
}

/// Ends the process when a stop signal's wait for the import in progress passes its bound. The
/// import is left to the journal, which does it again at the next start.
fn watchdog(stop: Arc<AtomicBool>, bound: Duration) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(bound);
        tracing::warn!(
            bound_seconds = bound.as_secs_f64(),
            "stop: the import in progress did not finish in time; exiting (it is redone at the next start)"
        );
        std::process::exit(0);
    });
}

/// Wakes the loop on any change in the inbox (inotify); the periodic look is the fallback.
fn watch(inbox: &Path, tx: std::sync::mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
        let _ = tx.send(());
    })
    .map_err(|e| tracing::warn!(error = %e, "inbox: no change notifications; looking every rescan interval"))
    .ok()?;
    if let Err(e) = w.watch(inbox, notify::RecursiveMode::NonRecursive) {
        tracing::warn!(error = %e, "inbox: cannot watch; looking every rescan interval");
        return None;
    }
    Some(w)
}

fn policy_mtime(p: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reloads the policy when its file changes, until `stop`. An invalid file is said once and the
/// last valid policy stays in force.
fn watch_policy(
    path: &Path,
    cell: &std::sync::Mutex<Arc<crate::policy::cip::PolicySet>>,
    stop: &AtomicBool,
    every: Duration,
) {
    let mut seen = policy_mtime(path);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(every);
        let m = policy_mtime(path);
        if m == seen {
            continue;
        }
        seen = m;
        match crate::app::policy_file::load(path) {
            Ok(p) => {
                tracing::info!(policy = %path.display(), digest = %p.digest, "policy reloaded");
                if let Ok(mut c) = cell.lock() {
                    *c = Arc::new(p);
                }
            }
            Err(why) => {
                tracing::error!(reason = "policy-invalid", policy = %path.display(), "{why}; the last valid policy stays in force")
            }
        }
    }
}

struct Worker<'a> {
    cfg: &'a Config,
    app: crate::app::App,
    journal: Journal,
    metrics: Arc<Metrics>,
    /// The policy in force, replaced by the policy watcher (off this thread) when the file changes.
    policy: Arc<std::sync::Mutex<Arc<crate::policy::cip::PolicySet>>>,
    inbox: inbox::Inbox,
    work_lock: WorkLock,
    backoff: Backoff,
    failing: Arc<std::sync::Mutex<Option<String>>>,
    /// Tells the pusher an import was recorded (with `--push-to`).
    push_wake: Option<std::sync::mpsc::Sender<()>>,
}

/// Sleeps up to `wait` in short steps (a stop signal is seen at once), or until the inbox
/// changes.
fn continue_waiting(stop: &AtomicBool, rx: &std::sync::mpsc::Receiver<()>, wait: Duration) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        let step = until
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(100));
        if rx.recv_timeout(step).is_ok() {
            while rx.try_recv().is_ok() {}
            // Let a burst of events (a copy in progress) pass before looking.
            std::thread::sleep(Duration::from_millis(10));
            return;
        }
    }
}

use crate::app::import::EntryImport;

/// How one taken file ended.
struct Done {
    verdict: &'static str,
    reason: Option<String>,
    records: usize,
    bytes: u64,
    kind: &'static str,
}

impl Worker<'_> {
    fn run(&mut self, stop: &AtomicBool, rx: &std::sync::mpsc::Receiver<()>) {
        let mut reported_unready = false;
        let mut first = true;
        while !stop.load(Ordering::Relaxed) {
            // A failing data dir (full, read-only) is retried with backoff, not in a loop.
            if let Some(until) = self.backoff.until {
                let now = Instant::now();
                if now < until {
                    continue_waiting(stop, rx, until - now);
                    continue;
                }
            }
            self.finish_pending(stop);
            // (The inbox depth gauge is read live at each scrape, not set here.)
            let (ready, waiting) = self.inbox.look(Instant::now());
            // The trust roots are checked at start (installing the factory one on a fresh data
            // dir) and whenever files are ready to take; not on every look while others settle.
            if first || !ready.is_empty() {
                first = false;
                let usable = self.ready_to_import();
                match (&usable, reported_unready) {
                    (Err(e), false) => {
                        tracing::warn!(reason = e.code(), "{e}");
                        reported_unready = true;
                    }
                    (Ok(()), true) => reported_unready = false,
                    _ => {}
                }
                if usable.is_ok() {
                    for name in ready {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        self.inbox.taken(&name);
                        self.take_and_import(&name);
                    }
                }
            }
            continue_waiting(stop, rx, self.wait(waiting));
        }
    }

    /// How long to wait before the next look: soon while entries are settling.
    fn wait(&self, waiting: usize) -> Duration {
        if waiting > 0 {
            (self.cfg.settle / 2).max(Duration::from_millis(20))
        } else {
            self.cfg.rescan
        }
    }

    /// Files are taken only while they can be decided: every trust root in force loads (a
    /// fresh data dir has public good's factory root, installed on first use and recorded).
    fn ready_to_import(&self) -> Result<(), DaemonError> {
        self.app
            .ensure_trust_installed(crate::clock::now())
            .map_err(|f| {
                DaemonError::TrustRoot(format!(
                    "[{}] {}; files wait in the inbox",
                    f.reason, f.message
                ))
            })
    }

    /// Finishes every entry a crash (or a failure to record) left open.
    fn finish_pending(&mut self, stop: &AtomicBool) {
        let pending = match self.journal.pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(reason = e.code(), "{e}");
                return;
            }
        };
        for e in pending {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match e {
                Ok(entry) => {
                    let lock = self.work_lock.clone();
                    let _g = lock.lock().unwrap_or_else(|p| p.into_inner());
                    // A crash between taking the entry and removing its sidecar left the sidecar:
                    // it named this entry (same text), not a later file of the same name.
                    if let (Some(image), Ok(name)) = (&entry.image, entry.file_name()) {
                        if inbox::read_sidecar(&self.cfg.inbox, &name)
                            .ok()
                            .flatten()
                            .as_ref()
                            == Some(image)
                            && fs::symlink_metadata(self.cfg.inbox.join(&name)).is_err()
                        {
                            let _ = fs::remove_file(inbox::sidecar_path(&self.cfg.inbox, &name));
                        }
                    }
                    self.complete(&entry, true);
                }
                Err(e) => tracing::error!(reason = e.code(), "{e} (left for the operator)"),
            }
        }
    }

    fn take_and_import(&mut self, name: &OsStr) {
        use std::os::unix::ffi::OsStrExt;
        let lock = self.work_lock.clone();
        let _g = lock.lock().unwrap_or_else(|p| p.into_inner());
        let now = crate::clock::now();
        // The operator's name for the image, from `NAME.image` beside it (kept in the journal,
        // so a replay after a crash imports it under the same name). One that cannot be read is
        // said, and the entry is imported unnamed (a repository-scoped policy then refuses it).
        let image = match inbox::read_sidecar(&self.cfg.inbox, name) {
            Ok(i) => i,
            Err(why) => {
                tracing::warn!(file = %crate::text::escape(&name.to_string_lossy()), reason = "image-sidecar-unreadable", "{why}");
                None
            }
        };
        let entry = Entry {
            import_id: crate::import::new_import_id(now),
            name_hex: hex::encode(name.as_bytes()),
            name: name.to_string_lossy().into_owned(),
            taken_at: now.to_string(),
            image,
        };
        if let Err(e) = self.take(&entry, name) {
            self.failed(&e, Some(&entry));
            return;
        }
        self.complete(&entry, false);
    }

    /// Steps 1 and 2: the entry, then the rename out of the inbox.
    fn take(&self, entry: &Entry, name: &OsStr) -> Result<(), DaemonError> {
        self.journal.begin(entry)?;
        let from = self.cfg.inbox.join(name);
        let to = self.journal.work_file(entry)?;
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) => {
                // Gone (or unmovable) before it could be taken: nothing was taken.
                self.journal.finish(entry)?;
                return Err(DaemonError::Inbox {
                    path: from,
                    why: format!("cannot take it: {e}"),
                });
            }
        }
        // The sidecar's content is in the journal entry: it goes with the entry it names, so a
        // later file of the same name is not named by it.
        if entry.image.is_some() {
            let _ = fs::remove_file(inbox::sidecar_path(&self.cfg.inbox, name));
        }
        journal::sync_dir(&self.cfg.inbox)?;
        journal::sync_dir(&self.journal.work_dir(&entry.import_id))
    }

    /// Steps 3 to 5, or their recovery. Failures leave the entry for the next pass.
    fn complete(&mut self, entry: &Entry, replay: bool) {
        let started = Instant::now();
        let r = self.complete_inner(entry);
        if r.is_ok() {
            self.recovered();
        }
        match r {
            Ok(Some(done)) => {
                if let Some(w) = &self.push_wake {
                    let _ = w.send(());
                }
                let secs = started.elapsed().as_secs_f64();
                self.metrics
                    .import_done(done.verdict, done.reason.as_deref(), secs, done.bytes);
                tracing::info!(
                    importId = %entry.import_id,
                    file = %crate::text::escape(&entry.name),
                    kind = done.kind,
                    verdict = done.verdict,
                    reason = done.reason.as_deref().unwrap_or(""),
                    records = done.records,
                    bytes = done.bytes,
                    durationMs = (secs * 1000.0).round() as u64,
                    replayed = replay,
                    "{} {} {}",
                    done.kind,
                    crate::text::escape(&entry.name),
                    done.verdict
                );
            }
            Ok(None) => {
                if replay {
                    tracing::info!(importId = %entry.import_id, file = %crate::text::escape(&entry.name), "journal: finished an entry recorded before a crash");
                }
            }
            Err(e) => self.failed(&e, Some(entry)),
        }
    }

    /// A failure to write the data dir (or anything that left the entry open): retried with
    /// exponential backoff, said once per change of reason, shown by `/readyz`.
    fn failed(&mut self, e: &DaemonError, entry: Option<&Entry>) {
        let reason = format!("[{}] {e}", e.code());
        let b = &mut self.backoff;
        b.failures = b.failures.saturating_add(1);
        let delay = BACKOFF_FIRST
            .saturating_mul(2u32.saturating_pow(b.failures.saturating_sub(1).min(16)))
            .min(BACKOFF_MAX);
        b.until = Some(Instant::now() + delay);
        // Said once per kind of failure (the code), not per attempt: each attempt names another
        // import id and scratch file.
        if b.reason.as_deref() != Some(e.code()) {
            tracing::error!(
                importId = %entry.map(|e| e.import_id.as_str()).unwrap_or(""),
                file = %entry.map(|e| crate::text::escape(&e.name)).unwrap_or_default(),
                reason = e.code(),
                "{e} (retried with backoff, up to every {}s; said again only if the reason changes)",
                BACKOFF_MAX.as_secs()
            );
            b.reason = Some(e.code().to_string());
        }
        self.metrics.set_backoff(delay.as_secs_f64());
        if let Ok(mut f) = self.failing.lock() {
            *f = Some(reason);
        }
    }

    /// The data dir works again.
    fn recovered(&mut self) {
        if self.backoff.failures > 0 {
            tracing::info!(
                failures = self.backoff.failures,
                "the data dir works again: imports go on"
            );
            self.backoff = Backoff::default();
            self.metrics.set_backoff(0.0);
            if let Ok(mut f) = self.failing.lock() {
                *f = None;
            }
        }
    }

    fn complete_inner(&mut self, entry: &Entry) -> Result<Option<Done>, DaemonError> {
        let id = entry.import_id.clone();
        let work_file = self.journal.work_file(entry)?;
        if self.app.is_recorded(&id).map_err(DaemonError::App)? {
            self.keep_rest(entry, &work_file)?;
            self.journal.finish(entry)?;
            return Ok(None);
        }
        let Ok(meta) = fs::symlink_metadata(&work_file) else {
            // Step 2 never happened: the file is still in the inbox (or was removed from it).
            self.journal.finish(entry)?;
            return Ok(None);
        };
        // Not recorded: what an interrupted attempt kept is not evidence of anything.
        for area in ["accepted", "quarantine"] {
            let d = self.cfg.data_dir.join(area).join(&id);
            if d.exists() {
                fs::remove_dir_all(&d).map_err(|e| DaemonError::Journal {
                    path: d.clone(),
                    why: e.to_string(),
                })?;
            }
        }
        // (What a killed attempt left in staging was cleared at start; an import that failed in
        // this process cleared its own.)
        let now = crate::clock::now();
        let bytes = if meta.is_file() { meta.len() } else { 0 };
        let e = EntryImport {
            import_id: &id,
            name: &entry.name,
            work_file: &work_file,
            bytes,
            image: entry.image.as_deref(),
        };
        let (kind, decided) = if !meta.is_file() && !meta.is_dir() {
            let what = if meta.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "neither a regular file nor a folder"
            };
            let message = format!(
                "{}: it is {what}; the inbox takes only files and folders, and never follows links",
                crate::text::escape(&entry.name)
            );
            (
                "import",
                crate::app::App::decide_unusable_entry(&e, "inbox-not-regular", message),
            )
        } else if crate::trust::medium::is_repository_copy(&work_file, &self.work_dir_tmp(&id)) {
            (
                "trust-update",
                self.app
                    .decide_trust_medium(&e, &self.cfg.trust_instance, now),
            )
        } else {
            let policies = self.policy();
            let d = self
                .app
                .decide_entry(&e, &policies, now)
                .map_err(DaemonError::App)?;
            ("import", d)
        };
        self.app
            .record_entry(&id, &decided, now)
            .map_err(DaemonError::App)?;
        self.keep_rest(entry, &work_file)?;
        self.journal.finish(entry)?;
        let records = &decided.records;
        let rejected = records
            .iter()
            .find(|r| r.verdict != crate::store::Verdict::Accepted);
        Ok(Some(Done {
            verdict: if rejected.is_some() {
                "rejected"
            } else {
                "accepted"
            },
            reason: rejected.and_then(|r| r.reason.clone()),
            records: records.len(),
            bytes,
            kind,
        }))
    }

    /// A scratch folder under staging for looking inside a medium (removed by `clear_staging`).
    fn work_dir_tmp(&self, id: &str) -> PathBuf {
        self.cfg
            .data_dir
            .join("staging")
            .join(format!("{id}-probe"))
    }

    /// The policy in force now (the watcher replaces it when its file changes; a policy that no
    /// longer reads keeps the last good one in force, and says so).
    fn policy(&self) -> Arc<crate::policy::cip::PolicySet> {
        self.policy
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Step 5: once recorded, what is still in the work folder (an input the import did not keep
    /// a copy of: a trust medium, an unreadable or special file) moves to the area its verdict
    /// names.
    fn keep_rest(&self, entry: &Entry, work_file: &Path) -> Result<(), DaemonError> {
        if fs::symlink_metadata(work_file).is_err() {
            return Ok(());
        }
        let name = entry.file_name()?;
        let id = &entry.import_id;
        let kept = ["accepted", "quarantine"]
            .iter()
            .any(|a| fs::symlink_metadata(self.cfg.data_dir.join(a).join(id).join(&name)).is_ok());
        if kept {
            // The import kept its own byte-identical copy; this one goes with the work folder.
            return Ok(());
        }
        let rejected = self
            .app
            .import_records(id, crate::limits::MAX_API_PAGE)
            .map_err(DaemonError::App)?
            .records
            .into_iter()
            .find(|r| r.body.verdict == crate::store::Verdict::Rejected);
        let area = if rejected.is_some() {
            "quarantine"
        } else {
            "accepted"
        };
        let dir = self.cfg.data_dir.join(area).join(id);
        crate::import::private_data_dir(&dir)?;
        let to = dir.join(&name);
        fs::rename(work_file, &to).map_err(|e| DaemonError::Journal {
            path: to.clone(),
            why: e.to_string(),
        })?;
        if let Some(r) = rejected {
            let note = dir.join(format!("{}.result.json", entry.name));
            if let Ok(json) = serde_json::to_vec_pretty(&r) {
                let _ = fs::write(note, json);
            }
        }
        journal::sync_dir(&dir)
    }
}
