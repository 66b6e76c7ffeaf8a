//! Lesson 03: an echo server and an interactive client.
//!
//! The server sends back exactly the bytes it reads, whatever they are and
//! however they are split; the client sends the lines you type and prints
//! what comes back, giving up when a reply does not arrive in time.
//!
//! # Layout
//!
//! - [`Args`]: `server` and `client` subcommands.
//! - [`echo`]: the echo loop, generic over any `Read + Write` (lesson 04
//!   serves with it, lesson 12 runs it over a Unix socket).
//! - [`serve`]: one client at a time on an already bound listener.
//! - [`client`] and [`converse`]: stdin lines out, echoed lines back;
//!   [`read_echo`] reads exactly one echo, however it is split, within a
//!   deadline.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::net::{Shutdown as Half, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use common::line_reader::is_timeout;
use common::text::{printable, secs};
use common::{Shutdown, errln, outln};

/// An echo server and an interactive client.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Echo back everything each client sends, one client at a time.
    Server(ServerArgs),
    /// Send the lines read from stdin and print what the server echoes.
    Client(ClientArgs),
}

/// Flags of `server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8001)]
    pub port: u16,
    /// Seconds a client may stay silent (or stop reading) before it is
    /// disconnected. While one client is served, everyone else waits, so
    /// this also bounds how long a silent client blocks the queue.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
}

/// Flags of `client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Server host name or address.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(long, default_value_t = 8001)]
    pub port: u16,
    /// Seconds to wait for the connection and for each echoed line.
    #[arg(long, default_value = "5", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

/// Server settings that tests set directly.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// See [`ServerArgs::idle_timeout`].
    pub idle_timeout: Duration,
}

/// What a server did before it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Connections accepted and served to the end.
    pub clients: u64,
    /// Bytes echoed back over all of them.
    pub bytes: u64,
}

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Server(a) => {
            let listener = common::addr::bind_tcp(&a.host.address, a.port)?;
            let addr = listener.local_addr().context("local address")?;
            common::ready::announce(addr).context("write ready line")?;
            let shutdown = Shutdown::new();
            shutdown.on_signals()?;
            let summary = serve(
                listener,
                &shutdown,
                &ServerConfig {
                    idle_timeout: a.idle_timeout,
                },
            )?;
            common::summaryln!(
                "shut down: served {}, echoed {}",
                common::text::count(summary.clients, "client"),
                common::text::count(summary.bytes, "byte")
            );
            Ok(())
        }
        Command::Client(a) => client(&a),
    }
}

/// Bytes asked for per `read` in [`echo`]. 64 KiB matches what loopback
/// TCP delivers at a time: a smaller buffer means more system calls per
/// megabyte (the benchmarks chapter measures 16 KiB against 64 KiB).
pub const ECHO_BUF: usize = 64 * 1024;

// ANCHOR: echo
/// Writes back everything read from `stream` until the peer closes; returns
/// how many bytes were echoed.
///
/// Nothing here knows about lines: TCP delivers a byte stream, so we echo
/// whatever each `read` returns, in pieces of any size. `write_all` loops
/// until the whole piece is sent; a bare `write` may send only part of it.
pub fn echo<S: Read + Write>(mut stream: S) -> io::Result<u64> {
    let mut buf = vec![0u8; ECHO_BUF];
    let mut total = 0u64;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(total), // the peer closed its sending side
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: echo

// ANCHOR: serve
/// Serves clients one at a time until `shutdown` is triggered.
///
/// While one client is connected, the next ones wait in the kernel's accept
/// queue: this is the limitation lesson 05 removes.
pub fn serve(listener: TcpListener, shutdown: &Shutdown, config: &ServerConfig) -> Result<Summary> {
    let mut summary = Summary::default();
    for conn in common::accept::connections(&listener, shutdown).context("accept")? {
        let (stream, peer) = conn.context("accept")?;
        outln!("client {peer} connected");
        // A silent client, or one that stops reading our replies, is
        // dropped after the idle timeout instead of holding the server.
        // TCP_NODELAY: an echo is sent at once, not held back by Nagle's
        // algorithm waiting for the previous one to be acknowledged.
        let setup = stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(config.idle_timeout)))
            .and_then(|()| stream.set_write_timeout(Some(config.idle_timeout)))
            .and_then(|()| shutdown.stop_serving(&stream));
        let _closed_at_shutdown = match setup {
            Ok(guard) => guard,
            Err(e) => {
                outln!("client {peer}: error: {e}");
                continue;
            }
        };
        match echo(&stream) {
            Ok(n) => {
                outln!("client {peer} disconnected after {n} bytes");
                summary.bytes += n;
            }
            Err(e) if common::line_reader::is_timeout(&e) => outln!(
                "client {peer} idle for {}, disconnecting",
                common::text::secs(config.idle_timeout)
            ),
            Err(e) => outln!("client {peer}: error: {e}"),
        }
        summary.clients += 1;
    }
    Ok(summary)
}
// ANCHOR_END: serve

// ANCHOR: client
/// The interactive client: connects, then sends each stdin line and prints
/// its echo, until stdin ends.
///
/// `connected to ...` goes to stderr, so stdout holds nothing but the
/// echoed lines: `printf 'a\nb\n' | lesson03-echo client` prints `a` and `b`.
pub fn client(args: &ClientArgs) -> Result<()> {
    let stream = common::addr::connect_any(&args.host, args.port, Some(args.timeout))?;
    let peer = stream.peer_addr().context("peer address")?;
    if io::stdin().is_terminal() {
        errln!("connected to {peer}; type lines to send, Ctrl-D to finish");
    } else {
        errln!("connected to {peer}");
    }
    converse(
        &stream,
        args.timeout,
        io::stdin().lock(),
        &mut io::stdout().lock(),
    )?;
    Ok(())
}
// ANCHOR_END: client

