//! Test helpers shared by every lesson's tests.
//!
//! Each helper bounds its wait: a test that goes wrong fails with a message
//! (and the child's stderr) instead of hanging the suite.
//!
//! - [`Server`]: spawn a lesson binary, read its `listening on <addr>` line,
//!   read later stdout lines, send SIGINT/SIGTERM, wait for its exit.
//! - [`run`]: run a client binary to completion with input and a deadline.
//! - [`connect`], [`send_line`], [`read_line`], [`reset`]: talk over TCP.
//! - [`with_nofile_limit`]: run a child with a low `RLIMIT_NOFILE`.
//! - [`exercise`]: `assert_bytes_eq!` and a per-test watchdog for exercise tests.

pub mod exercise;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait in these helpers may take before the test fails.
/// Generous: a loaded 2-core CI machine can be slow to start a process.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running server binary.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// What followed `listening on ` on the ready line, up to the first space
    /// (a `SocketAddr` for TCP lessons, a path for lesson 12).
    pub ready: String,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
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
        drain(child.stderr.take().unwrap(), Arc::clone(&stderr));
        let lines = line_channel(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            ready: String::new(),
            lines,
            stderr,
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

    /// Closes the server's stdin (EOF on its console).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
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

/// Connects with read and write timeouts of [`PATIENCE`], so no test blocks forever.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Writes `line` and a `\n`.
pub fn send_line(stream: &mut TcpStream, line: &str) {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .expect("send line");
}

/// Reads one `\n`-terminated line byte by byte (no read-ahead, so the stream
/// can be read again afterwards) and returns it without the `\n`, lossily
/// decoded. Panics on EOF, error or timeout.
pub fn read_line(stream: &mut TcpStream) -> String {
    String::from_utf8_lossy(&read_line_bytes(stream)).into_owned()
}

/// [`read_line`] returning the raw bytes.
pub fn read_line_bytes(stream: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => panic!("EOF after {:?}", String::from_utf8_lossy(&line)),
            Ok(_) if byte[0] == b'\n' => return line,
            Ok(_) => line.push(byte[0]),
            Err(e) => panic!(
                "read line failed after {:?}: {e}",
                String::from_utf8_lossy(&line)
            ),
        }
    }
}

/// Reads until EOF; panics on error or timeout.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read to EOF");
    all
}

/// True when the peer has closed: a read returns EOF or a reset within `timeout`.
pub fn is_closed(stream: &mut TcpStream, timeout: Duration) -> bool {
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + timeout;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) if Instant::now() < deadline => continue,
            Ok(_) => return false,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Closes `stream` with a reset (RST) instead of an orderly FIN, by setting
/// `SO_LINGER` to zero first.
pub fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    socket
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER 0");
    drop(socket);
}

/// Resident memory of a process in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> u64 {
    proc_status_field(pid, "VmRSS:")
}

/// Number of threads of a process, from `/proc/<pid>/status`.
pub fn thread_count(pid: u32) -> u64 {
    proc_status_field(pid, "Threads:")
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
///
/// Tests compare two readings a second apart to prove a server that is out of
/// file descriptors waits instead of spinning. The kernel counts in clock
/// ticks of 1/100 s (`USER_HZ`, 100 on every Linux build in practice).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // The command name (field 2) may contain spaces; it ends at the last ')'.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 1..];
    // After the name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| -> u64 { fields[i - 3].parse().expect("numeric stat field") };
    Duration::from_millis((ticks(14) + ticks(15)) * 10)
}

fn proc_status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Polls `cond` every 10 ms until it holds; panics with `what` after [`PATIENCE`].
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        thread::sleep(Duration::from_millis(10));
    }
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

fn drain(
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

fn collect_rest(lines: &Receiver<String>) -> Vec<String> {
    let mut rest = Vec::new();
    // The reader thread finishes shortly after the process exits.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
        rest.push(line);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cpu_time` reads this very process and grows when it burns CPU.
    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_time(std::process::id());
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let after = cpu_time(std::process::id());
        assert!(after > before, "{before:?} -> {after:?}");
    }
}

/// A loopback TCP port on which every connection is refused, for as long as
/// this value lives.
///
/// "Bind a listener, note its port, drop it" is not enough in a test
/// process that also spawns children: a child forked at that moment holds a
/// copy of the listening socket until it `exec`s, so a connect can still be
/// accepted; and once dropped, the port may be handed to another test. A
/// socket that is bound but never listens keeps the port, and the kernel
/// answers every connection attempt with a reset (ECONNREFUSED).
#[derive(Debug)]
pub struct RefusedPort {
    _socket: socket2::Socket,
    /// The port nobody will ever accept on.
    pub port: u16,
}

/// See [`RefusedPort`].
pub fn refused_port() -> RefusedPort {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).expect("bind 127.0.0.1:0");
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    RefusedPort {
        _socket: socket,
        port,
    }
}
