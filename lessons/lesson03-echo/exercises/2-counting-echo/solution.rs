//! Exercise 03-2: an echo that counts, with a bounded buffer (solution).
//!
//! GOAL: `echo_counted` is an echo loop like the lesson's `echo` that also
//! reports how many bytes it echoed and how many `read` calls it took, with
//! memory that does not depend on how much the peer sends.

use std::io::{self, Read, Write};

/// What one echo session amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Bytes read and written back.
    pub bytes: u64,
    /// `read` calls that returned data (not counting the final 0 or retries).
    pub reads: u64,
}

/// Echoes everything read from `stream` back to it until EOF, through one
/// buffer of `buf_size` bytes, and returns the counts.
///
/// `buf_size == 0` is an `InvalidInput` error (a read into an empty buffer
/// returns 0, which would look like EOF). `Interrupted` reads are retried.
pub fn echo_counted<S: Read + Write>(mut stream: S, buf_size: usize) -> io::Result<Counts> {
    // Former TODO 1: with an empty buffer every read "succeeds" with 0 bytes,
    // and we would report a clean EOF that never happened.
    if buf_size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "buffer size must be at least 1",
        ));
    }
    // Former TODO 2: the only allocation; 1 GiB of input still uses this.
    let mut buf = vec![0u8; buf_size];
    let mut counts = Counts::default();
    loop {
        // Former TODO 3.
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(counts),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // `write_all` loops until the kernel has taken all `n` bytes; with
        // `write`, a full send buffer would make us drop the rest silently.
        stream.write_all(&buf[..n])?;
        counts.bytes += n as u64;
        counts.reads += 1;
    }
}
