//! The daemon's control socket (`<data-dir>/daemon.sock`, owner-only): while the daemon holds the
//! ledger (sled admits one process), the CLI's operations that use it (`import`, `query`,
//! `trust`…) reach it here as typed `app` requests, and get typed responses back.
//!
//! Owns: the socket file, the framing, the client side. Must not touch: what the operations do
//! (that is `app`), rendering (that is `cli`).
//!
//! Framing: the client sends one frame, a 4-byte big-endian length then the JSON of an
//! [`crate::app::Request`]. The daemon answers one frame, the same way: the JSON of a
//! `Result<Response, Failure>` (`{"Ok": …}` or `{"Err": …}`).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{DaemonError, WorkLock};
use crate::app::{App, Failure, Hooks, Request, Response};

/// The answer to one request.
type Answer = Result<Response, Failure>;

/// The socket of a data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("daemon.sock")
}

/// The listening socket.
pub struct Server {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Binds the socket (the daemon holds the data dir's lock, so a socket file there is a dead
    /// daemon's) and serves it on its own thread.
    pub fn bind(app: App, work_lock: WorkLock) -> Result<Server, DaemonError> {
        use std::os::unix::fs::PermissionsExt;
        let path = path(app.data_dir());
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
        let s = stop.clone();
        std::thread::spawn(move || serve(&listener, &app, &work_lock, &s));
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

fn serve(listener: &UnixListener, app: &App, work_lock: &WorkLock, stop: &AtomicBool) {
    let busy = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut conn) = conn else { continue };
        if busy.fetch_add(1, Ordering::SeqCst) >= crate::limits::MAX_SOCKET_CLIENTS {
            busy.fetch_sub(1, Ordering::SeqCst);
            let _ = answer(
                &mut conn,
                &Err(Failure::unusable(
                    "daemon-busy",
                    "the daemon is running too many commands; try again",
                )),
            );
            continue;
        }
        let (app, work_lock, busy) = (app.clone(), work_lock.clone(), busy.clone());
        std::thread::spawn(move || {
            let _ = handle(conn, &app, &work_lock);
            busy.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Writes one frame: the length, then the bytes.
fn frame(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)
}

fn answer(conn: &mut UnixStream, a: &Answer) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(a).map_err(std::io::Error::other)?;
    frame(conn, &bytes)
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
    parse_request(&buf)
}

/// A client's request: one typed `app` request, capped, every path absolute.
pub fn parse_request(body: &[u8]) -> Result<Request, String> {
    let r: Request = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if let Request::VerifyBundle(v) = &r {
        if v.items.len() > crate::limits::MAX_BATCH_LINES {
            return Err(format!(
                "more than {} bundles in one request",
                crate::limits::MAX_BATCH_LINES
            ));
        }
    }
    // Paths are the client's: relative ones would name the daemon's working folder.
    if r.clone().absolute(Path::new("/")) != r {
        return Err("a request's paths must be absolute".into());
    }
    Ok(r)
}

fn handle(mut conn: UnixStream, app: &App, work_lock: &WorkLock) -> std::io::Result<()> {
    // A client that stops reading the answer does not hold its slot for ever either.
    conn.set_write_timeout(Some(std::time::Duration::from_secs(60)))?;
    let req = match read_request(&mut conn) {
        Ok(r) => r,
        Err(why) => {
            return answer(
                &mut conn,
                &Err(Failure::unusable("daemon-request-refused", why)),
            )
        }
    };
    // A link planted in the data dir since the daemon started is refused here too.
    if let Err(e) = crate::datadir::prepare(app.data_dir()) {
        return answer(&mut conn, &Err(Failure::unusable(e.code(), e.to_string())));
    }
    let a = {
        let _g = req
            .writes()
            .then(|| work_lock.lock().unwrap_or_else(|p| p.into_inner()));
        app.execute(&req, &Hooks::default(), crate::clock::now())
    };
    answer(&mut conn, &a)
}

/// When a daemon serves `data_dir`, runs `req` through it; `None` when no daemon answers (the
/// request then runs in this process).
pub fn forward(data_dir: &Path, req: &Request) -> Option<Answer> {
    let mut conn = UnixStream::connect(path(data_dir)).ok()?;
    let lost = || {
        Some(Err(Failure::unusable(
            "daemon-connection-lost",
            "the daemon closed the connection before the command finished",
        )))
    };
    let cwd = std::env::current_dir().ok()?;
    let body = match serde_json::to_vec(&req.clone().absolute(&cwd)) {
        Ok(b) => b,
        // Said at once: running here would only wait for the ledger the daemon holds.
        Err(e) => {
            return Some(Err(Failure::unusable(
                "usage",
                format!("a daemon holds this data dir, and the request cannot be sent through its socket ({e}): a path that is not UTF-8 must be renamed (or stop the daemon)"),
            )))
        }
    };
    if frame(&mut conn, &body).is_err() {
        return lost();
    }
    let mut head = [0u8; 4];
    if conn.read_exact(&mut head).is_err() {
        return lost();
    }
    let len = u32::from_be_bytes(head) as usize;
    if len > crate::limits::MAX_SOCKET_RESPONSE_BYTES {
        return Some(Err(Failure::unusable(
            "daemon-connection-lost",
            format!("the daemon's answer of {len} bytes is over the cap"),
        )));
    }
    let mut buf = vec![0u8; len];
    if conn.read_exact(&mut buf).is_err() {
        return lost();
    }
    match serde_json::from_slice::<Answer>(&buf) {
        Ok(a) => Some(a),
        Err(e) => Some(Err(Failure::unusable(
            "daemon-request-refused",
            format!(
                "the daemon's answer is not one this airlock reads ({e}): is it another version?"
            ),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_in_a_request_is_refused() {
        let req = Request::Show(crate::app::ledger::ShowRequest {
            id: 1,
            evidence: false,
            hmac_key_file: Some(PathBuf::from("key")),
        });
        let body = serde_json::to_vec(&req).unwrap();
        assert!(parse_request(&body).unwrap_err().contains("absolute"));
        let abs = req.absolute(Path::new("/x"));
        assert!(parse_request(&serde_json::to_vec(&abs).unwrap()).is_ok());
    }

    #[test]
    fn only_typed_requests_are_read() {
        assert!(parse_request(br#"{"argv":["query"]}"#).is_err());
        assert!(parse_request(br#"{"operation":"migrate"}"#).is_ok());
    }
}
