//! Exercise 07-2: find the largest datagram the kernel will send.
//!
//! One UDP datagram carries at most 65,507 bytes of payload over IPv4
//! (65,527 over IPv6). Find that number by experiment: `largest_datagram`
//! takes a *connected* UDP socket and returns the largest payload size that
//! `send` accepts. A size that is too big fails with EMSGSIZE (os error 90,
//! "Message too long"). Search between 0 and 70,000 with a binary search:
//! no more than about 20 sends.
//!
//! Run `make exercise EX=07-2` to check your work.

use std::io;
use std::net::UdpSocket;

/// `EMSGSIZE` on Linux.
pub const EMSGSIZE: i32 = 90;

/// The largest payload `send` accepts on `socket`, and how many sends it took.
pub fn largest_datagram(socket: &UdpSocket) -> io::Result<(usize, u32)> {
    // TODO: keep `ok` (a size known to work, 0) and `too_big` (70_001).
    // TODO: while they are more than 1 apart, try `send` with the size in the
    //       middle; success moves `ok` up, EMSGSIZE moves `too_big` down, any
    //       other error is returned.
    // TODO: return `ok` and the number of sends.
    todo!("binary search with send")
}
