//! `echo`: N persistent connections, each with one request in flight.
//!
//! Each connection waits for the server's greeting (if one is expected),
//! then loops: write a request of `size` bytes ending in `\n`, read back
//! exactly as many bytes, check they match, record the round-trip time.
//! The connections are driven by `mio` event loops (one per `--threads`),
//! so the load generator itself costs the same few system calls per round
//! trip whatever design it measures.
//!
//! A server may answer the first line with something else than the
//! greeting (lesson 06's `server busy, try again later`) or say nothing at
//! all (a client queued behind busy workers): those connections are counted
//! as `rejected` and `starved`, not as errors, because that is the design's
//! honest behaviour.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::net::{self, FirstLine};
use crate::record::Record;
use crate::stats::Latencies;

/// What to run.
#[derive(Debug, Clone)]
pub struct EchoOpts {
    /// Server address.
    pub addr: SocketAddr,
    /// Persistent connections.
    pub conns: usize,
    /// Request size in bytes, `\n` included.
    pub size: usize,
    /// Round trips before this are not counted.
    pub warmup: Duration,
    /// Measured time after the warm-up.
    pub duration: Duration,
    /// The first line the server sends (`Hello client`), if any.
    pub greeting: Option<String>,
    /// Event-loop threads sharing the connections.
    pub threads: usize,
    /// Label for the result line.
    pub target: String,
}

/// Where a connection is in its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the server's first line.
    Greeting,
    /// Writing the request.
    Sending,
    /// Reading the echo.
    Waiting,
    /// The server sent something else than the greeting, or closed.
    Rejected,
    /// Wrong bytes, a reset, an unexpected close.
    Failed,
}

struct Conn {
    stream: TcpStream,
    state: State,
    request: Vec<u8>,
    buf: Vec<u8>,
    got: usize,
    written: usize,
    sent_at: Instant,
    /// The greeting arrived (or none was expected).
    served: bool,
}

/// What one event-loop thread counted.
#[derive(Default)]
struct Tally {
    round_trips: u64,
    lat: Latencies,
    served: u64,
    rejected: u64,
    starved: u64,
    failed: u64,
    /// The first rejection line or failure, to explain the counts.
    note: Option<String>,
}

/// Longest greeting or rejection line accepted.
const MAX_GREETING: usize = 512;

/// Runs the workload and returns its record.
pub fn run(opts: &EchoOpts) -> Result<Record> {
    if opts.conns == 0 || opts.threads == 0 {
        bail!("--conns and --threads must be at least 1");
    }
    net::raise_nofile(opts.conns as u64 + 64)?;
    // Connect everyone first (serially: this is not what is measured).
    let mut groups: Vec<Vec<(usize, std::net::TcpStream)>> =
        (0..opts.threads).map(|_| Vec::new()).collect();
    let mut connect_errors = 0u64;
    let mut first_connect_error = None;
    for id in 0..opts.conns {
        match net::connect(opts.addr, Duration::from_secs(5)) {
            Ok(s) => groups[id % opts.threads].push((id, s)),
            Err(e) => {
                connect_errors += 1;
                first_connect_error.get_or_insert_with(|| format!("connect: {e}"));
            }
        }
    }
    if connect_errors == opts.conns as u64 {
        bail!(
            "no connection to {} succeeded: {}",
            opts.addr,
            first_connect_error.unwrap_or_default()
        );
    }
    let start = Instant::now();
    let warm_end = start + opts.warmup;
    let end = warm_end + opts.duration;
    let handles: Vec<_> = groups
        .into_iter()
        .map(|g| {
            let opts = opts.clone();
            thread::spawn(move || event_loop(g, &opts, warm_end, end))
        })
        .collect();
    let mut total = Tally::default();
    for h in handles {
        let t = match h.join() {
            Ok(r) => r?,
            Err(_) => bail!("an event-loop thread panicked"),
        };
        total.round_trips += t.round_trips;
        total.lat.merge(t.lat);
        total.served += t.served;
        total.rejected += t.rejected;
        total.starved += t.starved;
        total.failed += t.failed;
        if total.note.is_none() {
            total.note = t.note;
        }
    }
    let secs = opts.duration.as_secs_f64();
    let s = total.lat.summary();
    let note = total.note.or(first_connect_error).unwrap_or_default();
    Ok(Record::new("echo", &opts.target)
        .int("conns", opts.conns as u64)
        .int("size", opts.size as u64)
        .int("served", total.served)
        .int("rejected", total.rejected)
        .int("starved", total.starved)
        .int("failed", total.failed + connect_errors)
        .int("round_trips", total.round_trips)
        .float("secs", secs)
        .float("rt_per_s", total.round_trips as f64 / secs)
        .float("p50_us", s.p50_us)
        .float("p99_us", s.p99_us)
        .float("max_us", s.max_us)
        .text("note", &note))
}

