//! Exercise 03-3: a framed request/response protocol (capstone).
//!
//! Design and build a small RPC protocol over TCP: a server that answers
//! requests with a handler, a client that makes calls, and a policy for
//! every malformed frame a hostile or confused peer can send.
//!
//! Wire format, both directions: a 4-byte big-endian length, then that many
//! bytes. A request frame's bytes are the request. A reply frame's bytes are
//! one status byte (`0` = ok, `1` = error) and then the body (for an error,
//! a UTF-8 message).
//!
//! Malformed-frame policy of the server (the tests check every row):
//!
//! | what arrives                         | the server                              |
//! |--------------------------------------|-----------------------------------------|
//! | a length over `max_frame` (garbage   | replies `Error(".. too large ..")`,     |
//! | text reads as a huge length too)     | then closes                             |
//! | a length of zero                     | replies an `Error`, keeps going         |
//! | EOF in the middle of a frame         | closes without a reply                  |
//! | nothing for `idle_timeout`           | closes without a reply                  |
//! | a reset                              | stops serving that connection           |
//!
//! The rest is yours to design: how you read a frame that arrives in
//! pieces, where you check the length, how the client tells a silent server
//! from a broken one. Private helpers are welcome.
//!
//! Check your work with `make exercise EX=03-3`.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Limits shared by the server and the client.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body (server) or reply body after the status
    /// byte (client) accepted; a bigger declared length is refused before
    /// anything of that size is allocated.
    pub max_frame: usize,
    /// How long a read may wait for the peer before giving up on it.
    pub idle_timeout: Duration,
}

/// What a server answers to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Status byte 0: the handler's answer.
    Ok(Vec<u8>),
    /// Status byte 1: what was wrong with the request.
    Error(String),
}

/// Turns one request into one reply: the application behind the protocol.
pub type Handler = fn(&[u8]) -> Reply;

/// Serves one connection until the peer is done, breaks the rules, or goes
/// quiet (see the policy table above). A reset or another socket error is
/// returned as `Err`.
pub fn serve_connection(stream: TcpStream, config: &Config, handler: Handler) -> io::Result<()> {
    todo!()
}

/// Accepts forever and serves each connection without holding up the others.
pub fn serve(listener: TcpListener, config: Config, handler: Handler) -> io::Result<()> {
    todo!()
}

/// A client: one connection, one request at a time.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    config: Config,
}

impl Client {
    /// Connects within `config.idle_timeout`.
    pub fn connect(addr: SocketAddr, config: Config) -> io::Result<Client> {
        todo!()
    }

    /// Sends one request and waits for its reply.
    ///
    /// Errors: `TimedOut` when the server stays silent for the idle
    /// timeout, `UnexpectedEof` when it closes first (also in the middle of
    /// a reply), `InvalidData` when the reply breaks the protocol (too
    /// large, empty, unknown status byte).
    pub fn call(&mut self, request: &[u8]) -> io::Result<Reply> {
        todo!()
    }
}
