//! Exercise 05-3: a remote command runner (capstone).
//!
//! Seed 001's "ssh-like program", done safely. A client connects and sends
//! one line, `name arg arg ...\n`. The server runs the command only if the
//! allow-list below permits it, hands the arguments to the program as they
//! are (no shell ever sees them), streams the program's output back as it
//! is produced, and ends with a framed exit status. Everything else is
//! refused with a reason.
//!
//! Response frames: a tag byte, a 4-byte big-endian length, the payload.
//!
//! | tag   | payload                                   | ends the response |
//! |-------|-------------------------------------------|-------------------|
//! | `'O'` | output bytes (stdout and stderr), at most `MAX_CHUNK` | no    |
//! | `'X'` | the exit code, an `i32` big-endian        | yes               |
//! | `'K'` | why the server killed it (UTF-8; says "time" or "output") | yes |
//! | `'R'` | why nothing was run (UTF-8)               | yes               |
//!
//! After the ending frame the server closes the connection. A client that
//! sends nothing for `idle_timeout` is dropped (a `'R'` frame is optional).
//!
//! The allow-list (a request is split on ASCII whitespace; the first word
//! is the name):
//!
//! | name    | runs             | arguments allowed                  |
//! |---------|------------------|------------------------------------|
//! | `echo`  | `/usr/bin/echo`  | any                                |
//! | `date`  | `/usr/bin/date`  | none                               |
//! | `uname` | `/usr/bin/uname` | only `-a` `-s` `-n` `-r` `-m`      |
//! | `true`  | `/usr/bin/true`  | none                               |
//! | `false` | `/usr/bin/false` | none                               |
//! | `sleep` | `/usr/bin/sleep` | one number of seconds, `0..=10`    |
//! | `seq`   | `/usr/bin/seq`   | one number, `1..=10000000`         |
//!
//! Refused as well: a line longer than `max_line` (as soon as it is too
//! long), more than `max_args` arguments, bytes that are not UTF-8, an
//! empty line. A command still running at `time_limit`, or whose output
//! would pass `max_output` bytes, is killed; no more than `max_output`
//! bytes of output are sent. A child is always reaped, also when the client
//! goes away in the middle.
//!
//! How you read the line, start the program, stream and time it is yours
//! to design. Private helpers are welcome.
//!
//! Check your work with `make exercise EX=05-3`.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

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

/// The largest `'O'` frame the server sends and the client accepts.
pub const MAX_CHUNK: usize = 16 * 1024;

/// How a run ends: the last frame of every response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// `'X'`: the command ran and exited with this code (`-1`: killed by a signal).
    Exit(i32),
    /// `'K'`: the server killed the command: over its time or output limit.
    Killed(String),
    /// `'R'`: nothing was run: the request was not allowed or not understood.
    Refused(String),
}

/// Serves one connection: one request line, then the output and an ending.
/// Returns `Err` when the client goes away in the middle (after the child
/// is stopped and reaped).
pub fn serve_client(stream: TcpStream, config: &Config) -> io::Result<()> {
    todo!()
}

/// Accepts forever; a long command must not hold up other clients.
pub fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    todo!()
}

/// Runs `command` on the server at `addr`: writes its output to `out` as
/// it arrives and returns how it ended. Every wait is bounded by `timeout`.
///
/// Errors: `TimedOut` for a silent server, `UnexpectedEof` when the server
/// closes before an ending, `InvalidData` for a frame that breaks the
/// protocol (unknown tag, longer than `MAX_CHUNK`).
pub fn run_remote(
    addr: SocketAddr,
    command: &str,
    out: &mut impl Write,
    timeout: Duration,
) -> io::Result<Ending> {
    todo!()
}
