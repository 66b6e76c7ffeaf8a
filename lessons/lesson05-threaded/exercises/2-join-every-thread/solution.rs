//! Exercise 05-2: a thread per client, and join every one of them (solution).
//!
//! GOAL: the original started a thread per client and never looked at it
//! again: nobody knew when a client was done, and nothing it produced came
//! back. Write `echo_clients`: accept `n` clients, serve each on ITS OWN
//! thread (read one line, write it back, return the line), then JOIN every
//! thread and return the lines in the order the clients were accepted.
//! Clients may be slow: one client must not hold up the others.
//!
//! Check your work with `make exercise EX=05-2`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};

/// Reads one line from `stream` (without its `\n`), writes it back with its
/// `\n`, and returns it. Given, so the exercise is about the threads.
pub fn echo_one_line(stream: TcpStream) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    BufReader::new(&stream).take_line(&mut line)?;
    let mut out = &stream;
    out.write_all(&line)?;
    out.write_all(b"\n")?;
    Ok(line)
}

/// Accepts `n` clients, serves each on its own thread with
/// [`echo_one_line`], joins every thread, and returns their lines in accept
/// order. A failed client or a panicked thread is an error.
pub fn echo_clients(listener: &TcpListener, n: usize) -> io::Result<Vec<Vec<u8>>> {
    // Former TODO 1: spawn and move on. The accept loop never waits for a
    // client, so a slow one only holds up its own thread; the handles are
    // kept, because a thread nobody joins is a thread nobody can wait for.
    let mut threads: Vec<JoinHandle<io::Result<Vec<u8>>>> = Vec::with_capacity(n);
    for _ in 0..n {
        let (stream, _peer) = listener.accept()?;
        threads.push(thread::spawn(move || echo_one_line(stream)));
    }
    // Former TODO 2: join in accept order. `join` waits for the thread and
    // hands back what it returned; `Err` means it panicked.
    let mut lines = Vec::with_capacity(n);
    for handle in threads {
        let result = handle
            .join()
            .map_err(|_| io::Error::other("a client thread panicked"))?;
        lines.push(result?);
    }
    Ok(lines)
}

/// `BufRead::read_until` with the newline removed.
trait TakeLine {
    fn take_line(&mut self, line: &mut Vec<u8>) -> io::Result<()>;
}

impl<R: BufRead> TakeLine for R {
    fn take_line(&mut self, line: &mut Vec<u8>) -> io::Result<()> {
        self.read_until(b'\n', line)?;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(())
    }
}
