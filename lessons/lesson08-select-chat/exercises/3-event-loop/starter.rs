//! Exercise 08-3: the event loop of a chat, on mio (capstone).
//!
//! One thread, many sockets. Build the core of the chat room: accept
//! clients, read what they send, and hand every complete line (up to and
//! including its `\n`, bytes unchanged) to every *other* client.
//!
//! The rules the tests check:
//! - mio's readiness is edge-triggered: an event says "something changed",
//!   once. Bytes or connections you leave waiting raise no new event.
//! - a client whose line passes `max_line` bytes (newline excluded) is
//!   closed as soon as it does; nothing of that line reaches anyone;
//! - a client whose queue of unsent bytes would pass `max_queue` is
//!   dropped; the others keep getting every line;
//! - a client that closes or resets is removed; the loop goes on;
//! - `turn` returns `Err` only for failures of the loop itself, never for
//!   one client's trouble.
//!
//! The fields below are a starting point; change them as your design
//! needs. Private helpers are welcome.
//!
//! Check your work with `make exercise EX=08-3`.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Poll, Token};
use std::collections::HashMap;
use std::io;
use std::time::Duration;

/// The loop's limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The longest line a client may send, newline excluded.
    pub max_line: usize,
    /// The most bytes queued for one client before it is dropped.
    pub max_queue: usize,
}

/// One connected client.
#[derive(Debug)]
struct Client {
    stream: TcpStream,
    /// Bytes received that do not yet end in `\n`.
    inbox: Vec<u8>,
    /// Bytes waiting for the socket to take them.
    outbox: Vec<u8>,
}

/// The whole state of the chat: the poller, the listener and the clients.
#[derive(Debug)]
pub struct ChatLoop {
    poll: Poll,
    events: Events,
    listener: TcpListener,
    clients: HashMap<Token, Client>,
    config: Config,
}

impl ChatLoop {
    /// Takes an already bound listener (tests bind `127.0.0.1:0`).
    pub fn new(listener: std::net::TcpListener, config: Config) -> io::Result<ChatLoop> {
        todo!()
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        todo!()
    }

    /// Waits up to `timeout` for readiness, then handles every event.
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        todo!()
    }
}
