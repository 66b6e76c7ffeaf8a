//! Exercise 03-1: give messages a length, since TCP will not (solution).
//!
//! GOAL: TCP delivers a stream of bytes, so "one message" only exists if
//! the protocol marks where it ends. Here each message is framed with its
//! length: 4 bytes, big-endian (network byte order), then the payload, so
//! any byte may appear in the payload, newlines included.

use std::io::{self, Read, Write};

/// Writes `payload` as one frame: its length as a big-endian `u32`, then
/// the bytes. A payload longer than `u32::MAX` is an `InvalidInput` error.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    // Former TODO 1: a silent `as u32` would wrap a 5 GiB payload to 1 GiB
    // and desynchronise the stream; refuse it instead.
    let len = u32::try_from(payload.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "payload longer than u32::MAX bytes",
        )
    })?;
    // Former TODO 2: big-endian is "network byte order", what every
    // protocol written down in an RFC uses. `write_all` loops over short
    // writes; a lost piece of a frame would corrupt every frame after it.
    w.write_all(&len.to_be_bytes())?;
    w.write_all(payload)
}

/// Reads one frame and returns its payload.
///
/// - `Ok(None)`: the stream ended cleanly before a new frame began;
/// - `UnexpectedEof` error: it ended in the middle of a header or payload;
/// - `InvalidData` error: the header announces more than `max` bytes (checked
///   before allocating anything, so a hostile header cannot make us reserve
///   4 GiB).
pub fn read_frame(r: &mut impl Read, max: usize) -> io::Result<Option<Vec<u8>>> {
    // Former TODO 1: the first byte decides between "clean end" and "a
    // frame has begun"; after that, anything missing is an error.
    let mut header = [0u8; 4];
    loop {
        match r.read(&mut header[..1]) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    r.read_exact(&mut header[1..])?;
    // Former TODO 2: check the announced length before trusting it.
    let len = u32::from_be_bytes(header) as usize;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes announced, limit is {max}"),
        ));
    }
    // Former TODO 3: `read_exact` loops until the whole payload is here,
    // however TCP split it, and fails with UnexpectedEof if it never is.
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok(Some(payload))
}
