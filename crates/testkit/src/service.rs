//! Checks of the greet-and-echo service that lessons 05 and 06 both pass.
//!
//! The two servers share their connection handler, so they share these
//! checks too. Each check takes the address of a running server (library or
//! binary) and proves one behaviour with real bytes on real sockets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::Shutdown;

use crate::{PATIENCE, Server, connect, is_closed, read_line, read_line_bytes, reset, send_line};

/// A library server running in a thread on a free port, stopped by
/// [`Running::stop`], which returns what `serve` returned (its summary).
#[derive(Debug)]
pub struct Running<S> {
    /// Where the server listens.
    pub addr: SocketAddr,
    shutdown: Shutdown,
    thread: thread::JoinHandle<S>,
}

impl<S: Send + 'static> Running<S> {
    /// Binds 127.0.0.1:0 and runs `serve` (lesson 05's or lesson 06's, the
    /// only difference between the two) on it in a thread.
    pub fn spawn(
        serve: impl FnOnce(TcpListener, &Shutdown) -> anyhow::Result<S> + Send + 'static,
    ) -> Running<S> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let thread = thread::spawn(move || serve(listener, &s).unwrap());
        Running {
            addr,
            shutdown,
            thread,
        }
    }

    /// Triggers shutdown and returns the summary once every thread is joined.
    pub fn stop(self) -> S {
        self.shutdown.trigger();
        self.thread.join().unwrap()
    }
}

/// The greeting, without its newline.
pub const HELLO: &str = "Hello client";
/// The busy message, without its newline.
pub const BUSY: &str = "server busy, try again later";

/// Connects and reads the greeting.
pub fn greeted(addr: SocketAddr) -> TcpStream {
    let mut s = connect(addr);
    assert_eq!(read_line(&mut s), HELLO);
    s
}

/// Sends `line` and expects it back.
pub fn roundtrip(s: &mut TcpStream, line: &str) {
    send_line(s, line);
    assert_eq!(read_line(s), line);
}

/// Lines with invalid UTF-8 and control characters come back byte-exact.
pub fn invalid_utf8_echoes_exactly(addr: SocketAddr) {
    let mut s = greeted(addr);
    s.write_all(b"\xff\xfe bad \x1b[2J\n\xc3\n").unwrap();
    assert_eq!(read_line_bytes(&mut s), b"\xff\xfe bad \x1b[2J");
    assert_eq!(read_line_bytes(&mut s), b"\xc3");
    roundtrip(&mut s, "still fine");
}

/// A line over 64 KiB gets an error line and the connection is closed;
/// another client connected at the same time is unaffected.
pub fn over_long_line_closes_only_that_client(addr: SocketAddr) {
    let mut other = greeted(addr);
    let mut s = greeted(addr);
    let mut long = vec![b'a'; 70_000];
    long.push(b'\n');
    s.write_all(&long).unwrap();
    assert_eq!(
        read_line(&mut s),
        "error: line too long (limit 65536 bytes)"
    );
    assert!(is_closed(&mut s, PATIENCE));
    roundtrip(&mut other, "unaffected");
}

/// A line of exactly 64 KiB is still accepted and echoed.
pub fn line_at_the_limit_is_echoed(addr: SocketAddr) {
    let mut s = greeted(addr);
    let line = "b".repeat(64 * 1024);
    roundtrip(&mut s, &line);
}

/// Clients that connect and vanish, vanish after the greeting, or reset in
/// the middle of a line do not disturb the next client.
pub fn vanishing_and_resetting_clients_are_harmless(addr: SocketAddr) {
    drop(TcpStream::connect(addr).unwrap());
    drop(greeted(addr));
    let mut rude = greeted(addr);
    rude.write_all(b"half a li").unwrap();
    thread::sleep(Duration::from_millis(50));
    reset(rude);
    let mut rude2 = greeted(addr);
    roundtrip(&mut rude2, "first");
    rude2.write_all(b"second, unfinished").unwrap();
    reset(rude2);
    let mut fine = greeted(addr);
    roundtrip(&mut fine, "served");
}

