//! Lesson 02: the server library on `127.0.0.1:0` with a shutdown the test
//! triggers, and the real binary: ready line, hostile peers, idle timeout,
//! signals, bind errors, running out of file descriptors.

use std::io::Write;
use std::net::{Shutdown as Half, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::Shutdown;
use lesson02_basic_server::{REQUEST_BUF, ServerConfig, Summary, read_request, serve};
use testkit::{PATIENCE, Server};

const BIN: &str = env!("CARGO_BIN_EXE_lesson02-basic-server");

/// The SPEC's promise: a signal stops the server within 2 s.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(2);

fn config(reply: &str, idle: f64) -> ServerConfig {
    ServerConfig {
        reply: reply.into(),
        idle_timeout: Duration::from_secs_f64(idle),
    }
}

/// Runs `serve` in a thread on a free loopback port.
fn start(config: ServerConfig) -> (SocketAddr, Shutdown, JoinHandle<Summary>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let handle = thread::spawn(move || serve(listener, &s, &config).unwrap());
    (addr, shutdown, handle)
}

/// What lesson 01 does: send, half-close, read the reply to EOF.
fn ask(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = testkit::connect(addr);
    s.write_all(request).unwrap();
    s.shutdown(Half::Write).unwrap();
    testkit::read_to_end(&mut s)
}

/// Two connected sockets on loopback: (client side, server side).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = testkit::connect(listener.local_addr().unwrap());
    let (server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(PATIENCE)).unwrap();
    (client, server)
}

/// One request, one reply, then the connection is closed (the client's read
/// to EOF ends); the summary counts it.
#[test]
fn serves_one_request_and_closes() {
    let (addr, shutdown, handle) = start(config("Hi there", 30.0));
    assert_eq!(ask(addr, b"hello server"), b"Hi there");
    assert_eq!(ask(addr, b"again"), b"Hi there");
    shutdown.trigger();
    assert_eq!(
        handle.join().unwrap(),
        Summary {
            clients: 2,
            replied: 2
        }
    );
}

/// The flaw kept from the original, shown with real bytes: a request longer
/// than the buffer is cut at 1024 bytes by the one read.
#[test]
fn one_read_cuts_a_long_request_at_the_buffer_size() {
    let (mut client, server) = pair();
    client.write_all(&[b'x'; 3000]).unwrap();
    // Let all 3000 bytes arrive, so the cut is the buffer's doing.
    thread::sleep(Duration::from_millis(200));
    let request = read_request(&server).unwrap();
    assert_eq!(request.len(), REQUEST_BUF);
}

/// The other half of the flaw: a request sent in two pieces is cut after the
/// first piece, because one read returns what has arrived so far.
#[test]
fn one_read_cuts_a_request_sent_in_two_pieces() {
    let (mut client, server) = pair();
    let (read_done, wait_read) = mpsc::channel();
    let reader = thread::spawn(move || {
        let request = read_request(&server).unwrap();
        read_done.send(()).unwrap();
        request
    });
    client.write_all(b"hello ").unwrap();
    wait_read.recv_timeout(PATIENCE).unwrap();
    client.write_all(b"server").unwrap();
    assert_eq!(reader.join().unwrap(), b"hello ");
}

/// A silent client is disconnected after the idle timeout, and the client
/// that queued up behind it is served next.
#[test]
fn silent_client_times_out_and_the_next_one_is_served() {
    let (addr, shutdown, handle) = start(config("Hello client", 1.0));
    let mut silent = testkit::connect(addr);
    let waiting = thread::spawn(move || ask(addr, b"me next"));
    assert!(
        testkit::is_closed(&mut silent, PATIENCE),
        "silent client was not disconnected"
    );
    assert_eq!(waiting.join().unwrap(), b"Hello client");
    shutdown.trigger();
    assert_eq!(
        handle.join().unwrap(),
        Summary {
            clients: 2,
            replied: 1
        }
    );
}

/// Shutdown with a client connected and silent: `serve` returns promptly
/// (the tracked connection is shut down) instead of waiting for the timeout.
#[test]
fn shutdown_interrupts_a_silent_client() {
    let (addr, shutdown, handle) = start(config("Hello client", 30.0));
    let mut idle = testkit::connect(addr);
    // Once the server is reading from us, a byte-free wait is all it does.
    thread::sleep(Duration::from_millis(200));
    shutdown.trigger();
    let summary = handle.join().unwrap();
    assert_eq!(summary.replied, 0);
    assert!(testkit::is_closed(&mut idle, PATIENCE));
}

