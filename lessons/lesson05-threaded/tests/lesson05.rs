//! Lesson 05: the thread-per-client server, as a library on 127.0.0.1:0 and
//! as the real binary. The service checks live in `testkit::service` (lesson 06 runs
//! them too); the tests here add what is specific to a thread per client.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use lesson05_threaded::connection::{ClientConfig, Summary};
use testkit::service::*;
use testkit::{PATIENCE, Server, is_closed, read_line};

const BIN: &str = env!("CARGO_BIN_EXE_lesson05-threaded");

fn start_with(config: ClientConfig, max_clients: usize) -> Running<Summary> {
    Running::spawn(move |listener, s| lesson05_threaded::serve(listener, s, config, max_clients))
}

fn start() -> Running<Summary> {
    start_with(
        ClientConfig {
            quiet: true,
            ..ClientConfig::default()
        },
        1024,
    )
}

/// Greeting, byte-exact echo of invalid UTF-8 and control characters.
#[test]
fn echoes_invalid_utf8_exactly() {
    let server = start();
    invalid_utf8_echoes_exactly(server.addr);
    assert_eq!(server.stop().served, 1);
}

/// A 64 KiB line is fine; a longer one gets an error line and a close.
#[test]
fn over_long_lines_close_only_that_client() {
    let server = start();
    line_at_the_limit_is_echoed(server.addr);
    over_long_line_closes_only_that_client(server.addr);
    server.stop();
}

/// Connect-and-vanish and resets mid-line leave the server serving.
#[test]
fn vanishing_and_resetting_clients() {
    let server = start();
    vanishing_and_resetting_clients_are_harmless(server.addr);
    assert_eq!(server.stop().served, 5);
}

/// 200 clients connect at once and are all served.
#[test]
fn two_hundred_clients_at_once() {
    let server = start();
    many_clients_at_once_are_served(server.addr, 200);
    assert_eq!(server.stop().served, 200);
}

