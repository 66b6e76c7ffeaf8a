//! Spawns a thread per client but never joins them: returns before the clients are served, with their lines lost.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

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
    let (tx, rx) = mpsc::channel();
    for _ in 0..n {
        let (stream, _peer) = listener.accept()?;
        let tx = tx.clone();
        thread::spawn(move || {
            if let Ok(line) = echo_one_line(stream) {
                let _ = tx.send(line);
            }
        });
    }
    // The mistake: whatever has arrived so far, without waiting for the rest.
    Ok(rx.try_iter().collect())
}
