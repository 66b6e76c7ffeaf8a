//! The UDP echo server: one socket, one loop, every client.
//!
//! There is no `accept` and no connection: every `recv_from` returns one
//! whole datagram *and the address it came from*, and `send_to` answers that
//! address. The server can inject the faults a real network causes
//! ([`Faults`]), counted per client, so the client's counters can be tested
//! against known answers.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use common::errors::is_timeout;
use common::{Shutdown, outln};

use crate::RECV_BUF;
use crate::peers::{MAX_PEERS, Peers};

/// How often the server wakes from `recv_from` to check for shutdown.
const SHUTDOWN_POLL: Duration = Duration::from_millis(200);

/// Faults the server injects, so loss, duplication and reordering can be
/// seen (and tested) on loopback, where the kernel never causes them.
/// Counting is per client: each client's own Nth datagram, so one client's
/// traffic never changes which of another's datagrams are hit.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Faults {
    /// Do not answer each client's every Nth datagram (simulated loss).
    #[arg(long, value_name = "N")]
    pub drop_every: Option<NonZeroU64>,
    /// Answer each client's every Nth datagram twice (simulated duplication).
    #[arg(long, value_name = "N")]
    pub duplicate_every: Option<NonZeroU64>,
    /// Hold each client's every Nth answer back and send it after the next
    /// answer (simulated reordering). A held answer with no datagram after
    /// it is never sent.
    #[arg(long, value_name = "N")]
    pub reorder_every: Option<NonZeroU64>,
}

/// Server settings that tests set directly.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// See [`Faults`].
    pub faults: Faults,
    /// Logs only the ready line and the summary, not every datagram.
    pub quiet: bool,
    /// Silence after which a peer is forgotten (see [`crate::peers`]).
    pub idle_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            faults: Faults::default(),
            quiet: false,
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// What the server did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerSummary {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams sent back (duplicates count twice).
    pub sent: u64,
    /// Datagrams not answered (`--drop-every`).
    pub dropped: u64,
    /// Datagrams answered twice (`--duplicate-every`).
    pub duplicated: u64,
    /// Answers sent late, after a later one (`--reorder-every`).
    pub reordered: u64,
    /// Payload bytes sent back.
    pub bytes: u64,
    /// Peer sessions: distinct source addresses, counting one again if it
    /// came back after being forgotten.
    pub peers: u64,
}

// ANCHOR: serve
/// Echoes datagrams on `socket` until `shutdown` is triggered.
///
/// One socket serves every client. The only per-client state is what the
/// server chooses to keep: here a bounded table of [`crate::peers`],
/// forgotten after `idle_timeout` of silence.
///
/// A blocking `recv_from` cannot be interrupted by a signal flag, so the
/// socket gets a short read timeout and the loop re-checks the flag each time
/// it expires: shutdown takes at most that timeout (200 ms).
pub fn serve(
    socket: &UdpSocket,
    shutdown: &Shutdown,
    config: &ServerConfig,
) -> Result<ServerSummary> {
    socket
        .set_read_timeout(Some(SHUTDOWN_POLL))
        .context("set read timeout")?;
    let mut buf = vec![0u8; RECV_BUF];
    let mut echo = Echo {
        socket,
        faults: config.faults,
        held: None,
        summary: ServerSummary::default(),
    };
    let mut peers = Peers::new(MAX_PEERS);
    let mut last_sweep = Instant::now();
    while !shutdown.is_triggered() {
        // Forget silent peers, at most once per poll interval.
        if last_sweep.elapsed() >= SHUTDOWN_POLL {
            last_sweep = Instant::now();
            forget_silent(&mut peers, last_sweep, config);
        }
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if is_timeout(&e) => continue,
            // EINTR, or an ICMP error left over from an earlier send_to
            // (Linux reports those only on connected sockets, other systems
            // may not): neither is a reason to stop serving.
            Err(e) if is_transient(&e) => continue,
            Err(e) => return Err(e).context("recv_from"),
        };
        echo.summary.received += 1;
        let nth = note_peer(&mut peers, peer, config.quiet);
        let action = echo.answer(&buf[..n], peer, nth);
        if !config.quiet {
            outln!("{peer}: {n} bytes, {action}");
        }
    }
    echo.summary.peers = peers.sessions();
    Ok(echo.summary)
}
// ANCHOR_END: serve

/// Forgets the peers silent for longer than the idle timeout, saying so.
fn forget_silent(peers: &mut Peers, now: Instant, config: &ServerConfig) {
    for (addr, gone) in peers.expire(now, config.idle_timeout) {
        if !config.quiet {
            outln!(
                "{addr}: silent for {}, forgotten after {}",
                common::text::secs(config.idle_timeout),
                common::text::count(gone.datagrams, "datagram")
            );
        }
    }
}

/// Records a datagram from `peer` and returns its number in that peer's
/// session (1 for a new peer), logging new and evicted peers.
fn note_peer(peers: &mut Peers, peer: SocketAddr, quiet: bool) -> u64 {
    let (new, evicted) = peers.seen(peer, Instant::now());
    if !quiet {
        if let Some((addr, gone)) = evicted {
            outln!(
                "{addr}: forgotten after {} (peer table full)",
                common::text::count(gone.datagrams, "datagram")
            );
        }
        if new {
            outln!("{peer}: new peer");
        }
    }
    peers.datagrams_from(peer)
}

// ANCHOR: faults
/// The answering side of the server: the socket, the faults to inject, and
/// the one answer `--reorder-every` may be holding back.
struct Echo<'a> {
    socket: &'a UdpSocket,
    faults: Faults,
    held: Option<(Vec<u8>, SocketAddr)>,
    summary: ServerSummary,
}

impl Echo<'_> {
    /// Answers `datagram`, the `nth` from `peer`, with whatever faults apply
    /// to it, and says what was done for the log.
    fn answer(&mut self, datagram: &[u8], peer: SocketAddr, nth: u64) -> &'static str {
        let hit = |every: Option<NonZeroU64>| every.is_some_and(|k| nth.is_multiple_of(k.get()));
        if hit(self.faults.drop_every) {
            self.summary.dropped += 1;
            return "dropped";
        }
        if hit(self.faults.reorder_every) && self.held.is_none() {
            self.held = Some((datagram.to_vec(), peer));
            return "held back";
        }
        let twice = hit(self.faults.duplicate_every);
        self.send(datagram, peer);
        if twice {
            self.summary.duplicated += 1;
            self.send(datagram, peer);
        }
        if let Some((late, to)) = self.held.take() {
            self.send(&late, to);
            self.summary.reordered += 1;
        }
        if twice { "echoed twice" } else { "echoed" }
    }

    /// Sends one answer; a failure is logged, not fatal: one unreachable
    /// client must not stop the server answering the others.
    fn send(&mut self, datagram: &[u8], to: SocketAddr) {
        match self.socket.send_to(datagram, to) {
            Ok(_) => {
                self.summary.sent += 1;
                self.summary.bytes += datagram.len() as u64;
            }
            Err(e) => common::errln!("send_to {to}: {e}"),
        }
    }
}
// ANCHOR_END: faults

/// Errors after which a UDP socket is still perfectly usable.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}
