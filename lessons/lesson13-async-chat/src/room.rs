//! The room: lesson 08's chat core plus one outbox per client.
//!
//! Every client task calls in here with what happened on its socket; the
//! [`Chat`] answers with [`Out`]s, and [`Room::apply`] turns them into lines
//! pushed onto bounded per-client channels. Nothing here waits: a full
//! outbox is a client that does not read, and it is dropped on the spot.
//! The room sits behind a `std::sync::Mutex` that is never held across an
//! `.await`, so the lock is always free when a task asks for it.

use std::collections::{HashMap, VecDeque};
use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use common::outln;
use lesson08_select_chat::chat::{Chat, GOODBYE, Id, Line, Out};
use lesson08_select_chat::{Config, Summary};
use tokio::sync::{Notify, mpsc};

/// How many lines a client's channel holds. The real limit is
/// [`Config::max_output`] in bytes; this bound only makes sure the channel
/// itself can never grow without end (a flood of tiny lines).
const CHANNEL_LINES: usize = 16 * 1024;

/// A client's output passed its cap.
#[derive(Debug)]
struct Overflow;

/// What a client task receives from the room.
#[derive(Debug)]
pub enum ToClient {
    /// A line to send (the task adds the `\n`).
    Line(Line),
    /// Send what came before, then close: the chat asked for it.
    Close,
}

/// What a client task and the room share besides the channel.
#[derive(Debug, Default)]
pub struct Flow {
    /// Bytes queued for this client and not yet written to its socket.
    pub pending: AtomicUsize,
    /// Signalled when the room drops the client for not reading: the task
    /// may be stuck in a write and must give up at once.
    pub kicked: Notify,
}

/// One client's end of the room, handed to its task.
#[derive(Debug)]
pub struct Seat {
    /// The client's number in the chat.
    pub id: Id,
    /// Lines for the client, in order.
    pub inbox: mpsc::Receiver<ToClient>,
    /// The shared byte count and the kick signal.
    pub flow: Arc<Flow>,
}

/// The room's side of one client.
struct Outbox {
    tx: mpsc::Sender<ToClient>,
    flow: Arc<Flow>,
    /// A `Close` was queued: no more lines for this client.
    closing: bool,
}

// ANCHOR: room
/// The chat core, the outboxes and the counters, behind one lock.
pub struct Room {
    chat: Chat,
    outboxes: HashMap<Id, Outbox>,
    next_id: usize,
    config: Config,
    summary: Summary,
    /// The console said `QUIT`.
    stopped: bool,
    /// Shutdown has begun: nobody is announced as leaving any more.
    closing_all: bool,
}

/// The room as every task holds it.
pub type Shared = Arc<Mutex<Room>>;

/// Locks the room. A task that panicked while holding the lock cannot leave
/// it half-updated in a way that matters more than stopping the whole
/// server would, so a poisoned lock is used anyway.
pub fn lock(room: &Shared) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
// ANCHOR_END: room

impl Room {
    /// An empty room.
    pub fn new(config: Config) -> Shared {
        Arc::new(Mutex::new(Room {
            chat: Chat::new(),
            outboxes: HashMap::new(),
            next_id: 0,
            config,
            summary: Summary::default(),
            stopped: false,
            closing_all: false,
        }))
    }

    /// A new connection from `peer`: its seat, and the chat's greeting.
    pub fn connected(&mut self, peer: SocketAddr) -> Seat {
        let id = Id(self.next_id);
        self.next_id += 1;
        let (tx, inbox) = mpsc::channel(CHANNEL_LINES);
        let flow = Arc::new(Flow::default());
        let outbox = Outbox {
            tx,
            flow: Arc::clone(&flow),
            closing: false,
        };
        self.outboxes.insert(id, outbox);
        self.summary.clients += 1;
        self.summary.peak = self.summary.peak.max(self.outboxes.len());
        let out = self.chat.connected(id, peer);
        self.apply(out);
        Seat { id, inbox, flow }
    }

    /// Client `id` sent `line`.
    pub fn line(&mut self, id: Id, line: &[u8]) {
        let out = self.chat.line(id, line);
        self.apply(out);
    }

    /// Client `id` sent a line over the limit.
    pub fn too_long(&mut self, id: Id) {
        let out = self.chat.too_long(id);
        self.apply(out);
    }

