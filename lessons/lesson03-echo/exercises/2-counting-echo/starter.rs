//! Exercise 03-2: an echo that counts, with a bounded buffer.
//!
//! GOAL: write `echo_counted`, an echo loop like the lesson's `echo`, that
//! also reports how many bytes it echoed and how many `read` calls it took.
//! Memory must not depend on how much the peer sends: allocate one buffer of
//! `buf_size` bytes, once. The count of reads shows what the lesson says
//! about TCP: the number of pieces has nothing to do with how the peer
//! wrote them.
//!
//! Check your work with `make exercise EX=03-2`.

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
    // TODO: refuse buf_size 0 with InvalidInput.
    // TODO: allocate the buffer once: `vec![0u8; buf_size]`.
    // TODO: loop: read; 0 = EOF (return the counts); Interrupted = retry;
    //       other errors = return them; n bytes = `write_all` them back
    //       (not `write`: it may take only part) and update both counts.
    let _ = (&mut stream, buf_size);
    todo!("echo through one bounded buffer, counting")
}
