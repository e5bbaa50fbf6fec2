//! The daemon's control socket (`<data-dir>/daemon.sock`, owner-only): while the daemon holds the
//! ledger (sled admits one process), `airlock query`, `show`, `import`, `trust`… reach it through
//! the daemon, which runs the same command in its own process and streams its output back.
//!
//! Owns: the socket file, the framing, which commands may be sent, the client side. Must not
//! touch: what the commands do (that is `cli`).
//!
//! Framing: the client sends one request, a 4-byte big-endian length then JSON
//! `{"argv": [...]}` (the command line after the program name and without `--data-dir`, paths
//! made absolute). The daemon answers with frames of one tag byte (1 stdout, 2 stderr, 3 exit),
//! a 4-byte big-endian length and the bytes; the exit frame holds the exit code and ends it.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{DaemonError, WorkLock};

const TAG_STDOUT: u8 = 1;
const TAG_STDERR: u8 = 2;
const TAG_EXIT: u8 = 3;

/// The socket of a data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("daemon.sock")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Request {
    argv: Vec<String>,
}

/// The commands a client may run through the daemon, and whether they write (and so wait for
/// the inbox worker).
pub fn admitted(argv: &[String]) -> Option<bool> {
    let first = argv.iter().find(|a| !a.starts_with('-'))?;
    match first.as_str() {
        "query" | "show" | "audit" | "export" => Some(false),
        "import" | "reverify" | "trust" | "verify-bundle" | "db" => Some(true),
        _ => None,
    }
}

/// The listening socket.
pub struct Server {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Binds the socket (the daemon holds the data dir's lock, so a socket file there is a dead
    /// daemon's) and serves it on its own thread.
    pub fn bind(data_dir: &Path, work_lock: WorkLock) -> Result<Server, DaemonError> {
        use std::os::unix::fs::PermissionsExt;
        let path = path(data_dir);
        let err = |e: std::io::Error| DaemonError::Socket {
            path: path.clone(),
            why: e.to_string(),
        };
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let listener = UnixListener::bind(&path).map_err(err)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let data_dir = data_dir.to_path_buf();
        let s = stop.clone();
        std::thread::spawn(move || serve(&listener, &data_dir, &work_lock, &s));
        Ok(Server { path, stop })
    }

    /// Stops answering and removes the socket file.
    pub fn close(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.path);
        // Wakes the accept loop so it sees the stop.
        let _ = UnixStream::connect(&self.path);
    }
}

