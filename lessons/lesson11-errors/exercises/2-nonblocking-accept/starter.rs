//! Exercise 11-2: EAGAIN from a non-blocking `accept()`.
//!
//! Goal: `accept_now(listener)` asks for a connection *without waiting*. On
//! a listener in non-blocking mode, `accept()` with nobody in the queue
//! fails at once with EAGAIN (errno 11), which Rust calls
//! `io::ErrorKind::WouldBlock`. That is not a failure: it means "nothing yet".
//!
//! Return `Ok(Some(stream))` when a client was waiting, `Ok(None)` when the
//! queue was empty, and `Err` for any real error. The accepted stream must be
//! in ordinary blocking mode. Check with `make exercise EX=11-2`.

use std::io;
use std::net::{TcpListener, TcpStream};

/// Accepts a pending connection if there is one, without blocking.
pub fn accept_now(listener: &TcpListener) -> io::Result<Option<TcpStream>> {
    // TODO: put the listener in non-blocking mode.
    // TODO: call accept(); turn WouldBlock into Ok(None), pass other errors on.
    // TODO: make sure the accepted stream itself blocks as usual.
    let _ = listener;
    todo!("a non-blocking accept")
}
