//! One client's conversation, from greeting to close.
//!
//! This module knows nothing about *who* runs a conversation: a server
//! hands each client to a thread (or a job, or anything else) that calls
//! [`Service::handle`]. Keeping it apart from the dispatch is what lets a
//! later lesson swap the dispatch and say "the only difference is the
//! dispatch" and mean it.
//!
//! The protocol: the server greets with `Hello client`, then echoes every
//! line back, byte for byte (invalid UTF-8 included), and logs it as
//! `received from <peer>: <line>` with unsafe characters escaped.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::errors::is_timeout;
use common::shutdown::HookGuard;
use common::text::{count, printable, secs};
use common::{LineError, LineReader, Shutdown, errln, outln};

/// The first line every client receives.
pub const GREETING: &[u8] = b"Hello client\n";

/// What a client gets when every slot is taken, just before it is closed.
pub const BUSY: &[u8] = b"server busy, try again later\n";

/// After an error line we stop sending, then read and discard what the peer
/// still sends for at most this long, so closing does not turn into a reset
/// that could destroy the error line before the peer reads it.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// ...and at most this many bytes: a peer cannot keep us draining forever.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Per-client settings, the same for every server that uses this module.
///
/// They are also command-line flags: a server's `Args` takes them with
/// `#[command(flatten)]`, so the flags are declared once, here.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientConfig {
    /// A client silent for this long is told so and disconnected; a client
    /// that stops reading our replies for this long is disconnected too.
    #[arg(
        long,
        default_value = "300",
        value_parser = common::args::parse_secs,
        help = "Seconds a client may stay silent before it is disconnected"
    )]
    pub idle_timeout: Duration,
    /// The longest line accepted; a longer one gets an error line and the
    /// connection is closed, so a peer cannot make us buffer without limit.
    /// Not a flag: the lessons keep the default.
    #[arg(skip = common::line_reader::DEFAULT_MAX_LINE)]
    pub max_line: usize,
    /// Suppresses the `received from` line for every line, which would
    /// otherwise dominate the cost of a benchmark.
    #[arg(long, help = "Do not log every received line (for benchmarks)")]
    pub quiet: bool,
}

impl Default for ClientConfig {
    /// The lessons' defaults: 300 s idle timeout, 64 KiB lines, logging on.
    fn default() -> Self {
        ClientConfig {
            idle_timeout: Duration::from_secs(300),
            max_line: common::line_reader::DEFAULT_MAX_LINE,
            quiet: false,
        }
    }
}

/// What a server did, for the summary line printed at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Clients whose conversation ran to its end (whatever the end was).
    pub served: u64,
    /// Clients told `server busy` and closed.
    pub turned_away: u64,
}

/// The shared part of a server: settings, counters, and the shutdown flag.
///
/// Lives in an `Arc` so that whatever serves a client (a thread of its own,
/// a job on a worker) can reach it; the counters are atomics because many
/// threads bump them.
#[derive(Debug)]
pub struct Service {
    config: ClientConfig,
    shutdown: Shutdown,
    served: AtomicU64,
    turned_away: AtomicU64,
}

/// An accepted client, made ready to serve: options set, and registered so
/// shutdown closes it from the moment it is admitted, even before anyone
/// starts serving it.
#[derive(Debug)]
pub struct Client {
    /// Shared with the shutdown hook, which needs to reach the socket to shut
    /// it down; an `Arc` costs no second descriptor, unlike `try_clone`.
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    /// Unregisters the shutdown hook when the client is done.
    _closed_at_shutdown: HookGuard,
}

/// How a conversation ended without a clean close.
enum Ended {
    /// Reading failed: a reset, an idle timeout, a line over the limit, EOF
    /// in the middle of a line.
    Read(LineError),
    /// Writing failed: the peer is gone or stopped reading.
    Write(io::Error),
}

impl Service {
    /// A service with these settings that stops when `shutdown` is triggered.
    pub fn new(config: ClientConfig, shutdown: Shutdown) -> Self {
        Service {
            config,
            shutdown,
            served: AtomicU64::new(0),
            turned_away: AtomicU64::new(0),
        }
    }

    /// The counters so far.
    pub fn summary(&self) -> Summary {
        Summary {
            served: self.served.load(Ordering::Relaxed),
            turned_away: self.turned_away.load(Ordering::Relaxed),
        }
    }

