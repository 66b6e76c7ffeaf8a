//! `bulk`: one connection streams 64 KiB writes through an echo server.
//!
//! The client writes a known byte pattern in `chunk`-sized writes and reads
//! the echo at the same time (one non-blocking socket, one `mio` loop), with
//! at most `window` bytes written but not yet echoed: enough to keep both
//! directions busy, bounded so the result is throughput, not buffering.
//! Every echoed byte is checked against the pattern.
//!
//! MB here are 10^6 bytes, as network rates usually are.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::net;
use crate::record::Record;

/// What to run.
#[derive(Debug, Clone)]
pub struct BulkOpts {
    /// Server address.
    pub addr: SocketAddr,
    /// Bytes per write.
    pub chunk: usize,
    /// Most bytes in flight (written, not yet echoed).
    pub window: usize,
    /// Bytes echoed before this are not counted.
    pub warmup: Duration,
    /// Measured time after the warm-up.
    pub duration: Duration,
    /// A first line to skip before the echo starts (a greeting), if any.
    pub greeting: Option<String>,
    /// Label for the result line.
    pub target: String,
}

/// The pattern repeats every `PERIOD` bytes: a prime, so it never lines up
/// with power-of-two buffer sizes and a shifted or repeated piece shows.
pub const PERIOD: usize = 251;

/// The pattern byte at stream offset `off`.
pub fn pattern_byte(off: u64) -> u8 {
    (off % PERIOD as u64) as u8
}

/// A buffer holding `len + PERIOD` pattern bytes from offset 0; the bytes of
/// any stream offset `o` for up to `len` bytes are `buf[o % PERIOD..]`.
pub fn pattern_buffer(len: usize) -> Vec<u8> {
    (0..len + PERIOD).map(|i| pattern_byte(i as u64)).collect()
}

/// True when `data` is the pattern from stream offset `off`.
pub fn matches_pattern(pattern: &[u8], off: u64, data: &[u8]) -> bool {
    let max = pattern.len() - PERIOD;
    let mut off = off;
    data.chunks(max).all(|piece| {
        let start = (off % PERIOD as u64) as usize;
        off += piece.len() as u64;
        piece == &pattern[start..start + piece.len()]
    })
}

/// Runs the workload and returns its record.
pub fn run(opts: &BulkOpts) -> Result<Record> {
    if opts.chunk == 0 || opts.window < opts.chunk {
        bail!("--chunk must be at least 1 and --window at least one chunk");
    }
    let mut std_stream = net::connect(opts.addr, Duration::from_secs(5))
        .with_context(|| format!("connect {}", opts.addr))?;
    if let Some(g) = &opts.greeting {
        std_stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let line = net::read_line_blocking(&mut std_stream, 512).context("read greeting")?;
        if &line != g {
            bail!("expected greeting {g:?}, got {line:?}");
        }
    }
    std_stream.set_nonblocking(true)?;
    let mut stream = TcpStream::from_std(std_stream);
    let mut poll = Poll::new()?;
    poll.registry().register(
        &mut stream,
        Token(0),
        Interest::READABLE | Interest::WRITABLE,
    )?;
    let pattern = pattern_buffer(opts.chunk.max(256 * 1024));
    let mut rbuf = vec![0u8; 256 * 1024];
    let mut written: u64 = 0;
    let mut read: u64 = 0;
    let mut counted: u64 = 0;
    let start = Instant::now();
    let warm_end = start + opts.warmup;
    let end = warm_end + opts.duration;
    let mut events = Events::with_capacity(16);
    // Bounded: every turn waits at most until `end`.
    loop {
        // Read everything that is there.
        loop {
            match stream.read(&mut rbuf) {
                Ok(0) => bail!("server closed the connection after echoing {read} bytes"),
                Ok(n) => {
                    if !matches_pattern(&pattern, read, &rbuf[..n]) {
                        bail!("echoed bytes differ from what was sent (at offset {read})");
                    }
                    read += n as u64;
                    if Instant::now() >= warm_end {
                        counted += n as u64;
                    }
                }
                Err(e) if net::would_block(&e) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("read echo"),
            }
        }
        // Write while the window allows.
        while written - read < opts.window as u64 {
            let room = (opts.window as u64 - (written - read)) as usize;
            // Finish a partial chunk first, then whole chunks.
            let in_chunk = (written % opts.chunk as u64) as usize;
            let len = (opts.chunk - in_chunk).min(room);
            let start = (written % PERIOD as u64) as usize;
            match stream.write(&pattern[start..start + len]) {
                Ok(n) => written += n as u64,
                Err(e) if net::would_block(&e) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("write"),
            }
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        let wait = (end - now).min(Duration::from_millis(100));
        match poll.poll(&mut events, Some(wait)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let secs = opts.duration.as_secs_f64();
    Ok(Record::new("bulk", &opts.target)
        .int("chunk", opts.chunk as u64)
        .int("window", opts.window as u64)
        .int("bytes", counted)
        .float("secs", secs)
        .float("mb_per_s", counted as f64 / 1e6 / secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_checks_any_offset_and_length() {
        let p = pattern_buffer(1000);
        let stream: Vec<u8> = (0..5000u64).map(pattern_byte).collect();
        for (off, len) in [(0, 10), (250, 3), (251, 1000), (1234, 2500), (4999, 1)] {
            assert!(matches_pattern(&p, off as u64, &stream[off..off + len]));
        }
        // A shifted or corrupted piece fails.
        assert!(!matches_pattern(&p, 1, &stream[0..10]));
        let mut bad = stream[100..2100].to_vec();
        bad[1500] ^= 1;
        assert!(!matches_pattern(&p, 100, &bad));
    }
}
