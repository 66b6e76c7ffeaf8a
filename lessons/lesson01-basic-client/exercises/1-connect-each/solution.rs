//! Exercise 01-1: connect by trying every address in turn (solution).
//!
//! GOAL: a host name can resolve to several addresses (`localhost` is often
//! both `::1` and `127.0.0.1`). `connect_each` tries each address in order,
//! gives each attempt at most `per_attempt`, and returns the first
//! connection that succeeds; when all fail, the error names every address
//! with its own cause.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Connects to the first address in `addrs` that accepts within `per_attempt`.
///
/// Errors:
/// - `addrs` is empty: an error of kind `InvalidInput`;
/// - every attempt failed: one error whose message lists each address and
///   why it failed, e.g. `127.0.0.1:9: Connection refused; [::1]:9: timed out`.
pub fn connect_each(addrs: &[SocketAddr], per_attempt: Duration) -> io::Result<TcpStream> {
    // Former TODO 1: with no address there is nothing to try, and saying
    // "all 0 attempts failed" would hide the real problem (the lookup).
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no addresses to connect to",
        ));
    }
    let mut failures = Vec::with_capacity(addrs.len());
    for addr in addrs {
        // Former TODO 2: `connect_timeout` bounds the handshake; a plain
        // `connect` to an address that drops our SYNs waits for minutes
        // before the kernel gives up, and the next address never gets a turn.
        match TcpStream::connect_timeout(addr, per_attempt) {
            Ok(stream) => return Ok(stream),
            // Former TODO 3: keep every cause; the last one alone would
            // say "refused" when the interesting failure was a timeout.
            Err(e) => failures.push(format!("{addr}: {e}")),
        }
    }
    // No single ErrorKind fits several different failures; the message
    // carries every cause.
    Err(io::Error::other(failures.join("; ")))
}
