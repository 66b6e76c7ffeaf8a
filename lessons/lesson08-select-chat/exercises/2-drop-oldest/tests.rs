//! Tests for exercise 08-2 (`LineQueue`: drop the oldest lines, never half a line).

use std::io::{self, Write};

use crate::ex2_code::*;

/// A writer that follows a script: each call takes at most the next number
/// of bytes; an empty script is WouldBlock; -1 is EINTR, -2 a broken pipe.
struct Scripted {
    script: Vec<i64>,
    got: Vec<u8>,
}

impl Scripted {
    fn new(script: &[i64]) -> Scripted {
        Scripted {
            script: script.to_vec(),
            got: Vec::new(),
        }
    }
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
    let mut q = LineQueue::new(100);
    assert!(q.push_line(b"hello") && q.push_line(b"world"));
    let mut w = Scripted::new(&[2, 3]);
    assert!(
        !q.flush_to(&mut w).expect("flush_to"),
        "flush_to after the writer took 5 bytes, then would block"
    );
    assert_eq!(q.pending(), 7, "pending() after 5 of 12 bytes went out");
    w.script = vec![-1, 4, 100];
    assert!(
        q.flush_to(&mut w).expect("flush_to"),
        "flush_to once all fits"
    );
    testkit::assert_bytes_eq!(w.got, b"hello\nworld\n", "bytes on the wire");
    assert_eq!(q.pending(), 0, "pending() when drained");
    assert!(
        q.flush_to(&mut Scripted::new(&[])).expect("flush_to"),
        "an empty queue is already flushed"
    );
}

#[test]
fn errors_are_returned_and_zero_is_an_error() {
    let mut q = LineQueue::new(100);
    q.push_line(b"x");
    let err = q.flush_to(&mut Scripted::new(&[-2])).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::BrokenPipe,
        "a broken pipe is returned"
    );
    let err = q.flush_to(&mut Scripted::new(&[0])).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::WriteZero,
        "a writer that takes nothing"
    );
}

#[test]
fn the_oldest_lines_are_dropped_to_make_room() {
    let mut q = LineQueue::new(12);
    assert!(q.push_line(b"one") && q.push_line(b"two") && q.push_line(b"333"));
    assert_eq!(
        (q.pending(), q.dropped()),
        (12, 0),
        "(pending, dropped) when full"
    );
    assert!(q.push_line(b"four"), "a line that fits once old ones go");
    assert_eq!(
        (q.pending(), q.dropped()),
        (9, 2),
        "(pending, dropped) after making room for 5 bytes: \"one\" and \"two\" go"
    );
    let mut w = Scripted::new(&[100, 100]);
    assert!(q.flush_to(&mut w).expect("flush_to"));
    testkit::assert_bytes_eq!(w.got, b"333\nfour\n", "what the slow reader gets");
}

#[test]
fn a_line_that_has_started_to_go_out_is_never_cut() {
    let mut q = LineQueue::new(8);
    assert!(q.push_line(b"abcdefg"));
    let mut w = Scripted::new(&[3]);
    assert!(
        !q.flush_to(&mut w).expect("flush_to"),
        "would block after 3 bytes"
    );
    // 5 bytes of "abcdefg\n" are still queued: "wxyz\n" does not fit, and
    // the started line may not be dropped, so "wxyz" is refused.
    assert!(
        !q.push_line(b"wxyz"),
        "push_line(\"wxyz\") with 5 bytes of a started line queued and cap 8 must refuse"
    );
    assert_eq!(
        (q.pending(), q.dropped()),
        (5, 1),
        "(pending, dropped) after the refusal"
    );
    assert!(q.push_line(b"z"), "push_line(\"z\") fits (5 + 2 <= 8)");
    w.script = vec![100, 100];
    assert!(q.flush_to(&mut w).expect("flush_to"));
    testkit::assert_bytes_eq!(w.got, b"abcdefg\nz\n", "whole lines only on the wire");
}

#[test]
fn a_line_bigger_than_the_cap_is_refused_and_changes_nothing() {
    let mut q = LineQueue::new(8);
    assert!(q.push_line(b"keep"));
    assert!(!q.push_line(b"0123456789"), "a line longer than the cap");
    assert_eq!((q.pending(), q.dropped()), (5, 1), "(pending, dropped)");
    let mut w = Scripted::new(&[100]);
    assert!(q.flush_to(&mut w).expect("flush_to"));
    testkit::assert_bytes_eq!(w.got, b"keep\n", "the queue is unchanged");
}
