//! Bounded line framing: turning a byte stream into lines without letting a
//! peer make us buffer without limit.
//!
//! TCP delivers a stream of bytes, not messages: one `read` may return half a
//! line, or three lines and the start of a fourth. The originals assumed one
//! `recv(1024)` was one message. Here a [`LineBuffer`] collects bytes and hands
//! out complete lines, and refuses a line longer than its limit, so memory
//! stays bounded whatever the peer sends.
//!
//! The model is mini-redis's `Connection`: a buffer, a cheap "is a whole frame
//! here?" check, then the frame. A clean EOF (between lines) is `Ok(None)`; an
//! EOF in the middle of a line is an error, because the peer stopped halfway.
//!
//! [`LineBuffer`] does no I/O, so the one-thread event loop of lesson 08 can
//! feed it from non-blocking reads; [`LineReader`] wraps it around any
//! blocking `Read` for the thread-per-client lessons.

use std::fmt;
use std::io::{self, Read};

/// 64 KiB: the line limit of lessons 05 and 06.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// How much one `read` asks the kernel for.
const READ_CHUNK: usize = 8 * 1024;

/// Why no line could be produced.
#[derive(Debug)]
pub enum LineError {
    /// The peer sent more than `limit` bytes without a newline. The buffer is
    /// not usable afterwards; the caller should report and close.
    TooLong {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The stream ended in the middle of a line.
    UnexpectedEof {
        /// How many bytes of the unfinished line had arrived.
        partial: usize,
    },
    /// The underlying read failed (reset, timeout, ...).
    Io(io::Error),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong { limit } => write!(f, "line too long (limit {limit} bytes)"),
            LineError::UnexpectedEof { partial } => {
                write!(
                    f,
                    "connection closed in the middle of a line ({partial} bytes without a newline)"
                )
            }
            LineError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LineError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for LineError {
    fn from(e: io::Error) -> Self {
        LineError::Io(e)
    }
}

impl LineError {
    /// True when the error is a read timeout (`SO_RCVTIMEO` ran out), which
    /// servers treat as "this client went idle".
    pub fn is_timeout(&self) -> bool {
        matches!(self, LineError::Io(e) if is_timeout(e))
    }
}

/// Kept here too so `common::line_reader::is_timeout` still names it.
pub use crate::errors::is_timeout;

// ANCHOR: line_buffer
/// Collects bytes and hands out complete `\n`-terminated lines.
#[derive(Debug)]
pub struct LineBuffer {
    /// Bytes received and not yet returned as lines.
    buf: Vec<u8>,
    /// Where the unreturned bytes start in `buf` (returned lines are only
    /// dropped from the front when more room is needed).
    start: usize,
    /// How far past `start` we already looked for `\n`, so a long line that
    /// arrives in many pieces is scanned once, not once per piece.
    scanned: usize,
    /// The longest line accepted, without its `\n` or `\r\n`.
    limit: usize,
}

impl LineBuffer {
    /// A buffer that accepts lines of up to `limit` bytes.
    pub fn new(limit: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            limit,
        }
    }

    /// The longest line accepted.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes received that are not yet part of a returned line.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends bytes read from the peer. Call [`next_line`](Self::next_line)
    /// until it returns `Ok(None)` before pushing more, or the buffer holds
    /// whatever the peer sent.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.capacity() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Returns the next complete line, without its `\n` (and without a `\r`
    /// before it), or `Ok(None)` when no whole line has arrived yet.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, LineError> {
        let unread = &self.buf[self.start..];
        match unread[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let end = self.scanned + offset;
                let mut line = &unread[..end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                if line.len() > self.limit {
                    return Err(LineError::TooLong { limit: self.limit });
                }
                let line = line.to_vec();
                self.start += end + 1;
                self.scanned = 0;
                Ok(Some(line))
            }
            None => {
                self.scanned = unread.len();
                // One byte of grace for a `\r` whose `\n` is still on its way.
                let grace = usize::from(unread.last() == Some(&b'\r'));
                if unread.len() > self.limit + grace {
                    return Err(LineError::TooLong { limit: self.limit });
                }
                Ok(None)
            }
        }
    }
}
// ANCHOR_END: line_buffer

// ANCHOR: line_reader
/// A [`LineBuffer`] reading from a blocking source such as a `TcpStream`.
///
/// `LineReader::new(&stream, limit)` reads through a shared reference, so the
/// same stream can still be written to while the reader holds it.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    lines: LineBuffer,
}

