//! The chat server: one thread, one readiness loop, every socket non-blocking.
//!
//! The loop asks the kernel (epoll, through `mio`) "which of my sockets can
//! make progress?", does only the work that cannot block, and goes back to
//! waiting. Each client has a line buffer for what it sent and a write buffer
//! for what it is owed, so a slow or silent client costs memory (bounded),
//! never time for the others.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{Shutdown as Half, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use common::text::strip_controls;
use common::{LineBuffer, LineError, Shutdown, errln, outln};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::console::{self, ConsoleEvent};
use crate::outbuf::{OutBuf, Overflow};
use crate::protocol::{self, Hello, MAX_LINE, Request};

/// The listening socket's token. Clients use their slot number as token, so
/// these two sit at the far end of the range where no slot reaches.
const LISTENER: Token = Token(usize::MAX - 1);
/// The token of the waker that the console thread and the signal handler use.
const WAKER: Token = Token(usize::MAX - 2);
/// How much one `read` takes. A line is at most 4 KiB, so 8 KiB holds at
/// least one whole line, often many.
const READ_CHUNK: usize = 8 * 1024;
/// Reads one client may do per turn of the loop before the others get
/// theirs. Without a budget a client that sends without pause could keep
/// the loop reading its socket forever.
const READS_PER_TURN: usize = 8;
/// How often idle clients and lingering closes are checked.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// First pause of the listener after running out of descriptors; doubles up
/// to [`MAX_ACCEPT_PAUSE`].
const MIN_ACCEPT_PAUSE: Duration = Duration::from_millis(20);
/// Longest pause of the listener while out of descriptors.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_millis(500);
/// How long shutdown waits for `server shutting down` to reach everyone.
const FINAL_FLUSH: Duration = Duration::from_millis(1000);

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// A client that sends nothing for this long is disconnected.
    pub idle_timeout: Duration,
    /// The most unsent output a client may have queued (1 MiB by default).
    pub max_output: usize,
    /// How long a leaving client gets to read its last lines and close its
    /// side before the server closes the socket anyway.
    pub linger: Duration,
    /// No log line per join, leave and message.
    pub quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout: Duration::from_secs(300),
            max_output: crate::outbuf::DEFAULT_CAP,
            linger: Duration::from_secs(2),
            quiet: false,
        }
    }
}

/// What the server did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub clients: u64,
    /// The most connections open at once.
    pub peak: usize,
    /// Chat lines relayed (public and private).
    pub messages: u64,
    /// Clients disconnected for not reading their output.
    pub slow_dropped: u64,
}

/// Why a client is being closed at once.
#[derive(Debug)]
enum Gone {
    /// It closed its side, or finished leaving.
    Closed,
    /// The connection broke (reset, broken pipe).
    Broken(io::Error),
    /// Its unsent output passed the cap: it stopped reading.
    NotReading,
    /// It was leaving and did not close within the linger time.
    LingerExpired,
}

/// One connected client.
struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    /// `None` until a valid `NAME:` line; only named clients are in the room.
    name: Option<String>,
    /// What the client sent that is not yet a whole line.
    input: LineBuffer,
    /// What the server owes the client.
    output: OutBuf,
    /// Whether WRITABLE interest is registered. It is only while output is
    /// pending: a socket with room in its send buffer is *always* writable,
    /// so permanent interest would wake the loop for nothing.
    wants_write: bool,
    /// Already in the dirty list (output queued since the last flush).
    dirty: bool,
    /// When the client last sent anything, for the idle timeout.
    last_heard: Instant,
    /// Set when the client is leaving: the time by which its socket is
    /// closed even if the client has not closed its side.
    leaving: Option<Instant>,
    /// Our side of the connection is shut down (FIN sent).
    write_shut: bool,
}

