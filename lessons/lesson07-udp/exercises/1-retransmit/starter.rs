//! Exercise 07-1: retransmission with a timeout.
//!
//! UDP never resends a lost datagram; if you need an answer, *you* resend.
//! Write `request`: send `payload` on the connected `socket`, wait up to
//! `timeout` for a reply, and if none comes, send it again, at most `tries`
//! times in all. Return the reply and the number of the attempt that got it
//! (1 for the first). If every attempt times out, return an error of kind
//! `io::ErrorKind::TimedOut`.
//!
//! Run `make exercise EX=07-1` to check your work.

use std::io;
use std::net::UdpSocket;
use std::time::Duration;

/// Sends `payload` and waits for one reply, retrying up to `tries` times.
pub fn request(
    socket: &UdpSocket,
    payload: &[u8],
    timeout: Duration,
    tries: u32,
) -> io::Result<(Vec<u8>, u32)> {
    // TODO: set a read timeout on the socket (`set_read_timeout`).
    // TODO: for attempt 1..=tries: `send` the payload, then `recv` into a
    //       buffer big enough for any datagram (64 KiB). A reply ends the
    //       loop; a timeout (kind WouldBlock or TimedOut) means: try again.
    // TODO: after the last attempt, return an io::Error of kind TimedOut.
    todo!("send, wait, resend")
}
