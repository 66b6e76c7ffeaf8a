//! Exercise 11-2, solved: EAGAIN from a non-blocking `accept()` means
//! "nobody is waiting yet".

use std::io;
use std::net::{TcpListener, TcpStream};

/// Accepts a pending connection if there is one, without blocking.
pub fn accept_now(listener: &TcpListener) -> io::Result<Option<TcpStream>> {
    // O_NONBLOCK on the listener: accept() returns at once instead of sleeping.
    listener.set_nonblocking(true)?;
    match listener.accept() {
        Ok((stream, _peer)) => {
            // Linux does not pass O_NONBLOCK on to accepted sockets, but other
            // systems do; say what we want instead of relying on either.
            stream.set_nonblocking(false)?;
            Ok(Some(stream))
        }
        // EAGAIN (11): the queue is empty. Not an error for this caller.
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}
