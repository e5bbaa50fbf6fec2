//! The one way tests run the `airlock` binary: `TestCommand::new(data_dir).args([...]).run()`,
//! with `AIRLOCK_DATA_DIR` removed (a test names its data dir), and the exit code, stdout and
//! stderr read back as text.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_airlock");

/// A run of the binary being built.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Ran {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub output: Output,
}

impl Ran {
    /// stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }

    /// The (code, stdout, stderr) triple the older helpers returned.
    pub fn triple(self) -> (i32, String, String) {
        (self.code, self.stdout, self.stderr)
    }
}

impl TestCommand {
    /// `airlock --data-dir DATA`.
    pub fn new(data: impl AsRef<Path>) -> TestCommand {
        let mut t = TestCommand::bare();
        t.cmd.arg("--data-dir").arg(data.as_ref());
        t
    }

    /// `airlock` with no data dir named (for `--version`, usage errors).
    pub fn bare() -> TestCommand {
        let mut cmd = Command::new(BIN);
        cmd.env_remove("AIRLOCK_DATA_DIR");
        TestCommand { cmd, stdin: None }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> TestCommand {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> TestCommand {
        self.cmd.env(k, v);
        self
    }

    pub fn current_dir(mut self, d: &Path) -> TestCommand {
        self.cmd.current_dir(d);
        self
    }

    /// Feeds `bytes` on standard input.
    pub fn stdin(mut self, bytes: &[u8]) -> TestCommand {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// Runs it to the end.
    pub fn run(mut self) -> Ran {
        let output = match self.stdin.take() {
            None => self.cmd.output().unwrap(),
            Some(bytes) => {
                let mut child = self
                    .cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut input = child.stdin.take().unwrap();
                // A command that stops reading early closes its end: not an error here.
                let _ = input.write_all(&bytes);
                drop(input);
                child.wait_with_output().unwrap()
            }
        };
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output,
        }
    }
}
