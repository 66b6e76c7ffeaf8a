//! Exercise 01-2: read a reply to EOF, with a cap.
//!
//! GOAL: the lesson's client reads the server's reply until the server
//! closes the connection. One `read` is not enough (the reply may come in
//! pieces), but "read until EOF" without a limit lets a server fill our
//! memory. Write `read_capped`, which loops on `read` until EOF and fails
//! as soon as more than `cap` bytes arrive.
//!
//! Do it with a loop over `Read::read` into a fixed buffer (no
//! `read_to_end`), so you see every case yourself.
//!
//! Check your work with `make exercise EX=01-2`.

use std::io::{self, Read};

/// Reads `reader` to EOF and returns everything, or fails with
/// `io::ErrorKind::InvalidData` once more than `cap` bytes have arrived
/// (without reading much further than that).
///
/// A read interrupted by a signal (`ErrorKind::Interrupted`) is retried;
/// any other error is returned as it is.
pub fn read_capped(reader: &mut impl Read, cap: usize) -> io::Result<Vec<u8>> {
    // TODO: a fixed buffer (say 4 KiB) and a Vec for the reply.
    // TODO: loop: `read` into the buffer; 0 means EOF, return the reply.
    // TODO: retry `Interrupted`; return any other error.
    // TODO: append what arrived; if the reply is now longer than `cap`,
    //       return an InvalidData error at once.
    let _ = (reader, cap);
    todo!("read to EOF, but no more than cap bytes")
}