/// `n` clients connecting at once are all served: greeting, echo, close.
pub fn many_clients_at_once_are_served(addr: SocketAddr, n: usize) {
    let clients: Vec<_> = (0..n)
        .map(|i| {
            thread::spawn(move || {
                let mut s = greeted(addr);
                roundtrip(&mut s, &format!("client {i}"));
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
}

/// A client that sent half a line and went quiet does not delay another
/// client: the other is greeted and echoed while the slow one still waits.
/// (On lesson 03's one-at-a-time server the second client would wait until
/// the first finished, and this check would time out.)
pub fn slow_client_does_not_delay_others(addr: SocketAddr) {
    let mut slow = greeted(addr);
    slow.write_all(b"I am sl").unwrap();
    let mut quick = greeted(addr);
    roundtrip(&mut quick, "not waiting for anyone");
    drop(quick);
    slow.write_all(b"ow\n").unwrap();
    assert_eq!(read_line(&mut slow), "I am slow");
}

/// With a 1 s idle timeout, a silent client is told and closed; one that
/// keeps talking past that time is not.
pub fn idle_client_is_closed(addr: SocketAddr) {
    let mut silent = greeted(addr);
    let mut chatty = greeted(addr);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        roundtrip(&mut chatty, "still here");
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(read_line(&mut silent), "error: idle for 1s, closing");
    assert!(is_closed(&mut silent, PATIENCE));
    roundtrip(&mut chatty, "and still served");
}

/// With every slot taken, the next client gets the busy line and is closed.
pub fn expect_busy(addr: SocketAddr) {
    let mut extra = connect(addr);
    assert_eq!(read_line(&mut extra), BUSY);
    assert!(is_closed(&mut extra, PATIENCE));
}

/// Out of descriptors: with a low limit, clients are opened until the server
/// reports EMFILE; it must keep running without spinning, and serve a new
/// client once the others have closed. `args` must include `--port 0`.
pub fn out_of_descriptors_recovers(bin: &str, args: &[&str]) {
    let cmd: Command = crate::with_nofile_limit(bin, args, 32);
    let mut server = Server::start(cmd);
    let addr = server.addr();
    let mut clients = Vec::new();
    for _ in 0..100 {
        if server.stderr().contains("Too many open files") {
            break;
        }
        clients.push(TcpStream::connect(addr).unwrap());
        thread::sleep(Duration::from_millis(20));
    }
    crate::eventually("EMFILE reported", || {
        server.stderr().contains("Too many open files")
    });
    server.assert_not_spinning(Duration::from_secs(1), Duration::from_millis(300));

    drop(clients);
    // The server finishes the closed clients, accepts again, and serves.
    // Until their threads have closed their descriptors, a newcomer may
    // still be told the server is busy; that is allowed, so retry.
    let mut fresh = None;
    crate::eventually("a new client served after the others left", || {
        let mut s = connect(addr);
        let first = read_line(&mut s);
        assert!(first == HELLO || first == BUSY, "unexpected {first:?}");
        if first == HELLO {
            fresh = Some(s);
        } else {
            thread::sleep(Duration::from_millis(100));
        }
        fresh.is_some()
    });
    let mut fresh = fresh.unwrap();
    roundtrip(&mut fresh, "served again");
    drop(fresh);
    server.signal("TERM");
    let (status, rest) = server.wait(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(
        rest.iter().any(|l| l.starts_with("shut down: served")),
        "{rest:?}"
    );
}

/// SIGINT or SIGTERM with idle clients connected: the clients are closed,
/// the server prints its summary and exits 0 within 2 s.
/// `served_before` counts clients that came and went earlier in the test.
pub fn signal_with_clients_connected_exits_cleanly(
    server: &mut Server,
    signal: &str,
    clients: usize,
    served_before: usize,
) {
    let mut open: Vec<TcpStream> = (0..clients).map(|_| greeted(server.addr())).collect();
    for (i, c) in open.iter_mut().enumerate() {
        roundtrip(c, &format!("before the signal {i}"));
    }
    let start = Instant::now();
    server.signal(signal);
    let (status, rest) = server.wait(Duration::from_secs(10));
    let took = start.elapsed();
    assert!(status.success(), "{status:?}; stderr: {}", server.stderr());
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let served = common::text::count((clients + served_before) as u64, "client");
    let summary = format!("shut down: served {served}, turned away");
    assert!(rest.iter().any(|l| l.starts_with(&summary)), "{rest:?}");
    for c in &mut open {
        assert!(is_closed(c, PATIENCE));
    }
}

/// Reads whatever is available within `wait` (for "nothing arrives" checks).
pub fn nothing_within(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let got = matches!(s.read(&mut [0u8; 1]), Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    got
}
