//! Serves each client in the accept loop before accepting the next: a slow first client holds up everyone behind it.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

pub fn echo_one_line(stream: TcpStream) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    BufReader::new(&stream).read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    let mut out = &stream;
    out.write_all(&line)?;
    out.write_all(b"\n")?;
    Ok(line)
}

pub fn echo_clients(listener: &TcpListener, n: usize) -> io::Result<Vec<Vec<u8>>> {
    let mut lines = Vec::new();
    for _ in 0..n {
        let (stream, _peer) = listener.accept()?;
        lines.push(echo_one_line(stream)?);
    }
    Ok(lines)
}