// ANCHOR: converse
/// Sends every line of `input` (with its `\n`) and writes each echoed line
/// to `out`; at the end of `input`, half-closes and waits for the server to
/// close too. Returns how many lines were echoed.
pub fn converse(
    stream: &TcpStream,
    timeout: Duration,
    mut input: impl BufRead,
    out: &mut impl Write,
) -> Result<u64> {
    let peer = stream.peer_addr().context("peer address")?;
    // A server that stops reading must not block our writes forever either.
    stream.set_write_timeout(Some(timeout))?;
    let mut line = Vec::new();
    let mut echoed = 0;
    while read_input_line(&mut input, &mut line, MAX_LINE).context("read stdin")? {
        // One `write_all` for the line and its newline: `write` might send
        // only part of it, and the rest would never leave.
        let mut writer = stream;
        writer
            .write_all(&line)
            .with_context(|| format!("send to {peer}"))?;
        let echo = read_echo(stream, line.len(), timeout)
            .with_context(|| format!("read echo from {peer}"))?;
        writeln!(out, "{}", printable(strip_newline(&echo))).context("write to stdout")?;
        echoed += 1;
    }
    // Half-close: "no more lines". The server's echo loop sees EOF, closes
    // its side, and our read below sees EOF in turn.
    stream
        .shutdown(Half::Write)
        .with_context(|| format!("shut down sending to {peer}"))?;
    wait_for_close(stream, timeout).with_context(|| format!("close {peer}"))?;
    Ok(echoed)
}
// ANCHOR_END: converse

// ANCHOR: read_echo
/// Reads exactly `len` bytes: the echo of a line we sent.
///
/// TCP has no message boundaries: the echo may come back in several pieces,
/// so we loop until all `len` bytes are here. The whole echo must arrive
/// within `timeout` (a deadline, not a per-read limit: a server trickling
/// one byte at a time cannot stretch it).
pub fn read_echo(stream: &TcpStream, len: usize, timeout: Duration) -> Result<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut echo = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!(
                "no echo within {} ({got} of {len} bytes received)",
                secs(timeout)
            );
        }
        stream.set_read_timeout(Some(left))?;
        let mut reader = stream;
        match reader.read(&mut echo[got..]) {
            Ok(0) => {
                bail!("server closed the connection ({got} of {len} bytes of the echo received)")
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                bail!(
                    "no echo within {} ({got} of {len} bytes received)",
                    secs(timeout)
                )
            }
            Err(e) => {
                return Err(e).with_context(|| format!("after {got} of {len} bytes of the echo"));
            }
        }
    }
    Ok(echo)
}
// ANCHOR_END: read_echo

/// The longest stdin line the client sends, in bytes (without its `\n`).
///
/// Why a limit at all: the client writes a whole line before it reads the
/// echo, while the server is already echoing it back. Until we read, the
/// echo waits in kernel buffers (ours and the server's); a line bigger than
/// those buffers would leave both sides blocked in `write`. 64 KiB fits in
/// the default loopback buffers with room to spare. (The tests send 10 MiB
/// through the server with a writer thread and a reader thread, which is
/// how a client without this limit would have to work.)
pub const MAX_LINE: usize = 64 * 1024;

/// Reads the next line of `input` into `line` (cleared first), keeping its
/// `\n`; a last line without one gets one. Returns `false` at the end of
/// `input`. Memory is bounded: at most `limit + 1` bytes are read per line.
fn read_input_line(input: &mut impl BufRead, line: &mut Vec<u8>, limit: usize) -> io::Result<bool> {
    line.clear();
    let n = input
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', line)?;
    if n == 0 {
        return Ok(false);
    }
    if line.last() != Some(&b'\n') {
        if line.len() > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line longer than {limit} bytes"),
            ));
        }
        line.push(b'\n');
    }
    Ok(true)
}

/// After our half-close, waits (at most `timeout`) for the server to close
/// its side, so every echo has certainly arrived and nothing else follows.
fn wait_for_close(stream: &TcpStream, timeout: Duration) -> Result<()> {
    stream.set_read_timeout(Some(timeout))?;
    let mut buf = [0u8; 512];
    let mut reader = stream;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => bail!("server sent {n} bytes nobody asked for"),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => bail!(
                "server did not close the connection within {}",
                secs(timeout)
            ),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Drops one trailing `\n` (and a `\r` before it) for display.
fn strip_newline(bytes: &[u8]) -> &[u8] {
    match bytes.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<io::Result<Vec<u8>>> {
        let mut input = input;
        let mut out = Vec::new();
        let mut line = Vec::new();
        loop {
            match read_input_line(&mut input, &mut line, limit) {
                Ok(true) => out.push(Ok(line.clone())),
                Ok(false) => return out,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    #[test]
    fn input_lines_keep_their_bytes_and_get_a_final_newline() {
        let got: Vec<_> = lines(b"a\r\n\xff\n\nlast", 10)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, [&b"a\r\n"[..], b"\xff\n", b"\n", b"last\n"]);
    }

    #[test]
    fn input_line_at_the_limit_passes_one_byte_more_fails() {
        assert_eq!(lines(b"0123456789\n", 10)[0].as_ref().unwrap().len(), 11);
        assert_eq!(lines(b"0123456789", 10)[0].as_ref().unwrap().len(), 11);
        let err = lines(b"0123456789x\n", 10).pop().unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
