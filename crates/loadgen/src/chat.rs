//! `chat`: fan-out through lesson 08's chat room.
//!
//! Protocol (lesson 08): a client's first line is `NAME:<name>`, the server
//! answers `Welcome <name>` and tells everyone else `<name> joined`; a text
//! line from a client reaches every *other* client as `<name>: <text>`.
//!
//! The workload joins `clients` clients named `c0`, `c1`, ... (at most
//! [`JOIN_WINDOW`] waiting for their welcome at a time), then lets the first
//! `senders` of them send lines `m<id> t<nanoseconds>`: the id of the
//! message and the moment it was handed to the kernel, on this process's
//! monotonic clock. Every receiver parses the relayed line, so the delivery
//! latency is measured end to end without clock skew (sender and receivers
//! are the same process), and every message's deliveries are counted:
//! "every client gets every line" is checked, not assumed.
//!
//! Three modes:
//! - `one`: one message in flight; the next is sent when every other
//!   client has the previous one. Latency without queueing.
//! - `burst`: every sender writes all its lines at once; latency includes
//!   the queue that builds up in the server and in the sockets.
//! - `window`: every sender keeps [`ChatOpts::window`] lines in flight (a
//!   line is in flight until every other client has it) for the measured
//!   time: sustained throughput under a steady queue.
//!
//! All clients live in one `mio` event loop on one thread.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::net;
use crate::record::Record;
use crate::stats::Latencies;

/// How the senders pace their lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChatMode {
    /// One message in flight at a time.
    One,
    /// Every sender writes all its lines at once.
    Burst,
    /// Every sender keeps a window of lines in flight.
    Window,
}

