//! `udp`: ping-style datagram round trips against an echoing UDP server.
//!
//! One datagram in flight: send datagram `seq`, wait up to `timeout` for
//! its echo, then send the next. A reply that does not come in time counts
//! as lost; a reply to an earlier, already given-up datagram counts as
//! `late` (it is not a round trip of the current one).
//!
//! Datagram layout: the sequence number (8 bytes, little-endian), then
//! filler up to `size` bytes.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::record::Record;
use crate::stats::Latencies;

/// What to run.
#[derive(Debug, Clone)]
pub struct UdpOpts {
    /// Server address.
    pub addr: SocketAddr,
    /// Datagram size in bytes (at least 8).
    pub size: usize,
    /// How long to wait for each echo before counting it lost.
    pub timeout: Duration,
    /// Round trips before this are not counted.
    pub warmup: Duration,
    /// Measured time after the warm-up.
    pub duration: Duration,
    /// Label for the result line.
    pub target: String,
}

/// Runs the workload and returns its record.
pub fn run(opts: &UdpOpts) -> Result<Record> {
    if opts.size < 8 || opts.size > 65_507 {
        bail!("--size must be between 8 and 65507 bytes");
    }
    let local: SocketAddr = if opts.addr.is_ipv6() {
        "[::1]:0".parse()?
    } else {
        "127.0.0.1:0".parse()?
    };
    let sock = UdpSocket::bind(local).context("bind a UDP socket")?;
    // connect() filters replies to the server's address and turns an ICMP
    // "port unreachable" into an error on the next receive.
    sock.connect(opts.addr)
        .with_context(|| format!("connect UDP socket to {}", opts.addr))?;
    let mut out = vec![b'u'; opts.size];
    let mut inp = vec![0u8; 65_536];
    let mut lat = Latencies::new();
    let (mut sent, mut received, mut lost, mut late, mut errors) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut note = String::new();
    let start = Instant::now();
    let warm_end = start + opts.warmup;
    let end = warm_end + opts.duration;
    let mut seq: u64 = 0;
    // Bounded by `end`.
    while Instant::now() < end {
        seq += 1;
        out[..8].copy_from_slice(&seq.to_le_bytes());
        let sent_at = Instant::now();
        let counting = sent_at >= warm_end;
        if let Err(e) = sock.send(&out) {
            errors += 1;
            if note.is_empty() {
                note = format!("send: {e}");
            }
            if errors > 1000 {
                bail!("sending keeps failing: {e}");
            }
            continue;
        }
        if counting {
            sent += 1;
        }
        let deadline = sent_at + opts.timeout;
        // Wait for this datagram's echo; bounded by `deadline`.
        let got = loop {
            let now = Instant::now();
            if now >= deadline {
                break false;
            }
            sock.set_read_timeout(Some(deadline - now))?;
            match sock.recv(&mut inp) {
                Ok(n) if n >= 8 => {
                    let echoed = u64::from_le_bytes(inp[..8].try_into().unwrap_or([0; 8]));
                    if echoed == seq && n == opts.size {
                        break true;
                    }
                    if echoed < seq && counting {
                        late += 1;
                    }
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break false;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Port unreachable: nobody listens there (yet). Count it
                    // and slow down so a missing server is not a busy loop.
                    errors += 1;
                    if note.is_empty() {
                        note = format!("receive: {e}");
                    }
                    std::thread::sleep(Duration::from_millis(10));
                    break false;
                }
            }
        };
        if counting {
            if got {
                received += 1;
                lat.record(sent_at.elapsed());
            } else {
                lost += 1;
            }
        }
    }
    let secs = opts.duration.as_secs_f64();
    let s = lat.summary();
    let loss_pct = if sent == 0 {
        0.0
    } else {
        100.0 * lost as f64 / sent as f64
    };
    Ok(Record::new("udp", &opts.target)
        .int("size", opts.size as u64)
        .int("sent", sent)
        .int("received", received)
        .int("lost", lost)
        .int("late", late)
        .int("errors", errors)
        .float("loss_pct", loss_pct)
        .float("secs", secs)
        .float("rt_per_s", received as f64 / secs)
        .float("p50_us", s.p50_us)
        .float("p99_us", s.p99_us)
        .float("max_us", s.max_us)
        .text("note", &note))
}
