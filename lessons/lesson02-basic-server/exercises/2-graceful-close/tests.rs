//! Tests for exercise 02-2 (`reply_and_close`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::ex2_code::*;

const WAIT: Duration = Duration::from_secs(5);

/// Connected (client, server) sockets on loopback, with read timeouts.
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    (client, server)
}

/// The lesson's server: one read of 1024 bytes from a 5000-byte request.
fn one_read(server: &mut TcpStream) {
    thread::sleep(Duration::from_millis(200)); // let the whole request arrive
    let mut buf = [0u8; 1024];
    assert_eq!(
        server.read(&mut buf).unwrap(),
        1024,
        "server.read(&mut buf).unwrap()"
    );
}

/// Why the exercise exists: closing with unread bytes resets the
/// connection, and the client's read to EOF fails after the reply.
#[test]
fn control_a_plain_close_with_unread_bytes_resets_the_client() {
    let (mut client, mut server) = pair();
    client.write_all(&[b'r'; 5000]).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    one_read(&mut server);
    server.write_all(b"Hello client").unwrap();
    drop(server);
    let mut got = Vec::new();
    let err = client.read_to_end(&mut got).unwrap_err();
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::ConnectionReset,
        "err.kind()"
    );
}

#[test]
fn the_client_gets_the_reply_and_a_clean_eof() {
    let (mut client, mut server) = pair();
    client.write_all(&[b'r'; 5000]).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let closer = thread::spawn(move || {
        one_read(&mut server);
        reply_and_close(server, b"Hello client", WAIT).unwrap()
    });
    let mut got = Vec::new();
    client.read_to_end(&mut got).expect("no reset: a clean EOF");
    testkit::assert_bytes_eq!(got, b"Hello client");
    assert_eq!(
        closer.join().unwrap(),
        5000 - 1024,
        "closer.join().unwrap()"
    );
}

#[test]
fn a_client_that_never_closes_costs_at_most_the_linger() {
    let (mut client, server) = pair();
    let start = Instant::now();
    let closer =
        thread::spawn(move || reply_and_close(server, b"bye", Duration::from_millis(300)).unwrap());
    // The reply and our EOF arrive although the client keeps its side open.
    let mut got = Vec::new();
    client.read_to_end(&mut got).unwrap();
    testkit::assert_bytes_eq!(got, b"bye");
    assert_eq!(closer.join().unwrap(), 0, "closer.join().unwrap()");
    assert!(start.elapsed() < WAIT, "{:?}", start.elapsed());
}

#[test]
fn a_client_that_keeps_sending_cannot_hold_the_server() {
    let (mut client, server) = pair();
    let sender = thread::spawn(move || {
        let start = Instant::now();
        // Trickle bytes for up to 4 s, or until the server has closed.
        while start.elapsed() < Duration::from_secs(4) {
            if client.write_all(b"more").is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let start = Instant::now();
    let drained = reply_and_close(server, b"bye", Duration::from_millis(300)).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "the linger is a total, not per read: {:?}",
        start.elapsed()
    );
    assert!(drained > 0);
    sender.join().unwrap();
}
