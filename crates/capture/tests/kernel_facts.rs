//! Facts about Linux that the book's figures state, checked on this kernel:
//! the accept queue behind `listen(backlog)` (chapter 02).

use std::io;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

/// `listen(2)` on a socket that never accepts lets exactly backlog + 1 = 3
/// handshakes finish; the other clients are not refused, their SYNs are
/// dropped and they stay in SYN-SENT (not connected).
#[test]
fn listen_backlog_2_queues_three_connections_and_leaves_the_rest_waiting() {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    listener.listen(2).unwrap();
    let addr = listener.local_addr().unwrap();

    let clients: Vec<Socket> = (0..6)
        .map(|_| {
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            c.set_nonblocking(true).unwrap();
            match c.connect(&addr) {
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                other => panic!("a non-blocking connect should be in progress: {other:?}"),
            }
            c
        })
        .collect();
    // getpeername succeeds once the handshake is done, fails (ENOTCONN) in SYN-SENT.
    let connected = || clients.iter().filter(|c| c.peer_addr().is_ok()).count();

    let deadline = Instant::now() + Duration::from_secs(5);
    while connected() < 3 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    // The queue is full and nobody accepts: no retransmitted SYN can get in.
    thread::sleep(Duration::from_millis(300));
    assert_eq!(connected(), 3, "backlog 2 should let 3 handshakes finish");

    listener.set_nonblocking(true).unwrap();
    let mut accepted = 0;
    loop {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert_eq!(accepted, 3, "the accept queue held backlog + 1 connections");
}
