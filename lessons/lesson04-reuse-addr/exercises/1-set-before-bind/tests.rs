//! Tests for exercise 04-1 (`reusable_listener`).

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::ex1_code::*;

fn any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

#[test]
fn the_option_is_off_before_and_on_after() {
    let (_listener, seen) = reusable_listener(any_port()).unwrap();
    assert_eq!(
        seen,
        Seen {
            before: false,
            after: true
        },
        "seen"
    );
}

#[test]
fn the_listener_really_has_the_option_and_accepts() {
    let (listener, _) = reusable_listener(any_port()).unwrap();
    let on = socket2::SockRef::from(&listener).reuse_address().unwrap();
    assert!(
        on,
        "getsockopt on the returned listener says SO_REUSEADDR is off"
    );
    let addr = listener.local_addr().unwrap();
    let _client = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while listener.accept().is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing to accept: did you call listen?"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn it_binds_a_port_with_a_connection_in_time_wait() {
    let (addr, _peer) = lesson04_reuse_addr::leave_time_wait(true).unwrap();
    let (listener, _) = reusable_listener(addr).unwrap();
    assert_eq!(
        listener.local_addr().unwrap(),
        addr,
        "listener.local_addr().unwrap()"
    );
}
