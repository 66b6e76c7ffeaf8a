//! Lesson 05: a thread per client.
//!
//! Lesson 03 served one client at a time: while one was connected, everyone
//! else waited. Here the accept loop hands each connection to a new thread
//! and goes straight back to `accept()`, so a slow or silent client only
//! holds up its own thread.
//!
//! The service: greet with `Hello client`, echo every line, log it. Past
//! `--max-clients` clients in service, a newcomer is told `server busy, try
//! again later` and closed. SIGINT/SIGTERM stop the accept loop, shut every
//! client socket down, join every thread and print a summary.
//!
//! # Layout
//!
//! - [`Args`]: the flags.
//! - [`connection`]: one client's conversation (greeting, echo, timeouts,
//!   line limit). Lesson 06 uses this module unchanged.
//! - [`slots`]: the counter that caps clients in service, released by a
//!   `Drop` guard even when a handler panics. Lesson 06 uses it too.
//! - [`serve`]: the accept loop, a thread per client, and the joins at the
//!   end. This is the only part lesson 06 replaces.

pub mod connection;
pub mod slots;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use anyhow::{Context, Result};
use clap::Parser;
use common::{Shutdown, errln};

use connection::{ClientConfig, Service, Summary};
use slots::Slots;

/// A thread per client: greet, echo every line, log it.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one). 8081 is the original's port.
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// Most clients served at once; the next one is told the server is busy.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,
    /// `--idle-timeout` and `--quiet`, shared with lesson 06.
    #[command(flatten)]
    pub client: ClientConfig,
}

/// Binds, announces, serves until SIGINT/SIGTERM, prints the summary.
pub fn run(args: Args) -> Result<()> {
    let listener = common::addr::bind_tcp(&args.host.address, args.port)?;
    let addr = listener.local_addr().context("local address")?;
    common::ready::announce(addr).context("write ready line")?;
    let shutdown = Shutdown::new();
    shutdown.on_signals()?;
    let summary = serve(listener, &shutdown, args.client, args.max_clients as usize)?;
    print_summary(&summary);
    Ok(())
}

/// The last line a server prints (lesson 06 prints the same).
pub fn print_summary(summary: &Summary) {
    common::summaryln!(
        "shut down: served {}, turned away {} (busy)",
        common::text::count(summary.served, "client"),
        summary.turned_away
    );
}

// ANCHOR: serve
/// Accepts clients until `shutdown`, serving each on its own thread, at most
/// `max_clients` at once; then joins every thread and returns the counts.
pub fn serve(
    listener: TcpListener,
    shutdown: &Shutdown,
    config: ClientConfig,
    max_clients: usize,
) -> Result<Summary> {
    let service = Arc::new(Service::new(config, shutdown.clone()));
    let slots = Slots::new(max_clients);
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    for conn in common::accept::connections(&listener, shutdown).context("accept")? {
        let (stream, peer) = conn.context("accept")?;
        join_finished(&mut threads);
        let Some(slot) = slots.try_acquire() else {
            service.turn_away(stream, peer);
            continue;
        };
        let Some(client) = service.admit(stream, peer) else {
            continue;
        };
        // The dispatch: a new thread for this client, then straight back to
        // accept(). The thread owns the client, a handle on the service and
        // the slot, which it gives back when it ends (or panics).
        let service = Arc::clone(&service);
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                let _slot = slot;
                service.handle(client);
            });
        match spawned {
            Ok(handle) => threads.push(handle),
            // Out of memory or threads: the closure, and with it the client
            // socket, is dropped, which closes the connection.
            Err(e) => errln!("error: start a thread for {peer}: {e}"),
        }
    }
    // Shutdown has shut every client socket down, so each thread's blocked
    // read returns and the thread ends; wait for all of them.
    for handle in threads {
        join(handle);
    }
    Ok(service.summary())
}
// ANCHOR_END: serve

// ANCHOR: joins
/// Joins the threads that have already finished, so the list holds only
/// live clients and does not grow with every connection ever served.
fn join_finished(threads: &mut Vec<JoinHandle<()>>) {
    for handle in threads.extract_if(.., |t| t.is_finished()) {
        join(handle);
    }
}

/// Joins one client thread. A panic in it is a bug: the panic hook has
/// already printed it, the slot was given back by its guard, and the other
/// clients carry on.
fn join(handle: JoinHandle<()>) {
    if handle.join().is_err() {
        errln!("error: a client thread panicked; the others carry on");
    }
}
// ANCHOR_END: joins
