//! One client's task: its socket, read and written by plain sequential code.
//!
//! Lesson 08 kept, for every client, the state a loop needs to resume where
//! it stopped: a line buffer, a write buffer, "wants WRITABLE", "leaving
//! since". Here the task *is* that state: its local variables survive every
//! `.await`, and the runtime resumes the task where it waited.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{LineBuffer, LineError};
use lesson08_select_chat::Config;
use lesson08_select_chat::protocol::MAX_LINE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::{Instant, sleep_until};

use crate::room::{self, Flow, Seat, Shared, ToClient};

/// How much one `read` takes. A line is at most 4 KiB, so 8 KiB holds at
/// least one whole line.
const READ_CHUNK: usize = 8 * 1024;
/// Lines gathered into one `write` when several are queued.
const WRITE_BATCH: usize = 64 * 1024;

/// How a session ended.
#[derive(Debug)]
enum End {
    /// The client closed its side, or the chat asked for a close; either
    /// way the room has been told.
    Closed,
    /// The connection broke.
    Broken(io::Error),
    /// The room dropped the client for not reading.
    Kicked,
}

// ANCHOR: client_task
/// Serves one client from accept to close. Spawned once per connection.
pub async fn client_task(mut stream: TcpStream, peer: SocketAddr, room: Shared, config: Config) {
    // Chat lines are small and must go out at once (no Nagle delay).
    let _ = stream.set_nodelay(true);
    let mut seat = room::lock(&room).connected(peer);
    let end = converse(&mut stream, &mut seat, &room, &config).await;
    let mut room = room::lock(&room);
    match end {
        End::Broken(e) => room.left(seat.id, format!("connection lost: {e}")),
        End::Closed => {} // the room has been told
        End::Kicked => {
            // Its queue is full and so are the kernel's buffers: a reset
            // (SO_LINGER 0) frees that memory at once instead of the kernel
            // trying to deliver it. The room already told the chat.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
    }
    room.release(seat.id); // the task is done: its id may be reused
}
// ANCHOR_END: client_task

// ANCHOR: converse
/// The conversation: whichever comes first of a read, a line to send, the
/// idle timeout or a kick. `select!` drops the branches that lost, so each
/// must be safe to cancel: `read` into a buffer we own and `recv` are.
async fn converse(stream: &mut TcpStream, seat: &mut Seat, room: &Shared, config: &Config) -> End {
    // `None` once a line was too long: what follows is thrown away.
    let mut input = Some(LineBuffer::new(MAX_LINE));
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut out = Vec::new(); // reused for every batch of lines
    // One timer for the whole session, pushed back on every read (a new
    // `sleep` per turn of the loop would register a new timer each time).
    let idle = sleep_until(Instant::now() + config.idle_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            read = stream.read(&mut chunk) => match read {
                Ok(0) => return drain_then_close(stream, seat, room).await,
                Ok(n) => {
                    idle.as_mut().reset(Instant::now() + config.idle_timeout);
                    if let Some(buf) = input.as_mut() {
                        buf.push(&chunk[..n]);
                        handle_lines(&mut input, seat, room);
                    }
                }
                Err(e) => return End::Broken(e),
            },
            msg = seat.inbox.recv() => {
                let close = match msg {
                    Some(ToClient::Lines(lines)) => write_queued(stream, seat, lines, &mut out).await,
                    Some(ToClient::Close) | None => Ok(true),
                };
                match close {
                    Ok(false) => {}
                    Ok(true) => return leave(stream, seat, room, config).await,
                    Err(end) => return end,
                }
            }
            () = &mut idle => {
                room::lock(room).timed_out(seat.id);
                idle.as_mut().reset(Instant::now() + config.idle_timeout + config.linger);
            }
            () = seat.flow.kicked.notified() => return End::Kicked,
        }
    }
}
// ANCHOR_END: converse

