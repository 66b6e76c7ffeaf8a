//! The server's connection table: one slot per open connection, with what
//! the readiness loop needs to drive it (the socket, the bytes it sent that
//! are not yet a line, the bytes it is owed).
//!
//! What a client *means* (its name, whether it has joined) is the chat
//! core's business ([`crate::chat::Phase`]: `Joining`, `Chatting`,
//! `Leaving`). This table only knows whether a connection is open or
//! [`Leaving`]: being closed, politely, after its last lines.

use std::io;
use std::net::Shutdown as Half;
use std::time::{Duration, Instant};

use common::LineBuffer;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::outbuf::{OutBuf, Overflow};
use crate::protocol::MAX_LINE;
use crate::slots::Slots;

/// One open connection.
#[derive(Debug)]
pub struct Conn {
    pub stream: TcpStream,
    /// What the client sent that is not yet a whole line.
    pub input: LineBuffer,
    /// What the server owes the client.
    pub output: OutBuf,
    /// Whether WRITABLE interest is registered. It is only while output is
    /// pending: with permanent interest, epoll (edge-triggered) would report
    /// the socket again every time an ACK frees send-buffer space, a wasted
    /// wake-up per client with nothing to send.
    pub wants_write: bool,
    /// When the client last sent anything, for the idle timeout.
    pub last_heard: Instant,
    /// Set once the connection is being closed.
    pub leaving: Option<Leaving>,
    /// Already in the dirty list (output queued since the last flush).
    dirty: bool,
}

/// A connection on its way out: its last lines are sent, then our side is
/// shut down (FIN), and the socket is closed when the client closes its
/// side or at `deadline`, whichever comes first.
#[derive(Debug, Clone, Copy)]
pub struct Leaving {
    /// When to close even if the client has not closed its side.
    pub deadline: Instant,
    /// Our side is shut down (FIN sent).
    pub fin_sent: bool,
}

impl Conn {
    /// A new connection, with at most `max_output` bytes of output pending.
    pub fn new(stream: TcpStream, max_output: usize) -> Self {
        Conn {
            stream,
            input: LineBuffer::new(MAX_LINE),
            output: OutBuf::new(max_output),
            wants_write: false,
            last_heard: Instant::now(),
            leaving: None,
            dirty: false,
        }
    }

    /// Starts an orderly close, to be done by `deadline`; false if one is
    /// already under way.
    pub fn start_leaving(&mut self, deadline: Instant) -> bool {
        let fresh = self.leaving.is_none();
        if fresh {
            let fin_sent = false;
            self.leaving = Some(Leaving { deadline, fin_sent });
        }
        fresh
    }

    // ANCHOR: flush
    /// Writes what is owed until done or `WouldBlock`, keeps WRITABLE
    /// interest (under `token`) registered exactly while output is pending,
    /// and sends the FIN of a leaving connection once all is sent. An error
    /// means the connection is broken.
    pub fn flush(&mut self, token: Token, registry: &Registry) -> io::Result<()> {
        let drained = self.output.flush_to(&mut self.stream)?;
        if drained == self.wants_write {
            let interest = match drained {
                true => Interest::READABLE,
                false => Interest::READABLE | Interest::WRITABLE,
            };
            registry.reregister(&mut self.stream, token, interest)?;
            self.wants_write = !drained;
        }
        if let Some(leaving) = self.leaving.as_mut()
            && drained
            && !leaving.fin_sent
        {
            // Everything is sent: FIN. The client reads its last lines, sees
            // EOF and closes; our read of its EOF then closes the socket.
            let _ = self.stream.shutdown(Half::Write);
            leaving.fin_sent = true;
        }
        Ok(())
    }
    // ANCHOR_END: flush
}

/// Every open connection, by slot. A slot's index is the connection's mio
/// token and its chat [`Id`](crate::chat::Id); freed slots are reused.
#[derive(Debug, Default)]
pub struct Clients {
    slots: Slots<Conn>,
    /// Slots with output queued since the last flush.
    dirty: Vec<usize>,
}

impl Clients {
    /// Registers a new connection for READABLE under the token of the slot
    /// it gets, with at most `max_output` bytes of output pending; returns
    /// its slot.
    pub fn add(
        &mut self,
        mut stream: TcpStream,
        registry: &Registry,
        max_output: usize,
    ) -> io::Result<usize> {
        // Chat lines are small and must go out at once, not wait to be
        // merged with the next one (Nagle's algorithm).
        let _ = stream.set_nodelay(true);
        registry.register(&mut stream, Token(self.slots.next()), Interest::READABLE)?;
        Ok(self.slots.insert(Conn::new(stream, max_output)))
    }

