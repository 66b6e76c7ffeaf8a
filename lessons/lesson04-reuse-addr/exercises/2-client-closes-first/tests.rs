//! Tests for exercise 04-2 (`converse`: the client closes first).

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use lesson04_reuse_addr::{listen_with_reuse, tcp_state};

use crate::ex2_code::*;

/// Polls the connection's state (loopback settles within milliseconds).
fn state_soon(local: SocketAddr, remote: SocketAddr, want: &str) -> Option<&'static str> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let state = tcp_state(local, remote);
        if state == Some(want) || Instant::now() >= deadline {
            return state;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn time_wait_belongs_to_the_client() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (server, client) = converse(listener).unwrap();
    assert_eq!(
        state_soon(client, server, "TIME_WAIT"),
        Some("TIME_WAIT"),
        "state_soon(client, server, \"TIME_WAIT\")"
    );
    // The server's end goes through LAST_ACK and is gone within moments.
    let deadline = Instant::now() + Duration::from_secs(3);
    while tcp_state(server, client).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(tcp_state(server, client), None, "the server side lingers");
}

#[test]
fn the_server_port_binds_again_without_reuse() {
    let (listener, _) = listen_with_reuse("127.0.0.1:0".parse().unwrap(), false).unwrap();
    let (server, client) = converse(listener).unwrap();
    state_soon(client, server, "TIME_WAIT");
    let (again, states) = listen_with_reuse(server, false).unwrap();
    assert!(!states.after);
    assert_eq!(
        again.local_addr().unwrap(),
        server,
        "again.local_addr().unwrap()"
    );
}