impl<R: Read> LineReader<R> {
    /// Wraps `inner`, accepting lines of up to `limit` bytes.
    pub fn new(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            lines: LineBuffer::new(limit),
        }
    }

    /// Reads until a whole line is buffered and returns it (without `\n`).
    ///
    /// `Ok(None)` means the peer closed the connection cleanly between lines.
    pub fn read_line(&mut self) -> Result<Option<Vec<u8>>, LineError> {
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if let Some(line) = self.lines.next_line()? {
                return Ok(Some(line));
            }
            let n = match self.inner.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if n == 0 {
                return match self.lines.pending() {
                    0 => Ok(None),
                    partial => Err(LineError::UnexpectedEof { partial }),
                };
            }
            self.lines.push(&chunk[..n]);
        }
    }
    // ANCHOR_END: line_reader

    /// The source being read.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(input: &[u8], limit: usize) -> LineReader<&[u8]> {
        LineReader::new(input, limit)
    }

    #[test]
    fn splits_lines_and_strips_crlf() {
        let mut r = reader(b"one\r\ntwo\n\nthree\n", 100);
        assert_eq!(r.read_line().unwrap().unwrap(), b"one");
        assert_eq!(r.read_line().unwrap().unwrap(), b"two");
        assert_eq!(r.read_line().unwrap().unwrap(), b"");
        assert_eq!(r.read_line().unwrap().unwrap(), b"three");
        assert!(r.read_line().unwrap().is_none());
    }

    #[test]
    fn eof_mid_line_is_an_error() {
        let mut r = reader(b"done\npart", 100);
        assert_eq!(r.read_line().unwrap().unwrap(), b"done");
        match r.read_line() {
            Err(LineError::UnexpectedEof { partial: 4 }) => {}
            other => panic!("expected UnexpectedEof, got {other:?}"),
        }
    }

    #[test]
    fn keeps_invalid_utf8_bytes_exactly() {
        let mut r = reader(b"\xff\xfe\x00ok\n", 100);
        assert_eq!(r.read_line().unwrap().unwrap(), b"\xff\xfe\x00ok");
    }

    #[test]
    fn line_at_the_limit_is_accepted_one_more_byte_is_not() {
        let mut exact = b"x".repeat(10);
        exact.extend_from_slice(b"\r\n");
        assert_eq!(
            reader(&exact, 10).read_line().unwrap().unwrap(),
            b"x".repeat(10)
        );

        let long = b"y".repeat(11);
        assert!(matches!(
            reader(&long, 10).read_line(),
            Err(LineError::TooLong { limit: 10 })
        ));
        let mut long_nl = long.clone();
        long_nl.push(b'\n');
        assert!(matches!(
            reader(&long_nl, 10).read_line(),
            Err(LineError::TooLong { limit: 10 })
        ));
    }

    #[test]
    fn too_long_is_detected_without_reading_the_whole_line() {
        /// An endless source of `a` that counts what was taken from it.
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(b'a');
                self.0 += buf.len();
                Ok(buf.len())
            }
        }
        let mut r = LineReader::new(Endless(0), 100_000);
        assert!(matches!(r.read_line(), Err(LineError::TooLong { .. })));
        assert!(
            r.get_ref().0 <= 100_000 + READ_CHUNK,
            "read {} bytes",
            r.get_ref().0
        );
    }

    #[test]
    fn buffer_reassembles_lines_split_across_pushes() {
        let mut b = LineBuffer::new(100);
        for piece in [&b"he"[..], b"llo\r", b"\nwor", b"ld\nx"] {
            b.push(piece);
        }
        assert_eq!(b.next_line().unwrap().unwrap(), b"hello");
        assert_eq!(b.next_line().unwrap().unwrap(), b"world");
        assert!(b.next_line().unwrap().is_none());
        assert_eq!(b.pending(), 1);
    }

    #[test]
    fn buffer_memory_stays_bounded_over_many_lines() {
        let mut b = LineBuffer::new(64);
        for i in 0..10_000 {
            b.push(format!("line {i}\n").as_bytes());
            assert!(b.next_line().unwrap().is_some());
        }
        assert!(
            b.buf.capacity() < 1024,
            "capacity grew to {}",
            b.buf.capacity()
        );
    }

    #[test]
    fn timeouts_are_recognised() {
        let e = LineError::Io(io::Error::from(io::ErrorKind::WouldBlock));
        assert!(e.is_timeout());
        assert!(!LineError::TooLong { limit: 1 }.is_timeout());
    }
}