/// Drives one group of connections until `end`.
fn event_loop(
    group: Vec<(usize, std::net::TcpStream)>,
    opts: &EchoOpts,
    warm_end: Instant,
    end: Instant,
) -> Result<Tally> {
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(group.len());
    for (i, (id, s)) in group.into_iter().enumerate() {
        s.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(s);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let state = if opts.greeting.is_some() {
            State::Greeting
        } else {
            State::Sending
        };
        conns.push(Conn {
            stream,
            state,
            request: net::request(id, opts.size),
            buf: vec![0; opts.size.max(MAX_GREETING)],
            got: 0,
            written: 0,
            sent_at: Instant::now(),
            served: opts.greeting.is_none(),
        });
    }
    let mut tally = Tally::default();
    let mut events = Events::with_capacity(1024);
    // Start every connection that does not wait for a greeting.
    for c in conns.iter_mut() {
        drive(c, opts, warm_end, &mut tally);
    }
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
        if events.is_empty() {
            // Nothing for 100 ms: look at everyone once, in case a
            // readiness edge was missed.
            for c in conns.iter_mut() {
                drive(c, opts, warm_end, &mut tally);
            }
        }
        for ev in events.iter() {
            if let Some(c) = conns.get_mut(ev.token().0) {
                drive(c, opts, warm_end, &mut tally);
            }
        }
    }
    for c in &conns {
        match c.state {
            State::Greeting => tally.starved += 1,
            State::Rejected => tally.rejected += 1,
            State::Failed => tally.failed += 1,
            State::Sending | State::Waiting => {}
        }
        if c.served {
            tally.served += 1;
        }
    }
    Ok(tally)
}

/// Moves one connection forward until it would block.
fn drive(c: &mut Conn, opts: &EchoOpts, warm_end: Instant, tally: &mut Tally) {
    // Bounded: each turn either changes state, makes progress, or returns.
    for _ in 0..64 {
        match c.state {
            State::Rejected | State::Failed => return,
            State::Greeting => match c.stream.read(&mut c.buf[c.got..MAX_GREETING]) {
                Ok(0) => {
                    c.state = State::Rejected;
                    note(tally, "closed before the greeting");
                    return;
                }
                Ok(n) => {
                    c.got += n;
                    match net::first_line(&c.buf[..c.got], MAX_GREETING) {
                        FirstLine::Partial => {}
                        FirstLine::TooLong => {
                            c.state = State::Failed;
                            note(tally, "first line too long");
                            return;
                        }
                        FirstLine::Line { line, extra } => {
                            let expected = opts.greeting.as_deref().unwrap_or_default();
                            if line == expected && extra == 0 {
                                c.served = true;
                                c.got = 0;
                                c.state = State::Sending;
                            } else {
                                c.state = State::Rejected;
                                note(tally, &format!("first line: {line}"));
                                return;
                            }
                        }
                    }
                }
                Err(e) if net::would_block(&e) => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    c.state = State::Rejected;
                    note(tally, &format!("before the greeting: {e}"));
                    return;
                }
            },
            // ANCHOR: round_trip
            State::Sending => {
                if c.written == 0 {
                    c.sent_at = Instant::now();
                }
                match c.stream.write(&c.request[c.written..]) {
                    Ok(n) => {
                        c.written += n;
                        if c.written == c.request.len() {
                            c.written = 0;
                            c.state = State::Waiting;
                            // The reply cannot be here yet: wait for its
                            // readiness event instead of a read that would
                            // only return EAGAIN.
                            return;
                        }
                    }
                    Err(e) if net::would_block(&e) => return,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        c.state = State::Failed;
                        note(tally, &format!("write: {e}"));
                        return;
                    }
                }
            }
            State::Waiting => match c.stream.read(&mut c.buf[c.got..opts.size.max(1)]) {
                Ok(0) => {
                    c.state = State::Failed;
                    note(tally, "server closed mid-request");
                    return;
                }
                Ok(n) => {
                    c.got += n;
                    if c.got == c.request.len() {
                        if c.buf[..c.got] != c.request[..] {
                            c.state = State::Failed;
                            note(tally, "echo differs from the request");
                            return;
                        }
                        let now = Instant::now();
                        if now >= warm_end {
                            tally.round_trips += 1;
                            tally.lat.record(now - c.sent_at);
                        }
                        c.got = 0;
                        c.state = State::Sending;
                    }
                }
                Err(e) if net::would_block(&e) => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    c.state = State::Failed;
                    note(tally, &format!("read: {e}"));
                    return;
                }
            },
            // ANCHOR_END: round_trip
        }
    }
}

fn note(tally: &mut Tally, what: &str) {
    tally.note.get_or_insert_with(|| what.to_string());
}
