//! Tests for exercise 07-2 (the largest datagram).

use crate::ex2_code::*;
use std::net::UdpSocket;

/// Over IPv4 the limit is 65,535 - 20 (IP header) - 8 (UDP header).
#[test]
fn ipv4_limit_is_65507() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(receiver.local_addr().unwrap()).unwrap();
    let (size, sends) = largest_datagram(&socket).unwrap();
    assert_eq!(size, 65_507, "size");
    assert!(sends <= 20, "{sends} sends: use a binary search");
}

/// Over IPv6 the header is not part of the 16-bit payload length: 65,527.
/// (Skipped quietly where the machine has no IPv6 loopback.)
#[test]
fn ipv6_limit_is_65527() {
    let Ok(receiver) = UdpSocket::bind("[::1]:0") else {
        return;
    };
    let socket = UdpSocket::bind("[::1]:0").unwrap();
    socket.connect(receiver.local_addr().unwrap()).unwrap();
    assert_eq!(
        largest_datagram(&socket).unwrap().0,
        65_527,
        "largest_datagram(&socket).unwrap().0"
    );
}
