//! Small socket helpers the workloads share.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Opens a blocking TCP connection with Nagle's algorithm off.
///
/// Why `TCP_NODELAY`: a load generator must not add its own delays. With
/// Nagle on, a small write waits while earlier data is unacknowledged; the
/// servers under test decide for themselves.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Raises this process's soft `RLIMIT_NOFILE` as far as the hard limit
/// allows and fails with a clear message if that is fewer than `needed`
/// descriptors.
///
/// 10,000 chat clients are 10,000 sockets; the usual soft limit is 1024.
/// The `rlimit` crate makes the `setrlimit` call without `unsafe` here.
pub fn raise_nofile(needed: u64) -> Result<u64> {
    let limit = rlimit::increase_nofile_limit(u64::MAX).context("raise RLIMIT_NOFILE")?;
    if limit < needed {
        bail!(
            "need {needed} file descriptors but the hard limit allows {limit} \
             (raise it with `ulimit -Hn` as root)"
        );
    }
    Ok(limit)
}

/// Outcome of reading the first line a server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstLine {
    /// A whole line (without `\n` or `\r\n`); bytes after it are an error for
    /// our protocols, so they are counted in `extra`.
    Line { line: String, extra: usize },
    /// Not a whole line yet.
    Partial,
    /// Too long to be a greeting.
    TooLong,
}

/// Looks for the first line in `buf[..len]`.
pub fn first_line(buf: &[u8], max: usize) -> FirstLine {
    match buf.iter().position(|&b| b == b'\n') {
        Some(pos) => {
            let mut line = &buf[..pos];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            FirstLine::Line {
                line: String::from_utf8_lossy(line).into_owned(),
                extra: buf.len() - pos - 1,
            }
        }
        None if buf.len() >= max => FirstLine::TooLong,
        None => FirstLine::Partial,
    }
}

/// Reads one line from a blocking stream byte by byte (only used for short
/// greetings outside measured loops). At most `max` bytes.
pub fn read_line_blocking(s: &mut TcpStream, max: usize) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < max {
        match s.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// A request of `size` bytes for connection `id`: printable letters that
/// differ between connections (so a reply sent to the wrong client is
/// caught), ending in `\n`.
pub fn request(id: usize, size: usize) -> Vec<u8> {
    let size = size.max(1);
    let mut v: Vec<u8> = (0..size - 1)
        .map(|i| b'a' + ((id + i) % 26) as u8)
        .collect();
    v.push(b'\n');
    v
}

/// True for the errors that mean "try again later" on a non-blocking socket.
pub fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_variants() {
        assert_eq!(
            first_line(b"Hello client\r\n", 64),
            FirstLine::Line {
                line: "Hello client".into(),
                extra: 0
            }
        );
        assert_eq!(
            first_line(b"busy\nx", 64),
            FirstLine::Line {
                line: "busy".into(),
                extra: 1
            }
        );
        assert_eq!(first_line(b"Hel", 64), FirstLine::Partial);
        assert_eq!(first_line(b"Hel", 3), FirstLine::TooLong);
    }

    #[test]
    fn requests_have_the_size_and_differ_per_connection() {
        let a = request(0, 64);
        let b = request(1, 64);
        assert_eq!(a.len(), 64);
        assert_eq!(a.last(), Some(&b'\n'));
        assert_ne!(a, b);
        assert_eq!(request(3, 1), b"\n");
        assert_eq!(request(3, 0), b"\n");
    }
}
