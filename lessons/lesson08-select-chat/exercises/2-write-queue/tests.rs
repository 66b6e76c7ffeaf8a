//! Tests for exercise 08-2 (the write queue).

use crate::ex2_code::*;
use std::io::{self, Write};

/// A writer that follows a script: each call takes at most the next number
/// of bytes; `None` means WouldBlock, `Some(0)` means Ok(0); -1 is EINTR.
struct Scripted {
    script: Vec<i64>,
    got: Vec<u8>,
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.script.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        match self.script.remove(0) {
            -1 => Err(io::ErrorKind::Interrupted.into()),
            -2 => Err(io::ErrorKind::BrokenPipe.into()),
            n => {
                let n = (n as usize).min(buf.len());
                self.got.extend_from_slice(&buf[..n]);
                Ok(n)
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn partial_writes_and_would_block_resume_later() {
    let mut q = WriteQueue::default();
    q.push_line(b"hello");
    q.push_line(b"world");
    let mut w = Scripted {
        script: vec![2, 3],
        got: Vec::new(),
    };
    assert!(!q.flush_to(&mut w).unwrap(), "would block after 5 bytes");
    assert_eq!(q.pending(), 7);
    w.script = vec![-1, 4, 100];
    assert!(q.flush_to(&mut w).unwrap());
    testkit::assert_bytes_eq!(w.got, b"hello\nworld\n");
    assert_eq!(
        (q.buf.len(), q.start, q.pending()),
        (0, 0, 0),
        "reset when drained"
    );
}

#[test]
fn errors_are_returned_and_zero_is_an_error() {
    let mut q = WriteQueue::default();
    q.push_line(b"x");
    let mut w = Scripted {
        script: vec![-2],
        got: Vec::new(),
    };
    assert_eq!(
        q.flush_to(&mut w).unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
    let mut w = Scripted {
        script: vec![0],
        got: Vec::new(),
    };
    assert_eq!(
        q.flush_to(&mut w).unwrap_err().kind(),
        io::ErrorKind::WriteZero
    );
}

#[test]
fn an_empty_queue_is_already_flushed() {
    let mut q = WriteQueue::default();
    let mut w = Scripted {
        script: vec![],
        got: Vec::new(),
    };
    assert!(q.flush_to(&mut w).unwrap());
}
