//! Exercise 01-1: connect by trying every address in turn.
//!
//! GOAL: a host name can resolve to several addresses (`localhost` is often
//! both `::1` and `127.0.0.1`). Write `connect_each`, which tries each
//! address in order, gives each attempt at most `per_attempt`, and returns
//! the first connection that succeeds. When every attempt fails, the error
//! must name every address with its own cause, so the user can see that one
//! was refused and another timed out.
//!
//! Check your work with `make exercise EX=01-1`.

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
    // TODO: refuse an empty list (io::ErrorKind::InvalidInput).
    // TODO: for each address, try `TcpStream::connect_timeout(addr, per_attempt)`;
    //       return the first stream that connects.
    // TODO: remember each failure as "<addr>: <error>" and, when all failed,
    //       return one io::Error whose message joins them with "; ".
    let _ = (addrs, per_attempt);
    todo!("try each address in turn")
}
