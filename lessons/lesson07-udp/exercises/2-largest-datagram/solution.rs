//! Exercise 07-2: find the largest datagram the kernel will send (solution).
//!
//! A binary search between a size known to work and one known to fail, with
//! the kernel's EMSGSIZE as the oracle.

use std::io;
use std::net::UdpSocket;

/// `EMSGSIZE` on Linux.
pub const EMSGSIZE: i32 = 90;

/// The largest payload `send` accepts on `socket`, and how many sends it took.
pub fn largest_datagram(socket: &UdpSocket) -> io::Result<(usize, u32)> {
    // Invariant: a datagram of `ok` bytes can be sent, one of `too_big` cannot.
    let mut ok = 0;
    let mut too_big = 70_001;
    let mut sends = 0;
    let buf = vec![0u8; too_big];
    while too_big - ok > 1 {
        let mid = ok + (too_big - ok) / 2;
        sends += 1;
        match socket.send(&buf[..mid]) {
            Ok(_) => ok = mid,
            // The kernel checks the size before anything leaves the machine,
            // so this answer is immediate and certain.
            Err(e) if e.raw_os_error() == Some(EMSGSIZE) => too_big = mid,
            Err(e) => return Err(e),
        }
    }
    Ok((ok, sends))
}
