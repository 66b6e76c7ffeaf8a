//! Tests for exercise 03-1 (`write_frame`, `read_frame`), partly through
//! the lesson's own echo server.

use std::io::{self, Read, Write};
use std::net::{Shutdown as Half, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::ex1_code::*;

/// The lesson's echo server on a free port, serving until the test ends;
/// returns a connected client with bounded waits.
fn echo_client() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = common::Shutdown::new();
    let config = lesson03_echo::ServerConfig {
        idle_timeout: Duration::from_secs(10),
    };
    thread::spawn(move || lesson03_echo::serve(listener, &shutdown, &config));
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// A reader that returns at most one byte per `read`, as a slow network might.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

#[test]
fn the_header_is_four_big_endian_bytes() {
    let mut out = Vec::new();
    write_frame(&mut out, b"abc").unwrap();
    testkit::assert_bytes_eq!(out, b"\x00\x00\x00\x03abc");
}

#[test]
fn frames_with_any_bytes_survive_the_echo_server() {
    let mut stream = echo_client();
    let frames: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        Vec::new(),
        b"two\nlines\n".to_vec(),
        (0..=255u8).collect(),
        vec![7u8; 100_000],
    ];
    // Write from a thread: the echo comes back while we are still sending.
    let mut writer = stream.try_clone().unwrap();
    let to_send = frames.clone();
    let sender = thread::spawn(move || {
        for f in &to_send {
            write_frame(&mut writer, f).unwrap();
        }
        writer.shutdown(Half::Write).unwrap();
    });
    for expected in &frames {
        assert_eq!(
            &read_frame(&mut stream, 1 << 20).unwrap().unwrap(),
            expected,
            "&read_frame(&mut stream, 1 << 20).unwrap().unwrap()"
        );
    }
    assert_eq!(
        read_frame(&mut stream, 1 << 20).unwrap(),
        None,
        "read_frame(&mut stream, 1 << 20).unwrap()"
    );
    sender.join().unwrap();
}

#[test]
fn a_frame_split_into_single_bytes_is_reassembled() {
    let mut wire = Vec::new();
    write_frame(&mut wire, b"split me").unwrap();
    write_frame(&mut wire, b"and me").unwrap();
    let mut r = Trickle(&wire);
    testkit::assert_bytes_eq!(read_frame(&mut r, 100).unwrap().unwrap(), b"split me");
    testkit::assert_bytes_eq!(read_frame(&mut r, 100).unwrap().unwrap(), b"and me");
    assert_eq!(
        read_frame(&mut r, 100).unwrap(),
        None,
        "read_frame(&mut r, 100).unwrap()"
    );
}

#[test]
fn truncated_frames_are_unexpected_eof() {
    for wire in [&b"\x00\x00"[..], b"\x00\x00\x00\x05abc"] {
        let err = read_frame(&mut &wire[..], 100).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{wire:?}");
    }
}

#[test]
fn an_oversized_header_is_refused_before_allocating() {
    // Announces 4 GiB - 1 and sends nothing more.
    let err = read_frame(&mut &b"\xff\xff\xff\xff"[..], 1 << 20).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "err.kind()");
    // At the limit is fine.
    let mut wire = Vec::new();
    write_frame(&mut wire, &[1u8; 10]).unwrap();
    assert_eq!(
        read_frame(&mut &wire[..], 10).unwrap().unwrap().len(),
        10,
        "read_frame(&mut &wire[..], 10).unwrap().unwrap().len()"
    );
}

#[test]
fn write_frame_uses_write_all() {
    /// A writer that takes at most 2 bytes per call, like a full socket.
    struct Stingy(Vec<u8>);
    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(2);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut w = Stingy(Vec::new());
    write_frame(&mut w, b"hello").unwrap();
    testkit::assert_bytes_eq!(w.0, b"\x00\x00\x00\x05hello");
}