/// The room: every client and the lists the loop works through.
struct Room {
    poll: Poll,
    config: Config,
    /// Clients by slot; a slot's index is the client's token.
    slots: Vec<Option<Client>>,
    /// Free slots, reused before the vector grows.
    free: Vec<usize>,
    /// Name -> slot, for `/msg`, `/who` and taken names.
    names: HashMap<String, usize>,
    /// Clients with output queued since the last flush.
    dirty: Vec<usize>,
    /// Clients whose read budget ran out before `WouldBlock`: epoll will not
    /// report them again (edge-triggered), so the loop must come back.
    backlog: Vec<usize>,
    /// Clients to close once the current step is over (closing while a
    /// broadcast walks the slots is not possible).
    doomed: Vec<(usize, Gone)>,
    /// Connections open now.
    open: usize,
    summary: Summary,
}

// ANCHOR: serve
/// Runs the chat on an already bound listener until `shutdown` is triggered
/// or the console says `QUIT`. `console` is the server's stdin (tests pass a
/// pipe, or `None`).
pub fn serve(
    listener: std::net::TcpListener,
    shutdown: &Shutdown,
    config: &Config,
    console: Option<Box<dyn Read + Send>>,
) -> Result<Summary> {
    listener
        .set_nonblocking(true)
        .context("set listener non-blocking")?;
    let mut listener = TcpListener::from_std(listener);
    let poll = Poll::new().context("create epoll instance")?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .context("register listener")?;
    // Signals and the console thread wake the loop through this.
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).context("create waker")?);
    let _wake_on_signal = shutdown.on_trigger({
        let waker = Arc::clone(&waker);
        move || {
            let _ = waker.wake();
        }
    });
    let console = match console {
        Some(input) => {
            Some(console::spawn(input, Arc::clone(&waker)).context("start console thread")?)
        }
        None => None,
    };
    let mut room = Room::new(poll, config.clone());
    room.run(&mut listener, shutdown, console.as_ref())?;
    Ok(room.summary)
}
// ANCHOR_END: serve

impl Room {
    fn new(poll: Poll, config: Config) -> Self {
        Room {
            poll,
            config,
            slots: Vec::new(),
            free: Vec::new(),
            names: HashMap::new(),
            dirty: Vec::new(),
            backlog: Vec::new(),
            doomed: Vec::new(),
            open: 0,
            summary: Summary::default(),
        }
    }

