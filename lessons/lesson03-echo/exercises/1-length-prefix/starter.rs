//! Exercise 03-1: give messages a length, since TCP will not.
//!
//! GOAL: TCP delivers a stream of bytes, so "one message" only exists if
//! the protocol marks where it ends. The lesson's client uses newlines;
//! here you frame each message with its length instead: 4 bytes, big-endian
//! (network byte order), then the payload. Any byte may appear in the
//! payload, newlines included. Write `write_frame` and `read_frame`; the
//! tests send frames through the lesson's echo server and read them back.
//!
//! Check your work with `make exercise EX=03-1`.

use std::io::{self, Read, Write};

/// Writes `payload` as one frame: its length as a big-endian `u32`, then
/// the bytes. A payload longer than `u32::MAX` is an `InvalidInput` error.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    // TODO: convert the length with `u32::try_from`, mapping failure to
    //       InvalidInput.
    // TODO: write the 4-byte header (`to_be_bytes`) and then the payload,
    //       each with `write_all` (never plain `write`).
    let _ = (w, payload);
    todo!("write the length, then the payload")
}

/// Reads one frame and returns its payload.
///
/// - `Ok(None)`: the stream ended cleanly before a new frame began;
/// - `UnexpectedEof` error: it ended in the middle of a header or payload;
/// - `InvalidData` error: the header announces more than `max` bytes (checked
///   before allocating anything, so a hostile header cannot make us reserve
///   4 GiB).
pub fn read_frame(r: &mut impl Read, max: usize) -> io::Result<Option<Vec<u8>>> {
    // TODO: read the 4 header bytes. `read_exact` cannot tell "no frame at
    //       all" from "half a header", so read the first byte on its own
    //       (0 bytes read = clean end), then `read_exact` the other three.
    // TODO: decode with `u32::from_be_bytes`; refuse lengths over `max`.
    // TODO: `read_exact` the payload into a Vec of exactly that length.
    let _ = (r, max);
    todo!("read the length, then exactly that many bytes")
}
