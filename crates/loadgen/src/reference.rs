//! The reference server: a single-threaded epoll echo server on `mio`.
//!
//! This is the practical ceiling the lessons are compared with: one thread,
//! no locks, no thread switches, every socket non-blocking, readiness from
//! epoll. It speaks the lessons' protocol (a `Hello client` greeting on
//! connect, unless `--no-greeting`) and echoes bytes as they come (a byte
//! echo answers a line protocol with one line in flight exactly like a
//! line echo does).
//!
//! Per connection it keeps only the bytes it could not write yet, and stops
//! reading from a client while more than [`MAX_PENDING`] bytes wait for it,
//! so memory stays bounded whatever a peer does.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use anyhow::{Context, Result};
use common::Shutdown;
use mio::net::{TcpListener as MioListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

/// The greeting the lessons 05 and 06 send.
pub const GREETING: &str = "Hello client\n";
/// Most unwritten bytes kept per connection before it stops reading.
pub const MAX_PENDING: usize = 1 << 20;
/// At most this many clients at once; past it, accepting waits.
pub const MAX_CLIENTS: usize = 100_000;

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX - 2);

struct Conn {
    stream: TcpStream,
    /// Bytes not written yet (from `pending_pos`).
    pending: Vec<u8>,
    pending_pos: usize,
}

/// What the server did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub clients: u64,
    /// Bytes echoed.
    pub bytes: u64,
}

/// Serves on an already bound listener until `shutdown` is triggered.
pub fn serve(listener: TcpListener, shutdown: &Shutdown, greeting: bool) -> Result<Summary> {
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new().context("create epoll instance")?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let _wake = {
        let waker = Arc::clone(&waker);
        shutdown.on_trigger(move || {
            let _ = waker.wake();
        })
    };
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next_id = 0usize;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut summary = Summary::default();
    // Bounded: ends when shutdown is triggered (the waker ends any wait).
    while !shutdown.is_triggered() {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e).context("epoll_wait");
        }
        for ev in events.iter() {
            match ev.token() {
                WAKER => {}
                LISTENER => accept_all(
                    &mut listener,
                    &poll,
                    &mut conns,
                    &mut next_id,
                    greeting,
                    &mut summary,
                ),
                Token(id) => {
                    let Some(c) = conns.get_mut(&id) else {
                        continue;
                    };
                    match service(c, &mut buf) {
                        Ok(n) => summary.bytes += n,
                        Err(_) => {
                            // Closed or failed: dropping the stream closes it
                            // (and removes it from epoll).
                            conns.remove(&id);
                        }
                    }
                }
            }
        }
    }
    Ok(summary)
}

/// Accepts every waiting connection.
fn accept_all(
    listener: &mut MioListener,
    poll: &Poll,
    conns: &mut HashMap<usize, Conn>,
    next_id: &mut usize,
    greeting: bool,
    summary: &mut Summary,
) {
    // Bounded by the accept queue and MAX_CLIENTS.
    while conns.len() < MAX_CLIENTS {
        let (mut stream, _peer) = match listener.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // EMFILE and friends: leave the rest in the queue; the next
            // readiness event (a new connection) retries. A teaching server
            // would back off; this one is only run by the bench.
            Err(_) => return,
        };
        let _ = stream.set_nodelay(true);
        let id = *next_id;
        *next_id = next_id.wrapping_add(1) % (usize::MAX - 16);
        if poll
            .registry()
            .register(
                &mut stream,
                Token(id),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            continue;
        }
        let mut c = Conn {
            stream,
            pending: Vec::new(),
            pending_pos: 0,
        };
        if greeting {
            c.pending.extend_from_slice(GREETING.as_bytes());
            if flush(&mut c).is_err() {
                continue;
            }
        }
        summary.clients += 1;
        conns.insert(id, c);
    }
}

/// Writes pending bytes; Ok(true) when nothing is left.
fn flush(c: &mut Conn) -> io::Result<bool> {
    // Bounded: each turn writes something or returns.
    while c.pending_pos < c.pending.len() {
        match c.stream.write(&c.pending[c.pending_pos..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => c.pending_pos += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    c.pending.clear();
    c.pending_pos = 0;
    Ok(true)
}

// ANCHOR: reference_echo
/// Echoes what a ready connection has; returns bytes echoed, or an error
/// when the connection is finished.
fn service(c: &mut Conn, buf: &mut [u8]) -> io::Result<u64> {
    let mut echoed = 0u64;
    flush(c)?;
    // Bounded: stops at WouldBlock, EOF, an error, or a full pending buffer
    // (edge-triggered: the writable event that drains it brings us back).
    while c.pending.len() - c.pending_pos < MAX_PENDING {
        let n = match c.stream.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        echoed += n as u64;
        if c.pending_pos == c.pending.len() {
            // Nothing queued: write straight from the read buffer.
            let mut off = 0;
            while off < n {
                match c.stream.write(&buf[off..n]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(w) => off += w,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if off < n {
                c.pending.clear();
                c.pending_pos = 0;
                c.pending.extend_from_slice(&buf[off..n]);
            }
        } else {
            c.pending.extend_from_slice(&buf[..n]);
            flush(c)?;
        }
    }
    Ok(echoed)
}
// ANCHOR_END: reference_echo