    /// Deregisters and closes connection `id`; false if it was gone. With
    /// `reset`, the close is a reset (SO_LINGER 0): for a client whose queue
    /// is full and so are the kernel's buffers, it frees that memory at once.
    pub fn close(&mut self, id: usize, registry: &Registry, reset: bool) -> bool {
        let Some(mut c) = self.slots.remove(id) else {
            return false;
        };
        let _ = registry.deregister(&mut c.stream);
        if reset {
            let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
        }
        true
    }

    /// Starts an orderly close of connection `id` (see
    /// [`Conn::start_leaving`]), and marks it to be flushed now, so the FIN
    /// goes out.
    pub fn start_leaving(&mut self, id: usize, deadline: Instant) {
        if self.get_mut(id).is_some_and(|c| c.start_leaving(deadline)) {
            self.mark_dirty(id);
        }
    }

    /// The connections due at `now`: leaving ones past their deadline, and
    /// open ones silent for `idle`.
    pub fn due(&mut self, now: Instant, idle: Duration) -> (Vec<usize>, Vec<usize>) {
        let (mut overstayed, mut idlers) = (Vec::new(), Vec::new());
        for (id, c) in self.iter_mut() {
            match c.leaving {
                Some(l) if now >= l.deadline => overstayed.push(id),
                Some(_) => {}
                None if now.duration_since(c.last_heard) >= idle => idlers.push(id),
                None => {}
            }
        }
        (overstayed, idlers)
    }

    pub fn get_mut(&mut self, id: usize) -> Option<&mut Conn> {
        self.slots.get_mut(id)
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.slots.filled()
    }

    /// Every open connection with its slot.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut Conn)> {
        self.slots.iter_mut()
    }

    /// Appends `line` to connection `id`'s output and marks it for the next
    /// flush. A connection that is gone takes nothing; one over its cap is
    /// the caller's to drop.
    pub fn queue(&mut self, id: usize, line: &[u8]) -> Result<(), Overflow> {
        let Some(conn) = self.slots.get_mut(id) else {
            return Ok(());
        };
        conn.output.push_line(line)?;
        self.mark_dirty(id);
        Ok(())
    }

    /// Flushes connection `id` (see [`Conn::flush`]); one that is gone has
    /// nothing to send.
    pub fn flush(&mut self, id: usize, registry: &Registry) -> io::Result<()> {
        match self.get_mut(id) {
            Some(c) => c.flush(Token(id), registry),
            None => Ok(()),
        }
    }

    /// Puts connection `id` on the list of those to flush.
    pub fn mark_dirty(&mut self, id: usize) {
        if let Some(conn) = self.slots.get_mut(id)
            && !conn.dirty
        {
            conn.dirty = true;
            self.dirty.push(id);
        }
    }

    /// The connections to flush, and the list emptied.
    pub fn take_dirty(&mut self) -> Vec<usize> {
        let dirty = std::mem::take(&mut self.dirty);
        for &id in &dirty {
            if let Some(conn) = self.get_mut(id) {
                conn.dirty = false;
            }
        }
        dirty
    }

    /// Shutdown: queues `line` for every connection not already leaving,
    /// sends what each is owed and a FIN, waiting at most `within` for slow
    /// sockets to drain, then closes them all.
    pub fn say_goodbye(&mut self, poll: &mut Poll, line: &[u8], within: Duration) {
        let deadline = Instant::now() + within;
        for (_, c) in self.iter_mut() {
            if c.leaving.is_none() {
                let _ = c.output.push_line(line);
            }
            c.start_leaving(deadline);
        }
        let mut events = Events::with_capacity(1024);
        loop {
            let mut pending = false;
            for (id, c) in self.iter_mut() {
                match c.flush(Token(id), poll.registry()) {
                    Ok(()) => pending |= !c.output.is_empty(),
                    Err(_) => c.output = OutBuf::new(0), // broken: give up on it
                }
            }
            let now = Instant::now();
            if !pending || now >= deadline {
                break;
            }
            // Wait for some socket to drain (WRITABLE interest is set on
            // those with output pending), or a short while.
            let _ = poll.poll(
                &mut events,
                Some((deadline - now).min(Duration::from_millis(50))),
            );
        }
        *self = Clients::default(); // every socket closed
    }
}

/// Why the server closes a connection at once.
#[derive(Debug)]
pub enum Gone {
    /// It closed its side, or finished leaving.
    Closed,
    /// The connection broke (reset, broken pipe).
    Broken(io::Error),
    /// Its unsent output passed the cap: it stopped reading.
    NotReading(usize),
    /// It was leaving and did not close within the linger time.
    LingerExpired,
}

impl std::fmt::Display for Gone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gone::Closed => write!(f, "closed the connection"),
            Gone::Broken(e) => write!(f, "connection lost: {e}"),
            Gone::NotReading(cap) => {
                write!(
                    f,
                    "dropped: not reading (over {cap} bytes of output pending)"
                )
            }
            Gone::LingerExpired => write!(f, "did not close in time"),
        }
    }
}
