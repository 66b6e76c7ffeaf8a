//! Exercise 07-1: retransmission with a timeout (solution).
//!
//! UDP never resends a lost datagram; if you need an answer, *you* resend.
//! `request` sends `payload` on the connected `socket`, waits up to `timeout`
//! for a reply, and resends it, at most `tries` times in all.

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
    // The read timeout is what turns "wait forever" into "wait, then resend".
    socket.set_read_timeout(Some(timeout))?;
    // 64 KiB holds any datagram; a smaller buffer would truncate big replies.
    let mut buf = vec![0u8; 65_536];
    for attempt in 1..=tries {
        socket.send(payload)?;
        match socket.recv(&mut buf) {
            Ok(n) => return Ok((buf[..n].to_vec(), attempt)),
            // Linux reports an expired SO_RCVTIMEO as WouldBlock, others as
            // TimedOut: both mean "nothing came, send it again".
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
    // A real protocol would also double the timeout after each failure
    // (exponential back-off) and accept only the reply to its own request.
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no reply after {tries} tries"),
    ))
}
