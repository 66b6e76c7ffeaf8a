use crate::ex2_code::*;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `accept_now` on a thread and waits at most a few seconds for it, so
/// an accept that blocks fails the test instead of hanging it.
fn accept_bounded(listener: TcpListener) -> std::io::Result<Option<TcpStream>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(accept_now(&listener));
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("accept_now blocked (or panicked): is the listener non-blocking?")
}

/// Nobody connected: the answer is `Ok(None)` at once (EAGAIN handled).
#[test]
fn empty_queue_is_none_not_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let got = accept_bounded(listener).expect("WouldBlock is not an error here");
    assert!(got.is_none());
}

/// A waiting client is returned, and its stream blocks and carries bytes.
#[test]
fn a_waiting_client_is_accepted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.write_all(b"hi").unwrap();
    let mut served = accept_bounded(listener)
        .expect("accept failed")
        .expect("the client was waiting");
    served
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 2];
    served
        .read_exact(&mut buf)
        .expect("a blocking read of 2 bytes");
    testkit::assert_bytes_eq!(&buf, b"hi");
}
