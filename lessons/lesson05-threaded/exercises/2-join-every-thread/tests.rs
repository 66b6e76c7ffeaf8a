//! Tests for exercise 05-2 (`echo_clients`: spawn a thread each, join them all).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::ex2_code::*;

/// Connects, sends `line` when `go` says so, and returns the echoed line.
fn client(
    addr: SocketAddr,
    line: &'static str,
    go: mpsc::Receiver<()>,
) -> thread::JoinHandle<String> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    thread::spawn(move || {
        go.recv_timeout(Duration::from_secs(3)).expect("go signal");
        (&s).write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut echoed = String::new();
        BufReader::new(&s)
            .read_line(&mut echoed)
            .expect("echo within 3 s");
        echoed
    })
}

#[test]
fn a_slow_first_client_does_not_hold_up_the_second() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || echo_clients(&listener, 2));
    // The first client (accepted first) speaks only after the second has
    // its echo: served one after the other, the second would wait forever.
    let (go_first, first_go) = mpsc::channel();
    let (go_second, second_go) = mpsc::channel();
    let first = client(addr, "first, but slow", first_go);
    let second = client(addr, "second", second_go);
    go_second.send(()).unwrap();
    assert_eq!(second.join().unwrap(), "second\n");
    go_first.send(()).unwrap();
    assert_eq!(first.join().unwrap(), "first, but slow\n");
    let lines = server.join().unwrap().unwrap();
    assert_eq!(lines, [b"first, but slow".to_vec(), b"second".to_vec()]);
}

#[test]
fn every_thread_is_joined_before_returning() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || done_tx.send(echo_clients(&listener, 5)).unwrap());
    let mut gos = Vec::new();
    let mut clients = Vec::new();
    for line in ["a", "b", "c", "d", "e"] {
        let (go, rx) = mpsc::channel();
        clients.push(client(addr, line, rx));
        gos.push(go);
    }
    // Four clients speak; `echo_clients` must still be waiting for the fifth.
    for go in &gos[..4] {
        go.send(()).unwrap();
    }
    assert!(
        done_rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "returned before every client thread had finished"
    );
    gos[4].send(()).unwrap();
    let lines = done_rx
        .recv_timeout(Duration::from_secs(3))
        .unwrap()
        .unwrap();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4], b"e");
    for c in clients {
        c.join().unwrap();
    }
}