impl ChatMode {
    /// The name used in results.
    pub fn name(self) -> &'static str {
        match self {
            ChatMode::One => "one",
            ChatMode::Burst => "burst",
            ChatMode::Window => "window",
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ChatOpts {
    /// Server address.
    pub addr: SocketAddr,
    /// Clients that join (at least 2).
    pub clients: usize,
    /// How many of them send.
    pub senders: usize,
    /// Lines each sender sends in the measured phase.
    pub messages: usize,
    /// Pacing.
    pub mode: ChatMode,
    /// Lines in flight per sender in `window` mode.
    pub window: usize,
    /// Time spent sending (and discarding the stats of) warm-up lines.
    pub warmup: Duration,
    /// In `one` mode, stop sending after this long even if not all lines
    /// were sent.
    pub duration: Duration,
    /// How long joining everyone may take.
    pub join_timeout: Duration,
    /// How long to wait without any new delivery before giving up on the
    /// missing ones.
    pub delivery_timeout: Duration,
    /// Label for the result line.
    pub target: String,
}

/// Clients waiting for their `Welcome` at a time during the join phase.
pub const JOIN_WINDOW: usize = 64;
/// Longest line a client keeps while waiting for its `\n`.
const MAX_LINE: usize = 64 * 1024;

struct Client {
    stream: TcpStream,
    partial: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    welcomed: bool,
    closed: bool,
}

/// The state of one run.
struct Room {
    poll: Poll,
    events: Events,
    clients: Vec<Client>,
    base: Instant,
    senders: usize,
    /// Deliveries per message id.
    delivered: Vec<u32>,
    /// Messages with an id at or above this are measured.
    measured_from: usize,
    /// `last[c * senders + s]`: the last message id client `c` got from
    /// sender `s` (ids grow, so a smaller one is a reorder or duplicate).
    last: Vec<u64>,
    lat: Latencies,
    joined: usize,
    disorder: u64,
    errors: u64,
    note: Option<String>,
    scratch: Vec<u8>,
}

/// Runs the workload and returns its record.
pub fn run(opts: &ChatOpts) -> Result<Record> {
    if opts.clients < 2 {
        bail!("--clients must be at least 2 (a line goes to every *other* client)");
    }
    let senders = opts.senders.clamp(1, opts.clients);
    net::raise_nofile(opts.clients as u64 + 64)?;
    let mut room = Room {
        poll: Poll::new()?,
        events: Events::with_capacity(4096),
        clients: Vec::with_capacity(opts.clients),
        base: Instant::now(),
        senders,
        delivered: Vec::new(),
        measured_from: 0,
        last: vec![0; opts.clients * senders],
        lat: Latencies::new(),
        joined: 0,
        disorder: 0,
        errors: 0,
        note: None,
        scratch: vec![0; 64 * 1024],
    };
    // Message ids start at 1 so `last` can start at 0.
    room.delivered.push(0);

    let join_started = Instant::now();
    room.join_all(opts)?;
    let join_secs = join_started.elapsed().as_secs_f64();

    // Warm-up: the same pacing, not counted.
    let warm_end = Instant::now() + opts.warmup;
    let mut turn = 0usize;
    while Instant::now() < warm_end {
        match opts.mode {
            ChatMode::One => room.one(turn % senders, opts)?,
            ChatMode::Burst => room.burst(opts.messages.min(10), opts)?,
            ChatMode::Window => room.window(opts, warm_end)?,
        }
        turn += 1;
        if turn > 1_000_000 {
            break;
        }
    }
    room.measured_from = room.delivered.len();
    room.lat.clear();

    let started = Instant::now();
    match opts.mode {
        ChatMode::One => {
            for turn in 0..senders * opts.messages {
                if started.elapsed() >= opts.duration {
                    break;
                }
                room.one(turn % senders, opts)?;
            }
        }
        ChatMode::Burst => room.burst(opts.messages, opts)?,
        ChatMode::Window => room.window(opts, started + opts.duration)?,
    }
    let secs = started.elapsed().as_secs_f64();

    let messages = (room.delivered.len() - room.measured_from) as u64;
    let expected = messages * (opts.clients as u64 - 1);
    let deliveries: u64 = room.delivered[room.measured_from..]
        .iter()
        .map(|&d| u64::from(d))
        .sum();
    let s = room.lat.summary();
    Ok(Record::new("chat", &opts.target)
        .int("clients", opts.clients as u64)
        .int("senders", senders as u64)
        .text("mode", opts.mode.name())
        .int(
            "window",
            if opts.mode == ChatMode::Window {
                opts.window as u64
            } else {
                1
            },
        )
        .int("messages", messages)
        .int("expected", expected)
        .int("deliveries", deliveries)
        .int("missing", expected.saturating_sub(deliveries))
        .int("disorder", room.disorder)
        .int("errors", room.errors)
        .float("join_secs", join_secs)
        .float("secs", secs)
        .float("deliveries_per_s", deliveries as f64 / secs.max(1e-9))
        .float("p50_us", s.p50_us)
        .float("p99_us", s.p99_us)
        .float("max_us", s.max_us)
        .text("note", room.note.as_deref().unwrap_or_default()))
}

impl Room {
    /// Connects everyone and waits for each `Welcome`.
    fn join_all(&mut self, opts: &ChatOpts) -> Result<()> {
        let deadline = Instant::now() + opts.join_timeout;
        // Bounded by `deadline`.
        while self.joined < opts.clients {
            while self.clients.len() < opts.clients
                && self.clients.len() - self.joined < JOIN_WINDOW
            {
                let i = self.clients.len();
                let s = net::connect(opts.addr, Duration::from_secs(5))
                    .with_context(|| format!("connect client {i} to {}", opts.addr))?;
                s.set_nonblocking(true)?;
                let mut stream = TcpStream::from_std(s);
                self.poll.registry().register(
                    &mut stream,
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                self.clients.push(Client {
                    stream,
                    partial: Vec::new(),
                    out: Vec::new(),
                    out_pos: 0,
                    welcomed: false,
                    closed: false,
                });
                self.send(i, format!("NAME:c{i}\n").as_bytes());
            }
            if Instant::now() >= deadline {
                bail!(
                    "only {} of {} clients joined within {:?}",
                    self.joined,
                    opts.clients,
                    opts.join_timeout
                );
            }
            self.pump(Duration::from_millis(50))?;
        }
        Ok(())
    }

    /// Sends one message from `sender` and waits until every other client
    /// has it (or no delivery happens for the delivery timeout).
    fn one(&mut self, sender: usize, opts: &ChatOpts) -> Result<()> {
        let id = self.new_id();
        let line = format!("m{id} t{}\n", self.now_ns());
        self.send(sender, line.as_bytes());
        self.wait_for(id..id + 1, opts)
    }

    /// Every sender writes `per_sender` lines at once; waits for all of them.
    fn burst(&mut self, per_sender: usize, opts: &ChatOpts) -> Result<()> {
        let first = self.delivered.len();
        for s in 0..self.senders {
            let mut buf = Vec::with_capacity(per_sender * 32);
            for _ in 0..per_sender {
                let id = self.new_id();
                buf.extend_from_slice(format!("m{id} t{}\n", self.now_ns()).as_bytes());
            }
            self.send(s, &buf);
        }
        let last = self.delivered.len();
        self.wait_for(first..last, opts)
    }

    /// Every sender keeps `opts.window` lines in flight until `until`, then
    /// waits for the last ones. Lines per second is the throughput a steady
    /// queue sustains.
    fn window(&mut self, opts: &ChatOpts, until: Instant) -> Result<()> {
        let want = (opts.clients - 1) as u32;
        let first = self.delivered.len();
        let mut in_flight: Vec<Vec<usize>> = vec![Vec::new(); self.senders];
        // Bounded by `until`, then by `wait_for`'s delivery timeout.
        while Instant::now() < until {
            for (s, ids) in in_flight.iter_mut().enumerate() {
                ids.retain(|&id| self.delivered[id] < want);
                let mut buf = Vec::new();
                while ids.len() < opts.window.max(1) {
                    let id = self.new_id();
                    buf.extend_from_slice(format!("m{id} t{}\n", self.now_ns()).as_bytes());
                    ids.push(id);
                }
                if !buf.is_empty() {
                    self.send(s, &buf);
                }
            }
            self.pump(Duration::from_millis(5))?;
        }
        let last = self.delivered.len();
        self.wait_for(first..last, opts)
    }

    /// Pumps events until every message in `ids` reached every other client,
    /// or nothing new arrived for `opts.delivery_timeout`.
    fn wait_for(&mut self, ids: std::ops::Range<usize>, opts: &ChatOpts) -> Result<()> {
        let want = (opts.clients - 1) as u32;
        let mut check_from = ids.start;
        let mut progress_at = Instant::now();
        let mut seen = 0u64;
        // Bounded: ends when complete, or after a quiet delivery timeout.
        loop {
            while check_from < ids.end && self.delivered[check_from] >= want {
                check_from += 1;
            }
            if check_from == ids.end {
                return Ok(());
            }
            let total: u64 = self.delivered[ids.clone()]
                .iter()
                .map(|&d| u64::from(d))
                .sum();
            if total != seen {
                seen = total;
                progress_at = Instant::now();
            } else if progress_at.elapsed() >= opts.delivery_timeout {
                self.note_once(&format!(
                    "gave up waiting: message {check_from} reached {} of {want} clients",
                    self.delivered[check_from]
                ));
                return Ok(());
            }
            self.pump(Duration::from_millis(20))?;
        }
    }

    fn new_id(&mut self) -> usize {
        self.delivered.push(0);
        self.delivered.len() - 1
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Queues bytes for client `i` and writes what the socket takes now.
    fn send(&mut self, i: usize, bytes: &[u8]) {
        let c = &mut self.clients[i];
        if c.out_pos == c.out.len() {
            c.out.clear();
            c.out_pos = 0;
        }
        c.out.extend_from_slice(bytes);
        self.flush(i);
    }

    fn flush(&mut self, i: usize) {
        let c = &mut self.clients[i];
        // Bounded: each turn writes something or stops.
        while c.out_pos < c.out.len() && !c.closed {
            match c.stream.write(&c.out[c.out_pos..]) {
                Ok(0) => break,
                Ok(n) => c.out_pos += n,
                Err(e) if net::would_block(&e) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    c.closed = true;
                    self.errors += 1;
                    let msg = format!("client c{i}: write: {e}");
                    self.note_once(&msg);
                    break;
                }
            }
        }
    }

    /// Waits for readiness once and handles every ready client.
    fn pump(&mut self, timeout: Duration) -> Result<()> {
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<(usize, bool)> = self
            .events
            .iter()
            .map(|ev| (ev.token().0, ev.is_writable()))
            .collect();
        for (i, writable) in ready {
            if i >= self.clients.len() {
                continue;
            }
            self.read_client(i);
            if writable {
                self.flush(i);
            }
        }
        Ok(())
    }

    /// Reads everything client `i` has and handles each whole line.
    fn read_client(&mut self, i: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        // Bounded: stops at WouldBlock, EOF or an error; each read consumes data.
        loop {
            if self.clients[i].closed {
                break;
            }
            match self.clients[i].stream.read(&mut scratch) {
                Ok(0) => {
                    self.clients[i].closed = true;
                    self.errors += 1;
                    self.note_once(&format!("server closed client c{i}"));
                    break;
                }
                Ok(n) => {
                    let now = self.now_ns();
                    self.lines(i, &scratch[..n], now);
                }
                Err(e) if net::would_block(&e) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.clients[i].closed = true;
                    self.errors += 1;
                    self.note_once(&format!("client c{i}: read: {e}"));
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    /// Splits `data` into lines for client `i` (keeping a partial last line).
    fn lines(&mut self, i: usize, data: &[u8], now: u64) {
        let mut rest = data;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let piece = &rest[..pos];
            rest = &rest[pos + 1..];
            if self.clients[i].partial.is_empty() {
                self.line(i, piece, now);
            } else {
                let mut whole = std::mem::take(&mut self.clients[i].partial);
                whole.extend_from_slice(piece);
                self.line(i, &whole, now);
            }
        }
        if !rest.is_empty() {
            let p = &mut self.clients[i].partial;
            if p.len() + rest.len() > MAX_LINE {
                p.clear();
                self.errors += 1;
                self.note_once(&format!("client c{i}: a line over {MAX_LINE} bytes"));
            } else {
                p.extend_from_slice(rest);
            }
        }
    }

    // ANCHOR: delivery
    /// Handles one line received by client `i`.
    fn line(&mut self, i: usize, line: &[u8], now: u64) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !self.clients[i].welcomed {
            if line == format!("Welcome c{i}").as_bytes() {
                self.clients[i].welcomed = true;
                self.joined += 1;
            } else if line.starts_with(b"error:") {
                self.errors += 1;
                let msg = format!("client c{i} got {}", String::from_utf8_lossy(line));
                self.note_once(&msg);
            }
            return;
        }
        if line.starts_with(b"error:") {
            self.errors += 1;
            let msg = format!("client c{i} got {}", String::from_utf8_lossy(line));
            self.note_once(&msg);
            return;
        }
        let Some((sender, id, sent)) = parse_relay(line) else {
            return; // `joined`, `left`, server console lines
        };
        if sender >= self.senders || id == 0 || id >= self.delivered.len() {
            self.errors += 1;
            self.note_once(&format!(
                "client c{i} got an unknown message: {}",
                String::from_utf8_lossy(line)
            ));
            return;
        }
        self.delivered[id] += 1;
        let last = &mut self.last[i * self.senders + sender];
        if (id as u64) <= *last {
            self.disorder += 1;
        }
        *last = id as u64;
        if id >= self.measured_from {
            self.lat
                .record(Duration::from_nanos(now.saturating_sub(sent)));
        }
    }
    // ANCHOR_END: delivery

    fn note_once(&mut self, what: &str) {
        self.note.get_or_insert_with(|| what.to_string());
    }
}

/// Parses a relayed line `c<sender>: m<id> t<ns>`.
pub fn parse_relay(line: &[u8]) -> Option<(usize, usize, u64)> {
    let line = std::str::from_utf8(line).ok()?;
    let (name, text) = line.split_once(": ")?;
    let sender = name.strip_prefix('c')?.parse().ok()?;
    let (m, t) = text.split_once(' ')?;
    let id = m.strip_prefix('m')?.parse().ok()?;
    let sent = t.strip_prefix('t')?.parse().ok()?;
    Some((sender, id, sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_lines_parse_and_others_do_not() {
        assert_eq!(parse_relay(b"c3: m17 t123456"), Some((3, 17, 123_456)));
        assert_eq!(parse_relay(b"c3 joined"), None);
        assert_eq!(parse_relay(b"Server: hello there"), None);
        assert_eq!(parse_relay(b"[private] c3: m1 t2"), None);
        assert_eq!(parse_relay(b"c3: m17"), None);
        assert_eq!(parse_relay(b"\xff: m1 t2"), None);
    }
}
