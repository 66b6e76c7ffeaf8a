//! Wrong answer: lines are only queued, and written when a writable event comes; edge-triggered, a socket writable all along never raises one.
//!
//! Capstone 08-3: the event loop of a chat, on mio.
//!
//! One thread, many sockets. A complete line (up to and including `\n`)
//! from one client goes, unchanged, to every other client.
//!
//! Check your work with `make exercise EX=08-3`.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::time::Duration;

/// The loop's limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The longest line a client may send, newline excluded. A client that
    /// goes past it is closed: it is either broken or hostile.
    pub max_line: usize,
    /// The most bytes queued for one client. A client that does not read
    /// fast enough to stay under it is dropped, so one slow reader can
    /// neither stall the room nor eat the server's memory.
    pub max_queue: usize,
}

/// The listener's token; clients get 1, 2, 3, ...
const LISTENER: Token = Token(0);

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
    next_token: usize,
    config: Config,
}

impl ChatLoop {
    /// Takes an already bound listener (tests bind `127.0.0.1:0`).
    pub fn new(listener: std::net::TcpListener, config: Config) -> io::Result<ChatLoop> {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        Ok(ChatLoop {
            poll,
            events: Events::with_capacity(256),
            listener,
            clients: HashMap::new(),
            next_token: 1,
            config,
        })
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Waits up to `timeout` for readiness, then handles every event.
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            result => result?,
        }
        // Copied out: handling an event needs `&mut self`.
        let ready: Vec<(Token, bool, bool)> = self
            .events
            .iter()
            .map(|e| {
                (
                    e.token(),
                    e.is_readable() || e.is_read_closed() || e.is_error(),
                    e.is_writable(),
                )
            })
            .collect();
        for (token, readable, writable) in ready {
            if token == LISTENER {
                self.accept_all()?;
                continue;
            }
            if readable {
                self.read_from(token);
            }
            if writable {
                self.flush(token);
            }
        }
        Ok(())
    }

    /// Edge-triggered: one event may stand for many connections, so accept
    /// until `WouldBlock`.
    fn accept_all(&mut self) -> io::Result<()> {
        loop {
            let mut stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                // One failed handshake, or out of descriptors: not fatal.
                // (A fuller server pauses accepting on EMFILE, as lesson 08 does.)
                Err(_) => return Ok(()),
            };
            let token = Token(self.next_token);
            self.next_token += 1;
            self.poll.registry().register(
                &mut stream,
                token,
                Interest::READABLE | Interest::WRITABLE,
            )?;
            let client = Client {
                stream,
                inbox: Vec::new(),
                outbox: Vec::new(),
            };
            self.clients.insert(token, client);
        }
    }

    /// Reads until `WouldBlock` (edge-triggered: no new event comes for
    /// bytes already waiting), then hands every complete line on.
    fn read_from(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        let max_line = self.config.max_line;
        let mut lines = Vec::new();
        let mut close = false;
        let mut buf = [0u8; 4096];
        loop {
            match client.stream.read(&mut buf) {
                Ok(0) => {
                    close = true;
                    break;
                }
                Ok(n) => {
                    client.inbox.extend_from_slice(&buf[..n]);
                    while let Some(end) = client.inbox.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = client.inbox.drain(..=end).collect();
                        if line.len() - 1 > max_line {
                            close = true;
                        }
                        lines.push(line);
                    }
                    // The bound that keeps memory small: never more than
                    // one line plus one read.
                    if client.inbox.len() > max_line || close {
                        close = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    close = true; // a reset
                    break;
                }
            }
        }
        for line in lines.iter().filter(|l| l.len() - 1 <= max_line) {
            self.broadcast(token, line);
        }
        if close {
            self.close(token);
        }
    }

    /// Queues `line` for everyone but its sender and writes what the
    /// sockets take now: a socket that is writable all along gives no new
    /// edge, so waiting for a writable event would wait forever.
    fn broadcast(&mut self, from: Token, line: &[u8]) {
        let mut targets = Vec::new();
        let mut too_slow = Vec::new();
        for (&token, client) in self.clients.iter_mut() {
            if token == from {
                continue;
            }
            if client.outbox.len() + line.len() > self.config.max_queue {
                too_slow.push(token);
            } else {
                client.outbox.extend_from_slice(line);
                targets.push(token);
            }
        }
        for token in too_slow {
            self.close(token);
        }
        // THE MISTAKE: "the writable event will flush it".
        let _ = targets;
    }

    /// Writes queued bytes until the queue is empty or the socket is full.
    fn flush(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        let mut written = 0;
        let broken = loop {
            if written == client.outbox.len() {
                break false;
            }
            match client.stream.write(&client.outbox[written..]) {
                Ok(0) => break true,
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break true, // reset or broken pipe
            }
        };
        client.outbox.drain(..written);
        if broken {
            self.close(token);
        }
    }

    fn close(&mut self, token: Token) {
        if let Some(mut client) = self.clients.remove(&token) {
            let _ = self.poll.registry().deregister(&mut client.stream);
        }
    }
}
