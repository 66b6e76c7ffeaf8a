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
//! - [`copy_reply`]: reading to EOF, printing as the bytes arrive (so memory
//!   stays bounded whatever the reply's size), with a timeout that says so.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use common::errors::is_timeout;
use common::text::{printable, secs};

/// How much of the reply is held at once: it is printed as it arrives, so
/// a server that sends gigabytes costs this much memory, not gigabytes.
const READ_BUF: usize = 8 * 1024;

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

    copy_reply(&mut stream, out, args.timeout)
        .with_context(|| format!("read reply from {peer}"))?;
    Ok(())
}
// ANCHOR_END: exchange

// ANCHOR: read_reply
/// Reads until the server closes the connection, printing the reply to `out`
/// as `received: <reply>` while it arrives. One `read` is not one message:
/// the reply may come in several pieces, so we loop until EOF. Nothing is
/// kept, so memory stays at one buffer however much the server sends.
///
/// Errors say how much had arrived, because "reset after 12 bytes" and
/// "reset before anything came" point at different bugs on the server side.
/// Returns the number of bytes received.
pub fn copy_reply(stream: &mut TcpStream, out: &mut impl Write, timeout: Duration) -> Result<u64> {
    let mut buf = vec![0u8; READ_BUF];
    // The first bytes of a character that the next read will complete.
    let mut split = Vec::new();
    let mut received = 0u64;
    let ended = loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break Ok(()), // EOF: the server has finished
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        };
        if received == 0 {
            write!(out, "received: ").context("write output")?;
        }
        received += n as u64;
        split.extend_from_slice(&buf[..n]);
        let whole = complete_chars(&split);
        write!(out, "{}", printable(&split[..whole])).context("write output")?;
        split.drain(..whole);
    };
    match (&ended, received) {
        (Err(_), 0) => {} // nothing came: no `received:` line at all
        (Ok(()), 0) => writeln!(out, "received: ").context("write output")?,
        // A character cut short by the end shows as U+FFFD.
        _ => writeln!(out, "{}", printable(&split)).context("write output")?,
    }
    match ended {
        Ok(()) => Ok(received),
        Err(e) if is_timeout(&e) => bail!(
            "no reply within {} ({received} bytes received)",
            secs(timeout)
        ),
        Err(e) => Err(e).with_context(|| format!("after {received} bytes")),
    }
}
// ANCHOR_END: read_reply

/// How many leading bytes of `bytes` end on a character boundary: all of
/// them, unless the last one to three bytes start a UTF-8 character whose
/// rest has not arrived yet. Printing those alone would show U+FFFD for a
/// character that is merely split between two reads.
fn complete_chars(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0xC0 != 0x80 {
            // The lead byte of the last character: how long should it be?
            let len = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if len > back {
                bytes.len() - back
            } else {
                bytes.len()
            };
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_between_reads_is_held_back() {
        let ni = "你".as_bytes(); // three bytes
        assert_eq!(complete_chars(b"abc"), 3);
        assert_eq!(complete_chars(&ni[..1]), 0);
        assert_eq!(complete_chars(&[b"ab", &ni[..2]].concat()), 2);
        assert_eq!(complete_chars(&[b"ab", ni].concat()), 5);
        // Bytes that can never become a character are not held back.
        assert_eq!(complete_chars(b"a\x80\x80\x80"), 4);
        assert_eq!(complete_chars(b"a\xff"), 2);
    }
}
