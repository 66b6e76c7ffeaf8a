//! Running a server binary: wait for its ready line, read its log, signal
//! it, wait for its exit.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::PATIENCE;
use crate::procfs::cpu_time;
use crate::run::{drain, with_nofile_limit};

/// A running server binary.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// What followed `listening on ` on the ready line, up to the first space
    /// (a `SocketAddr` for TCP lessons, a path for lesson 12).
    pub ready: String,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The thread copying stderr into `stderr`: [`Server::wait`] lets it
    /// finish, so that what the server wrote before it exited is all there.
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Spawns `bin` with `args` and waits for its ready line.
    pub fn spawn(bin: &str, args: &[&str]) -> Server {
        let mut cmd = Command::new(bin);
        cmd.args(args);
        Server::start(cmd)
    }

    /// Spawns a prepared command (stdin, stdout and stderr are set here) and
    /// waits for its ready line.
    pub fn start(cmd: Command) -> Server {
        Server::try_start(cmd).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Server::start`] that reports a missing or wrong ready line as an
    /// error instead of panicking.
    pub fn try_start(mut cmd: Command) -> Result<Server, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("spawn {cmd:?}: {e}"))?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = Some(drain(child.stderr.take().unwrap(), Arc::clone(&stderr)));
        let lines = line_channel(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            ready: String::new(),
            lines,
            stderr,
            stderr_reader,
        };
        let first = server
            .next_line(PATIENCE)
            .ok_or_else(|| format!("no ready line from {cmd:?}; stderr: {}", server.stderr()))?;
        let rest = first
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("first stdout line is not the ready line: {first:?}"))?;
        server.ready = rest.split(' ').next().unwrap_or_default().to_string();
        Ok(server)
    }

    /// Starts `bin args` under each soft descriptor limit of `limits` in turn
    /// and returns the first server still running shortly after its ready
    /// line, with its limit: the tightest limit the server can work under.
    /// (At lower limits it fails to bind, or binds and then fails to finish
    /// starting.) Panics if no limit works.
    pub fn start_with_fewest_descriptors(
        bin: &str,
        args: &[&str],
        limits: std::ops::RangeInclusive<u32>,
    ) -> (Server, u32) {
        for limit in limits.clone() {
            if let Ok(mut server) = Server::try_start(with_nofile_limit(bin, args, limit)) {
                thread::sleep(Duration::from_millis(200));
                if server.is_running() {
                    return (server, limit);
                }
            }
        }
        panic!("{bin} did not start under any descriptor limit in {limits:?}")
    }

    /// The ready line's address, parsed.
    pub fn addr(&self) -> SocketAddr {
        self.ready
            .parse()
            .unwrap_or_else(|e| panic!("ready address {:?}: {e}", self.ready))
    }

    /// The process id, for signals and `/proc` look-ups.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's stdin (for console commands).
    pub fn stdin(&mut self) -> &mut ChildStdin {
        self.child.stdin.as_mut().expect("stdin already closed")
    }

    /// The next stdout line, or `None` if none comes within `timeout` (or
    /// stdout closed).
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Reads stdout lines until one satisfies `pred` and returns it; panics
    /// (showing what was read) if none does within [`PATIENCE`].
    pub fn expect_line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next_line(left) {
                Some(line) if pred(&line) => return line,
                Some(line) => seen.push(line),
                None => break,
            }
        }
        panic!(
            "expected stdout line not seen; got {seen:?}; stderr: {}",
            self.stderr()
        )
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Sends a signal by name (`"INT"`, `"TERM"`, `"KILL"`) with kill(1).
    pub fn signal(&self, name: &str) {
        signal(self.pid(), name);
    }

    /// Waits for the process to exit, at most `timeout`; kills it and panics
    /// if it does not. Returns its status and the stdout lines not yet read.
    pub fn wait(&mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let rest = collect_rest(&self.lines);
                self.finish_stderr();
                return (status, rest);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "server did not exit within {timeout:?}; stderr: {}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lets the stderr reader reach the end of the pipe (the process has
    /// exited), waiting at most two seconds: a child process of the server
    /// could hold the pipe open longer.
    fn finish_stderr(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Some(reader) = self.stderr_reader.take() {
            if reader.is_finished() {
                let _ = reader.join();
            } else if Instant::now() < deadline {
                self.stderr_reader = Some(reader);
                thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Asserts the server keeps running and uses less than `max_cpu` of CPU
    /// time over `over`: what "waits instead of spinning" means in the
    /// out-of-descriptors tests (a spinning loop burns the whole interval).
    pub fn assert_not_spinning(&mut self, over: Duration, max_cpu: Duration) {
        assert!(
            self.is_running(),
            "server exited; stderr: {}",
            self.stderr()
        );
        let before = cpu_time(self.pid());
        thread::sleep(over);
        let used = cpu_time(self.pid()) - before;
        assert!(
            used < max_cpu,
            "spinning: {used:?} of CPU in {over:?}; stderr: {}",
            self.stderr()
        );
        assert!(
            self.is_running(),
            "server exited; stderr: {}",
            self.stderr()
        );
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a signal by name to a process with kill(1).
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

fn line_channel(out: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).split(b'\n') {
            let Ok(line) = line else { break };
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                break;
            }
        }
    });
    rx
}

fn collect_rest(lines: &Receiver<String>) -> Vec<String> {
    let mut rest = Vec::new();
    // The reader thread finishes shortly after the process exits.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        rest.push(line);
    }
    rest
}
