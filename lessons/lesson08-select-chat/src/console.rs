//! The server console: lines typed (or piped) on the server's stdin.
//!
//! The original put stdin (descriptor 0) into its `select()` list next to the
//! sockets. That works for a terminal or a pipe, but epoll refuses regular
//! files (`EPERM`: a file is always "ready"), and a closed stdin would be an
//! invalid descriptor. So stdin gets a thread of its own that does ordinary
//! blocking reads and hands each line to the event loop through a channel,
//! then pokes the loop awake with a [`mio::Waker`].

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use common::LineReader;
use mio::Waker;

use crate::protocol::MAX_LINE;

/// Lines the console thread may get ahead of the event loop. A bounded
/// channel: a huge file piped into the console cannot fill memory, because
/// the thread waits when the loop has not caught up.
const QUEUE: usize = 64;

/// What the console thread reports.
#[derive(Debug)]
pub enum ConsoleEvent {
    /// One line, without its `\n`.
    Line(Vec<u8>),
    /// No more input: EOF (a closed or empty stdin, the end of a file), or
    /// an error, described.
    Closed(Option<String>),
}

// ANCHOR: console
/// Starts the thread that reads `input` line by line. Each line is sent on
/// the returned channel, then the loop is woken through `waker`.
///
/// The thread cannot be stopped while it waits in `read` on a terminal: no
/// portable call interrupts that. It is never joined; it ends with the
/// process. (A production server would not read a console at all.)
pub fn spawn(
    input: Box<dyn Read + Send>,
    waker: Arc<Waker>,
) -> std::io::Result<Receiver<ConsoleEvent>> {
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    thread::Builder::new()
        .name("console".into())
        .spawn(move || read_lines(input, &tx, &waker))?;
    Ok(rx)
}

fn read_lines(input: Box<dyn Read + Send>, tx: &SyncSender<ConsoleEvent>, waker: &Waker) {
    for event in events(input) {
        // A send error means the loop is gone (the server is shutting down).
        if tx.send(event).is_err() || waker.wake().is_err() {
            return;
        }
    }
}

/// The console's input as events: each line, then one `Closed` (EOF or a
/// read error) after which the iterator ends. Lesson 13 reads its console
/// through this too.
pub fn events(input: Box<dyn Read + Send>) -> impl Iterator<Item = ConsoleEvent> {
    let mut lines = Some(LineReader::new(input, MAX_LINE));
    std::iter::from_fn(move || {
        let event = match lines.as_mut()?.read_line() {
            Ok(Some(line)) => ConsoleEvent::Line(line),
            Ok(None) => ConsoleEvent::Closed(None),
            Err(e) => ConsoleEvent::Closed(Some(e.to_string())),
        };
        if matches!(event, ConsoleEvent::Closed(_)) {
            lines = None;
        }
        Some(event)
    })
}
// ANCHOR_END: console
