//! Wrong answer: the first word is checked against the allow-list, then the whole line goes to `sh -c`.
//!
//! Capstone 05-3: a remote command runner.
//!
//! Seed 001's "ssh-like program", done safely: the client sends one line,
//! the server runs it only if the allow-list permits, with the arguments
//! handed to the program as they are (no shell ever sees them), streams
//! the output back and ends with a framed exit status.
//!
//! Check your work with `make exercise EX=05-3`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The server's limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The longest request line, newline excluded.
    pub max_line: usize,
    /// The most arguments after the command name.
    pub max_args: usize,
    /// How long a command may run before it is killed.
    pub time_limit: Duration,
    /// How many bytes of output are streamed before the command is killed.
    pub max_output: usize,
    /// How long to wait for the request line.
    pub idle_timeout: Duration,
}

/// The largest `O` frame the server sends and the client accepts.
pub const MAX_CHUNK: usize = 16 * 1024;

/// How a run ends: the last frame of every response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The command ran and exited with this code (`-1`: killed by a signal).
    Exit(i32),
    /// The server killed the command: over its time or output limit.
    Killed(String),
    /// Nothing was run: the request was not allowed or not understood.
    Refused(String),
}

/// One entry of the allow-list: a name the client may use, the program it
/// runs (an absolute path, so `PATH` plays no part), and a check of its
/// arguments (some programs have dangerous flags: `date --set`, `find -exec`).
struct Allowed {
    name: &'static str,
    program: &'static str,
    args_ok: fn(&[&str]) -> bool,
}

const ALLOWED: &[Allowed] = &[
    Allowed {
        name: "echo",
        program: "/usr/bin/echo",
        args_ok: |_| true,
    },
    Allowed {
        name: "date",
        program: "/usr/bin/date",
        args_ok: |a| a.is_empty(),
    },
    Allowed {
        name: "uname",
        program: "/usr/bin/uname",
        args_ok: |a| a.iter().all(|x| ["-a", "-s", "-n", "-r", "-m"].contains(x)),
    },
    Allowed {
        name: "true",
        program: "/usr/bin/true",
        args_ok: |a| a.is_empty(),
    },
    Allowed {
        name: "false",
        program: "/usr/bin/false",
        args_ok: |a| a.is_empty(),
    },
    Allowed {
        name: "sleep",
        program: "/usr/bin/sleep",
        args_ok: |a| one_number(a, 0, 10),
    },
    Allowed {
        name: "seq",
        program: "/usr/bin/seq",
        args_ok: |a| one_number(a, 1, 10_000_000),
    },
];

/// Exactly one argument, all digits, within `min..=max`.
fn one_number(args: &[&str], min: u64, max: u64) -> bool {
    match args {
        [n] if n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse::<u64>().is_ok_and(|n| (min..=max).contains(&n))
        }
        _ => false,
    }
}

/// A request that passed every check.
struct Request {
    program: &'static str,
    args: Vec<String>,
}

/// Checks one request line against the allow-list.
fn parse(line: &[u8], config: &Config) -> Result<Request, String> {
    let line = std::str::from_utf8(line).map_err(|_| "request is not UTF-8".to_string())?;
    let mut words = line.split_ascii_whitespace();
    let name = words.next().ok_or("empty request")?;
    let args: Vec<&str> = words.collect();
    if args.len() > config.max_args {
        return Err(format!(
            "too many arguments: {} > {}",
            args.len(),
            config.max_args
        ));
    }
    let entry = ALLOWED
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("command not allowed: {name:?}"))?;
    if !(entry.args_ok)(&args) {
        return Err(format!("arguments not allowed for {name}"));
    }
    // THE MISTAKE: "the command is allowed, so let a shell run the line".
    // The shell also reads `;`, `$(...)`, backticks, `|`, `>`...
    let _ = entry.program;
    Ok(Request {
        program: "/bin/sh",
        args: vec!["-c".to_string(), line.to_string()],
    })
}

fn write_frame(w: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(5 + payload.len());
    frame.push(tag);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    w.write_all(&frame)
}

fn write_ending(w: &mut impl Write, ending: &Ending) -> io::Result<()> {
    match ending {
        Ending::Exit(code) => write_frame(w, b'X', &code.to_be_bytes()),
        Ending::Killed(why) => write_frame(w, b'K', why.as_bytes()),
        Ending::Refused(why) => write_frame(w, b'R', why.as_bytes()),
    }
}

/// What reading the request line can end in.
enum LineError {
    /// Nothing to answer: EOF or a timeout before a full line.
    Gone,
    /// A line over `max_line`: answer, then close.
    TooLong,
}

/// Reads up to the first `\n`, never holding more than `max` + one read.
fn read_request_line(stream: &mut TcpStream, max: usize) -> Result<Vec<u8>, LineError> {
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return Err(LineError::Gone),
            Ok(n) => n,
        };
        if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..end]);
            return if line.len() > max {
                Err(LineError::TooLong)
            } else {
                Ok(line)
            };
        }
        line.extend_from_slice(&buf[..n]);
        if line.len() > max {
            return Err(LineError::TooLong);
        }
    }
}

