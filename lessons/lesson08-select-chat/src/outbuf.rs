//! A client's write buffer: what the server still owes a client.
//!
//! With non-blocking sockets, `write` takes what fits in the kernel's send
//! buffer and returns; the rest must wait until the socket is writable again.
//! The original called `sendall` on each client in turn, so one client that
//! stopped reading blocked the whole room. Here every client has its own
//! queue, and a queue that grows past a cap means "this client is not
//! reading": it is disconnected, and nobody else waits for it.

use std::io::{self, Write};

/// The default cap: 1 MiB of unsent output per client.
pub const DEFAULT_CAP: usize = 1024 * 1024;
/// A drained buffer that grew past this gives its memory back, so a burst
/// does not leave every client holding a large allocation.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The queue would grow past its cap: the client is not reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

// ANCHOR: outbuf
/// Bytes queued for one client, sent in order as the socket accepts them.
#[derive(Debug)]
pub struct OutBuf {
    /// Queued bytes; those before `start` are already sent.
    buf: Vec<u8>,
    /// How much of `buf` the kernel has taken so far.
    start: usize,
    /// The most unsent bytes allowed.
    cap: usize,
}

impl OutBuf {
    /// An empty queue that refuses to hold more than `cap` unsent bytes.
    pub fn new(cap: usize) -> Self {
        OutBuf {
            buf: Vec::new(),
            start: 0,
            cap,
        }
    }

    /// Bytes queued and not yet sent.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// True when everything queued has been sent.
    pub fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    /// Queues `line` and a `\n`, unless that would pass the cap. This is the
    /// only cost of a broadcast per recipient: one copy into this buffer.
    pub fn push_line(&mut self, line: &[u8]) -> Result<(), Overflow> {
        if self.pending() + line.len() + 1 > self.cap {
            return Err(Overflow);
        }
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.len() / 2 {
            // More sent than unsent: move the unsent tail to the front
            // instead of letting the vector grow at the back forever.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        Ok(())
    }

    // ANCHOR_END: outbuf
    // ANCHOR: flush_to
    /// Writes as much as `w` accepts. `Ok(true)`: everything is sent;
    /// `Ok(false)`: `w` said `WouldBlock` (wait for it to be writable);
    /// `Err`: the connection is broken.
    pub fn flush_to(&mut self, w: &mut impl Write) -> io::Result<bool> {
        while self.start < self.buf.len() {
            match w.write(&self.buf[self.start..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.start += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        self.start = 0;
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
        Ok(true)
    }
}
// ANCHOR_END: flush_to

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `room` bytes, then says WouldBlock.
    struct Trickle {
        got: Vec<u8>,
        room: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room).min(3);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_resume_where_they_stopped() {
        let mut out = OutBuf::new(100);
        out.push_line(b"hello").unwrap();
        out.push_line(b"world").unwrap();
        let mut w = Trickle {
            got: Vec::new(),
            room: 7,
        };
        assert!(!out.flush_to(&mut w).unwrap());
        assert_eq!(out.pending(), 5);
        w.room = 100;
        assert!(out.flush_to(&mut w).unwrap());
        assert_eq!(w.got, b"hello\nworld\n");
        assert!(out.is_empty());
    }

    #[test]
    fn the_cap_counts_unsent_bytes_only() {
        let mut out = OutBuf::new(10);
        out.push_line(b"12345678").unwrap(); // 9 bytes
        assert_eq!(out.push_line(b"x"), Err(Overflow), "9 + 2 > 10");
        let mut w = Trickle {
            got: Vec::new(),
            room: 9,
        };
        assert!(out.flush_to(&mut w).unwrap());
        out.push_line(b"12345678").unwrap();
        assert_eq!(out.pending(), 9);
    }

    #[test]
    fn memory_is_given_back_after_a_burst() {
        let mut out = OutBuf::new(DEFAULT_CAP);
        for _ in 0..1000 {
            out.push_line(&[b'x'; 500]).unwrap();
        }
        let mut sink = Vec::new();
        assert!(out.flush_to(&mut sink).unwrap());
        assert!(out.buf.capacity() <= KEEP_CAPACITY);
        assert_eq!(sink.len(), 501_000);
    }

    #[test]
    fn a_writer_that_takes_nothing_is_an_error() {
        struct Zero;
        impl Write for Zero {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = OutBuf::new(10);
        out.push_line(b"a").unwrap();
        assert!(out.flush_to(&mut Zero).is_err());
    }
}