/// Feeds every complete line to the room; a line over the limit ends the
/// input (the chat sends the error and asks for the close).
fn handle_lines(input: &mut Option<LineBuffer>, seat: &Seat, room: &Shared) {
    // One lock for the whole read: what its lines cause is staged, and the
    // flusher task sends each recipient its share as one message.
    let mut room = room::lock(room);
    while let Some(buf) = input.as_mut() {
        match buf.next_line() {
            Ok(Some(line)) => room.line(seat.id, &line),
            Ok(None) => break,
            Err(LineError::TooLong { .. } | LineError::UnexpectedEof { .. } | LineError::Io(_)) => {
                room.too_long(seat.id);
                *input = None;
            }
        }
    }
}

// ANCHOR: write_queued
/// Writes `first` and whatever else is already queued, as one `write`.
/// `Ok(true)` when a `Close` came after them. The write is raced against a
/// kick: a client that stopped reading would otherwise hold its task in
/// `write_all` forever.
async fn write_queued(
    stream: &mut TcpStream,
    seat: &mut Seat,
    first: Vec<u8>,
    batch: &mut Vec<u8>,
) -> Result<bool, End> {
    batch.clear();
    batch.extend_from_slice(&first);
    let close = take_queued(seat, batch);
    write_unless_kicked(stream, batch, &seat.flow).await?;
    seat.flow.pending.fetch_sub(batch.len(), Ordering::Relaxed);
    Ok(close)
}
// ANCHOR_END: write_queued

/// Appends what is already queued for the client to `batch`, up to about
/// [`WRITE_BATCH`] bytes; true if a `Close` was among it.
fn take_queued(seat: &mut Seat, batch: &mut Vec<u8>) -> bool {
    while batch.len() < WRITE_BATCH {
        match seat.inbox.try_recv() {
            Ok(ToClient::Lines(lines)) => batch.extend_from_slice(&lines),
            Ok(ToClient::Close) | Err(TryRecvError::Disconnected) => return true,
            Err(TryRecvError::Empty) => return false,
        }
    }
    false
}

/// The client closed its side. It may still be owed output (a client on a
/// pipe sends its lines and half-closes at once): the room hears it left,
/// then what was queued before that is sent, then we close.
async fn drain_then_close(stream: &mut TcpStream, seat: &mut Seat, room: &Shared) -> End {
    room::lock(room).left(seat.id, "closed the connection");
    let mut batch = Vec::new();
    take_queued(seat, &mut batch);
    let _ = write_unless_kicked(stream, &batch, &seat.flow).await;
    End::Closed
}

// ANCHOR: leave
/// An orderly close: everything queued is sent, then our FIN; the client
/// reads its last lines, sees EOF and closes, or gets `linger` to do so.
/// What it still sends meanwhile is read and thrown away, so our close is a
/// clean FIN, not a reset that could destroy its last lines.
async fn leave(stream: &mut TcpStream, seat: &mut Seat, room: &Shared, config: &Config) -> End {
    let mut batch = Vec::new();
    take_queued(seat, &mut batch);
    if let Err(e) = write_unless_kicked(stream, &batch, &seat.flow).await {
        return e;
    }
    let _ = stream.shutdown().await;
    // Done with it as far as the room goes (and shutdown need not wait).
    room::lock(room).left(seat.id, "closed the connection");
    let mut sink = [0u8; READ_CHUNK];
    let _ = tokio::time::timeout(config.linger, async {
        while let Ok(1..) = stream.read(&mut sink).await {}
    })
    .await;
    End::Closed
}
// ANCHOR_END: leave

/// Writes `bytes` unless the room kicks the client meanwhile.
async fn write_unless_kicked(stream: &mut TcpStream, bytes: &[u8], flow: &Flow) -> Result<(), End> {
    tokio::select! {
        written = stream.write_all(bytes) => written.map_err(End::Broken),
        () = flow.kicked.notified() => Err(End::Kicked),
    }
}
