//! Running a client binary to completion, and running any binary under a
//! low descriptor limit.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What a finished client run produced.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything written to stdout, lossily decoded.
    pub stdout: String,
    /// Everything written to stderr, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// The exit code (`None` if killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `bin args` with `input` on stdin (then EOF); kills it and panics if
/// it has not exited within `timeout`.
pub fn run(bin: &str, args: &[&str], input: &[u8], timeout: Duration) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    run_command(cmd, input, timeout)
}

/// [`run`] for a prepared command.
pub fn run_command(mut cmd: Command, input: &[u8], timeout: Duration) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let out = Arc::new(Mutex::new(Vec::new()));
    let err = Arc::new(Mutex::new(Vec::new()));
    let out_reader = drain(child.stdout.take().unwrap(), Arc::clone(&out));
    let err_reader = drain(child.stderr.take().unwrap(), Arc::clone(&err));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // A writer thread, so a child that does not read its stdin cannot block us.
    thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} did not exit within {timeout:?}; stdout: {}; stderr: {}",
                String::from_utf8_lossy(&out.lock().unwrap()),
                String::from_utf8_lossy(&err.lock().unwrap())
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = out_reader.join();
    let _ = err_reader.join();
    let text =
        |buf: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&buf.lock().unwrap()).into_owned();
    Run {
        status,
        stdout: text(&out),
        stderr: text(&err),
    }
}

/// Wraps a command so it runs with its soft `RLIMIT_NOFILE` set to `limit`
/// (through the shell's `ulimit`, so no unsafe code is needed).
pub fn with_nofile_limit(bin: &str, args: &[&str], limit: u32) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args);
    cmd
}

/// Copies everything `from` yields into `into` on a thread of its own, so
/// a child never blocks on a full pipe.
pub(crate) fn drain(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}