    // ANCHOR: admit
    /// Prepares an accepted connection: timeouts, no Nagle delay, and a
    /// shutdown hook that shuts the socket down when the server stops. If a
    /// socket option cannot be set, the client is told the server is busy
    /// and closed, and `None` is returned.
    pub fn admit(&self, stream: TcpStream, peer: SocketAddr) -> Option<Client> {
        let setup = stream
            .set_read_timeout(Some(self.config.idle_timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.config.idle_timeout)))
            // One small reply per line: without this, Nagle's algorithm and
            // the peer's delayed ACK can hold each reply back for ~40 ms.
            .and_then(|()| stream.set_nodelay(true));
        match setup {
            Ok(()) => {
                let stream = Arc::new(stream);
                let guard = self.shutdown.stop_serving_shared(&stream);
                Some(Client {
                    stream,
                    peer,
                    _closed_at_shutdown: guard,
                })
            }
            Err(e) => {
                errln!("error: set up client {peer}: {e}; turning it away");
                self.turn_away(stream, peer);
                None
            }
        }
    }
    // ANCHOR_END: admit

    // ANCHOR: turn_away
    /// Tells a client there is no room and closes it, without blocking the
    /// accept loop: the message is tiny and the socket's send buffer is empty.
    pub fn turn_away(&self, stream: TcpStream, peer: SocketAddr) {
        self.turned_away.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let _ = (&stream).write_all(BUSY);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        outln!("client {peer} turned away: server busy");
    }
    // ANCHOR_END: turn_away

    // ANCHOR: handle
    /// Serves one client from greeting to close, logging how it ended.
    /// Never panics on anything the peer does; every way out closes the socket.
    pub fn handle(&self, client: Client) {
        let (stream, peer): (&TcpStream, _) = (&client.stream, &client.peer);
        outln!("client {peer} connected");
        match self.converse(stream, *peer) {
            Ok(lines) if self.shutdown.is_triggered() => {
                outln!(
                    "client {peer} closed at shutdown after {}",
                    count(lines, "line")
                );
            }
            Ok(lines) => outln!("client {peer} disconnected after {}", count(lines, "line")),
            Err(Ended::Read(e)) if e.is_timeout() => {
                let idle = secs(self.config.idle_timeout);
                let _ =
                    (&*stream).write_all(format!("error: idle for {idle}, closing\n").as_bytes());
                outln!("client {peer} idle for {idle}, disconnected");
            }
            Err(Ended::Read(e @ LineError::TooLong { .. })) => {
                let _ = (&*stream).write_all(format!("error: {e}\n").as_bytes());
                drain_and_close(stream);
                outln!("client {peer}: error: {e}; disconnected");
            }
            Err(Ended::Read(e)) => outln!("client {peer}: error: {e}"),
            Err(Ended::Write(e)) if is_timeout(&e) => outln!(
                "client {peer} stopped reading for {}, disconnected",
                secs(self.config.idle_timeout)
            ),
            Err(Ended::Write(e)) => outln!("client {peer}: error: {e}"),
        }
        self.served.fetch_add(1, Ordering::Relaxed);
        // `client` is dropped here: the socket closes, the shutdown hook goes.
    }

    /// The conversation itself: greet, then read a line, echo it, repeat.
    /// Returns how many lines were echoed when the peer closes cleanly.
    fn converse(&self, stream: &TcpStream, peer: SocketAddr) -> Result<u64, Ended> {
        let mut out = stream; // `&TcpStream` is `Write`: reads and writes share it
        out.write_all(GREETING).map_err(Ended::Write)?;
        let mut lines = LineReader::new(stream, self.config.max_line);
        let mut count = 0;
        while let Some(mut line) = lines.read_line().map_err(Ended::Read)? {
            if !self.config.quiet {
                outln!("received from {peer}: {}", printable(&line));
            }
            // One write per line, the newline included: one system call, one
            // segment, and the bytes go back exactly as they came.
            line.push(b'\n');
            out.write_all(&line).map_err(Ended::Write)?;
            count += 1;
        }
        Ok(count)
    }
    // ANCHOR_END: handle
}

/// After an error line: stop sending (FIN), then discard what the peer still
/// sends, within [`DRAIN_TIME`] and [`DRAIN_LIMIT`]. Closing a socket with
/// unread data makes the kernel send a reset, and a reset can make the peer
/// lose our error line before reading it.
fn drain_and_close(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + DRAIN_TIME;
    let mut sink = [0u8; 8192];
    let mut drained = 0;
    while drained < DRAIN_LIMIT {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*stream).read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
