//! Tests for exercise 03-2 (`echo_counted`).

use std::io::{self, Read, Write};
use std::net::{Shutdown as Half, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::ex2_code::*;

/// A fake connection: reads come from a script (data or errors), writes
/// are accepted at most `max_write` bytes at a time.
struct Fake {
    input: Vec<io::Result<Vec<u8>>>,
    output: Vec<u8>,
    max_write: usize,
}

impl Read for Fake {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Ok(0);
        }
        let mut step = self.input.remove(0)?;
        let n = step.len().min(buf.len());
        buf[..n].copy_from_slice(&step[..n]);
        if n < step.len() {
            // Leave the rest for the next read, as a socket would.
            self.input.insert(0, Ok(step.split_off(n)));
        }
        Ok(n)
    }
}

impl Write for Fake {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max_write);
        self.output.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_megabyte_over_a_real_socket_comes_back_exactly_in_many_reads() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        echo_counted(&s, 1000)
    });
    let data: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = client.try_clone().unwrap();
    let to_send = data.clone();
    let sender = thread::spawn(move || {
        writer.write_all(&to_send).unwrap();
        writer.shutdown(Half::Write).unwrap();
    });
    let mut echoed = Vec::new();
    client.read_to_end(&mut echoed).unwrap();
    sender.join().unwrap();
    assert!(echoed == data, "echo differs");
    let counts = server.join().unwrap().unwrap();
    assert_eq!(counts.bytes, data.len() as u64, "counts.bytes");
    // A 1000-byte buffer cannot take a megabyte in fewer reads.
    assert!(counts.reads >= 1049, "{counts:?}");
}

#[test]
fn short_writes_are_completed_and_interrupts_retried() {
    let mut fake = Fake {
        input: vec![
            Ok(b"hello ".to_vec()),
            Err(io::Error::from(io::ErrorKind::Interrupted)),
            Ok(b"world".to_vec()),
        ],
        output: Vec::new(),
        max_write: 3,
    };
    let counts = echo_counted(&mut fake, 4).unwrap();
    testkit::assert_bytes_eq!(fake.output, b"hello world");
    // "hello " is 2 reads of a 4-byte buffer, "world" 2 more.
    assert_eq!(
        counts,
        Counts {
            bytes: 11,
            reads: 4
        },
        "counts"
    );
}

#[test]
fn errors_are_returned_and_a_zero_buffer_is_refused() {
    let mut fake = Fake {
        input: vec![
            Ok(b"ab".to_vec()),
            Err(io::Error::from(io::ErrorKind::ConnectionReset)),
        ],
        output: Vec::new(),
        max_write: 100,
    };
    let err = echo_counted(&mut fake, 16).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "err.kind()");
    testkit::assert_bytes_eq!(fake.output, b"ab");

    let empty = Fake {
        input: vec![Ok(b"data".to_vec())],
        output: Vec::new(),
        max_write: 100,
    };
    let err = echo_counted(empty, 0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "err.kind()");
}
