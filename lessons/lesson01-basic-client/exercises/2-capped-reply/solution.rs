//! Exercise 01-2: read a reply to EOF, with a cap (solution).
//!
//! GOAL: the lesson's client reads the server's reply until the server
//! closes the connection. One `read` is not enough (the reply may come in
//! pieces), but "read until EOF" without a limit lets a server fill our
//! memory. `read_capped` loops on `read` until EOF and fails as soon as
//! more than `cap` bytes arrive.

use std::io::{self, Read};

/// Reads `reader` to EOF and returns everything, or fails with
/// `io::ErrorKind::InvalidData` once more than `cap` bytes have arrived
/// (without reading much further than that).
///
/// A read interrupted by a signal (`ErrorKind::Interrupted`) is retried;
/// any other error is returned as it is.
pub fn read_capped(reader: &mut impl Read, cap: usize) -> io::Result<Vec<u8>> {
    // Former TODO 1: the buffer bounds each read; the Vec grows only as far
    // as the cap lets it.
    let mut buf = [0u8; 4096];
    let mut reply = Vec::new();
    loop {
        // Former TODO 2 and 3: 0 is the only way a stream says "closed";
        // a signal arriving mid-read is not the peer's doing, so try again.
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(reply),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Former TODO 4: check after every piece, so we stop within one
        // buffer of the cap however much the peer keeps sending.
        reply.extend_from_slice(&buf[..n]);
        if reply.len() > cap {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reply longer than {cap} bytes"),
            ));
        }
    }
}
