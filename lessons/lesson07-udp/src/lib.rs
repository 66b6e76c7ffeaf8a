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
//! - [`Args`] and [`run`] (here): `server` and `client` subcommands.
//! - [`server`]: the echo loop on an already bound socket, with fault
//!   injection counted per client.
//! - [`peers`]: who the server has heard from, forgotten after `--idle-timeout`.
//! - [`client`]: the ping client's send/wait/count loop, reporting to any `Write`.
//! - [`tally`]: the bookkeeping of one run: what was sent, what came back.
//! - [`probe`](mod@probe): what `connect()` changes for a UDP socket (ICMP errors).

use std::io;
use std::net::UdpSocket;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use common::Shutdown;
use common::text::count;

pub mod client;
pub mod peers;
pub mod probe;
pub mod server;
pub mod tally;

pub use client::{HEADER, connect_udp, datagram, ping};
pub use probe::{Probe, probe};
pub use server::{Faults, ServerConfig, ServerSummary, serve};
pub use tally::{Arrival, Tally};

/// The most payload one UDP datagram can carry over IPv4: the 16-bit IP
/// total length (65,535) minus a 20-byte IP header and an 8-byte UDP header.
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// The same over IPv6, whose 40-byte header is not counted in its 16-bit
/// payload length (jumbograms aside): 65,535 minus the 8-byte UDP header.
pub const MAX_PAYLOAD_V6: usize = 65_527;
/// Room for the largest datagram either family can deliver. A smaller
/// buffer would silently cut longer datagrams short: `recv_from` keeps what
/// fits and throws the rest away.
pub(crate) const RECV_BUF: usize = 65_536;
/// The largest `--size` accepted on the command line. Anything above
/// [`MAX_PAYLOAD_V4`] is allowed *so that* the kernel's refusal can be seen;
/// the cap only keeps a typo from allocating gigabytes.
pub const MAX_SIZE_ARG: usize = 1 << 20;
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
    /// decides a client has gone.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
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
            common::summaryln!(
                "shut down: {} received, {} sent ({} dropped, {} duplicated, {} reordered), {} echoed",
                count(s.received, "datagram"),
                count(s.sent, "answer"),
                s.dropped,
                s.duplicated,
                s.reordered,
                count(s.bytes, "byte")
            );
            Ok(())
        }
        Command::Client(a) => {
            let tally = ping(&a, &mut io::stdout().lock())?;
            if tally.received() == 0 {
                bail!(
                    "no replies from {}:{} ({} sent)",
                    a.host,
                    a.port,
                    count(tally.sent, "datagram")
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits_are_enforced_by_the_parser() {
        assert!(parse_size("7").is_err());
        assert_eq!(parse_size("8"), Ok(8));
        assert_eq!(parse_size("70000"), Ok(70000));
        assert!(parse_size(&(MAX_SIZE_ARG + 1).to_string()).is_err());
    }
}