    /// Client `id` was silent for the idle timeout.
    pub fn timed_out(&mut self, id: Id) {
        let out = self.chat.timed_out(id, self.config.idle_timeout);
        self.apply(out);
    }

    /// A console line.
    pub fn console(&mut self, line: &[u8]) {
        let out = self.chat.console(line);
        self.apply(out);
    }

    /// Client `id`'s task is done with its socket.
    pub fn left(&mut self, id: Id, why: impl Display) {
        self.outboxes.remove(&id);
        if self.closing_all {
            return; // the server is stopping: no `<name> left` lines
        }
        let out = self.chat.left(id, why);
        self.apply(out);
    }

    /// True once the console said `QUIT`.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Connections still open.
    pub fn open(&self) -> usize {
        self.outboxes.len()
    }

    /// The counters so far.
    pub fn summary(&self) -> Summary {
        Summary {
            messages: self.chat.messages(),
            ..self.summary
        }
    }

    /// Shutdown: every connection gets [`GOODBYE`] and is closed after it.
    pub fn goodbye_all(&mut self) {
        self.closing_all = true;
        let ids: Vec<Id> = self.outboxes.keys().copied().collect();
        for id in ids {
            if deliver(&self.outboxes, self.config.max_output, id, GOODBYE.into()).is_err() {
                self.drop_slow(id); // everyone is leaving: no `left` lines
            } else {
                self.close(id);
            }
        }
    }

    // ANCHOR: apply
    /// Carries out what the chat asked for. Dropping a slow client makes the
    /// chat announce `<name> left`, which may overflow another slow client:
    /// a work queue, not recursion, keeps that bounded and flat.
    fn apply(&mut self, out: Vec<Out>) {
        let mut work = VecDeque::from(out);
        while let Some(o) = work.pop_front() {
            match o {
                Out::To(id, line) => {
                    if deliver(&self.outboxes, self.config.max_output, id, line).is_err() {
                        work.extend(self.drop_slow(id));
                    }
                }
                Out::AllBut(except, line) => {
                    let cap = self.config.max_output;
                    let slow: Vec<Id> = (self.chat.members())
                        .filter(|&id| Some(id) != except)
                        .filter(|&id| deliver(&self.outboxes, cap, id, Line::clone(&line)).is_err())
                        .collect();
                    for id in slow {
                        work.extend(self.drop_slow(id));
                    }
                }
                Out::Close(id) => self.close(id),
                Out::Log(line) if !self.config.quiet => outln!("{line}"),
                Out::Log(_) => {}
                Out::Stop => self.stopped = true,
            }
        }
    }
    // ANCHOR_END: apply

    /// Asks client `id`'s task to close after what is queued.
    fn close(&mut self, id: Id) {
        let Some(ob) = self.outboxes.get_mut(&id) else {
            return;
        };
        if !ob.closing {
            ob.closing = true;
            if ob.tx.try_send(ToClient::Close).is_err() {
                ob.flow.kicked.notify_one(); // its channel is full: slow
            }
        }
    }

    /// Drops client `id` for not reading: its task is kicked (it closes the
    /// socket with a reset) and the chat hears it left.
    fn drop_slow(&mut self, id: Id) -> Vec<Out> {
        let Some(ob) = self.outboxes.remove(&id) else {
            return Vec::new();
        };
        ob.flow.kicked.notify_one();
        self.summary.slow_dropped += 1;
        let why = format!(
            "dropped: not reading (over {} bytes of output pending)",
            self.config.max_output
        );
        self.chat.left(id, why)
    }
}

// ANCHOR: deliver
/// Queues `line` for client `id` without waiting. `Err` means the client is
/// over its output cap (or its channel is full): it does not read, drop it.
fn deliver(outboxes: &HashMap<Id, Outbox>, cap: usize, id: Id, line: Line) -> Result<(), Overflow> {
    let Some(ob) = outboxes.get(&id) else {
        return Ok(()); // already gone
    };
    if ob.closing {
        return Ok(()); // it is leaving; it gets nothing more
    }
    let bytes = line.len() + 1;
    let pending = ob.flow.pending.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if pending > cap || ob.tx.try_send(ToClient::Line(line)).is_err() {
        return Err(Overflow);
    }
    Ok(())
}
// ANCHOR_END: deliver
