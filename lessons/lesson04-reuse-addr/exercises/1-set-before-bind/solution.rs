//! Exercise 04-1: set SO_REUSEADDR before bind, and read it back (solution).
//!
//! GOAL: build the listener step by step with `socket2`, reading
//! SO_REUSEADDR before and after setting it, so the option is visible.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// What SO_REUSEADDR read before and after `setsockopt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub before: bool,
    pub after: bool,
}

/// A listener on `addr` with SO_REUSEADDR set before `bind`, and what the
/// option read before and after it was set.
pub fn reusable_listener(addr: SocketAddr) -> io::Result<(TcpListener, Seen)> {
    // Former TODO 1: `socket()` alone; `Domain::for_address` picks IPv4 or
    // IPv6 to match the address.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Former TODO 2: getsockopt, setsockopt, getsockopt. It must happen
    // before `bind`, because `bind` is where the kernel checks the port.
    let before = socket.reuse_address()?;
    socket.set_reuse_address(true)?;
    let after = socket.reuse_address()?;
    // Former TODO 3: bind, then listen: without `listen` the socket could
    // not accept connections.
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    // Former TODO 4: from here on it is an ordinary std listener.
    Ok((socket.into(), Seen { before, after }))
}
