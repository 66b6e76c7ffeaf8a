//! Lesson 01: a TCP client.
//!
//! Connect to a server, send one message, tell the server we are done
//! sending, read its reply until it closes, print it. The smallest complete
//! conversation TCP can have.
//!
//! # Layout
//!
//! - [`Args`]: the flags (`--host --port --message --timeout`).
//! - [`exchange`]: the whole conversation, writing its report to any `Write`
//!   so tests can read it.
//! - [`read_reply`]: reading to EOF with a size cap and a timeout that says so.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use common::text::{printable, secs};

/// The largest reply we keep. A server that sends more is misbehaving, and
/// a client must not let a peer fill its memory.
pub const MAX_REPLY: u64 = 1024 * 1024;

/// Connect to a TCP server, send one message, print the reply.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Host name or address of the server (every address it resolves to is tried).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port (lesson 02 listens on 8081).
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// What to send.
    #[arg(long, default_value = "hello server")]
    pub message: String,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value = "5", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

/// Runs the client, printing to stdout.
pub fn run(args: &Args) -> Result<()> {
    exchange(args, &mut io::stdout().lock())
}

// ANCHOR: exchange
/// Connects, sends `args.message`, half-closes, reads the reply to EOF, and
/// reports each step to `out`.
pub fn exchange(args: &Args, out: &mut impl Write) -> Result<()> {
    // ANCHOR: connect
    // Every address the name resolves to is tried in turn, each with the timeout.
    let mut stream = common::addr::connect_any(&args.host, args.port, Some(args.timeout))?;
    let peer = stream.peer_addr().context("peer address")?;
    writeln!(out, "connected to {peer}")?;

    // Without these, a server that accepts and then says nothing would keep
    // us waiting forever.
    stream.set_read_timeout(Some(args.timeout))?;
    stream.set_write_timeout(Some(args.timeout))?;
    // ANCHOR_END: connect

    // ANCHOR: send
    // `write_all`, not `write`: one `write` may send only part of the buffer.
    stream
        .write_all(args.message.as_bytes())
        .with_context(|| format!("send to {peer}"))?;
    // Half-close: "I have nothing more to send". The server sees EOF after
    // our message, so it knows where the message ends.
    match stream.shutdown(Shutdown::Write) {
        // ENOTCONN: the server has already reset the connection (lesson 02
        // does that to a message longer than it reads). Its reply may still
        // be waiting for us, and the read below says what went wrong with
        // more detail, so carry on.
        Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
        other => other.with_context(|| format!("shut down sending to {peer}"))?,
    }
    // ANCHOR_END: send

    let reply =
        read_reply(&mut stream, args.timeout).with_context(|| format!("read reply from {peer}"))?;
    writeln!(out, "received: {}", printable(&reply))?;
    Ok(())
}
// ANCHOR_END: exchange

// ANCHOR: read_reply
/// Reads until the server closes the connection, keeping at most
/// [`MAX_REPLY`] bytes. One `read` is not one message: the reply may arrive
/// in several pieces, so we loop until EOF (`read_to_end` does the looping).
///
/// Errors say how much had arrived, because "reset after 12 bytes" and
/// "reset before anything came" point at different bugs on the server side.
pub fn read_reply(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>> {
    let mut reply = Vec::new();
    // `take` stops reading one byte past the cap: enough to know the server
    // sent too much, without letting it fill our memory.
    match stream.take(MAX_REPLY + 1).read_to_end(&mut reply) {
        Ok(_) if reply.len() as u64 > MAX_REPLY => bail!("reply longer than {MAX_REPLY} bytes"),
        Ok(_) => Ok(reply),
        Err(e) if common::line_reader::is_timeout(&e) => bail!(
            "no reply within {} ({} bytes received)",
            secs(timeout),
            reply.len()
        ),
        Err(e) => Err(e).with_context(|| format!("after {} bytes", reply.len())),
    }
}
// ANCHOR_END: read_reply
