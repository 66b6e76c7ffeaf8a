//! Wrong answer: the buffer for the body is allocated before the declared length is checked.
//!
//! Capstone 03-3: a framed request/response protocol.
//!
//! Wire format, both directions: a 4-byte big-endian length, then that many
//! bytes. A request frame's bytes are the request. A reply frame's bytes are
//! one status byte (`0` = ok, `1` = error) and then the body (for an error,
//! a UTF-8 message).
//!
//! Malformed-frame policy of the server:
//!
//! | what arrives                         | the server                              |
//! |--------------------------------------|-----------------------------------------|
//! | a length over `max_frame` (garbage   | replies `Error("frame too large ...")`, |
//! | text reads as a huge length too)     | then closes: it cannot find the next frame |
//! | a length of zero                     | replies `Error("empty request")`, keeps going |
//! | EOF in the middle of a frame         | closes without a reply                  |
//! | nothing for `idle_timeout`           | closes without a reply                  |
//! | a reset                              | stops serving that connection           |
//!
//! Check your work with `make exercise EX=03-3`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Limits shared by the server and the client.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest frame body either side accepts; a bigger declared length
    /// is refused before a single byte of it is allocated.
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

/// Writes `body` as one frame (length, then bytes) with a single `write_all`.
fn write_frame(w: &mut impl Write, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len = u32::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // One buffer, one write: a frame is never split across two syscalls
    // by us (the kernel may still split it; the reader must cope).
    let mut frame = Vec::with_capacity(4 + len as usize);
    frame.extend_from_slice(&len.to_be_bytes());
    for part in parts {
        frame.extend_from_slice(part);
    }
    w.write_all(&frame)?;
    w.flush()
}

/// How reading one frame can end, besides a frame.
#[derive(Debug)]
enum ReadError {
    /// The declared length is over the limit (nothing was allocated for it).
    TooLarge(u32),
    /// EOF in the middle of a header or a body.
    Truncated,
    /// A timeout, a reset, or another socket error.
    Io(io::Error),
}

/// Reads one frame. `Ok(None)` is a clean EOF between frames.
fn read_frame(r: &mut impl Read, max: usize) -> Result<Option<Vec<u8>>, ReadError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(ReadError::Truncated),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    let len = u32::from_be_bytes(header);
    // THE MISTAKE: the peer's number becomes an allocation first.
    let mut body = vec![0u8; len as usize];
    if len as usize > max {
        return Err(ReadError::TooLarge(len));
    }
    r.read_exact(&mut body).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => ReadError::Truncated,
        _ => ReadError::Io(e),
    })?;
    Ok(Some(body))
}

/// Serves one connection until the peer is done, breaks the rules, or goes quiet.
pub fn serve_connection(
    mut stream: TcpStream,
    config: &Config,
    handler: Handler,
) -> io::Result<()> {
    stream.set_read_timeout(Some(config.idle_timeout))?;
    stream.set_write_timeout(Some(config.idle_timeout))?;
    loop {
        match read_frame(&mut stream, config.max_frame) {
            Ok(None) => return Ok(()),
            Ok(Some(request)) if request.is_empty() => {
                send_reply(&mut stream, &Reply::Error("empty request".into()))?;
            }
            Ok(Some(request)) => send_reply(&mut stream, &handler(&request))?,
            Err(ReadError::TooLarge(len)) => {
                let msg = format!("frame too large: {len} bytes > {}", config.max_frame);
                // Best effort: the peer may not be listening any more.
                let _ = send_reply(&mut stream, &Reply::Error(msg));
                return Ok(());
            }
            Err(ReadError::Truncated) => return Ok(()),
            Err(ReadError::Io(e)) => return Err(e),
        }
    }
}

fn send_reply(stream: &mut TcpStream, reply: &Reply) -> io::Result<()> {
    match reply {
        Reply::Ok(body) => write_frame(stream, &[&[0], body]),
        Reply::Error(msg) => write_frame(stream, &[&[1], msg.as_bytes()]),
    }
}

/// Accepts forever, one thread per connection.
pub fn serve(listener: TcpListener, config: Config, handler: Handler) -> io::Result<()> {
    loop {
        let (stream, _) = match listener.accept() {
            Ok(conn) => conn,
            // A failed accept (EMFILE, an aborted handshake) is no reason to stop.
            Err(_) => {
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let config = config.clone();
        thread::spawn(move || serve_connection(stream, &config, handler));
    }
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
        let stream = TcpStream::connect_timeout(&addr, config.idle_timeout)?;
        stream.set_read_timeout(Some(config.idle_timeout))?;
        stream.set_write_timeout(Some(config.idle_timeout))?;
        Ok(Client { stream, config })
    }

    /// Sends one request and waits for its reply.
    ///
    /// Errors: `TimedOut` when the server stays silent, `UnexpectedEof`
    /// when it closes first, `InvalidData` when the reply breaks the
    /// protocol (too large, empty, unknown status byte).
    pub fn call(&mut self, request: &[u8]) -> io::Result<Reply> {
        write_frame(&mut self.stream, &[request])?;
        // +1: the status byte rides in the same frame.
        let frame = match read_frame(&mut self.stream, self.config.max_frame + 1) {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(ReadError::Truncated) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed",
                ));
            }
            Err(ReadError::TooLarge(len)) => {
                return Err(invalid(format!("reply of {len} bytes is too large")));
            }
            Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                // Linux reports an expired read timeout as WouldBlock.
                return Err(io::Error::new(io::ErrorKind::TimedOut, "server is silent"));
            }
            Err(ReadError::Io(e)) => return Err(e),
        };
        match frame.split_first() {
            Some((0, body)) => Ok(Reply::Ok(body.to_vec())),
            Some((1, msg)) => Ok(Reply::Error(String::from_utf8_lossy(msg).into_owned())),
            Some((status, _)) => Err(invalid(format!("unknown status byte {status}"))),
            None => Err(invalid("empty reply frame".into())),
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}
