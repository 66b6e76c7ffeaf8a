//! Exercise 11-1: provoke EISCONN, "Transport endpoint is already connected".
//!
//! Goal: `connect_twice(addr)` makes ONE socket, connects it to `addr`, then
//! calls `connect()` on the same socket again, and returns the error of that
//! second call. The kernel answers with errno 106 (EISCONN): a TCP socket
//! connects once in its life.
//!
//! std cannot show this: `TcpStream::connect` always makes a new socket. The
//! `socket2` crate gives you the socket itself (`Socket::new`,
//! `Socket::connect`). Check with `make exercise EX=11-1`.

use std::io;
use std::net::SocketAddr;

/// Connects one socket to `addr` twice; returns the second call's error.
/// An error from creating the socket or from the *first* connect is
/// returned as `Err`; a second connect that succeeds is `Err` too.
pub fn connect_twice(addr: SocketAddr) -> io::Result<io::Error> {
    // TODO: create a socket with socket2 (Domain::for_address(addr), Type::STREAM).
    // TODO: connect it to `addr` (use `?`: this one must succeed).
    // TODO: connect it again and return the error that call gives.
    let _ = addr;
    todo!("connect one socket twice")
}
