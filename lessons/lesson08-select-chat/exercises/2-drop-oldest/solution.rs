//! Exercise 08-2: a write queue that drops old lines instead of the reader (solution).
//!
//! GOAL: the lesson's `OutBuf` disconnects a reader whose queue overflows.
//! A chat could instead drop the OLDEST lines that reader has not seen yet,
//! and keep it connected. Write `LineQueue`, a queue of whole lines for one
//! client on a non-blocking socket:
//!
//! - `push_line` queues `line` + `\n`. If that would put more than `cap`
//!   bytes in the queue, drop the oldest lines first, counting them, but
//!   never a line that has started to go out: the reader must never get
//!   half a line glued to the next. A line that cannot fit even then is
//!   refused (counted as dropped, `false` returned) and nothing else changes.
//! - `flush_to` writes until the queue is empty (`Ok(true)`) or the writer
//!   would block (`Ok(false)`: the next call goes on from there). It retries
//!   on `Interrupted`, turns `Ok(0)` into an error of kind `WriteZero`, and
//!   returns any other error.
//!
//! Check your work with `make exercise EX=08-2`.

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
        let first_droppable = usize::from(self.sent > 0);
        // Refuse before dropping anything if even an emptied queue is too
        // small: a refused line must not cost the reader other lines.
        let kept: usize = self
            .lines
            .iter()
            .take(first_droppable)
            .map(|l| l.len())
            .sum();
        if kept - self.sent + need > self.cap {
            self.dropped += 1;
            return false;
        }
        while self.pending + need > self.cap && self.lines.len() > first_droppable {
            let Some(old) = self.lines.remove(first_droppable) else {
                break;
            };
            self.pending -= old.len();
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