    // ANCHOR: event_loop
    /// The readiness loop.
    fn run(
        &mut self,
        listener: &mut TcpListener,
        shutdown: &Shutdown,
        console: Option<&Receiver<ConsoleEvent>>,
    ) -> Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut accept = AcceptState::default();
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            // Sleep until something is ready, the next sweep is due, or the
            // listener's pause ends; not at all if a client has unread input.
            let now = Instant::now();
            let mut wake_at = next_sweep;
            if let Some(until) = accept.paused_until {
                wake_at = wake_at.min(until);
            }
            let timeout = if self.backlog.is_empty() {
                wake_at.saturating_duration_since(now)
            } else {
                Duration::ZERO
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => events.clear(),
                Err(e) => return Err(e).context("epoll_wait"),
            }
            if shutdown.is_triggered() {
                break;
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(listener, &mut accept),
                    WAKER => {} // the console channel is checked below
                    Token(id) => {
                        if event.is_writable() || event.is_write_closed() || event.is_error() {
                            self.flush(id);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.read_from(id);
                        }
                    }
                }
                self.settle();
            }
            for id in std::mem::take(&mut self.backlog) {
                self.read_from(id);
                self.settle();
            }
            if let Some(console) = console
                && self.console(console)
            {
                break; // QUIT
            }
            let now = Instant::now();
            if now >= next_sweep {
                self.sweep(now);
                next_sweep = now + SWEEP_EVERY;
            }
            if accept.paused_until.is_some_and(|t| now >= t) {
                accept.resume(listener, self.poll.registry());
                self.accept_all(listener, &mut accept);
            }
            self.settle();
            self.flush_dirty();
        }
        self.close_all();
        Ok(())
    }
    // ANCHOR_END: event_loop

    /// Closes the doomed clients and flushes what their leaving queued,
    /// until nothing more happens (a `left` line can overflow another slow
    /// client, which then leaves too).
    fn settle(&mut self) {
        while let Some((id, why)) = self.doomed.pop() {
            self.close_now(id, why);
        }
    }

    // ANCHOR: accept
    /// Accepts every pending connection (the listener is edge-triggered: it
    /// will not be reported again until a new one arrives).
    fn accept_all(&mut self, listener: &mut TcpListener, state: &mut AcceptState) {
        if state.paused_until.is_some() {
            return;
        }
        loop {
            match listener.accept() {
                Ok((stream, peer)) => {
                    state.recovered();
                    self.add(stream, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if common::accept::is_transient(&e) && !is_exhaustion(&e) => continue,
                Err(e) => {
                    // Out of descriptors (EMFILE), or worse. The connection
                    // stays in the kernel's queue; stop listening for a
                    // moment instead of being told about it again and again.
                    // Leaving clients free descriptors meanwhile.
                    state.pause(listener, self.poll.registry(), &e);
                    return;
                }
            }
        }
    }
    // ANCHOR_END: accept

    /// Takes a new connection into the room (not yet named).
    fn add(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        // Chat lines are small and must go out at once, not wait to be
        // merged with the next one (Nagle's algorithm).
        let _ = stream.set_nodelay(true);
        let id = self.free.pop().unwrap_or(self.slots.len());
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut stream, Token(id), Interest::READABLE)
        {
            errln!("register {peer}: {e}");
            self.free.push(id);
            return;
        }
        let client = Client {
            stream,
            peer,
            name: None,
            input: LineBuffer::new(MAX_LINE),
            output: OutBuf::new(self.config.max_output),
            wants_write: false,
            dirty: false,
            last_heard: Instant::now(),
            leaving: None,
            write_shut: false,
        };
        if id == self.slots.len() {
            self.slots.push(Some(client));
        } else {
            self.slots[id] = Some(client);
        }
        self.open += 1;
        self.summary.clients += 1;
        self.summary.peak = self.summary.peak.max(self.open);
    }

    // ANCHOR: read_from
    /// Reads what client `id` sent, until `WouldBlock` or its budget for
    /// this turn runs out, and handles each complete line.
    fn read_from(&mut self, id: usize) {
        let mut chunk = [0u8; READ_CHUNK];
        for _ in 0..READS_PER_TURN {
            let Some(c) = self.slots.get_mut(id).and_then(Option::as_mut) else {
                return;
            };
            match c.stream.read(&mut chunk) {
                // EOF: the client has nothing more to say, but it may still
                // be reading (a client on a pipe half-closes after its last
                // line). If it is owed output (its `Welcome`, the echo of
                // its last lines), leave in order so that output is sent
                // before we close; otherwise close now.
                Ok(0) if c.leaving.is_none() && !c.output.is_empty() => {
                    self.leave(id, "closed the connection");
                    return;
                }
                Ok(0) => {
                    self.doomed.push((id, Gone::Closed));
                    return;
                }
                // A leaving client's input is read and thrown away, so our
                // close is a clean FIN, not a reset that could destroy the
                // last lines (`error: line too long`) before it reads them.
                Ok(_) if c.leaving.is_some() => {}
                Ok(n) => {
                    c.last_heard = Instant::now();
                    c.input.push(&chunk[..n]);
                    self.handle_lines(id);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.doomed.push((id, Gone::Broken(e)));
                    return;
                }
            }
        }
        self.backlog.push(id);
    }
    // ANCHOR_END: read_from

    /// Handles every complete line client `id` has sent so far.
    fn handle_lines(&mut self, id: usize) {
        loop {
            let Some(c) = self.slots.get_mut(id).and_then(Option::as_mut) else {
                return;
            };
            if c.leaving.is_some() {
                return;
            }
            match c.input.next_line() {
                Ok(Some(line)) => self.handle_line(id, &line),
                Ok(None) => return,
                Err(
                    LineError::TooLong { .. } | LineError::UnexpectedEof { .. } | LineError::Io(_),
                ) => {
                    self.send(id, b"error: line too long");
                    self.leave(id, "sent a line over 4096 bytes");
                    return;
                }
            }
        }
    }

    // ANCHOR: handle_line
    /// Acts on one line from client `id`.
    fn handle_line(&mut self, id: usize, line: &[u8]) {
        let Some(c) = self.slots[id].as_ref() else {
            return;
        };
        let Some(name) = c.name.clone() else {
            return self.join(id, line);
        };
        // Nobody gets to put escape sequences on other people's terminals.
        let text = strip_controls(line);
        match protocol::parse(&text) {
            Request::Say(text) => {
                if !self.config.quiet {
                    outln!("{name}: {text}");
                }
                self.summary.messages += 1;
                self.broadcast(Some(id), format!("{name}: {text}").as_bytes());
            }
            Request::Msg { to, text } => match self.names.get(to) {
                Some(&to_id) => {
                    if !self.config.quiet {
                        outln!("{name} -> {to}: (private message)");
                    }
                    self.summary.messages += 1;
                    self.send(to_id, format!("[private] {name}: {text}").as_bytes());
                }
                None => self.send(id, format!("error: no user named {to}").as_bytes()),
            },
            Request::Who => {
                let who = protocol::who_line(self.names.keys().map(String::as_str));
                self.send(id, who.as_bytes());
            }
            Request::Quit => self.leave(id, "quit"),
            Request::Nothing => {}
            Request::Invalid(error) => self.send(id, error.as_bytes()),
        }
    }
    // ANCHOR_END: handle_line

    // ANCHOR: join
    /// The name handshake, one line at a time. The original read the name
    /// with a blocking `recv` inside its `select` loop, so one client that
    /// connected and said nothing froze the whole room. Here a client
    /// without a name is just a client whose lines mean something else.
    fn join(&mut self, id: usize, line: &[u8]) {
        let Some(peer) = self.slots[id].as_ref().map(|c| c.peer) else {
            return;
        };
        let name = match protocol::parse_hello(line) {
            Hello::Anonymous => peer.to_string(),
            Hello::Name(name) => match protocol::check_name(name) {
                Ok(()) => name.to_string(),
                Err(why) => return self.send(id, format!("error: {why}").as_bytes()),
            },
            Hello::Refused(why) => return self.send(id, format!("error: {why}").as_bytes()),
        };
        if self.names.contains_key(&name) {
            return self.send(id, format!("error: the name {name} is taken").as_bytes());
        }
        if !self.config.quiet {
            outln!("{name} joined from {peer}");
        }
        if let Some(c) = self.slots[id].as_mut() {
            c.name = Some(name.clone());
        }
        self.names.insert(name.clone(), id);
        self.send(id, format!("Welcome {name}").as_bytes());
        self.broadcast(Some(id), format!("{name} joined").as_bytes());
    }
    // ANCHOR_END: join

    // ANCHOR: broadcast
    /// Queues `line` for every named client except `except`. One formatted
    /// line, one copy into each recipient's buffer; the writes happen later,
    /// once per client per turn of the loop, however many lines it got.
    fn broadcast(&mut self, except: Option<usize>, line: &[u8]) {
        let Room {
            slots,
            dirty,
            doomed,
            ..
        } = self;
        for (id, slot) in slots.iter_mut().enumerate() {
            let Some(c) = slot else { continue };
            if Some(id) == except || c.name.is_none() || c.leaving.is_some() {
                continue;
            }
            queue(c, id, line, dirty, doomed);
        }
    }
    // ANCHOR_END: broadcast

    /// Queues `line` for client `id`.
    fn send(&mut self, id: usize, line: &[u8]) {
        if let Some(c) = self.slots[id].as_mut() {
            queue(c, id, line, &mut self.dirty, &mut self.doomed);
        }
    }

    /// Starts an orderly leave: the client is out of the room at once (the
    /// others see `<name> left`), its last output is still sent, then our
    /// side is shut down and the socket closed when the client closes its
    /// side or after the linger time.
    fn leave(&mut self, id: usize, why: &str) {
        let Some(c) = self.slots[id].as_mut() else {
            return;
        };
        c.leaving = Some(Instant::now() + self.config.linger);
        let name = c.name.take();
        let peer = c.peer;
        if !c.dirty {
            // Nothing queued: flush now so the FIN goes out.
            c.dirty = true;
            self.dirty.push(id);
        }
        self.announce_left(name, peer, why);
    }

    /// Closes client `id` at once.
    fn close_now(&mut self, id: usize, why: Gone) {
        let Some(mut c) = self.slots.get_mut(id).and_then(Option::take) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut c.stream);
        if matches!(why, Gone::NotReading) {
            // Its queue is full and so are the kernel's buffers: do not let
            // the kernel keep trying to deliver them. SO_LINGER 0 makes the
            // close a reset, which frees that memory at once.
            let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
            self.summary.slow_dropped += 1;
        }
        self.free.push(id);
        self.open -= 1;
        let why = match why {
            Gone::Closed => "closed the connection".to_string(),
            Gone::Broken(e) => format!("connection lost: {e}"),
            Gone::NotReading => format!(
                "dropped: not reading (over {} bytes of output pending)",
                self.config.max_output
            ),
            Gone::LingerExpired => "did not close in time".to_string(),
        };
        self.announce_left(c.name.take(), c.peer, &why);
    }

    /// Takes a name out of the room and tells the others.
    fn announce_left(&mut self, name: Option<String>, peer: SocketAddr, why: &str) {
        let Some(name) = name else { return };
        self.names.remove(&name);
        if !self.config.quiet {
            outln!("{name} left from {peer} ({why})");
        }
        self.broadcast(None, format!("{name} left").as_bytes());
    }

    // ANCHOR: flush
    /// Writes what client `id` is owed until done or `WouldBlock`, and keeps
    /// its WRITABLE interest registered exactly while output is pending.
    fn flush(&mut self, id: usize) {
        let Some(c) = self.slots.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let drained = match c.output.flush_to(&mut c.stream) {
            Ok(drained) => drained,
            Err(e) => return self.doomed.push((id, Gone::Broken(e))),
        };
        if drained == c.wants_write {
            let interest = if drained {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            if let Err(e) = self
                .poll
                .registry()
                .reregister(&mut c.stream, Token(id), interest)
            {
                return self.doomed.push((id, Gone::Broken(e)));
            }
            c.wants_write = !drained;
        }
        if drained && c.leaving.is_some() && !c.write_shut {
            // Everything is sent: FIN. The client reads its last lines, sees
            // EOF and closes; our read of its EOF then closes the socket.
            let _ = c.stream.shutdown(Half::Write);
            c.write_shut = true;
        }
    }
    // ANCHOR_END: flush

    /// Flushes every client that got output since the last flush.
    fn flush_dirty(&mut self) {
        while !self.dirty.is_empty() {
            for id in std::mem::take(&mut self.dirty) {
                if let Some(c) = self.slots.get_mut(id).and_then(Option::as_mut) {
                    c.dirty = false;
                    self.flush(id);
                }
            }
            self.settle();
        }
    }

    /// Handles console input. Returns true on `QUIT`.
    fn console(&mut self, console: &Receiver<ConsoleEvent>) -> bool {
        while let Ok(event) = console.try_recv() {
            match event {
                ConsoleEvent::Line(line) => {
                    let text = strip_controls(&line);
                    let text = text.trim();
                    if text == "QUIT" {
                        return true;
                    }
                    if !text.is_empty() {
                        self.broadcast(None, format!("Server: {text}").as_bytes());
                    }
                }
                ConsoleEvent::Closed(None) => {}
                ConsoleEvent::Closed(Some(e)) => {
                    errln!("console: {e}; console input ignored from now on")
                }
            }
        }
        false
    }

    /// Disconnects idle clients and closes leaving ones that overstayed.
    fn sweep(&mut self, now: Instant) {
        let idle = self.config.idle_timeout;
        let mut idlers = Vec::new();
        for (id, slot) in self.slots.iter().enumerate() {
            let Some(c) = slot else { continue };
            match c.leaving {
                Some(deadline) if now >= deadline => self.doomed.push((id, Gone::LingerExpired)),
                Some(_) => {}
                None if now.duration_since(c.last_heard) >= idle => idlers.push(id),
                None => {}
            }
        }
        for id in idlers {
            let line = format!(
                "error: idle for {}, disconnecting",
                common::text::secs(idle)
            );
            self.send(id, line.as_bytes());
            self.leave(id, "idle");
        }
    }

    /// Shutdown: tells everyone, gives the line a moment to go out, closes.
    fn close_all(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            if slot.leaving.is_none() {
                let _ = slot.output.push_line(b"server shutting down");
            }
        }
        let deadline = Instant::now() + FINAL_FLUSH;
        let mut events = Events::with_capacity(1024);
        loop {
            let mut pending = false;
            for slot in self.slots.iter_mut().flatten() {
                match slot.output.flush_to(&mut slot.stream) {
                    Ok(true) if !slot.write_shut => {
                        let _ = slot.stream.shutdown(Half::Write);
                        slot.write_shut = true;
                    }
                    Ok(true) => {}
                    Ok(false) => pending = true,
                    Err(_) => slot.output = OutBuf::new(0),
                }
            }
            let now = Instant::now();
            if !pending || now >= deadline {
                break;
            }
            // Wait for some socket to drain (WRITABLE interest is set on
            // those with output pending), or a short while.
            let _ = self.poll.poll(
                &mut events,
                Some((deadline - now).min(Duration::from_millis(50))),
            );
        }
        self.slots.clear();
    }
}

