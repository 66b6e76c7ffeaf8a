//! `connect`: short connections, N clients at a time.
//!
//! Each client connects, reads the greeting (if one is expected), sends one
//! request, reads the echo and closes; then it starts over at once. What is
//! counted is whole connections per second, and the time each one took from
//! `connect()` to the echo.
//!
//! This is the workload where the cost of *starting* to serve a client
//! shows: a thread per connection pays a thread creation (stack mapping,
//! scheduler entry) every time; a pool hands the socket to a thread that
//! already exists.
//!
//! Closing first puts the client side in TIME_WAIT. On loopback, Linux's
//! default `net.ipv4.tcp_tw_reuse = 2` lets new connections reuse those
//! ports, so tens of thousands of connections per second do not run out of
//! ephemeral ports.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::net::{self, FirstLine};
use crate::record::Record;
use crate::stats::Latencies;

/// What to run.
#[derive(Debug, Clone)]
pub struct ConnectOpts {
    /// Server address.
    pub addr: SocketAddr,
    /// Clients connecting at the same time.
    pub clients: usize,
    /// Request size in bytes, `\n` included.
    pub size: usize,
    /// Connections before this are not counted.
    pub warmup: Duration,
    /// Measured time after the warm-up.
    pub duration: Duration,
    /// The first line the server sends, if any.
    pub greeting: Option<String>,
    /// Label for the result line.
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Connecting,
    Greeting,
    Sending,
    Waiting,
}

struct Slot {
    stream: TcpStream,
    state: State,
    /// Changes with every new connection in this slot, so a readiness event
    /// left over from the previous socket is recognised and ignored.
    generation: usize,
    started: Instant,
    buf: Vec<u8>,
    got: usize,
    written: usize,
}

#[derive(Default)]
struct Tally {
    completed: u64,
    lat: Latencies,
    rejected: u64,
    failed: u64,
    note: Option<String>,
}

const MAX_GREETING: usize = 512;
/// Slot index in the low bits of a token, generation above.
const SLOT_BITS: usize = 20;

/// Runs the workload and returns its record.
pub fn run(opts: &ConnectOpts) -> Result<Record> {
    if opts.clients == 0 || opts.clients >= 1 << SLOT_BITS {
        bail!("--clients must be between 1 and {}", (1 << SLOT_BITS) - 1);
    }
    net::raise_nofile(opts.clients as u64 + 64)?;
    let mut poll = Poll::new()?;
    let request = net::request(7, opts.size);
    let mut slots = Vec::with_capacity(opts.clients);
    for i in 0..opts.clients {
        slots.push(open(&poll, i, 0, opts)?);
    }
    let start = Instant::now();
    let warm_end = start + opts.warmup;
    let end = warm_end + opts.duration;
    let mut tally = Tally::default();
    let mut events = Events::with_capacity(1024);
    // Bounded: every turn waits at most until `end`.
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let wait = (end - now).min(Duration::from_millis(100));
        if let Err(e) = poll.poll(&mut events, Some(wait)) {
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        let ready: Vec<usize> = if events.is_empty() {
            // A quiet 100 ms: look at every slot once.
            (0..slots.len()).collect()
        } else {
            events
                .iter()
                .filter_map(|ev| {
                    let i = ev.token().0 & ((1 << SLOT_BITS) - 1);
                    let generation = ev.token().0 >> SLOT_BITS;
                    (slots.get(i)?.generation == generation).then_some(i)
                })
                .collect()
        };
        for i in ready {
            let done = drive(&mut slots[i], opts, &request, warm_end, &mut tally);
            if done {
                // Close (drop) and start the next connection in this slot.
                let generation = (slots[i].generation + 1) % (1 << 10);
                match open(&poll, i, generation, opts) {
                    Ok(s) => slots[i] = s,
                    Err(e) => {
                        tally.failed += 1;
                        note(&mut tally, &format!("connect: {e}"));
                        if tally.failed > 10_000 {
                            bail!("connect keeps failing: {e}");
                        }
                    }
                }
            }
        }
    }
    let secs = opts.duration.as_secs_f64();
    let s = tally.lat.summary();
    Ok(Record::new("connect", &opts.target)
        .int("clients", opts.clients as u64)
        .int("size", opts.size as u64)
        .int("connections", tally.completed)
        .int("rejected", tally.rejected)
        .int("failed", tally.failed)
        .float("secs", secs)
        .float("conns_per_s", tally.completed as f64 / secs)
        .float("p50_us", s.p50_us)
        .float("p99_us", s.p99_us)
        .float("max_us", s.max_us)
        .text("note", tally.note.as_deref().unwrap_or_default()))
}

