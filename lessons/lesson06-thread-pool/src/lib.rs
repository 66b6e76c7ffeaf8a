//! Lesson 06: the lesson 05 service on a fixed pool of worker threads.
//!
//! A thread per client (lesson 05) starts and ends a thread for every
//! connection and lets the number of threads follow the number of clients.
//! A pool starts `--workers` threads once; the accept loop puts each client
//! in a queue of jobs, and a free worker takes the next one. A queued client
//! is greeted when a worker takes it. The queue is bounded (`--queue`): with
//! every worker busy and the queue full, a newcomer is told `server busy, try
//! again later` at once and closed, instead of waiting an unknown time.
//!
//! What a client is served with is lesson 05's [`connection`] module,
//! unchanged; only the dispatch differs, and it is the only code here.
//!
//! # Layout
//!
//! - [`Args`]: the flags (`--workers`, `--queue`, and lesson 05's).
//! - [`serve`]: builds the `threadpool` pool, runs [`accept_loop`], joins.
//! - [`accept_loop`]: accepts clients and hands each one as a job to any
//!   `dispatch` function, so a pool of your own (exercise 06-1) can run
//!   the same server.
//!
//! [`connection`]: lesson05_threaded::connection

use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use common::Shutdown;
use common::text::count;
use lesson05_threaded::connection::{ClientConfig, Service, Summary};
use lesson05_threaded::slots::Slots;
use threadpool::ThreadPool;

/// A fixed pool of workers with a bounded queue: greet, echo every line, log it.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one). 8081 is the original's port.
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: Option<u32>,
    /// Clients that may wait for a free worker; the next one is told the
    /// server is busy.
    #[arg(long, default_value_t = 64)]
    pub queue: u32,
    /// `--idle-timeout` and `--quiet`: lesson 05's flags, declared there.
    #[command(flatten)]
    pub client: ClientConfig,
}

/// How big the pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSize {
    /// Threads serving clients; each serves one client at a time.
    pub workers: usize,
    /// Clients accepted and waiting for a worker.
    pub queue: usize,
}

impl PoolSize {
    /// Clients the server holds at once: being served plus waiting.
    pub fn capacity(&self) -> usize {
        self.workers + self.queue
    }
}

/// One client's whole service, as the pool runs it.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Binds, announces, serves until SIGINT/SIGTERM, prints the summary.
pub fn run(args: Args) -> Result<()> {
    let workers = match args.workers {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
    };
    let size = PoolSize {
        workers,
        queue: args.queue as usize,
    };
    let listener = common::addr::bind_tcp(&args.host.address, args.port)?;
    let addr = listener.local_addr().context("local address")?;
    common::ready::announce(addr).context("write ready line")?;
    common::outln!(
        "{}, room for {}",
        count(size.workers as u64, "worker"),
        count(size.queue as u64, "waiting client")
    );
    let shutdown = Shutdown::new();
    shutdown.on_signals()?;
    let summary = serve(listener, &shutdown, args.client, size)?;
    lesson05_threaded::print_summary(&summary);
    Ok(())
}

// ANCHOR: serve
/// Serves clients on `size.workers` threads until `shutdown`, then waits for
/// every job (running or queued) to finish and returns the counts.
pub fn serve(
    listener: TcpListener,
    shutdown: &Shutdown,
    config: ClientConfig,
    size: PoolSize,
) -> Result<Summary> {
    let pool = ThreadPool::with_name("worker".to_string(), size.workers);
    let service = accept_loop(listener, shutdown, config, size.capacity(), |job| {
        pool.execute(job)
    })?;
    // Shutdown has shut every client socket down: running jobs see EOF,
    // queued jobs see the flag and return at once. `join` waits for both.
    // (Dropping a `threadpool::ThreadPool` would *not* wait.)
    pool.join();
    Ok(service.summary())
}
// ANCHOR_END: serve

// ANCHOR: accept_loop
/// Accepts clients until `shutdown`, holding at most `capacity` at once
/// (served or queued), and passes each one to `dispatch` as a [`Job`].
///
/// Returns the service, whose counters are final once every dispatched job
/// has finished.
pub fn accept_loop(
    listener: TcpListener,
    shutdown: &Shutdown,
    config: ClientConfig,
    capacity: usize,
    mut dispatch: impl FnMut(Job),
) -> Result<Arc<Service>> {
    let service = Arc::new(Service::new(config, shutdown.clone()));
    let slots = Slots::new(capacity);
    for conn in common::accept::connections(&listener, shutdown).context("accept")? {
        let (stream, peer) = conn.context("accept")?;
        // The slot is taken here, in the accept loop, so it counts the
        // clients waiting in the queue as well as those being served.
        let Some(slot) = slots.try_acquire() else {
            service.turn_away(stream, peer);
            continue;
        };
        let Some(client) = service.admit(stream, peer) else {
            continue;
        };
        // The dispatch: a job into the pool's queue, then straight back to
        // accept(). A worker runs it when it is free; the slot is given back
        // when the job ends (or panics).
        let service = Arc::clone(&service);
        let shutdown = shutdown.clone();
        dispatch(Box::new(move || {
            let _slot = slot;
            // A client still queued when the server stops is only closed
            // (by dropping it here), not greeted: nobody would serve it.
            if !shutdown.is_triggered() {
                service.handle(client);
            }
        }));
    }
    Ok(service)
}
// ANCHOR_END: accept_loop
