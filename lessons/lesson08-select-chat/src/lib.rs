//! Lesson 08: the chat room on one thread.
//!
//! Many clients, one thread, no blocking: the server waits for *readiness*
//! on all its sockets at once (epoll, through the `mio` crate), and only
//! ever does work that cannot block. Every client has a bounded line buffer
//! for what it sends and a bounded write buffer for what it is owed, so a
//! slow, silent or hostile client costs a little memory and never holds up
//! the room.
//!
//! # Layout
//!
//! - [`Args`]: `server` and `client` subcommands.
//! - [`chat`]: the chat core: names, rules and the protocol table as a
//!   state machine that never touches a socket; every engine runs it.
//! - [`protocol`]: what a line means (`NAME:`, `/msg`, `SECRECT`, `/who`, `/quit`) and
//!   which names are allowed; no sockets.
//! - [`outbuf`]: a client's write buffer with its 1 MiB cap.
//! - [`server`]: the readiness loop: accept, read, feed the chat, queue,
//!   flush; with its connection table (`clients.rs`) and the pause after
//!   running out of descriptors (`accept_pause.rs`).
//! - [`slots`]: numbered slots whose numbers are reused, where the server
//!   (and lesson 13's room) keep their clients.
//! - [`console`]: the server's stdin on a thread of its own.
//! - [`limits`]: raising the descriptor limit; keeping descriptors 0–2 open.
//! - [`client`]: the terminal client (stdin and the socket at once).
//!
//! Examples: `naive` (the original `select()` chat translated literally, flaws
//! kept), `poll_chat` (the chat core on a level-triggered `poll(2)` loop),
//! `ten_thousand` (10,000 clients against the server).
//!
//! # The protocol
//!
//! | from | line | effect |
//! |---|---|---|
//! | server, on connect | [`chat::PROMPT`] | how to join, for a user on `nc` |
//! | client, first | `NAME:<name>` | joins (`Welcome <name>`; others get `<name> joined`); `NAME:` alone uses the peer address |
//! | client | `<text>` | everyone else gets `<name>: <text>` |
//! | client | `/msg <to> <text>` | `<to>` gets `[private] <name>: <text>`, or the sender `error: no user named <to>` |
//! | client | `SECRECT <to> <text>` | the original's spelling of `/msg`, never broadcast |
//! | client | `/who` | `online: ann, bob` (sorted, `, ` between names) |
//! | client | `/quit` | leaves; others get `<name> left` |
//! | console | `<text>` / `QUIT` | everyone gets `Server: <text>` / `server shutting down` |

use std::io;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use common::Shutdown;

mod accept_pause;
pub mod chat;
pub mod client;
mod clients;
mod config;
pub mod console;
pub mod limits;
pub mod outbuf;
pub mod protocol;
pub mod server;
pub mod slots;

pub use server::{Config, Summary, serve};

/// A chat server on one thread, and its client.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chat room. Lines typed on stdin go to everyone; QUIT stops it.
    Server(ServerArgs),
    /// Join a chat room: type lines to talk, QUIT or /quit to leave.
    Client(ClientArgs),
}

/// Flags of `server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// Seconds a client may send nothing before it is disconnected.
    #[arg(long, default_value = "300", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
    /// Do not log joins, leaves and messages (the ready line, errors and the
    /// summary are still printed).
    #[arg(long)]
    pub quiet: bool,
}

impl ServerArgs {
    /// The server settings these flags ask for (lesson 13 uses them too).
    pub fn config(&self) -> Config {
        Config {
            idle_timeout: self.idle_timeout,
            quiet: self.quiet,
            ..Config::default()
        }
    }
}

/// Flags of `client`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Server host name or address.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// The name to join with (1–32 characters, no spaces); without it the
    /// server names you after your address.
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds to wait for the connection.
    #[arg(long, default_value = "5", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

// ANCHOR: run
/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Server(a) => {
            // Before any socket exists, so none can become "stdin".
            let fd_limit = limits::prepare_process();
            let listener = common::addr::bind_tcp(&a.host.address, a.port)?;
            let addr = listener.local_addr().context("local address")?;
            common::ready::announce(format_args!("{addr} (descriptor limit {fd_limit})"))
                .context("write ready line")?;
            let shutdown = Shutdown::new();
            shutdown.on_signals()?;
            let config = a.config();
            let s = serve(listener, &shutdown, &config, Some(Box::new(io::stdin())))?;
            common::summaryln!("{s}");
            Ok(())
        }
        Command::Client(a) => client::run(&a),
    }
}
// ANCHOR_END: run
