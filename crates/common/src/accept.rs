//! Accepting connections without dying on a bad day.
//!
//! `accept()` fails for reasons that say nothing about the listener:
//! a client that reset before we got to it (ECONNABORTED), a signal (EINTR),
//! and, most importantly, running out of file descriptors (EMFILE, ENFILE)
//! or kernel memory (ENOBUFS, ENOMEM). The originals treated every error as
//! fatal, or looped on it at full speed. The pending connection stays in the
//! backlog, so the right answer is: wait a little, let a client finish and
//! free its descriptor, try again.
//!
//! [`connections`] wraps it all, with the shutdown wake-up, in an iterator,
//! so a blocking server's accept loop is one `for` line.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{self, UnixListener, UnixStream};
use std::time::Duration;

use crate::Shutdown;
use crate::shutdown::HookGuard;

/// First pause after running out of resources; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// Longest pause between retries while out of resources.
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// Whether an `accept()` error is temporary: retry instead of giving up.
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) || crate::errors::is_out_of_resources(e)
        || crate::errors::is_protocol_error(e)
}

// ANCHOR: next_connection
/// Calls `accept` until it yields a connection, or returns `Ok(None)` once
/// `shutdown` has been triggered (the wake-up connection, or the error from
/// the shut-down listener, is dropped here).
///
/// Temporary failures are retried; running out of descriptors is reported
/// once on stderr and retried with a growing pause, never spinning. Other
/// errors (a listener that is not listening) are returned.
pub fn next_connection<S>(
    shutdown: &Shutdown,
    mut accept: impl FnMut() -> io::Result<S>,
) -> io::Result<Option<S>> {
    let mut backoff = MIN_BACKOFF;
    let mut reported = false;
    loop {
        if shutdown.is_triggered() {
            return Ok(None);
        }
        match accept() {
            // Shutdown wakes a blocked accept() by connecting (Ok) or by
            // shutting the listener down (an error): both mean "stop".
            _ if shutdown.is_triggered() => return Ok(None),
            Ok(conn) => {
                if reported {
                    crate::errln!("accept: recovered, accepting connections again");
                }
                return Ok(Some(conn));
            }
            Err(e) if !is_transient(&e) => return Err(e),
            Err(e) if crate::errors::is_out_of_resources(&e) => {
                if !reported {
                    crate::errln!("error: accept: {e}; retrying while clients finish");
                    reported = true;
                }
                if shutdown.sleep(backoff) {
                    return Ok(None);
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(_) => continue,
        }
    }
}
// ANCHOR_END: next_connection

// ANCHOR: connections
/// The connections a blocking server serves, one by one, until shutdown:
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let shutdown = common::Shutdown::new();
/// for conn in common::accept::connections(&listener, &shutdown)? {
///     let (stream, peer) = conn?;
///     // serve `stream`
/// }
/// # Ok(())
/// # }
/// ```
///
/// It is `listener.incoming()` with two jobs done for you: the loop ends
/// when `shutdown` is triggered (a blocked `accept` is woken, see
/// [`Shutdown::stop_accepting`]), and running out of descriptors is waited
/// out instead of ending the server (see [`next_connection`]). An error it
/// cannot wait out is yielded once, and then the iteration ends.
pub fn connections<'a, L: Listener>(
    listener: &'a L,
    shutdown: &'a Shutdown,
) -> io::Result<Connections<'a, L>> {
    Ok(Connections {
        _stop: listener.stop_accepting_at(shutdown)?,
        listener,
        shutdown,
        failed: false,
    })
}

/// The iterator [`connections`] returns.
#[derive(Debug)]
pub struct Connections<'a, L> {
    listener: &'a L,
    shutdown: &'a Shutdown,
    /// Keeps the shutdown wake-up registered while the loop runs.
    _stop: HookGuard,
    /// Set after an error is yielded: a broken listener yields it once.
    failed: bool,
}

impl<L: Listener> Iterator for Connections<'_, L> {
    type Item = io::Result<(L::Stream, L::Addr)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match next_connection(self.shutdown, || self.listener.accept()) {
            Ok(conn) => conn.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
// ANCHOR_END: connections

/// A listening socket [`connections`] can accept from: a `TcpListener` or
/// a `UnixListener` (lesson 12). They differ only in their types and in how
/// shutdown wakes them.
pub trait Listener {
    /// The connected socket `accept` returns.
    type Stream;
    /// The peer address `accept` returns.
    type Addr;
    /// One `accept()` call.
    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)>;
    /// Registers the wake-up that ends the accept loop at shutdown.
    fn stop_accepting_at(&self, shutdown: &Shutdown) -> io::Result<HookGuard>;
}