/// Starts a non-blocking connection in slot `i`.
fn open(poll: &Poll, i: usize, generation: usize, opts: &ConnectOpts) -> std::io::Result<Slot> {
    let mut stream = TcpStream::connect(opts.addr)?;
    stream.set_nodelay(true)?;
    poll.registry().register(
        &mut stream,
        Token(i | (generation << SLOT_BITS)),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    Ok(Slot {
        stream,
        state: State::Connecting,
        generation,
        started: Instant::now(),
        buf: vec![0; MAX_GREETING.max(opts.size)],
        got: 0,
        written: 0,
    })
}

/// Moves a slot forward; true when its connection is finished (served,
/// rejected or failed) and the slot should start a new one.
fn drive(
    s: &mut Slot,
    opts: &ConnectOpts,
    request: &[u8],
    warm_end: Instant,
    tally: &mut Tally,
) -> bool {
    for _ in 0..64 {
        match s.state {
            State::Connecting => {
                match s.stream.take_error() {
                    Ok(None) => {}
                    Ok(Some(e)) | Err(e) => {
                        tally.failed += 1;
                        note(tally, &format!("connect: {e}"));
                        return true;
                    }
                }
                match s.stream.peer_addr() {
                    Ok(_) => {
                        s.state = if opts.greeting.is_some() {
                            State::Greeting
                        } else {
                            State::Sending
                        };
                    }
                    // Still in progress: wait for writability.
                    Err(e) if e.kind() == std::io::ErrorKind::NotConnected => return false,
                    Err(e) => {
                        tally.failed += 1;
                        note(tally, &format!("connect: {e}"));
                        return true;
                    }
                }
            }
            State::Greeting => match s.stream.read(&mut s.buf[s.got..MAX_GREETING]) {
                Ok(0) => {
                    tally.rejected += 1;
                    note(tally, "closed before the greeting");
                    return true;
                }
                Ok(n) => {
                    s.got += n;
                    match net::first_line(&s.buf[..s.got], MAX_GREETING) {
                        FirstLine::Partial => {}
                        FirstLine::TooLong => {
                            tally.failed += 1;
                            note(tally, "first line too long");
                            return true;
                        }
                        FirstLine::Line { line, extra } => {
                            if Some(line.as_str()) == opts.greeting.as_deref() && extra == 0 {
                                s.got = 0;
                                s.state = State::Sending;
                            } else {
                                tally.rejected += 1;
                                note(tally, &format!("first line: {line}"));
                                return true;
                            }
                        }
                    }
                }
                Err(e) if net::would_block(&e) => return false,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tally.failed += 1;
                    note(tally, &format!("read: {e}"));
                    return true;
                }
            },
            State::Sending => match s.stream.write(&request[s.written..]) {
                Ok(n) => {
                    s.written += n;
                    if s.written == request.len() {
                        s.state = State::Waiting;
                        return false;
                    }
                }
                Err(e) if net::would_block(&e) => return false,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tally.failed += 1;
                    note(tally, &format!("write: {e}"));
                    return true;
                }
            },
            State::Waiting => match s.stream.read(&mut s.buf[s.got..request.len()]) {
                Ok(0) => {
                    tally.failed += 1;
                    note(tally, "server closed mid-request");
                    return true;
                }
                Ok(n) => {
                    s.got += n;
                    if s.got == request.len() {
                        if s.buf[..s.got] != *request {
                            tally.failed += 1;
                            note(tally, "echo differs from the request");
                        } else {
                            let now = Instant::now();
                            if now >= warm_end {
                                tally.completed += 1;
                                tally.lat.record(now - s.started);
                            }
                        }
                        return true;
                    }
                }
                Err(e) if net::would_block(&e) => return false,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tally.failed += 1;
                    note(tally, &format!("read: {e}"));
                    return true;
                }
            },
        }
    }
    false
}

fn note(tally: &mut Tally, what: &str) {
    tally.note.get_or_insert_with(|| what.to_string());
}
