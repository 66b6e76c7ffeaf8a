//! Exercise 13-2: a line, or the idle timeout, whichever comes first.
//!
//! Lesson 13's session races a read against its idle timer with
//! `tokio::select!`. Here the same race in its smallest form: read one
//! line from a buffered socket, bounded in length and in time.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// What came of waiting for one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A whole line, without its `\n`.
    Line(Vec<u8>),
    /// Nothing complete arrived within the idle time.
    Idle,
    /// The peer closed the connection (possibly in the middle of a line).
    Closed,
    /// More than `max` bytes arrived without a `\n`.
    TooLong,
}

/// Waits at most `idle` for the next line of at most `max` bytes.
pub async fn next_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    max: usize,
    idle: Duration,
) -> std::io::Result<Next> {
    let mut line = Vec::new();
    // `take` bounds the read: one byte more than a line may have, so a
    // line of exactly `max` bytes plus its `\n` still fits.
    let mut bounded = (&mut *reader).take(max as u64 + 1);
    let read = bounded.read_until(b'\n', &mut line);
    tokio::select! {
        n = read => {
            n?;
            Ok(match line.pop() {
                Some(b'\n') => Next::Line(line),
                Some(_) if line.len() >= max => Next::TooLong,
                _ => Next::Closed,
            })
        }
        () = tokio::time::sleep(idle) => Ok(Next::Idle),
    }
}