fn serve(listener: &UnixListener, data_dir: &Path, work_lock: &WorkLock, stop: &AtomicBool) {
    let busy = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut conn) = conn else { continue };
        if busy.fetch_add(1, Ordering::SeqCst) >= crate::limits::MAX_SOCKET_CLIENTS {
            busy.fetch_sub(1, Ordering::SeqCst);
            let _ = frame(
                &mut conn,
                TAG_STDERR,
                b"airlock: [daemon-busy] the daemon is running too many commands; try again\n",
            );
            let _ = frame(&mut conn, TAG_EXIT, &[crate::cli::EXIT_USAGE]);
            continue;
        }
        let (data_dir, work_lock, busy) = (data_dir.to_path_buf(), work_lock.clone(), busy.clone());
        std::thread::spawn(move || {
            let _ = handle(conn, &data_dir, &work_lock);
            busy.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn frame(w: &mut impl Write, tag: u8, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
    let mut head = [0u8; 5];
    head[0] = tag;
    head[1..].copy_from_slice(&len.to_be_bytes());
    w.write_all(&head)?;
    w.write_all(bytes)
}

/// How long a client has to send its whole request: a client that drips bytes never holds one of
/// the [`crate::limits::MAX_SOCKET_CLIENTS`] slots longer than this.
const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Fills `buf` before `deadline` (each read waits at most what is left).
fn read_by(
    conn: &mut UnixStream,
    buf: &mut [u8],
    deadline: std::time::Instant,
) -> Result<(), String> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!(
                "the request did not arrive within {} s",
                REQUEST_DEADLINE.as_secs()
            ));
        }
        conn.set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match conn.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => return Err("the client closed the connection mid-request".into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

fn read_request(conn: &mut UnixStream) -> Result<Request, String> {
    let deadline = std::time::Instant::now() + REQUEST_DEADLINE;
    let mut len = [0u8; 4];
    read_by(conn, &mut len, deadline)?;
    let len = u32::from_be_bytes(len);
    if len > crate::limits::MAX_SOCKET_REQUEST_BYTES {
        return Err(format!(
            "request of {len} bytes is larger than the cap of {} bytes",
            crate::limits::MAX_SOCKET_REQUEST_BYTES
        ));
    }
    let mut buf = vec![0u8; len as usize];
    read_by(conn, &mut buf, deadline)?;
    parse_request(&buf).map(|argv| Request { argv })
}

/// A client's request body: its command line, capped.
pub fn parse_request(body: &[u8]) -> Result<Vec<String>, String> {
    let r: Request = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if r.argv.len() > crate::limits::MAX_SOCKET_ARGS {
        return Err(format!(
            "more than {} arguments",
            crate::limits::MAX_SOCKET_ARGS
        ));
    }
    // The daemon's data dir is the one: a request never names another (the client strips its
    // own `--data-dir` before sending).
    if r.argv
        .iter()
        .any(|a| a == "--data-dir" || a.starts_with("--data-dir="))
    {
        return Err(
            "a request may not carry --data-dir: the daemon serves its own data dir".into(),
        );
    }
    Ok(r.argv)
}

fn handle(mut conn: UnixStream, data_dir: &Path, work_lock: &WorkLock) -> std::io::Result<()> {
    use clap::Parser;
    // A client that stops reading the answer does not hold its slot for ever either.
    conn.set_write_timeout(Some(std::time::Duration::from_secs(60)))?;
    let refuse = |conn: &mut UnixStream, why: &str| {
        let line = format!(
            "airlock: [daemon-request-refused] {}\n",
            crate::text::escape(why)
        );
        frame(conn, TAG_STDERR, line.as_bytes())?;
        frame(conn, TAG_EXIT, &[crate::cli::EXIT_USAGE])
    };
    let req = match read_request(&mut conn) {
        Ok(r) => r,
        Err(why) => return refuse(&mut conn, &why),
    };
    let Some(writes) = admitted(&req.argv) else {
        return refuse(&mut conn, "only query, show, audit, export, import, reverify, trust, db and verify-bundle run through the daemon");
    };
    let mut full = vec![
        "airlock".to_string(),
        "--data-dir".to_string(),
        data_dir.display().to_string(),
    ];
    full.extend(req.argv);
    let cli = match crate::cli::Cli::try_parse_from(&full) {
        Ok(c) => c,
        Err(e) => {
            frame(&mut conn, TAG_STDERR, e.render().to_string().as_bytes())?;
            return frame(&mut conn, TAG_EXIT, &[crate::cli::EXIT_USAGE]);
        }
    };
    // A link planted in the data dir since the daemon started is refused here too.
    if let Err(e) = crate::datadir::prepare(data_dir) {
        return refuse(&mut conn, &format!("[{}] {e}", e.code()));
    }
    let out = conn.try_clone()?;
    let sink: crate::cli::Capture = {
        let mut out = out;
        Box::new(move |err, bytes| {
            frame(&mut out, if err { TAG_STDERR } else { TAG_STDOUT }, bytes)
        })
    };
    let code = {
        let _g = writes.then(|| work_lock.lock().unwrap_or_else(|p| p.into_inner()));
        crate::cli::capture(sink, || crate::cli::dispatch(cli))
    };
    frame(&mut conn, TAG_EXIT, &[code])
}

/// Flags whose value is a path (made absolute before the command goes to the daemon, which does
/// not share the client's working folder).
const PATH_FLAGS: [&str; 10] = [
    "--policy",
    "--trusted-root",
    "--hmac-key-file",
    "--from",
    "--root",
    "--public-key",
    "--previous",
    "--batch",
    "--bundle",
    "--key",
];

/// Subcommands whose positional arguments are paths (made absolute when they name something
/// that exists, so that the value of a flag such as `--instance NAME` is left alone).
const PATH_POSITIONALS: [&str; 3] = ["import", "verify-export", "verify-bundle"];

fn absolute(arg: &str, cwd: &Path) -> String {
    let p = Path::new(arg);
    if p.is_absolute() || arg == "-" {
        arg.to_string()
    } else {
        cwd.join(p).display().to_string()
    }
}

/// The command line as the daemon must see it: no `--data-dir` (the daemon's is the one), and
/// every path absolute.
fn rewrite(args: &[String], cwd: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    let mut positional_paths = false;
    while let Some(a) = it.next() {
        if a == "--data-dir" {
            it.next();
            continue;
        }
        if a.starts_with("--data-dir=") {
            continue;
        }
        if let Some((flag, v)) = a.split_once('=') {
            if PATH_FLAGS.contains(&flag) {
                out.push(format!("{flag}={}", absolute(v, cwd)));
                continue;
            }
        }
        if PATH_FLAGS.contains(&a.as_str()) {
            out.push(a.clone());
            if let Some(v) = it.next() {
                out.push(absolute(v, cwd));
            }
            continue;
        }
        if !a.starts_with('-') {
            if PATH_POSITIONALS.contains(&a.as_str()) && !positional_paths {
                positional_paths = true;
                out.push(a.clone());
                continue;
            }
            if positional_paths && cwd.join(a).exists() {
                out.push(absolute(a, cwd));
                continue;
            }
        }
        out.push(a.clone());
    }
    out
}

/// Whether `cli` is a command that uses the ledger (and so must go through a running daemon).
pub fn uses_ledger(cli: &crate::cli::Cli) -> bool {
    use crate::cli::Command;
    match &cli.command {
        Command::VerifyBundle(a) => a.record,
        Command::Import(_)
        | Command::Reverify(_)
        | Command::Query(_)
        | Command::Show(_)
        | Command::Export(_)
        | Command::Audit { .. }
        | Command::Db { .. }
        | Command::Trust { .. } => true,
        Command::Daemon(_) => false,
    }
}

/// When a daemon serves `data_dir`, runs this process's command line through it, relaying its
/// output; `None` when no daemon answers (the command then runs here).
pub fn forward(data_dir: &Path) -> Option<u8> {
    let mut conn = UnixStream::connect(path(data_dir)).ok()?;
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(a) => a,
        // Said at once: running here would only wait for the ledger the daemon holds.
        Err(bad) => {
            crate::cli::warn(&format!(
                "airlock: [usage] a daemon holds this data dir, and the argument {} is not UTF-8: it cannot be sent through the daemon's socket; rename the file (or stop the daemon)",
                crate::text::escape(&bad.to_string_lossy())
            ));
            return Some(crate::cli::EXIT_USAGE);
        }
    };
    if args.iter().any(|a| a == "-") {
        crate::cli::warn("airlock: [usage] a daemon holds this data dir: reading standard input is not supported through it; pass a file");
        return Some(crate::cli::EXIT_USAGE);
    }
    let cwd = std::env::current_dir().ok()?;
    let req = Request {
        argv: rewrite(&args, &cwd),
    };
    let body = serde_json::to_vec(&req).ok()?;
    let len = u32::try_from(body.len()).ok()?;
    conn.write_all(&len.to_be_bytes()).ok()?;
    conn.write_all(&body).ok()?;
    let fail = || {
        crate::cli::warn("airlock: [daemon-connection-lost] the daemon closed the connection before the command finished");
        Some(crate::cli::EXIT_USAGE)
    };
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    loop {
        let mut head = [0u8; 5];
        if conn.read_exact(&mut head).is_err() {
            return fail();
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut buf = vec![0u8; len.min(64 * 1024 * 1024)];
        if conn.read_exact(&mut buf).is_err() {
            return fail();
        }
        match head[0] {
            TAG_STDOUT => {
                let _ = stdout.write_all(&buf);
            }
            TAG_STDERR => {
                let _ = stderr.write_all(&buf);
            }
            TAG_EXIT => {
                let _ = stdout.flush();
                return Some(buf.first().copied().unwrap_or(crate::cli::EXIT_USAGE));
            }
            _ => return fail(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_absolute_and_the_data_dir_is_dropped() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.tar"), b"").unwrap();
        let cwd = d.path();
        let args: Vec<String> = [
            "--data-dir",
            "d",
            "import",
            "a.tar",
            "--instance",
            "github",
            "/abs/b.tar",
            "--policy",
            "p.yaml",
            "--json",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            rewrite(&args, cwd),
            [
                "import".to_string(),
                cwd.join("a.tar").display().to_string(),
                "--instance".into(),
                "github".into(),
                "/abs/b.tar".into(),
                "--policy".into(),
                cwd.join("p.yaml").display().to_string(),
                "--json".into()
            ]
        );
        let q: Vec<String> = ["query", "--verdict", "accepted", "--data-dir=x"]
            .map(String::from)
            .to_vec();
        assert_eq!(rewrite(&q, cwd), ["query", "--verdict", "accepted"]);
    }

    #[test]
    fn only_ledger_commands_are_served() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(admitted(&v(&["query", "--json"])), Some(false));
        assert_eq!(admitted(&v(&["trust", "update"])), Some(true));
        assert_eq!(admitted(&v(&["daemon", "--inbox", "x"])), None);
    }
}
