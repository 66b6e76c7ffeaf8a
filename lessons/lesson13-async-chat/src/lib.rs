//! Lesson 13: lesson 08's chat room on tokio.
//!
//! The same chat core (`lesson08_select_chat::chat`), the same command line
//! and the same output, on another engine: an async runtime on one thread,
//! one task per client. Each task reads its socket with ordinary sequential
//! code; the runtime's readiness loop (epoll, through mio, as in lesson 08)
//! is hidden behind `.await`.
//!
//! # Layout
//!
//! - [`Args`]: `server` and `client`, lesson 08's flags.
//! - [`server`]: the runtime, the accept loop, shutdown.
//! - [`session`]: one client's task: `select!` over its socket, its outbox
//!   and its idle timer.
//! - [`room`]: the chat core and one bounded outbox per client.
//! - [`console`]: the server's stdin on a thread of its own.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use lesson08_select_chat::{ClientArgs, ServerArgs, limits};
use tokio::signal::unix::{SignalKind, signal};

pub mod console;
pub mod room;
pub mod server;
pub mod session;

pub use lesson08_select_chat::{Config, Summary};
pub use server::serve;

/// A chat server on tokio (one thread, a task per client), and its client.
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

// ANCHOR: run
/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    let a = match args.command {
        Command::Server(a) => a,
        // The client is lesson 08's: the protocol has not changed.
        Command::Client(a) => return lesson08_select_chat::client::run(&a),
    };
    // As lesson 08: stdio guarded, the descriptor limit raised.
    let fd_limit = limits::prepare_process();
    let listener = common::addr::bind_tcp(&a.host.address, a.port)?;
    let addr = listener.local_addr().context("local address")?;
    let config = a.config();
    let s = server::runtime()?.block_on(async {
        // Signal handlers first, so a signal right after the ready line is
        // a clean stop, not the default "terminate at once".
        let mut int = signal(SignalKind::interrupt()).context("install SIGINT handler")?;
        let mut term = signal(SignalKind::terminate()).context("install SIGTERM handler")?;
        let stop = async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        };
        common::ready::announce(format_args!("{addr} (descriptor limit {fd_limit})"))
            .context("write ready line")?;
        let stdin = Box::new(std::io::stdin());
        server::serve_until(listener, stop, &config, Some(stdin)).await
    })?;
    common::summaryln!("{s}");
    Ok(())
}
// ANCHOR_END: run
