//! The room: lesson 08's chat core plus one outbox per client.
//!
//! Every client task calls in here with what happened on its socket; the
//! [`Chat`] answers with [`Out`]s, and `Room::apply` stages the lines per
//! client; the [`flusher`] task sends each client's batch onto its bounded
//! channel once per round of the scheduler. Nothing here waits: a full
//! outbox is a client that does not read, and it is dropped on the spot.
//! The room sits behind a `std::sync::Mutex` that is never held across an
//! `.await`, so the lock is always free when a task asks for it.

use std::collections::VecDeque;
use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use common::outln;
use lesson08_select_chat::chat::{Chat, GOODBYE, Id, Line, Out};
use lesson08_select_chat::slots::Slots;
use lesson08_select_chat::{Config, Summary};
use tokio::sync::{Notify, mpsc};

/// How many messages (batches of lines) a client's channel holds. The real
/// limit is [`Config::max_output`] in bytes; this bound makes sure the
/// channel itself can never grow without end (a flood of tiny batches).
const CHANNEL_LINES: usize = 16 * 1024;

/// The most a client's staging buffer keeps between steps: enough for a
/// busy step's lines without allocating again, not a whole 1 MiB burst for
/// every one of 10,000 clients.
const STAGE_KEEP: usize = 64 * 1024;

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

impl Outbox {
    /// Bytes the client has not taken yet: sent to its task and not yet
    /// written, plus staged.
    fn owed(&self) -> usize {
        self.flow.pending.load(Ordering::Relaxed) + self.staged.len()
    }

    /// Sends what is staged as one message; the bytes stay counted in
    /// `pending` until the task has written them.
    fn send_staged(&mut self) -> bool {
        if self.staged.is_empty() {
            return true;
        }
        // A copy of exactly the batch's size; `staged` keeps its memory
        // for the next step (growing a fresh buffer line by line is what
        // would cost).
        let batch = self.staged.clone();
        self.staged.clear();
        if self.staged.capacity() > STAGE_KEEP {
            self.staged = Vec::new();
        }
        self.flow.pending.fetch_add(batch.len(), Ordering::Relaxed);
        self.tx.try_send(ToClient::Lines(batch)).is_ok()
    }
}