// ---- The real binary ----

fn spawn(args: &[&str]) -> Server {
    let mut all = vec!["--port", "0"];
    all.extend_from_slice(args);
    Server::spawn(BIN, &all)
}

/// Stops a server with `signal` and checks the summary line and exit 0
/// within the SPEC's 2 s; returns the summary line.
fn stop(mut server: Server, signal: &str) -> String {
    server.signal(signal);
    let (status, rest) = server.wait(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "stderr: {}", server.stderr());
    let summary = rest.last().cloned().unwrap_or_default();
    assert!(summary.starts_with("shut down: "), "{rest:?}");
    summary
}

/// The ready line comes first, on 127.0.0.1 by default; then the SPEC's
/// `welcome from` and `received:` lines, and the client gets the reply.
#[test]
fn binary_prints_welcome_and_received_and_replies() {
    let server = spawn(&[]);
    let addr = server.addr();
    assert!(addr.ip().is_loopback() && addr.is_ipv4(), "{addr}");
    let mut client = testkit::connect(addr);
    client.write_all(b"hello server").unwrap();
    client.shutdown(Half::Write).unwrap();
    assert_eq!(testkit::read_to_end(&mut client), b"Hello client");
    let local = client.local_addr().unwrap();
    assert_eq!(
        server.next_line(PATIENCE).unwrap(),
        format!("welcome from {local}")
    );
    assert_eq!(
        server.next_line(PATIENCE).unwrap(),
        "received: hello server"
    );
    assert_eq!(
        stop(server, "TERM"),
        "shut down: served 1 client, replied to 1"
    );
}

/// Used like `nc`: a line with a newline and no half-close still gets the
/// reply, and the newline is not printed as part of the request.
#[test]
fn binary_serves_a_plain_line_client() {
    let server = spawn(&["--reply", "你好, client"]);
    let mut client = testkit::connect(server.addr());
    testkit::send_line(&mut client, "hello");
    assert_eq!(testkit::read_to_end(&mut client), "你好, client".as_bytes());
    server.expect_line(|l| l == "received: hello");
}

/// A long request is cut at 1024 bytes in the log: the chapter's
/// demonstration, on the real binary.
#[test]
fn binary_shows_only_the_first_1024_bytes_of_a_long_request() {
    let server = spawn(&[]);
    let mut client = testkit::connect(server.addr());
    client.write_all(&[b'a'; 5000]).unwrap();
    let line = server.expect_line(|l| l.starts_with("received: "));
    assert_eq!(line, format!("received: {}", "a".repeat(REQUEST_BUF)));
}

/// Hostile peers, one after the other: invalid UTF-8 and escapes, connect
/// and vanish, a reset in the middle of a message, and a silent client.
/// After each, a normal client is still served, and nothing panics.
#[test]
fn binary_survives_hostile_peers() {
    let server = spawn(&["--idle-timeout", "1"]);
    let addr = server.addr();
    let normal = || {
        let mut c = testkit::connect(addr);
        c.write_all(b"normal").unwrap();
        c.shutdown(Half::Write).unwrap();
        assert_eq!(testkit::read_to_end(&mut c), b"Hello client");
        server.expect_line(|l| l == "received: normal");
    };

    // Invalid UTF-8 and a terminal escape: shown lossily and escaped.
    let mut c = testkit::connect(addr);
    c.write_all(b"bad \xff\xfe \x1b[2J").unwrap();
    c.shutdown(Half::Write).unwrap();
    assert_eq!(testkit::read_to_end(&mut c), b"Hello client");
    server.expect_line(|l| l == "received: bad \u{fffd}\u{fffd} \\u{1b}[2J");
    normal();

    // Connect and close without a word.
    drop(testkit::connect(addr));
    server.expect_line(|l| l.starts_with("received nothing from "));
    normal();

    // A reset after part of a message.
    let mut c = testkit::connect(addr);
    c.write_all(b"half a mess").unwrap();
    testkit::reset(c);
    normal();

    // Silent until the idle timeout.
    let mut silent = testkit::connect(addr);
    server.expect_line(|l| l.ends_with("sent nothing for 1s, disconnecting"));
    assert!(testkit::is_closed(&mut silent, PATIENCE));
    normal();

    assert!(
        !server.stderr().contains("internal error"),
        "{}",
        server.stderr()
    );
    // Replied to: the bad bytes, the vanished client (its half-close could
    // have been a request), the four normal ones; the reset client only if
    // the server wrote before the RST arrived, which is a race.
    let summary = stop(server, "INT");
    assert!(
        [
            "shut down: served 8 clients, replied to 6",
            "shut down: served 8 clients, replied to 7"
        ]
        .contains(&summary.as_str()),
        "{summary}"
    );
}

