//! A `[::]` listener is dual-stack on Linux by default: it accepts IPv4
//! clients too, as IPv4-mapped IPv6 addresses. Chapter 05 explains why
//! (`IPV6_V6ONLY`, whose default is the sysctl `net.ipv6.bindv6only`).
//!
//! The server binds the wildcard address for the length of the test only;
//! the one client is on loopback.

use std::net::{Ipv4Addr, SocketAddr};

use testkit::{Server, connect, read_line};

/// Whether this machine gives a `[::]` socket IPv4 too: IPv6 is there and
/// `net.ipv6.bindv6only` is 0.
fn dual_stack_default() -> Result<(), String> {
    match std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only") {
        Ok(v) if v.trim() == "0" => Ok(()),
        Ok(v) => Err(format!("net.ipv6.bindv6only is {}", v.trim())),
        Err(e) => Err(format!("no IPv6 here (/proc/sys/net/ipv6/bindv6only: {e})")),
    }
}

#[test]
fn a_wildcard_ipv6_listener_accepts_an_ipv4_client() {
    if let Err(why) = dual_stack_default() {
        eprintln!("skipped: {why}");
        return;
    }
    let server = Server::spawn(
        env!("CARGO_BIN_EXE_lesson05-threaded"),
        &["--host", "::", "--port", "0", "--idle-timeout", "5"],
    );
    let port = server.addr().port();
    assert!(server.addr().is_ipv6(), "bound {}", server.addr());
    let mut client = connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    assert_eq!(read_line(&mut client), "Hello client");
    let line = server.expect_line(|l| l.ends_with("connected"));
    assert!(
        line.starts_with("client [::ffff:127.0.0.1]:"),
        "an IPv4 client seen through an IPv6 socket: {line}"
    );
}
