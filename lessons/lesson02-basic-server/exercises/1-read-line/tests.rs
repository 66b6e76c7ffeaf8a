//! Tests for exercise 02-1 (`read_request_line`).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::ex1_code::*;

/// A client that sends `pieces` with pauses between them, over loopback;
/// returns the server side of the connection.
fn slow_client(pieces: Vec<Vec<u8>>) -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut c = TcpStream::connect(addr).unwrap();
        for piece in pieces {
            c.write_all(&piece).unwrap();
            thread::sleep(Duration::from_millis(100));
        }
    });
    let (server, _) = listener.accept().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    server
}

/// An endless source of bytes without a newline, counting what was taken.
struct NoNewline(usize);

impl Read for NoNewline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b'q');
        self.0 += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn a_request_in_three_pieces_is_read_whole() {
    let mut s = slow_client(vec![
        b"hel".to_vec(),
        b"lo ser".to_vec(),
        b"ver\r\n".to_vec(),
    ]);
    assert_eq!(
        read_request_line(&mut s, 100).unwrap().unwrap(),
        b"hello server",
        "read_request_line(&mut s, 100).unwrap().unwrap()"
    );
}

#[test]
fn a_request_longer_than_1024_bytes_is_read_whole() {
    let mut long = vec![b'x'; 3000];
    long.push(b'\n');
    let mut s = slow_client(vec![long[..1500].to_vec(), long[1500..].to_vec()]);
    assert_eq!(
        read_request_line(&mut s, 4096).unwrap().unwrap(),
        vec![b'x'; 3000],
        "read_request_line(&mut s, 4096).unwrap().unwrap()"
    );
}

#[test]
fn closing_before_any_byte_is_none_and_mid_line_is_unexpected_eof() {
    assert_eq!(
        read_request_line(&mut &b""[..], 10).unwrap(),
        None,
        "read_request_line(&mut &b\"\"[..], 10).unwrap()"
    );
    let err = read_request_line(&mut &b"no newline"[..], 100).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "err.kind()");
}

#[test]
fn an_over_long_line_is_refused_without_reading_on_forever() {
    let mut endless = NoNewline(0);
    let err = read_request_line(&mut endless, 10_000).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "err.kind()");
    assert!(endless.0 <= 10_000 + 64 * 1024, "read {} bytes", endless.0);

    let mut long = vec![b'y'; 11];
    long.push(b'\n');
    let err = read_request_line(&mut &long[..], 10).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "err.kind()");
    long.remove(0);
    assert_eq!(
        read_request_line(&mut &long[..], 10).unwrap().unwrap(),
        vec![b'y'; 10],
        "read_request_line(&mut &long[..], 10).unwrap().unwrap()"
    );
}

#[test]
fn invalid_utf8_is_returned_as_bytes() {
    assert_eq!(
        read_request_line(&mut &b"\xff\xfe ok\n"[..], 100)
            .unwrap()
            .unwrap(),
        b"\xff\xfe ok",
        "read_request_line(&mut &b\"\\xff\\xfe ok\\n\"[..], 100) .unwrap() .unwrap()"
    );
}