// ANCHOR: room
/// The chat core, the outboxes and the counters, behind one lock.
pub struct Room {
    chat: Chat,
    /// The outboxes, numbered by client [`Id`]. An id is taken out when
    /// the client leaves and released when its task ends.
    outboxes: Slots<Outbox>,
    config: Config,
    summary: Summary,
    /// The console said `QUIT`.
    stopped: bool,
    /// Shutdown has begun: nobody is announced as leaving any more.
    closing_all: bool,
    /// Clients with staged lines.
    dirty: Vec<Id>,
    /// Wakes the flusher task when lines are staged.
    flush_soon: Arc<Notify>,
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
            outboxes: Slots::default(),
            config,
            summary: Summary::default(),
            stopped: false,
            closing_all: false,
            dirty: Vec::new(),
            flush_soon: Arc::new(Notify::new()),
        }))
    }

    /// A new connection from `peer`: its seat, and the chat's greeting.
    pub fn connected(&mut self, peer: SocketAddr) -> Seat {
        let (tx, inbox) = mpsc::channel(CHANNEL_LINES);
        let flow = Arc::new(Flow::default());
        let outbox = Outbox {
            tx,
            flow: Arc::clone(&flow),
            closing: false,
            staged: Vec::new(),
        };
        let id = Id(self.outboxes.insert(outbox));
        self.summary.clients += 1;
        self.summary.peak = self.summary.peak.max(self.outboxes.filled());
        let out = self.chat.connected(id, peer);
        self.apply(out);
        Seat { id, inbox, flow }
    }

    /// Client `id` sent `line`. What it causes is staged, for the
    /// [`flusher`] to send.
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

    /// Client `id` left, or its task is done with its socket.
    pub fn left(&mut self, id: Id, why: impl Display) {
        // What was staged for it is still owed: a client that half-closed
        // right after its last line still reads its answers.
        if let Some(mut ob) = self.outboxes.take(id.0) {
            ob.send_staged();
        }
        if self.closing_all {
            return; // the server is stopping: no `<name> left` lines
        }
        let out = self.chat.left(id, why);
        self.apply(out);
    }

    /// Client `id`'s task has ended: its id may be given to a new
    /// connection. Not sooner: a kicked task may still be running, and its
    /// lines must never be taken for a newcomer's.
    pub fn release(&mut self, id: Id) {
        self.outboxes.release(id.0);
    }

    /// What wakes the flusher (see [`flusher`]).
    pub fn flush_soon(&self) -> Arc<Notify> {
        Arc::clone(&self.flush_soon)
    }

    /// True once the console said `QUIT`.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Connections still open.
    pub fn open(&self) -> usize {
        self.outboxes.filled()
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
        let ids: Vec<Id> = self.outboxes.iter_mut().map(|(id, _)| Id(id)).collect();
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
        if !self.dirty.is_empty() {
            self.flush_soon.notify_one();
        }
    }
    // ANCHOR_END: apply

    /// Asks client `id`'s task to close after what is queued.
    fn close(&mut self, id: Id) {
        let Some(ob) = self.outboxes.get_mut(id.0) else {
            return;
        };
        if !ob.closing {
            ob.closing = true;
            let sent = ob.send_staged() && ob.tx.try_send(ToClient::Close).is_ok();
            if !sent {
                ob.flow.kicked.notify_one(); // its channel is full: slow
            }
        }
    }

    // ANCHOR: flush
    /// Ends a round: every client with staged lines gets them as one
    /// message. A full channel means a client that does not read: it is
    /// dropped.
    pub fn flush(&mut self) {
        while let Some(id) = self.dirty.pop() {
            let Some(ob) = self.outboxes.get_mut(id.0) else {
                continue;
            };
            if !ob.send_staged() {
                let out = self.drop_slow(id);
                self.apply(out); // may stage more, and mark more dirty
            }
        }
    }
    // ANCHOR_END: flush

    /// Drops client `id` for not reading: its task is kicked (it closes the
    /// socket with a reset) and the chat hears it left.
    fn drop_slow(&mut self, id: Id) -> Vec<Out> {
        let Some(ob) = self.outboxes.take(id.0) else {
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
    outboxes: &mut Slots<Outbox>,
    dirty: &mut Vec<Id>,
    cap: usize,
    id: Id,
    line: Line,
) -> Result<(), Overflow> {
    let Some(ob) = outboxes.get_mut(id.0) else {
        return Ok(()); // already gone
    };
    if ob.closing {
        return Ok(()); // it is leaving; it gets nothing more
    }
    // Everything the client has not taken yet counts, wherever it waits.
    if ob.owed() + line.len() + 1 > cap {
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

// ANCHOR: flusher
/// Hands out what the room staged: lesson 08's flush at the end of a turn
/// of its loop. Woken when lines are staged, this task runs after the tasks
/// that were ready before it: their lines join the same batches, and each
/// client gets one channel message per round, not one per sender.
pub async fn flusher(room: Shared) {
    let wake = lock(&room).flush_soon();
    loop {
        wake.notified().await;
        lock(&room).flush();
    }
}
// ANCHOR_END: flusher

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::LOCALHOST,
        5000,
    ));

    fn quiet_room(max_output: usize) -> Shared {
        let quiet = true;
        Room::new(Config {
            max_output,
            quiet,
            ..Config::default()
        })
    }

    /// Everything waiting in `seat`'s channel, as bytes.
    fn received(seat: &mut Seat) -> Vec<u8> {
        let mut bytes = Vec::new();
        while let Ok(ToClient::Lines(lines)) = seat.inbox.try_recv() {
            bytes.extend(lines);
        }
        bytes
    }

    #[test]
    fn an_id_is_reused_only_after_its_task_ended() {
        let room = quiet_room(1 << 20);
        let mut room = lock(&room);
        let a = room.connected(PEER).id;
        room.left(a, "closed the connection");
        // a's task may still be running (a kicked task is): a newcomer
        // must not get its id.
        let b = room.connected(PEER).id;
        assert_ne!(a, b);
        room.release(a);
        assert_eq!(room.connected(PEER).id, a);
        assert_eq!(room.open(), 2);
    }

    #[test]
    fn a_client_that_does_not_take_its_lines_is_dropped_at_the_cap() {
        let cap = 1000;
        let room = quiet_room(cap);
        let mut room = lock(&room);
        let mut seat = room.connected(PEER);
        room.line(seat.id, b"NAME:ann");
        room.flush();
        let greeting = received(&mut seat).len();
        // The task writes nothing: every byte stays owed.
        seat.flow.pending.store(greeting, Ordering::Relaxed);
        for _ in 0..100 {
            room.console(&[b'x'; 40]);
            room.flush(); // the flusher's round
        }
        let owed = greeting + received(&mut seat).len();
        assert!(owed <= cap, "{owed} bytes owed, over the {cap}-byte cap");
        assert!(owed > cap - 100, "dropped early: {owed} bytes owed");
        assert_eq!(room.summary().slow_dropped, 1);
        assert_eq!(room.open(), 0);
    }

    #[test]
    fn a_big_step_does_not_keep_its_buffer() {
        let room = quiet_room(4 << 20);
        let mut room = lock(&room);
        let seat = room.connected(PEER);
        room.line(seat.id, b"NAME:ann");
        room.flush();
        for _ in 0..100 {
            room.apply(vec![Out::To(seat.id, "y".repeat(4000).into())]);
        }
        room.flush();
        let ob = room.outboxes.get_mut(seat.id.0).expect("still connected");
        assert!(ob.staged.is_empty());
        assert!(
            ob.staged.capacity() <= STAGE_KEEP,
            "{}",
            ob.staged.capacity()
        );
    }
}
