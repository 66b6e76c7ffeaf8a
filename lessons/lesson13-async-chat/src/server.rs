//! The server: one runtime thread, one task per client, and this accept
//! loop, which also listens to the console and waits for the stop signal.

use std::future::Future;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use common::{Shutdown, errln};
use lesson08_select_chat::console::ConsoleEvent;
use lesson08_select_chat::{Config, Summary};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep};

use crate::console;
use crate::room::{self, Room, Shared};
use crate::session::client_task;

/// First pause after running out of descriptors; doubles up to
/// [`MAX_ACCEPT_PAUSE`].
const MIN_ACCEPT_PAUSE: Duration = Duration::from_millis(20);
/// Longest pause while out of descriptors.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_millis(500);
/// How long shutdown waits for `server shutting down` to reach everyone.
const FINAL_FLUSH: Duration = Duration::from_millis(1000);

// ANCHOR: runtime
/// The runtime: one thread, like lesson 08's loop. Every task runs on it,
/// taking turns at each `.await`; none may block it.
pub fn runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("start the tokio runtime")
}
// ANCHOR_END: runtime

/// Runs the chat on an already bound listener until `shutdown` is triggered
/// or the console says `QUIT`: lesson 08's `serve`, with the same
/// arguments and the same [`Summary`], so the same tests drive both.
pub fn serve(
    listener: std::net::TcpListener,
    shutdown: &Shutdown,
    config: &Config,
    console: Option<Box<dyn Read + Send>>,
) -> Result<Summary> {
    let stop = Arc::new(Notify::new());
    // `notify_one` keeps a permit if nobody waits yet: a trigger that comes
    // before the loop starts waiting is not lost.
    let _hook = shutdown.on_trigger({
        let stop = Arc::clone(&stop);
        move || stop.notify_one()
    });
    runtime()?.block_on(serve_until(
        listener,
        async move { stop.notified().await },
        config,
        console,
    ))
}

// ANCHOR: serve_until
/// The accept loop: new connections become tasks; console lines go to the
/// room; `stop` ends it. Then everyone is told, and given a moment.
pub async fn serve_until(
    listener: std::net::TcpListener,
    stop: impl Future<Output = ()>,
    config: &Config,
    console: Option<Box<dyn Read + Send>>,
) -> Result<Summary> {
    listener
        .set_nonblocking(true)
        .context("set listener non-blocking")?;
    let listener = TcpListener::from_std(listener).context("register listener")?;
    let room = Room::new(config.clone());
    tokio::spawn(room::flusher(Arc::clone(&room)));
    let mut console = console.map(console::spawn).transpose()?;
    let mut backoff = Backoff::default();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            (stream, peer) = accept(&listener, &mut backoff) => {
                tokio::spawn(client_task(stream, peer, Arc::clone(&room), config.clone()));
            }
            Some(event) = next_line(&mut console) => {
                if !console_event(&room, event, &mut console) {
                    break; // QUIT
                }
            }
        }
    }
    room::lock(&room).goodbye_all();
    let deadline = Instant::now() + FINAL_FLUSH;
    while room::lock(&room).open() > 0 && Instant::now() < deadline {
        sleep(Duration::from_millis(10)).await;
    }
    let summary = room::lock(&room).summary();
    Ok(summary)
}
// ANCHOR_END: serve_until

/// The next console event, or never once the console is closed (a `select!`
/// branch that never completes is simply never taken).
async fn next_line(console: &mut Option<mpsc::Receiver<ConsoleEvent>>) -> Option<ConsoleEvent> {
    match console {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Handles one console event; false on `QUIT`.
fn console_event(
    room: &Shared,
    event: ConsoleEvent,
    console: &mut Option<mpsc::Receiver<ConsoleEvent>>,
) -> bool {
    match event {
        ConsoleEvent::Line(line) => {
            let mut room = room::lock(room);
            room.console(&line);
            !room.stopped()
        }
        ConsoleEvent::Closed(error) => {
            if let Some(e) = error {
                errln!("console: {e}; console input ignored from now on");
            }
            *console = None;
            true
        }
    }
}

// ANCHOR: accept
/// The next connection. Transient failures are retried at once; running out
/// of descriptors (EMFILE) pauses, doubling up to half a second, and is
/// reported once: the connection waits in the kernel's backlog until a
/// client leaves, and the loop never spins. Safe to cancel: the only state
/// is `backoff`, owned by the caller.
async fn accept(listener: &TcpListener, backoff: &mut Backoff) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(conn) => {
                backoff.recovered();
                return conn;
            }
            Err(e) if common::accept::is_transient(&e) && !is_exhaustion(&e) => {}
            Err(e) => sleep(backoff.pause(&e)).await,
        }
    }
}
// ANCHOR_END: accept

/// True for "out of descriptors or memory": pause, do not retry now.
fn is_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12)) // EMFILE ENFILE ENOBUFS ENOMEM
}

/// The accept pause after running out of descriptors, and whether it was
/// reported.
#[derive(Debug, Default)]
struct Backoff {
    next: Option<Duration>,
    reported: bool,
}

impl Backoff {
    /// Reports `e` (once) and returns how long to wait.
    fn pause(&mut self, e: &io::Error) -> Duration {
        let pause = self.next.unwrap_or(MIN_ACCEPT_PAUSE);
        self.next = Some((pause * 2).min(MAX_ACCEPT_PAUSE));
        if !self.reported {
            errln!("error: accept: {e}; not accepting for a moment, until clients leave");
            self.reported = true;
        }
        pause
    }

    fn recovered(&mut self) {
        if self.reported {
            errln!("accept: recovered, accepting connections again");
        }
        *self = Backoff::default();
    }
}
