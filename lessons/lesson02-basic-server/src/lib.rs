//! Lesson 02: a TCP server.
//!
//! Bind an address, listen, and serve clients one at a time: take one
//! request, print it, send a fixed reply, close. This is lesson 01's
//! partner, and the shape of every server that follows.
//!
//! It keeps one flaw of the original on purpose: the request is whatever a
//! *single* `read` into a 1024-byte buffer returns. TCP has no message
//! boundaries, so a longer request is cut at 1024 bytes and a request that
//! arrives in two pieces is cut after the first. The book chapter shows both
//! happening; exercise 02-1 fixes it, and lesson 03 does it properly.
//!
//! Everything else is upgraded: the server binds `127.0.0.1` unless told
//! otherwise, prints peer bytes safely, sends the whole reply with
//! `write_all`, times out a silent client instead of waiting for it
//! forever, and stops cleanly on Ctrl-C or SIGTERM.
//!
//! # Layout
//!
//! - [`Args`]: the flags (`--host --port --reply --idle-timeout`).
//! - [`run`]: bind, print the ready line, install the signal handler, serve.
//! - [`serve`]: the accept loop, one client at a time, on an already bound
//!   listener (tests drive it on `127.0.0.1:0`).
//! - [`handle`]: one client: the single read, the reply, the close.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use common::text::{printable, secs};
use common::{Shutdown, outln};

/// The size of the one buffer a request is read into, as in the original.
/// A request longer than this is cut: see the crate documentation.
pub const REQUEST_BUF: usize = 1024;

/// A TCP server that reads one request per client and sends a fixed reply.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// What every client is sent back.
    #[arg(long, default_value = "Hello client")]
    pub reply: String,
    /// Seconds a client may stay silent before it is disconnected. Clients
    /// are served one at a time, so a client that connects and says nothing
    /// keeps everyone else waiting for this long.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
}

/// Server settings, separate from [`Args`] so tests can build them directly.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// See [`Args::reply`].
    pub reply: String,
    /// See [`Args::idle_timeout`].
    pub idle_timeout: Duration,
}

/// What the server did before it stopped, for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Connections accepted (whatever became of them).
    pub clients: u64,
    /// Clients that were sent the whole reply.
    pub replied: u64,
}

/// How one client's visit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A request (possibly empty) was read and the whole reply sent.
    Replied,
    /// The client said nothing within the idle timeout.
    Idle,
    /// Shutdown began while the client was being served.
    ShutDown,
    /// A read or write failed (a reset, a client that stopped reading, ...).
    Failed(String),
}

/// Binds, announces, and serves until SIGINT or SIGTERM.
pub fn run(args: Args) -> Result<()> {
    let listener = common::addr::bind_tcp(&args.host.address, args.port)?;
    let addr = listener.local_addr().context("local address")?;
    common::ready::announce(addr).context("write ready line")?;
    let shutdown = Shutdown::new();
    shutdown.on_signals()?;
    let config = ServerConfig {
        reply: args.reply,
        idle_timeout: args.idle_timeout,
    };
    let summary = serve(listener, &shutdown, &config)?;
    common::summaryln!(
        "shut down: served {}, replied to {}",
        common::text::count(summary.clients, "client"),
        summary.replied
    );
    Ok(())
}

// ANCHOR: serve
/// Serves clients one at a time until `shutdown` is triggered.
///
/// `accept` hands us the next connection the kernel has completed; the ones
/// behind it wait in the listen queue until we come back here.
pub fn serve(listener: TcpListener, shutdown: &Shutdown, config: &ServerConfig) -> Result<Summary> {
    let mut summary = Summary::default();
    // Ends when `shutdown` is triggered: it shuts the listening socket down,
    // which wakes a blocked `accept`.
    for conn in common::accept::connections(&listener, shutdown).context("accept")? {
        let (stream, peer) = conn.context("accept")?;
        summary.clients += 1;
        outln!("welcome from {peer}");
        match handle(&stream, peer, shutdown, config) {
            Outcome::Replied => summary.replied += 1,
            Outcome::Idle => outln!(
                "client {peer} sent nothing for {}, disconnecting",
                secs(config.idle_timeout)
            ),
            Outcome::ShutDown => {}
            Outcome::Failed(why) => outln!("client {peer}: error: {why}"),
        }
        // `stream` is dropped here: the connection is closed.
    }
    Ok(summary)
}
// ANCHOR_END: serve

// ANCHOR: handle
/// Serves one client: one read, one reply.
pub fn handle(
    stream: &TcpStream,
    peer: SocketAddr,
    shutdown: &Shutdown,
    config: &ServerConfig,
) -> Outcome {
    // A client that says nothing must not hold the server forever, and
    // Ctrl-C must be able to interrupt the wait (`stop_serving` shuts the socket
    // down at shutdown, so the read below returns at once).
    let guard = stream
        .set_read_timeout(Some(config.idle_timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.idle_timeout)))
        .and_then(|()| shutdown.stop_serving(stream));
    let _closed_at_shutdown = match guard {
        Ok(guard) => guard,
        Err(e) => return Outcome::Failed(format!("set up connection: {e}")),
    };

    let request = match read_request(stream) {
        Ok(_) if shutdown.is_triggered() => return Outcome::ShutDown,
        Ok(request) => request,
        Err(e) if common::line_reader::is_timeout(&e) => return Outcome::Idle,
        Err(e) => return Outcome::Failed(format!("read request: {e}")),
    };
    if request.is_empty() {
        // EOF before any byte: the client closed (or half-closed) its
        // sending side. A half-closed client still waits for the reply.
        outln!("received nothing from {peer} (it closed its sending side)");
    } else {
        outln!("received: {}", printable(strip_newline(&request)));
    }

    // `write_all`, not `write`: one `write` may send only part of the reply.
    let mut stream = stream;
    match stream.write_all(config.reply.as_bytes()) {
        Ok(()) => Outcome::Replied,
        Err(e) => Outcome::Failed(format!("send reply: {e}")),
    }
}
// ANCHOR_END: handle

// ANCHOR: read_request
/// Reads "the request": whatever ONE `read` returns, at most [`REQUEST_BUF`]
/// bytes. This is the original's `recv(1024)`, and it is wrong in general:
/// TCP delivers a byte stream, so one read may return part of what the
/// client sent (a longer or a slower request is cut short), and the rest
/// is never read. It is kept so the chapter can show the failure.
pub fn read_request(mut stream: &TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; REQUEST_BUF];
    loop {
        match stream.read(&mut buf) {
            // 0 means EOF: the client sent nothing and closed its side.
            Ok(n) => return Ok(buf[..n].to_vec()),
            // A signal interrupted the wait; nothing was read, try again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: read_request

/// Drops one trailing `\n` (or `\r\n`) for display: a request typed into
/// `nc` ends with a newline that would otherwise be printed as `\n`.
fn strip_newline(bytes: &[u8]) -> &[u8] {
    match bytes.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_newline_removes_one_line_ending_only() {
        assert_eq!(strip_newline(b"hi\r\n"), b"hi");
        assert_eq!(strip_newline(b"hi\n\n"), b"hi\n");
        assert_eq!(strip_newline(b"hi"), b"hi");
        assert_eq!(strip_newline(b"\r"), b"\r");
    }
}
