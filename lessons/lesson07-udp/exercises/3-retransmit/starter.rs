//! Exercise 07-3: UDP requests that survive loss (capstone).
//!
//! UDP loses, delays, duplicates and reorders datagrams, and anyone can
//! send you one. Design a client that still gets the right answer: it
//! resends with exponential backoff, gives up after a fixed number of
//! attempts, and takes only the reply that belongs to the request it is
//! waiting for.
//!
//! Wire format: a request datagram is a 4-byte big-endian request id, then
//! the payload; the server's reply carries the same 4-byte id, then the body.
//!
//! The contract the tests check:
//! - attempt `n` (1 for the first) waits `base * 2^(n-1)`, at most `cap`;
//! - every copy of one request carries the same id; the next request a new one;
//! - a reply is taken only if it comes from the server's address and carries
//!   the id of the current request; anything else is ignored, and ignoring
//!   it does not extend the current wait;
//! - after `attempts` unanswered attempts: `RequestError::TimedOut`.
//!
//! How you wait, how you pick ids and how you filter is yours to design.
//!
//! Check your work with `make exercise EX=07-3`.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// The largest payload that fits in one UDP datagram over IPv4 with the id.
pub const MAX_PAYLOAD: usize = 65_507 - 4;

/// When to give up, and how long to wait for each attempt.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// How long the first attempt waits for its reply.
    pub base: Duration,
    /// No attempt waits longer than this.
    pub cap: Duration,
    /// How many datagrams one request may send in all.
    pub attempts: u32,
}

impl Backoff {
    /// How long attempt `n` (1 for the first) waits: `base * 2^(n-1)`, at
    /// most `cap`, for any `n` (no overflow).
    pub fn wait_for(&self, attempt: u32) -> Duration {
        todo!()
    }
}

/// A reply and what it took to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The reply's bytes after the id.
    pub body: Vec<u8>,
    /// Which attempt's wait the reply arrived in (1 for the first).
    pub attempts: u32,
}

/// Why a request failed.
#[derive(Debug)]
pub enum RequestError {
    /// Every attempt went unanswered.
    TimedOut {
        /// How many datagrams were sent.
        attempts: u32,
    },
    /// The payload cannot fit in one datagram; nothing was sent.
    TooLarge {
        /// The payload's length.
        len: usize,
    },
    /// The socket failed.
    Io(io::Error),
}

/// A client for one server. Its socket is not connected, so it sees (and
/// must reject) datagrams from anyone. Add fields as your design needs.
#[derive(Debug)]
pub struct Client {
    socket: UdpSocket,
    server: SocketAddr,
    backoff: Backoff,
}

impl Client {
    /// A client that sends from `socket` to `server`.
    pub fn new(socket: UdpSocket, server: SocketAddr, backoff: Backoff) -> Client {
        todo!()
    }

    /// Sends `payload` and waits for the matching reply, resending with
    /// exponential backoff (see the contract above).
    pub fn request(&mut self, payload: &[u8]) -> Result<Response, RequestError> {
        todo!()
    }
}
