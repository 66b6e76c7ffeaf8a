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
//! - the client: stdin lines out, echoed lines back, with a timeout.

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use common::{Shutdown, outln};

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
            let listener = common::addr::bind_tcp(&a.host.host, a.port)?;
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
            outln!(
                "shut down: served {} clients, echoed {} bytes",
                summary.clients,
                summary.bytes
            );
            Ok(())
        }
        Command::Client(a) => client(&a),
    }
}

// ANCHOR: echo
/// Writes back everything read from `stream` until the peer closes; returns
/// how many bytes were echoed.
///
/// Nothing here knows about lines: TCP delivers a byte stream, so we echo
/// whatever each `read` returns, in pieces of any size. `write_all` loops
/// until the whole piece is sent; a bare `write` may send only part of it.
pub fn echo<S: Read + Write>(mut stream: S) -> io::Result<u64> {
    let mut buf = [0u8; 16 * 1024];
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
    let _wake = shutdown.wake_accept(listener.local_addr()?);
    let mut summary = Summary::default();
    while let Some((stream, peer)) =
        common::accept::next_connection(shutdown, || listener.accept()).context("accept")?
    {
        outln!("client {peer} connected");
        // A silent client, or one that stops reading our replies, is
        // dropped after the idle timeout instead of holding the server.
        let setup = stream
            .set_read_timeout(Some(config.idle_timeout))
            .and_then(|()| stream.set_write_timeout(Some(config.idle_timeout)))
            .and_then(|()| shutdown.track(&stream));
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

/// The interactive client (written in the lesson 01–03 work).
fn client(args: &ClientArgs) -> Result<()> {
    let _ = args;
    anyhow::bail!("the client is not written yet")
}
