//! Tests for exercise 05-2 (`echo_clients`: spawn a thread each, join them all).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::ex2_code::*;

/// Connects, sends `line` when `go` says so, and returns the echoed line,
/// or what went wrong (as text: a helper thread never panics, so a failure
/// is reported by the test's own assertion).
fn client(
    addr: SocketAddr,
    line: &'static str,
    go: mpsc::Receiver<()>,
) -> thread::JoinHandle<Result<String, String>> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    thread::spawn(move || {
        go.recv_timeout(Duration::from_secs(3))
            .map_err(|_| format!("{line:?}: the test never said go"))?;
        (&s).write_all(format!("{line}\n").as_bytes())
            .map_err(|e| format!("{line:?}: send: {e}"))?;
        let mut echoed = String::new();
        match BufReader::new(&s).read_line(&mut echoed) {
            Ok(0) => Err(format!("{line:?}: the server closed without an echo")),
            Ok(_) => Ok(echoed),
            Err(e) => Err(format!("{line:?}: no echo within 3 s ({e})")),
        }
    })
}

fn echoed(handle: thread::JoinHandle<Result<String, String>>) -> Result<String, String> {
    handle
        .join()
        .unwrap_or_else(|_| Err("the client thread panicked".into()))
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
    let second_echo = echoed(second);
    go_first.send(()).unwrap();
    assert_eq!(
        second_echo,
        Ok("second\n".to_string()),
        "the second client's echo while the first had not spoken yet \
         (are clients served one at a time, in the accept loop?)"
    );
    assert_eq!(
        echoed(first),
        Ok("first, but slow\n".to_string()),
        "the first client's echo"
    );
    let lines = server.join().expect("echo_clients panicked");
    let lines: Vec<String> = lines
        .expect("echo_clients returned an error")
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    assert_eq!(
        lines,
        ["first, but slow", "second"],
        "the lines echo_clients returned (in accept order)"
    );
}

#[test]
fn every_thread_is_joined_before_returning() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(echo_clients(&listener, 5));
    });
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
        "echo_clients returned while the fifth client's thread was still waiting \
         for its line: is every thread joined?"
    );
    gos[4].send(()).unwrap();
    let lines = done_rx
        .recv_timeout(Duration::from_secs(3))
        .expect("echo_clients did not return within 3 s of the last client's line")
        .expect("echo_clients returned an error");
    let lines: Vec<String> = lines
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    assert_eq!(
        lines,
        ["a", "b", "c", "d", "e"],
        "the lines, in accept order"
    );
    for c in clients {
        let _ = echoed(c);
    }
}
