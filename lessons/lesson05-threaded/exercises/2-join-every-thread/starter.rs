//! Exercise 05-2: a thread per client, and join every one of them.
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
    // TODO: for each of the `n` clients: `listener.accept()?`, then
    //       `thread::spawn(move || echo_one_line(stream))`, keeping the
    //       `JoinHandle`s in a Vec (in accept order).
    // TODO: after the loop, join each handle: `handle.join()` is `Err` when
    //       the thread panicked; otherwise it gives the thread's own result.
    let _ = (listener, n);
    todo!("spawn, then join")
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
