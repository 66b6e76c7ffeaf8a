//! The chapter's claims about the close, on real sockets: a server that
//! closes first while its client stays connected sits in FIN_WAIT2 (not yet
//! TIME_WAIT), and that already blocks a bind without SO_REUSEADDR; a client
//! that closes with unread data sends a reset, which leaves no TIME_WAIT, so
//! even a bind without the option succeeds.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use lesson04_reuse_addr::{listen_with_reuse, tcp_state};
use socket2::{Domain, Socket, Type};

const LIMIT: Duration = Duration::from_secs(5);

/// Linux's number for "Address already in use", spelled out as lesson 11's
/// tests do.
const EADDRINUSE: i32 = 98;

/// Binds and listens on `addr` with SO_REUSEADDR on or off.
fn try_bind(addr: SocketAddr, reuse: bool) -> io::Result<()> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(reuse)?;
    socket.bind(&addr.into())?;
    socket.listen(8)
}

/// Polls `/proc/net/tcp` until the connection `local -> remote` is in
/// `want` (`None`: gone), for at most [`LIMIT`]; returns the last state seen.
fn wait_for_state(
    local: SocketAddr,
    remote: SocketAddr,
    want: Option<&str>,
) -> Option<&'static str> {
    let deadline = Instant::now() + LIMIT;
    loop {
        let state = tcp_state(local, remote);
        if state == want || Instant::now() > deadline {
            return state;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A server-side connection accepted from a fresh listener (SO_REUSEADDR
/// on), with the listener already closed: only the connection holds the port.
fn connection() -> (TcpStream, TcpStream, SocketAddr, SocketAddr) {
    let (listener, _) =
        listen_with_reuse(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), true).expect("listen");
    let addr = listener.local_addr().expect("local address");
    let client = TcpStream::connect_timeout(&addr, LIMIT).expect("connect");
    let (served, peer) = listener.accept().expect("accept");
    drop(listener);
    (served, client, addr, peer)
}

#[test]
fn fin_wait_2_already_blocks_a_bind_without_reuse() {
    let (served, mut client, addr, peer) = connection();
    drop(served); // the server closes first; the client has not closed yet
    assert_eq!(
        wait_for_state(addr, peer, Some("FIN_WAIT2")),
        Some("FIN_WAIT2")
    );
    let err = try_bind(addr, false).expect_err("a connection in FIN_WAIT2 holds the port");
    assert_eq!(err.raw_os_error(), Some(EADDRINUSE), "{err}");
    try_bind(addr, true).expect("with SO_REUSEADDR on both sides the bind works");
    // The client reads EOF and closes: only now does TIME_WAIT begin.
    client.set_read_timeout(Some(LIMIT)).expect("timeout");
    assert_eq!(client.read(&mut [0u8; 8]).expect("EOF"), 0);
    drop(client);
    assert_eq!(
        wait_for_state(addr, peer, Some("TIME_WAIT")),
        Some("TIME_WAIT")
    );
    assert!(try_bind(addr, false).is_err(), "TIME_WAIT blocks it too");
}

#[test]
fn a_client_closing_with_unread_data_resets_and_leaves_no_time_wait() {
    let (mut served, client, addr, peer) = connection();
    served.write_all(b"hello\n").expect("echo to the client");
    // The echo has arrived in the client's receive buffer, unread.
    client.set_read_timeout(Some(LIMIT)).expect("timeout");
    assert_eq!(client.peek(&mut [0u8; 6]).expect("peek"), 6);
    drop(served);
    assert_eq!(
        wait_for_state(addr, peer, Some("FIN_WAIT2")),
        Some("FIN_WAIT2")
    );
    drop(client); // close() with unread data: RST instead of FIN
    assert_eq!(
        wait_for_state(addr, peer, None),
        None,
        "the reset removes it"
    );
    try_bind(addr, false).expect("nothing left on the port, even without the option");
}
