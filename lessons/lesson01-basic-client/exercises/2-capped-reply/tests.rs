//! Tests for exercise 01-2 (`read_capped`).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::ex2_code::*;

/// A reader that hands out one scripted step per `read` call.
struct Script {
    steps: Vec<io::Result<Vec<u8>>>,
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.steps.is_empty() {
            return Ok(0);
        }
        let step = self.steps.remove(0)?;
        assert!(step.len() <= buf.len(), "test step larger than the buffer");
        buf[..step.len()].copy_from_slice(&step);
        Ok(step.len())
    }
}

/// An endless source of bytes that counts how many were taken.
struct Endless(usize);

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b'z');
        self.0 += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn a_reply_in_pieces_over_a_real_socket_is_read_whole() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        for piece in [&b"Hel"[..], b"lo ", b"client"] {
            s.write_all(piece).unwrap();
            thread::sleep(Duration::from_millis(50));
        }
    });
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    testkit::assert_bytes_eq!(read_capped(&mut stream, 100).unwrap(), b"Hello client");
    server.join().unwrap();
}

#[test]
fn exactly_the_cap_is_fine_one_more_byte_is_invalid_data() {
    let ten = vec![b'x'; 10];
    assert_eq!(
        read_capped(&mut &ten[..], 10).unwrap(),
        ten,
        "read_capped(&mut &ten[..], 10).unwrap()"
    );
    let eleven = [b'x'; 11];
    let err = read_capped(&mut &eleven[..], 10).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "err.kind()");
}

#[test]
fn an_endless_peer_is_stopped_near_the_cap() {
    let mut endless = Endless(0);
    let err = read_capped(&mut endless, 100_000).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "err.kind()");
    assert!(endless.0 <= 100_000 + 64 * 1024, "read {} bytes", endless.0);
}

#[test]
fn interrupted_is_retried_and_other_errors_are_returned() {
    let mut r = Script {
        steps: vec![
            Ok(b"ab".to_vec()),
            Err(io::Error::from(io::ErrorKind::Interrupted)),
            Ok(b"cd".to_vec()),
        ],
    };
    testkit::assert_bytes_eq!(read_capped(&mut r, 100).unwrap(), b"abcd");

    let mut r = Script {
        steps: vec![
            Ok(b"ab".to_vec()),
            Err(io::Error::from(io::ErrorKind::ConnectionReset)),
        ],
    };
    let err = read_capped(&mut r, 100).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "err.kind()");
}

#[test]
fn an_empty_reply_is_an_empty_vec() {
    testkit::assert_bytes_eq!(read_capped(&mut &b""[..], 10).unwrap(), b"");
}
