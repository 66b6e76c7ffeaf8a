//! Wrong answer: every ignored datagram restarts the wait, so stray datagrams keep the client waiting forever.
//!
//! Capstone 07-3: UDP requests that survive loss.
//!
//! Wire format: a request datagram is a 4-byte big-endian request id, then
//! the payload; the server's reply carries the same 4-byte id, then the body.
//!
//! Check your work with `make exercise EX=07-3`.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

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
    /// most `cap`. Doubling gives a congested network room to recover; the
    /// cap keeps a long outage from turning into hour-long waits.
    pub fn wait_for(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
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

/// A client for one server: an unconnected socket, so it sees (and must
/// reject) datagrams from anyone.
#[derive(Debug)]
pub struct Client {
    socket: UdpSocket,
    server: SocketAddr,
    backoff: Backoff,
    next_id: u32,
}

impl Client {
    /// A client that sends from `socket` to `server`.
    pub fn new(socket: UdpSocket, server: SocketAddr, backoff: Backoff) -> Client {
        // Any start works; different clients starting at different ids make
        // a reply meant for another client less likely to match.
        let next_id = std::process::id().wrapping_mul(2_654_435_761);
        Client {
            socket,
            server,
            backoff,
            next_id,
        }
    }

    /// Sends `payload` and waits for the matching reply, resending with
    /// exponential backoff. Replies from another address, with another id
    /// (stale: an answer to an earlier request), or too short to hold an id
    /// are ignored, and ignoring one does not extend the current wait.
    pub fn request(&mut self, payload: &[u8]) -> Result<Response, RequestError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(RequestError::TooLarge { len: payload.len() });
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut datagram = id.to_be_bytes().to_vec();
        datagram.extend_from_slice(payload);

        for attempt in 1..=self.backoff.attempts {
            self.socket
                .send_to(&datagram, self.server)
                .map_err(RequestError::Io)?;
            let wait = self.backoff.wait_for(attempt);
            if let Some(body) = self.wait_for_reply(id, wait)? {
                return Ok(Response {
                    body,
                    attempts: attempt,
                });
            }
        }
        Err(RequestError::TimedOut {
            attempts: self.backoff.attempts,
        })
    }

    /// Waits for a reply with `id` from the server. `Ok(None)`: nothing
    /// came for `wait`.
    fn wait_for_reply(&self, id: u32, wait: Duration) -> Result<Option<Vec<u8>>, RequestError> {
        let mut buf = vec![0u8; 65_536];
        loop {
            // THE MISTAKE: the full wait again after every stray datagram.
            self.socket
                .set_read_timeout(Some(wait))
                .map_err(RequestError::Io)?;
            let (n, from) = match self.socket.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                // A previous send hit a closed port (ICMP): keep waiting.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(RequestError::Io(e)),
            };
            let reply = &buf[..n];
            if from != self.server || n < 4 || reply[..4] != id.to_be_bytes() {
                continue; // foreign, garbage or stale: not our answer
            }
            return Ok(Some(reply[4..].to_vec()));
        }
    }
}
