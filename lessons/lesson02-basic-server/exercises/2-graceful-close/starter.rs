//! Exercise 02-2: close without losing the reply.
//!
//! GOAL: when a server closes a socket while bytes the client sent are still
//! unread, the kernel does not send a polite FIN: it sends a reset (RST),
//! and the client may get "connection reset by peer" instead of the reply.
//! Lesson 02's server does exactly that to a request over 1024 bytes.
//! Write `reply_and_close`: send the reply, say "I am done sending" with a
//! half-close, then read and discard whatever the client still sends until
//! it closes its side, but never for longer than `linger` in total.
//!
//! Check your work with `make exercise EX=02-2`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `reply`, shuts down the sending side, then drains the client's
/// remaining bytes until EOF or until `linger` has passed (whichever comes
/// first), and closes. Returns how many bytes were drained and discarded.
///
/// A drain that ends because `linger` ran out is not an error: the reply is
/// sent, and we close anyway. Other read errors are returned.
pub fn reply_and_close(mut stream: TcpStream, reply: &[u8], linger: Duration) -> io::Result<u64> {
    // TODO: send the whole reply (`write_all`).
    // TODO: half-close: `stream.shutdown(std::net::Shutdown::Write)`.
    // TODO: compute a deadline = now + linger; loop: set the read timeout to
    //       the time left, read into a small buffer, count the bytes, stop on
    //       0 (EOF) or when the deadline has passed (a timeout error counts as
    //       "passed"); retry `Interrupted`.
    // TODO: return the count; dropping the stream closes it.
    let _ = (&mut stream, reply, linger);
    todo!("reply, half-close, drain, close")
}