impl Listener for TcpListener {
    type Stream = TcpStream;
    type Addr = SocketAddr;
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self)
    }
    fn stop_accepting_at(&self, shutdown: &Shutdown) -> io::Result<HookGuard> {
        shutdown.stop_accepting(self)
    }
}

impl Listener for UnixListener {
    type Stream = UnixStream;
    type Addr = net::SocketAddr;
    fn accept(&self) -> io::Result<(UnixStream, net::SocketAddr)> {
        UnixListener::accept(self)
    }
    /// No connect-to-self fallback: the socket's path may be gone by then.
    fn stop_accepting_at(&self, shutdown: &Shutdown) -> io::Result<HookGuard> {
        shutdown.stop_accepting_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn retries_exhaustion_then_returns_the_connection() {
        let calls = Cell::new(0);
        let got = next_connection(&Shutdown::new(), || {
            calls.set(calls.get() + 1);
            match calls.get() {
                1 => Err(io::Error::from_raw_os_error(libc::EMFILE)),
                2 => Err(io::Error::from(io::ErrorKind::ConnectionAborted)),
                _ => Ok("conn"),
            }
        });
        assert_eq!(got.unwrap(), Some("conn"));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn fatal_errors_are_returned() {
        let got = next_connection::<()>(&Shutdown::new(), || {
            Err(io::Error::from_raw_os_error(libc::EINVAL))
        });
        assert_eq!(got.unwrap_err().raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn shutdown_stops_the_loop_even_while_exhausted() {
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let calls = Cell::new(0);
        let got = next_connection::<()>(&shutdown, || {
            calls.set(calls.get() + 1);
            if calls.get() == 3 {
                s.trigger();
            }
            Err(io::Error::from_raw_os_error(libc::EMFILE))
        });
        assert_eq!(got.unwrap(), None);
    }

    #[test]
    fn error_after_trigger_means_stop() {
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let got = next_connection::<()>(&shutdown, || {
            s.trigger();
            Err(io::Error::from_raw_os_error(libc::EINVAL))
        });
        assert_eq!(got.unwrap(), None);
    }

    #[test]
    fn connections_yields_each_client_and_ends_at_shutdown() {
        use std::io::{Read, Write};
        use std::thread;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let clients = thread::spawn(move || {
            for byte in [b'a', b'b'] {
                let mut c = TcpStream::connect(addr).unwrap();
                c.write_all(&[byte]).unwrap();
                let _ = c.read(&mut [0u8; 1]); // until the server closes
            }
            s.trigger();
        });
        let mut got = Vec::new();
        for conn in connections(&listener, &shutdown).unwrap() {
            let (mut stream, _peer) = conn.unwrap();
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).unwrap();
            got.push(byte[0]);
        }
        clients.join().unwrap();
        assert_eq!(got, b"ab");
    }

    #[test]
    fn unix_connections_end_at_shutdown_without_a_path() {
        let dir = std::env::temp_dir().join(format!("common-accept-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let shutdown = Shutdown::new();
        let mut conns = connections(&listener, &shutdown).unwrap();
        let _client = UnixStream::connect(&path).unwrap();
        assert!(conns.next().unwrap().is_ok());
        std::fs::remove_dir_all(&dir).unwrap(); // nothing left to connect to
        let s = shutdown.clone();
        let trigger = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s.trigger();
        });
        assert!(conns.next().is_none(), "shutdown ends the iteration");
        trigger.join().unwrap();
    }

    #[test]
    fn connections_yields_a_fatal_error_once() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let shutdown = Shutdown::new();
        let mut conns = connections(&listener, &shutdown).unwrap();
        // A listener that has been shut down fails `accept` with EINVAL:
        // not a temporary failure, and shutdown was not triggered.
        socket2::SockRef::from(&listener)
            .shutdown(std::net::Shutdown::Read)
            .unwrap();
        assert!(conns.next().unwrap().is_err());
        assert!(conns.next().is_none());
    }

    #[test]
    fn connection_accepted_after_trigger_is_dropped() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        assert_eq!(next_connection(&shutdown, || Ok(1)).unwrap(), None);
    }
}
