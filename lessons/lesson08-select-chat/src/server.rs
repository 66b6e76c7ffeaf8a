//! The chat server: one thread, one readiness loop, every socket non-blocking.
//!
//! The loop asks the kernel (epoll, through `mio`) "which of my sockets can
//! make progress?", does only the work that cannot block, and goes back to
//! waiting. It reads, hands each line to the chat core ([`crate::chat`]),
//! queues what the core says to send, and writes when sockets can take it.
//! It never decides what a line means.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use common::{Shutdown, errln, outln};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::accept_pause::AcceptPause;
use crate::chat::{self, Chat, Id, Out};
use crate::clients::{Clients, Gone};
pub use crate::config::{Config, Summary};
use crate::console::{self, ConsoleEvent};

/// The listening socket's token. Clients use their slot number as token, so
/// these two sit at the far end of the range where no slot reaches.
pub(crate) const LISTENER: Token = Token(usize::MAX - 1);
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
/// How long shutdown waits for `server shutting down` to reach everyone.
const FINAL_FLUSH: Duration = Duration::from_millis(1000);

/// The loop's state: the epoll instance, the connections, the chat.
struct Server {
    poll: Poll,
    config: Config,
    clients: Clients,
    chat: Chat,
    /// Clients whose read budget ran out before `WouldBlock`: epoll will not
    /// report them again (edge-triggered), so the loop must come back.
    backlog: Vec<usize>,
    /// The console said `QUIT`.
    stop: bool,
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
    let console = console.map(|input| console::spawn(input, Arc::clone(&waker)));
    let console = console.transpose().context("start console thread")?;
    let mut server = Server {
        poll,
        config: config.clone(),
        clients: Clients::default(),
        chat: Chat::new(),
        backlog: Vec::new(),
        stop: false,
        summary: Summary::default(),
    };
    server.run(&mut listener, shutdown, console.as_ref())?;
    server.summary.messages = server.chat.messages();
    Ok(server.summary)
}
// ANCHOR_END: serve

