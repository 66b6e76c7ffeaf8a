//! Exercise 04-2: let the client close first, and TIME_WAIT moves to it.
//!
//! GOAL: TIME_WAIT is kept by whichever side closes FIRST. The demo makes the
//! server close first, so the server's port is stuck. Write `converse` so
//! that the CLIENT closes first: connect a client to `listener`, accept it,
//! close the client, let the server read the end of the stream (0 bytes),
//! and only then close the server's end. Afterwards the server's port can be
//! bound again even WITHOUT SO_REUSEADDR, and the TIME_WAIT entry belongs to
//! the client's address.
//!
//! Check your work with `make exercise EX=04-2`.

use std::io;
use std::net::{SocketAddr, TcpListener};

/// Runs one connection on `listener` in which the client closes first.
/// Returns `(server address, client address)` of that connection. The
/// listener is closed when this returns.
pub fn converse(listener: TcpListener) -> io::Result<(SocketAddr, SocketAddr)> {
    // TODO: connect a `TcpStream` to `listener.local_addr()?`.
    // TODO: accept it: `listener.accept()?` gives the server's end and the client's address.
    // TODO: drop the client FIRST.
    // TODO: on the server's end, read until `read` returns 0 (the client's FIN),
    //       with a read timeout so a mistake cannot hang forever.
    // TODO: then drop the server's end and the listener.
    let _ = listener;
    todo!("client closes first")
}
