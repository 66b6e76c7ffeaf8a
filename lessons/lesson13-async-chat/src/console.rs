//! The server console: stdin read by a plain thread.
//!
//! Reading a terminal blocks, and a blocking call inside a task would stop
//! every other task on the runtime's one thread. So the reads happen on a
//! thread of their own, which hands each line to the async side through a
//! bounded channel (`blocking_send` waits when the server has not caught up,
//! so a huge file piped in cannot fill memory).

use std::io::Read;
use std::thread;

use anyhow::{Context, Result};
use lesson08_select_chat::console::{self, ConsoleEvent};
use tokio::sync::mpsc;

/// Lines the console thread may get ahead of the server.
const QUEUE: usize = 64;

// ANCHOR: console
/// Starts the thread that reads `input` line by line into the returned
/// channel. It is never joined: a read on a terminal cannot be interrupted,
/// so it ends with the process.
pub fn spawn(input: Box<dyn Read + Send>) -> Result<mpsc::Receiver<ConsoleEvent>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    thread::Builder::new()
        .name("console".into())
        .spawn(move || {
            // Lesson 08's reader: each line, then one `Closed`.
            for event in console::events(input) {
                // An error means the server is gone (shutting down).
                if tx.blocking_send(event).is_err() {
                    return;
                }
            }
        })
        .context("start console thread")?;
    Ok(rx)
}
// ANCHOR_END: console
