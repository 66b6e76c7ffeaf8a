//! Lesson 07: UDP, datagrams instead of a byte stream.
//!
//! The server echoes every datagram back to whoever sent it; the client works
//! like `ping`: it sends numbered datagrams, times each reply, and counts what
//! UDP does not promise to deliver: replies that never come (loss), come twice
//! (duplicates) or come after a later one (reordering).
//!
//! On loopback nothing is ever lost, so the server can *inject* the faults a
//! real network causes (`--drop-every`, `--duplicate-every`, `--reorder-every`)
//! and the client's counters can be tested against known answers.
//!
//! # Layout
//!
//! - [`Args`]: `server` and `client` subcommands.
//! - [`serve`]: the echo loop on an already bound socket, with fault injection.
//! - [`ping`]: the client's send/wait/count loop, reporting to any `Write`.
//! - [`Tally`]: the bookkeeping of one run: what was sent, what came back.
//! - [`probe`]: what `connect()` changes for a UDP socket (ICMP errors).
//! - [`peers`]: who the server has heard from, forgotten after `--idle-timeout`.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use common::{Shutdown, outln};

pub mod peers;
use peers::{MAX_PEERS, Peers};

/// The most payload one UDP datagram can carry over IPv4: the 16-bit IP
/// total length (65,535) minus a 20-byte IP header and an 8-byte UDP header.
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// The same over IPv6, whose 40-byte header is not counted in its 16-bit
/// payload length (jumbograms aside): 65,535 minus the 8-byte UDP header.
pub const MAX_PAYLOAD_V6: usize = 65_527;
/// Room for the largest datagram either family can deliver. A smaller
/// buffer would silently cut longer datagrams short: `recv_from` keeps what
/// fits and throws the rest away.
const RECV_BUF: usize = 65_536;
/// Bytes at the start of every client datagram: the sequence number.
pub const HEADER: usize = 8;
/// The largest `--size` accepted on the command line. Anything above
/// [`MAX_PAYLOAD_V4`] is allowed *so that* the kernel's refusal can be seen;
/// the cap only keeps a typo from allocating gigabytes.
pub const MAX_SIZE_ARG: usize = 1 << 20;
/// How often the server wakes from `recv_from` to check for shutdown.
const SHUTDOWN_POLL: Duration = Duration::from_millis(200);
/// `EMSGSIZE` on Linux: "Message too long".
const EMSGSIZE: i32 = 90;

/// A UDP echo server and a ping-like client.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Echo every datagram back to its sender.
    Server(ServerArgs),
    /// Send numbered datagrams, time the echoes, count loss, duplicates and reordering.
    Client(ClientArgs),
}

/// Flags of `server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9999)]
    pub port: u16,
    #[command(flatten)]
    pub faults: Faults,
    /// Do not log every datagram (only the ready line and the summary).
    #[arg(long)]
    pub quiet: bool,
    /// Seconds of silence after which a peer (a source address) is
    /// forgotten. UDP has no connections to close: this is how a UDP server
    /// decides a client has gone. See [`peers`].
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
}

/// Faults the server injects, so loss, duplication and reordering can be
/// seen (and tested) on loopback, where the kernel never causes them.
/// Counting is over all datagrams received, from every client.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Faults {
    /// Do not answer every Nth datagram (simulated loss).
    #[arg(long, value_name = "N")]
    pub drop_every: Option<NonZeroU64>,
    /// Answer every Nth datagram twice (simulated duplication).
    #[arg(long, value_name = "N")]
    pub duplicate_every: Option<NonZeroU64>,
    /// Hold every Nth answer back and send it after the next datagram's
    /// answer (simulated reordering). A held answer with no datagram after it
    /// is never sent.
    #[arg(long, value_name = "N")]
    pub reorder_every: Option<NonZeroU64>,
}

/// Flags of `client`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Server host name or address (the first address it resolves to is used).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(long, default_value_t = 9999)]
    pub port: u16,
    /// How many datagrams to send.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub count: u64,
    /// Payload bytes per datagram, sequence number included (at least 8).
    /// Over 65,507 (IPv4) the kernel refuses to send it: try it.
    #[arg(long, default_value_t = 32, value_parser = parse_size)]
    pub size: usize,
    /// Seconds to wait for each reply before counting it as lost.
    #[arg(long, default_value = "1", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

