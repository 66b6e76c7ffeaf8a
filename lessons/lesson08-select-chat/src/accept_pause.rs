//! Accepting: every connection waiting, and what to do on running out of
//! descriptors (pause, then listen again).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::errln;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry};

use crate::server::LISTENER;

/// First pause of the listener after running out of descriptors; doubles up
/// to [`MAX_PAUSE`].
const MIN_PAUSE: Duration = Duration::from_millis(20);
/// Longest pause of the listener while out of descriptors.
const MAX_PAUSE: Duration = Duration::from_millis(500);

impl AcceptPause {
    // ANCHOR: accept
    /// Accepts every pending connection. The listener is edge-triggered:
    /// epoll reports it when its queue goes from empty to not empty, so a
    /// loop that stopped before `WouldBlock` would leave the rest waiting
    /// until the *next* client arrives.
    pub fn accept_all(
        &mut self,
        listener: &mut TcpListener,
        registry: &Registry,
    ) -> Vec<(TcpStream, SocketAddr)> {
        let mut accepted = Vec::new();
        while self.until.is_none() {
            match listener.accept() {
                Ok(conn) => {
                    self.recovered();
                    accepted.push(conn);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if common::accept::is_transient(&e) && !is_exhaustion(&e) => {}
                // Out of descriptors (EMFILE), or worse: stop listening for
                // a moment (the connection waits in the kernel's queue).
                Err(e) => self.pause(listener, registry, &e),
            }
        }
        accepted
    }
    // ANCHOR_END: accept
}

// ANCHOR: accept_pause
/// Whether the listener is paused after running out of descriptors.
///
/// The choice made here: deregister the listener for a short, growing pause
/// and try again, rather than keep a spare descriptor to accept-and-close
/// the extra client. Waiting keeps the connection in the kernel's backlog,
/// so it is served (late) instead of refused; deregistering keeps epoll
/// from reporting a listener we cannot serve.
#[derive(Debug, Default)]
pub struct AcceptPause {
    /// When to listen again; `None` while listening.
    until: Option<Instant>,
    /// The next pause's length.
    backoff: Option<Duration>,
    /// An "out of descriptors" message was printed and no recovery since.
    reported: bool,
}

impl AcceptPause {
    /// When the pause ends, if the listener is paused.
    pub fn until(&self) -> Option<Instant> {
        self.until
    }

    /// Stops listening for a while after `accept` failed with `e`.
    fn pause(&mut self, listener: &mut TcpListener, registry: &Registry, e: &io::Error) {
        let pause = self.backoff.unwrap_or(MIN_PAUSE);
        self.backoff = Some((pause * 2).min(MAX_PAUSE));
        if !self.reported {
            errln!("error: accept: {e}; not accepting for a moment, until clients leave");
            self.reported = true;
        }
        let _ = registry.deregister(listener);
        self.until = Some(Instant::now() + pause);
    }

    /// Listens again if the pause is over; true if it was (the caller then
    /// accepts: connections that waited meanwhile bring no new event).
    pub fn resume_due(
        &mut self,
        now: Instant,
        listener: &mut TcpListener,
        registry: &Registry,
    ) -> bool {
        if self.until.is_none_or(|t| now < t) {
            return false;
        }
        self.until = None;
        if let Err(e) = registry.register(listener, LISTENER, Interest::READABLE) {
            errln!("error: listen again: {e}");
        }
        true
    }

    // ANCHOR_END: accept_pause
    /// An `accept` succeeded.
    fn recovered(&mut self) {
        if self.reported {
            errln!("accept: recovered, accepting connections again");
        }
        self.reported = false;
        self.backoff = None;
    }
}

/// True for "out of descriptors or memory": pause accepting, do not retry now.
fn is_exhaustion(e: &io::Error) -> bool {
    let exhausted = [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
    e.raw_os_error().is_some_and(|n| exhausted.contains(&n))
}
