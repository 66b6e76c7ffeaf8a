//! Exercise 02-1: read a whole request line, not one `read` (solution).
//!
//! GOAL: lesson 02's server takes whatever ONE `read` returns as the
//! request, so a request that arrives in two pieces, or is longer than the
//! buffer, is cut. `read_request_line` keeps reading until the request's
//! newline has arrived, and refuses a line longer than `limit`.

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
    // Former TODO 1: the chunk bounds each read; the line grows only until
    // the limit check below stops it.
    let mut chunk = [0u8; 1024];
    let mut line = Vec::new();
    loop {
        // Former TODO 2: the loop is the whole point. TCP hands us bytes as
        // they arrive, in pieces of any size; only the newline says "done".
        let n = match stream.read(&mut chunk) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("peer closed after {} bytes without a newline", line.len()),
                ));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Only the new bytes can hold the newline: no need to rescan the rest.
        let searched_from = line.len();
        line.extend_from_slice(&chunk[..n]);
        if let Some(pos) = line[searched_from..].iter().position(|&b| b == b'\n') {
            line.truncate(searched_from + pos);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            // A newline after `limit` bytes is still too long.
            if line.len() > limit {
                break;
            }
            return Ok(Some(line));
        }
        // No newline yet: stop as soon as the line cannot fit any more.
        if line.len() > limit {
            break;
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("request line longer than {limit} bytes"),
    ))
}
