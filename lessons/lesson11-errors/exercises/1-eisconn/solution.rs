//! Exercise 11-1, solved: provoke EISCONN by connecting one socket twice.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Socket, Type};

/// Connects one socket to `addr` twice; returns the second call's error.
/// An error from creating the socket or from the *first* connect is
/// returned as `Err`; a second connect that succeeds is `Err` too.
pub fn connect_twice(addr: SocketAddr) -> io::Result<io::Error> {
    // The socket itself, not yet connected: std never hands one out.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // The first connect must work; `?` passes its error on.
    socket.connect(&addr.into())?;
    // The second one is refused by the kernel with EISCONN (106): a TCP
    // socket has one peer for life. Success would mean we learned nothing.
    match socket.connect(&addr.into()) {
        Err(e) => Ok(e),
        Ok(()) => Err(io::Error::other("the second connect succeeded")),
    }
}