/// Appends `line` to client `c`'s output and marks it dirty; a client over
/// its cap is doomed instead.
fn queue(
    c: &mut Client,
    id: usize,
    line: &[u8],
    dirty: &mut Vec<usize>,
    doomed: &mut Vec<(usize, Gone)>,
) {
    match c.output.push_line(line) {
        Ok(()) if !c.dirty => {
            c.dirty = true;
            dirty.push(id);
        }
        Ok(()) => {}
        Err(Overflow) => {
            if !doomed.iter().any(|(d, _)| *d == id) {
                doomed.push((id, Gone::NotReading));
            }
        }
    }
}

/// True for "out of descriptors or memory": pause accepting, do not retry now.
fn is_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12)) // EMFILE ENFILE ENOBUFS ENOMEM
}

// ANCHOR: accept_pause
/// Whether the listener is paused after running out of descriptors.
///
/// The choice made here: deregister the listener for a short, growing pause
/// and try again, rather than keep a spare descriptor to accept-and-close
/// the extra client. Waiting keeps the connection in the kernel's backlog,
/// so it is served (late) instead of refused; the pause keeps the loop from
/// spinning on a listener that is always "ready".
#[derive(Debug, Default)]
struct AcceptState {
    /// When to listen again; `None` while listening.
    paused_until: Option<Instant>,
    /// The next pause's length.
    backoff: Option<Duration>,
    /// An "out of descriptors" message was printed and no recovery since.
    reported: bool,
}

impl AcceptState {
    fn pause(&mut self, listener: &mut TcpListener, registry: &mio::Registry, e: &io::Error) {
        let pause = self.backoff.unwrap_or(MIN_ACCEPT_PAUSE);
        self.backoff = Some((pause * 2).min(MAX_ACCEPT_PAUSE));
        if !self.reported {
            errln!("error: accept: {e}; not accepting for a moment, until clients leave");
            self.reported = true;
        }
        let _ = registry.deregister(listener);
        self.paused_until = Some(Instant::now() + pause);
    }

    fn resume(&mut self, listener: &mut TcpListener, registry: &mio::Registry) {
        self.paused_until = None;
        if let Err(e) = registry.register(listener, LISTENER, Interest::READABLE) {
            errln!("error: listen again: {e}");
        }
    }

    fn recovered(&mut self) {
        if self.reported {
            errln!("accept: recovered, accepting connections again");
        }
        self.reported = false;
        self.backoff = None;
    }
}
// ANCHOR_END: accept_pause
