//! Tests for exercise 01-1 (`connect_each`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::ex1_code::*;

/// A loopback address nobody listens on (bound, then closed).
fn refused_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A listener whose accept queue is full: the kernel drops new handshakes,
/// so a connect to it hangs until the caller's timeout. Keep the returned
/// values alive while using the address.
fn full_listener() -> (socket2::Socket, Vec<TcpStream>, SocketAddr) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    (socket, fillers, addr)
}

#[test]
fn first_address_that_answers_wins() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let good = listener.local_addr().unwrap();
    let stream = connect_each(&[refused_addr(), good], Duration::from_secs(2)).unwrap();
    assert_eq!(
        stream.peer_addr().unwrap(),
        good,
        "stream.peer_addr().unwrap()"
    );
}

#[test]
fn a_hanging_address_costs_one_timeout_then_the_next_is_tried() {
    let (_socket, _fillers, hanging) = full_listener();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let good = listener.local_addr().unwrap();
    let start = Instant::now();
    let stream = connect_each(&[hanging, good], Duration::from_millis(300)).unwrap();
    assert_eq!(
        stream.peer_addr().unwrap(),
        good,
        "stream.peer_addr().unwrap()"
    );
    // Far more than 0.3 s would mean the timeout was not applied per attempt.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn when_all_fail_the_error_names_every_address() {
    let (_socket, _fillers, hanging) = full_listener();
    let refused = refused_addr();
    let err = connect_each(&[refused, hanging], Duration::from_millis(300)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&refused.to_string()), "{text}");
    assert!(text.contains(&hanging.to_string()), "{text}");
    assert!(text.contains("refused"), "{text}");
}

#[test]
fn an_empty_list_is_invalid_input() {
    let err = connect_each(&[], Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "err.kind()");
}