/// SIGTERM and SIGINT with an idle client connected: summary line, exit 0,
/// within 2 s (the default idle timeout of 30 s plays no part).
#[test]
fn binary_signals_stop_it_with_an_idle_client_connected() {
    for signal in ["TERM", "INT"] {
        let server = spawn(&[]);
        let _idle = testkit::connect(server.addr());
        server.expect_line(|l| l.starts_with("welcome from "));
        assert_eq!(
            stop(server, signal),
            "shut down: served 1 client, replied to 0",
            "SIG{signal}"
        );
    }
}

/// IPv6 loopback works too; the ready line shows `[::1]:port`.
#[test]
fn binary_binds_ipv6_loopback() {
    let server = spawn(&["--host", "::1"]);
    assert!(server.ready.starts_with("[::1]:"), "{}", server.ready);
    assert_eq!(ask(server.addr(), b"v6"), b"Hello client");
}

/// A port already in use: one `error:` line naming the address, exit 1.
#[test]
fn binary_port_in_use_is_an_error_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = testkit::run(BIN, &["--port", &port], b"", PATIENCE);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: bind 127.0.0.1:{port}: Address already in use (os error 98)\n")
    );
}

/// Bad arguments: usage on stderr, exit 2.
#[test]
fn binary_bad_arguments_exit_2() {
    for bad in [
        &["--port", "99999"][..],
        &["--idle-timeout", "0"],
        &["--idle-timeout", "-1"],
        &["--what"],
    ] {
        let run = testkit::run(BIN, bad, b"", PATIENCE);
        assert_eq!(run.code(), Some(2), "{bad:?}: {}", run.stderr);
        assert!(run.stderr.contains("error:"), "{bad:?}");
    }
}

/// Out of file descriptors (EMFILE): the server reports it, keeps running
/// without spinning, and still shuts down cleanly.
///
/// The limit is found by trying: the smallest `ulimit -n` at which the
/// server starts and keeps running leaves it no descriptor for a client.
#[test]
fn binary_out_of_descriptors_waits_instead_of_dying_or_spinning() {
    let (mut server, _) = Server::start_with_fewest_descriptors(BIN, &["--port", "0"], 4..=16);
    let mut client = TcpStream::connect_timeout(&server.addr(), PATIENCE).unwrap();
    client.write_all(b"hello").unwrap();
    // Either accept fails (stderr) or setting up the accepted client does (stdout).
    testkit::eventually("an EMFILE report", || {
        server.stderr().contains("Too many open files")
            || server
                .next_line(Duration::from_millis(10))
                .is_some_and(|l| l.contains("error: set up connection: Too many open files"))
    });
    server.assert_not_spinning(Duration::from_secs(1), Duration::from_millis(500));
    stop(server, "TERM");
}

/// SIGTERM stops the server at every small descriptor limit it starts
/// with, including the one where a blocked `accept()` has reserved the last
/// free descriptor: a wake-up that needs a new descriptor (connecting to
/// ourselves) cannot work then, so `Shutdown::stop_accepting` shuts the
/// listening socket down instead.
#[test]
fn binary_stops_on_signal_even_with_no_descriptor_to_spare() {
    let mut started = 0;
    for limit in 4..=12 {
        let cmd = testkit::with_nofile_limit(BIN, &["--port", "0"], limit);
        let Ok(mut server) = Server::try_start(cmd) else {
            continue;
        };
        // Let the server reach its blocking accept() before the signal.
        thread::sleep(Duration::from_millis(200));
        if !server.is_running() {
            // Too few descriptors to finish starting (the signal handler's
            // pipe, the wake-up handle): it said so and exited 1.
            let (status, _) = server.wait(SHUTDOWN_LIMIT);
            assert_eq!(status.code(), Some(1), "limit {limit}");
            assert!(
                server.stderr().starts_with("error: "),
                "limit {limit}: {}",
                server.stderr()
            );
            continue;
        }
        started += 1;
        let summary = stop(server, "TERM");
        assert!(
            summary.starts_with("shut down:"),
            "limit {limit}: {summary}"
        );
    }
    assert!(
        started >= 3,
        "the server started at only {started} of the limits tried"
    );
}
