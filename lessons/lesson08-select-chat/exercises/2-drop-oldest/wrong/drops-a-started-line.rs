//! Drops the oldest line even when part of it was already written: the reader gets half a line glued to the next one.

use std::collections::VecDeque;
use std::io::{self, Write};

/// The lines queued for one client, at most `cap` bytes of them.
#[derive(Debug)]
pub struct LineQueue {
    /// Queued lines, each with its `\n`; the front one may be partly sent.
    lines: VecDeque<Vec<u8>>,
    /// How many bytes of the front line are already written.
    sent: usize,
    /// Bytes queued and not yet written.
    pending: usize,
    cap: usize,
    dropped: u64,
}

impl LineQueue {
    /// An empty queue that holds at most `cap` unsent bytes.
    pub fn new(cap: usize) -> Self {
        LineQueue {
            lines: VecDeque::new(),
            sent: 0,
            pending: 0,
            cap,
            dropped: 0,
        }
    }

    /// Queues `line` and a newline, dropping the oldest unstarted lines if
    /// needed; `false` if it was refused.
    pub fn push_line(&mut self, line: &[u8]) -> bool {
        let need = line.len() + 1;
        // Former TODO: the front line may be dropped only if none of it has
        // gone out; any line behind it never has. Oldest first.
        // The mistake: the front line is dropped too, even when half of it
        // has already gone out.
        let first_droppable = 0;
        while self.pending + need > self.cap && self.lines.len() > first_droppable {
            let Some(old) = self.lines.remove(first_droppable) else {
                break;
            };
            self.pending -= old.len() - std::mem::take(&mut self.sent);
            self.dropped += 1;
        }
        if self.pending + need > self.cap {
            self.dropped += 1;
            return false;
        }
        let mut queued = Vec::with_capacity(need);
        queued.extend_from_slice(line);
        queued.push(b'\n');
        self.lines.push_back(queued);
        self.pending += need;
        true
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Lines dropped (or refused) so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Writes as much as `w` takes; `Ok(true)` when the queue is empty.
    pub fn flush_to(&mut self, w: &mut impl Write) -> io::Result<bool> {
        // Former TODO: one line at a time, from where the last call stopped.
        while let Some(front) = self.lines.front() {
            match w.write(&front[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    self.pending -= n;
                    if self.sent == front.len() {
                        self.lines.pop_front();
                        self.sent = 0;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
