//! Exercise 04-2: let the client close first, and TIME_WAIT moves to it (solution).
//!
//! GOAL: make the client close first, so TIME_WAIT lands on the client's
//! address and the server's port stays free to bind again.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Runs one connection on `listener` in which the client closes first.
/// Returns `(server address, client address)` of that connection. The
/// listener is closed when this returns.
pub fn converse(listener: TcpListener) -> io::Result<(SocketAddr, SocketAddr)> {
    let addr = listener.local_addr()?;
    // Former TODO 1 and 2: a client, and the server's end of its connection.
    let client = TcpStream::connect(addr)?;
    let (mut served, peer) = listener.accept()?;
    // Former TODO 3: the client closes first: it sends FIN and will be the
    // side that waits in TIME_WAIT.
    drop(client);
    // Former TODO 4: the server sees the FIN as a read of 0 bytes. Reading
    // it before closing matters: closing with unread data sends a reset
    // instead of a FIN, and a reset leaves no TIME_WAIT at all.
    served.set_read_timeout(Some(Duration::from_secs(3)))?;
    let mut buf = [0u8; 64];
    while served.read(&mut buf)? != 0 {}
    // Former TODO 5: now the server closes (a "passive close": CLOSE_WAIT,
    // LAST_ACK, gone) and nothing of it lingers on the port.
    drop(served);
    drop(listener);
    Ok((addr, peer))
}