/// `--size`: at least room for the sequence number, at most [`MAX_SIZE_ARG`].
fn parse_size(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(HEADER..=MAX_SIZE_ARG).contains(&n) {
        return Err(format!(
            "must be between {HEADER} (the sequence number) and {MAX_SIZE_ARG}"
        ));
    }
    Ok(n)
}

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Server(a) => {
            let addr = common::addr::bind_addr(&a.host.address, a.port)?;
            let socket = UdpSocket::bind(addr).with_context(|| format!("bind {addr}"))?;
            let addr = socket.local_addr().context("local address")?;
            common::ready::announce(addr).context("write ready line")?;
            let shutdown = Shutdown::new();
            shutdown.on_signals()?;
            let config = ServerConfig {
                faults: a.faults,
                quiet: a.quiet,
                idle_timeout: a.idle_timeout,
            };
            let s = serve(&socket, &shutdown, &config)?;
            outln!(
                "shut down: {} datagrams received, {} answers sent ({} dropped, {} duplicated, {} reordered), {} bytes echoed",
                s.received,
                s.sent,
                s.dropped,
                s.duplicated,
                s.reordered,
                s.bytes
            );
            Ok(())
        }
        Command::Client(a) => {
            let tally = ping(&a, &mut io::stdout().lock())?;
            if tally.received() == 0 {
                bail!(
                    "no replies from {}:{} ({} datagrams sent)",
                    a.host,
                    a.port,
                    tally.sent
                );
            }
            Ok(())
        }
    }
}

/// Server settings that tests set directly.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// See [`Faults`].
    pub faults: Faults,
    /// See [`ServerArgs::quiet`].
    pub quiet: bool,
    /// See [`ServerArgs::idle_timeout`].
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
/// There is no `accept` and no connection: every `recv_from` returns one
/// whole datagram *and the address it came from*, and `send_to` answers that
/// address. One socket serves every client. The only per-client state is
/// what the server chooses to keep: here a bounded table of [`peers`],
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
    let mut summary = ServerSummary::default();
    // An answer held back by `--reorder-every`, sent after the next one.
    let mut held: Option<(Vec<u8>, SocketAddr)> = None;
    let mut peers = Peers::new(MAX_PEERS);
    let mut last_sweep = Instant::now();
    while !shutdown.is_triggered() {
        // Forget silent peers, at most once per poll interval.
        if last_sweep.elapsed() >= SHUTDOWN_POLL {
            last_sweep = Instant::now();
            for (addr, gone) in peers.expire(last_sweep, config.idle_timeout) {
                if !config.quiet {
                    outln!(
                        "{addr}: silent for {}, forgotten after {} datagrams",
                        common::text::secs(config.idle_timeout),
                        gone.datagrams
                    );
                }
            }
        }
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if common::line_reader::is_timeout(&e) => continue,
            // EINTR, or an ICMP error left over from an earlier send_to
            // (Linux reports those only on connected sockets, other systems
            // may not): neither is a reason to stop serving.
            Err(e) if is_transient(&e) => continue,
            Err(e) => return Err(e).context("recv_from"),
        };
        summary.received += 1;
        let (new, evicted) = peers.seen(peer, Instant::now());
        if !config.quiet {
            if let Some((addr, gone)) = evicted {
                outln!(
                    "{addr}: forgotten after {} datagrams (peer table full)",
                    gone.datagrams
                );
            }
            if new {
                outln!("{peer}: new peer");
            }
        }
        let datagram = &buf[..n];
        let seq = summary.received;
        let nth = |every: Option<NonZeroU64>| every.is_some_and(|k| seq % k.get() == 0);
        let faults = config.faults;
        let action = if nth(faults.drop_every) {
            summary.dropped += 1;
            "dropped"
        } else if nth(faults.reorder_every) && held.is_none() {
            held = Some((datagram.to_vec(), peer));
            "held back"
        } else {
            let copies = if nth(faults.duplicate_every) { 2 } else { 1 };
            summary.duplicated += u64::from(copies == 2);
            for _ in 0..copies {
                answer(socket, datagram, peer, &mut summary);
            }
            if let Some((late, to)) = held.take() {
                answer(socket, &late, to, &mut summary);
                summary.reordered += 1;
            }
            if copies == 2 {
                "echoed twice"
            } else {
                "echoed"
            }
        };
        if !config.quiet {
            outln!("{peer}: {n} bytes, {action}");
        }
    }
    summary.peers = peers.sessions();
    Ok(summary)
}
// ANCHOR_END: serve

/// Sends one answer; a failure is logged, not fatal: one unreachable client
/// must not stop the server answering the others.
fn answer(socket: &UdpSocket, datagram: &[u8], to: SocketAddr, summary: &mut ServerSummary) {
    match socket.send_to(datagram, to) {
        Ok(_) => {
            summary.sent += 1;
            summary.bytes += datagram.len() as u64;
        }
        Err(e) => common::errln!("send_to {to}: {e}"),
    }
}

