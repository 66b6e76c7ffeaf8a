//! The room: lesson 08's chat core plus one outbox per client.
//!
//! Every client task calls in here with what happened on its socket; the
//! [`Chat`] answers with [`Out`]s, and `Room::apply` stages the lines per
//! client; [`Room::flush`] sends each client's batch onto its bounded
//! channel at the end of the step. Nothing here waits: a full
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

/// How many messages (batches of lines) a client's channel holds. The real
/// limit is [`Config::max_output`] in bytes; this bound makes sure the
/// channel itself can never grow without end (a flood of tiny batches).
const CHANNEL_LINES: usize = 16 * 1024;

/// A client's output passed its cap.
#[derive(Debug)]
struct Overflow;

/// What a client task receives from the room.
#[derive(Debug)]
pub enum ToClient {
    /// Lines to send, each with its `\n`: everything the room queued for
    /// this client during one step (a sender's whole read, a broadcast).
    Lines(Vec<u8>),
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
    /// Lines queued during the current step, sent as one message at its
    /// end: one channel operation per client per step, not per line.
    staged: Vec<u8>,
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
    /// Clients with staged lines.
    dirty: Vec<Id>,
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
            dirty: Vec::new(),
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
            staged: Vec::new(),
        };
        self.outboxes.insert(id, outbox);
        self.summary.clients += 1;
        self.summary.peak = self.summary.peak.max(self.outboxes.len());
        let out = self.chat.connected(id, peer);
        self.apply(out);
        self.flush();
        Seat { id, inbox, flow }
    }

    /// Client `id` sent `line`. What it causes is staged: call
    /// [`Room::flush`] after the last line of a read.
    pub fn line(&mut self, id: Id, line: &[u8]) {
        let out = self.chat.line(id, line);
        self.apply(out);
    }

    /// Client `id` sent a line over the limit.
    pub fn too_long(&mut self, id: Id) {
        let out = self.chat.too_long(id);
        self.apply(out);
        self.flush();
    }

    /// Client `id` was silent for the idle timeout.
    pub fn timed_out(&mut self, id: Id) {
        let out = self.chat.timed_out(id, self.config.idle_timeout);
        self.apply(out);
        self.flush();
    }

    /// A console line.
    pub fn console(&mut self, line: &[u8]) {
        let out = self.chat.console(line);
        self.apply(out);
        self.flush();
    }

    /// Client `id`'s task is done with its socket.
    pub fn left(&mut self, id: Id, why: impl Display) {
        self.outboxes.remove(&id);
        if self.closing_all {
            return; // the server is stopping: no `<name> left` lines
        }
        let out = self.chat.left(id, why);
        self.apply(out);
        self.flush();
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
            let cap = self.config.max_output;
            if deliver(&mut self.outboxes, &mut self.dirty, cap, id, GOODBYE.into()).is_err() {
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
                    let cap = self.config.max_output;
                    if deliver(&mut self.outboxes, &mut self.dirty, cap, id, line).is_err() {
                        work.extend(self.drop_slow(id));
                    }
                }
                Out::AllBut(except, line) => {
                    let cap = self.config.max_output;
                    let (outboxes, dirty) = (&mut self.outboxes, &mut self.dirty);
                    let slow: Vec<Id> = (self.chat.members())
                        .filter(|&id| Some(id) != except)
                        .filter(|&id| {
                            deliver(outboxes, dirty, cap, id, Line::clone(&line)).is_err()
                        })
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
            let staged = std::mem::take(&mut ob.staged);
            let sent = (staged.is_empty() || ob.tx.try_send(ToClient::Lines(staged)).is_ok())
                && ob.tx.try_send(ToClient::Close).is_ok();
            if !sent {
                ob.flow.kicked.notify_one(); // its channel is full: slow
            }
        }
    }

    // ANCHOR: flush
    /// Ends a step: every client with staged lines gets them as one message.
    /// A full channel means a client that does not read: it is dropped.
    pub fn flush(&mut self) {
        while let Some(id) = self.dirty.pop() {
            let Some(ob) = self.outboxes.get_mut(&id) else {
                continue;
            };
            if ob.staged.is_empty() {
                continue;
            }
            let batch = std::mem::take(&mut ob.staged);
            if ob.tx.try_send(ToClient::Lines(batch)).is_err() {
                let out = self.drop_slow(id);
                self.apply(out); // may stage more, and mark more dirty
            }
        }
    }
    // ANCHOR_END: flush

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
/// Stages `line` for client `id` without waiting. `Err` means the client
/// is over its output cap: it does not read, drop it.
fn deliver(
    outboxes: &mut HashMap<Id, Outbox>,
    dirty: &mut Vec<Id>,
    cap: usize,
    id: Id,
    line: Line,
) -> Result<(), Overflow> {
    let Some(ob) = outboxes.get_mut(&id) else {
        return Ok(()); // already gone
    };
    if ob.closing {
        return Ok(()); // it is leaving; it gets nothing more
    }
    let bytes = line.len() + 1;
    // Counted when staged, uncounted when written: the bytes the client
    // has not taken yet, wherever they wait.
    if ob.flow.pending.fetch_add(bytes, Ordering::Relaxed) + bytes > cap {
        return Err(Overflow);
    }
    if ob.staged.is_empty() {
        dirty.push(id);
    }
    ob.staged.extend_from_slice(line.as_bytes());
    ob.staged.push(b'\n');
    Ok(())
}
// ANCHOR_END: deliver
