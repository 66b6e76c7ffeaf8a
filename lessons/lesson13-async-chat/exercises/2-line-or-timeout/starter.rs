//! Exercise 13-2: a line, or the idle timeout, whichever comes first.
//!
//! Lesson 13's session races a read against its idle timer with
//! `tokio::select!`. Here the same race in its smallest form: read one
//! line from a buffered socket, bounded in length and in time.

use std::time::Duration;

use tokio::io::AsyncBufRead;

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
    let _ = (reader, max, idle);
    todo!("race reading a bounded line against a timer")
}
