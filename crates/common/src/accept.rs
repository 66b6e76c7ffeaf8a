//! Accepting connections without dying on a bad day.
//!
//! `accept()` fails for reasons that say nothing about the listener:
//! a client that reset before we got to it (ECONNABORTED), a signal (EINTR),
//! and, most importantly, running out of file descriptors (EMFILE, ENFILE)
//! or kernel memory (ENOBUFS, ENOMEM). The originals treated every error as
//! fatal, or looped on it at full speed. The pending connection stays in the
//! backlog, so the right answer is: wait a little, let a client finish and
//! free its descriptor, try again.

use std::io;
use std::time::Duration;

use crate::Shutdown;

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
                1 => Err(io::Error::from_raw_os_error(24)),
                2 => Err(io::Error::from(io::ErrorKind::ConnectionAborted)),
                _ => Ok("conn"),
            }
        });
        assert_eq!(got.unwrap(), Some("conn"));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn fatal_errors_are_returned() {
        let got = next_connection::<()>(&Shutdown::new(), || Err(io::Error::from_raw_os_error(22)));
        assert_eq!(got.unwrap_err().raw_os_error(), Some(22));
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
            Err(io::Error::from_raw_os_error(24))
        });
        assert_eq!(got.unwrap(), None);
    }

    #[test]
    fn error_after_trigger_means_stop() {
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let got = next_connection::<()>(&shutdown, || {
            s.trigger();
            Err(io::Error::from_raw_os_error(22))
        });
        assert_eq!(got.unwrap(), None);
    }

    #[test]
    fn connection_accepted_after_trigger_is_dropped() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        assert_eq!(next_connection(&shutdown, || Ok(1)).unwrap(), None);
    }
}