/// Errors after which a UDP socket is still perfectly usable.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}

/// What one client run saw. Sequence numbers run from 1 to `sent`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Datagrams sent.
    pub sent: u64,
    /// Round-trip time of the first reply to each sequence number; `None`
    /// while no reply has come. Index 0 is sequence number 1.
    pub rtts: Vec<Option<Duration>>,
    /// Extra copies of replies already received.
    pub duplicates: u64,
    /// Replies that arrived after a reply with a higher sequence number.
    pub reordered: u64,
    /// Datagrams that were not a reply to anything we sent (wrong length,
    /// unknown sequence number, bytes not as sent).
    pub foreign: u64,
    /// The highest sequence number a reply has come for, to spot reordering.
    highest: u64,
}

/// How a reply was classified by [`Tally::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The first reply to this sequence number, in order.
    InOrder,
    /// The first reply, but a later sequence number was answered first.
    Reordered,
    /// Another copy of a reply already counted.
    Duplicate,
}

// ANCHOR: tally
impl Tally {
    /// Distinct sequence numbers that got a reply (duplicates not counted).
    pub fn received(&self) -> u64 {
        self.rtts.iter().filter(|r| r.is_some()).count() as u64
    }

    /// Records a reply to `seq` that took `rtt`, and says what it was.
    /// `seq` must be one we sent (1..=sent).
    pub fn record(&mut self, seq: u64, rtt: Duration) -> Arrival {
        let slot = &mut self.rtts[(seq - 1) as usize];
        if slot.is_some() {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        *slot = Some(rtt);
        if seq < self.highest {
            self.reordered += 1;
            Arrival::Reordered
        } else {
            self.highest = seq;
            Arrival::InOrder
        }
    }

    /// Percentage of datagrams that got no reply at all.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        (self.sent - self.received()) as f64 * 100.0 / self.sent as f64
    }

    /// The summary line: `5 sent, 4 received, 20% loss, rtt min/avg/max =
    /// 0.041/0.052/0.070 ms, 0 duplicates, 0 reordered` (ping's order first,
    /// then what ping does not count).
    pub fn summary(&self) -> String {
        let got: Vec<Duration> = self.rtts.iter().flatten().copied().collect();
        let rtt = match (got.iter().min(), got.iter().max()) {
            (Some(min), Some(max)) => {
                let avg = got.iter().sum::<Duration>() / got.len() as u32;
                format!("{}/{}/{} ms", ms(*min), ms(avg), ms(*max))
            }
            _ => "-/-/- ms".to_string(),
        };
        let loss = self.loss_percent();
        let loss = if loss.fract() == 0.0 {
            format!("{loss:.0}")
        } else {
            format!("{loss:.1}")
        };
        format!(
            "{} sent, {} received, {loss}% loss, rtt min/avg/max = {rtt}, {} duplicates, {} reordered",
            self.sent,
            self.received(),
            self.duplicates,
            self.reordered,
        )
    }
}
// ANCHOR_END: tally

/// A duration in milliseconds with three decimals, as ping prints it.
fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// The datagram for sequence number `seq`: the number in 8 big-endian bytes,
/// then a repeating pattern that depends on it, so a reply can be checked
/// byte for byte against what was sent without keeping a copy.
pub fn datagram(seq: u64, size: usize) -> Vec<u8> {
    let mut d = Vec::with_capacity(size);
    d.extend_from_slice(&seq.to_be_bytes());
    d.extend((HEADER..size).map(|i| (seq as usize).wrapping_add(i) as u8));
    d
}

/// The sequence number of a reply, if it is exactly a datagram we could
/// have sent: the right length, a number in range, the right bytes.
fn parse_reply(reply: &[u8], size: usize, sent: u64) -> Option<u64> {
    let header: [u8; HEADER] = reply.get(..HEADER)?.try_into().ok()?;
    let seq = u64::from_be_bytes(header);
    let ok = reply.len() == size && (1..=sent).contains(&seq) && reply == datagram(seq, size);
    ok.then_some(seq)
}

