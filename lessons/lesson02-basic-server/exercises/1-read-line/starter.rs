//! Exercise 02-1: read a whole request line, not one `read`.
//!
//! GOAL: lesson 02's server takes whatever ONE `read` returns as the
//! request, so a request that arrives in two pieces, or is longer than the
//! buffer, is cut. Write `read_request_line`, which keeps reading until the
//! request's newline has arrived, and refuses a line longer than `limit`
//! (a peer must not make us buffer without end).
//!
//! Check your work with `make exercise EX=02-1`.

use std::io::{self, Read};

/// Reads one `\n`-terminated request and returns it without the `\n` (and
/// without a `\r` just before it).
///
/// - `Ok(None)`: the peer closed before sending a single byte;
/// - `UnexpectedEof` error: the peer closed in the middle of a line;
/// - `InvalidData` error: more than `limit` bytes arrived without a newline;
/// - a read interrupted by a signal (`Interrupted`) is retried.
///
/// One request per connection is assumed, so reading a little past the
/// newline (in the same chunk) does no harm here.
pub fn read_request_line(stream: &mut impl Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    // TODO: a fixed buffer for each read and a Vec for the line so far.
    // TODO: loop on `read`:
    //   - 0 bytes: `Ok(None)` if nothing came at all, else UnexpectedEof;
    //   - Interrupted: try again;
    //   - data: append it; if it contains b'\n', return what is before it
    //     (minus a trailing b'\r');
    //   - no newline yet and more than `limit` bytes: InvalidData.
    let _ = (stream, limit);
    todo!("read until the newline")
}