/// A thread each: 200 clients are all greeted while *all* of them are still
/// connected, which a one-at-a-time server could never do.
#[test]
fn two_hundred_clients_are_served_concurrently() {
    let server = start();
    let addr = server.addr;
    let all_greeted = Arc::new(Barrier::new(200));
    let clients: Vec<_> = (0..200)
        .map(|i| {
            let all_greeted = Arc::clone(&all_greeted);
            thread::spawn(move || {
                let mut s = greeted(addr);
                all_greeted.wait(); // nobody leaves before everyone is greeted
                roundtrip(&mut s, &format!("together {i}"));
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(server.stop().served, 200);
}

/// A slow client does not delay the others.
#[test]
fn slow_client_does_not_delay_the_others() {
    let server = start();
    slow_client_does_not_delay_others(server.addr);
    server.stop();
}

/// `--idle-timeout` closes a silent client and only that one.
#[test]
fn idle_timeout_closes_silent_clients() {
    let server = start_with(
        ClientConfig {
            idle_timeout: Duration::from_secs(1),
            quiet: true,
            ..ClientConfig::default()
        },
        1024,
    );
    idle_client_is_closed(server.addr);
    server.stop();
}

/// Past `max_clients` a newcomer is told the server is busy and closed; a
/// slot freed by a leaving client is used again.
#[test]
fn max_clients_turns_the_next_one_away() {
    let server = start_with(
        ClientConfig {
            quiet: true,
            ..ClientConfig::default()
        },
        2,
    );
    let mut a = greeted(server.addr);
    let _b = greeted(server.addr);
    expect_busy(server.addr);
    roundtrip(&mut a, "a is still served");
    drop(a);
    // The slot comes back when a's thread ends, a moment after the close.
    let mut c = None;
    testkit::eventually("a slot freed by a leaving client", || {
        let mut s = testkit::connect(server.addr);
        match read_line(&mut s).as_str() {
            HELLO => {
                c = Some(s);
                true
            }
            _ => false,
        }
    });
    roundtrip(c.as_mut().unwrap(), "c took a's slot");
    let summary = server.stop();
    assert_eq!(summary.served, 3);
    assert!(summary.turned_away >= 1);
}

/// Shutdown with clients connected: every thread is joined, every client
/// socket closed, and `serve` returns the count.
#[test]
fn library_shutdown_closes_clients_and_joins_threads() {
    let server = start();
    let mut open: Vec<TcpStream> = (0..5).map(|_| greeted(server.addr)).collect();
    assert_eq!(server.stop().served, 5);
    for c in &mut open {
        assert!(is_closed(c, PATIENCE));
    }
}

/// The binary: several clients at once, each greeted and echoed, lines
/// logged as `received from <peer>: <line>` (lossily, controls escaped);
/// SIGINT with them connected ends it cleanly within 2 s.
#[test]
fn binary_serves_several_clients_and_stops_on_sigint() {
    let mut server = Server::spawn(BIN, &["--port", "0"]);
    let mut a = greeted(server.addr());
    let mut b = greeted(server.addr());
    let peer_a = a.local_addr().unwrap();
    roundtrip(&mut b, "from b");
    use std::io::Write;
    a.write_all(b"caf\xc3\xa9 \xff \x1b[2J\n").unwrap();
    assert_eq!(
        testkit::read_line_bytes(&mut a),
        b"caf\xc3\xa9 \xff \x1b[2J"
    );
    let logged = server.expect_line(|l| l.starts_with(&format!("received from {peer_a}: ")));
    assert_eq!(
        logged,
        format!("received from {peer_a}: café \u{fffd} \\u{{1b}}[2J")
    );
    drop((a, b));
    signal_with_clients_connected_exits_cleanly(&mut server, "INT", 3, 2);
}

/// SIGTERM works the same way; `--quiet` drops the per-line log.
#[test]
fn binary_quiet_and_sigterm() {
    let mut server = Server::spawn(BIN, &["--port", "0", "--quiet"]);
    let mut c = greeted(server.addr());
    roundtrip(&mut c, "not logged");
    drop(c);
    server.expect_line(|l| l.contains("disconnected after 1 line"));
    server.signal("TERM");
    let (status, rest) = server.wait(Duration::from_secs(5));
    assert!(status.success());
    assert!(
        !rest.iter().any(|l| l.contains("received from")),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l == "shut down: served 1 client, turned away 0 (busy)"),
        "{rest:?}"
    );
}

/// SIGTERM with idle clients connected: summary, exit 0 within 2 s.
#[test]
fn binary_sigterm_with_idle_clients() {
    let mut server = Server::spawn(BIN, &["--port", "0", "--quiet"]);
    signal_with_clients_connected_exits_cleanly(&mut server, "TERM", 4, 0);
}

/// `--max-clients` on the binary: the next client hears it is busy.
#[test]
fn binary_max_clients() {
    let server = Server::spawn(BIN, &["--port", "0", "--max-clients", "1"]);
    let _held = greeted(server.addr());
    expect_busy(server.addr());
    server.expect_line(|l| l.ends_with("turned away: server busy"));
}

/// Out of file descriptors: waits without spinning, serves again after.
#[test]
fn binary_out_of_descriptors_recovers() {
    out_of_descriptors_recovers(BIN, &["--port", "0", "--quiet"]);
}

/// Bad flags exit 2 with usage (clap), a port in use exits 1 with `error:`.
#[test]
fn bad_flags_and_port_in_use() {
    let run = testkit::run(BIN, &["--max-clients", "0"], b"", PATIENCE);
    assert_eq!(run.code(), Some(2), "{run:?}");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = testkit::run(BIN, &["--port", &port], b"", PATIENCE);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr
            .starts_with(&format!("error: bind 127.0.0.1:{port}: ")),
        "{run:?}"
    );
}

/// Each client costs the server one file descriptor, not two: the shutdown
/// hook shares the socket through an `Arc` instead of duplicating it. With
/// the common default limit of 1,024 descriptors, two per client would
/// make the server run out near 500 clients, below `--max-clients`.
#[test]
fn binary_spends_one_descriptor_per_client() {
    let server = Server::spawn(BIN, &["--port", "0", "--quiet"]);
    let open_fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
            .unwrap()
            .count()
    };
    let before = open_fds();
    let clients: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = testkit::connect(server.addr());
            // The greeting proves the client was admitted and has its thread.
            assert_eq!(read_line(&mut c), "Hello client");
            c
        })
        .collect();
    let during = open_fds();
    assert!(
        during - before <= clients.len() + 2,
        "{} descriptors for {} clients",
        during - before,
        clients.len()
    );
    assert!(during - before >= clients.len(), "clients not all open?");
}
