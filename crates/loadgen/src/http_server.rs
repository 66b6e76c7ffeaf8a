//! A tiny HTTP/1.1 server with generated content, for timing downloads.
//!
//! `GET /bytes/<n>` answers `200 OK` with `Content-Length: <n>` and `n`
//! bytes of the [`crate::bulk`] pattern (byte `i` is `i % 251`), so a 1 GiB
//! "file" needs no disk and its download can be checked byte by byte.
//! Anything else is `404`. Every response ends with `Connection: close`.
//!
//! One thread per connection, at most [`MAX_CONNS`] at once: the bench
//! fetches one file at a time, so simplicity wins. The body is written from
//! a 1 MiB buffer (a few hundred `write` calls per second at loopback
//! speed), so the server is never the slow side of a download.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use common::Shutdown;

use crate::bulk::{PERIOD, pattern_buffer};

/// Connections served at once; more wait in the accept queue.
pub const MAX_CONNS: usize = 64;
/// Longest request head accepted.
const MAX_HEAD: usize = 8 * 1024;

/// Serves on an already bound listener until `shutdown` is triggered.
/// Returns how many requests were answered.
pub fn serve(listener: TcpListener, shutdown: &Shutdown) -> Result<u64> {
    // A multiple of PERIOD, so consecutive full writes continue the pattern.
    let body = Arc::new(pattern_buffer(PERIOD * 4096)[..PERIOD * 4096].to_vec());
    let active = Arc::new(AtomicUsize::new(0));
    let mut served = 0u64;
    for conn in common::accept::connections(&listener, shutdown).context("accept")? {
        let (stream, _peer) = conn.context("accept")?;
        // Bounded wait for a free connection slot.
        for _ in 0..1000 {
            if active.load(Ordering::SeqCst) < MAX_CONNS || shutdown.is_triggered() {
                break;
            }
            thread::sleep(Duration::from_millis(5));
        }
        served += 1;
        let body = Arc::clone(&body);
        let active = Arc::clone(&active);
        active.fetch_add(1, Ordering::SeqCst);
        let guard = shutdown.stop_serving(&stream).ok();
        thread::spawn(move || {
            let _ = answer(stream, &body);
            drop(guard);
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(served)
}

/// The path of a `GET` request head, if it is one.
pub fn request_path(head: &str) -> Option<&str> {
    let first = head.lines().next()?;
    let mut parts = first.split(' ');
    match (parts.next()?, parts.next()?, parts.next()?) {
        ("GET", path, v) if v.starts_with("HTTP/1.") => Some(path),
        _ => None,
    }
}

/// Reads one request head and answers it.
fn answer(mut stream: TcpStream, body: &[u8]) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    // Bounded by MAX_HEAD.
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return respond(&mut stream, "431 Request Header Fields Too Large", 0, body);
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let len = request_path(&head)
        .and_then(|p| p.strip_prefix("/bytes/"))
        .and_then(|n| n.parse::<u64>().ok());
    match len {
        Some(n) => respond(&mut stream, "200 OK", n, body),
        None => respond(&mut stream, "404 Not Found", 0, body),
    }
}

fn respond(stream: &mut TcpStream, status: &str, len: u64, body: &[u8]) -> io::Result<()> {
    // One write for the whole head (`write!` on a raw socket would make a
    // system call per formatted piece).
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let mut left = len;
    // Bounded by `len`.
    while left > 0 {
        let n = left.min(body.len() as u64) as usize;
        stream.write_all(&body[..n])?;
        left -= n as u64;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        assert_eq!(
            request_path("GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some("/bytes/10")
        );
        assert_eq!(request_path("POST /bytes/10 HTTP/1.1\r\n\r\n"), None);
        assert_eq!(request_path("GET /x\r\n\r\n"), None);
        assert_eq!(request_path(""), None);
    }
}
