//! Exercise 08-2: flushing a client's write queue on a non-blocking socket
//! (solution). The lesson's `OutBuf::flush_to` is the same loop.

use std::io::{self, Write};

/// Bytes queued for one client.
#[derive(Debug, Default)]
pub struct WriteQueue {
    /// Queued bytes; those before `start` are already sent.
    pub buf: Vec<u8>,
    /// How much of `buf` has been written so far.
    pub start: usize,
}

impl WriteQueue {
    /// Queues `line` and a newline.
    pub fn push_line(&mut self, line: &[u8]) {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Writes as much as `w` takes; `Ok(true)` when the queue is empty.
    pub fn flush_to(&mut self, w: &mut impl Write) -> io::Result<bool> {
        while self.start < self.buf.len() {
            match w.write(&self.buf[self.start..]) {
                // A writer that accepts nothing would make this loop spin.
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                // A partial write: remember how far we got.
                Ok(n) => self.start += n,
                // The send buffer is full: wait for WRITABLE, come back later.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                // A signal arrived mid-call: nothing was written, try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // All sent: reuse the allocation from the start.
        self.buf.clear();
        self.start = 0;
        Ok(true)
    }
}