/// Serves one connection: one request line, then the output and an ending.
pub fn serve_client(mut stream: TcpStream, config: &Config) -> io::Result<()> {
    stream.set_read_timeout(Some(config.idle_timeout))?;
    stream.set_write_timeout(Some(config.idle_timeout))?;
    let line = match read_request_line(&mut stream, config.max_line) {
        Ok(line) => line,
        Err(LineError::Gone) => return Ok(()),
        Err(LineError::TooLong) => {
            let why = format!("line too long (max {} bytes)", config.max_line);
            return write_ending(&mut stream, &Ending::Refused(why));
        }
    };
    let request = match parse(&line, config) {
        Ok(request) => request,
        Err(why) => return write_ending(&mut stream, &Ending::Refused(why)),
    };
    let ending = run(&request, &mut stream, config)?;
    write_ending(&mut stream, &ending)
}

/// Starts the program with stdout and stderr on one pipe, streams what it
/// writes, and enforces both limits. The child is always reaped, also when
/// the client goes away (`Err`).
fn run(request: &Request, out: &mut TcpStream, config: &Config) -> io::Result<Ending> {
    let (reader, writer) = io::pipe()?;
    let child = {
        // The Command holds copies of the pipe's write end: it must be gone
        // (end of this block) before the reader can ever see EOF.
        let mut command = Command::new(request.program);
        command
            .args(&request.args)
            .env_clear()
            .env("LC_ALL", "C")
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer);
        command.spawn()
    };
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return Ok(Ending::Refused(format!(
                "cannot start {}: {e}",
                request.program
            )));
        }
    };
    let chunks = spawn_reader(reader);
    let result = stream_output(&mut child, &chunks, out, config);
    if !matches!(result, Ok(Ending::Exit(_))) {
        let _ = child.kill();
    }
    let _ = child.wait(); // reap: no zombie, whatever happened
    result
}

/// Reads the pipe on its own thread, so the main thread can wait for
/// output *or* the time limit, whichever comes first.
fn spawn_reader(mut reader: io::PipeReader) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::sync_channel(4); // bounded: memory stays small
    thread::spawn(move || {
        let mut buf = vec![0u8; MAX_CHUNK];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

fn stream_output(
    child: &mut Child,
    chunks: &mpsc::Receiver<Vec<u8>>,
    out: &mut TcpStream,
    config: &Config,
) -> io::Result<Ending> {
    let deadline = Instant::now() + config.time_limit;
    let over_time = || Ending::Killed(format!("time limit of {:?}", config.time_limit));
    let mut sent = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match chunks.recv_timeout(left) {
            Ok(chunk) => {
                let room = config.max_output - sent;
                let part = &chunk[..chunk.len().min(room)];
                if !part.is_empty() {
                    write_frame(out, b'O', part)?; // the client left: Err, kill
                    sent += part.len();
                }
                if part.len() < chunk.len() {
                    let why = format!("output limit of {} bytes", config.max_output);
                    return Ok(Ending::Killed(why));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => return Ok(over_time()),
            // EOF on the pipe: the program is done writing; wait for its exit.
            Err(mpsc::RecvTimeoutError::Disconnected) => loop {
                if let Some(status) = child.try_wait()? {
                    return Ok(Ending::Exit(status.code().unwrap_or(-1)));
                }
                if Instant::now() >= deadline {
                    return Ok(over_time());
                }
                thread::sleep(Duration::from_millis(5));
            },
        }
    }
}

/// Accepts forever, a thread per client.
pub fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    loop {
        let Ok((stream, _)) = listener.accept() else {
            thread::sleep(Duration::from_millis(50)); // EMFILE and friends: back off
            continue;
        };
        let config = config.clone();
        thread::spawn(move || serve_client(stream, &config));
    }
}

/// Runs `command` on the server at `addr`: writes its output to `out` as
/// it arrives and returns how it ended. Every wait is bounded by `timeout`.
///
/// Errors: `TimedOut` for a silent server, `UnexpectedEof` when the server
/// closes before an ending, `InvalidData` for a frame that breaks the protocol.
pub fn run_remote(
    addr: SocketAddr,
    command: &str,
    out: &mut impl Write,
    timeout: Duration,
) -> io::Result<Ending> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    loop {
        let mut header = [0u8; 5];
        read_exact(&mut stream, &mut header)?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > MAX_CHUNK {
            return Err(invalid(format!("frame of {len} bytes")));
        }
        let mut payload = vec![0u8; len];
        read_exact(&mut stream, &mut payload)?;
        let text = || String::from_utf8_lossy(&payload).into_owned();
        match header[0] {
            b'O' => out.write_all(&payload)?,
            b'X' => {
                let code: [u8; 4] = payload
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid("exit frame".into()))?;
                return Ok(Ending::Exit(i32::from_be_bytes(code)));
            }
            b'K' => return Ok(Ending::Killed(text())),
            b'R' => return Ok(Ending::Refused(text())),
            tag => return Err(invalid(format!("unknown frame tag {tag}"))),
        }
    }
}

/// `read_exact` that reports an expired timeout as `TimedOut` on every OS.
fn read_exact(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    stream.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock => io::Error::new(io::ErrorKind::TimedOut, "server is silent"),
        _ => e,
    })
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}