/// The local address a client binds: the loopback of the server's family
/// when the server is local, else "any address" of that family. Port 0: the
/// kernel picks one, and it is where the replies come back to.
fn local_for(server: SocketAddr) -> SocketAddr {
    let ip = match (server.ip().is_loopback(), server) {
        (true, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (true, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (false, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (false, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// Resolves the server address and makes a *connected* UDP socket for it.
///
/// `connect` on UDP sends nothing. It records the peer, so `send` needs no
/// address, datagrams from anyone else are filtered out by the kernel, and an
/// ICMP "port unreachable" for our datagrams is reported to us as
/// `ECONNREFUSED` on the next `recv` (an unconnected socket never hears it).
pub fn connect_udp(host: &str, port: u16) -> Result<(UdpSocket, SocketAddr)> {
    let server = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}:{port}"))?
        .next()
        .with_context(|| format!("resolve {host}:{port}: no addresses"))?;
    let local = local_for(server);
    let socket = UdpSocket::bind(local).with_context(|| format!("bind {local}"))?;
    socket
        .connect(server)
        .with_context(|| format!("connect to {server}"))?;
    Ok((socket, server))
}

// ANCHOR: ping
/// Sends `args.count` numbered datagrams, one at a time, waiting up to
/// `args.timeout` for each reply, and reports every reply and the summary to
/// `out`. Replies that come late are still counted, wherever they arrive.
pub fn ping(args: &ClientArgs, out: &mut impl Write) -> Result<Tally> {
    let (socket, server) = connect_udp(&args.host, args.port)?;
    writeln!(
        out,
        "PING {server}: {} datagrams of {} bytes",
        args.count, args.size
    )?;
    let mut tally = Tally {
        rtts: vec![None; args.count as usize],
        ..Tally::default()
    };
    let mut sent_at = Vec::with_capacity(args.count as usize);
    let mut buf = vec![0u8; RECV_BUF];
    for seq in 1..=args.count {
        let payload = datagram(seq, args.size);
        sent_at.push(Instant::now());
        if let Err(e) = socket.send(&payload) {
            return Err(describe_send_error(e, args.size))
                .with_context(|| format!("send to {server}"));
        }
        tally.sent = seq;
        let deadline = sent_at[(seq - 1) as usize] + args.timeout;
        let answered = |t: &Tally| t.rtts[(seq - 1) as usize].is_some();
        while !answered(&tally) {
            match receive(&socket, &mut buf, deadline)? {
                Received::Datagram(n) => {
                    note_reply(&buf[..n], args, &sent_at, &mut tally, server, out)?;
                }
                Received::Refused => {
                    writeln!(
                        out,
                        "seq={seq}: nobody listens at {server} (ICMP port unreachable)"
                    )?;
                    break;
                }
                Received::TimedOut => {
                    writeln!(
                        out,
                        "seq={seq}: no reply within {}",
                        common::text::secs(args.timeout)
                    )?;
                    break;
                }
            }
        }
    }
    // A duplicate of the last reply, or a late reply, may still be on its
    // way: listen a little longer (a tenth of the timeout) before summing up.
    let linger = Instant::now() + args.timeout / 10;
    while let Received::Datagram(n) = receive(&socket, &mut buf, linger)? {
        note_reply(&buf[..n], args, &sent_at, &mut tally, server, out)?;
    }
    writeln!(out, "--- {server} ping statistics ---")?;
    writeln!(out, "{}", tally.summary())?;
    Ok(tally)
}
// ANCHOR_END: ping

/// What one bounded wait on the socket produced.
enum Received {
    /// A datagram of this many bytes is in the buffer.
    Datagram(usize),
    /// ICMP said nobody listens on the server's port.
    Refused,
    /// Nothing came before the deadline.
    TimedOut,
}

/// Waits for one datagram until `deadline`.
fn receive(socket: &UdpSocket, buf: &mut [u8], deadline: Instant) -> Result<Received> {
    loop {
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Ok(Received::TimedOut);
        };
        socket
            .set_read_timeout(Some(left))
            .context("set read timeout")?;
        match socket.recv(buf) {
            Ok(n) => return Ok(Received::Datagram(n)),
            Err(e) if common::line_reader::is_timeout(&e) => return Ok(Received::TimedOut),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(Received::Refused),
            Err(e) => return Err(e).context("recv"),
        }
    }
}

/// Classifies one reply and prints its line.
fn note_reply(
    reply: &[u8],
    args: &ClientArgs,
    sent_at: &[Instant],
    tally: &mut Tally,
    server: SocketAddr,
    out: &mut impl Write,
) -> Result<()> {
    let Some(seq) = parse_reply(reply, args.size, tally.sent) else {
        tally.foreign += 1;
        writeln!(
            out,
            "ignored {} bytes from {server}: not a reply to anything sent",
            reply.len()
        )?;
        return Ok(());
    };
    let rtt = sent_at[(seq - 1) as usize].elapsed();
    let note = match tally.record(seq, rtt) {
        Arrival::InOrder => "",
        Arrival::Reordered => " (late, out of order)",
        Arrival::Duplicate => " (DUP!)",
    };
    writeln!(
        out,
        "{} bytes from {server}: seq={seq} time={} ms{note}",
        reply.len(),
        ms(rtt)
    )?;
    Ok(())
}

/// Names the datagram size limit when the kernel refuses a datagram as too
/// big (EMSGSIZE), instead of a bare "Message too long".
fn describe_send_error(e: io::Error, size: usize) -> anyhow::Error {
    if e.raw_os_error() == Some(EMSGSIZE) {
        anyhow::Error::new(e).context(format!(
            "a datagram of {size} bytes is over what one UDP datagram can carry \
             ({MAX_PAYLOAD_V4} bytes of payload over IPv4, {MAX_PAYLOAD_V6} over IPv6)"
        ))
    } else {
        e.into()
    }
}

// ANCHOR: probe
/// What sending one datagram to `server` on a connected socket found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A reply came back.
    Answered,
    /// The kernel got an ICMP "port unreachable" back and reported it as
    /// ECONNREFUSED: nobody listens there.
    Refused,
    /// Nothing at all within the timeout: the datagram, or its answer, may
    /// be lost, or the server may ignore it. UDP cannot tell these apart.
    Silent,
}

/// Sends one datagram to `server` on a connected UDP socket and waits up to
/// `timeout` for an answer. Only a connected socket learns of ICMP errors.
pub fn probe(server: SocketAddr, timeout: Duration) -> Result<Probe> {
    let socket = UdpSocket::bind(local_for(server)).context("bind")?;
    socket.connect(server).context("connect")?;
    socket.send(b"probe").context("send")?;
    let mut buf = [0u8; 64];
    Ok(
        match receive(&socket, &mut buf, Instant::now() + timeout)? {
            Received::Datagram(_) => Probe::Answered,
            Received::Refused => Probe::Refused,
            Received::TimedOut => Probe::Silent,
        },
    )
}
// ANCHOR_END: probe

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_duplicates_and_reordering() {
        let mut t = Tally {
            sent: 4,
            rtts: vec![None; 4],
            ..Tally::default()
        };
        let ms = Duration::from_millis;
        assert_eq!(t.record(1, ms(1)), Arrival::InOrder);
        assert_eq!(t.record(3, ms(3)), Arrival::InOrder);
        assert_eq!(t.record(2, ms(2)), Arrival::Reordered);
        assert_eq!(t.record(2, ms(5)), Arrival::Duplicate);
        assert_eq!(t.received(), 3);
        assert_eq!(t.duplicates, 1);
        assert_eq!(t.reordered, 1);
        assert_eq!(
            t.summary(),
            "4 sent, 3 received, 25% loss, rtt min/avg/max = 1.000/2.000/3.000 ms, 1 duplicates, 1 reordered"
        );
    }

    #[test]
    fn summary_without_replies_has_no_rtt() {
        let t = Tally {
            sent: 3,
            rtts: vec![None; 3],
            ..Tally::default()
        };
        assert_eq!(
            t.summary(),
            "3 sent, 0 received, 100% loss, rtt min/avg/max = -/-/- ms, 0 duplicates, 0 reordered"
        );
    }

    #[test]
    fn fractional_loss_has_one_decimal() {
        let mut t = Tally {
            sent: 3,
            rtts: vec![None; 3],
            ..Tally::default()
        };
        t.record(1, Duration::from_millis(1));
        assert!(t.summary().contains(" 66.7% loss"), "{}", t.summary());
    }

    #[test]
    fn replies_are_checked_byte_for_byte() {
        let d = datagram(7, 40);
        assert_eq!(parse_reply(&d, 40, 10), Some(7));
        assert_eq!(parse_reply(&d, 41, 10), None, "wrong length");
        assert_eq!(parse_reply(&d, 40, 6), None, "never sent");
        let mut bad = d.clone();
        bad[20] ^= 1;
        assert_eq!(parse_reply(&bad, 40, 10), None, "corrupted");
        assert_eq!(parse_reply(b"short", 40, 10), None);
    }

    #[test]
    fn size_limits_are_enforced_by_the_parser() {
        assert!(parse_size("7").is_err());
        assert_eq!(parse_size("8"), Ok(8));
        assert_eq!(parse_size("70000"), Ok(70000));
        assert!(parse_size(&(MAX_SIZE_ARG + 1).to_string()).is_err());
    }
}
