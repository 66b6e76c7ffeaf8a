//! Tests for exercise 07-1 (retransmission).

use crate::ex1_code::*;
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

/// A server that ignores the first `ignore` datagrams, then echoes one.
fn lossy_server(ignore: usize) -> (std::net::SocketAddr, thread::JoinHandle<usize>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let t = thread::spawn(move || {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 1024];
        let mut seen = 0;
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            seen += 1;
            if seen > ignore {
                socket.send_to(&buf[..n], peer).unwrap();
                break;
            }
        }
        seen
    });
    (addr, t)
}

fn connected_to(addr: std::net::SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(addr).unwrap();
    socket
}

/// Two lost datagrams, then an answer: the third attempt gets it.
#[test]
fn resends_until_an_answer_comes() {
    let (addr, server) = lossy_server(2);
    let socket = connected_to(addr);
    let (reply, attempt) =
        request(&socket, b"are you there?", Duration::from_millis(200), 5).unwrap();
    testkit::assert_bytes_eq!(reply, b"are you there?");
    assert_eq!(attempt, 3, "attempt");
    assert_eq!(server.join().unwrap(), 3, "the server saw three copies");
}

/// An answer to the first try means exactly one datagram was sent.
#[test]
fn no_resend_when_the_first_answer_comes() {
    let (addr, server) = lossy_server(0);
    let socket = connected_to(addr);
    let (_, attempt) = request(&socket, b"ping", Duration::from_secs(2), 5).unwrap();
    assert_eq!(attempt, 1, "attempt");
    assert_eq!(server.join().unwrap(), 1, "server.join().unwrap()");
}

/// Nobody answers: after `tries` timeouts the error is TimedOut, and the
/// wait took about tries x timeout (bounded, not forever).
#[test]
fn gives_up_after_the_last_try() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let socket = connected_to(silent.local_addr().unwrap());
    let start = Instant::now();
    let err = request(&socket, b"hello?", Duration::from_millis(100), 3).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "err.kind()");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(300), "gave up after {took:?}");
    let mut buf = [0u8; 16];
    silent.set_nonblocking(true).unwrap();
    let mut copies = 0;
    while silent.recv(&mut buf).is_ok() {
        copies += 1;
    }
    assert_eq!(copies, 3, "three attempts were sent");
}
