//! Exercise 09-1: parse a chunk-size line.
//!
//! In a chunked body every piece starts with a line that gives its size in
//! hexadecimal: `1a\r\n` means 26 bytes follow. After the digits a server
//! may put spaces and `;name=value` extensions, which a client ignores:
//! `1A ;sig=x\r\n` is also 26. A size of `0` marks the end of the body.
//!
//! Write `chunk_size`: it gets the line *without* its `\r\n` and returns the
//! size, or `None` when the line is not a valid chunk size: empty, no
//! digits, anything but spaces/tabs and a `;...` after the digits, or a
//! number too large for a `u64`. A client must refuse those: guessing a size
//! would make it read body bytes as framing, or framing as body bytes.
//!
//! Check your work: `make exercise EX=09-1`.

/// The size announced by a chunk-size line, or `None` if it is malformed.
pub fn chunk_size(line: &[u8]) -> Option<u64> {
    // TODO: find where the leading hexadecimal digits end (there must be at least one).
    // TODO: after the digits allow optional spaces or tabs, then nothing or a `;`.
    // TODO: add up the digits (value * 16 + digit), refusing an overflow
    //       (`checked_mul`, `checked_add`).
    todo!("parse the chunk-size line {line:?}")
}