impl Server {
    // ANCHOR: event_loop
    /// The readiness loop.
    fn run(
        &mut self,
        listener: &mut TcpListener,
        shutdown: &Shutdown,
        console: Option<&Receiver<ConsoleEvent>>,
    ) -> Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut accept = AcceptPause::default();
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        while !self.stop {
            // Sleep until something is ready or a timer is due; not at all
            // if a client still has unread input.
            let wake_at = accept.until().map_or(next_sweep, |t| t.min(next_sweep));
            let timeout = match self.backlog.is_empty() {
                true => wake_at.saturating_duration_since(Instant::now()),
                false => Duration::ZERO,
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
            }
            for id in std::mem::take(&mut self.backlog) {
                self.read_from(id);
            }
            self.console(console);
            let now = Instant::now();
            if now >= next_sweep {
                self.sweep(now);
                next_sweep = now + SWEEP_EVERY;
            }
            if accept.resume_due(now, listener, self.poll.registry()) {
                self.accept_all(listener, &mut accept);
            }
            self.flush_dirty();
        }
        // Shutdown: everyone is told, and the line gets a moment to go out.
        let bye = chat::GOODBYE.as_bytes();
        self.clients.say_goodbye(&mut self.poll, bye, FINAL_FLUSH);
        Ok(())
    }
    // ANCHOR_END: event_loop

    /// Takes in every connection waiting (see [`AcceptPause::accept_all`]);
    /// the chat greets each with the prompt.
    fn accept_all(&mut self, listener: &mut TcpListener, accept: &mut AcceptPause) {
        for (stream, peer) in accept.accept_all(listener, self.poll.registry()) {
            let registry = self.poll.registry();
            let id = match self.clients.add(stream, registry, self.config.max_output) {
                Ok(id) => id,
                Err(e) => {
                    errln!("register {peer}: {e}");
                    continue;
                }
            };
            self.summary.clients += 1;
            self.summary.peak = self.summary.peak.max(self.clients.open());
            let out = self.chat.connected(Id(id), peer);
            self.apply(out);
        }
    }

    // ANCHOR: read_from
    /// Reads what client `id` sent, until `WouldBlock` or its budget for
    /// this turn runs out, and hands each complete line to the chat.
    fn read_from(&mut self, id: usize) {
        let mut chunk = [0u8; READ_CHUNK];
        for _ in 0..READS_PER_TURN {
            let Some(c) = self.clients.get_mut(id) else {
                return;
            };
            match c.stream.read(&mut chunk) {
                // EOF. A client on a pipe half-closes after its last line
                // and still reads: if it is owed output, leave in order.
                Ok(0) if c.leaving.is_none() && !c.output.is_empty() => {
                    self.leave(id);
                    let out = self.chat.left(Id(id), Gone::Closed);
                    return self.apply(out);
                }
                Ok(0) => return self.close_now(id, Gone::Closed),
                // A leaving client's input is read and thrown away, so our
                // close is a clean FIN, not a reset that could destroy its
                // last lines before it reads them.
                Ok(_) if c.leaving.is_some() => {}
                Ok(n) => {
                    c.last_heard = Instant::now();
                    c.input.push(&chunk[..n]);
                    self.handle_lines(id);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.close_now(id, Gone::Broken(e)),
            }
        }
        self.backlog.push(id);
    }
    // ANCHOR_END: read_from

    // ANCHOR: handle_lines
    /// Feeds every complete line client `id` has sent so far to the chat,
    /// and applies what it answers.
    fn handle_lines(&mut self, id: usize) {
        let mut out = Vec::new();
        while let Some(c) = self.clients.get_mut(id) {
            match c.input.next_line() {
                Ok(Some(line)) => out.extend(self.chat.line(Id(id), &line)),
                Ok(None) => break,
                Err(_) => {
                    out.extend(self.chat.too_long(Id(id)));
                    break;
                }
            }
        }
        self.apply(out);
    }
    // ANCHOR_END: handle_lines

    // ANCHOR: apply
    /// Does what the chat asked: queue lines, close clients, log. A client
    /// whose queue overflows is dropped on the spot, and what the chat says
    /// about that (`<name> left`) joins the work list: no call goes back up.
    fn apply(&mut self, out: Vec<Out>) {
        let mut work = VecDeque::from(out);
        let mut overflowed = Vec::new();
        while let Some(o) = work.pop_front() {
            match o {
                Out::To(Id(id), line) => {
                    if self.clients.queue(id, line.as_bytes()).is_err() {
                        overflowed.push(id);
                    }
                }
                Out::AllBut(except, line) => {
                    for Id(id) in self.chat.members().filter(|&m| Some(m) != except) {
                        if self.clients.queue(id, line.as_bytes()).is_err() {
                            overflowed.push(id);
                        }
                    }
                }
                Out::Close(Id(id)) => self.leave(id),
                Out::Log(line) if !self.config.quiet => outln!("{line}"),
                Out::Log(_) => {}
                Out::Stop => self.stop = true,
            }
            for id in overflowed.drain(..) {
                let cap = self.config.max_output;
                self.drop_conn(id, Gone::NotReading(cap));
                work.extend(self.chat.left(Id(id), Gone::NotReading(cap)));
            }
        }
    }
    // ANCHOR_END: apply

    /// Starts an orderly close of client `id`: its last lines, then a FIN.
    fn leave(&mut self, id: usize) {
        let deadline = Instant::now() + self.config.linger;
        self.clients.start_leaving(id, deadline);
    }

    /// Closes client `id` at once and tells the chat.
    fn close_now(&mut self, id: usize, why: Gone) {
        let msg = why.to_string();
        self.drop_conn(id, why);
        let out = self.chat.left(Id(id), msg);
        self.apply(out);
    }

    /// Closes the socket of client `id`; one dropped for not reading is
    /// reset, and counted.
    fn drop_conn(&mut self, id: usize, why: Gone) {
        let slow = matches!(why, Gone::NotReading(_));
        if self.clients.close(id, self.poll.registry(), slow) && slow {
            self.summary.slow_dropped += 1;
        }
    }

    /// Writes what client `id` is owed, as far as its socket takes it (see
    /// [`Clients::flush`]).
    fn flush(&mut self, id: usize) {
        if let Err(e) = self.clients.flush(id, self.poll.registry()) {
            self.close_now(id, Gone::Broken(e));
        }
    }

    /// Flushes every client that got output since the last flush (flushing
    /// can drop a client, whose `left` line dirties others: hence the loop).
    fn flush_dirty(&mut self) {
        loop {
            let dirty = self.clients.take_dirty();
            if dirty.is_empty() {
                return;
            }
            for id in dirty {
                self.flush(id);
            }
        }
    }

    /// Hands console lines to the chat (if there is a console).
    fn console(&mut self, console: Option<&Receiver<ConsoleEvent>>) {
        let Some(console) = console else {
            return;
        };
        while let Ok(event) = console.try_recv() {
            match event {
                ConsoleEvent::Line(line) => {
                    let out = self.chat.console(&line);
                    self.apply(out);
                }
                ConsoleEvent::Closed(None) => {}
                ConsoleEvent::Closed(Some(e)) => {
                    errln!("console: {e}; console input ignored from now on")
                }
            }
        }
    }

    /// Times out idle clients and closes leaving ones that overstayed.
    fn sweep(&mut self, now: Instant) {
        let idle = self.config.idle_timeout;
        let (overstayed, idlers) = self.clients.due(now, idle);
        for id in overstayed {
            self.close_now(id, Gone::LingerExpired);
        }
        for id in idlers {
            let out = self.chat.timed_out(Id(id), idle);
            self.apply(out);
        }
    }
}
