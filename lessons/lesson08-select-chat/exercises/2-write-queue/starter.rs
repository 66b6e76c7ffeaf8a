//! Exercise 08-2: flushing a client's write queue on a non-blocking socket.
//!
//! A non-blocking `write` may take only part of what you give it, or
//! nothing at all (`WouldBlock`: the kernel's send buffer is full). Write
//! `flush_to`: write the unsent part of the queue to `w` until it is all
//! written or `w` would block, and remember how far you got.
//!
//! - everything written: reset the queue (`buf` empty, `start` 0) and
//!   return `Ok(true)`;
//! - `WouldBlock`: return `Ok(false)`; the next call goes on from there;
//! - `Interrupted`: just try again;
//! - `Ok(0)` (the writer takes nothing): an error of kind `WriteZero`;
//! - any other error: return it.
//!
//! Run `make exercise EX=08-2` to check your work.

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
        // TODO: loop while `start < buf.len()`: `w.write(&self.buf[self.start..])`.
        // TODO: move `start` by what was written; handle each error kind.
        // TODO: once everything is written, clear the buffer and reset `start`.
        todo!("write until done or WouldBlock")
    }
}
