//! Exercise 02-2: close without losing the reply (solution).
//!
//! GOAL: when a server closes a socket while bytes the client sent are still
//! unread, the kernel does not send a polite FIN: it sends a reset (RST),
//! and the client may get "connection reset by peer" instead of the reply.
//! `reply_and_close` sends the reply, half-closes, then reads and discards
//! whatever the client still sends until it closes its side, but never for
//! longer than `linger` in total.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends `reply`, shuts down the sending side, then drains the client's
/// remaining bytes until EOF or until `linger` has passed (whichever comes
/// first), and closes. Returns how many bytes were drained and discarded.
///
/// A drain that ends because `linger` ran out is not an error: the reply is
/// sent, and we close anyway. Other read errors are returned.
pub fn reply_and_close(mut stream: TcpStream, reply: &[u8], linger: Duration) -> io::Result<u64> {
    // Former TODO 1: the whole reply, not what one `write` happens to take.
    stream.write_all(reply)?;
    // Former TODO 2: our FIN goes out after the reply; the client's read
    // to EOF can now finish even while it is still sending.
    stream.shutdown(std::net::Shutdown::Write)?;
    // Former TODO 3: one deadline for the whole drain. A timeout per read
    // would let a client that trickles a byte every second keep us forever.
    let deadline = Instant::now() + linger;
    let mut buf = [0u8; 4096];
    let mut drained = 0u64;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => drained += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(e),
        }
    }
    // Former TODO 4: the receive queue is empty (or we gave up), so this
    // close sends a FIN-terminated conversation, not a reset.
    Ok(drained)
}
