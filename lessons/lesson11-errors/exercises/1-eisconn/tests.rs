use crate::ex1_code::*;

use std::net::TcpListener;

/// The second connect fails with EISCONN, errno 106.
#[test]
fn second_connect_is_eisconn_106() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = connect_twice(listener.local_addr().unwrap()).expect("first connect should work");
    assert_eq!(err.raw_os_error(), Some(106), "{err:?}");
    assert!(err.to_string().contains("already connected"), "{err}");
}

/// Exactly one connection reached the listener: the first connect was real,
/// and the second did not make a new one.
#[test]
fn only_one_connection_is_made() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    connect_twice(listener.local_addr().unwrap()).expect("first connect should work");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_ok(), "no connection arrived");
    let second = listener.accept().map(|_| ()).unwrap_err();
    assert_eq!(
        second.kind(),
        std::io::ErrorKind::WouldBlock,
        "second.kind()"
    );
}

/// An error from the first connect (nobody listening) is passed on as `Err`.
#[test]
fn a_refused_first_connect_is_an_error() {
    // A bound socket that never listens holds the port and refuses connections.
    let holder = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    holder
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let addr = holder.local_addr().unwrap().as_socket().unwrap();
    let err = connect_twice(addr).expect_err("nobody listens there");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "err.kind()"
    );
}
