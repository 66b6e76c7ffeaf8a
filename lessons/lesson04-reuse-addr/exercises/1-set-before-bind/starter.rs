//! Exercise 04-1: set SO_REUSEADDR before bind, and read it back.
//!
//! GOAL: `TcpListener::bind` does `socket`, `setsockopt`, `bind` and `listen`
//! all at once, so you never see the option. Build the listener step by step
//! with `socket2`: create the socket, read SO_REUSEADDR (it starts off), set
//! it, read it again, bind, listen, and turn the socket into a std
//! `TcpListener`. A listener made this way can be bound while an old
//! connection on its port is still in TIME_WAIT.
//!
//! Check your work with `make exercise EX=04-1`.

use std::io;
use std::net::{SocketAddr, TcpListener};

/// What SO_REUSEADDR read before and after `setsockopt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub before: bool,
    pub after: bool,
}

/// A listener on `addr` with SO_REUSEADDR set before `bind`, and what the
/// option read before and after it was set.
pub fn reusable_listener(addr: SocketAddr) -> io::Result<(TcpListener, Seen)> {
    // TODO: `socket2::Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))`.
    // TODO: read `reuse_address()`, call `set_reuse_address(true)`, read it again.
    // TODO: `bind(&addr.into())`, then `listen(128)`.
    // TODO: `TcpListener::from(socket)` (or `socket.into()`).
    let _ = addr;
    todo!("build the listener step by step")
}
